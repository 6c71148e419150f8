"""What a document is made from besides the route's state: the dates of signatures and
acknowledgements (they live in the events' metadata, not in the state) and the caller's options."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from zoneinfo import ZoneInfo

from aggregates import events as ev
from aggregates.personal import OfficialRecord
from aggregates.profiles import Stage
from aggregates.route import Route
from aggregates.values import Role


@dataclass(frozen=True)
class Signed:
    """Who signed (the actor's id, not personal data), on which day, and what: the plan's
    revision and content hash in force when they signed; `acting_for` is the head's id when a
    deputy signed за руководителя (by order)."""

    by: str
    on: date
    revision: int | None = None
    plan_hash: str = ""
    acting_for: str = ""


def signed_by(event: ev.RouteEvent, on: date, route: Route) -> Signed:
    """The signature an event records, against the plan the route held after it."""
    return Signed(
        event.actor.id,
        on,
        route.revision if route.plan is not None else None,
        route.plan_hash or "",
        event.acting_for.head_id if event.acting_for else "",
    )


@dataclass(frozen=True)
class Marks:
    """Dates of the signatures and acknowledgements a form prints, in the region's calendar.

    Taken from the same events as the route's state (up to the same version or moment), so a
    document never shows a signature the state at that version did not have yet.
    """

    agreed: dict[Role, Signed] = field(default_factory=dict)  # the round that approved the plan
    approved_on: date | None = None
    corrections_acknowledged: dict[int, date] = field(default_factory=dict)
    # each correction's signatures: its author's (the methodist's) and each party's agreement
    corrections_signed: dict[int, dict[Role, Signed]] = field(default_factory=dict)
    conclusions_signed: dict[Role, Signed] = field(default_factory=dict)  # the author's too
    conclusions_acknowledged_on: date | None = None
    completed_on: date | None = None
    certified: Signed | None = None  # who issued the certificate, on the day it names


def marks_from_history(history: Iterable[ev.RouteEvent], time_zone: str) -> Marks:
    """The marks of a route from its events (oldest first, already cut at the wanted version)."""
    zone = ZoneInfo(time_zone)
    agreed: dict[Role, Signed] = {}
    approved_on: date | None = None
    acknowledged: dict[int, date] = {}
    corrections: dict[int, dict[Role, Signed]] = {}
    signed: dict[Role, Signed] = {}
    conclusions_ack: date | None = None
    completed_on: date | None = None
    certified: Signed | None = None
    # A replay of its own, to see the moment the route became completed: no event says so.
    route: Route | None = None
    for event in history:
        on = event.timestamp.astimezone(zone).date()
        route = event.mutate(route)
        if isinstance(event, ev.RouteSubmitted):
            agreed = {}  # a new round: the earlier round's answers no longer count
        elif isinstance(event, ev.AgreementGiven):
            agreed[event.role] = replace(
                signed_by(event, on, route), revision=event.revision, plan_hash=event.plan_hash
            )
        elif isinstance(event, ev.RouteApproved):
            approved_on = on
        elif isinstance(event, ev.RouteCorrected):
            corrections[event.number] = {event.actor.role: signed_by(event, on, route)}
        elif isinstance(event, ev.CorrectionAgreed):
            corrections.setdefault(event.number, {})[event.role] = signed_by(event, on, route)
        elif isinstance(event, ev.CorrectionAcknowledged):
            acknowledged[event.number] = on
        elif isinstance(event, ev.ConclusionsRecorded):
            signed, conclusions_ack = {event.actor.role: signed_by(event, on, route)}, None
        elif isinstance(event, ev.ConclusionsSigned):
            signed[event.role] = signed_by(event, on, route)
        elif isinstance(event, ev.ConclusionsAcknowledged):
            conclusions_ack = on
        elif isinstance(event, ev.CertificateIssued):
            certified = replace(signed_by(event, on, route), on=event.issued_on)
        if completed_on is None and route.stage is Stage.COMPLETED:
            completed_on = on
    return Marks(
        agreed,
        approved_on,
        acknowledged,
        corrections,
        signed,
        conclusions_ack,
        completed_on,
        certified,
    )


@dataclass(frozen=True)
class Options:
    """The caller's choices for a route's document."""

    marks: Marks = field(default_factory=Marks)
    generated_at: datetime | None = None  # printed in the footer when given
    centre: str | None = None  # the issuing centre's name (certificate); the region's ЦНППМ if None
    # the officials who signed or are to sign, by portal id (personal data: an entitled caller's)
    officials: Mapping[str, OfficialRecord] = field(default_factory=dict)
