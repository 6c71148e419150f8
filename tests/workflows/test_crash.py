"""Crashes: a worker killed with SIGKILL in the middle of a command's activity, then started
again, and the dev server killed mid-route, then started again on its file. Each leaves exactly
one event per command, versions without gaps, no notice twice; the route's workflow carries on.

The kill falls inside the activities by holding locks in PostgreSQL from the test (no hooks in
the engine), in two windows at once: one command's event is committed but its activity has not
answered (it waits to write the route's snapshot after its save: the worker snapshots every
`interval` events, set so that this command's event is due one), another's activity has
started and saved nothing (it waits to read the route first). `pg_stat_activity` shows both
waiting. A command runs as a local activity, inside the workflow task that took its update:
nothing tells Temporal that a killed worker's task is gone, so it times out (the workflow task
timeout, 10 s), then the new worker takes the task again, the update with it, and runs the
command again — a first attempt of its own; that wait is most of the first test's time.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import random
import subprocess
from collections.abc import AsyncIterator
from datetime import date, timedelta
from itertools import groupby
from typing import Any
from uuid import UUID

import psycopg
from eventsourcing.postgres import PostgresApplicationRecorder
from temporalio.client import WorkflowExecutionStatus
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Replayer

from aggregates.application import Routes
from aggregates.deadlines import deadlines
from aggregates.events import NoticeSent, RouteApproved, RouteEvent
from aggregates.profiles import ProfileCatalogue, Stage, load_profiles
from aggregates.values import Role
from runtime.gateway import RouteGateway
from runtime.settings import store_env
from tests.support.servers import Receiver, Smtp
from tests.support.waiting import eventually, until
from tests.workflows.conftest import DurableServer, Stack
from tests.workflows.test_agreement import designed_route, notices, request
from tests.workflows.test_ops import IOM, address, logged
from workers.demo import DemoRoute
from workflows.contracts import STATUS, CommandRequest, workflow_id
from workflows.route import RouteWorkflow

SIGNED = {"operator_id": "op-7", "reason": "Педагог на больничном", "ticket": "OPS-40"}
RETRY_WAIT = 45.0  # seconds: the 10 s timeout of the killed task, its retry, the answer


def assert_one_run_per_command(events: list[RouteEvent]) -> None:
    """Versions 1, 2, 3… without a gap, and each command's events one run (one save)."""
    assert [e.originator_version for e in events] == list(range(1, len(events) + 1))
    runs = [command_id for command_id, _ in groupby(e.command_id for e in events)]
    assert len(runs) == len(set(runs)), runs


def with_command(routes: Routes, route_id: UUID, command_id: str) -> list[RouteEvent]:
    """The route's events appended under `command_id`."""
    return [e for e in routes.history(route_id) if e.command_id == command_id]


# --- a worker killed mid-command --------------------------------------------------------------


class IomWorker:
    """`iom worker` as a subprocess on the dev server, the store and a task queue; its JSON log
    lines kept (read all along, so the pipe never fills)."""

    def __init__(self, process: asyncio.subprocess.Process) -> None:
        self.process = process
        self.lines: list[dict[str, Any]] = []
        assert process.stderr is not None
        self.reading = asyncio.create_task(self._read(process.stderr))

    @classmethod
    async def start(
        cls, server: WorkflowEnvironment, database_url: str, queue: str, snapshots: int = 50
    ) -> IomWorker:
        """Start it (a snapshot of a route every `snapshots` events); return once it logged
        that it is ready."""
        env = os.environ | {
            "IOM_DATABASE_URL": database_url,
            "IOM_LOG_FORMAT": "json",
            "IOM_SNAPSHOT_INTERVAL": str(snapshots),
        }
        arguments = ["worker", "--address", address(server), "--task-queue", queue]
        process = await asyncio.create_subprocess_exec(
            str(IOM), *arguments, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
        )
        assert process.stderr is not None
        try:
            await asyncio.wait_for(logged(process.stderr, "worker ready"), 30)
        except BaseException:
            process.kill()
            await process.wait()
            raise
        return cls(process)

    async def _read(self, stream: asyncio.StreamReader) -> None:
        while line := await stream.readline():
            if line.startswith(b"{"):
                self.lines.append(json.loads(line))

    def executed(self, command_id: str) -> list[tuple[int, bool]]:
        """The attempts of `command_id` it executed: (attempt, replayed)."""
        return [
            (line["attempt"], line["replayed"])
            for line in self.lines
            if line.get("event") == "command executed" and line.get("command_id") == command_id
        ]

    async def kill(self) -> None:
        """SIGKILL: no shutdown, nothing reported to Temporal."""
        if self.process.returncode is None:
            self.process.kill()
        await self.process.wait()
        await self.reading


@contextlib.asynccontextmanager
async def workers(server: WorkflowEnvironment, database_url: str) -> AsyncIterator[list[IomWorker]]:
    """Started `iom worker`s (the test appends them), all killed at the end."""
    started: list[IomWorker] = []
    try:
        yield started
    finally:
        for worker in started:
            await worker.kill()


async def agreeing_route(routes: Routes, gateway: RouteGateway, index: int) -> DemoRoute:
    """A Sakha route submitted for agreement in the store, its workflow started."""
    profile = routes.profiles.latest("sakha")
    demo = DemoRoute(routes, profile, index, random.Random(index), date.today())
    route_id = demo.drive(Stage.AGREEMENT)
    assert await gateway.start(route_id)
    return demo


def waiting(watcher: psycopg.Connection[Any], mine: list[int], statement: str) -> list[int]:
    """The other backends of this database waiting for a lock in a `statement…`."""
    rows = watcher.execute(
        "SELECT pid FROM pg_stat_activity WHERE datname = current_database()"
        " AND wait_event_type = 'Lock' AND ltrim(query) LIKE %s AND NOT pid = ANY(%s)",
        (f"{statement}%", mine),
    ).fetchall()
    return [row[0] for row in rows]


async def waits(
    watcher: psycopg.Connection[Any], mine: list[int], statement: str, count: int
) -> None:
    """Until `count` of the worker's backends wait for a lock in a `statement…`."""
    await eventually(lambda: len(waiting(watcher, mine, statement)) == count)


def notices_of(routes: Routes, route_id: UUID) -> list[NoticeSent]:
    """The route's `NoticeSent` events."""
    return [e for e in routes.history(route_id) if isinstance(e, NoticeSent)]


async def idle(server: WorkflowEnvironment, route_id: UUID) -> bool:
    """Whether the route's workflow runs no activity."""
    handle = server.client.get_workflow_handle(workflow_id(route_id))
    return not (await handle.describe()).raw_description.pending_activities


async def test_worker_killed_mid_command_then_restarted(
    dev_server: WorkflowEnvironment, pg_url: str
) -> None:
    queue = f"iom-crash-{os.urandom(4).hex()}"
    routes = Routes(store_env(pg_url), profiles=ProfileCatalogue(load_profiles()))
    gateway = RouteGateway(dev_server.client, routes, queue)
    assert isinstance(routes.recorder, PostgresApplicationRecorder)
    table = routes.recorder.events_table_name
    assert routes.snapshots is not None
    snapshots = routes.snapshots.recorder.events_table_name  # type: ignore[attr-defined]
    try:
        async with workers(dev_server, pg_url) as started:
            saved, unsaved = [await agreeing_route(routes, gateway, i) for i in (71, 72)]
            # Its first two notices, then the command's event: the one a snapshot is due at.
            due = routes.route(saved.route_id).version + 3
            started.append(await IomWorker.start(dev_server, pg_url, queue, snapshots=due))
            for demo in (saved, unsaved):  # the workflows are idle: their first notices are out
                await eventually(lambda: len(notices_of(routes, demo.route_id)) == 2)  # noqa: B023
                await until(lambda: idle(dev_server, demo.route_id))  # noqa: B023
            before = {d.route_id: routes.route(d.route_id).version for d in (saved, unsaved)}
            assert before[saved.route_id] + 1 == due
            saved_request, unsaved_request = [
                request(d, Role.METHODIST, "agree", plan_hash=routes.route(d.route_id).plan_hash)
                for d in (saved, unsaved)
            ]

            def agree(demo: DemoRoute, asked: CommandRequest) -> asyncio.Future[int]:
                """Send the command; the test reads nothing from the store while it is locked."""
                return asyncio.ensure_future(gateway.execute(demo.route_id, "agree_route", asked))

            with (
                psycopg.connect(pg_url, autocommit=True) as watcher,
                psycopg.connect(pg_url) as writers,
                psycopg.connect(pg_url) as everyone,
            ):
                mine = [c.info.backend_pid for c in (watcher, writers, everyone)]
                # Snapshots are read, not written: the first command's save commits, and the
                # activity's snapshot after it waits. The event is in, the activity has not
                # answered.
                writers.execute(f"LOCK TABLE {snapshots} IN EXCLUSIVE MODE")
                saved_update = agree(saved, saved_request)
                await waits(watcher, mine, "INSERT", 1)
                everyone.execute(f"LOCK TABLE {table} IN ACCESS EXCLUSIVE MODE")
                stored = everyone.execute(
                    f"SELECT max(originator_version) FROM {table} WHERE originator_id = %s",
                    (saved.route_id,),
                ).fetchone()
                assert stored == (before[saved.route_id] + 1,)
                # The second command's activity waits to read its route: nothing saved.
                unsaved_update = agree(unsaved, unsaved_request)
                await waits(watcher, mine, "SELECT", 1)

                await started[0].kill()
                everyone.rollback()
                writers.rollback()

            started.append(await IomWorker.start(dev_server, pg_url, queue))
            # The portal, its request timed out, sends the saved command again, same id.
            again = gateway.execute(saved.route_id, "agree_route", saved_request)
            answers = asyncio.gather(saved_update, unsaved_update, again)
            saved_version, unsaved_version, again_version = await asyncio.wait_for(
                answers, RETRY_WAIT
            )

            # The saved command: its retry appended nothing and answered the saved version (so
            # did the portal's second request). The unsaved one was saved once, by the retry.
            assert saved_version == again_version == before[saved.route_id] + 1
            assert unsaved_version == before[unsaved.route_id] + 1
            # The new worker replayed the first twice (the retry, the portal's request) and
            # saved the second: the killed one never got past reading its route. Each ran as the
            # first attempt of a local activity in the new worker's workflow task.
            killed, restarted = started[0].executed, started[1].executed
            assert killed(unsaved_request.command_id) == []
            await eventually(lambda: len(restarted(saved_request.command_id)) == 2)
            assert restarted(saved_request.command_id) == [(1, True), (1, True)]
            assert restarted(unsaved_request.command_id) == [(1, False)]
            for demo, asked in ((saved, saved_request), (unsaved, unsaved_request)):
                [event] = with_command(routes, demo.route_id, asked.command_id)
                assert event.originator_version == before[demo.route_id] + 1
                assert_one_run_per_command(routes.history(demo.route_id))
    finally:
        routes.close()


# --- the dev server killed mid-route ----------------------------------------------------------


async def test_dev_server_killed_mid_route_then_restarted(
    durable_server: DurableServer, durable_stack: Stack, receiver: Receiver, smtp: Smtp
) -> None:
    """Design, submit and the first agreement; the server killed and started again; the other
    agreements (and an operator's signal) until approval."""
    server, stack = durable_server, durable_stack
    demo, route_id = await designed_route(stack, "sakha", 81)
    gateway = stack.gateway
    plan_hash = stack.routes.route(route_id).plan_hash
    handle = stack.env.client.get_workflow_handle(workflow_id(route_id))

    async def agree(role: Role) -> int:
        asked = request(demo, role, f"agree-{role}", plan_hash=plan_hash)
        return await gateway.execute(route_id, "agree_route", asked)

    def delivered() -> bool:
        sent = len(notices(stack, route_id))
        return len(receiver.requests) == len(smtp.collector.envelopes) == sent

    await eventually(lambda: len(notices(stack, route_id)) == 2 and delivered())
    await agree(Role.METHODIST)
    run_id = (await handle.describe()).run_id

    await server.kill()
    await server.start()

    due = next(d for d in deadlines(stack.routes.route(route_id)) if d.key == "agreement:teacher")
    extension = {"deadline": due.key, "until": (due.due_on + timedelta(days=7)).isoformat()}
    await gateway.signal(route_id, "extend_deadline", SIGNED | extension | {"command_id": "ext"})
    await eventually(lambda: "ext" in stack.routes.route(route_id).commands)
    for role in (Role.TEACHER, Role.CENTRE_HEAD, Role.SCHOOL_HEAD):
        version = await agree(role)
    assert isinstance(stack.routes.history(route_id, version=version)[-1], RouteApproved)

    # The same run carried on, and it goes on past the approval.
    async def implementing() -> bool:
        return (await handle.describe()).typed_search_attributes.get(STATUS) == "implementation"

    await until(implementing)
    approved = ("route_approved", [Role.TEACHER, Role.METHODIST])
    await eventually(lambda: approved in notices(stack, route_id) and delivered())
    await until(lambda: idle(stack.env, route_id))
    described = await handle.describe()
    assert (described.run_id, described.status) == (run_id, WorkflowExecutionStatus.RUNNING)
    # One event per command; each notice recorded once, and delivered once on each channel.
    events = stack.routes.history(route_id)
    assert_one_run_per_command(events)
    appended = {
        command_id: [type(e).__name__ for e in with_command(stack.routes, route_id, command_id)]
        for command_id in [f"{demo.key}:agree-{role}" for role in Role] + ["ext"]
    }
    assert {command_id: names for command_id, names in appended.items() if names} == {
        f"{demo.key}:agree-methodist": ["AgreementGiven"],
        f"{demo.key}:agree-teacher": ["AgreementGiven"],
        f"{demo.key}:agree-centre_head": ["AgreementGiven"],
        f"{demo.key}:agree-school_head": ["AgreementGiven", "RouteApproved"],
        "ext": ["DeadlineExtended"],
    }
    keys = [e.key for e in events if isinstance(e, NoticeSent)]
    assert len(keys) == len(set(keys)) == 5  # four parties asked, the approval announced
    mails = range(len(smtp.collector.envelopes))
    for deliveries in (
        [r.headers["X-IOM-Delivery"] for r in receiver.requests],
        [smtp.collector.message(i)["X-IOM-Delivery"] for i in mails],
    ):
        assert len(deliveries) == len(set(deliveries)) == len(keys)
    # The history read back from the server's file replays on the workflow code.
    replayer = Replayer(workflows=[RouteWorkflow], data_converter=pydantic_data_converter)
    await replayer.replay_workflow(await handle.fetch_history())
