"""`iom up` as a test runs it: a real supervisor process with its real children."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

READY_WITHIN = 60.0  # seconds: the "ready within a minute"


@dataclass
class Up:
    """A running `iom up`: its output as it comes, its children, and how to stop it."""

    process: subprocess.Popen[str]
    lines: list[str] = field(default_factory=list)
    ready: threading.Event = field(default_factory=threading.Event)
    reader: threading.Thread | None = None

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.lines.append(line.rstrip("\n"))
            if line.startswith("ready "):
                self.ready.set()
        self.ready.set()  # the output ended: `wait_ready` looks at why

    def wait_ready(self, timeout: float = READY_WITHIN) -> None:
        """Return once the ready line is out; fail with the output when it is not in time."""
        arrived = self.ready.wait(timeout)
        assert arrived, f"iom up not ready in {timeout:.0f} s:\n" + "\n".join(self.lines)
        assert any(line.startswith("ready ") for line in self.lines), (
            f"iom up ended (exit {self.process.poll()}):\n" + "\n".join(self.lines)
        )

    def children(self) -> list[int]:
        """The pids of its child processes (from /proc)."""
        found = []
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            parent = int(stat.rsplit(")", 1)[1].split()[1])
            if parent == self.process.pid:
                found.append(int(entry.name))
        return found

    def child(self, part: str) -> int | None:
        """The pid of its child running `iom <part>` (`temporal` for the dev server)."""
        for pid in self.children():
            try:
                argv = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
            except OSError:
                continue
            words = [word.decode() for word in argv]
            if part in words[1:4] or (part == "temporal" and words[0].endswith("temporal")):
                return pid
        return None

    def terminate(self, timeout: float = 60.0) -> int:
        """SIGTERM, then the exit code (killed, with its children, if it hangs)."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        try:
            return self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            for pid in [*self.children(), self.process.pid]:
                kill(pid)
            raise
        finally:
            if self.reader is not None:
                self.reader.join(10)
            assert self.process.stdout is not None
            self.process.stdout.close()


def start_up(arguments: list[str], cwd: Path, env: dict[str, str] | None = None) -> Up:
    """Start `arguments` (an `iom up` command line) in `cwd`, reading its output."""
    process = subprocess.Popen(
        arguments,
        cwd=cwd,
        env=os.environ | (env or {}),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    up = Up(process)
    up.reader = threading.Thread(target=up._read, daemon=True)
    up.reader.start()
    return up


def alive(pid: int) -> bool:
    """Whether a process with this pid exists and is not a zombie."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def still_alive(pids: list[int], within: float = 5.0) -> list[int]:
    """The pids still alive after waiting up to `within` seconds."""
    deadline = time.monotonic() + within
    while (left := [pid for pid in pids if alive(pid)]) and time.monotonic() < deadline:
        time.sleep(0.1)
    return left


def kill(pid: int) -> None:
    """SIGKILL, if it still exists."""
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGKILL)
