"""Where tests keep what a person should be able to look at after a run (the PDF pages of every
document, drawn to PNG): `var/test-artifacts/` in the checkout, or `IOM_TEST_ARTIFACTS` when set
(a CI job points it at the folder it uploads). The session's summary names the folder."""

from __future__ import annotations

import os
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = Path(os.environ.get("IOM_TEST_ARTIFACTS") or ROOT / "var" / "test-artifacts")


def artifacts(name: str) -> Path:
    """The artefacts folder of one kind (`documents`, …), created."""
    folder = ARTIFACTS / name
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def made_since(started: float) -> list[Path]:
    """The artefacts written since `started` (a `time.time()`), in every kind's folder."""
    if not ARTIFACTS.is_dir():
        return []
    return sorted(p for p in ARTIFACTS.rglob("*") if p.is_file() and p.stat().st_mtime >= started)
