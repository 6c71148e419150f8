"""What the store already holds loads as written, though the edge now refuses it; dates lie
within a plausible window: of the calendar (the type) and of the route's term (its rules)
(issue 23, defects 1 and 12)."""

from __future__ import annotations

import random
from datetime import date, timedelta
from typing import Any
from uuid import UUID

import pytest
from pydantic import ValidationError

from aggregates.application import Routes
from aggregates.commands import (
    DesignRoute,
    ExtendDeadline,
    RecordInterimResult,
)
from aggregates.commands.base import add_months, earliest_day
from aggregates.errors import InvalidCommandError
from aggregates.events import InterimResultRecorded, RouteDesigned
from aggregates.persistence import RouteSnapshot
from aggregates.profiles import Stage
from aggregates.values import Diagnostic, Plan, Role, as_stored, checking
from projections.feed import read_event
from tests.unit.conftest import Clock
from workers.demo import DemoRoute

NUL_TEXT = "до\x00после"


def demo(app: Routes, clock: Clock, until: Stage, index: int = 1) -> tuple[DemoRoute, UUID]:
    """A Sakha demo route driven up to `until`."""
    profile = app.profiles.latest("sakha")
    route = DemoRoute(app, profile, index, random.Random(index), clock.now.date())
    return route, route.drive(until=until)


def demo_term(route: DemoRoute) -> tuple[date, date]:
    """The term the demo designs (as `DemoRoute.steps` draws it)."""
    months = max(route.profile.term_min_months, 12)
    starts_on = add_months(route.today, -(months + 1)).replace(day=1)
    return starts_on, add_months(starts_on, months) - timedelta(days=1)


def test_events_written_before_the_rule_still_load(app: Routes, clock: Clock) -> None:
    """The old path accepted NUL: such events decode from the store, in the route's
    history, the projections' feed and a snapshot, as they were written."""
    route, route_id = demo(app, clock, Stage.DESIGN)
    starts_on, ends_on = demo_term(route)
    plan = route.plan(starts_on, ends_on).model_copy(update={"topic": NUL_TEXT})
    route.run(DesignRoute(plan=plan), Role.METHODIST, "design-old")
    _, other_id = demo(app, clock, Stage.IMPLEMENTATION, index=2)
    # The command as the old code took it: no rule on text.
    interim = RecordInterimResult.model_construct(recorded_on=clock.now.date(), text=NUL_TEXT)
    methodist = DemoRoute(app, route.profile, 2, random.Random(2), route.today)
    methodist.run(interim, Role.METHODIST, "interim-old")

    assert app.route(route_id).plan is not None
    designed, recorded = app.history(route_id)[-1], app.history(other_id)[-1]
    assert isinstance(designed, RouteDesigned) and designed.plan.topic == NUL_TEXT
    assert isinstance(recorded, InterimResultRecorded) and recorded.text == NUL_TEXT
    for originator in (route_id, other_id):
        for stored in app.recorder.select_events(originator):
            assert read_event(app.mapper, stored) is not None
    snapshot = RouteSnapshot.take(app.route(route_id)).model_dump(mode="json")
    loaded = RouteSnapshot.model_validate(snapshot).mutate(None)
    assert loaded.plan is not None and loaded.plan.topic == NUL_TEXT
    # The same text sent now is refused at the edge, naming the field.
    with pytest.raises(ValidationError) as caught, checking():
        Plan.model_validate(plan.model_dump(mode="json"))
    assert [(e["loc"], e["type"]) for e in caught.value.errors()] == [
        (("topic",), "text_unprintable")
    ]


@pytest.mark.parametrize("day", ["0001-01-01", "1999-12-31", "9999-12-31"])
def test_a_date_outside_the_calendar_window_is_refused_naming_the_field(day: str) -> None:
    with pytest.raises(ValidationError) as caught:
        RecordInterimResult.model_validate({"recorded_on": day, "text": "Итог"})
    (error,) = caught.value.errors()
    assert (error["loc"], error["type"]) == (("recorded_on",), "date_implausible")
    assert "не ранее 01.01.2000" in error["msg"]
    stored = {"taken_on": day, "platform": "ЦНППМ", "tasks": [{"number": 1}]}
    stored["tasks"] = [{"number": 1, "competences": ["subject"], "level": 2}]
    with as_stored():
        assert Diagnostic.model_validate(stored).taken_on == date.fromisoformat(day)


def test_dates_on_a_route_lie_within_its_term(app: Routes, clock: Clock) -> None:
    route, route_id = demo(app, clock, Stage.IMPLEMENTATION)
    earliest = earliest_day(app.route(route_id))
    methodist = route.actor(Role.METHODIST)

    def interim(day: date, step: str) -> Any:
        command = RecordInterimResult(recorded_on=day, text="Итог")
        return app.execute(route_id, command, methodist, route.command_id(step))

    with pytest.raises(InvalidCommandError) as caught:
        interim(earliest - timedelta(days=1), "early")
    assert (caught.value.rule, caught.value.field) == ("date_window", "recorded_on")
    assert f"{earliest:%d.%m.%Y}" in caught.value.message
    interim(earliest, "earliest")

    today = clock.now.date()
    until = add_months(today, route.profile.term_max_months) + timedelta(days=1)
    extend = ExtendDeadline(
        reason="Болезнь педагога", ticket="OPS-1", deadline="activity:a1", until=until
    )
    with pytest.raises(InvalidCommandError) as caught:
        app.execute(route_id, extend, route.actor(Role.OPERATOR), "extend-far")
    assert (caught.value.rule, caught.value.field) == ("date_window", "until")


def test_a_plan_starts_within_a_year_of_today(app: Routes, clock: Clock) -> None:
    route, route_id = demo(app, clock, Stage.DESIGN)
    starts_on = add_months(clock.now.date(), 13)
    plan = route.plan(starts_on, add_months(starts_on, 12) - timedelta(days=1))
    designer = route.actor(route.profile.designers[0])
    with pytest.raises(InvalidCommandError) as caught:
        app.execute(route_id, DesignRoute(plan=plan), designer, "design-late")
    assert (caught.value.rule, caught.value.field) == ("date_window", "plan.starts_on")
