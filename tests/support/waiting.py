"""Waiting in real time for what another process (a worker, a server) does."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable


async def eventually(check: Callable[[], bool], seconds: float = 15.0) -> None:
    """Wait until `check()` holds; fail after `seconds`."""
    deadline = time.monotonic() + seconds
    while not check():
        assert time.monotonic() < deadline, "condition not reached in time"
        await asyncio.sleep(0.05)


async def until(check: Callable[[], Awaitable[bool]], seconds: float = 15.0) -> None:
    """Wait until `await check()` holds (a server's answer, say); fail after `seconds`."""
    deadline = time.monotonic() + seconds
    while not await check():
        assert time.monotonic() < deadline, "condition not reached in time"
        await asyncio.sleep(0.1)
