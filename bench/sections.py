"""BENCHMARKS.md, one section per benchmark: each replaces its own and nothing else."""

from __future__ import annotations

import os
import re
from pathlib import Path


def write_section(path: Path, title: str, end: str, section: str) -> None:
    """Replace the section headed `## title` (up to its `end` marker) with `section`, or append
    it; the file is read right before writing, since other benchmarks write theirs too."""
    text = path.read_text(encoding="utf-8") if path.exists() else "# Benchmarks\n\n"
    mine = re.compile(rf"(?ms)^## {re.escape(title)}\n.*?{re.escape(end)}\n?")
    if mine.search(text):
        text = mine.sub(lambda _: section, text, count=1)
    else:
        text = text.rstrip("\n") + "\n\n" + section
    path.write_text(text, encoding="utf-8")


def publish(section: str, path: Path | None, title: str, end: str) -> None:
    """Print the section, and write it into `path` (BENCHMARKS.md) when one is given."""
    print(section)
    if path is not None:
        write_section(path, title, end, section)


def load_line() -> str:
    """What the machine's load was at the end of a run: the start of a section's last line."""
    cores = os.cpu_count() or 1
    return f"Load average at the end of the run: {os.getloadavg()[0]:.1f} on {cores} cores"
