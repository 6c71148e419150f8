"""`--before REV`: a benchmark's processes run on another revision's code, copied out of git."""

from __future__ import annotations

import subprocess
from pathlib import Path

from bench.revision import revision, short_hash
from bench.servers import HERE, started

PROBE = "import workers, time; print('from', workers.__file__, flush=True); time.sleep(60)"


def test_a_revision_is_the_commit_s_files_in_a_folder_of_their_own() -> None:
    head = subprocess.run(
        ["git", "-C", str(HERE), "rev-parse", "--short", "HEAD"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    assert short_hash("HEAD") == head
    with revision("HEAD") as folder:
        assert folder != HERE
        committed = subprocess.run(
            ["git", "-C", str(HERE), "show", "HEAD:workers/temporal.py"],
            check=True,
            capture_output=True,
            text=True,
        ).stdout
        assert (folder / "workers" / "temporal.py").read_text() == committed
        assert (folder / "pyproject.toml").exists()
    assert not folder.exists()  # removed at the end


async def test_a_process_started_on_a_revision_imports_its_modules(tmp_path: Path) -> None:
    with revision("HEAD") as folder:
        ready = f"from {folder / 'workers' / '__init__.py'}"
        async with started(tmp_path, "probe", ["-c", PROBE], {}, ready, code=folder) as probe:
            assert probe.process.poll() is None
        async with started(tmp_path, "here", ["-c", PROBE], {}, f"from {HERE}") as here:
            assert here.process.poll() is None
