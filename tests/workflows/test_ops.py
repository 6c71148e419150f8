"""`iom worker` and `iom ops …` against the Temporal dev server and PostgreSQL: every operator
signal from the command line (checked before it is sent, then watched until applied or refused),
the stock `temporal` CLI, restarting a terminated workflow, the routes stuck waiting, and the
worker process itself, stopped by SIGTERM."""

from __future__ import annotations

import asyncio
import json
import os
import random
import signal
import subprocess
import sys
import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest
from temporalio.testing import WorkflowEnvironment
from typer.testing import CliRunner, Result

from aggregates.application import Routes
from aggregates.commands import OpenRoute
from aggregates.deadlines import deadlines, timers
from aggregates.errors import StageError
from aggregates.events import DeadlineExtended, NoticeSent, RoutePaused
from aggregates.profiles import ProfileCatalogue, Stage, load_profiles
from aggregates.values import Actor, Role
from projections.catalog import catch_up
from projections.refusals import create_table
from runtime.gateway import RouteGateway
from runtime.settings import store_env
from tests.support.servers import Receiver, Smtp, free_port
from tests.support.waiting import eventually
from tests.workflows.conftest import DEV_SERVER, Stack
from tests.workflows.test_agreement import notices, request
from tests.workflows.test_calendars import SAKHA_CAMPAIGN, expected_ids
from tests.workflows.test_operators import events_named, refusals
from workers.cli import app
from workers.cli.ops import ops
from workers.demo import DemoRoute
from workers.logs import configure_logging
from workflows.contracts import STATUS

IOM = Path(sys.executable).parent / "iom"
SIGNED = ("--operator", "op-7", "--reason", "Педагог на больничном", "--ticket", "OPS-21")

runner = CliRunner()


def address(env: WorkflowEnvironment) -> str:
    """The dev server's frontend, `host:port`."""
    return env.client.service_client.config.target_host


def settings_env(server: WorkflowEnvironment, database_url: str, queue: str) -> dict[str, str]:
    """The environment of an `iom` on this server, store and task queue."""
    return {
        "IOM_DATABASE_URL": database_url,
        "IOM_TEMPORAL_ADDRESS": address(server),
        "IOM_TASK_QUEUE": queue,
        "IOM_LOG_FORMAT": "json",
    }


async def run_iom(env: dict[str, str], *args: str, code: int = 0) -> Result:
    """Run `iom …` in a thread: the command runs its own event loop, and a worker needs this
    one. The runner swaps `sys.stdout` for the whole process, so the worker's log lines must go
    to stderr (as `iom` configures them) before the command starts, not to its output."""
    configure_logging("json")
    result = await asyncio.to_thread(runner.invoke, app, list(args), env=env)
    assert result.exit_code == code, result.output
    return result


async def iom(stack: Stack, *args: str, code: int = 0) -> Result:
    """Run `iom …` on the stack's server, store and task queue."""
    env = settings_env(stack.env, stack.settings.database_url, stack.settings.task_queue)
    return await run_iom(env, *args, code=code)


async def iom_json(stack: Stack, *args: str, code: int = 0) -> Any:
    """`iom … --json`, its output read."""
    return json.loads((await iom(stack, *args, "--json", code=code)).stdout)


async def signals_received(stack: Stack, route_id: UUID) -> int:
    """How many signals the route's workflow has received."""
    history = await stack.env.client.get_workflow_handle(f"route-{route_id}").fetch_history()
    return sum(e.HasField("workflow_execution_signaled_event_attributes") for e in history.events)


def sent_of_kind(receiver: Receiver, kind: str) -> int:
    """The webhook deliveries of notices of `kind`."""
    return sum(r.headers.get("X-IOM-Event") == kind for r in receiver.requests)


async def settled(stack: Stack, receiver: Receiver, smtp: Smtp, *route_ids: UUID) -> None:
    """Wait until every due notice of the routes is sent and delivered on both channels and no
    activity runs: the worker's shutdown at the test's end would cut a delivery off mid-way."""

    async def idle() -> bool:
        now = datetime.now(UTC)
        routes = [stack.routes.route(route_id) for route_id in route_ids]
        if any(t.at <= now for route in routes for t in timers(route)):
            return False
        sent = sum(len(notices(stack, route_id)) for route_id in route_ids)
        if not len(receiver.requests) == len(smtp.collector.envelopes) == sent:
            return False
        for route_id in route_ids:
            handle = stack.env.client.get_workflow_handle(f"route-{route_id}")
            if (await handle.describe()).raw_description.pending_activities:
                return False
        return True

    for _ in range(150):
        if await idle():
            return
        await asyncio.sleep(0.1)
    raise AssertionError("the routes' notices were not all delivered in time")


async def submitted_route(stack: Stack, index: int) -> tuple[DemoRoute, UUID]:
    """A Sakha route submitted for agreement in the store, then its workflow started. (Not
    through the workflow: an update in a workflow's first task finds `route_id` unset.)"""
    profile = stack.routes.profiles.latest("sakha")
    demo = DemoRoute(stack.routes, profile, index, random.Random(index), date.today())
    route_id = demo.drive(Stage.AGREEMENT)
    assert await stack.gateway.start(route_id)
    return demo, route_id


async def test_every_signal_through_iom_ops(dev_stack: Stack, receiver: Receiver) -> None:
    stack = dev_stack
    demo, rid = await submitted_route(stack, 51)
    route = str(rid)
    await eventually(lambda: sent_of_kind(receiver, "agreement_requested") == 2)

    # Bad input exits 2 naming the field, and nothing is sent.
    before = await signals_received(stack, rid)
    blank = await iom(
        stack, "ops", "pause", route, *SIGNED[:2], "--reason", " ", *SIGNED[4:], code=2
    )
    assert "«reason»" in blank.output
    late = ("--deadline", "agreement:methodist", "--until", "1 марта")
    wrong = await iom(stack, "ops", "extend-deadline", route, *late, *SIGNED, code=2)
    assert "«until»: ожидается дата ГГГГ-ММ-ДД (--until)" in wrong.output
    stranger = await iom(
        stack, "ops", "pause", route, "--operator", "оператор 7", *SIGNED[2:], code=2
    )
    assert "--operator" in stranger.output
    unknown = await iom(stack, "ops", "pause", str(uuid.uuid4()), *SIGNED, code=2)
    assert "не найден" in unknown.output
    assert await signals_received(stack, rid) == before
    create_table(stack.routes)
    assert refusals(stack, rid) == []

    # A signal the route refuses exits 1 with its rule (and is recorded).
    refused = await iom_json(stack, "ops", "unpause", route, *SIGNED, code=1)
    assert (refused["status"], refused["rule"], refused["field"]) == ("refused", "content", "route")
    assert refused["signal"] == "resume"
    assert refusals(stack, rid)[0]["command_id"] == refused["command_id"]

    # Pause: recorded with reason and ticket; once per command id; people are refused meanwhile.
    paused = await iom_json(stack, "ops", "pause", route, *SIGNED, "--command-id", "ops-pause")
    assert (paused["status"], paused["command_id"]) == ("applied", "ops-pause")
    event = stack.routes.history(rid, version=paused["version"])[-1]
    assert isinstance(event, RoutePaused)
    assert (event.reason, event.ticket, event.actor.id) == (
        "Педагог на больничном",
        "OPS-21",
        "op-7",
    )
    again = await iom_json(stack, "ops", "pause", route, *SIGNED, "--command-id", "ops-pause")
    assert again == paused
    plan_hash = stack.routes.route(rid).plan_hash
    with pytest.raises(StageError) as refusal:
        await stack.gateway.execute(
            rid, "agree_route", request(demo, Role.METHODIST, "agree", plan_hash=plan_hash)
        )
    assert refusal.value.rule == "paused"

    # Unpause sends the `resume` signal.
    lifted = await iom(stack, "ops", "unpause", route, *SIGNED)
    assert lifted.stdout.startswith("применено: resume")
    assert "идентификатор команды:" in lifted.stderr
    assert len(events_named(stack, rid, "RouteResumed")) == 1

    # Extend a party's deadline; reassign the methodist; resend a notice already sent.
    due = next(d for d in deadlines(stack.routes.route(rid)) if d.key == "agreement:methodist")
    until = due.due_on + timedelta(days=10)
    late = ("--deadline", due.key, "--until", until.isoformat())
    await iom(stack, "ops", "extend-deadline", route, *late, *SIGNED)
    [extended] = events_named(stack, rid, "DeadlineExtended")
    assert isinstance(extended, DeadlineExtended)
    assert (extended.deadline, extended.until) == (due.key, until)
    new = ("--methodist-id", "methodist-sakha-99", "--order", "Приказ № 5")
    await iom(stack, "ops", "reassign-methodist", route, *new, *SIGNED)
    assert stack.routes.route(rid).methodist_id == "methodist-sakha-99"
    sent = stack.routes.route(rid).notices
    key = next(k for k, n in sent.items() if n.kind == "agreement_requested")
    await iom(stack, "ops", "resend-notice", route, "--key", key, *SIGNED)
    [resent] = [e for e in stack.routes.history(rid) if isinstance(e, NoticeSent) and e.resent]
    assert resent.key == key
    await eventually(lambda: sent_of_kind(receiver, "agreement_requested") == 3)

    # Cancel: the workflow completes; then a signal finds no workflow to take it.
    await iom(stack, "ops", "cancel", route, *SIGNED)
    handle = stack.env.client.get_workflow_handle(f"route-{rid}")
    assert await handle.result() == "cancelled"
    ended = await iom(stack, "ops", "pause", route, *SIGNED, code=1)
    assert "правило route_closed" in ended.stdout


async def test_one_command_replaces_the_methodist_on_all_their_routes(dev_stack: Stack) -> None:
    stack = dev_stack
    theirs = [(await submitted_route(stack, index))[1] for index in (3, 6)]
    _, other = await submitted_route(stack, 4)
    assert {stack.routes.route(r).methodist_id for r in theirs} == {"methodist-sakha-01"}
    catch_up(stack.routes, "monitoring")
    new = ("--methodist-id", "methodist-sakha-99", "--order", "Приказ № 5", "--region", "sakha")
    done = await iom(stack, "ops", "replace-methodist", "methodist-sakha-01", *new, *SIGNED)
    assert "методист заменён на 2 из 2 ИОМ" in done.stdout
    for route_id in theirs:
        assert stack.routes.route(route_id).methodist_id == "methodist-sakha-99"
        assert len(events_named(stack, route_id, "MethodistAssigned")) == 2
    assert stack.routes.route(other).methodist_id == "methodist-sakha-02"
    # Named, a route already the new methodist's: that route's refusal, exit 1.
    named = ("--route", str(theirs[0]), "--command-id", "again-1")
    refused = await iom(
        stack, "ops", "replace-methodist", "methodist-sakha-01", *new, *named, *SIGNED, code=1
    )
    assert "отклонено" in refused.stdout and "уже закреплён" in refused.stdout


async def test_stock_cli_and_resume_after_termination(
    dev_stack: Stack, receiver: Receiver, smtp: Smtp
) -> None:
    stack = dev_stack
    _, rid = await submitted_route(stack, 52)
    await eventually(lambda: len(notices(stack, rid)) == 2 and len(receiver.requests) == 2)
    handle = stack.env.client.get_workflow_handle(f"route-{rid}")
    await handle.terminate("lost by the test")

    started = await iom_json(stack, "ops", "resume", str(rid))
    assert started == {"route_id": str(rid), "status": "started"}
    running = await iom(stack, "ops", "resume", str(rid))
    assert running.stdout.startswith("выполняется")
    await iom(stack, "ops", "resume", str(uuid.uuid4()), code=2)

    # The new run loaded the route and sent nothing twice.
    async def status() -> str | None:
        return (await handle.describe()).typed_search_attributes.get(STATUS)

    for _ in range(100):
        if await status() == "agreement":
            break
        await asyncio.sleep(0.1)
    assert await status() == "agreement"
    await asyncio.sleep(1)
    assert len(notices(stack, rid)) == 2 and len(receiver.requests) == 2

    # The stock CLI's signal, with the payload the README documents, pauses the new run.
    payload = {
        "operator_id": "op-7",
        "reason": "Педагог на больничном",
        "ticket": "OPS-30",
        "command_id": "stock-pause",
    }
    command = [str(DEV_SERVER), "workflow", "signal", "--address", address(stack.env)]
    command += ["--workflow-id", f"route-{rid}", "--name", "pause", "--input", json.dumps(payload)]
    done = await asyncio.to_thread(
        subprocess.run, command, capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == 0, done.stderr
    await eventually(lambda: bool(events_named(stack, rid, "RoutePaused")))
    assert stack.routes.route(rid).commands["stock-pause"]
    await settled(stack, receiver, smtp, rid)


async def test_stuck_lists_a_route_waiting_since_long_ago(
    dev_stack: Stack, receiver: Receiver, smtp: Smtp
) -> None:
    stack = dev_stack
    past = datetime.now(UTC) - timedelta(days=20)
    profile = stack.routes.profiles.latest("sakha")
    then = Routes(
        store_env(stack.settings.database_url), profiles=stack.routes.profiles, clock=lambda: past
    )
    try:
        stale = DemoRoute(then, profile, 61, random.Random(61), past.date()).drive(Stage.AGREEMENT)
    finally:
        then.close()
    fresh = DemoRoute(stack.routes, profile, 62, random.Random(62), date.today())
    route_ids = (stale, fresh.drive(Stage.AGREEMENT))
    for route_id in route_ids:
        assert await stack.gateway.start(route_id)

    rows: list[dict[str, Any]] = []
    for _ in range(60):  # the visibility store takes a moment
        rows = await iom_json(stack, "ops", "stuck", "--older-than", "1d")
        if rows:
            break
        await asyncio.sleep(0.25)
    [row] = rows  # the fresh route waits since today
    assert (row["route_id"], row["status"], row["region"]) == (str(stale), "agreement", "sakha")
    assert {"methodist", "teacher"} <= set(row["waiting_on"])
    assert abs(datetime.fromisoformat(row["since"]) - past) < timedelta(seconds=1)
    assert (await iom(stack, "ops", "stuck", "--older-than", "30d")).stdout.startswith("нет ИОМ")
    await settled(stack, receiver, smtp, *route_ids)  # the stale route's reminders, escalations


async def test_iom_worker_serves_routes_and_stops_on_sigterm(
    dev_server: WorkflowEnvironment, pg_url: str
) -> None:
    queue = f"iom-cli-{uuid.uuid4().hex[:8]}"
    arguments = ["worker", "--address", address(dev_server), "--task-queue", queue]
    env = os.environ | {"IOM_DATABASE_URL": pg_url, "IOM_LOG_FORMAT": "json"}
    process = await asyncio.create_subprocess_exec(
        str(IOM), *arguments, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    assert process.stderr is not None
    routes = Routes(store_env(pg_url), profiles=ProfileCatalogue(load_profiles()))
    try:
        ready = await asyncio.wait_for(logged(process.stderr, "worker ready"), 30)
        assert (ready["address"], ready["namespace"]) == (address(dev_server), "default")
        assert ready["task_queue"] == queue
        # The regions' calendars are in place, starting their workflows on the worker's queue.
        assert ready["schedules"] == len(expected_ids(routes.profiles))
        campaign = dev_server.client.get_schedule_handle(SAKHA_CAMPAIGN)
        assert (await campaign.describe()).schedule.action.task_queue == queue  # type: ignore[attr-defined]

        # A route opened on the worker's queue runs there: its workflow publishes its stage.
        gateway = RouteGateway(dev_server.client, routes, queue)
        opening = OpenRoute(
            route_key="portal-cli-1",
            region="chelyabinsk",
            teacher_id="teacher-1",
            school_id="school-1",
            municipality_id="mun-1",
            subject="физика",
        )
        receipt = await gateway.open(opening, Actor(id="head-1", role=Role.SCHOOL_HEAD), "open-1")
        handle = dev_server.client.get_workflow_handle(f"route-{receipt.route_id}")
        for _ in range(100):
            if (await handle.describe()).typed_search_attributes.get(STATUS) == "opened":
                break
            await asyncio.sleep(0.1)
        assert (await handle.describe()).typed_search_attributes.get(STATUS) == "opened"

        process.send_signal(signal.SIGTERM)
        assert await asyncio.wait_for(process.wait(), 30) == 0
        assert "worker stopped" in (await process.stderr.read()).decode()

        # No worker: a signal is taken by the server but has no outcome yet (exit 4).
        env = settings_env(dev_server, pg_url, queue)
        ask = ("ops", "pause", str(receipt.route_id), *SIGNED, "--wait", "0.5", "--json")
        pending = json.loads((await run_iom(env, *ask, code=4)).stdout)
        assert (pending["status"], pending["signal"]) == ("pending", "pause")
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
        routes.close()


async def logged(stream: asyncio.StreamReader, event: str) -> dict[str, Any]:
    """The first JSON log line of `event` on `stream`."""
    while line := await stream.readline():
        if line.startswith(b"{") and json.loads(line).get("event") == event:
            return dict(json.loads(line))
    raise AssertionError(f"the process ended before logging {event!r}")


def test_every_command_shows_an_example() -> None:
    commands = [["worker"]] + [["ops", str(c.name)] for c in ops.registered_commands]
    assert sorted(name for _, *rest in commands for name in rest) == [
        "cancel",
        "extend-deadline",
        "incidents",
        "migrate",
        "pause",
        "reassign-methodist",
        "replace-methodist",
        "resend-notice",
        "resume",
        "stuck",
        "unpause",
    ]
    for command in commands:
        result = runner.invoke(app, [*command, "--help"])
        assert result.exit_code == 0, result.output
        assert f"Пример: iom {' '.join(command)}" in result.output
        assert "Коды выхода:" in result.output


def test_unreachable_temporal_and_bad_durations(sqlite_url: str) -> None:
    env = {"IOM_DATABASE_URL": sqlite_url, "IOM_TEMPORAL_ADDRESS": f"127.0.0.1:{free_port()}"}
    for command in (["worker"], ["ops", "stuck", "--older-than", "36h"]):
        result = runner.invoke(app, command, env=env)
        assert result.exit_code == 3, result.output
        assert "IOM_TEMPORAL_ADDRESS" in result.output
    result = runner.invoke(app, ["ops", "stuck", "--older-than", "2 weeks"], env=env)
    assert result.exit_code == 2
    assert "14d, 36h, 90m" in result.output
