"""The centre head's charts (`projections.charts`), on both stores: Sakha routes driven stage by
stage while the clock moves two days between stages, projected, then each chart's figures
checked against what the routes went through (their stages' moments, the parties' answers,
their methodists and their input levels, read from the aggregates themselves)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import NamedTuple
from uuid import UUID
from zoneinfo import ZoneInfo

import pytest

from aggregates.application import Routes
from aggregates.profiles import STAGE_TITLES, ProfileCatalogue, Stage, load_profiles
from aggregates.values import ROLE_TITLES
from projections.catalog import catch_up, open_projection
from projections.charts import CHARTS, ChartName, Scene, read_chart
from runtime.settings import store_env
from workers.demo import demo_routes

START = datetime(2026, 3, 2, 6, tzinfo=UTC)
STEP = timedelta(days=2)
DRIVEN = (Stage.DIAGNOSTIC, Stage.DESIGN, Stage.AGREEMENT, Stage.IMPLEMENTATION)


class Driven(NamedTuple):
    routes: Routes
    scene: Scene
    ids: list[UUID]


@pytest.fixture
def driven(database_url: str) -> Iterator[Driven]:
    now = [START]
    routes = Routes(
        store_env(database_url), profiles=ProfileCatalogue(load_profiles()), clock=lambda: now[0]
    )
    ids = []
    try:
        for demo in demo_routes(routes, "sakha", 3, seed=0, first=1):
            now[0] = START
            for stage in DRIVEN:
                demo.drive_to(stage)
                now[0] += STEP
            ids.append(demo.drive(until=Stage.IMPLEMENTATION))
        catch_up(routes, "monitoring")
        profile = routes.profiles.latest("sakha")
        names = {c.code: c.name for c in profile.competences}
        yield Driven(routes, Scene("sakha", ZoneInfo(profile.time_zone), now[0], names), ids)
    finally:
        routes.close()


def test_every_chart_reads_and_names_its_figures(driven: Driven) -> None:
    routes, seen = driven.routes, driven.scene
    view = open_projection(routes, "monitoring").view
    for name in ChartName:
        chart = read_chart(view, name, seen)
        assert chart.title == CHARTS[name].title
        assert chart.position == routes.recorder.max_notification_id()
        rows = chart.rows()
        assert rows[0] == [chart.category, *(s.name for s in chart.series)]
        assert all(len(s.values) == len(chart.categories) for s in chart.series)


def test_stages_and_their_times_follow_the_routes_past(driven: Driven) -> None:
    routes, seen = driven.routes, driven.scene
    view = open_projection(routes, "monitoring").view
    stages = read_chart(view, ChartName.STAGES, seen)
    assert stages.categories[-1] == "мар 2026" and len(stages.categories) == 12
    now = {s.name: s.values[-1] for s in stages.series}
    assert now[STAGE_TITLES[Stage.IMPLEMENTATION]] == 3
    assert sum(now.values()) == 3  # each route stands in one stage
    assert all(v == 0 for s in stages.series for v in s.values[:-1])  # none before March

    times = read_chart(view, ChartName.STAGE_TIME, seen)
    mean = dict(zip(times.categories, times.series[0].values, strict=True))
    # Each route entered diagnostic, design and agreement two days apart, and left each of
    # them when the next began; "opened" was left at once (the methodist assigned on opening).
    for stage in (Stage.DIAGNOSTIC, Stage.DESIGN, Stage.AGREEMENT):
        assert mean[STAGE_TITLES[stage]] == pytest.approx(2.0), stage
    assert STAGE_TITLES[Stage.IMPLEMENTATION] not in mean  # not left yet


def test_agreement_turnaround_by_party(driven: Driven) -> None:
    routes, seen = driven.routes, driven.scene
    view = open_projection(routes, "monitoring").view
    chart = read_chart(view, ChartName.AGREEMENT, seen)
    mean = dict(zip(chart.categories, chart.series[0].values, strict=True))
    steps = routes.profiles.latest("sakha").agreement
    first = min(step.round for step in steps)
    # The route was submitted, and two days later every party answered at once: the first
    # round's parties held it two days, the later rounds' none.
    expected = {ROLE_TITLES[s.role]: 2.0 if s.round == first else 0.0 for s in steps}
    assert mean == pytest.approx(expected)


def test_load_dynamics_and_deficits_sum_the_aggregates(driven: Driven) -> None:
    routes, seen, ids = driven
    view = open_projection(routes, "monitoring").view
    states = [routes.route(route_id) for route_id in ids]

    load = read_chart(view, ChartName.LOAD, seen)
    assigned = Counter(state.methodist_id for state in states)
    assert dict(zip(load.categories, load.series[0].values, strict=True)) == assigned
    capacity = routes.profiles.latest("sakha").methodist_capacity
    assert set(load.series[1].values) == {capacity}

    deficits = read_chart(view, ChartName.DEFICITS, seen)
    shares = dict(zip(deficits.categories, deficits.series[0].values, strict=True))
    for code, name in seen.competences.items():
        tested = [s.input_levels[code] for s in states if code in s.input_levels]
        if tested:
            lowest = sum(level == 1 for level in tested)
            assert shares[name] == pytest.approx(round(100 * lowest / len(tested), 1)), code
    assert list(shares.values()) == sorted(shares.values(), reverse=True)
