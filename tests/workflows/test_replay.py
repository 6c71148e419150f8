"""Determinism: route workflow histories replay on the current workflow code.

Live histories replay: an agreement round with its notices, updates, a refused update,
escalations and a signal; and a whole route of each region driven to completion through its
workflow. So do the histories recorded by earlier versions of the code and kept in
`tests/replay/`. If a change to `workflows/route.py` breaks a stored one, running routes would
fail on the new worker: guard the change with `workflow.patched()` or let the routes take it at
their next continue-as-new — and record new histories with `IOM_RECORD_HISTORY=1`.

Two generations are kept: `<name>.json`, recorded when a person's command ran as an activity
task, and `<name>-local.json`, recorded since it runs as a local activity (the patch
`command-as-local-activity`): the first prove that runs begun before the patch go on.
"""

from __future__ import annotations

import os
import random
from datetime import timedelta
from pathlib import Path

import pytest
from temporalio.client import WorkflowHistory
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.worker import Replayer

from aggregates.errors import RoleError
from aggregates.values import Role
from tests.support.waiting import eventually
from tests.workflows.conftest import Stack
from tests.workflows.test_agreement import designed_route, notices, request
from workers.demo import DemoRoute
from workflows.route import RouteWorkflow

RECORDED = Path(__file__).parents[1] / "replay"
REGIONS = ["sakha", "balakhta", "sovetsky", "chelyabinsk", "algorithm"]
NAMES = ["sakha-agreement", *(f"{region}-finished" for region in REGIONS)]
GENERATION = "local"
"""The suffix of the histories this code records: a person's command as a local activity."""


def replayer() -> Replayer:
    return Replayer(workflows=[RouteWorkflow], data_converter=pydantic_data_converter)


async def test_a_live_history_replays(stack: Stack) -> None:
    demo, rid = await designed_route(stack, "sakha", 31)
    await stack.env.sleep(timedelta(days=7))
    await eventually(lambda: len(notices(stack, rid)) == 6)
    plan_hash = stack.routes.route(rid).plan_hash
    with pytest.raises(RoleError):
        await stack.gateway.execute(
            rid, "agree_route", request(demo, Role.SCHOOL_HEAD, "early", plan_hash=plan_hash)
        )
    await stack.gateway.execute(
        rid, "agree_route", request(demo, Role.METHODIST, "agree", plan_hash=plan_hash)
    )
    await stack.gateway.signal(
        rid, "pause", {"operator_id": "op-1", "reason": "Проверка", "ticket": "OPS-1"}
    )
    await eventually(lambda: stack.routes.route(rid).paused)
    history = await stack.env.client.get_workflow_handle(f"route-{rid}").fetch_history()
    await replayer().replay_workflow(history)
    record(history, "sakha-agreement")


@pytest.mark.parametrize("region", REGIONS)
async def test_a_finished_route_replays(stack: Stack, region: str) -> None:
    profile = stack.routes.profiles.latest(region)
    demo = DemoRoute(stack.routes, profile, 32, random.Random(32), await stack.today())
    route_id = await demo.drive_through(stack.gateway)
    handle = stack.env.client.get_workflow_handle(f"route-{route_id}")
    assert await handle.result() == "completed"
    history = await handle.fetch_history()
    await replayer().replay_workflow(history)
    record(history, f"{region}-finished")


async def test_the_recorded_histories_replay_on_this_code() -> None:
    files = sorted(RECORDED.glob("*.json"))
    assert sorted(f.stem for f in files) == sorted(
        NAMES + [f"{name}-{GENERATION}" for name in NAMES]
    )
    for file in files:  # each raises on a nondeterministic command
        await replayer().replay_workflow(
            WorkflowHistory.from_json(f"route-{file.stem}", file.read_text())
        )


async def test_each_generation_takes_commands_its_own_way() -> None:
    """The older histories ran every command as an activity task; the newer as a local
    activity, none as an activity task (so both ways are replayed above)."""
    for name in NAMES:
        for stem, local in ((name, False), (f"{name}-{GENERATION}", True)):
            events = WorkflowHistory.from_json(stem, (RECORDED / f"{stem}.json").read_text()).events
            markers = [
                e.marker_recorded_event_attributes.marker_name
                for e in events
                if e.HasField("marker_recorded_event_attributes")
            ]
            activities = [
                e.activity_task_scheduled_event_attributes.activity_type.name
                for e in events
                if e.HasField("activity_task_scheduled_event_attributes")
            ]
            assert ("execute_command" in activities) is not local, stem
            assert ("core_local_activity" in markers) is local, stem


def record(history: WorkflowHistory, name: str) -> None:
    """Keep `history` as `tests/replay/<name>-local.json` when asked to (`IOM_RECORD_HISTORY=1`);
    the histories of earlier generations stay as they are."""
    if os.environ.get("IOM_RECORD_HISTORY"):
        (RECORDED / f"{name}-{GENERATION}.json").write_text(history.to_json())
