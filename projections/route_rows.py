"""A projection's own table of one row per route (its first column the route id), read
through a cache: the rows a batch stages enter the cache once the batch has committed."""

# ruff: noqa: S608 - SQL built from declared table and column names; values are parameters

from __future__ import annotations

from uuid import UUID

from projections.state import LruCache
from projections.tables import Db, Row, Table


class RouteRows:
    """The rows of `table` by route id, cached."""

    def __init__(self, table: Table, cache_size: int) -> None:
        self.table = table
        self.staged: dict[UUID, Row] = {}
        self._cache: LruCache[UUID, Row] = LruCache(cache_size)

    def load(self, db: Db, route_ids: set[UUID]) -> dict[UUID, Row]:
        """The rows of these routes that exist: from the cache, the rest from the table."""
        known = {r: row for r in route_ids if (row := self._cache.get(r)) is not None}
        missing = [r for r in route_ids if r not in known]
        if missing:
            condition, params = db.among("route_id", missing)
            names = self.table.names
            for found in db.fetchall(
                f"SELECT {', '.join(names)} FROM {self.table.name} WHERE {condition}", params
            ):
                first = found[names[0]]
                route_id = first if isinstance(first, UUID) else UUID(str(first))
                known[route_id] = (route_id, *(found[name] for name in names[1:]))
                self._cache.put(route_id, known[route_id])
        return known

    def committed(self) -> None:
        """The staged rows are in the table now: cache them."""
        for route_id, row in self.staged.items():
            self._cache.put(route_id, row)
        self.staged = {}

    def forget(self) -> None:
        """Forget the cache and what was staged (the transaction did not commit)."""
        self._cache.clear()
        self.staged = {}
