"""The machine the benchmarks share: the CPU its processes used, and how busy it was, whoever
kept it busy (read from /proc)."""

from __future__ import annotations

import os
from contextlib import suppress
from pathlib import Path


def busy_cpu() -> float:
    """CPU seconds the whole machine has been busy so far (every core, /proc/stat)."""
    values = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = values[3] + values[4]  # idle, iowait
    return (sum(values[:8]) - idle) / os.sysconf("SC_CLK_TCK")


def cpu_of(pid: int) -> float:
    """A process's CPU seconds so far, utime + stime (0 once it is gone)."""
    with suppress(OSError, ValueError, IndexError):
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return 0.0


def cpu_by_process() -> dict[int, tuple[str, float]]:
    """Every process's command name and CPU seconds so far."""
    found = {}
    tick = os.sysconf("SC_CLK_TCK")
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with suppress(OSError, ValueError, IndexError):
                stat = (entry / "stat").read_text()
                name = stat[stat.index("(") + 1 : stat.rindex(")")]
                fields = stat.rsplit(")", 1)[1].split()
                found[int(entry.name)] = (name, (int(fields[11]) + int(fields[12])) / tick)
    return found


def postgres_cpu(database: str) -> float:
    """CPU seconds so far of the PostgreSQL backends connected to `database` (their process
    title names it; a backend that ended is no longer counted)."""
    spent = 0.0
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with suppress(OSError):
                title = (entry / "cmdline").read_bytes()
                if title.startswith(b"postgres: ") and f" {database} ".encode() in title:
                    spent += cpu_of(int(entry.name))
    return spent
