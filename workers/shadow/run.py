"""One shadow replay: the store's checks (routes, then tables) in a thread while the workflow
histories replay, and what they found together."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

from temporalio.client import WorkflowHistory

from aggregates.application import Routes
from aggregates.audit import Head
from projections.audit import AUDIT
from projections.catalog import datastore_of
from projections.monitoring import MonitoringProjection
from projections.routes import ROUTES
from projections.tables import Key
from workers.shadow.editions import check_editions
from workers.shadow.findings import Counts, Finding
from workers.shadow.histories import replay
from workers.shadow.routes import check_route
from workers.shadow.tables import compare_tables, read_tables, rebuild_into, scratch_store


@dataclass
class Report:
    """What a shadow replay went over and found; `notes` say what the deploy changes besides
    (tables it builds or rebuilds), and fail nothing."""

    counts: Counts = field(default_factory=Counts)
    findings: list[Finding] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


Started = Callable[[int], Callable[[], None]]
"""Told how many routes there are; gives what to call after each."""


async def shadow(
    live: Routes,
    histories: AsyncIterator[WorkflowHistory],
    workflows: Sequence[type],
    started: Started | None = None,
) -> Report:
    """Run the new code over everything `live` recorded and over `histories` (see the
    package's docstring); nothing is written to the live store."""
    checked, (replayed, failed) = await asyncio.gather(
        asyncio.to_thread(check_store, live, started), replay(histories, workflows)
    )
    checked.counts.workflows = replayed
    checked.findings += failed
    return checked


def check_store(live: Routes, started: Started | None = None) -> Report:
    """The editions met against the new code's, every route through the new aggregate, then
    every projection rebuilt and compared."""
    report = Report()
    report.findings, report.notes = check_editions(live)
    tables = read_tables(datastore_of(live), live.name)
    report.notes += tables.notes
    trail = _trail(tables.rows.get(AUDIT.name, {}))
    rows = {UUID(str(key[0])): row for key, row in tables.rows.get(ROUTES.name, {}).items()}
    monitored = tables.positions.get(MonitoringProjection.name, 0)
    expected = set(live.route_ids(until=monitored)) if monitored else set()
    ids = list(live.route_ids())
    advance = started(len(ids)) if started else None
    for route_id in ids:
        events, found = check_route(
            live,
            route_id,
            trail.get(route_id),
            rows.get(route_id),
            row_expected=route_id in expected,
        )
        report.counts.routes += 1
        report.counts.events += events
        report.findings += found
        if advance is not None:
            advance()
    with scratch_store(live) as scratch:
        rebuilt = rebuild_into(live, scratch, tables.positions)
    report.findings += compare_tables(tables, rebuilt)
    report.counts.rows = {name: len(found) for name, found in rebuilt.rows.items()}
    return report


def _trail(audit: Mapping[Key, dict[str, Any]]) -> dict[UUID, Head]:
    """Each route's last event in the live audit trail, with its chain hash."""
    heads: dict[UUID, Head] = {}
    for row in audit.values():
        route_id = UUID(str(row["route_id"]))
        known = heads.get(route_id)
        if known is None or row["version"] > known.version:
            heads[route_id] = Head(route_id, int(row["version"]), str(row["chain_hash"]))
    return heads
