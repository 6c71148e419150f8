"""The shape every projection here shares: the library's `Projection`, applied a batch at a time.

A batch is a run of notifications in order; its rows and the position of its last notification
are written in one transaction by the view (`ProjectionView.project`). An event the projection
could not read (an unknown type) arrives as None: it is skipped, but the position still moves
past it. What a projection caches between batches is only trusted once its transaction has
committed; after any failure it is forgotten and read again from the tables.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from typing import Any, ClassVar

from eventsourcing.persistence import Tracking
from eventsourcing.projection import Projection

from projections.feed import Item
from projections.profiles import PROFILES
from projections.tables import Db, Table
from projections.view import ProjectionView, StaleProjectionError, ViewSpec


class BatchProjection(Projection[ProjectionView], ABC):
    """A projection whose rows follow from batches of events (see the module's docstring)."""

    tables: ClassVar[tuple[Table, ...]] = ()

    @classmethod
    def spec(cls, application_name: str) -> ViewSpec:
        """What the projection's view holds."""
        return ViewSpec(cls.name, cls.tables, (PROFILES,), application_name)

    def position(self) -> int:
        """The last notification id applied (0 before the first)."""
        return self.view.position()

    def process_event(self, domain_event: Any, tracking: Tracking) -> None:
        """Apply one event (the library's interface); batches go through `process`."""
        self.process([(tracking.notification_id, domain_event)], expected=None)

    def process(self, batch: Sequence[Item], expected: int | None) -> None:
        """Apply a batch continuing from position `expected`, rows and position together."""
        tracking = Tracking(self.view.spec.application_name, batch[-1][0])
        try:
            self.view.project(expected, tracking, lambda db: self.write(db, batch))
        except BaseException:
            self.forget()
            raise
        self.committed()

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

    def position(self) -> int:
        """Where the projection furthest behind stands."""
        return min(projection.position() for projection in self.projections)

    def process(self, batch: Sequence[Item], expected: int | None) -> None:
        """Apply the batch to each projection still fed here."""
        for projection in list(self.projections):
            try:
                projection.process(batch, expected)
            except StaleProjectionError:
                self.projections.remove(projection)
        if not self.projections:
            raise StaleProjectionError(f"projections {self.name}: all applied by a projector")
