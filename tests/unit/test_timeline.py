"""A route as of a business date, as known at a moment (`aggregates.timeline`): a completion
recorded ten days late counts for its date and is listed as recorded later; as known at the
day's end it is not there; a fact that does not fit the route as of its date is left out and
named; a date before the opening has no route."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from uuid import UUID
from zoneinfo import ZoneInfo

from aggregates import events as ev
from aggregates.application import Routes
from aggregates.commands import CompleteActivity
from aggregates.profiles import Stage
from aggregates.timeline import occurred_on, route_on
from aggregates.values import Actor, Role
from workers.demo import write_demo


def completed_late(app: Routes) -> tuple[UUID, str, date]:
    (route_id,) = write_demo(app, "sakha", 1, until=Stage.IMPLEMENTATION)
    route = app.route(route_id)
    assert route.plan is not None
    activity = route.plan.activities[0]
    zone = ZoneInfo(route.profile.time_zone)
    day = max(activity.starts_on, route.modified_on.astimezone(zone).date())
    done = CompleteActivity(
        activity_id=activity.id,
        completed_on=day,
        result="Проведён открытый урок",
        product="Открытый урок",
        self_assessment="Цель достигнута",
        employer_assessment="Хорошо",
    )
    later = datetime.combine(day + timedelta(days=10), time(12), zone)
    app.execute(route_id, done, Actor(id=route.teacher_id, role=Role.TEACHER), "late", now=later)
    return route_id, activity.id, day


def test_as_it_was_and_as_it_was_known(app: Routes) -> None:
    route_id, activity, day = completed_late(app)
    history = app.history(route_id)
    zone = ZoneInfo(app.route(route_id).profile.time_zone)
    end_of_day = datetime.combine(day + timedelta(days=1), time(0), zone)

    was = route_on(history, day)
    known = route_on(history, day, known_at=end_of_day)

    assert was is not None and known is not None
    assert was.route.activities[activity].status == "done"
    assert [type(e) for e in was.late] == [ev.ActivityCompleted]
    assert occurred_on(was.late[0], zone) == day
    assert known.route.activities[activity].status == "planned"
    assert known.late == [] and known.unfit == []
    assert route_on(history, history[0].timestamp.date() - timedelta(days=2)) is None


def test_a_fact_that_does_not_fit_its_date_is_left_out_and_named(app: Routes) -> None:
    route_id, _, day = completed_late(app)
    history = app.history(route_id)
    last = history[-1]
    assert isinstance(last, ev.ActivityCompleted)
    unplanned = last.model_copy(
        update={"activity_id": "not-in-the-plan", "originator_version": last.originator_version + 1}
    )

    dated = route_on([*history, unplanned], day)

    assert dated is not None
    assert dated.unfit == [unplanned]
    assert "not-in-the-plan" not in dated.route.activities
    assert dated.route.version == last.originator_version
