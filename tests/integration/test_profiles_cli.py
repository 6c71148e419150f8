"""`iom profiles` as a process of its own: a broken profile is named and the exit is 2, with no
traceback (the check runs when the command line starts, before any command)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path


def test_the_command_line_names_a_broken_profile_and_exits_2(tmp_path: Path) -> None:
    (tmp_path / "garbled.yaml").write_text("id: [sakha\nversion: 1\n", encoding="utf-8")
    done = subprocess.run(
        [sys.executable, "-m", "workers.cli", "profiles"],
        env={**os.environ, "IOM_PROFILES_DIR": str(tmp_path)},
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 2
    assert "регламент не загружен: profile garbled.yaml" in done.stderr
    assert "Traceback" not in done.stderr
