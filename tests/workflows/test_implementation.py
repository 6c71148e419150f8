"""Implementation on Temporal: each activity's reminder, its overdue mark and the notice to the
methodist and the deputy head; the term's end; a correction's re-agreement; one event per
command however often it is sent; a return that starts a new round; continue-as-new."""

from __future__ import annotations

import asyncio
import random
from datetime import date, timedelta
from uuid import UUID

import pytest

from aggregates.commands import AgreeRoute, DesignRoute, SubmitRoute
from aggregates.commands.base import add_months
from aggregates.errors import CommandReuseError
from aggregates.events import ActivityCompleted, ActivityOverdue, NoticeSent, RouteSubmitted
from aggregates.profiles import Stage
from aggregates.values import Role
from tests.support.waiting import eventually
from tests.workflows.conftest import Stack
from tests.workflows.test_agreement import designed_route, notices, request
from workers.demo import DemoRoute


async def approved_route(stack: Stack, region: str, index: int, starts: date) -> DemoRoute:
    """A route of `region` designed from `starts` for six months and agreed by every party,
    written to the store before its workflow starts (the workflow takes over from the store)."""
    profile = stack.routes.profiles.latest(region)
    demo = DemoRoute(stack.routes, profile, index, random.Random(index), await stack.today())
    demo.drive(until=Stage.DESIGN)
    ends = add_months(starts, max(6, profile.term_min_months)) - timedelta(days=1)
    designer = profile.designers[0]
    demo.run(DesignRoute(plan=demo.plan(starts, ends)), designer, "design")
    demo.run(SubmitRoute(), designer, "submit")
    plan_hash = stack.routes.route(route_id(demo)).plan_hash or ""
    for step in profile.agreement:
        demo.run(AgreeRoute(plan_hash=plan_hash), step.role, f"agree-{step.role}")
    return demo


def route_id(demo: DemoRoute) -> UUID:
    """The id of a demo route."""
    return demo.route_id


async def test_activities_reminded_then_marked_overdue_with_notice(stack: Stack) -> None:
    today = await stack.today()
    demo = await approved_route(stack, "sakha", 11, today + timedelta(days=10))
    rid = route_id(demo)
    assert stack.routes.route(rid).stage is Stage.IMPLEMENTATION
    await stack.gateway.start(rid)
    plan = stack.routes.route(rid).plan
    assert plan is not None
    first, second = plan.activities[0], plan.activities[1]

    # Three days before the first activity's end the teacher is reminded.
    await stack.env.sleep(first.ends_on - today - timedelta(days=2))
    await eventually(lambda: ("activity_reminder", [Role.TEACHER]) in notices(stack, rid))
    assert not any(isinstance(e, ActivityOverdue) for e in stack.routes.history(rid))

    # The teacher marks the first one done in time (through the workflow); the second is left.
    payload = {
        "activity_id": first.id,
        "completed_on": (await stack.today()).isoformat(),
        "result": "Освоены приёмы формирующего оценивания",
        "product": first.result_form,
    }
    await stack.gateway.execute(
        rid, "complete_activity", request(demo, Role.TEACHER, "done-1", **payload)
    )
    await stack.env.sleep(second.ends_on - await stack.today() + timedelta(days=2))
    await eventually(
        lambda: ("activity_overdue", [Role.METHODIST, Role.DEPUTY_HEAD]) in notices(stack, rid)
    )

    history = stack.routes.history(rid)
    overdue = [e for e in history if isinstance(e, ActivityOverdue)]
    assert [e.activity_id for e in overdue] == [second.id]
    assert overdue[0].actor.role is Role.SYSTEM
    assert overdue[0].due_on == second.ends_on
    # The overdue mark and its notice were appended together, once.
    index = history.index(overdue[0])
    notice = history[index + 1]
    assert isinstance(notice, NoticeSent)
    assert notice.kind == "activity_overdue"
    assert stack.routes.route(rid).activities[second.id].overdue
    assert sum(isinstance(e, ActivityCompleted) for e in history) == 1


async def test_term_end_asks_for_the_final_stage(stack: Stack) -> None:
    today = await stack.today()
    demo = await approved_route(stack, "sovetsky", 12, today + timedelta(days=1))
    rid = route_id(demo)
    await stack.gateway.start(rid)
    ends = stack.routes.route(rid).plan.ends_on  # type: ignore[union-attr]
    await stack.env.sleep(ends - today + timedelta(days=2))
    await eventually(
        lambda: ("term_ended", [Role.METHODIST, Role.DEPUTY_HEAD]) in notices(stack, rid)
    )
    kinds = [kind for kind, _ in notices(stack, rid)]
    assert kinds.index("final_requested") < kinds.index("term_ended")
    # Every activity ended unmarked before the term did: each is overdue, notified once.
    plan = stack.routes.route(rid).plan
    assert plan is not None
    assert kinds.count("activity_overdue") == len(plan.activities)
    assert kinds.count("activity_reminder") == len(plan.activities)


async def test_correction_asks_only_the_parties_that_must_reagree(stack: Stack) -> None:
    today = await stack.today()
    demo = await approved_route(stack, "balakhta", 13, today - timedelta(days=5))
    rid = route_id(demo)
    await stack.gateway.start(rid)
    route = stack.routes.route(rid)
    assert route.plan is not None
    plan = route.plan.model_copy(update={"tasks": [*route.plan.tasks, "Подготовить публикацию"]})
    payload = {
        "corrected_on": today.isoformat(),
        "reason": "Добавлена задача по итогам промежуточного мониторинга",
        "plan": plan.model_dump(mode="json"),
    }
    await stack.gateway.execute(
        rid, "correct_route", request(demo, Role.METHODIST, "correct", **payload)
    )
    # Balakhta: only the МО head re-agrees a correction.
    await eventually(lambda: ("correction_requested", [Role.MO_HEAD]) in notices(stack, rid))
    corrected = stack.routes.route(rid).corrections[0].plan_hash
    agree = request(demo, Role.MO_HEAD, "c-agree", number=1, plan_hash=corrected)
    await stack.gateway.execute(rid, "agree_correction", agree)
    assert stack.routes.route(rid).corrections[0].awaiting == []
    await stack.env.sleep(timedelta(days=30))
    assert not any(
        kind.startswith("correction_") and kind != "correction_requested"
        for kind, _ in notices(stack, rid)
    )


async def test_a_command_sent_twice_appends_once(stack: Stack) -> None:
    demo, rid = await designed_route(stack, "chelyabinsk", 14)
    plan_hash = stack.routes.route(rid).plan_hash
    step = stack.routes.profiles.latest("chelyabinsk").agreement[0]
    ask = request(demo, step.role, "agree-twice", plan_hash=plan_hash)
    before = stack.routes.route(rid).version
    first, second = await asyncio.gather(
        stack.gateway.execute(rid, "agree_route", ask),
        stack.gateway.execute(rid, "agree_route", ask),
    )
    third = await stack.gateway.execute(rid, "agree_route", ask)
    assert first == second == third
    events = stack.routes.history(rid)[before:]
    appended = [type(e).__name__ for e in events if e.command_id == ask.command_id]
    assert appended.count("AgreementGiven") == 1
    changed = ask.model_copy(update={"payload": {"plan_hash": plan_hash, "comment": "другое"}})
    with pytest.raises(CommandReuseError):
        await stack.gateway.execute(rid, "agree_route", changed)


async def test_a_return_starts_a_new_round(stack: Stack) -> None:
    demo, rid = await designed_route(stack, "sakha", 15)
    await stack.gateway.execute(
        rid, "return_route", request(demo, Role.TEACHER, "return", comments="Уточните сроки курсов")
    )
    await eventually(
        lambda: ("route_returned", [Role.METHODIST, Role.TEACHER]) in notices(stack, rid)
    )
    route = stack.routes.route(rid)
    assert route.stage is Stage.DESIGN
    plan = route.plan.model_copy(update={"request": "Запрос уточнён по замечаниям"})  # type: ignore[union-attr]
    await stack.gateway.execute(
        rid,
        "design_route",
        request(demo, Role.METHODIST, "redesign", plan=plan.model_dump(mode="json")),
    )
    await stack.gateway.execute(rid, "submit_route", request(demo, Role.METHODIST, "resubmit"))

    def keys() -> list[str]:
        return [e.key for e in stack.routes.history(rid) if isinstance(e, NoticeSent)]

    await eventually(lambda: {"a2:methodist:requested", "a2:teacher:requested"} <= set(keys()))
    assert sum(isinstance(e, RouteSubmitted) for e in stack.routes.history(rid)) == 2


async def test_continues_as_new_and_carries_on(stack: Stack) -> None:
    today = await stack.today()
    demo = await approved_route(stack, "algorithm", 16, today + timedelta(days=10))
    rid = route_id(demo)
    await stack.gateway.start(rid, continue_after=20)
    handle = stack.env.client.get_workflow_handle(f"route-{rid}")
    first_run = (await handle.describe()).run_id
    await stack.env.sleep(timedelta(days=60))
    await eventually(lambda: len(notices(stack, rid)) >= 3)
    assert (await handle.describe()).run_id != first_run
    keys = [e.key for e in stack.routes.history(rid) if isinstance(e, NoticeSent)]
    assert len(keys) == len(set(keys))
