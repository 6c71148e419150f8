"""Another revision of the project, in a folder of its own, for a benchmark to run its
processes on (`bench.servers.started(..., code=folder)`): the code before a change, measured in
the same run as the code after it."""

from __future__ import annotations

import io
import subprocess
import tarfile
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from bench.servers import HERE


def short_hash(revision: str) -> str:
    """The revision's commit, abbreviated (`HEAD` → `1a2b3c4`)."""
    found = subprocess.run(  # noqa: S603 - git, on this repository
        ["git", "-C", str(HERE), "rev-parse", "--short", f"{revision}^{{commit}}"],  # noqa: S607
        check=True,
        capture_output=True,
        text=True,
    )
    return found.stdout.strip()


@contextmanager
def revision(name: str) -> Iterator[Path]:
    """The project's files at revision `name` (a commit, branch or tag of this repository),
    written into a temporary folder by `git archive`; removed at the end."""
    archive = subprocess.run(  # noqa: S603 - git, on this repository
        ["git", "-C", str(HERE), "archive", "--format=tar", name],  # noqa: S607
        check=True,
        capture_output=True,
    ).stdout
    with tempfile.TemporaryDirectory(prefix="iom-revision-") as folder:
        with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
            tar.extractall(folder, filter="data")
        yield Path(folder)
