"""One whole route per region, start to conclusion, on both stores, with its regional rules."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime
from uuid import UUID

import pytest

from aggregates.application import Routes
from aggregates.audit import verify_route
from aggregates.commands import DesignRoute
from aggregates.commands.base import add_months
from aggregates.errors import InvalidCommandError
from aggregates.events import AgreementGiven, RouteEvent
from aggregates.profiles import ProfileCatalogue, Stage, load_profiles
from aggregates.route import Route
from aggregates.summaries import describe
from runtime.settings import store_env
from workers.demo import DemoRoute

TODAY = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


@pytest.fixture
def app(database_url: str) -> Routes:
    return Routes(
        store_env(database_url), profiles=ProfileCatalogue(load_profiles()), clock=lambda: TODAY
    )


def drive(app: Routes, region: str, until: Stage = Stage.COMPLETED) -> tuple[DemoRoute, UUID]:
    demo = DemoRoute(app, app.profiles.latest(region), 2, random.Random(region), TODAY.date())
    return demo, demo.drive(until)


def finished(app: Routes, route_id: UUID) -> tuple[Route, list[RouteEvent]]:
    route, history = app.route(route_id), app.history(route_id)
    assert route.stage is Stage.COMPLETED
    assert verify_route(app, route_id).intact
    return route, history


def parties(history: list[RouteEvent]) -> list[tuple[str, str]]:
    return [(e.role.value, e.action) for e in history if isinstance(e, AgreementGiven)]


def refused_term(app: Routes, region: str, months: int) -> InvalidCommandError:
    """Designing with a term of `months` months, on another route of the region, in design."""
    demo = DemoRoute(app, app.profiles.latest(region), 3, random.Random(region), TODAY.date())
    route = app.route(demo.drive(Stage.DESIGN))
    starts_on = date(2026, 1, 1)
    plan = demo.plan(starts_on, add_months(starts_on, months) - (date(2026, 1, 2) - starts_on))
    with pytest.raises(InvalidCommandError) as refused:
        demo.run(DesignRoute(plan=plan), demo.profile.designers[0], f"design-{months}")
    assert app.route(route.id).version == route.version
    return refused.value


def test_sakha_agreed_with_the_centre_head_then_approved_and_certified(app: Routes) -> None:
    _, route_id = drive(app, "sakha")
    route, history = finished(app, route_id)
    assert parties(history) == [
        ("methodist", "sign"),
        ("teacher", "sign"),
        ("centre_head", "agree"),
        ("school_head", "approve"),
    ]
    assert route.certificate is not None
    assert route.past_conclusions == [] and route.conclusions is not None
    assert route.final_event is not None and route.final_diagnostic is not None
    assigned = next(e for e in history if type(e).__name__ == "MethodistAssigned")
    assert assigned.actor.role.value == "centre_head"
    signed = [e for e in history if type(e).__name__ == "ConclusionsSigned"]
    assert [e.actor.role.value for e in signed] == ["school_head"]
    lines = [describe(e, route.profile) for e in history]
    assert any("недостаточный" in line or "достаточный" in line for line in lines)
    assert lines[-1].startswith("Выдан сертификат")


def test_balakhta_reviewed_by_the_mo_in_seven_directions_six_months_at_least(app: Routes) -> None:
    _, route_id = drive(app, "balakhta")
    route, history = finished(app, route_id)
    assert parties(history)[0] == ("mo_head", "review")
    assert [p for p, _ in parties(history)] == ["mo_head", "methodist", "school_head"]
    assert len(route.profile.directions) == 7
    directions = {e.code for e in route.profile.directions}
    assert route.plan is not None
    assert all(a.direction in directions for a in route.plan.activities)
    done = [r for r in route.activities.values() if r.status == "done"]
    assert done and all(r.self_assessment and r.employer_assessment for r in done)
    assert route.certificate is None
    assert "не менее 6 мес." in refused_term(app, "balakhta", 5).message


def test_sovetsky_a_year_at_least_with_curator_recommendations(app: Routes) -> None:
    _, route_id = drive(app, "sovetsky")
    route, _ = finished(app, route_id)
    assert route.conclusions is not None and route.conclusions.recommendations
    assert route.self_reflection
    error = refused_term(app, "sovetsky", 11)
    assert (error.field, "не менее 12 мес." in error.message) == ("plan.ends_on", True)


def test_chelyabinsk_names_its_levels_and_targets_the_lowest_first(app: Routes) -> None:
    _, route_id = drive(app, "chelyabinsk")
    route, history = finished(app, route_id)
    assert route.profile.levels == ["низкий", "базовый", "повышенный", "высокий"]
    assert route.plan is not None
    lowest = min(route.input_levels.values())
    first = min(route.plan.activities, key=lambda a: a.starts_on)
    assert any(route.input_levels[c] == lowest for c in first.competences)
    summary = describe(
        next(e for e in history if type(e).__name__ == "DiagnosticRecorded"), route.profile
    )
    assert route.profile.level_name(lowest) in summary
    assert route.final_diagnostic is not None
    assert [p for p, _ in parties(history)] == ["methodist"]


def test_the_algorithm_goes_through_its_three_stages(app: Routes) -> None:
    _, route_id = drive(app, "algorithm")
    route, history = finished(app, route_id)
    names: list[str] = []
    for version in range(1, len(history) + 1):
        state = app.route(route_id, version=version)
        if state.stage not in (Stage.OPENED, Stage.COMPLETED):
            name = state.profile.stage_names[state.stage]
            if not names or names[-1] != name:
                names.append(name)
    assert [n.split()[0] for n in names] == [
        "Диагностико-аналитический",
        "Содержательно-технологический",
        "Оценочно-рефлексивный",
    ]
    assert route.final_event is not None and route.self_reflection
