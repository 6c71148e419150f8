"""Tamper evidence for auditors: each route's hash chain recomputed from the stored events,
and one digest over every route's head to keep outside the database."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from uuid import UUID

from aggregates.application import Routes
from aggregates.chain import GENESIS, link
from aggregates.events import RouteEvent


@dataclass(frozen=True)
class ChainReport:
    """A route's chain as recomputed: its head, and the first event that does not match."""

    route_id: UUID
    version: int
    head: str
    broken_at: int | None = None
    reason: str = ""

    @property
    def intact(self) -> bool:
        """Every stored event matches the hash recomputed from its content and its predecessor."""
        return self.broken_at is None


def verify_route(app: Routes, route_id: UUID) -> ChainReport:
    """Recompute the route's chain from its stored events, one by one."""
    head, version = GENESIS, 0
    for stored in app.recorder.select_events(route_id):
        version = stored.originator_version
        try:
            event = app.mapper.to_domain_event(stored)
        except Exception as error:
            return ChainReport(route_id, version, head, version, f"событие не читается: {error}")
        assert isinstance(event, RouteEvent)
        head = link(head, event.content())
        if event.chain_hash != head:
            return ChainReport(route_id, version, head, version, "содержимое не совпадает с хешем")
    return ChainReport(route_id, version, head)


def verify_routes(app: Routes, route_ids: Iterable[UUID]) -> list[ChainReport]:
    """The chain report of each route."""
    return [verify_route(app, route_id) for route_id in route_ids]


def digest(reports: Iterable[ChainReport]) -> str:
    """One hash over every route's recomputed head: a changed last event changes it too."""
    lines = sorted(f"{r.route_id}:{r.version}:{r.head}" for r in reports)
    return hashlib.sha256("\n".join(lines).encode()).hexdigest()
