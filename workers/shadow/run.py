"""One shadow replay: the store's checks (routes, then tables) in a thread while the workflow
histories replay, and what they found together."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

from temporalio.client import WorkflowHistory

from aggregates.application import Routes
from aggregates.audit import Head
from projections.audit import AUDIT, AuditProjection
from projections.catalog import datastore_of
from projections.monitoring import MonitoringProjection
from projections.routes import ROUTES
from projections.tables import Key
from projections.view import transaction_on
from workers.shadow.editions import check_editions
from workers.shadow.findings import Counts, Finding
from workers.shadow.histories import replay
from workers.shadow.routes import check_route
from workers.shadow.tables import (
    compare_tables,
    read_positions,
    rebuild_into,
    scratch_store,
    snapshot,
    table_rows,
)


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
    every projection rebuilt and compared, all against one read-only snapshot of the live
    tables (see `workers.shadow.tables`)."""
    report = Report()
    report.findings, report.notes = check_editions(live)
    with snapshot(datastore_of(live)) as db:
        positions = read_positions(db, live.name, report.notes)
        trail = _trail(table_rows(db, AUDIT)) if AuditProjection.name in positions else {}
        rows = {}
        if MonitoringProjection.name in positions:
            rows = {UUID(str(key[0])): row for key, row in table_rows(db, ROUTES)}
        monitored = positions.get(MonitoringProjection.name, 0)
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
        del trail, rows, expected, ids  # O(routes): not kept through the comparison
        with scratch_store(live) as scratch:
            rebuild_into(live, scratch, positions)
            with transaction_on(datastore_of(scratch), commit=False) as rebuilt:
                report.findings += compare_tables(
                    db, rebuilt, positions, report.notes, report.counts.rows
                )
    return report


def _trail(audit: Iterable[tuple[Key, dict[str, Any]]]) -> dict[UUID, Head]:
    """Each route's last event in the live audit trail, with its chain hash."""
    heads: dict[UUID, Head] = {}
    for _, row in audit:
        route_id = UUID(str(row["route_id"]))
        known = heads.get(route_id)
        if known is None or row["version"] > known.version:
            heads[route_id] = Head(route_id, int(row["version"]), str(row["chain_hash"]))
    return heads
