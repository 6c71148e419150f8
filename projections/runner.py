"""Running a projection (or several together, `batch.Together`): read the log after its tracked
position, apply it batch by batch.

`Runner.run` follows the store until stopped (by subscription on PostgreSQL, by polling on
SQLite), or, given `until`, catches up to that notification (reading ahead) and returns. On
PostgreSQL a batch's transaction runs in a writer thread while the next batch is worked out
(`Pipeline`): the transaction mostly waits for the server, which works on the other core. It
never reconnects by itself: any failure (a dropped connection, a lost lease, a view reset
underneath) is raised, and the caller — `workers.projector`, which supervises — backs off and
builds a fresh runner, which resumes from the tracked position. Nothing is remembered across
runners except the tables. While idle, it checks at every heartbeat that the view is where it
left it (a rebuild may have reset it), so a reset is noticed even when no event comes.

A batch that fails for its events (not for the connection, lease or position:
`incidents.transient`) does not stop it: the batches not yet committed are applied again one at
a time (`settle`), the routes whose events fail parked and reported (`projections.incidents`),
and the runner goes on from the position they reached.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from threading import Event
from typing import Protocol

from eventsourcing.postgres import PostgresApplicationRecorder

from aggregates.application import Routes
from projections.batch import Commit
from projections.feed import (
    Decoder,
    FedItem,
    Feed,
    PollingFeed,
    ReadAheadFeed,
    SubscriptionFeed,
)
from projections.incidents import transient
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

    @property
    def follows_campaigns(self) -> bool:
        """Whether diagnostic campaigns' events are to be decoded and fed."""

    def position(self) -> int:
        """The last notification id applied."""

    def prepare(self, batch: Sequence[FedItem]) -> Commit:
        """The batch worked out before its transaction, and the transaction."""

    def committed(self) -> None:
        """The oldest prepared batch's transaction committed."""

    def forget(self) -> None:
        """Drop every cache (after a failure)."""

    def settle(self, batch: Sequence[FedItem], expected: int) -> None:
        """Apply a batch here and now, parking the routes whose events fail."""


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
        pipeline = Pipeline(self.projection, threaded=self._on_postgres())
        try:
            while not stop.is_set() and (until is None or position < until):
                self.lease.check()
                batch = feed.next_batch(
                    self.options.batch_size,
                    timeout=0.0 if pipeline.busy or until is not None else self.options.heartbeat,
                )
                try:
                    if not batch:
                        if pipeline.busy:
                            self._done(pipeline.finish())
                            continue
                        if until is not None:
                            break
                        self._check_position(position)
                        continue
                    commit = pipeline.prepare(batch)
                    if pipeline.busy:
                        self._done(pipeline.finish())
                    self.lease.check()
                    pipeline.start(commit, position, batch)
                except Exception as error:
                    position = self._recover(pipeline, batch, error)
                    continue
                position = batch[-1][0]
            if pipeline.busy:
                try:
                    self._done(pipeline.finish())
                except Exception as error:
                    position = self._recover(pipeline, [], error)
        finally:
            pipeline.close()
            feed.close()
        return position

    def _recover(self, pipeline: Pipeline, batch: Sequence[FedItem], error: Exception) -> int:
        """A batch failed: a transient `error` is raised; one of the events has the batch in
        flight (if it did not commit) and `batch` applied here one after the other, the routes
        whose events fail parked (`Fed.settle`); the position reached."""
        if transient(error):
            raise error
        in_flight = pipeline.drain()
        position = self.projection.position()
        for each in (in_flight, batch):
            if each and each[-1][0] > position:
                self.projection.settle(each, position)
                self._done(each)
                position = each[-1][0]
        return position

    def _done(self, batch: Sequence[FedItem]) -> None:
        """A batch committed."""
        self.processed += len(batch)
        if self.on_batch is not None:
            self.on_batch(batch[-1][0])

    def _check_position(self, position: int) -> None:
        """While idle: a rebuild may have reset the view under this runner."""
        found = self.projection.position()
        if found != position:
            raise StaleProjectionError(
                f"projection {self.projection.name} is at {found}, this runner at {position}"
            )

    def _on_postgres(self) -> bool:
        return isinstance(self.routes.recorder, PostgresApplicationRecorder)

    def _feed(self, position: int, until: int | None) -> Feed:
        recorder = self.routes.recorder
        decoder = Decoder(
            self.routes.mapper, self.projection.name, self.projection.follows_campaigns
        )
        if until is not None:
            return ReadAheadFeed(recorder, decoder, position, until, self.options.batch_size)
        if self._on_postgres():
            return SubscriptionFeed(recorder, decoder, position)
        return PollingFeed(recorder, decoder, position, self.options.poll_interval)


class Pipeline:
    """At most one batch's transaction in flight: started (in a writer thread if `threaded`)
    once the batch is prepared, finished before the next one starts, so batches commit in order
    and each continues from the position the previous one committed. The next batch may be
    prepared meanwhile: a projection keeps what a prepared batch staged apart until it commits.
    A failure is raised by `finish` and leaves the batch in flight until `drain` or `close`,
    which make the projection forget its caches."""

    def __init__(self, projection: Fed, *, threaded: bool) -> None:
        self.projection = projection
        self._writer = ThreadPoolExecutor(1, "projection-writer") if threaded else None
        self._flight: tuple[Future[None], Sequence[FedItem]] | None = None

    @property
    def busy(self) -> bool:
        """A batch's transaction is in flight."""
        return self._flight is not None

    def prepare(self, batch: Sequence[FedItem]) -> Commit:
        """The batch prepared (see `BatchProjection.prepare`); on a failure the caller drains
        or closes the pipeline."""
        return self.projection.prepare(batch)

    def start(self, commit: Commit, expected: int, batch: Sequence[FedItem]) -> None:
        """The batch's transaction, continuing from position `expected`."""
        if self._writer is None:
            future: Future[None] = Future()
            try:
                commit(expected)
            except BaseException as error:
                future.set_exception(error)
            else:
                future.set_result(None)
        else:
            future = self._writer.submit(commit, expected)
        self._flight = (future, batch)

    def finish(self) -> Sequence[FedItem]:
        """Wait for the batch in flight to commit; the batch."""
        assert self._flight is not None
        future, batch = self._flight
        future.result()  # a failure leaves the batch in flight, for `drain` or `close`
        self._flight = None
        self.projection.committed()
        return batch

    def drain(self) -> Sequence[FedItem] | None:
        """After a failure: wait for the batch in flight, whatever it does, forget the caches,
        and give the batch back (it may or may not have committed: the position says which)."""
        batch = self._flight[1] if self._flight is not None else None
        self._abandon()
        return batch

    def _abandon(self) -> None:
        """Wait for the batch in flight, whatever it does, and forget the caches (its commit may
        or may not have happened; the tables and the position say which)."""
        if self._flight is not None:
            self._flight[0].exception()
            self._flight = None
        self.projection.forget()

    def close(self) -> None:
        """Let a batch in flight end (it is forgotten), and stop the writer."""
        if self._flight is not None:
            self._abandon()
        if self._writer is not None:
            self._writer.shutdown(wait=True)
