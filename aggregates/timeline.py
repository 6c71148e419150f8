"""A route's two times, for auditors: what was true on a date (as it was), and what the system
had recorded by a moment (as it was known).

Every event is recorded at its `timestamp`; some also state the date the fact happened on (an
activity done on 30 December, recorded on 9 January). That date is the event's *business date*
(`occurred_on`); an event that states none happened when it was recorded (its date in the
region's own time zone). The route *as of a date* is made of the events whose business date is
that date or earlier, applied in the order they were recorded; those recorded after the date
ended in the region are the facts known only later (`Dated.late`), where the two answers
disagree. Both questions combine: as of a date, as known at a moment (`known_at`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from aggregates import events as ev
from aggregates.route import Route
from aggregates.summaries import describe

OCCURRED: dict[type[ev.RouteEvent], Callable[[Any], date]] = {
    ev.ActivityCompleted: lambda e: e.completed_on,
    ev.InterimResultRecorded: lambda e: e.recorded_on,
    ev.RouteCorrected: lambda e: e.corrected_on,
    ev.FinalPublicEventHeld: lambda e: e.held_on,
    ev.CertificateIssued: lambda e: e.issued_on,
}
"""The events that state the date their fact happened on, and that date."""


def recorded_on(event: ev.RouteEvent, zone: ZoneInfo) -> date:
    """The date the event was recorded, in the region's zone."""
    return event.timestamp.astimezone(zone).date()


def occurred_on(event: ev.RouteEvent, zone: ZoneInfo) -> date:
    """The event's business date: the date it states, else the date it was recorded."""
    stated = OCCURRED.get(type(event))
    return stated(event) if stated is not None else recorded_on(event, zone)


@dataclass(frozen=True)
class Dated:
    """The route as of a date, and how that answer differs from what was recorded by the end
    of the date."""

    route: Route
    day: date
    late: list[ev.RouteEvent] = field(default_factory=list)
    """Events of the date or earlier recorded after the date ended (in the region's zone)."""
    unfit: list[ev.RouteEvent] = field(default_factory=list)
    """Events of the date or earlier that do not apply to the route as of the date (a fact
    dated before what it needs, e.g. an activity done before a correction added it): left
    out, and named."""

    def facts(self, events: Sequence[ev.RouteEvent]) -> list[dict[str, Any]]:
        """Events as dated facts: version, type, the date each belongs to, when it was
        recorded, and its line in Russian."""
        profile = self.route.profile
        zone = ZoneInfo(profile.time_zone)
        return [
            {
                "version": e.originator_version,
                "event_type": type(e).__name__,
                "occurred_on": occurred_on(e, zone),
                "recorded_at": e.timestamp,
                "summary": describe(e, profile),
            }
            for e in events
        ]


def fact_line(fact: Mapping[str, Any]) -> str:
    """A dated fact (`Dated.facts`) in one Russian line: version, what, its date, when recorded."""
    recorded = fact["recorded_at"].isoformat(timespec="minutes")
    return (
        f"версия {fact['version']}: {fact['summary']} — относится к"
        f" {fact['occurred_on']:%d.%m.%Y}, внесено {recorded}"
    )


def route_on(
    history: Sequence[ev.RouteEvent], day: date, known_at: datetime | None = None
) -> Dated | None:
    """The route as of `day` from its `history` (oldest first), as known at `known_at` (every
    event recorded by then, if None); None if the route was not open by then."""
    if not history or not isinstance(history[0], ev.RouteOpened):
        return None
    zone = ZoneInfo(history[0].profile.time_zone)
    known = [e for e in history if known_at is None or e.timestamp <= known_at]
    if not known or occurred_on(known[0], zone) > day:
        return None
    route = known[0].mutate(None)
    late: list[ev.RouteEvent] = []
    unfit: list[ev.RouteEvent] = []
    for event in known[1:]:
        if occurred_on(event, zone) > day:
            continue
        copy = route.__deepcopy__()
        try:
            route = event.mutate(route)
        except (KeyError, ValueError, TypeError, AttributeError):
            route = copy
            unfit.append(event)
            continue
        if recorded_on(event, zone) > day:
            late.append(event)
    return Dated(route, day, late, unfit)
