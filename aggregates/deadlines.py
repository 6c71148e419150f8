"""The route's open deadlines and the notices they call for, derived from its state alone.

A deadline is an obligation with a due date in the region's own calendar: a party's answer in
the agreement round (`days_to_answer` of its profile step), a party's agreement of a correction,
an activity's end date, the term's end, the conclusions after it. Each deadline asks for notices:
a request when the obligation begins, a reminder before it runs out, and after it an escalation
to the party's superior or an overdue notice. Every notice has a key; a route records each one it
sent (`NoticeSent`), so the route's workflow can be started afresh at any time and sends nothing
twice. An operator's extension moves a deadline (`DeadlineExtended`); a paused route has no
timers. The workflow only sleeps until the soonest `Timer.at` and asks the route to fire it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Literal
from zoneinfo import ZoneInfo

from aggregates.profiles import AgreementStep, Stage
from aggregates.route import Route
from aggregates.values import Role, Value

NOTICE_HOUR = time(9)  # reminders and requests made for a date go out at 09:00 in the region
ACTIVITY_REMIND_DAYS = 3  # a reminder to the teacher before an activity's end date
FINAL_NOTICE_DAYS = 14  # the term's end: ask for the final diagnostic and public event
CONCLUSIONS_DAYS = 14  # conclusions are due within two weeks after the term's end
CORRECTION_DAYS = 10  # a party outside the agreement steps answers a correction within this

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


class Calendar:
    """The route's region: dates there, and the UTC moments they begin."""

    def __init__(self, route: Route) -> None:
        self.zone = ZoneInfo(route.profile.time_zone)

    def day(self, moment: datetime) -> date:
        """The date of `moment` in the region."""
        return moment.astimezone(self.zone).date()

    def at(self, day: date, hour: time = NOTICE_HOUR) -> datetime:
        """The UTC moment of `hour` on `day` in the region."""
        return datetime.combine(day, hour, self.zone).astimezone(UTC)

    def after(self, day: date) -> datetime:
        """The first moment after `day` ends in the region."""
        return self.at(day + timedelta(days=1), time())


def deadlines(route: Route) -> list[Deadline]:
    """Every open deadline of the route, soonest first."""
    if route.closed:
        return []
    found = [*_agreement(route), *_corrections(route), *_implementation(route), *_final(route)]
    return sorted(found, key=lambda d: (d.due_on, d.key))


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


# The deadlines of each stage.


def _step(route: Route, role: Role) -> AgreementStep | None:
    return next((s for s in route.profile.agreement if s.role is role), None)


def _agreement(route: Route) -> list[Deadline]:
    if route.stage is not Stage.AGREEMENT or route.round_started is None:
        return []
    calendar = Calendar(route)
    start = calendar.day(route.round_started)
    found = []
    for role in route.pending_parties():
        step = _step(route, role)
        assert step is not None
        key = f"agreement:{role}"
        due = route.extensions.get(key, start + timedelta(days=step.days_to_answer))
        found.append(Deadline(key, due, (role,), route.round_started, answer=True))
    return found


def _corrections(route: Route) -> list[Deadline]:
    if route.stage not in (Stage.IMPLEMENTATION, Stage.FINAL):
        return []
    calendar = Calendar(route)
    found = []
    for correction in route.corrections:
        since = correction.at or calendar.at(correction.on)
        for role in correction.awaiting:
            step = _step(route, role)
            days = step.days_to_answer if step else CORRECTION_DAYS
            key = f"correction:{correction.number}:{role}"
            due = route.extensions.get(key, calendar.day(since) + timedelta(days=days))
            found.append(Deadline(key, due, (role,), since, answer=True))
    return found


def _implementation(route: Route) -> list[Deadline]:
    if route.stage is not Stage.IMPLEMENTATION or route.plan is None:
        return []
    found = []
    for activity in route.plan.activities:
        if route.activities[activity.id].status == "planned":
            since = Calendar(route).at(activity.starts_on)
            found.append(
                Deadline(
                    f"activity:{activity.id}",
                    route.due_on(activity),
                    (Role.TEACHER,),
                    since,
                    answer=False,
                )
            )
    return found


def _final(route: Route) -> list[Deadline]:
    if route.stage not in (Stage.IMPLEMENTATION, Stage.FINAL) or route.plan is None:
        return []
    conclusions = route.conclusions
    if conclusions is None:
        ends = route.plan.ends_on
        due = route.extensions.get("conclusions", ends + timedelta(days=CONCLUSIONS_DAYS))
        since = Calendar(route).after(ends)
        author = (route.profile.conclusions_by,)
        return [Deadline("conclusions", due, author, since, answer=False)]
    since = conclusions.at or route.modified_on
    parties = [*conclusions.awaiting]
    if not conclusions.acknowledged:
        parties.append(Role.TEACHER)
    due = Calendar(route).day(since) + timedelta(days=CORRECTION_DAYS)
    return [Deadline("signatures", due, tuple(parties), since, answer=True)] if parties else []


# The notices of each deadline.


def _timers(route: Route, calendar: Calendar) -> list[Timer]:
    found: list[Timer] = []
    found += _agreement_timers(route, calendar)
    found += _correction_timers(route, calendar)
    found += _activity_timers(route, calendar)
    found += _final_timers(route, calendar)
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
    step: AgreementStep | None,
    calendar: Calendar,
    kinds: tuple[Kind, Kind, Kind],
) -> list[Timer]:
    """Request, reminder and escalation of one party's answer."""
    role = deadline.parties[0]
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
    remind = step.remind_days_before if step else 1
    if remind:
        found.append(
            Timer(
                key=f"{prefix}:{role}:reminder:{deadline.due_on:%Y%m%d}",
                kind=reminder,
                at=max(deadline.since, calendar.at(deadline.due_on - timedelta(days=remind))),
                due_on=deadline.due_on,
                recipients=[role],
            )
        )
    superior = step.escalate_to if step and step.escalate_to else Role.CENTRE_HEAD
    found.append(
        Timer(
            key=f"{prefix}:{role}:escalated:{deadline.due_on:%Y%m%d}",
            kind=escalated,
            at=calendar.after(deadline.due_on),
            due_on=deadline.due_on,
            recipients=[superior, role],
        )
    )
    return found


def _agreement_timers(route: Route, calendar: Calendar) -> list[Timer]:
    found = []
    for deadline in _agreement(route):
        step = _step(route, deadline.parties[0])
        found += _answer_timers(deadline, f"a{route.submissions}", step, calendar, AGREEMENT_KINDS)
    return found


def _correction_timers(route: Route, calendar: Calendar) -> list[Timer]:
    found = []
    for deadline in _corrections(route):
        number = deadline.key.split(":")[1]
        step = _step(route, deadline.parties[0])
        found += _answer_timers(deadline, f"c{number}", step, calendar, CORRECTION_KINDS)
    return found


def _activity_timers(route: Route, calendar: Calendar) -> list[Timer]:
    found = []
    for deadline in _implementation(route):
        activity_id = deadline.key.removeprefix("activity:")
        stamp = f"act:{activity_id}:{deadline.due_on:%Y%m%d}"
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


def _final_timers(route: Route, calendar: Calendar) -> list[Timer]:
    if route.plan is None or route.stage not in (Stage.IMPLEMENTATION, Stage.FINAL):
        return []
    ends = route.plan.ends_on
    term = f"t{route.term}:{ends:%Y%m%d}"
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
    for deadline in _final(route):
        if deadline.key == "conclusions":
            author = list(deadline.parties)
            found.append(
                Timer(
                    key=f"{term}:conclusions:reminder:{deadline.due_on:%Y%m%d}",
                    kind="conclusions_reminder",
                    at=calendar.at(deadline.due_on - timedelta(days=ACTIVITY_REMIND_DAYS)),
                    due_on=deadline.due_on,
                    recipients=author,
                )
            )
            found.append(
                Timer(
                    key=f"{term}:conclusions:overdue:{deadline.due_on:%Y%m%d}",
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
