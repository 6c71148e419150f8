"""Acting за руководителя: a deputy acts in a school head's or centre head's place by order for a
period; the act is recorded with the order on its event and said in the audit line, refused
outside the period, and the deputy still keeps the route's separation of duties."""

from __future__ import annotations

from datetime import timedelta

import pytest

from aggregates.application import Routes
from aggregates.audit import verify_route
from aggregates.commands import AgreeRoute, RecordInterimResult
from aggregates.errors import (
    CommandReuseError,
    InvalidCommandError,
    RoleError,
    SeparationOfDutiesError,
)
from aggregates.events import AgreementGiven
from aggregates.profiles import Stage
from aggregates.profiles.duties import Place
from aggregates.summaries import describe
from aggregates.values import Acting, Actor, Role
from tests.unit.test_route_rules import Scene, scene_at

DEPUTY = Actor(id="deputy-director-cnppm", role=Role.CENTRE_HEAD)


def order(s: Scene, starts: int = -10, ends: int = 20, head: str | None = None) -> Acting:
    """The centre head's order: the deputy acts for them from `starts` to `ends` days from today."""
    today = s.today()
    return Acting(
        head_id=head or s.actor(Role.CENTRE_HEAD).id,
        order="Приказ ЦНППМ № 41-к от 01.06.2026",
        starts_on=today + timedelta(days=starts),
        ends_on=today + timedelta(days=ends),
    )


def at_centre_heads_turn(app: Routes) -> Scene:
    """A Sakha route whose round 1 has signed: the centre head agrees next."""
    s = scene_at(app, "sakha", Stage.AGREEMENT)
    for role in (Role.METHODIST, Role.TEACHER):
        s.run(AgreeRoute(plan_hash=s.route.plan_hash or ""), role)
    assert s.route.pending_parties() == [Role.CENTRE_HEAD]
    return s


def act(s: Scene, actor: Actor, acting: Acting, command_id: str = "acting-1") -> None:
    agree = AgreeRoute(plan_hash=s.route.plan_hash or "")
    s.app.execute(s.route_id, agree, actor, command_id, acting=acting)


def test_within_its_period_the_deputy_acts_and_the_event_says_for_whom(app: Routes) -> None:
    s = at_centre_heads_turn(app)
    acting = order(s)
    act(s, DEPUTY, acting)
    event = app.history(s.route_id)[-1]
    assert isinstance(event, AgreementGiven) and event.role is Role.CENTRE_HEAD
    assert event.actor == DEPUTY
    assert event.acting_for == acting
    line = describe(event, s.profile)
    assert f"за руководителя {acting.head_id}, приказ «{acting.order}»" in line
    assert DEPUTY.id in s.route.holders[Place.CENTRE_HEAD]
    assert s.route.pending_parties() == [Role.SCHOOL_HEAD]
    assert verify_route(app, s.route_id).intact  # events with and without it chain alike
    # The same command id again: the same answer; with another order, a reuse.
    act(s, DEPUTY, acting)
    assert len(app.history(s.route_id)) == event.originator_version
    with pytest.raises(CommandReuseError):
        act(s, DEPUTY, acting.model_copy(update={"order": "Приказ № 42"}))


@pytest.mark.parametrize(("starts", "ends"), [(-30, -1), (1, 30)], ids=["ended", "not-begun"])
def test_outside_its_period_the_deputy_is_refused(app: Routes, starts: int, ends: int) -> None:
    s = at_centre_heads_turn(app)
    version = s.route.version
    with pytest.raises(RoleError) as refused:
        act(s, DEPUTY, order(s, starts, ends))
    assert (refused.value.rule, refused.value.field) == ("acting_period", "acting_for")
    assert "действуют с" in refused.value.message and "Приказ ЦНППМ № 41-к" in refused.value.message
    assert s.route.version == version


def test_the_orders_first_and_last_days_count_in_the_region(app: Routes) -> None:
    """Both ends of the period are days in the route's region (Yakutsk), both included."""
    s = at_centre_heads_turn(app)
    act(s, DEPUTY, order(s, 0, 0))
    assert s.route.pending_parties() == [Role.SCHOOL_HEAD]


def test_the_deputy_keeps_the_separation_of_duties(app: Routes) -> None:
    """The route's methodist cannot act as the centre head, not even by an order."""
    s = at_centre_heads_turn(app)
    methodist_as_head = Actor(id=s.actor(Role.METHODIST).id, role=Role.CENTRE_HEAD)
    with pytest.raises(SeparationOfDutiesError) as refused:
        act(s, methodist_as_head, order(s))
    assert "ИОМ 3.4" in refused.value.message


def test_only_a_head_is_acted_for_and_never_by_themself(app: Routes) -> None:
    s = at_centre_heads_turn(app)
    with pytest.raises(InvalidCommandError) as themself:
        act(s, s.actor(Role.CENTRE_HEAD), order(s))
    assert themself.value.field == "acting_for.head_id"
    s.run(AgreeRoute(plan_hash=s.route.plan_hash or ""), Role.CENTRE_HEAD)
    s.run(AgreeRoute(plan_hash=s.route.plan_hash or ""), Role.SCHOOL_HEAD)
    assert s.route.stage is Stage.IMPLEMENTATION
    interim = RecordInterimResult(recorded_on=s.today(), text="Посещены уроки")
    with pytest.raises(RoleError) as not_a_head:
        s.app.execute(s.route_id, interim, s.actor(Role.METHODIST), "x", acting=order(s))
    assert not_a_head.value.rule == "acting_role"
