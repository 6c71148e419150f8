"""A route moved to a new edition, as the projections show it: the audit trail's line of the
move, the route's row under the new edition's stage name, the new edition kept once; rebuilt
from the log, the tables are the same."""

from __future__ import annotations

from collections.abc import Iterator
from uuid import UUID

import pytest

from aggregates.application import Routes
from aggregates.commands import MigrateRoute
from aggregates.migration import EditionMapping
from aggregates.profiles import Stage
from aggregates.values import Actor, Role
from projections import audit, routes
from projections.catalog import PROJECTIONS, catch_up, open_projection, rebuild
from projections.tables import Filters
from tests.integration.test_projections import make_routes, query
from tests.support.profiles import with_new_editions
from workers.demo import write_demo

MOVE = MigrateRoute(
    edition="sakha@2",
    mapping=EditionMapping(
        competences={
            "communicative": "psych_communicative",
            "psych_pedagogical": "psych_communicative",
        }
    ),
    order="Приказ № 01-03/0000",
    reason="Новая редакция положения",
    ticket="OPS-19",
)


@pytest.fixture
def app(database_url: str) -> Iterator[Routes]:
    application = make_routes(database_url)
    yield application
    application.close()


def moved(app: Routes) -> UUID:
    """A Sakha route in implementation, projected, then moved to sakha@2."""
    [route_id] = write_demo(app, "sakha", 1, until=Stage.IMPLEMENTATION)
    for name in PROJECTIONS:
        catch_up(app, name)
    app.profiles = with_new_editions()
    app.execute(route_id, MOVE, Actor(id="op-1", role=Role.OPERATOR), "migrate-1")
    for name in PROJECTIONS:
        catch_up(app, name)
    return route_id


def test_the_tables_show_the_edition_the_route_follows(app: Routes) -> None:
    route_id = moved(app)
    trail = query(app, "audit", audit.query_audit, Filters(route_id=route_id), None)
    last = max(trail, key=lambda row: row["version"])
    assert last["event_type"] == "RegulationChanged"
    assert last["summary"].startswith("ИОМ переведён с редакции sakha@1 на редакцию sakha@2")
    [row] = query(app, "monitoring", routes.query_routes, Filters(route_id=route_id), None)
    assert row["stage_name"] == "Практический этап ИОМ"
    with open_projection(app, "monitoring").view.transaction(commit=False) as db:
        kept = [r["profile_key"] for r in db.fetchall("SELECT profile_key FROM iom_profiles")]
    assert "sakha@2" in kept

    for name in PROJECTIONS:
        rebuild(app, name)
    again = query(app, "audit", audit.query_audit, Filters(route_id=route_id), None)
    assert sorted(r["summary"] for r in again) == sorted(r["summary"] for r in trail)
