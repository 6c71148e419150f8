"""Shadow replay, part one: each route's stored events decoded and applied by the new aggregate.

For every route: the hash chain recomputed over its stored events equals the stored chain, and
the head the live audit trail recorded (`aggregates.audit`); every event applies under the new
code; the route's state equals what the old code recorded of it — the write side's latest
snapshot (the whole state at a version) and the live monitoring row (`iom_routes`, compared at
the version it records, so a projector behind is no difference).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from uuid import UUID

from aggregates.application import Routes, project_route
from aggregates.audit import Head, held_against, replay_chain
from aggregates.events import RouteEvent, RouteOpened
from aggregates.persistence import RouteSnapshot
from aggregates.route import Route
from projections.routes import ROUTES, route_rows
from projections.state import RouteState
from projections.tables import normalise_row
from workers.shadow.findings import Finding

TRAIL = "журнал аудита видел"


def check_route(
    live: Routes,
    route_id: UUID,
    trail: Head | None,
    row: Mapping[str, Any] | None,
    *,
    row_expected: bool,
) -> tuple[int, list[Finding]]:
    """The route's events through the new code against what production recorded of it (`trail`:
    the audit trail's head; `row`: its live `iom_routes` row, which must exist if
    `row_expected`); the number of events read, and the differences."""
    stored = live.recorder.select_events(route_id)
    keep = {trail.version} if trail is not None else set()
    report, events = replay_chain(live.mapper, route_id, stored, keep)
    found: list[Finding] = []

    def note(where: str, detail: str) -> None:
        found.append(Finding("route", where, detail, str(route_id)))

    if not report.intact:
        note("цепочка", f"событие {report.broken_at} — {report.reason}")
    elif trail is not None:  # a chain broken earlier says enough
        reason = held_against(report, trail, TRAIL)
        if reason is not None:
            note("цепочка", reason)
    try:
        applied = _applied(events)
    except _NotAppliedError as error:
        note("агрегат", str(error))
        return len(events), found
    if applied:
        snapshot = _latest_snapshot(live, route_id)
        if snapshot is not None:
            found += _against_snapshot(route_id, snapshot, events)
        if row is not None:
            found += _against_row(route_id, row, events)
        elif row_expected:
            note(ROUTES.name, "нет строки в рабочей таблице мониторинга")
    return len(events), found


class _NotAppliedError(Exception):
    """The new code cannot apply one of the route's events."""


def _applied(events: list[RouteEvent]) -> Route | None:
    """The route after its events, each applied by the new aggregate's own handlers."""
    route: Route | None = None
    for event in events:
        try:
            route = event.mutate(route)
        except Exception as error:
            raise _NotAppliedError(
                f"событие {event.originator_version} ({type(event).__name__}) не применяется"
                f" новым кодом: {error}"
            ) from error
    return route


def _latest_snapshot(live: Routes, route_id: UUID) -> RouteSnapshot | None:
    if live.snapshots is None:
        return None
    found = list(live.snapshots.get(route_id, desc=True, limit=1))
    return found[0] if found and isinstance(found[0], RouteSnapshot) else None


def _against_snapshot(
    route_id: UUID, snapshot: RouteSnapshot, events: list[RouteEvent]
) -> list[Finding]:
    """The state the old code saved at the snapshot's version against the new code's."""
    version = snapshot.originator_version
    where = f"снимок версии {version}"
    if version > len(events):
        return [Finding("route", where, f"событий в хранилище {len(events)}", str(route_id))]
    new = project_route(None, events[:version])
    assert new is not None
    try:
        old = snapshot.mutate(None).model_dump(mode="json")
    except Exception as error:  # the new Route model refuses the old state
        return [Finding("route", where, f"не читается новым кодом: {error}", str(route_id))]
    return _differences(route_id, where, old, new.model_dump(mode="json"), "в снимке")


def _against_row(route_id: UUID, row: Mapping[str, Any], events: list[RouteEvent]) -> list[Finding]:
    """The live monitoring row against the new code's row at the version the row records."""
    version = int(row["version"])
    if version > len(events) or not isinstance(events[0], RouteOpened):
        detail = f"строка записана для версии {version}, событий в хранилище {len(events)}"
        return [Finding("route", ROUTES.name, detail, str(route_id))]
    state = RouteState.opened(events[0], events[0].profile)
    for event in events[1:version]:
        state.apply(event)
    new = normalise_row(
        ROUTES.kinds, dict(zip(ROUTES.names, route_rows(state)[(route_id,)], strict=True))
    )
    shared = set(row) & set(new)  # a column added or dropped: the deploy rebuilds the table
    old = {name: row[name] for name in shared}
    return _differences(
        route_id, ROUTES.name, old, {n: new[n] for n in shared}, "в рабочей таблице"
    )


def _differences(
    route_id: UUID, where: str, old: Mapping[str, Any], new: Mapping[str, Any], recorded: str
) -> list[Finding]:
    """One finding naming every field whose recorded value differs from the new code's."""
    changed = [
        f"{name}: {recorded} {_shown(old.get(name))}, новым кодом {_shown(new.get(name))}"
        for name in sorted(set(old) | set(new))
        if old.get(name) != new.get(name)
    ]
    if not changed:
        return []
    return [Finding("route", where, "; ".join(changed), str(route_id))]


def _shown(value: Any, limit: int = 80) -> str:
    text = "—" if value is None else str(value)
    return f"«{text if len(text) <= limit else text[: limit - 1] + '…'}»"
