"""Bulk operations and workflow incidents against the Temporal dev server and PostgreSQL.

A preview counts what the run then acts on; each route gets one event carrying the operation's
id, a refusal is reported per route with its rule; the process driving an operation, killed
mid-step, is replaced and the operation ends with no route changed twice. A terminated workflow
a workflow whose activity keeps failing, a route closed under a running workflow and an open
route whose workflow never started are listed as incidents and repaired in bulk.
"""

from __future__ import annotations

import asyncio
import os
import random
import subprocess
import uuid
from datetime import date
from typing import Any
from uuid import UUID

from eventsourcing.cryptography import AESCipher
from temporalio.client import Client

from aggregates.application import Routes
from aggregates.commands import CancelRoute
from aggregates.operation import command_id
from aggregates.profiles import ProfileCatalogue, Stage, load_profiles
from aggregates.values import Actor, Role
from projections.attempts import failing_routes
from projections.catalog import catch_up
from projections.selection import RouteQuery
from runtime.gateway import RouteGateway
from runtime.operations import BulkRequest, OperationDesk
from runtime.settings import Settings, store_env
from tests.support.waiting import eventually, until
from tests.workflows.conftest import Stack
from tests.workflows.test_operators import events_named
from tests.workflows.test_ops import IOM, SIGNED, iom, iom_json, logged, submitted_route
from workers.demo import DemoRoute
from workers.temporal import route_worker

PAUSE = ("--operator", "op-7", "--reason", "Каникулы", "--ticket", "OPS-40")


def paused_by(stack: Stack, route_id: UUID, operation_id: UUID) -> list[Any]:
    """The route's pause events that carry the operation's id."""
    cid = command_id(operation_id, route_id)
    return [e for e in events_named(stack, route_id, "RoutePaused") if e.command_id == cid]


async def test_preview_counts_what_the_run_does_and_refusals_are_per_route(
    dev_stack: Stack,
) -> None:
    stack = dev_stack
    route_ids = [(await submitted_route(stack, index))[1] for index in (71, 72, 73)]
    await stack.gateway.signal(
        route_ids[0],
        "pause",
        {
            "operator_id": "op-1",
            "reason": "Больничный",
            "ticket": "T-1",
            "command_id": "paused-before",
        },
    )
    await eventually(lambda: stack.routes.route(route_ids[0]).paused)
    catch_up(stack.routes, "monitoring")
    chosen = [arg for r in route_ids for arg in ("--route", str(r))]

    preview = await iom_json(stack, "ops", "bulk", "preview", "pause", *chosen, *PAUSE)
    assert preview["count"] == 3
    said = {row["route_id"]: row for row in preview["sample"]}
    assert said[str(route_ids[0])]["status"] == "refused"
    assert "уже приостановлен" in said[str(route_ids[0])]["message"]
    assert {said[str(r)]["status"] for r in route_ids[1:]} == {"would_apply"}
    assert all(not paused_by(stack, r, uuid.UUID(int=0)) for r in route_ids)

    operation_id = uuid.uuid4()
    run = ("run", "pause", *chosen, *PAUSE, "--operation-id", str(operation_id))
    done = await iom_json(stack, "ops", "bulk", *run, code=1)
    assert done["count"] == preview["count"] == 3
    assert (done["done"], done["refused"], done["skipped"], done["left"]) == (2, 1, 0, 0)
    outcomes = {row["route_id"]: row for row in done["outcomes"]}
    assert outcomes[str(route_ids[0])]["status"] == "refused"
    assert outcomes[str(route_ids[0])]["rule"]
    for route_id in route_ids[1:]:
        assert outcomes[str(route_id)]["status"] == "done"
        assert len(paused_by(stack, route_id, operation_id)) == 1
        assert stack.routes.route(route_id).paused

    # Run again under the same id: the operation is found, nothing is applied twice.
    again = await iom_json(stack, "ops", "bulk", *run, code=1)
    assert again["outcomes"] == done["outcomes"]
    assert all(len(paused_by(stack, r, operation_id)) == 1 for r in route_ids[1:])
    listed = await iom_json(stack, "ops", "bulk", "list")
    assert [row["operation_id"] for row in listed] == [str(operation_id)]

    # By a filter: the region's open routes; bad input names the field, writes nothing.
    region = await iom_json(stack, "ops", "bulk", "preview", "resume", "--region", "sakha", *PAUSE)
    assert region["count"] == 3
    bad = ["preview", "extend_deadline", "--region", "sakha", "--param", "deadline=activity:A1"]
    bad += ["--param", "until=завтра", *PAUSE]
    refused = await iom(stack, "ops", "bulk", *bad, code=2)
    assert "params.until" in refused.output


async def test_a_driver_killed_mid_run_is_replaced_without_a_double_event(
    dev_stack: Stack, pg_url: str
) -> None:
    stack = dev_stack
    client = stack.env.client
    route_ids = [(await submitted_route(stack, index))[1] for index in (81, 82, 83, 84)]
    # One route's workflow runs on a queue nobody serves yet: its signal waits, and so does the
    # operation's step, long enough to kill the process running the step.
    stalled = RouteGateway(client, stack.routes, f"stalled-{uuid.uuid4().hex[:8]}")
    slow = route_ids[0]
    await stack.gateway.stop(slow, "moved by the test")
    assert await stalled.start(slow)

    queue = f"bulk-{uuid.uuid4().hex[:8]}"
    process = await start_worker(client, pg_url, queue)
    desk = OperationDesk(RouteGateway(client, stack.routes, queue), stack.operations)
    operation_id = uuid.uuid4()
    request = BulkRequest(
        action="pause",
        query=RouteQuery(route_ids=route_ids),
        operator_id="op-7",
        reason="Каникулы",
        ticket="OPS-41",
    )
    try:
        await desk.run(operation_id, request)
        await eventually(lambda: all(paused_by(stack, r, operation_id) for r in route_ids[1:]), 60)
        assert desk.status(operation_id).counts()["left"] == 4  # the step is still going
        process.kill()
        await process.wait()
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()

    # Another worker takes the operation over; the stalled route's queue is served now.
    replacement = route_worker(
        client, stack.routes, stalled_settings(stack, queue), stack.operations
    )
    served = route_worker(
        client, stack.routes, stalled_settings(stack, stalled.task_queue), stack.operations
    )
    async with replacement, served:
        await eventually(lambda: not desk.status(operation_id).left(), 90)
    operation = desk.status(operation_id)
    assert operation.counts() == {"done": 4, "refused": 0, "skipped": 0, "left": 0}
    assert operation.finished_on is not None
    for route_id in route_ids:
        assert len(paused_by(stack, route_id, operation_id)) == 1
        assert len(events_named(stack, route_id, "RoutePaused")) == 1


def stalled_settings(stack: Stack, queue: str) -> Settings:
    """The stack's settings on another task queue."""
    return stack.settings.model_copy(update={"task_queue": queue})


async def start_worker(client: Client, pg_url: str, queue: str) -> asyncio.subprocess.Process:
    """`iom worker` on `queue`, once it is ready."""
    target = client.service_client.config.target_host
    arguments = ["worker", "--address", target, "--task-queue", queue]
    env = os.environ | {"IOM_DATABASE_URL": pg_url, "IOM_LOG_FORMAT": "json"}
    process = await asyncio.create_subprocess_exec(
        str(IOM), *arguments, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    assert process.stderr is not None
    await asyncio.wait_for(logged(process.stderr, "worker ready"), 60)
    return process


async def test_incidents_listed_and_repaired_in_bulk(dev_stack: Stack) -> None:
    stack = dev_stack
    client = stack.env.client
    _, terminated = await submitted_route(stack, 91)
    _, failing = await submitted_route(stack, 92)
    _, healthy = await submitted_route(stack, 93)
    _, cancelled = await submitted_route(stack, 94)
    profile = stack.routes.profiles.latest("sakha")
    never_started = DemoRoute(stack.routes, profile, 95, random.Random(95), date.today()).drive(
        Stage.AGREEMENT
    )
    await client.get_workflow_handle(f"route-{terminated}").terminate(reason="lost by the test")
    # Cancelled in the store while its workflow waits on a queue no worker serves: it runs on.
    operator = Actor(id="op-7", role=Role.OPERATOR)
    cancel = CancelRoute(reason="Увольнение", ticket="OPS-43")
    await stack.gateway.stop(cancelled, "moved by the test")
    stack.routes.execute(cancelled, cancel, operator, "behind-its-back")
    assert await RouteGateway(client, stack.routes, f"unserved-{uuid.uuid4().hex[:8]}").start(
        cancelled
    )
    # A workflow whose activity keeps failing: it runs on a queue whose worker was deployed with
    # another at-rest key, so `load_route` cannot read the route attempt after attempt.
    broken_queue = f"broken-{uuid.uuid4().hex[:8]}"
    await stack.gateway.stop(failing, "moved by the test")
    assert await RouteGateway(client, stack.routes, broken_queue).start(failing)
    elsewhere = stalled_settings(stack, broken_queue)
    catch_up(stack.routes, "monitoring")
    desk = OperationDesk(stack.gateway, stack.operations)
    expected = {
        terminated: "terminated",
        failing: "failing_activity",
        cancelled: "closed_running",
        never_started: "not_running",
    }
    unreadable = wrong_key_routes(elsewhere)
    async with route_worker(client, unreadable, elsewhere, stack.operations):

        async def listed() -> bool:
            return {i.route_id: i.kind for i in await desk.incidents()} == expected

        await until(listed, 60)
        # The failing activity was found from the worker's note, not by describing workflows.
        assert failing_routes(stack.routes) == {failing}
    unreadable.close()  # its connections back to the server
    found = {i.route_id: i for i in await desk.incidents()}
    assert "прерван" in found[terminated].error and "lost by the test" in found[terminated].error
    assert "load_route" in found[failing].error
    assert "не выполняется" in found[never_started].error
    assert healthy not in found
    assert await desk.incidents("sakha") == list(found.values())
    assert await desk.incidents("chelyabinsk") == []

    shown = await iom_json(stack, "ops", "incidents", "--region", "sakha")
    assert {row["route_id"] for row in shown} == {str(r) for r in expected}
    repaired = await iom_json(stack, "ops", "incidents", "--repair", *SIGNED)
    assert (repaired["done"], repaired["left"]) == (4, 0)
    await until(lambda: no_incidents(desk), 60)
    assert failing_routes(stack.routes) == set()  # the restart forgot the failing activity


async def no_incidents(desk: OperationDesk) -> bool:
    """Whether no route's workflow is broken."""
    return not await desk.incidents()


def wrong_key_routes(settings: Settings) -> Routes:
    """A routes application on the same store, deployed with an at-rest key the store was not
    written with: it cannot read a route."""
    env = store_env(settings.database_url, AESCipher.create_key(16))
    return Routes(env, profiles=ProfileCatalogue(load_profiles()))
