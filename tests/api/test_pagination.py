"""Keyset pagination: a walk shows every row exactly once in the order asked, rows written
meanwhile shift nothing, and a damaged cursor, an unknown sort or a page too large is a 422."""

from __future__ import annotations

import base64
import itertools
from collections.abc import AsyncIterator
from datetime import date, datetime
from typing import Any

import pytest
import pytest_asyncio

from aggregates.profiles import ProfileCatalogue, Stage
from aggregates.values import Role
from tests.api.conftest import Region, direct_on, populate
from tests.api.support import Portal
from tests.api.test_monitoring import walk
from workers.demo import write_demo


def headers(portal: Portal, region: str = "sakha") -> dict[str, str]:
    return portal.headers(portal.token(Role.AUDITOR, "auditor-1", region))


def key(value: Any) -> tuple[int, Any]:
    """A value's place in an ascending sort with NULLs last."""
    if isinstance(value, str) and len(value) >= 10 and value[4:5] == "-" and "T" in value:
        return (0, datetime.fromisoformat(value))
    if isinstance(value, str) and len(value) == 10 and value[4:5] == "-":
        return (0, date.fromisoformat(value))
    return (1, None) if value is None else (0, value)


def assert_sorted(rows: list[dict[str, Any]], sort: str) -> None:
    """Rows in `sort` order (`-` descending), NULLs last either way."""
    columns = [(c.removeprefix("-"), c.startswith("-")) for c in sort.split(",")]
    for before, after in itertools.pairwise(rows):
        for column, descending in columns:
            a, b = key(before[column]), key(after[column])
            if a == b:
                continue
            if a[0] != b[0]:  # a NULL comes last
                assert a[0] < b[0], (column, before, after)
            else:
                assert (a > b) if descending else (a < b), (column, before, after)
            break


SORTS = {
    "routes": ["next_deadline", "-share_done", "school_id,-opened_on", "-next_deadline,stage"],
    "activities": ["ends_on,-position", "-status"],
    "audit": ["", "-recorded_at", "event_type,-notification_id"],
    "methodists": ["-active_routes"],
    "deficits": ["", "subject,-diagnosed"],
    "dynamics": ["-change,competence"],
    "dynamics-by-school": ["", "-tested,competence"],
}
CASES = [(name, sort) for name, sorts in SORTS.items() for sort in sorts]


def path(name: str) -> str:
    return "/audit" if name == "audit" else f"/monitoring/{name}"


@pytest.mark.parametrize(("name", "sort"), CASES)
async def test_a_walk_shows_every_row_once_in_order(
    region: Region, portal: Portal, name: str, sort: str
) -> None:
    every = await region.client.get(
        path(name), params={"limit": 200, "sort": sort}, headers=headers(portal)
    )
    assert every.status_code == 200, every.text
    assert every.json()["next_cursor"] is None
    whole = every.json()["items"]
    assert len(whole) >= 3
    for limit in (1, 3):
        rows = await walk(region.client, path(name), headers(portal), limit=limit, sort=sort)
        assert rows == whole
    if sort:
        assert_sorted(whole, sort)


async def test_rows_written_meanwhile_shift_nothing(region: Region, portal: Portal) -> None:
    first = await region.client.get(
        "/monitoring/routes", params={"limit": 4, "sort": "opened_on"}, headers=headers(portal)
    )
    seen = [r["route_id"] for r in first.json()["items"]]
    more = write_demo(region.routes, "sakha", 4, until=Stage.IMPLEMENTATION, first=20)
    region.project()
    rest = await walk(
        region.client,
        "/monitoring/routes",
        headers(portal),
        limit=4,
        sort="opened_on",
        cursor=first.json()["next_cursor"],
    )
    ids = seen + [r["route_id"] for r in rest]
    assert len(ids) == len(set(ids))  # none twice
    assert set(ids) >= {str(i) for i in region.sakha}  # none of the first rows skipped
    # A new row shows up when it sorts after the page already read, and only then (keyset
    # pages: a row written before the cursor's place belongs to a page the client has seen).
    last = first.json()["items"][-1]
    place = (last["opened_on"], last["route_id"])
    everything = await walk(
        region.client, "/monitoring/routes", headers(portal), limit=50, sort="opened_on"
    )
    after = {r["route_id"] for r in everything if (r["opened_on"], r["route_id"]) > place}
    assert set(ids) - set(seen) == after
    assert {str(i) for i in more} <= {r["route_id"] for r in everything}


def tamper(cursor: str) -> str:
    raw = bytearray(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    raw[3] ^= 0x01
    return base64.urlsafe_b64encode(bytes(raw)).decode().rstrip("=")


async def test_a_damaged_or_foreign_cursor_is_a_problem(region: Region, portal: Portal) -> None:
    page = await region.client.get(
        "/monitoring/routes", params={"limit": 2}, headers=headers(portal)
    )
    cursor = page.json()["next_cursor"]
    assert cursor
    cases: list[dict[str, Any]] = [
        {"cursor": tamper(cursor)},
        {"cursor": cursor[:-3]},
        {"cursor": "не-курсор"},
        {"cursor": "e30"},
        {"cursor": cursor, "sort": "-share_done"},
    ]
    for params in cases:
        answer = await region.client.get(
            "/monitoring/routes", params={"limit": 2, **params}, headers=headers(portal)
        )
        assert answer.status_code == 422, (params, answer.text)
        problem = answer.json()
        assert (problem["type"], problem["field"]) == ("urn:iom:problem:invalid-cursor", "cursor")
    foreign = await region.client.get(
        "/monitoring/activities", params={"cursor": cursor}, headers=headers(portal)
    )
    assert foreign.status_code == 422


@pytest.mark.parametrize(
    ("params", "field", "rule"),
    [
        ({"limit": 201}, "limit", "page_size"),
        ({"limit": 0}, "limit", "page_size"),
        ({"limit": "many"}, "limit", "int_parsing"),
        ({"sort": "teacher_name"}, "sort", "sortable"),
        ({"sort": "stage,-stage"}, "sort", "sortable"),
    ],
)
async def test_a_page_too_large_or_an_unknown_sort_is_a_problem(
    region: Region, portal: Portal, params: dict[str, Any], field: str, rule: str
) -> None:
    answer = await region.client.get("/monitoring/routes", params=params, headers=headers(portal))
    assert answer.status_code == 422, answer.text
    assert (answer.json()["field"], answer.json()["rule"]) == (field, rule)


@pytest_asyncio.fixture
async def pg_region(
    pg_url: str, portal: Portal, catalogue: ProfileCatalogue
) -> AsyncIterator[Region]:
    """`Region` on PostgreSQL."""
    async with direct_on(pg_url, portal, catalogue) as found:
        yield populate(found)


@pytest.mark.parametrize("sort", ["next_deadline", "-share_done,school_id", "-updated_at"])
async def test_a_walk_on_postgresql(pg_region: Region, portal: Portal, sort: str) -> None:
    every = await pg_region.client.get(
        "/monitoring/routes", params={"limit": 200, "sort": sort}, headers=headers(portal)
    )
    whole = every.json()["items"]
    assert len(whole) == len(pg_region.sakha)
    rows = await walk(pg_region.client, "/monitoring/routes", headers(portal), limit=3, sort=sort)
    assert rows == whole
    assert_sorted(whole, sort)
    trail = await walk(pg_region.client, "/audit", headers(portal), limit=25)
    versions = sum(pg_region.routes.route(i).version for i in pg_region.sakha)
    assert len(trail) == versions
    assert [r["notification_id"] for r in trail] == sorted(
        (r["notification_id"] for r in trail), reverse=True
    )
