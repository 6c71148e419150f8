"""The route's open deadlines and the notices they call for, derived from its tasks.

A deadline is an obligation with a due date in the region's own calendar: the route's tasks
(`aggregates.tasks`) that have a deadline key: a party's answer in the agreement round
(`days_to_answer` of its profile step), a party's agreement of a correction, an activity's end
date, the conclusions after the term's end, their signatures. Each deadline asks for notices: a
request when the obligation begins, a reminder before it runs out, and after it an escalation
to the party's superior or an overdue notice; the term's end has notices of its own. Every
notice has a key; a route records each one it sent (`NoticeSent`), so the route's workflow can
be started afresh at any time and sends nothing twice. An operator's extension moves a deadline
(`DeadlineExtended`); a paused route has no timers. The workflow only sleeps until the soonest
`Timer.at` and asks the route to fire it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Literal

from aggregates.profiles import Stage
from aggregates.route import Route
from aggregates.tasks import (
    CONCLUSIONS_DAYS,
    CORRECTION_DAYS,
    NOTICE_HOUR,
    Calendar,
    activity_key,
    answer_key,
    conclusions_key,
    in_stage_order,
    step,
    superior,
    term_key,
)
from aggregates.values import Role, Value

__all__ = [
    "CONCLUSIONS_DAYS",
    "CORRECTION_DAYS",
    "NOTICE_HOUR",
    "Calendar",
    "Deadline",
    "Timer",
    "deadlines",
    "timers",
    "waiting",
]

ACTIVITY_REMIND_DAYS = 3  # a reminder to the teacher before an activity's end date
FINAL_NOTICE_DAYS = 14  # the term's end: ask for the final diagnostic and public event

Kind = Literal[
    "agreement_requested",
    "agreement_reminder",
    "agreement_escalated",
    "route_returned",
    "route_approved",
    "correction_requested",
    "correction_reminder",
    "correction_escalated",
    "activity_reminder",
    "activity_overdue",
    "final_requested",
    "term_ended",
    "conclusions_reminder",
    "conclusions_overdue",
    "signature_requested",
]


class Timer(Value):
    """A notice due at `at` (UTC), once."""

    key: str
    kind: Kind
    at: datetime
    due_on: date | None
    recipients: list[Role]
    activity_id: str | None = None  # an overdue activity gets its overdue mark with the notice


@dataclass(frozen=True)
class Deadline:
    """An open obligation: who owes what by when, since when. `key` is what an operator's
    extension names."""

    key: str
    due_on: date
    parties: tuple[Role, ...]
    since: datetime
    answer: bool  # a party's answer is awaited (agreement, correction, signature)


def deadlines(route: Route) -> list[Deadline]:
    """Every open deadline of the route, soonest first: its tasks that have a deadline key,
    the parties of one key (the conclusions' signatures) together, in the profile's order."""
    found: dict[str, Deadline] = {}
    for task in in_stage_order(route):
        if task.deadline is None or task.due_on is None or task.since is None:
            continue
        known = found.get(task.deadline)
        parties: tuple[Role, ...] = (task.assignee.role,)
        if known is not None:
            parties = (*known.parties, *parties)
        found[task.deadline] = Deadline(
            task.deadline, task.due_on, parties, task.since, task.answer
        )
    return sorted(found.values(), key=lambda d: (d.due_on, d.key))


def timers(route: Route) -> list[Timer]:
    """The notices the route has still to send, soonest first; none while it is paused."""
    if route.paused or route.closed:
        return []
    calendar = Calendar(route)
    due = [t for t in _timers(route, calendar) if t.key not in route.notices]
    return sorted(due, key=lambda t: (t.at, t.key))


def waiting(route: Route, now: datetime) -> tuple[list[Role], datetime | None]:
    """Whom the route waits on (an answer due, or an obligation past its date) and since when."""
    calendar = Calendar(route)
    held: list[Role] = []
    since: datetime | None = None
    for deadline in deadlines(route):
        started = deadline.since if deadline.answer else calendar.after(deadline.due_on)
        if started > now:
            continue
        held += [role for role in deadline.parties if role not in held]
        since = started if since is None else min(since, started)
    return held, since


def _of(found: list[Deadline], prefix: str) -> list[Deadline]:
    """The deadlines whose key starts with `prefix`."""
    return [d for d in found if d.key.startswith(prefix)]


# The notices of each deadline.


def _timers(route: Route, calendar: Calendar) -> list[Timer]:
    open_deadlines = deadlines(route)
    found: list[Timer] = []
    found += _agreement_timers(route, calendar, open_deadlines)
    found += _correction_timers(route, calendar, open_deadlines)
    found += _activity_timers(calendar, open_deadlines)
    found += _final_timers(route, calendar, open_deadlines)
    if route.stage is Stage.DESIGN and route.returns:
        back = route.returns[-1]
        found.append(
            Timer(
                key=f"r{len(route.returns)}:returned",
                kind="route_returned",
                at=back.at,
                due_on=None,
                recipients=list(route.profile.designers),
            )
        )
    if route.stage is Stage.IMPLEMENTATION and route.approved_at is not None:
        found.append(
            Timer(
                key=f"a{route.submissions}:approved",
                kind="route_approved",
                at=route.approved_at,
                due_on=None,
                recipients=[Role.TEACHER, Role.METHODIST],
            )
        )
    return found


AGREEMENT_KINDS: tuple[Kind, Kind, Kind] = (
    "agreement_requested",
    "agreement_reminder",
    "agreement_escalated",
)
CORRECTION_KINDS: tuple[Kind, Kind, Kind] = (
    "correction_requested",
    "correction_reminder",
    "correction_escalated",
)


def _answer_timers(
    deadline: Deadline,
    prefix: str,
    route: Route,
    calendar: Calendar,
    kinds: tuple[Kind, Kind, Kind],
) -> list[Timer]:
    """Request, reminder and escalation of one party's answer."""
    role = deadline.parties[0]
    party = step(route, role)
    requested, reminder, escalated = kinds
    found = [
        Timer(
            key=f"{prefix}:{role}:requested",
            kind=requested,
            at=deadline.since,
            due_on=deadline.due_on,
            recipients=[role],
        )
    ]
    remind = party.remind_days_before if party else 1
    if remind:
        found.append(
            Timer(
                key=answer_key(prefix, role, "reminder", deadline.due_on),
                kind=reminder,
                at=max(deadline.since, calendar.at(deadline.due_on - timedelta(days=remind))),
                due_on=deadline.due_on,
                recipients=[role],
            )
        )
    found.append(
        Timer(
            key=answer_key(prefix, role, "escalated", deadline.due_on),
            kind=escalated,
            at=calendar.after(deadline.due_on),
            due_on=deadline.due_on,
            recipients=[superior(route, role), role],
        )
    )
    return found


def _agreement_timers(
    route: Route, calendar: Calendar, open_deadlines: list[Deadline]
) -> list[Timer]:
    found = []
    for deadline in _of(open_deadlines, "agreement:"):
        found += _answer_timers(deadline, f"a{route.submissions}", route, calendar, AGREEMENT_KINDS)
    return found


def _correction_timers(
    route: Route, calendar: Calendar, open_deadlines: list[Deadline]
) -> list[Timer]:
    found = []
    for deadline in _of(open_deadlines, "correction:"):
        number = deadline.key.split(":")[1]
        found += _answer_timers(deadline, f"c{number}", route, calendar, CORRECTION_KINDS)
    return found


def _activity_timers(calendar: Calendar, open_deadlines: list[Deadline]) -> list[Timer]:
    found = []
    for deadline in _of(open_deadlines, "activity:"):
        activity_id = deadline.key.removeprefix("activity:")
        stamp = activity_key(activity_id, deadline.due_on)
        remind_on = deadline.due_on - timedelta(days=ACTIVITY_REMIND_DAYS)
        found.append(
            Timer(
                key=f"{stamp}:reminder",
                kind="activity_reminder",
                at=max(deadline.since, calendar.at(remind_on)),
                due_on=deadline.due_on,
                recipients=[Role.TEACHER],
            )
        )
        found.append(
            Timer(
                key=f"{stamp}:overdue",
                kind="activity_overdue",
                at=calendar.after(deadline.due_on),
                due_on=deadline.due_on,
                recipients=[Role.METHODIST, Role.DEPUTY_HEAD],
                activity_id=activity_id,
            )
        )
    return found


def _final_timers(route: Route, calendar: Calendar, open_deadlines: list[Deadline]) -> list[Timer]:
    if route.plan is None or route.stage not in (Stage.IMPLEMENTATION, Stage.FINAL):
        return []
    ends = route.plan.ends_on
    term = term_key(route)
    found = []
    if route.stage is Stage.IMPLEMENTATION:
        found.append(
            Timer(
                key=f"{term}:final_requested",
                kind="final_requested",
                at=calendar.at(ends - timedelta(days=FINAL_NOTICE_DAYS)),
                due_on=ends,
                recipients=[Role.TEACHER, Role.METHODIST],
            )
        )
        found.append(
            Timer(
                key=f"{term}:term_ended",
                kind="term_ended",
                at=calendar.after(ends),
                due_on=ends,
                recipients=[Role.METHODIST, Role.DEPUTY_HEAD],
            )
        )
    for deadline in _of(open_deadlines, "conclusions") + _of(open_deadlines, "signatures"):
        if deadline.key == "conclusions":
            author = list(deadline.parties)
            found.append(
                Timer(
                    key=conclusions_key(route, "reminder", deadline.due_on),
                    kind="conclusions_reminder",
                    at=calendar.at(deadline.due_on - timedelta(days=ACTIVITY_REMIND_DAYS)),
                    due_on=deadline.due_on,
                    recipients=author,
                )
            )
            found.append(
                Timer(
                    key=conclusions_key(route, "overdue", deadline.due_on),
                    kind="conclusions_overdue",
                    at=calendar.after(deadline.due_on),
                    due_on=deadline.due_on,
                    recipients=[*author, Role.CENTRE_HEAD],
                )
            )
        else:
            found += [
                Timer(
                    key=f"{term}:signature:{role}",
                    kind="signature_requested",
                    at=deadline.since,
                    due_on=deadline.due_on,
                    recipients=[role],
                )
                for role in deadline.parties
            ]
    return found
