"""A whole route on the Temporal dev server with PostgreSQL, driven only as its people and an
operator would: every step an update to the route's workflow, the operator's extension of an
activity's deadline a signal. The route leaves exactly the events the direct demo writes, plus
the operator's and the notices of the timers that came due meanwhile (the demo's terms lie in
the past); `iom demo --via-workflows` does the same from the command line, with a worker of its
own, and exits 3 when Temporal cannot be reached."""

from __future__ import annotations

import asyncio
import os
import random
import subprocess
import sys
import uuid
from datetime import date
from itertools import groupby
from pathlib import Path
from typing import Any
from uuid import UUID

from temporalio.testing import WorkflowEnvironment
from typer.testing import CliRunner

from aggregates.application import Routes
from aggregates.events import (
    ActivityOverdue,
    DeadlineExtended,
    NoticeSent,
    RouteApproved,
    RouteEvent,
)
from aggregates.profiles import ProfileCatalogue, Stage, load_profiles
from aggregates.values import Role
from runtime.settings import store_env
from tests.support.servers import free_port
from tests.workflows.conftest import Stack
from workers.cli import app
from workers.demo import DemoRoute
from workflows.contracts import workflow_id

IOM = Path(sys.executable).parent / "iom"
INDEX = 6  # an even route corrects its plan; one of every three marks an activity not done


def essence(event: RouteEvent) -> dict[str, Any]:
    """What an event says and who said it under which command, without when it was written, at
    which version, or in which workflow run."""
    written = ("timestamp", "originator_version", "causation_id")
    return {name: value for name, value in event.content().items() if name not in written}


def store(database_url: str) -> Routes:
    """The routes application on `database_url`."""
    return Routes(store_env(database_url), profiles=ProfileCatalogue(load_profiles()))


async def test_sakha_route_through_updates_and_signals(dev_stack: Stack) -> None:
    today = date.today()
    profile = dev_stack.routes.profiles.latest("sakha")
    live = DemoRoute(dev_stack.routes, profile, INDEX, random.Random(INDEX), today)

    route_id = await live.drive_through(dev_stack.gateway)

    handle = dev_stack.env.client.get_workflow_handle(workflow_id(route_id))
    assert await handle.result() == Stage.COMPLETED.value
    assert dev_stack.routes.route(route_id).stage is Stage.COMPLETED
    events = dev_stack.routes.history(route_id)
    # The operator's extension, applied before the next person's step (it waits on it).
    (extended,) = [e for e in events if e.actor.role is Role.OPERATOR]
    assert isinstance(extended, DeadlineExtended)
    assert (extended.deadline, extended.ticket) == ("activity:a1", f"OPS-{INDEX}")
    assert extended.command_id == live.command_id("extend-a1")
    # The timers that came due: the workflow's own notices and overdue marks.
    fired = [e for e in events if e.actor.role is Role.SYSTEM]
    assert {type(e) for e in fired} <= {NoticeSent, ActivityOverdue}
    assert all(e.command_id.startswith("timer:") for e in fired)
    # Everything else: the direct demo's events of the same route, with the operator's inserted.
    direct = store("sqlite:///:memory:")
    try:
        DemoRoute(direct, profile, INDEX, random.Random(INDEX), today).drive()
        expected = [essence(e) for e in direct.history(route_id)]
    finally:
        direct.close()
    approved = next(i for i, e in enumerate(expected) if e["type"] == RouteApproved.__name__)
    expected.insert(approved + 1, essence(extended))
    assert [essence(e) for e in events if e.actor.role is not Role.SYSTEM] == expected
    # Each command appended once, in one save: its events are one run.
    runs = [command_id for command_id, _ in groupby(e.command_id for e in events)]
    assert len(runs) == len(set(runs))


async def test_iom_demo_via_workflows(dev_server: WorkflowEnvironment, pg_url: str) -> None:
    env = os.environ | {
        "IOM_DATABASE_URL": pg_url,
        "IOM_TEMPORAL_ADDRESS": dev_server.client.service_client.config.target_host,
        "IOM_TASK_QUEUE": f"iom-demo-{uuid.uuid4().hex[:8]}",
        "IOM_LOG_FORMAT": "json",
    }
    arguments = ["demo", "--via-workflows", "--region", "balakhta", "--routes", "1"]
    process = await asyncio.create_subprocess_exec(
        str(IOM), *arguments, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    output, errors = await asyncio.wait_for(process.communicate(), 120)
    assert process.returncode == 0, errors.decode()
    (line,) = output.decode().splitlines()
    routes = store(pg_url)
    try:
        assert routes.route(UUID(line)).stage is Stage.COMPLETED
    finally:
        routes.close()


def test_iom_demo_via_workflows_without_temporal(sqlite_url: str) -> None:
    env = {"IOM_DATABASE_URL": sqlite_url, "IOM_TEMPORAL_ADDRESS": f"127.0.0.1:{free_port()}"}
    arguments = ["demo", "--via-workflows", "--region", "sakha"]
    result = CliRunner().invoke(app, arguments, env=env)
    assert result.exit_code == 3, result.output
    assert "IOM_TEMPORAL_ADDRESS" in result.output
    routes = store(sqlite_url)
    try:
        assert list(routes.route_ids()) == []
    finally:
        routes.close()
