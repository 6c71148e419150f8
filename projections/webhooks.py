"""The portal's webhook subscriptions, fed like every read side: the `webhooks` projection writes
one delivery row per (subscription, event) in the same transaction as its tracking position.

`iom_webhook_subscriptions` — the endpoints the portal registered (region, URL, secret, the
event types wanted), each with the store's position when it was registered (`start_after`) and,
once deleted, when it ended (`end_after`). A subscription receives exactly the events of its
region recorded in between: the positions are taken under the projection's tracking row lock
(see `projections.subscriptions`), so what a subscription receives does not depend on where
the projection stood, and a rebuild derives the same deliveries again.

`iom_webhook_deliveries` — the outbox: one row per (subscription, event), its id derived from
both (`delivery_id`), its signed body fixed when written, its status (`pending`, `delivered`,
`failed`, `cancelled`), attempts, the time of the next attempt and the last error. Both tables
are kept by a rebuild (they are not derived from events alone, and delivered rows must stay
delivered): a replay inserts nothing that is already there, so no delivery is doubled.

`iom_webhook_routes` — each route's region and regulation edition (the projection's own,
rebuilt from the opening events).
"""

# ruff: noqa: S608 - SQL built from declared table and column names; values are parameters

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, ClassVar
from uuid import UUID

from aggregates.events import RegulationChanged, RouteEvent, RouteOpened
from aggregates.profiles import Profile
from aggregates.summaries import describe
from projections.batch import BatchProjection
from projections.feed import Item
from projections.incidents import PARKING
from projections.profiles import PROFILES, ProfileBook
from projections.route_rows import RouteRows
from projections.tables import Column, Db, Row, Table, normalise_row
from projections.view import ProjectionView, ViewSpec

SUBSCRIPTIONS = Table(
    "iom_webhook_subscriptions",
    (
        Column("subscription_id", "uuid"),
        Column("profile_id", "text"),
        Column("url", "text"),
        Column("secret", "text"),
        Column("event_types", "text"),  # a JSON list; empty: every event
        Column("created_by", "text"),
        Column("created_at", "time"),
        Column("start_after", "int"),
        Column("end_after", "int"),
        Column("deleted_at", "time"),
    ),
    key=("subscription_id",),
    indexes=(("profile_id",),),
)

DELIVERIES = Table(
    "iom_webhook_deliveries",
    (
        Column("delivery_id", "uuid"),
        Column("subscription_id", "uuid"),
        Column("route_id", "uuid"),
        Column("version", "int"),
        Column("notification_id", "int"),
        Column("event_type", "text"),
        Column("body", "text"),
        Column("status", "text"),
        Column("attempts", "int"),
        Column("next_attempt_at", "time"),
        Column("last_status", "int"),
        Column("last_error", "text"),
        Column("created_at", "time"),
        Column("delivered_at", "time"),
    ),
    key=("delivery_id",),
    indexes=(("subscription_id", "notification_id"), ("status", "next_attempt_at")),
)

WEBHOOK_ROUTES = Table(
    "iom_webhook_routes",
    (Column("route_id", "uuid"), Column("profile_key", "text"), Column("profile_id", "text")),
    key=("route_id",),
)

PENDING, DELIVERED, FAILED, CANCELLED = "pending", "delivered", "failed", "cancelled"
DELIVERY_NAMESPACE = uuid.UUID("5d8c1f0e-2b7a-4c3e-9f61-0a4e7b2d9c15")
_INSERT_DELIVERY = DELIVERIES.insert() + " ON CONFLICT (delivery_id) DO NOTHING"
_BASE_FIELDS = frozenset(RouteEvent.model_fields)


def delivery_id(subscription_id: UUID, route_id: UUID, version: int) -> UUID:
    """The delivery of one event to one subscription: the same id however often it is derived."""
    return uuid.uuid5(DELIVERY_NAMESPACE, f"{subscription_id}:{route_id}:{version}")


def payload(event: RouteEvent, profile: Profile, delivery: UUID, subscription: UUID) -> bytes:
    """What the portal receives: the event's type, route, version, time, actor, the Russian
    line and the event's own fields (ids and the route's content: no personal data; an opening
    event and a move to another edition name the edition instead of carrying it whole)."""
    data = event.model_dump(mode="json", exclude=set(_BASE_FIELDS | {"profile"}))
    if isinstance(event, RouteOpened | RegulationChanged):
        data["profile"] = profile.key
    body = {
        "delivery_id": str(delivery),
        "subscription_id": str(subscription),
        "event_type": type(event).__name__,
        "route_id": str(event.originator_id),
        "version": event.originator_version,
        "region": profile.id,
        "occurred_at": event.timestamp.astimezone(UTC).isoformat(),
        "actor": {"id": event.actor.id, "role": event.actor.role.value},
        "command_id": event.command_id,
        "summary": describe(event, profile),
        "data": data,
    }
    return json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode()


@dataclass(frozen=True)
class Listener:
    """A subscription as the projection matches events against it."""

    subscription_id: UUID
    profile_id: str
    event_types: frozenset[str]
    start_after: int
    end_after: int | None

    def wants(self, notification_id: int, region: str, event_type: str) -> bool:
        """Whether this event goes to this subscription."""
        return (
            region == self.profile_id
            and self.start_after < notification_id
            and (self.end_after is None or notification_id <= self.end_after)
            and (not self.event_types or event_type in self.event_types)
        )


def listeners(db: Db, after: int) -> list[Listener]:
    """The subscriptions that may want events after notification `after`."""
    rows = db.fetchall(
        "SELECT subscription_id, profile_id, event_types, start_after, end_after "
        f"FROM {SUBSCRIPTIONS.name} WHERE end_after IS NULL OR end_after > %s",
        (after,),
    )
    return [
        Listener(
            UUID(str(r["subscription_id"])),
            str(r["profile_id"]),
            frozenset(json.loads(r["event_types"] or "[]")),
            int(r["start_after"]),
            None if r["end_after"] is None else int(r["end_after"]),
        )
        for r in rows
    ]


class WebhookProjection(BatchProjection):
    """The portal's deliveries (see the module's docstring)."""

    name = "webhooks"
    tables: ClassVar[tuple[Table, ...]] = (WEBHOOK_ROUTES,)

    @classmethod
    def spec(cls, application_name: str) -> ViewSpec:
        """Own: the routes' regions; kept by a rebuild: the subscriptions and the outbox."""
        shared = (PROFILES, *PARKING, SUBSCRIPTIONS, DELIVERIES)
        return ViewSpec(cls.name, cls.tables, shared, application_name)

    def __init__(self, view: ProjectionView, cache_size: int = 10_000) -> None:
        super().__init__(view)
        self._routes = RouteRows(WEBHOOK_ROUTES, cache_size)
        self._profiles = ProfileBook()

    def write(self, db: Db, batch: Sequence[Item]) -> None:
        """A delivery row per (wanting subscription, event); the routes' regions as they open."""
        wanted = listeners(db, batch[0][0] - 1)
        known = self._routes.load(db, {e.originator_id for _, e in batch if e is not None})
        now = datetime.now(UTC)
        rows: list[Row] = []
        for notification_id, event in batch:
            if event is None:
                continue
            if isinstance(event, RouteOpened | RegulationChanged):  # the edition it follows
                self._profiles.remember(db, event.profile)
                row = (event.originator_id, event.profile.key, event.profile.id)
                known[event.originator_id] = self._routes.staged[event.originator_id] = row
            route = known.get(event.originator_id)
            if route is None or not wanted:
                continue
            kind = type(event).__name__
            for listener in wanted:
                if not listener.wants(notification_id, route[2], kind):
                    continue
                profile = self._profiles.get(db, route[1])
                delivery = delivery_id(listener.subscription_id, route[0], event.originator_version)
                body = payload(event, profile, delivery, listener.subscription_id)
                # A subscription deleted before the projection got here receives nothing more.
                status = PENDING if listener.end_after is None else CANCELLED
                rows.append(
                    (
                        *(delivery, listener.subscription_id, route[0], event.originator_version),
                        *(notification_id, kind, body.decode(), status, 0, now),
                        *(None, None, now, None),
                    )
                )
        db.executemany(_INSERT_DELIVERY, rows)
        db.write(WEBHOOK_ROUTES, list(self._routes.staged.values()), "upsert")

    def committed(self) -> None:
        """Cache the routes' rows written."""
        self._routes.committed()
        self._profiles.committed()

    def forget(self) -> None:
        """Forget every cache."""
        self._routes.forget()
        self._profiles.forget()


def rows_of(db: Db, text: str, params: Sequence[Any] = ()) -> list[dict[str, Any]]:
    """Rows of the subscriptions' or deliveries' tables, normalised alike on both stores."""
    kinds = SUBSCRIPTIONS.kinds | DELIVERIES.kinds
    return [normalise_row(kinds, row) for row in db.fetchall(text, params)]
