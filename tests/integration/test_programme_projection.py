"""The Алгоритм's substance in the monitoring tables: each route's programme and resource map
counted in `iom_route_programmes`, each group it belongs to a row of `iom_route_groups`; routes
of other regions count their tasks and belong to no group. On SQLite and on PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from aggregates.application import Routes
from aggregates.profiles import ProfileCatalogue, Stage, load_profiles
from aggregates.values import ResourceKind
from projections.catalog import catch_up, open_projection
from projections.programmes import GROUPS, PROGRAMMES
from runtime.settings import store_env
from workers.demo import write_demo


@pytest.fixture
def app(database_url: str) -> Iterator[Routes]:
    application = Routes(store_env(database_url), profiles=ProfileCatalogue(load_profiles()))
    yield application
    application.close()


def test_programmes_and_groups_are_monitored(app: Routes) -> None:
    algorithm = write_demo(app, "algorithm", 4, until=Stage.IMPLEMENTATION)
    sakha = write_demo(app, "sakha", 1, until=Stage.IMPLEMENTATION)
    catch_up(app, "monitoring")
    view = open_projection(app, "monitoring").view
    with view.transaction(commit=False) as db:
        programmes = {
            str(row["route_id"]): row for row in db.fetchall(f"SELECT * FROM {PROGRAMMES.name}")
        }
        groups = db.fetchall(f"SELECT * FROM {GROUPS.name} ORDER BY group_id, route_id")
    for route_id in algorithm:
        plan = app.route(route_id).plan
        assert plan is not None
        row = programmes[str(route_id)]
        assert (row["tasks"], row["programmed"]) == (len(plan.tasks), len(plan.programme))
        for kind in ResourceKind:
            assert row[kind.value] == sum(1 for r in plan.resources if r.kind is kind)
        assert row["own"] == 1 and row["groups"] == len(plan.groups) == 1
    other = programmes[str(sakha[0])]
    assert other["programmed"] == other["own"] == other["groups"] == 0
    # The demo puts routes 2k and 2k+1 in one group: routes 1–4 make groups of 1, 2 and 1.
    by_group: dict[str, set[str]] = {}
    for row in groups:
        by_group.setdefault(row["group_id"], set()).add(str(row["route_id"]))
        assert row["profile_id"] == "algorithm" and row["members"] == 2
    assert len(groups) == len(algorithm) and sorted(map(len, by_group.values())) == [1, 1, 2]
    assert {row["kind"] for row in groups} <= {"problem", "creative", "project"}
