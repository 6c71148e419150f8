"""Every order a list may be asked in is served by an index on PostgreSQL: a list is always held
to the token's region, and its pages are keyset pages in `region, <the order's columns>, key`
order, so each has an index (or the primary key) that begins with those columns. Read from
`pg_indexes` after the projections created their tables."""

from __future__ import annotations

import re

from aggregates.application import Routes
from aggregates.profiles import ProfileCatalogue
from api.listings import LISTS
from projections.catalog import PROJECTIONS, open_projection
from workers.settings import store_env

TABLES = {"audit": "iom_audit", "methodists": "iom_methodist_load"}
"""The table beneath each list read through a SELECT (the others read their table itself)."""


def indexes(routes: Routes) -> dict[str, list[tuple[str, ...]]]:
    """Each table's indexes (the primary key's among them), as their columns."""
    found: dict[str, list[tuple[str, ...]]] = {}
    with open_projection(routes, "monitoring").view.transaction(commit=False) as db:
        rows = db.fetchall(
            "SELECT tablename, indexdef FROM pg_indexes WHERE schemaname = current_schema()"
        )
    for row in rows:
        matched = re.search(r"USING btree \((.*)\)$", str(row["indexdef"]))
        assert matched, row["indexdef"]
        columns = tuple(c.strip().strip('"') for c in matched.group(1).split(","))
        found.setdefault(str(row["tablename"]), []).append(columns)
    return found


def test_each_sortable_column_of_each_list_has_a_keyset_index(
    pg_url: str, catalogue: ProfileCatalogue
) -> None:
    routes = Routes(store_env(pg_url), profiles=catalogue)
    try:
        for name in PROJECTIONS:
            open_projection(routes, name)  # creates its tables and indexes
        found = indexes(routes)
    finally:
        routes.close()
    missing: list[str] = []
    checked = 0
    for each in LISTS:
        listing = each.listing
        table = TABLES.get(each.name, listing.source)
        assert re.fullmatch(r"iom_\w+", table), f"{each.name}: which table is beneath it?"
        assert "profile_id" in listing.filters, f"{each.name} is not held to a region"
        orders = [listing.order(), *(listing.order(((c, False),)) for c in listing.sortable)]
        for order in orders:
            wanted = tuple(dict.fromkeys(("profile_id", *(column for column, _ in order))))
            checked += 1
            if not any(index[: len(wanted)] == wanted for index in found.get(table, [])):
                missing.append(f"{each.path}: {table} ({', '.join(wanted)})")
    assert missing == [], "\n".join(missing)
    assert checked >= sum(len(each.listing.sortable) for each in LISTS)
