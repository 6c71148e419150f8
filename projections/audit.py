"""The audit trail: one row per event of every route, with its line in Russian.

`iom_audit` — route, version, notification id, time, event type, who (actor id and role), the
command id, the one-line description in the regulation's own terms
(`aggregates.summaries.describe`), the event's link in the route's hash chain, and the route's
region, municipality, school and subject (fixed when the route opens), so the trail filters like
the monitoring tables (ids only, no personal data).

`iom_audit_routes` — each route's regulation edition and filter columns, with its current
methodist (which changes) and its teacher's id, so the trail can also be filtered by methodist
and by teacher.
"""

# ruff: noqa: S608 - SQL built from declared table and column names; values are parameters

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar
from uuid import UUID

import structlog

from aggregates.events import MethodistAssigned, RegulationChanged, RouteOpened
from aggregates.summaries import describe
from projections.batch import BatchProjection
from projections.feed import Item
from projections.profiles import ProfileBook
from projections.route_rows import RouteRows
from projections.tables import (
    FILTER_COLUMNS,
    FILTERS,
    Column,
    Db,
    Filters,
    Listing,
    Row,
    Sort,
    Table,
    keyset_indexes,
)
from projections.view import ProjectionView

AUDIT_SORTS = ("notification_id", "recorded_at", "event_type", "role", "actor_id")
AUDIT_ORDER: Sort = (("notification_id", True),)

AUDIT = Table(
    "iom_audit",
    (
        Column("route_id", "uuid", "ИОМ"),
        Column("version", "int", "версия"),
        Column("notification_id", "int", "№ в журнале"),
        Column("recorded_at", "time", "время"),
        Column("event_type", "text", "событие"),
        Column("actor_id", "text", "кто"),
        Column("role", "text", "роль"),
        Column("command_id", "text", "команда"),
        Column("summary", "text", "описание"),
        Column("chain_hash", "text", "хеш цепочки"),
        Column("profile_id", "text", "регион"),
        Column("municipality_id", "text", "муниципалитет"),
        Column("school_id", "text", "ОО"),
        Column("subject", "text", "предмет"),
    ),
    key=("route_id", "version"),
    indexes=(
        ("notification_id",),
        ("municipality_id", "notification_id"),
        ("school_id", "notification_id"),
        *keyset_indexes(AUDIT_SORTS, AUDIT_ORDER, ("route_id", "version")),
    ),
)

AUDIT_ROUTES = Table(
    "iom_audit_routes",
    (
        Column("route_id", "uuid", "ИОМ"),
        Column("profile_key", "text", "регламент"),
        *FILTER_COLUMNS,
    ),
    key=("route_id",),
    indexes=(("methodist_id",),),
)


class AuditProjection(BatchProjection):
    """The audit trail (see the module's docstring)."""

    name = "audit"
    tables: ClassVar[tuple[Table, ...]] = (AUDIT, AUDIT_ROUTES)

    def __init__(self, view: ProjectionView, cache_size: int = 10_000) -> None:
        super().__init__(view)
        self._routes = RouteRows(AUDIT_ROUTES, cache_size)
        self._profiles = ProfileBook()

    def write(self, db: Db, batch: Sequence[Item]) -> None:
        """One audit row per event; the routes' filter columns as they change."""
        known = self._routes.load(db, {e.originator_id for _, e in batch if e is not None})
        changed: dict[UUID, Row] = {}
        rows: list[Row] = []
        for notification_id, event in batch:
            if event is None:
                continue
            route_id = event.originator_id
            if isinstance(event, RouteOpened):
                self._profiles.remember(db, event.profile)
                route: Row = (
                    route_id,
                    event.profile.key,
                    event.profile.id,
                    event.municipality_id,
                    event.school_id,
                    event.subject,
                    None,
                    event.teacher_id,
                )
                known[route_id] = changed[route_id] = route
            elif (found := known.get(route_id)) is None:
                structlog.get_logger().warning(
                    "projection.route_unknown",
                    projection=self.name,
                    route_id=str(route_id),
                    version=event.originator_version,
                )
                continue
            elif isinstance(event, MethodistAssigned):
                route = (*found[:6], event.methodist_id, *found[7:])
                known[route_id] = changed[route_id] = route
            elif isinstance(event, RegulationChanged):  # the route follows another edition
                self._profiles.remember(db, event.profile)
                route = (found[0], event.profile.key, *found[2:])
                known[route_id] = changed[route_id] = route
            else:
                route = found
            rows.append(
                (
                    route_id,
                    event.originator_version,
                    notification_id,
                    event.timestamp,
                    type(event).__name__,
                    event.actor.id,
                    event.actor.role.value,
                    event.command_id,
                    describe(event, self._profiles.get(db, route[1])),
                    event.chain_hash,
                    *route[2:6],
                )
            )
        db.write(AUDIT, rows, "insert")
        db.write(AUDIT_ROUTES, list(changed.values()), "upsert")
        self._routes.staged = changed

    def committed(self) -> None:
        """Cache the routes' rows written."""
        self._routes.committed()
        self._profiles.committed()

    def forget(self) -> None:
        """Forget every cache."""
        self._routes.forget()
        self._profiles.forget()


AUDIT_LIST = Listing(
    f"(SELECT a.*, r.methodist_id, r.teacher_id FROM {AUDIT.name} a "
    f"LEFT JOIN {AUDIT_ROUTES.name} r ON r.route_id = a.route_id) AS t",
    AUDIT.kinds | {"methodist_id": "text", "teacher_id": "text"},
    (*FILTERS, "route_id"),
    AUDIT_SORTS,
    AUDIT_ORDER,
    AUDIT.key,
)
"""The trail, the latest event first, with each route's filter columns (its current methodist
among them)."""


def query_audit(db: Db, filters: Filters, limit: int | None) -> list[dict[str, Any]]:
    """The trail, the latest event first, with each route's filter columns (its current
    methodist among them)."""
    return AUDIT_LIST.select(db, filters, limit=limit)
