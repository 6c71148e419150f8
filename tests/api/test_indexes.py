"""Every order a list may be asked in is read off an index, without a sort, on either store: a
list is always held to the token's region, and its pages are keyset pages in `region, <the
order's columns>, key` order, so each needs an index (or the primary key) that begins with
those columns in their directions, NULLs last. Asked of each store's planner after the
projections created their tables: PostgreSQL's with sorting priced out (a plan that still sorts
has no index to read instead), SQLite's plan naming no temporary B-tree for the ORDER BY."""

from __future__ import annotations

import json
from typing import Any

from aggregates.application import Routes
from aggregates.profiles import ProfileCatalogue
from api.listings import LISTS
from projections.catalog import PROJECTIONS, open_projection
from projections.routes import ROUTE_LIST
from projections.tables import Db, Filters
from runtime.settings import store_env


def nodes(plan: dict[str, Any]) -> list[str]:
    """Every node type of a PostgreSQL JSON plan."""
    return [plan["Node Type"], *(n for child in plan.get("Plans", []) for n in nodes(child))]


def sorts(db: Db, text: str, params: list[Any]) -> bool:
    """The store's plan for the query sorts its rows."""
    if db.dialect == "sqlite":
        steps = db.fetchall(f"EXPLAIN QUERY PLAN {text}", params)
        return any("TEMP B-TREE" in str(step["detail"]) for step in steps)
    found = db.fetchall(f"EXPLAIN (FORMAT JSON) {text}", params)[0]["QUERY PLAN"]
    plan = json.loads(found) if isinstance(found, str) else found
    return bool({"Sort", "Incremental Sort"} & set(nodes(plan[0]["Plan"])))


def test_each_order_of_each_list_is_read_off_an_index(
    database_url: str, catalogue: ProfileCatalogue
) -> None:
    routes = Routes(store_env(database_url), profiles=catalogue)
    sorted_pages: list[str] = []
    checked = 0
    try:
        for name in PROJECTIONS:
            open_projection(routes, name)  # creates its tables and indexes
        with open_projection(routes, "monitoring").view.transaction(commit=False) as db:
            if db.dialect == "postgres":
                db.execute("SET LOCAL enable_sort = off")
                db.execute("SET LOCAL enable_seqscan = off")
            for each in LISTS:
                listing = each.listing
                assert "profile_id" in listing.filters, f"{each.name} is not held to a region"
                for sort in [(), *(((column, False),) for column in listing.sortable)]:
                    held = Filters(profile_id="sakha")
                    text, params = listing.query(db.dialect, held, sort, limit=50)
                    checked += 1
                    if sorts(db, text, params):
                        order = listing.order(sort)
                        named = ", ".join(f"{c}{' desc' if d else ''}" for c, d in order)
                        sorted_pages.append(f"{each.path}: {named}")
    finally:
        routes.close()
    assert sorted_pages == [], "sorted, not read off an index:\n" + "\n".join(sorted_pages)
    assert checked >= sum(len(each.listing.sortable) + 1 for each in LISTS)


def test_the_routes_across_regions_are_read_off_an_index(
    database_url: str, catalogue: ProfileCatalogue
) -> None:
    """`iom monitor routes` without a filter (an operator's view of every region) pages
    through the routes in their default order without sorting them."""
    routes = Routes(store_env(database_url), profiles=catalogue)
    try:
        with open_projection(routes, "monitoring").view.transaction(commit=False) as db:
            if db.dialect == "postgres":
                db.execute("SET LOCAL enable_sort = off")
                db.execute("SET LOCAL enable_seqscan = off")
            text, params = ROUTE_LIST.query(db.dialect, Filters(), limit=1000)
            assert not sorts(db, text, params), text
    finally:
        routes.close()
