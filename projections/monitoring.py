"""The monitoring projection: routes, activities, agreement, corrections, dynamics (and every
diagnostic's levels), the Алгоритм's programmes and groups, the routes' past stages and agreement
answers, and the sums (methodists' load, dynamics totals, mass deficits), all kept in one
transaction per batch.

For each batch it goes route by route: it takes the route's state before the batch, applies all
of the route's events in the batch with the aggregate's own handlers, derives each table's rows
of the route once, and writes only the difference against the rows derived before the batch:
rows that changed are upserted, rows that vanished deleted, and the sums receive the difference
of each route's contribution. Batch boundaries therefore never change the result: a rebuild in
large batches equals the live tables row for row, and the larger the batch, the fewer rows are
derived and written per event.

Working out a batch needs no table: it is done before the batch's transaction opens
(`prepared`), which then only writes. The states are kept in memory (an LRU of `cache_size`
routes, about 10 KB each); those of batches not yet committed are kept apart, and every state
is forgotten when a transaction fails. A route not in
memory is replayed from the event store up to the version before the batch's event: the event
store, not a copy, is the truth, so nothing besides the tables and the tracking position needs
to be written per batch.
"""

from __future__ import annotations

from collections import defaultdict, deque
from collections.abc import Callable, Sequence
from operator import add, neg, sub
from typing import ClassVar
from uuid import UUID

import structlog

from aggregates.events import RegulationChanged, RouteEvent, RouteOpened
from aggregates.profiles import Profile
from projections import (
    activities,
    agreement,
    corrections,
    diagnostics,
    dynamics,
    programmes,
    routes,
    stages,
)
from projections.batch import BatchProjection
from projections.feed import Item
from projections.profiles import ProfileBook
from projections.state import Family, LruCache, RouteState, same
from projections.tables import Db, Key, Row, Table
from projections.view import ProjectionView, Write

FAMILIES: tuple[Family, ...] = (
    *routes.FAMILIES,
    *activities.FAMILIES,
    *agreement.FAMILIES,
    *corrections.FAMILIES,
    *dynamics.FAMILIES,
    *programmes.FAMILIES,
    *stages.FAMILIES,
    *diagnostics.FAMILIES,
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
        found_by: dict[object, tuple[object, ...]] = {}  # families often share a `depends`
        for index, family in enumerate(FAMILIES):
            found = None
            if family.depends is not None:
                found = found_by.get(family.depends)
                if found is None:
                    found = found_by[family.depends] = family.depends(state)
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
        # Keyed by the route id's integer: a UUID hashes in Python, an int in C.
        self._cache: LruCache[int, _Entry] = LruCache(cache_size)
        self._pending: deque[dict[int, _Entry]] = deque()
        """The states each batch prepared but not yet committed leaves, oldest first."""
        self._unconfirmed: dict[int, _Entry] = {}
        """The latest of those states of each route."""
        self._profiles = ProfileBook()

    def write(self, db: Db, batch: Sequence[Item]) -> None:
        """Apply the batch (see `prepared`)."""
        self.prepared(batch)(db)

    def prepared(self, batch: Sequence[Item]) -> Write:
        """Apply the batch route by route: all of a route's events, then its rows derived once;
        what changed is written by the returned function. Nothing here needs the projection's
        tables, so the batch is worked out before its transaction."""
        staged: dict[int, _Entry] = {}
        editions: dict[str, Profile] = {}
        changes = _Changes()
        for route_id, events in _by_route(batch).items():
            before = self._load(route_id, events[0])
            state = self._applied(before.state if before else None, events, editions)
            if state is None:
                continue
            after = _Entry.derived(state, before)
            changes.add(before.rows if before else _NO_ROWS, after.rows)
            staged[route_id] = self._unconfirmed[route_id] = after
        self._pending.append(staged)

        def write(db: Db) -> None:
            for profile in editions.values():
                self._profiles.remember(db, profile)
            changes.write(db)

        return write

    def committed(self) -> None:
        """Cache the states the oldest batch prepared wrote."""
        for route_id, entry in self._pending.popleft().items():
            self._cache.put(route_id, entry)
            if self._unconfirmed.get(route_id) is entry:
                del self._unconfirmed[route_id]
        self._profiles.committed()

    def forget(self) -> None:
        """Forget every cached state (they may hold changes that were rolled back)."""
        self._cache.clear()
        self._pending.clear()
        self._unconfirmed.clear()
        self._profiles.forget()

    def _load(self, route_id: int, first: RouteEvent) -> _Entry | None:
        """The route's state before the batch: left by a batch not yet committed, cached, or
        replayed from the event store up to the version before the batch's first event of the
        route (`first`)."""
        entry = self._unconfirmed.get(route_id) or self._cache.get(route_id)
        version = first.originator_version
        if entry is None and version > 1:
            state = self._rebuilt(self._replay(first.originator_id, version - 1))
            entry = None if state is None else _Entry.derived(state)
        return entry

    def _rebuilt(self, history: list[RouteEvent]) -> RouteState | None:
        if not history or not isinstance(history[0], RouteOpened):
            return None
        state = RouteState.opened(history[0], self._profiles.canonical(history[0].profile))
        for event in history[1:]:
            state.apply(event)
        return state

    def _applied(
        self, state: RouteState | None, events: list[RouteEvent], editions: dict[str, Profile]
    ) -> RouteState | None:
        """The route's state after its events of the batch (skipping, with a warning, those
        that cannot apply); the regulation editions of its opening added to `editions`."""
        for event in events:
            if isinstance(event, RouteOpened):
                if state is not None:
                    self._skipped("projection.duplicate_open", event)
                    continue
                editions.setdefault(event.profile.key, event.profile)
                state = RouteState.opened(event, self._profiles.canonical(event.profile))
            elif state is None:
                self._skipped("projection.route_unknown", event)
            elif event.originator_version <= state.route.version:
                self._skipped("projection.event_already_applied", event)
            else:
                if isinstance(event, RegulationChanged):  # the route follows another edition
                    editions.setdefault(event.profile.key, event.profile)
                state.apply(event)
        return state

    def _skipped(self, why: str, event: RouteEvent) -> None:
        structlog.get_logger().warning(
            why,
            projection=self.name,
            route_id=str(event.originator_id),
            version=event.originator_version,
        )


def _by_route(batch: Sequence[Item]) -> dict[int, list[RouteEvent]]:
    """The batch's events route by route (by the route id's integer), each route's in order."""
    routes: defaultdict[int, list[RouteEvent]] = defaultdict(list)
    for _, event in batch:
        if event is not None:
            routes[event.originator_id.int].append(event)
    return routes


_NO_ROWS: tuple[dict[Key, Row], ...] = tuple({} for _ in FAMILIES)
"""A route's rows before its opening: none in any family."""


class _Changes:
    """What a batch writes to each family's table: rows to insert or upsert and keys to delete
    or, in a counters table, what to add to each sum.

    A route's rows of a family before the batch are exactly what the table holds of it (the
    tables are written from them, and every key holds the route's id), so where it had none the
    new ones are inserted: the cheapest write (a plain COPY into the table on PostgreSQL). A
    rebuild writes each route's first rows of every table so, most of its rows."""

    def __init__(self) -> None:
        self.inserts: list[list[Row]] = [[] for _ in FAMILIES]
        self.upserts: list[list[Row]] = [[] for _ in FAMILIES]
        self.deletes: list[list[Key]] = [[] for _ in FAMILIES]
        self.sums: list[dict[Key, Row]] = [{} for _ in FAMILIES]

    def add(self, before: Sequence[dict[Key, Row]], after: list[dict[Key, Row]]) -> None:
        """A route's rows before the batch and after it."""
        for index, (old, new) in enumerate(zip(before, after, strict=True)):
            if old is new or old == new:  # the same dict: its dependencies did not change
                continue
            if FAMILIES[index].table.counters:
                _add_difference(self.sums[index], old, new)
            elif not old:
                self.inserts[index] += new.values()
            else:
                self.deletes[index] += [key for key in old if key not in new]
                self.upserts[index] += [row for key, row in new.items() if old.get(key) != row]

    def write(self, db: Db) -> None:
        """Write every table's changes."""
        for index, family in enumerate(FAMILIES):
            table = family.table
            if table.counters:
                _write_sums(db, table, self.sums[index])
            else:
                db.executemany(table.delete(), self.deletes[index])
                db.write(table, self.inserts[index], "insert")
                db.write(table, self.upserts[index], "upsert")


def _add_difference(sums: dict[Key, Row], old: dict[Key, Row], new: dict[Key, Row]) -> None:
    """Add what a route's rows in a counters table changed by (`new` less `old`) to the sums
    under each key."""
    for key, values in new.items():
        before = old.get(key)
        if before is not None:
            values = tuple(map(sub, values, before))  # noqa: PLW2901 - the difference
        total = sums.get(key)
        sums[key] = values if total is None else tuple(map(add, total, values))
    for key, values in old.items():
        if key not in new:
            total = sums.get(key)
            sums[key] = tuple(map(neg, values)) if total is None else tuple(map(sub, total, values))


def _write_sums(db: Db, table: Table, sums: dict[Key, Row]) -> None:
    changes = [(key, values) for key, values in sums.items() if any(values)]
    db.write(table, [(*key, *values) for key, values in changes], "add")
    db.executemany(table.prune(), [key for key, values in changes if min(values) < 0])
