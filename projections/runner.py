"""Running a projection (or several together, `batch.Together`): read the log after its tracked
position, apply it batch by batch.

`Runner.run` follows the store until stopped (by subscription on PostgreSQL, by polling on
SQLite), or, given `until`, catches up to that notification (reading ahead) and returns. It
never reconnects by itself: any failure (a dropped connection, a lost lease, a view reset
underneath) is raised, and the caller — `workers.projector`, which supervises — backs off and
builds a fresh runner, which resumes from the tracked position. Nothing is remembered across
runners except the tables. While idle, it checks at every heartbeat that the view is where it
left it (a rebuild may have reset it), so a reset is noticed even when no event comes.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from threading import Event
from typing import Protocol

from eventsourcing.postgres import PostgresApplicationRecorder

from aggregates.application import Routes
from projections.feed import Decoder, Feed, Item, PollingFeed, ReadAheadFeed, SubscriptionFeed
from projections.lease import AnyLease, Leases, NoLease
from projections.view import StaleProjectionError


@dataclass(frozen=True)
class RunnerOptions:
    """How a runner reads: the largest batch, the polling interval on SQLite, how often an
    idle runner wakes to check its lease and whether it was asked to stop."""

    batch_size: int = 1000
    poll_interval: float = 0.2
    heartbeat: float = 1.0


CATCH_UP = RunnerOptions(batch_size=10_000)
"""How a rebuild or a catch-up reads unless told otherwise: in large batches. A batch derives and
writes each route's rows once, however many of its events it holds, so the larger the batch the
fewer rows are written per event (at most a few batches are held in memory)."""


class Fed(Protocol):
    """What a runner feeds: a projection (`batch.BatchProjection`), or several together
    (`batch.Together`)."""

    name: str

    def position(self) -> int:
        """The last notification id applied."""

    def process(self, batch: Sequence[Item], expected: int | None) -> None:
        """Apply a batch continuing from position `expected`."""


class Runner:
    """Feeds a projection from the routes' notification log (see the module's docstring)."""

    def __init__(
        self,
        routes: Routes,
        projection: Fed,
        *,
        lease: AnyLease | Leases | None = None,
        options: RunnerOptions | None = None,
        on_batch: Callable[[int], None] | None = None,
    ) -> None:
        self.routes = routes  # keep it: the view shares its datastore
        self.projection = projection
        self.lease = lease or NoLease()
        self.options = options or RunnerOptions()
        self.on_batch = on_batch
        self.processed = 0

    def run(self, stop: Event | None = None, until: int | None = None) -> int:
        """Apply batches until `stop` is set or (given `until`) the position reaches it; the
        position reached."""
        stop = stop or Event()
        position = self.projection.position()
        feed = self._feed(position, until)
        try:
            while not stop.is_set() and (until is None or position < until):
                self.lease.check()
                batch = feed.next_batch(
                    self.options.batch_size,
                    timeout=self.options.heartbeat if until is None else 0.0,
                )
                if not batch:
                    if until is not None:
                        break
                    self._check_position(position)
                    continue
                self.lease.check()
                self.projection.process(batch, expected=position)
                position = batch[-1][0]
                self.processed += len(batch)
                if self.on_batch is not None:
                    self.on_batch(position)
        finally:
            feed.close()
        return position

    def _check_position(self, position: int) -> None:
        """While idle: a rebuild may have reset the view under this runner."""
        found = self.projection.position()
        if found != position:
            raise StaleProjectionError(
                f"projection {self.projection.name} is at {found}, this runner at {position}"
            )

    def _feed(self, position: int, until: int | None) -> Feed:
        recorder = self.routes.recorder
        decoder = Decoder(self.routes.mapper, self.projection.name)
        if until is not None:
            return ReadAheadFeed(recorder, decoder, position, until, self.options.batch_size)
        if isinstance(recorder, PostgresApplicationRecorder):
            return SubscriptionFeed(recorder, decoder, position)
        return PollingFeed(recorder, decoder, position, self.options.poll_interval)
