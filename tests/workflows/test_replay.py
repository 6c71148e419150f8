"""Determinism: route workflow histories replay on the current workflow code.

Live histories replay: an agreement round with its notices, updates, a refused update,
escalations and a signal; and a whole route of each region driven to completion through its
workflow. So do the histories recorded by earlier versions of the code and kept in
`tests/replay/`. If a change to `workflows/route.py` breaks a stored one, running routes would
fail on the new worker: guard the change with `workflow.patched()` or let the routes take it at
their next continue-as-new — and record new histories with `IOM_RECORD_HISTORY=1`.

Three generations are kept: `<name>.json`, recorded when a person's command ran as an activity
task; `<name>-local.json`, recorded once it ran as a local activity (the patch
`command-as-local-activity`); `<name>-quiet.json`, recorded since a new view wakes the main loop
only when what it waits on changed (the patch `loop-wakes-on-its-own-inputs`). The older prove
that runs begun before each patch go on.
"""

from __future__ import annotations

import itertools
import json
import os
import random
from datetime import timedelta
from pathlib import Path

import pytest
from temporalio.client import WorkflowHistory
from temporalio.common import RawValue
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.worker import Replayer

from aggregates.errors import RoleError
from aggregates.values import Role
from tests.support.waiting import eventually
from tests.workflows.conftest import Stack
from tests.workflows.test_agreement import designed_route, notices, request
from workers.demo import DemoRoute
from workers.temporal import sandbox
from workflows.contracts import CommandInput, Refusal
from workflows.route import QUIET_LOOP, RouteWorkflow

RECORDED = Path(__file__).parents[1] / "replay"
REGIONS = ["sakha", "balakhta", "sovetsky", "chelyabinsk", "algorithm"]
NAMES = ["sakha-agreement", *(f"{region}-finished" for region in REGIONS)]
GENERATIONS = ("", "-local", "-quiet")
"""The suffixes of the recorded histories, oldest first; this code records the last."""
LATER = ["sakha-migrated", "sakha-undecoded"]
"""Histories recorded in the newest generation only: a route moved to a new edition of its
regulation (`tests/workflows/test_migration.py`); a command its workflow accepted as it was sent
and its activity refused (a missing field), recorded before the workflow decoded commands."""


def replayer() -> Replayer:
    """A replayer of the route's workflow in the worker's own sandbox (`workers.temporal`)."""
    return Replayer(
        workflows=[RouteWorkflow], workflow_runner=sandbox(), data_converter=pydantic_data_converter
    )


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
        [name + generation for name in NAMES for generation in GENERATIONS]
        + [name + GENERATIONS[-1] for name in LATER]
    )
    for file in files:  # each raises on a nondeterministic command
        await replayer().replay_workflow(
            WorkflowHistory.from_json(f"route-{file.stem}", file.read_text())
        )


async def test_each_generation_takes_commands_its_own_way() -> None:
    """The oldest histories ran every command as an activity task; the newer as a local
    activity, none as an activity task; the newest woke the main loop only for what it waits
    on (so every way is replayed above)."""
    for name, generation in itertools.product(NAMES, GENERATIONS):
        stem, local, quiet = name + generation, generation != "", generation == "-quiet"
        events = WorkflowHistory.from_json(stem, (RECORDED / f"{stem}.json").read_text()).events
        markers = [
            e.marker_recorded_event_attributes
            for e in events
            if e.HasField("marker_recorded_event_attributes")
        ]
        patches = {
            json.loads(marker.details["patch-data"].payloads[0].data)["id"]
            for marker in markers
            if marker.marker_name == "core_patch"
        }
        activities = [
            e.activity_task_scheduled_event_attributes.activity_type.name
            for e in events
            if e.HasField("activity_task_scheduled_event_attributes")
        ]
        assert ("execute_command" in activities) is not local, stem
        assert any(m.marker_name == "core_local_activity" for m in markers) is local, stem
        assert (QUIET_LOOP in patches) is quiet, stem


async def test_an_update_accepted_undecoded_replays_through_its_activity() -> None:
    """Workers before the typed command accepted an update whose fields the activity refused:
    this code's validator would refuse it (its decode names the field), so the update's handler,
    replaying it, schedules the activity as it was (whose answer, the refusal, is in the
    history); the replay above shows it deterministic."""
    stem = "sakha-undecoded-quiet"
    events = WorkflowHistory.from_json(stem, (RECORDED / f"{stem}.json").read_text()).events
    updates = [
        e.workflow_execution_update_accepted_event_attributes.accepted_request
        for e in events
        if e.HasField("workflow_execution_update_accepted_event_attributes")
    ]
    converter = pydantic_data_converter.payload_converter
    decoded = [
        CommandInput.of_update(
            u.input.name,
            [RawValue(p) for p in u.input.args.payloads],
            converter,
        )
        for u in updates
    ]
    refused = [d for d in decoded if isinstance(d, Refusal)]
    assert [(r.kind, r.field) for r in refused] == [("invalid", "plan_hash")]


def record(history: WorkflowHistory, name: str) -> None:
    """Keep `history` as `tests/replay/<name><newest generation>.json` when asked to
    (`IOM_RECORD_HISTORY=1`); the histories of earlier generations stay as they are."""
    if os.environ.get("IOM_RECORD_HISTORY"):
        (RECORDED / f"{name}{GENERATIONS[-1]}.json").write_text(history.to_json())
