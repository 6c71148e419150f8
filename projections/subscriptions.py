"""The portal's webhook subscriptions and their outbox: registering, listing, deleting,
re-delivering (the API), and claiming and settling deliveries (the delivery loop).

Registering and deleting take the tracking rows of the `webhooks` and `tasks` projections first
(the rows every batch of each locks before it writes) and read the store's last notification id
while holding it. A batch therefore either committed before (its events are at or below that
id, so not the new subscription's) or waits and then sees the subscription (its events are
above it): a subscription receives exactly the events recorded after it was registered and up
to its deletion, wherever the projection stood, and a rebuild derives the same rows.

A claim moves a due delivery's next attempt `hold` seconds ahead before it is sent (on
PostgreSQL with `SKIP LOCKED`, so several delivery loops never claim one row together); a loop
that dies mid-send leaves the row to be claimed again after `hold`. Delivery is therefore at
least once, each under its one delivery id: receivers drop repeats by it.

A subscription's secret is kept encrypted under the store's at-rest key when one is set
(`IOM_ENCRYPTION_KEY`: the events' own cipher), and is never read back by the API.
"""

# ruff: noqa: S608 - SQL built from declared table and column names; values are parameters

from __future__ import annotations

import base64
import json
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

from aggregates.application import Routes
from aggregates.errors import CommandReuseError
from projections.catalog import open_projection
from projections.tables import Db, limit_clause
from projections.view import ProjectionView
from projections.webhooks import (
    CANCELLED,
    DELIVERED,
    DELIVERIES,
    FAILED,
    PENDING,
    SUBSCRIPTIONS,
    rows_of,
)

S, D = SUBSCRIPTIONS.name, DELIVERIES.name
SEALED = "sealed:"  # the prefix of a secret stored encrypted
SUBSCRIPTION_COLUMNS = (
    "subscription_id, profile_id, url, event_types, created_by, created_at, start_after, "
    "end_after, deleted_at"
)
DELIVERY_COLUMNS = (
    "delivery_id, subscription_id, route_id, version, notification_id, event_type, status, "
    "attempts, next_attempt_at, last_status, last_error, created_at, delivered_at"
)


@dataclass(frozen=True)
class Claimed:
    """A delivery taken to be sent now: where, with which secret, what."""

    delivery_id: UUID
    url: str
    secret: str
    event_type: str
    body: bytes
    attempts: int


class Subscriptions:
    """The subscriptions and deliveries in the routes' database (see the module's docstring)."""

    def __init__(self, routes: Routes) -> None:
        self.routes = routes  # keep it: the view shares its datastore
        self.view: ProjectionView = open_projection(routes, "webhooks").view
        self.tasks: ProjectionView = open_projection(routes, "tasks").view

    def register(
        self,
        region: str,
        url: str,
        secret: str,
        event_types: Sequence[str],
        created_by: str,
        *,
        subscription_id: UUID | None = None,
    ) -> dict[str, Any]:
        """A new subscription of the region, receiving events recorded from now on. Under a
        given `subscription_id` (the API derives it from the request's idempotency key) it is
        registered once: a subscription already there by that id is answered if it is the same
        (live, of the region, the same address, event types and author), else
        `CommandReuseError`."""
        chosen = subscription_id or uuid.uuid4()
        types = sorted(set(event_types))
        with self.view.transaction(commit=True) as db:
            start = self._hold_position(db)
            db.execute(
                f"INSERT INTO {S} (subscription_id, profile_id, url, secret, event_types, "
                "created_by, created_at, start_after) VALUES (%s, %s, %s, %s, %s, %s, %s, %s) "
                "ON CONFLICT (subscription_id) DO NOTHING",
                (
                    chosen,
                    region,
                    url,
                    self._seal(secret),
                    json.dumps(types),
                    created_by,
                    datetime.now(UTC),
                    start,
                ),
            )
        found = self.subscription(region, chosen)
        same = (url, types, created_by)
        if found is None or (found["url"], found["event_types"], found["created_by"]) != same:
            raise CommandReuseError("command_reuse", "ключ уже использован для другой подписки")
        return found

    def subscriptions(self, region: str) -> list[dict[str, Any]]:
        """The region's live subscriptions, the newest first (no secrets)."""
        with self.view.transaction(commit=False) as db:
            rows = rows_of(
                db,
                f"SELECT {SUBSCRIPTION_COLUMNS} FROM {S} WHERE profile_id = %s "
                "AND deleted_at IS NULL ORDER BY created_at DESC",
                (region,),
            )
        return [_subscription(row) for row in rows]

    def subscription(self, region: str, subscription_id: UUID) -> dict[str, Any] | None:
        """A live subscription of the region, or None (another region's is none too)."""
        with self.view.transaction(commit=False) as db:
            rows = self._live(db, region, subscription_id)
        return _subscription(rows[0]) if rows else None

    def delete(self, region: str, subscription_id: UUID) -> bool:
        """End a subscription: nothing recorded from now on goes to it, and what is still
        pending is cancelled. False when there is no such live subscription."""
        with self.view.transaction(commit=True) as db:
            if not self._live(db, region, subscription_id):
                return False
            end = self._hold_position(db)
            db.execute(
                f"UPDATE {S} SET end_after = %s, deleted_at = %s WHERE subscription_id = %s",
                (end, datetime.now(UTC), subscription_id),
            )
            db.execute(
                f"UPDATE {D} SET status = %s WHERE subscription_id = %s AND status = %s",
                (CANCELLED, subscription_id, PENDING),
            )
        return True

    def deliveries(
        self, subscription_id: UUID, status: str | None, limit: int
    ) -> list[dict[str, Any]]:
        """A subscription's deliveries, the latest event first."""
        where = "subscription_id = %s"
        params: list[Any] = [subscription_id]
        if status is not None:
            where += " AND status = %s"
            params.append(status)
        with self.view.transaction(commit=False) as db:
            return rows_of(
                db,
                f"SELECT {DELIVERY_COLUMNS} FROM {D} WHERE {where} "
                "ORDER BY notification_id DESC" + limit_clause(limit),
                params,
            )

    def redeliver(self, subscription_id: UUID, delivery_id: UUID) -> dict[str, Any] | None:
        """Send a delivery again, at once, with a fresh count of attempts; None when the
        subscription has no such delivery."""
        with self.view.transaction(commit=True) as db:
            db.execute(
                f"UPDATE {D} SET status = %s, attempts = 0, next_attempt_at = %s "
                "WHERE delivery_id = %s AND subscription_id = %s",
                (PENDING, datetime.now(UTC), delivery_id, subscription_id),
            )
            rows = rows_of(
                db,
                f"SELECT {DELIVERY_COLUMNS} FROM {D} WHERE delivery_id = %s "
                "AND subscription_id = %s",
                (delivery_id, subscription_id),
            )
        return rows[0] if rows else None

    def claim(self, now: datetime, hold: float, limit: int) -> list[Claimed]:
        """Take up to `limit` due deliveries, moving their next attempt `hold` seconds ahead."""
        lock = " FOR UPDATE OF d SKIP LOCKED" if self.view.dialect == "postgres" else ""
        with self.view.transaction(commit=True) as db:
            rows = db.fetchall(
                f"SELECT d.delivery_id, d.event_type, d.body, d.attempts, s.url, s.secret "
                f"FROM {D} d JOIN {S} s ON s.subscription_id = d.subscription_id "
                "WHERE d.status = %s AND d.next_attempt_at <= %s "
                f"ORDER BY d.next_attempt_at, d.notification_id LIMIT %s{lock}",
                (PENDING, now, limit),
            )
            claimed = [
                Claimed(
                    UUID(str(r["delivery_id"])),
                    str(r["url"]),
                    self._open(str(r["secret"])),
                    str(r["event_type"]),
                    str(r["body"]).encode(),
                    int(r["attempts"]),
                )
                for r in rows
            ]
            db.executemany(
                f"UPDATE {D} SET next_attempt_at = %s WHERE delivery_id = %s",
                [(now + timedelta(seconds=hold), c.delivery_id) for c in claimed],
            )
        return claimed

    def delivered(self, delivery_id: UUID, status: int, now: datetime) -> None:
        """The endpoint took the delivery."""
        with self.view.transaction(commit=True) as db:
            db.execute(
                f"UPDATE {D} SET status = %s, attempts = attempts + 1, last_status = %s, "
                "last_error = NULL, delivered_at = %s WHERE delivery_id = %s AND status = %s",
                (DELIVERED, status, now, delivery_id, PENDING),
            )

    def attempt_failed(
        self, delivery_id: UUID, error: str, retry_at: datetime | None, status: int | None
    ) -> None:
        """An attempt failed: try again at `retry_at`, or (None) give the delivery up."""
        with self.view.transaction(commit=True) as db:
            db.execute(
                f"UPDATE {D} SET status = %s, attempts = attempts + 1, last_error = %s, "
                "last_status = %s, next_attempt_at = COALESCE(%s, next_attempt_at) "
                "WHERE delivery_id = %s AND status = %s",
                (PENDING if retry_at else FAILED, error, status, retry_at, delivery_id, PENDING),
            )

    def _seal(self, secret: str) -> str:
        """The secret as stored: encrypted under the store's cipher, if it has one."""
        cipher = self.routes.mapper.cipher
        if cipher is None:
            return secret
        return SEALED + base64.b64encode(cipher.encrypt(secret.encode())).decode()

    def _open(self, stored: str) -> str:
        """The secret a stored value holds."""
        if not stored.startswith(SEALED):
            return stored
        cipher = self.routes.mapper.cipher
        if cipher is None:
            raise ValueError("a subscription's secret is encrypted: set IOM_ENCRYPTION_KEY")
        return cipher.decrypt(base64.b64decode(stored.removeprefix(SEALED))).decode()

    def _live(self, db: Db, region: str, subscription_id: UUID) -> list[dict[str, Any]]:
        return rows_of(
            db,
            f"SELECT {SUBSCRIPTION_COLUMNS} FROM {S} WHERE subscription_id = %s "
            "AND profile_id = %s AND deleted_at IS NULL",
            (subscription_id, region),
        )

    def _hold_position(self, db: Db) -> int:
        """Lock the tracking rows of the projections that write deliveries (`webhooks`, and
        `tasks` for the tasks' changes) as their batches do, then read the store's last
        notification id: see the module's docstring."""
        self.view.spec.lock(db)
        self.tasks.spec.lock(db)
        recorder: Any = self.routes.recorder
        if db.dialect == "postgres":
            db.cursor.execute(recorder.max_notification_id_statement)
            row = db.cursor.fetchone()
            return int(row["max"] or 0)
        return int(recorder._max_notification_id(db.cursor) or 0)


def _subscription(row: dict[str, Any]) -> dict[str, Any]:
    return row | {"event_types": json.loads(row["event_types"] or "[]")}
