"""Events a projection cannot apply: reported, their route parked, never skipped silently.

A batch that fails for its events (anything but a lost connection, lease or position: see
`transient`) is applied again route by route, each route's events under a savepoint, and the
route whose events fail is *parked* (`BatchProjection.isolate`): its first failing event is an
incident, and it and every later event of the route are *held*, not applied (they would build on
the missing one). The other routes' events are applied and the position moves past the batch,
all in the batch's one transaction: incidents, held events, rows and position are stored
together or not at all, so a crash at any point neither loses nor doubles an event.

`iom_projection_incidents` — one row per (projection, parked route): the failing event's
notification id, version and type, the error (its type and first line: events carry ids only,
so no personal data), when first and last seen, how many times it failed.

`iom_projection_held` — the events held back, per projection: notification id, route, version.

`retry` applies a parked route's held events again (after a fix): when they now apply, the
incident and its held events are gone, in one transaction that holds the projection's tracking
row (a running projector's batches wait for it). A projector that still takes the route for
parked then finds its incident gone in its next batch's transaction and starts again
(`ParkingChangedError`), so the route's later events are applied, not held.
"""

# ruff: noqa: S608 - SQL built from declared table and column names; values are parameters

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal
from uuid import UUID

import psycopg
import structlog
from eventsourcing.persistence import InterfaceError, OperationalError

from projections.feed import FedItem
from projections.lease import LeaseLostError
from projections.tables import Column, Db, Table, normalise_row
from projections.view import StaleProjectionError, Write

INCIDENTS = Table(
    "iom_projection_incidents",
    (
        Column("projection", "text", "проекция"),
        Column("route_id", "uuid", "ИОМ"),
        Column("notification_id", "int", "№ в журнале"),
        Column("version", "int", "версия"),
        Column("event_type", "text", "событие"),
        Column("error", "text", "ошибка"),
        Column("first_seen", "time", "впервые"),
        Column("last_seen", "time", "последний раз"),
        Column("failures", "int", "сбоев"),
    ),
    key=("projection", "route_id"),
)

HELD = Table(
    "iom_projection_held",
    (
        Column("projection", "text"),
        Column("notification_id", "int"),
        Column("route_id", "uuid"),
        Column("version", "int"),
    ),
    key=("projection", "notification_id"),
    indexes=(("projection", "route_id"),),
)

PARKING = (INCIDENTS, HELD)
"""The tables every projection's view holds (shared: a rebuild clears only its own rows)."""

TRANSIENT: tuple[type[BaseException], ...] = (
    StaleProjectionError,
    LeaseLostError,
    OperationalError,
    InterfaceError,
    psycopg.OperationalError,
    psycopg.InterfaceError,
    sqlite3.OperationalError,
    ConnectionError,
    TimeoutError,
)
"""Failures of the connection, the lease or the position, not of the events: the runner stops
on them and its supervisor starts again from the tracked position."""

ERROR_LENGTH = 300


class ParkingChangedError(StaleProjectionError):
    """A route this projector holds for parked was retried meanwhile (`retry`): start again."""


def transient(error: BaseException) -> bool:
    """Whether a failure is of the connection, lease or position (not of the events)."""
    return isinstance(error, TRANSIENT)


def error_text(error: BaseException) -> str:
    """What an incident keeps of an error: its type and the first line of its message."""
    lines = str(error).strip().splitlines()
    text = f"{type(error).__name__}: {lines[0]}" if lines else type(error).__name__
    return text[:ERROR_LENGTH]


@dataclass(frozen=True)
class Incident:
    """A parked route of a projection (see the module's docstring)."""

    projection: str
    route_id: str
    notification_id: int
    version: int
    event_type: str
    error: str
    first_seen: str
    last_seen: str
    failures: int
    held: int

    def line(self) -> str:
        """The incident in a sentence, in Russian."""
        return (
            f"проекция {self.projection}: ИОМ {self.route_id} остановлен на событии"
            f" {self.notification_id} ({self.event_type}, версия {self.version}) — {self.error};"
            f" задержано событий: {self.held}"
        )


def read_incidents(db: Db, projection: str | None = None) -> list[Incident]:
    """The open incidents (of one projection, or all), the oldest first, with their held
    events counted."""
    where, params = (" WHERE i.projection = %s", [projection]) if projection else ("", [])
    rows = db.fetchall(
        f"SELECT i.*, (SELECT COUNT(*) FROM {HELD.name} h WHERE h.projection = i.projection"
        f" AND h.route_id = i.route_id) AS held FROM {INCIDENTS.name} i{where}"
        " ORDER BY i.notification_id, i.projection",
        params,
    )
    return [
        Incident(**normalise_row(INCIDENTS.kinds, row) | {"held": int(row["held"])}) for row in rows
    ]


def parked_routes(db: Db, projection: str) -> set[UUID]:
    """The routes of a projection that are parked."""
    rows = db.fetchall(
        f"SELECT route_id FROM {INCIDENTS.name} WHERE projection = %s", (projection,)
    )
    return {UUID(str(row["route_id"])) for row in rows}


def clear(db: Db, projection: str) -> None:
    """Forget a projection's incidents and held events (its view is rebuilt)."""
    for table in PARKING:
        db.execute(f"DELETE FROM {table.name} WHERE projection = %s", (projection,))


def hold(db: Db, projection: str, held: Sequence[FedItem]) -> None:
    """Record events held back because their route is parked; fails (`ParkingChangedError`)
    when a route is no longer parked (retried meanwhile)."""
    events = [(n, e) for n, e in held if e is not None]
    if not events:
        return
    routes = {e.originator_id for _, e in events}
    if not routes <= parked_routes(db, projection):
        raise ParkingChangedError(f"projection {projection}: a parked route was retried")
    rows = [(projection, n, e.originator_id, e.originator_version) for n, e in events]
    db.write(HELD, rows, "upsert")


def park(
    db: Db, projection: str, culprit: FedItem, rest: Sequence[FedItem], error: BaseException
) -> None:
    """Record an incident on the culprit's route (or count it again), and hold the culprit and
    the route's later events of the batch."""
    notification_id, event = culprit
    assert event is not None
    now = datetime.now(UTC)
    text = error_text(error)
    db.execute(
        INCIDENTS.insert()
        + " ON CONFLICT (projection, route_id) DO UPDATE SET last_seen = excluded.last_seen,"
        f" failures = {INCIDENTS.name}.failures + 1, error = excluded.error",
        (
            projection,
            event.originator_id,
            notification_id,
            event.originator_version,
            type(event).__name__,
            text,
            now,
            now,
            1,
        ),
    )
    hold(db, projection, rest)
    structlog.get_logger().error(
        "projection.event_failed",
        projection=projection,
        route_id=str(event.originator_id),
        notification_id=notification_id,
        event_type=type(event).__name__,
        error=text,
    )


def attempt(db: Db, apply: Callable[[], Write]) -> BaseException | None:
    """Apply under a savepoint: None when it applied, else the failure (its writes undone).
    A transient failure is raised."""
    db.execute("SAVEPOINT iom_attempt")
    try:
        apply()(db)
    except Exception as error:
        if transient(error):
            raise
        db.execute("ROLLBACK TO SAVEPOINT iom_attempt")
        db.execute("RELEASE SAVEPOINT iom_attempt")
        return error
    db.execute("RELEASE SAVEPOINT iom_attempt")
    return None


def by_route(batch: Sequence[FedItem]) -> dict[UUID, list[FedItem]]:
    """The batch's events route by route, in order (unknown events left out)."""
    routes: dict[UUID, list[FedItem]] = {}
    for item in batch:
        if item[1] is not None:
            routes.setdefault(item[1].originator_id, []).append(item)
    return routes


RetryResult = Literal["applied", "failed"]


@dataclass(frozen=True)
class Retried:
    """What a retry of a parked route did: applied its held events, or failed again."""

    projection: str
    route_id: str
    events: int
    result: RetryResult
    error: str = ""


def held_versions(db: Db, projection: str, route_id: UUID) -> dict[int, int]:
    """A parked route's held events: notification id by version."""
    rows = db.fetchall(
        f"SELECT version, notification_id FROM {HELD.name} WHERE projection = %s AND route_id = %s",
        (projection, route_id),
    )
    return {int(row["version"]): int(row["notification_id"]) for row in rows}


def unpark(db: Db, projection: str, route_id: UUID) -> None:
    """The route's incident and held events are gone (its events applied)."""
    for table in PARKING:
        db.execute(
            f"DELETE FROM {table.name} WHERE projection = %s AND route_id = %s",
            (projection, route_id),
        )


def failed_again(db: Db, projection: str, route_id: UUID, error: BaseException) -> None:
    """A retry failed: the incident counts it."""
    db.execute(
        f"UPDATE {INCIDENTS.name} SET last_seen = %s, failures = failures + 1, error = %s"
        " WHERE projection = %s AND route_id = %s",
        (datetime.now(UTC), error_text(error), projection, route_id),
    )


def as_json(incident: Incident) -> dict[str, Any]:
    """An incident as JSON-ready data."""
    return dict(incident.__dict__)
