"""A projection whose table an earlier release made without a column it now declares (the
teacher id filter column, say) starts again from the first event instead of failing its writes;
so does one that an earlier release made without a table it now holds (it would miss every
route written before)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from aggregates.application import Routes
from aggregates.profiles import ProfileCatalogue, Stage, load_profiles
from projections.catalog import catch_up, open_projection
from projections.dynamics import DYNAMICS, query_dynamics
from projections.programmes import GROUPS
from projections.tables import Filters
from runtime.settings import store_env
from workers.demo import write_demo


@pytest.fixture
def app(database_url: str) -> Iterator[Routes]:
    application = Routes(store_env(database_url), profiles=ProfileCatalogue(load_profiles()))
    yield application
    application.close()


def test_an_outdated_table_is_rebuilt(app: Routes) -> None:
    write_demo(app, "sakha", 2, until=Stage.IMPLEMENTATION)
    head = catch_up(app, "monitoring")
    view = open_projection(app, "monitoring").view
    old = [c for c in DYNAMICS.columns if c.name != "teacher_id"]
    with view.transaction(commit=True) as db:
        db.execute(DYNAMICS.drop())
        db.execute(f"CREATE TABLE {DYNAMICS.name} ({', '.join(f'{c.name} TEXT' for c in old)})")
    reopened = open_projection(app, "monitoring").view
    assert reopened.position() == 0
    assert catch_up(app, "monitoring") == head
    with reopened.transaction(commit=False) as db:
        rows = query_dynamics(db, Filters(teacher_id="teacher-sakha-00001"), None)
    assert rows and {r["teacher_id"] for r in rows} == {"teacher-sakha-00001"}


def test_a_table_added_to_a_projection_fills_with_every_route(app: Routes) -> None:
    write_demo(app, "algorithm", 2, until=Stage.IMPLEMENTATION)
    head = catch_up(app, "monitoring")
    view = open_projection(app, "monitoring").view
    with view.transaction(commit=True) as db:
        db.execute(GROUPS.drop())  # as a release before the table existed left the view
    reopened = open_projection(app, "monitoring").view
    assert reopened.position() == 0
    assert catch_up(app, "monitoring") == head
    with reopened.transaction(commit=False) as db:
        assert len(db.fetchall(f"SELECT * FROM {GROUPS.name}")) == 2
