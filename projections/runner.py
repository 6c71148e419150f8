"""Running one projection: read the log after its tracked position, apply it batch by batch.

`Runner.run` follows the store until stopped (by subscription on PostgreSQL, by polling on
SQLite), or, given `until`, catches up to that notification and returns. It never reconnects by
itself: any failure (a dropped connection, a lost lease, a view reset underneath) is raised, and
the caller — `workers.projector`, which supervises — backs off and builds a fresh runner, which
resumes from the tracked position. Nothing is remembered across runners except the tables.
While idle, it checks at every heartbeat that the view is where it left it (a rebuild may have
reset it), so a reset is noticed even when no event comes.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from threading import Event

from eventsourcing.postgres import PostgresApplicationRecorder

from aggregates.application import Routes
from projections.batch import BatchProjection
from projections.feed import Feed, PollingFeed, SubscriptionFeed, decode
from projections.lease import AnyLease, NoLease
from projections.view import StaleProjectionError


@dataclass(frozen=True)
class RunnerOptions:
    """How a runner reads: the largest batch, the polling interval on SQLite, how often an
    idle runner wakes to check its lease and whether it was asked to stop."""

    batch_size: int = 1000
    poll_interval: float = 0.2
    heartbeat: float = 1.0


class Runner:
    """Feeds one projection from the routes' notification log (see the module's docstring)."""

    def __init__(
        self,
        routes: Routes,
        projection: BatchProjection,
        *,
        lease: AnyLease | None = None,
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
        position = self.projection.view.position()
        feed = self._feed(position, follow=until is None)
        try:
            while not stop.is_set() and (until is None or position < until):
                self.lease.check()
                size = self.options.batch_size
                if until is not None:
                    size = min(size, until - position)
                notifications = feed.next_batch(
                    size, timeout=self.options.heartbeat if until is None else 0.0
                )
                if not notifications:
                    if until is not None:
                        break
                    self._check_position(position)
                    continue
                self.lease.check()
                mapper = self.routes.mapper
                name = self.projection.name
                batch = [(n.id, decode(mapper, n, name)) for n in notifications]
                self.projection.process(batch, expected=position)
                position = notifications[-1].id
                self.processed += len(notifications)
                if self.on_batch is not None:
                    self.on_batch(position)
        finally:
            feed.close()
        return position

    def _check_position(self, position: int) -> None:
        """While idle: a rebuild may have reset the view under this runner."""
        found = self.projection.view.position()
        if found != position:
            raise StaleProjectionError(
                f"projection {self.projection.name} is at {found}, this runner at {position}"
            )

    def _feed(self, position: int, *, follow: bool) -> Feed:
        recorder = self.routes.recorder
        if follow and isinstance(recorder, PostgresApplicationRecorder):
            return SubscriptionFeed(recorder, position)
        return PollingFeed(recorder, position, self.options.poll_interval)
