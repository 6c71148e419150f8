"""The monitoring projection: routes, activities, agreement, corrections, dynamics, and the sums
(methodists' load, dynamics totals, mass deficits), all kept in one transaction per batch.

For each batch it takes the state of the routes the batch touches before it, applies the events
with the aggregate's own handlers, derives each table's rows of those routes and writes only the
difference against the rows derived before the batch: rows that changed are upserted, rows that
vanished deleted, and the sums receive the difference of each route's contribution. Batch
boundaries therefore never change the result: a rebuild in large batches equals the live tables
row for row.

The states are kept in memory (an LRU of `cache_size` routes, about 10 KB each) and trusted only
once the batch that produced them committed. A route not in memory is replayed from the event
store up to the version before the batch's event: the event store, not a copy, is the truth, so
nothing besides the tables and the tracking position needs to be written per batch.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import ClassVar
from uuid import UUID

import structlog

from aggregates.events import RouteEvent, RouteOpened
from projections import activities, agreement, corrections, dynamics, routes
from projections.batch import BatchProjection, Item
from projections.profiles import ProfileBook
from projections.state import Family, LruCache, RouteState, same
from projections.tables import Db, Key, Row, Table
from projections.view import ProjectionView

FAMILIES: tuple[Family, ...] = (
    *routes.FAMILIES,
    *activities.FAMILIES,
    *agreement.FAMILIES,
    *corrections.FAMILIES,
    *dynamics.FAMILIES,
)


class _Entry:
    """A route's state, the rows it had in each family when last written, and what each
    family's rows followed from."""

    __slots__ = ("depends", "rows", "state")

    def __init__(
        self,
        state: RouteState,
        rows: list[dict[Key, Row]],
        depends: list[tuple[object, ...] | None] | None = None,
    ) -> None:
        self.state = state
        self.rows = rows
        self.depends = depends or [None] * len(rows)

    @classmethod
    def derived(cls, state: RouteState, before: _Entry | None = None) -> _Entry:
        """The rows of `state`, reusing those of `before` whose dependencies are unchanged."""
        rows: list[dict[Key, Row]] = []
        depends: list[tuple[object, ...] | None] = []
        for index, family in enumerate(FAMILIES):
            found = family.depends(state) if family.depends else None
            if found is not None and before is not None and same(before.depends[index], found):
                rows.append(before.rows[index])
            else:
                rows.append(family.rows(state))
            depends.append(found)
        return cls(state, rows, depends)


Replay = Callable[[UUID, int], list[RouteEvent]]
"""A route's known events up to a version, oldest first, read from the event store."""


class MonitoringProjection(BatchProjection):
    """Monitoring tables of every route (see the module's docstring)."""

    name = "monitoring"
    tables: ClassVar[tuple[Table, ...]] = tuple(family.table for family in FAMILIES)

    def __init__(self, view: ProjectionView, replay: Replay, cache_size: int = 10_000) -> None:
        super().__init__(view)
        self._replay = replay
        self._cache: LruCache[UUID, _Entry] = LruCache(cache_size)
        self._staged: dict[UUID, _Entry] = {}
        self._profiles = ProfileBook()

    def write(self, db: Db, batch: Sequence[Item]) -> None:
        """Apply the batch to the routes it touches; write what changed."""
        events = [event for _, event in batch if event is not None]
        first: dict[UUID, int] = {}
        for event in events:
            first.setdefault(event.originator_id, event.originator_version)
        entries = self._load(first)
        before = {route_id: _Entry(e.state, e.rows, e.depends) for route_id, e in entries.items()}
        touched: dict[UUID, _Entry] = {}
        for event in events:
            entry = self._apply(db, entries, event)
            if entry is not None:
                entries[event.originator_id] = touched[event.originator_id] = entry
        self._staged = {}
        upserts: dict[Table, list[Row]] = {f.table: [] for f in FAMILIES}
        deletes: dict[Table, list[Key]] = {f.table: [] for f in FAMILIES}
        sums: dict[Table, dict[Key, list[int]]] = {f.table: {} for f in FAMILIES}
        for route_id, entry in touched.items():
            earlier = before.get(route_id)
            derived = _Entry.derived(entry.state, earlier)
            old_rows = earlier.rows if earlier else [{} for _ in FAMILIES]
            for family, old, new in zip(FAMILIES, old_rows, derived.rows, strict=True):
                if old == new:
                    continue
                if family.table.counters:
                    _add(sums[family.table], new, 1)
                    _add(sums[family.table], old, -1)
                else:
                    deletes[family.table] += [key for key in old if key not in new]
                    upserts[family.table] += [
                        row for key, row in new.items() if old.get(key) != row
                    ]
            self._staged[route_id] = derived
        for family in FAMILIES:
            table = family.table
            if table.counters:
                _write_sums(db, table, sums[table])
            else:
                db.executemany(table.delete(), deletes[table])
                db.write(table, upserts[table], "upsert")

    def committed(self) -> None:
        """Cache the states written."""
        for route_id, entry in self._staged.items():
            self._cache.put(route_id, entry)
        self._staged = {}
        self._profiles.committed()

    def forget(self) -> None:
        """Forget every cached state (they may hold changes that were rolled back)."""
        self._cache.clear()
        self._staged = {}
        self._profiles.forget()

    def _load(self, first: dict[UUID, int]) -> dict[UUID, _Entry]:
        """The routes' states before the batch: cached, or replayed from the event store up to
        the version before the batch's first event of the route."""
        entries: dict[UUID, _Entry] = {}
        for route_id, version in first.items():
            entry = self._cache.get(route_id)
            if entry is None and version > 1:
                state = self._rebuilt(self._replay(route_id, version - 1))
                entry = None if state is None else _Entry.derived(state)
            if entry is not None:
                entries[route_id] = entry
        return entries

    def _rebuilt(self, history: list[RouteEvent]) -> RouteState | None:
        if not history or not isinstance(history[0], RouteOpened):
            return None
        state = RouteState.opened(history[0], self._profiles.canonical(history[0].profile))
        for event in history[1:]:
            state.apply(event)
        return state

    def _apply(self, db: Db, entries: dict[UUID, _Entry], event: RouteEvent) -> _Entry | None:
        entry = entries.get(event.originator_id)
        log = structlog.get_logger()
        if isinstance(event, RouteOpened):
            if entry is not None:
                log.warning(
                    "projection.duplicate_open",
                    projection=self.name,
                    route_id=str(event.originator_id),
                )
                return None
            self._profiles.remember(db, event.profile)
            state = RouteState.opened(event, self._profiles.canonical(event.profile))
            return _Entry(state, [{} for _ in FAMILIES])
        if entry is None:
            log.warning(
                "projection.route_unknown",
                projection=self.name,
                route_id=str(event.originator_id),
                version=event.originator_version,
            )
            return None
        if event.originator_version <= entry.state.route.version:
            log.warning(
                "projection.event_already_applied",
                projection=self.name,
                route_id=str(event.originator_id),
                version=event.originator_version,
            )
            return None
        entry.state.apply(event)
        return entry


def _add(sums: dict[Key, list[int]], rows: dict[Key, Row], sign: int) -> None:
    for key, values in rows.items():
        total = sums.setdefault(key, [0] * len(values))
        for index, value in enumerate(values):
            total[index] += sign * value


def _write_sums(db: Db, table: Table, sums: dict[Key, list[int]]) -> None:
    changes = [(key, values) for key, values in sums.items() if any(values)]
    db.write(table, [(*key, *values) for key, values in changes], "add")
    db.executemany(table.prune(), [key for key, values in changes if min(values) < 0])
