"""Deadlines and notices derived from the route alone, and the operators' commands that move
them: what a route's workflow fires, when, to whom, once."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from uuid import UUID

import pytest

from aggregates.application import Routes
from aggregates.commands import (
    AgreeRoute,
    CancelRoute,
    DesignRoute,
    ExtendDeadline,
    PauseRoute,
    ResendNotice,
    ResumeRoute,
    SendNotice,
    SubmitRoute,
)
from aggregates.commands.base import add_months
from aggregates.deadlines import deadlines, timers, waiting
from aggregates.errors import InvalidCommandError, RoleError, StageError
from aggregates.events import NoticeSent
from aggregates.profiles import Stage
from aggregates.values import Actor, Role
from tests.unit.conftest import Clock
from workers.demo import DemoRoute

SYSTEM = Actor(id="route-workflow", role=Role.SYSTEM)
OPERATOR = Actor(id="op-1", role=Role.OPERATOR)
SIGNED = {"reason": "Обращение педагога в поддержку", "ticket": "OPS-12"}


def submitted(app: Routes, clock: Clock, region: str = "sakha") -> tuple[DemoRoute, UUID]:
    """A route of `region` designed for a year from next month and submitted now."""
    profile = app.profiles.latest(region)
    demo = DemoRoute(app, profile, 1, random.Random(1), clock.now.date())
    demo.drive(until=Stage.DESIGN)
    starts = clock.now.date() + timedelta(days=30)
    plan = demo.plan(starts, add_months(starts, 12) - timedelta(days=1))
    demo.run(DesignRoute(plan=plan), profile.designers[0], "design")
    demo.run(SubmitRoute(), profile.designers[0], "submit")
    return demo, demo.route_id


def send(app: Routes, route_id: UUID, key: str) -> None:
    app.execute(route_id, SendNotice(key=key), SYSTEM, f"timer:{key}")


def test_agreement_timers_follow_the_profile_in_the_region_calendar(
    app: Routes, clock: Clock
) -> None:
    _, route_id = submitted(app, clock)
    route = app.route(route_id)
    # Sakha round 1: methodist and teacher, 5 days, reminded 2 days before, then the centre head.
    found = {t.key: t for t in timers(route)}
    assert set(found) == {
        f"a1:{role}:{step}"
        for role in ("methodist", "teacher")
        for step in ("requested", "reminder:20260620", "escalated:20260620")
    }
    requested = found["a1:methodist:requested"]
    assert requested.at == clock.now and requested.recipients == [Role.METHODIST]
    # 09:00 in Yakutsk (UTC+9) two days before the 20th; the first moment of the 21st there.
    assert found["a1:teacher:reminder:20260620"].at == datetime(2026, 6, 18, 0, 0, tzinfo=UTC)
    escalated = found["a1:teacher:escalated:20260620"]
    assert escalated.at == datetime(2026, 6, 20, 15, 0, tzinfo=UTC)
    assert escalated.recipients == [Role.CENTRE_HEAD, Role.TEACHER]
    assert waiting(route, clock.now) == ([Role.METHODIST, Role.TEACHER], clock.now)


def test_a_notice_is_sent_once_and_only_when_due(app: Routes, clock: Clock) -> None:
    _, route_id = submitted(app, clock)
    with pytest.raises(InvalidCommandError, match="срок уведомления наступит"):
        send(app, route_id, "a1:teacher:reminder:20260620")
    send(app, route_id, "a1:teacher:requested")
    send(app, route_id, "a1:teacher:requested")  # the same timer again: a replay, no event
    assert sum(isinstance(e, NoticeSent) for e in app.history(route_id)) == 1
    with pytest.raises(InvalidCommandError, match="не ожидается или уже направлено"):
        app.execute(route_id, SendNotice(key="a1:teacher:requested"), SYSTEM, "another-id")
    assert "a1:teacher:requested" not in {t.key for t in timers(app.route(route_id))}
    with pytest.raises(RoleError):
        app.execute(route_id, SendNotice(key="a1:methodist:requested"), OPERATOR, "by-hand")


def test_extension_moves_the_deadline_and_its_timers(app: Routes, clock: Clock) -> None:
    _, route_id = submitted(app, clock)
    day = clock.now.date()
    with pytest.raises(InvalidCommandError, match="нет открытого срока") as unknown:
        app.execute(
            route_id, ExtendDeadline(deadline="activity:a1", until=day, **SIGNED), OPERATOR, "x1"
        )
    assert unknown.value.field == "deadline"
    extend = ExtendDeadline(deadline="agreement:teacher", until=day, **SIGNED)
    with pytest.raises(InvalidCommandError) as earlier:
        app.execute(route_id, extend, OPERATOR, "x2")
    assert earlier.value.field == "until"
    later = day + timedelta(days=15)
    extend = ExtendDeadline(deadline="agreement:teacher", until=later, **SIGNED)
    app.execute(route_id, extend, OPERATOR, "x3")
    route = app.route(route_id)
    due = {d.key: d.due_on for d in deadlines(route)}
    assert due["agreement:teacher"] == later
    assert due["agreement:methodist"] == day + timedelta(days=5)
    assert f"a1:teacher:escalated:{later:%Y%m%d}" in {t.key for t in timers(route)}


def test_pause_stops_timers_and_people_until_resumed(app: Routes, clock: Clock) -> None:
    demo, route_id = submitted(app, clock)
    with pytest.raises(RoleError):
        app.execute(route_id, PauseRoute(**SIGNED), demo.actor(Role.CENTRE_HEAD), "p0")
    app.execute(route_id, PauseRoute(**SIGNED), OPERATOR, "p1")
    route = app.route(route_id)
    assert route.paused and timers(route) == []
    with pytest.raises(InvalidCommandError, match="уже приостановлен"):
        app.execute(route_id, PauseRoute(**SIGNED), OPERATOR, "p2")
    plan_hash = route.plan_hash or ""
    with pytest.raises(StageError) as paused:
        demo.run(AgreeRoute(plan_hash=plan_hash), Role.METHODIST, "agree-paused")
    assert paused.value.rule == "paused"
    app.execute(route_id, ResumeRoute(**SIGNED), OPERATOR, "r1")
    with pytest.raises(InvalidCommandError, match="не приостановлен"):
        app.execute(route_id, ResumeRoute(**SIGNED), OPERATOR, "r2")
    demo.run(AgreeRoute(plan_hash=plan_hash), Role.METHODIST, "agree-resumed")
    assert timers(app.route(route_id))


def test_resend_repeats_a_sent_notice_with_the_ticket(app: Routes, clock: Clock) -> None:
    _, route_id = submitted(app, clock)
    with pytest.raises(InvalidCommandError, match="не направлялось"):
        app.execute(route_id, ResendNotice(key="a1:teacher:requested", **SIGNED), OPERATOR, "s0")
    send(app, route_id, "a1:teacher:requested")
    first = app.history(route_id)[-1]
    clock.advance(timedelta(hours=2))
    app.execute(route_id, ResendNotice(key="a1:teacher:requested", **SIGNED), OPERATOR, "s1")
    resent = app.history(route_id)[-1]
    assert isinstance(resent, NoticeSent) and resent.resent
    assert (resent.kind, resent.recipients, resent.ticket) == (
        "agreement_requested",
        [Role.TEACHER],
        "OPS-12",
    )
    # The first sending stays the one the route keeps; the re-sending is on the record beside it.
    assert app.route(route_id).notices["a1:teacher:requested"].at == first.timestamp
    assert resent.timestamp > first.timestamp


def test_an_operator_cancels_under_a_ticket_and_the_route_has_no_deadlines(
    app: Routes, clock: Clock
) -> None:
    _, route_id = submitted(app, clock)
    with pytest.raises(InvalidCommandError) as no_ticket:
        app.execute(route_id, CancelRoute(reason="Педагог уволился"), OPERATOR, "c0")
    assert no_ticket.value.field == "ticket"
    app.execute(route_id, CancelRoute(reason="Педагог уволился", ticket="OPS-13"), OPERATOR, "c1")
    route = app.route(route_id)
    assert route.closed and deadlines(route) == [] and timers(route) == []


def test_a_prolonged_route_gets_the_new_terms_deadlines(app: Routes, clock: Clock) -> None:
    profile = app.profiles.latest("sakha")
    demo = DemoRoute(app, profile, 3, random.Random(3), clock.now.date())
    route_id = demo.drive(until=Stage.FINAL)
    first_end = app.route(route_id).plan.ends_on  # type: ignore[union-attr]
    assert first_end < clock.now.date()
    prolonged = add_months(first_end, 6)
    demo.conclude(first_end, prolonged_until=prolonged)
    route = app.route(route_id)
    assert (route.stage, route.term) == (Stage.IMPLEMENTATION, 2)
    keys = {t.key for t in timers(route)}
    assert f"t2:{prolonged:%Y%m%d}:final_requested" in keys
    assert f"t2:{prolonged:%Y%m%d}:term_ended" in keys
    assert not any(key.startswith("t1:") for key in keys)
    assert {d.key for d in deadlines(route)} == {"conclusions"}
