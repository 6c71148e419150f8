"""The shape every projection here shares: the library's `Projection`, applied a batch at a time.

A batch is a run of notifications in order; its rows and the position of its last notification
are written in one transaction by the view (`ProjectionView.project`). An event the projection
could not read (an unknown type) arrives as None: it is skipped, but the position still moves
past it. What a projection caches between batches is only trusted once its transaction has
committed; after any failure it is forgotten and read again from the tables.

An event the projection cannot apply parks its route (`projections.incidents`): a batch that
failed for its events is applied again by `isolate`, route by route under savepoints (only
then: the normal path has none), and each later batch holds the parked routes' events back (the
projection sees them as None) and records them as held, in the batch's transaction.

A projection that follows diagnostic campaigns (`follows_campaigns`: the tasks projection) gets
their events apart from the routes' (`prepared_campaigns`), parked and held like a route's.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from functools import partial
from typing import Any, ClassVar, cast
from uuid import UUID

from eventsourcing.persistence import Tracking
from eventsourcing.projection import Projection

from aggregates.campaign import CampaignEvent
from aggregates.events import RouteEvent
from projections import incidents
from projections.feed import FedItem, Item
from projections.incidents import PARKING
from projections.profiles import PROFILES
from projections.tables import Db, Table
from projections.view import ProjectionView, StaleProjectionError, ViewSpec, Write

Commit = Callable[[int | None], None]
"""A prepared batch's transaction, given the position the batch continues from."""


class BatchProjection(Projection[ProjectionView], ABC):
    """A projection whose rows follow from batches of events (see the module's docstring)."""

    tables: ClassVar[tuple[Table, ...]] = ()
    follows_campaigns: ClassVar[bool] = False
    """Whether the projection applies diagnostic campaigns' events (`prepared_campaigns`)."""
    _parked: set[UUID] | None = None
    """The parked routes, as this projection's batches left them (only `isolate` parks a route;
    a retry elsewhere makes the next batch fail, and the runner starts again)."""

    @classmethod
    def spec(cls, application_name: str) -> ViewSpec:
        """What the projection's view holds."""
        return ViewSpec(cls.name, cls.tables, (PROFILES, *PARKING), application_name)

    def position(self) -> int:
        """The last notification id applied (0 before the first)."""
        return self.view.position()

    def process_event(self, domain_event: Any, tracking: Tracking) -> None:
        """Apply one event (the library's interface); batches go through `process`."""
        self.process([(tracking.notification_id, domain_event)], expected=None)

    def process(self, batch: Sequence[FedItem], expected: int | None) -> None:
        """Apply a batch continuing from position `expected`, rows and position together."""
        try:
            self.prepare(batch)(expected)
        except BaseException:
            self.forget()
            raise
        self.committed()

    def prepare(self, batch: Sequence[FedItem]) -> Commit:
        """The batch worked out as far as it can be before its transaction, and the
        transaction: `commit(expected)` writes the rows, the events held back for their parked
        routes, and the position; then `committed()` or, if anything failed, `forget()`. Python
        work done here is not done while the transaction holds its locks (nor counted by
        PostgreSQL's idle-in-transaction timeout)."""
        parked = self.parked()
        held = [item for item in batch if item[1] is not None and item[1].originator_id in parked]
        shown = [(n, None if e is not None and e.originator_id in parked else e) for n, e in batch]
        write = self._prepared(shown)
        tracking = Tracking(self.view.spec.application_name, batch[-1][0])

        def writes(db: Db) -> None:
            write(db)
            incidents.hold(db, self.name, held)

        return lambda expected: self.view.project(expected, tracking, writes)

    def parked(self) -> set[UUID]:
        """The routes whose events are held back (read again after every failure)."""
        if self._parked is None:
            with self.view.transaction(commit=False) as db:
                self._parked = incidents.parked_routes(db, self.name)
        return self._parked

    def settle(self, batch: Sequence[FedItem], expected: int) -> None:
        """Apply a batch here and now; if it fails for its events, park the routes whose
        events fail (`isolate`). A transient failure is raised."""
        try:
            self.process(batch, expected)
        except Exception as error:
            if incidents.transient(error):
                raise
            self.isolate(batch, expected)

    def isolate(self, batch: Sequence[FedItem], expected: int) -> None:
        """Apply a batch that failed, route by route, each under a savepoint: a route whose
        events fail is parked at its first failing event (found event by event), the others'
        are applied, and the position moves past the batch, in one transaction (see
        `projections.incidents`). Every cache is forgotten after (a failed attempt may have
        left a route's state half applied)."""
        self.forget()
        parked = self.parked()
        held: list[FedItem] = []

        def write(db: Db) -> None:
            for route_id, items in incidents.by_route(batch).items():
                if route_id in parked:
                    held.extend(items)
                    continue
                if incidents.attempt(db, partial(self._prepared, items)) is None:
                    continue
                self.forget()
                for index, item in enumerate(items):
                    error = incidents.attempt(db, partial(self._prepared, [item]))
                    if error is not None:
                        self.forget()
                        incidents.park(db, self.name, item, items[index:], error)
                        break
            incidents.hold(db, self.name, held)

        tracking = Tracking(self.view.spec.application_name, batch[-1][0])
        try:
            self.view.project(expected, tracking, write)
        finally:
            self.forget()
            self._parked = None

    def _prepared(self, batch: Sequence[FedItem]) -> Write:
        """The routes' events as `prepared` takes them (a campaign's as None, keeping the
        positions) and, where the projection follows them, the campaigns' apart."""
        campaigns = [(n, e) for n, e in batch if isinstance(e, CampaignEvent)]
        if not campaigns:
            return self.prepared(cast(Sequence[Item], batch))
        routes: list[Item] = [(n, e if isinstance(e, RouteEvent) else None) for n, e in batch]
        write = self.prepared(routes)
        if not self.follows_campaigns:  # fed with another projection's (`Together`)
            return write
        also = self.prepared_campaigns(campaigns)

        def both(db: Db) -> None:
            write(db)
            also(db)

        return both

    def prepared_campaigns(self, events: Sequence[tuple[int, CampaignEvent]]) -> Write:
        """What writes the rows of the batch's campaigns' events (a projection that follows
        campaigns says how)."""
        raise NotImplementedError(f"projection {self.name} does not follow campaigns")

    def prepared(self, batch: Sequence[Item]) -> Write:
        """What writes the batch's rows inside its transaction. By default all the work is
        done there (`write`); a projection that needs no database to work out its rows does
        that here, ahead of the transaction."""
        return lambda db: self.write(db, batch)

    @abstractmethod
    def write(self, db: Db, batch: Sequence[Item]) -> None:
        """Write the batch's rows (inside the view's transaction)."""

    @abstractmethod
    def committed(self) -> None:
        """The batch's transaction committed: what was staged may be cached."""

    @abstractmethod
    def forget(self) -> None:
        """Drop every cache (after a failure, or when the view was reset)."""


class Together:
    """Several projections fed the same batches, each batch applied to each in a transaction of
    its own (with its own position). One whose position moved under it (a projector applies it
    too: SQLite has no leases) is left to that projector; when none is left, the batch fails
    (`StaleProjectionError`)."""

    def __init__(self, projections: Sequence[BatchProjection]) -> None:
        self.projections = list(projections)
        self.name = ", ".join(projection.name for projection in projections)
        self._stale: list[BatchProjection] = []

    def position(self) -> int:
        """Where the projection furthest behind stands."""
        return min(projection.position() for projection in self.projections)

    @property
    def follows_campaigns(self) -> bool:
        """Whether one of the projections follows diagnostic campaigns (their events are
        decoded then, and the others see them as None)."""
        return any(projection.follows_campaigns for projection in self.projections)

    def prepare(self, batch: Sequence[FedItem]) -> Commit:
        """Each projection's batch prepared (see `BatchProjection.prepare`); the commit applies
        them one after the other, each in its own transaction."""
        commits = [(projection, projection.prepare(batch)) for projection in self.projections]

        def commit(expected: int | None) -> None:
            for projection, each in commits:
                try:
                    each(expected)
                except StaleProjectionError:
                    self._stale.append(projection)
            if all(projection in self._stale for projection, _ in commits):
                raise StaleProjectionError(f"projections {self.name}: all applied by a projector")

        return commit

    def settle(self, batch: Sequence[FedItem], expected: int) -> None:
        """Apply a batch here and now to each projection not yet past it, parking the routes
        whose events fail (`BatchProjection.settle`); one found applied elsewhere is left to
        that projector."""
        for projection in list(self.projections):
            if projection.position() >= batch[-1][0]:
                continue
            try:
                projection.settle(batch, expected)
            except StaleProjectionError:
                self.projections.remove(projection)
        if not self.projections:
            raise StaleProjectionError(f"projections {self.name}: all applied by a projector")

    def committed(self) -> None:
        """The batch committed: projections found applied elsewhere are left to that
        projector, the others cache what they staged."""
        for projection in self._stale:
            if projection in self.projections:
                self.projections.remove(projection)
        self._stale.clear()
        for projection in self.projections:
            projection.committed()

    def forget(self) -> None:
        """Every projection forgets its caches."""
        self._stale.clear()
        for projection in self.projections:
            projection.forget()
