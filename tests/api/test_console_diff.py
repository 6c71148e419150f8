"""The console's difference between two versions of a route (a SQLite store): what changed,
named in Russian."""

from __future__ import annotations

from api.console.diff import changes, flatten
from api.models import RouteState
from tests.api.conftest import Direct


def test_flatten_names_every_leaf_by_its_path() -> None:
    value = {"a": {"b": [1, {"c": None}], "d": {}}, "e": []}
    assert flatten(value) == {"a.b.0": 1, "a.b.1.c": None, "a.d": {}, "e": []}


async def test_the_difference_names_the_fields_the_events_changed(direct: Direct) -> None:
    _, route_id = direct.route_in_agreement()
    versions = [RouteState.of(direct.routes.route(route_id, version=v)) for v in (1, 2, 5)]
    assert changes(versions[0], versions[0]) == []
    assigned = changes(versions[0], versions[1])
    assert [c.path for c in assigned] == ["stage", "stage_name", "methodist_id"]
    methodist = assigned[-1]
    assert methodist.title == "Закреплённый методист."
    assert methodist.before is None and methodist.after == versions[1].methodist_id
    designed = {c.path: c for c in changes(versions[1], versions[2])}
    assert designed["plan"].before is None
    assert designed["plan"].after is not None and '"topic"' in designed["plan"].after
    back = {c.path: c for c in changes(versions[2], versions[1])}
    assert back["plan"].after is None  # cleared whole, read the other way
