"""Operators' signals on the time-skipping server: a pause stops the route's clock and its
people, a resume fires what came due meanwhile; refusals — by the workflow's validator, by the
aggregate, of a malformed signal — are recorded with their rule."""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any
from uuid import UUID

import pytest
from structlog.testing import capture_logs

from aggregates.errors import DomainError, StageError
from aggregates.events import RoutePaused, RouteResumed
from aggregates.values import Role
from projections.refusals import query_refusals
from projections.tables import Filters
from projections.view import transaction_on
from tests.support.waiting import eventually
from tests.workflows.conftest import Stack
from tests.workflows.test_agreement import designed_route, notices, request

SIGNED = {"operator_id": "op-7", "reason": "Педагог на больничном", "ticket": "OPS-21"}


def refusals(stack: Stack, route_id: UUID) -> list[dict[str, Any]]:
    """The refused commands recorded for the route, the latest first."""
    datastore = getattr(stack.routes.recorder, "datastore")  # noqa: B009
    with transaction_on(datastore, commit=False) as db:
        return query_refusals(db, Filters(route_id=route_id), None)


def events_named(stack: Stack, route_id: UUID, name: str) -> list[Any]:
    return [e for e in stack.routes.history(route_id) if type(e).__name__ == name]


async def test_pause_holds_deadlines_and_people_until_resume(stack: Stack) -> None:
    demo, rid = await designed_route(stack, "sakha", 21)
    await eventually(lambda: len(notices(stack, rid)) == 2)
    await stack.gateway.signal(rid, "pause", SIGNED | {"command_id": "ops-pause"})
    await eventually(lambda: bool(events_named(stack, rid, "RoutePaused")))
    [paused] = events_named(stack, rid, "RoutePaused")
    assert isinstance(paused, RoutePaused)
    assert (paused.actor.id, paused.actor.role, paused.ticket) == ("op-7", Role.OPERATOR, "OPS-21")

    # Days pass: no reminder, no escalation while paused.
    await stack.env.sleep(timedelta(days=10))
    assert len(notices(stack, rid)) == 2
    # A person's command is refused by the workflow's validator, and the refusal is recorded.
    plan_hash = stack.routes.route(rid).plan_hash
    ask = request(demo, Role.METHODIST, "agree-while-paused", plan_hash=plan_hash)
    with pytest.raises(StageError) as refused:
        await stack.gateway.execute(rid, "agree_route", ask)
    assert refused.value.rule == "paused"
    [row] = refusals(stack, rid)
    assert (row["command"], row["rule"], row["actor_id"]) == ("agree_route", "paused", ask.actor_id)

    # Resumed: what came due during the pause fires at once, once.
    await stack.gateway.signal(rid, "resume", SIGNED | {"command_id": "ops-resume"})
    await eventually(lambda: len(notices(stack, rid)) == 6)
    assert isinstance(events_named(stack, rid, "RouteResumed")[0], RouteResumed)
    await stack.gateway.signal(rid, "resume", SIGNED | {"command_id": "ops-resume"})  # a retry
    await stack.gateway.signal(rid, "resume", SIGNED | {"command_id": "ops-resume-2"})  # refused
    await eventually(lambda: len(refusals(stack, rid)) == 2)
    assert refusals(stack, rid)[0]["rule"] == "content"
    assert len(events_named(stack, rid, "RouteResumed")) == 1


async def test_signals_without_a_command_id_are_each_applied(stack: Stack) -> None:
    _, rid = await designed_route(stack, "balakhta", 23)
    for name in ("pause", "resume", "pause"):  # the second pause is not a retry of the first
        await stack.gateway.signal(rid, name, SIGNED)
    await eventually(lambda: len(events_named(stack, rid, "RoutePaused")) == 2)
    assert len(events_named(stack, rid, "RouteResumed")) == 1


async def test_malformed_and_unknown_signals_are_refused_and_recorded(stack: Stack) -> None:
    _, rid = await designed_route(stack, "balakhta", 22)
    await stack.gateway.signal(rid, "pause", {"operator_id": "op-7", "command_id": "no-reason"})
    await stack.gateway.signal(rid, "reboot", SIGNED | {"command_id": "unknown"})
    unsigned = {"reason": "Сбой", "ticket": "OPS-1", "command_id": "unsigned"}
    await stack.gateway.signal(rid, "pause", unsigned)
    await stack.gateway.signal(rid, "pause", SIGNED | {"operator_id": "оператор 7"})
    handle = stack.env.client.get_workflow_handle(f"route-{rid}")
    await handle.signal("pause", "приостановить")  # not a JSON object
    await stack.gateway.signal(rid, "pause", SIGNED | {"command_id": "x" * 201})
    await stack.gateway.signal(
        rid, "cancel", SIGNED | {"command_id": "cancel", "reason": "Увольнение"}
    )
    assert await handle.result() == "cancelled"
    rows = {row["command_id"]: row for row in refusals(stack, rid)}
    assert (rows["no-reason"]["field"], rows["no-reason"]["rule"]) == ("reason", "content")
    assert (rows["unknown"]["field"], rows["unknown"]["command"]) == ("name", "reboot")
    assert (rows["unsigned"]["field"], rows["unsigned"]["message"]) == (
        "operator_id",
        "поле «operator_id»: обязательное поле",
    )
    unnamed = [row for key, row in rows.items() if key.startswith(f"route-{rid}/")]
    assert sorted(row["field"] for row in unnamed) == ["operator_id", "payload"]
    assert rows["x" * 200]["field"] == "command_id"  # recorded cut to the longest id
    assert len(rows) == 6
    [cancelled] = events_named(stack, rid, "RouteCancelled")
    assert (cancelled.reason, cancelled.ticket) == ("Увольнение", "OPS-21")


async def test_a_refused_command_logs_one_line_and_no_traceback(
    stack: Stack, caplog: pytest.LogCaptureFixture
) -> None:
    """A refusal is the engine working: one structured line, no traceback from the SDK."""
    demo, rid = await designed_route(stack, "sakha", 25)
    caplog.set_level(logging.INFO)
    stale = request(demo, Role.METHODIST, "sign-stale", plan_hash="0" * 64, comment="")
    with capture_logs() as lines, pytest.raises(DomainError) as refused:
        await stack.gateway.execute(rid, "agree_route", stale)
    assert refused.value.field == "plan_hash"
    assert [line["rule"] for line in lines if line["event"] == "command refused"] == [
        refused.value.rule
    ]
    assert [r.getMessage() for r in caplog.records if r.exc_info] == []
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING] == []
