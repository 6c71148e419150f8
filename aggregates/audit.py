"""Tamper evidence for auditors: each route's hash chain recomputed from the stored events,
and one digest over every route's head to keep outside the database.

A chain recomputed alone cannot tell that its last events were deleted, or that a changed last
event was hashed again: the chain it leaves is whole. So each route is also held against what
was recorded of it elsewhere (`Head`): the head the audit trail saw last (the audit projection
records every event it applied), and the head in the latest signed checkpoint (rows of route,
version and head hash in the store, signed with a key kept outside it: `sign`). A route whose
store version is below a recorded one is truncated; one whose event at a recorded version no
longer hashes to the recorded head was altered (`held_against`).
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Collection, Iterable
from dataclasses import dataclass, field
from uuid import UUID

from eventsourcing.persistence import Mapper, StoredEvent

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
    kept: dict[int, str] = field(default_factory=dict, compare=False)
    """The chain's hash at the versions asked for (`verify_route`'s `keep`)."""

    @property
    def intact(self) -> bool:
        """Every stored event matches the hash recomputed from its content and its predecessor."""
        return self.broken_at is None


def verify_route(app: Routes, route_id: UUID, keep: Collection[int] = ()) -> ChainReport:
    """Recompute the route's chain from its stored events, one by one (keeping its hash at the
    versions `keep`)."""
    return replay_chain(app.mapper, route_id, app.recorder.select_events(route_id), keep)[0]


def replay_chain(
    mapper: Mapper[UUID], route_id: UUID, stored: Iterable[StoredEvent], keep: Collection[int] = ()
) -> tuple[ChainReport, list[RouteEvent]]:
    """Recompute the chain over a route's stored events, decoding each with `mapper` (keeping
    the chain's hash at the versions `keep`); the report, and the events decoded up to the first
    that does not decode."""
    head, version = GENESIS, 0
    kept: dict[int, str] = {}
    events: list[RouteEvent] = []
    broken: tuple[int, str] | None = None
    for each in stored:
        version = each.originator_version
        try:
            event = mapper.to_domain_event(each)
        except Exception as error:
            if broken is not None:
                break
            reason = f"событие не читается: {error}"
            return ChainReport(route_id, version, head, version, reason, kept), events
        assert isinstance(event, RouteEvent)
        events.append(event)
        if broken is not None:
            continue
        head = link(head, event.content())
        if event.chain_hash != head:
            broken = (version, "содержимое не совпадает с хешем")
            continue
        if version in keep:
            kept[version] = head
    if broken is not None:
        at, reason = broken
        return ChainReport(route_id, at, head, at, reason, kept), events
    return ChainReport(route_id, version, head, kept=kept), events


@dataclass(frozen=True)
class Head:
    """A route's head as recorded outside its events: its version and the chain's hash there."""

    route_id: UUID
    version: int
    head: str

    def line(self) -> str:
        """The head as a signed checkpoint covers it."""
        return f"{self.route_id}:{self.version}:{self.head}"


def held_against(report: ChainReport, recorded: Head, where: str) -> str | None:
    """What is wrong with a route's stored events against a head recorded of it (`where`
    names the record, in Russian), or None: fewer events than recorded (truncated), or the
    event at the recorded version no longer hashing to the recorded head (altered)."""
    if report.version < recorded.version:
        return (
            f"в хранилище {report.version} событий, а {where} записана версия"
            f" {recorded.version}: события удалены"
        )
    found = report.kept.get(recorded.version)
    if found is not None and found != recorded.head:
        return (
            f"событие {recorded.version} не то, что {where} (хеш {recorded.head[:12]}…):"
            " изменено и перехешировано"
        )
    return None


def sign(key: bytes, checkpoint: int, taken_at: str, heads: Iterable[Head]) -> str:
    """The signature of a checkpoint: HMAC-SHA256 with a key kept outside the database over
    its number, its time and every head it holds."""
    lines = sorted(head.line() for head in heads)
    message = "\n".join([f"{checkpoint}|{taken_at}", *lines]).encode()
    return hmac.new(key, message, hashlib.sha256).hexdigest()


def verify_routes(app: Routes, route_ids: Iterable[UUID]) -> list[ChainReport]:
    """The chain report of each route."""
    return [verify_route(app, route_id) for route_id in route_ids]


def digest(reports: Iterable[ChainReport]) -> str:
    """One hash over every route's recomputed head: a changed last event changes it too."""
    lines = sorted(f"{r.route_id}:{r.version}:{r.head}" for r in reports)
    return hashlib.sha256("\n".join(lines).encode()).hexdigest()
