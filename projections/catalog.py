"""The projections this engine runs, and the operations on them: open, status, catch up, rebuild.

Four projections, each with its own tables, tracking position and lease:

- `monitoring`: routes, activities, agreement, corrections, competence dynamics, the routes' past
  stages and agreement answers, and the sums (methodists' load, dynamics totals, mass deficits);
- `audit`: the audit trail;
- `tasks`: every route's tasks, the inbox (`projections.tasks`), and their changes as webhook
  deliveries;
- `webhooks`: the outbox of the portal's webhook subscriptions (`projections.webhooks`).

Each shares the datastore of the `Routes` application it is opened on (keep that object
referenced while the projection is in use).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import partial
from threading import Event
from typing import Any
from uuid import UUID

from eventsourcing.postgres import PostgresDatastore
from psycopg.conninfo import make_conninfo

from aggregates.application import Routes
from aggregates.campaign import CampaignEvent
from aggregates.events import RouteEvent
from projections.audit import AuditProjection
from projections.batch import BatchProjection, Together
from projections.campaign_tasks import CampaignReplay, CampaignTasks
from projections.feed import read_campaign_event, read_event
from projections.incidents import (
    Incident,
    Retried,
    attempt,
    error_text,
    failed_again,
    held_versions,
    read_incidents,
    unpark,
)
from projections.lease import AnyLease, Lease, Leases, NoLease, lease_holders
from projections.monitoring import MonitoringProjection
from projections.runner import CATCH_UP, Runner, RunnerOptions
from projections.tasks import TasksProjection
from projections.view import StaleProjectionError, open_view
from projections.webhooks import WebhookProjection

PROJECTIONS: dict[str, type[BatchProjection]] = {
    MonitoringProjection.name: MonitoringProjection,
    AuditProjection.name: AuditProjection,
    WebhookProjection.name: WebhookProjection,
    TasksProjection.name: TasksProjection,
}


class UnknownProjectionError(LookupError):
    """No projection of that name."""


def datastore_of(routes: Routes) -> Any:
    """The datastore the routes' recorder uses (the projections share it)."""
    return getattr(routes.recorder, "datastore")  # noqa: B009 - not on the abstract recorder type


def open_projection(routes: Routes, name: str, *, datastore: Any = None) -> BatchProjection:
    """The projection `name` of the routes' log, its tables created if missing: on the routes'
    own store, or on `datastore` (a scratch database that `iom shadow` rebuilds into)."""
    try:
        cls = PROJECTIONS[name]
    except KeyError:
        known = ", ".join(PROJECTIONS)
        raise UnknownProjectionError(f"нет проекции «{name}»; известны: {known}") from None
    view = open_view(datastore or datastore_of(routes), cls.spec(routes.name))
    if cls is MonitoringProjection:
        return MonitoringProjection(view, replay=history_of(routes))
    if cls is TasksProjection:
        campaigns = CampaignTasks(campaign_history_of(routes))
        return TasksProjection(view, replay=history_of(routes), campaigns=campaigns)
    return cls(view)


def history_of(routes: Routes) -> Callable[[UUID, int], list[RouteEvent]]:
    """How a projection replays a route from the event store: its known events up to a version."""

    def replay(route_id: UUID, version: int) -> list[RouteEvent]:
        stored = routes.recorder.select_events(route_id, lte=version)
        return [e for e in (read_event(routes.mapper, s) for s in stored) if e is not None]

    return replay


def campaign_history_of(routes: Routes) -> CampaignReplay:
    """How the tasks projection replays a diagnostic campaign: its events up to a version."""

    def replay(campaign_id: UUID, version: int) -> list[CampaignEvent]:
        stored = routes.recorder.select_events(campaign_id, lte=version)
        found = (read_campaign_event(routes.mapper, s) for s in stored)
        return [e for e in found if e is not None]

    return replay


def conninfo_of(routes: Routes) -> str | None:
    """The PostgreSQL connection string of the routes' store (None on SQLite)."""
    datastore = datastore_of(routes)
    if not isinstance(datastore, PostgresDatastore):
        return None
    kwargs = datastore.pool.kwargs
    given = kwargs() if callable(kwargs) else kwargs or {}
    params = {k: v for k, v in given.items() if k != "row_factory"}
    return make_conninfo(**params)


def lease_for(routes: Routes, name: str, check_every: float = 1.0) -> AnyLease:
    """The lease of a projection: an advisory lock on PostgreSQL, none on SQLite."""
    conninfo = conninfo_of(routes)
    return NoLease() if conninfo is None else Lease(conninfo, name, check_every)


@dataclass(frozen=True)
class Status:
    """Where a projection stands against the store, and its parked routes."""

    name: str
    position: int
    head: int
    holder: str | None
    incidents: tuple[Incident, ...] = ()

    @property
    def held(self) -> int:
        """Events held back for the parked routes."""
        return sum(incident.held for incident in self.incidents)

    @property
    def lag(self) -> int:
        """Notifications recorded but not yet applied."""
        return max(self.head - self.position, 0)


def statuses(routes: Routes) -> list[Status]:
    """Each projection's position, the store's last notification id, and the lease holder."""
    head = routes.recorder.max_notification_id() or 0
    conninfo = conninfo_of(routes)
    holders = lease_holders(conninfo, list(PROJECTIONS)) if conninfo else {}
    found: list[Status] = []
    for name in PROJECTIONS:
        view = open_projection(routes, name).view
        with view.transaction(commit=False) as db:
            parked = tuple(read_incidents(db, name))
        found.append(Status(name, view.position(), head, holders.get(name), parked))
    return found


def catch_up(
    routes: Routes,
    name: str,
    *,
    until: int | None = None,
    options: RunnerOptions | None = None,
    on_batch: Callable[[int], None] | None = None,
) -> int:
    """Apply everything up to `until` (default: the store's last notification) in this process,
    under the projection's lease, in batches of `options` (default `CATCH_UP`); the position
    reached."""
    head = (routes.recorder.max_notification_id() or 0) if until is None else until
    lease = lease_for(routes, name)
    if not lease.try_acquire():
        raise LeaseHeldError(name)
    try:
        projection = open_projection(routes, name)
        options = options or CATCH_UP
        runner = Runner(routes, projection, lease=lease, options=options, on_batch=on_batch)
        return runner.run(until=head)
    finally:
        lease.release()


class LeaseHeldError(RuntimeError):
    """Another projector holds the projection's lease."""

    def __init__(self, name: str) -> None:
        super().__init__(f"проекцию «{name}» сейчас ведёт другой процесс iom projector")
        self.name = name


def rebuild(
    routes: Routes,
    name: str,
    *,
    options: RunnerOptions | None = None,
    on_batch: Callable[[int], None] | None = None,
    stop: Event | None = None,
    wait: float = 0.25,
) -> int:
    """Drop the projection's tables and position, and apply the log again from the first event
    (see `rebuild_all`); the position reached."""
    told = None if on_batch is None else (lambda _, position: on_batch(position))
    reached = rebuild_all(routes, [name], options=options, on_batch=told, stop=stop, wait=wait)
    return reached[name]


def rebuild_all(
    routes: Routes,
    names: Sequence[str],
    *,
    options: RunnerOptions | None = None,
    on_batch: Callable[[str, int], None] | None = None,
    stop: Event | None = None,
    wait: float = 0.25,
) -> dict[str, int]:
    """Drop the projections' tables and positions, and apply the log again from the first event
    in one pass: each batch is read and decoded once, then applied to each projection in a
    transaction of its own. Batches are those of `options` (default `CATCH_UP`).

    A projection no projector runs is rebuilt here. One that a projector runs (it holds the
    lease, or on SQLite it overtakes this call) is reset under it: its next batch finds the
    position moved, and it starts again from the first event; this call then follows its
    progress. Each projection's position is returned once it reaches the store's last
    notification id when the rebuild began; `on_batch` hears each one's progress.
    """
    head = routes.recorder.max_notification_id() or 0
    leases = {name: lease_for(routes, name) for name in names}
    mine = [name for name, lease in leases.items() if lease.try_acquire()]
    projections = {name: open_projection(routes, name) for name in names}
    # Rows load faster without the secondary indexes; they are built once, at the end (and by
    # the next `open_projection` if this process dies before).
    for projection in projections.values():
        projection.view.reset(indexes=False)
    together = Together([projections[name] for name in mine])

    def told(position: int) -> None:  # each projection still fed here is at `position`
        for projection in together.projections:
            if on_batch is not None:
                on_batch(projection.name, position)

    try:
        if mine:
            lease = Leases([leases[name] for name in mine])
            options = options or CATCH_UP
            Runner(routes, together, lease=lease, options=options, on_batch=told).run(until=head)
    except StaleProjectionError:  # projectors (on SQLite, without a lease) apply them all
        pass
    finally:
        for each in leases.values():
            each.release()
    stop = stop or Event()
    return {name: _follow(p, head, on_batch, stop, wait) for name, p in projections.items()}


def _follow(
    projection: BatchProjection,
    head: int,
    on_batch: Callable[[str, int], None] | None,
    stop: Event,
    wait: float,
) -> int:
    """Wait until the projection reaches `head` (a projector applies it), then build its
    indexes; the position reached."""
    position = projection.position()
    while position < head and not stop.wait(wait):
        position = projection.position()
        if on_batch is not None:
            on_batch(projection.name, position)
    projection.view.create_indexes()
    return position


def retry_parked(routes: Routes, route_id: UUID | None = None) -> list[Retried]:
    """Apply the held events of every parked route (or of one) again, each projection's and
    route's in a transaction that holds the projection's tracking row; what each did (see
    `projections.incidents`)."""
    done: list[Retried] = []
    for name in PROJECTIONS:
        projection = open_projection(routes, name)
        with projection.view.transaction(commit=False) as db:
            parked = [i for i in read_incidents(db, name) if route_id in (None, UUID(i.route_id))]
        for incident in parked:
            done.append(_retry(routes, projection, UUID(incident.route_id), incident.version))
    return done


def _retry(routes: Routes, projection: BatchProjection, route_id: UUID, first: int) -> Retried:
    stored = routes.recorder.select_events(route_id, gt=first - 1)
    events = {s.originator_version: read_event(routes.mapper, s) for s in stored}
    view = projection.view
    try:
        with view.transaction(commit=True) as db:
            view.spec.lock(db)
            held = held_versions(db, projection.name, route_id)
            if not set(held) <= set(events):  # held meanwhile, after the events were read
                raise StaleProjectionError(f"route {route_id}: events held meanwhile")
            items = [(held[version], events[version]) for version in sorted(held)]
            error = attempt(db, partial(projection.prepared, items))
            if error is None:
                unpark(db, projection.name, route_id)
            else:
                failed_again(db, projection.name, route_id, error)
    finally:
        projection.forget()
    if error is None:
        return Retried(projection.name, str(route_id), len(items), "applied")
    return Retried(projection.name, str(route_id), len(items), "failed", error_text(error))
