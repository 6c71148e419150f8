"""Determinism: route workflow histories replay on the current workflow code.

A live history (an agreement round with its notices, updates, a refused update, escalations and
a signal) replays; so does a history recorded by an earlier version of the code and kept in
`histories/`. If a change to `workflows/route.py` breaks the stored one, running routes would
fail on the new worker: guard the change with `workflow.patched()` or let the routes take it at
their next continue-as-new — and record a new history with `IOM_RECORD_HISTORY=1`.
"""

from __future__ import annotations

import os
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
from workflows.route import RouteWorkflow

STORED = Path(__file__).parent / "histories" / "sakha-agreement.json"


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
    if os.environ.get("IOM_RECORD_HISTORY"):
        STORED.write_text(history.to_json())


async def test_a_recorded_history_replays_on_this_code() -> None:
    history = WorkflowHistory.from_json("route-recorded", STORED.read_text())
    await replayer().replay_workflow(history)
