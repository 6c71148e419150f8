"""The projector process (`iom projector`): every projection, each under its lease, for as long
as the process runs, surviving dropped connections.

Each projection runs in a thread of its own (`ProjectionWorker`) that loops:

1. build the store's application (`connect()`) and the projection's lease;
2. wait, on standby, until the lease is free (another projector may hold it; on SQLite there is
   no lease and one projector per store is assumed);
3. run the projection from its tracked position until asked to stop;
4. on any failure — a dropped connection, the lease lost, the view reset by a rebuild — log it,
   close everything, pause (doubling from `first_pause` to `longest_pause` while failures
   repeat), and start again at 1. Nothing is carried over: the tracked position in the database
   is where the next run resumes, so no event is missed and none is applied twice.

With the audit projection among them, the process also writes a signed audit checkpoint
(`projections.checkpoints`) once it starts, then every `Checkpointing.interval` seconds.
"""

from __future__ import annotations

import gc
import math
import signal
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from threading import Event, Lock, Thread
from types import FrameType

import structlog

from aggregates.application import Routes
from projections.catalog import PROJECTIONS, lease_for, open_projection
from projections.checkpoints import write_checkpoint
from projections.lease import AnyLease, LeaseLostError
from projections.runner import Runner, RunnerOptions
from projections.view import StaleProjectionError
from workers.webhooks import DeliveryLoop, DeliveryPolicy

_CONNECTING = Lock()


def tune_gc() -> None:
    """Collect the young generation rarely: a batch's events and the routes' states outlive
    many young collections, so with lower thresholds the collector walks them over and over (a
    third of a catch-up's time here at 50,000). Reference counting frees nearly everything
    anyway; the collector is only for cycles. Call once, in the process that projects."""
    gc.set_threshold(1_000_000, 10, 10)


@dataclass(frozen=True)
class Supervision:
    """How a worker waits and retries: the lease poll on standby, the lease check while running,
    and the pause after a failure (doubling up to the longest)."""

    lease_poll: float = 0.5
    lease_check: float = 1.0
    first_pause: float = 0.2
    longest_pause: float = 5.0


def connected(connect: Callable[[], Routes]) -> Routes:
    """The store's application, built one thread at a time (the library's CREATE OR REPLACE
    FUNCTION races itself)."""
    with _CONNECTING:
        return connect()


class ProjectionWorker:
    """Runs one projection under supervision (see the module's docstring)."""

    def __init__(
        self,
        name: str,
        connect: Callable[[], Routes],
        stop: Event,
        *,
        options: RunnerOptions | None = None,
        supervision: Supervision | None = None,
    ) -> None:
        self.name = name
        self.connect = connect
        self.stop = stop
        self.options = options or RunnerOptions()
        self.supervision = supervision or Supervision()
        self.holding = Event()
        self.lease: AnyLease | None = None
        self.routes: Routes | None = None  # the application of the current run, if any
        self.restarts = 0  # runs ended by an error or a lost lease, then started again
        self.thread = Thread(target=self.run, name=f"projection-{name}", daemon=True)

    def run(self) -> None:
        """Loop until stopped: wait for the lease, run, recover (see the module's docstring)."""
        log = structlog.get_logger().bind(projection=self.name)
        pause = self.supervision.first_pause
        while not self.stop.is_set():
            routes: Routes | None = None
            processed = 0
            try:
                routes = self.routes = connected(self.connect)
                self.lease = lease_for(routes, self.name, self.supervision.lease_check)
                if not self._wait_for_lease():
                    return
                log.info("projection.lease_acquired", backend=self.lease.backend_pid)
                self.holding.set()
                runner = Runner(
                    routes,
                    open_projection(routes, self.name),
                    lease=self.lease,
                    options=self.options,
                )
                try:
                    position = runner.run(self.stop)
                finally:
                    processed = runner.processed
                log.info("projection.stopped", position=position)
            except (LeaseLostError, StaleProjectionError) as error:
                self.restarts += 1
                log.warning("projection.restarting", reason=str(error))
                pause = self.supervision.first_pause
                self.stop.wait(pause)
            except Exception as error:  # supervise: whatever failed, start again from the table
                self.restarts += 1
                log.error("projection.failed", error=f"{type(error).__name__}: {error}")
                pause = self.supervision.first_pause if processed else pause
                self.stop.wait(pause)
                pause = min(pause * 2, self.supervision.longest_pause)
            finally:
                self.holding.clear()
                if self.lease is not None:
                    self.lease.release()
                if routes is not None:
                    routes.close()

    def _wait_for_lease(self) -> bool:
        assert self.lease is not None
        while not self.lease.try_acquire():
            if self.stop.wait(self.supervision.lease_poll):
                return False
        return True


@dataclass(frozen=True)
class Checkpointing:
    """Signed audit checkpoints: the key that signs them and the seconds between two."""

    key: bytes
    interval: float

    def write(self, routes: Routes) -> None:
        """Write one (a failure is logged: the next one is tried at the next interval)."""
        try:
            with open_projection(routes, "audit").view.transaction(commit=True) as db:
                written = write_checkpoint(db, self.key)
        except Exception as error:  # the projections go on; the next interval tries again
            structlog.get_logger().error(
                "audit.checkpoint_failed", error=f"{type(error).__name__}: {error}"
            )
            return
        structlog.get_logger().info(
            "audit.checkpoint", checkpoint=written.number, routes=len(written.heads)
        )


class Projector:
    """Every named projection, each in its worker thread; with `webhooks` among them, the
    delivery loop of the portal's subscriptions too (`workers.webhooks`)."""

    def __init__(
        self,
        connect: Callable[[], Routes],
        names: Sequence[str] = tuple(PROJECTIONS),
        *,
        options: RunnerOptions | None = None,
        supervision: Supervision | None = None,
        delivery: DeliveryPolicy | None = None,
        checkpointing: Checkpointing | None = None,
    ) -> None:
        self.connect = connect
        self.checkpointing = checkpointing if "audit" in names else None
        self.stop_event = Event()
        self.workers = [
            ProjectionWorker(
                name, connect, self.stop_event, options=options, supervision=supervision
            )
            for name in names
        ]
        self.deliveries = (
            DeliveryLoop(lambda: connected(connect), self.stop_event, delivery)
            if "webhooks" in names
            else None
        )

    def start(self) -> None:
        """Start every worker (and the delivery loop)."""
        for worker in self.workers:
            worker.thread.start()
        if self.deliveries is not None:
            self.deliveries.thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        """Ask every worker to stop, and wait for them."""
        self.stop_event.set()
        threads = [worker.thread for worker in self.workers]
        threads += [self.deliveries.thread] if self.deliveries is not None else []
        for thread in threads:
            if thread.is_alive():
                thread.join(timeout)

    def serve(self) -> None:
        """Run until SIGINT or SIGTERM (call from the main thread)."""

        def _stop(signum: int, _: FrameType | None) -> None:
            structlog.get_logger().info("projector.stopping", signal=signal.Signals(signum).name)
            self.stop_event.set()

        signal.signal(signal.SIGINT, _stop)
        signal.signal(signal.SIGTERM, _stop)
        self.start()
        structlog.get_logger().info(
            "projector.ready", projections=[worker.name for worker in self.workers]
        )
        # The first checkpoint within a second of starting: `iom audit verify` reports a store
        # whose audit trail has rows but no checkpoint, as a deleted checkpoint would leave it.
        last = -math.inf
        while not self.stop_event.wait(1.0):
            every = self.checkpointing
            if every is not None and every.interval and time.monotonic() - last >= every.interval:
                routes = connected(self.connect)
                try:
                    every.write(routes)
                finally:
                    routes.close()
                last = time.monotonic()
        self.stop()

    def __enter__(self) -> Projector:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


if __name__ == "__main__":
    import typer

    from runtime.settings import Settings
    from workers.cli.projections import projector
    from workers.logs import configure_logging

    configure_logging(Settings().log_format)
    typer.run(projector)
