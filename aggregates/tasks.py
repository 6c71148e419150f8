"""The route's tasks: every action some person must take next, derived from its state alone.

A task is one person's (or one official's) next act on a route: assign the methodist, record the
input diagnostic, design and submit the plan, each party's answer in its agreement round, agree
or acknowledge a correction, complete each activity, the final stage's acts, the conclusions,
their signatures and acknowledgement, the certificate. Each names the command that completes it
(the API's operation id), its assignee (a person where the route knows one, else a role within
its school or region), its due date where the regulation or the plan sets one, and its state
(open, overdue, escalated; the tasks projection keeps those that left the open set as done or
cancelled).

The route's deadlines (`aggregates.deadlines`) are its tasks that have a `deadline` key: the
obligations an operator may extend and the route's workflow times. One model: the workflow's
timers and the inbox read the same tasks.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from typing import TYPE_CHECKING, Literal, NamedTuple
from zoneinfo import ZoneInfo

from aggregates.profiles import AgreementStep, Stage
from aggregates.route import Correction, Route
from aggregates.values import Role

if TYPE_CHECKING:
    from aggregates.events import RouteEvent

NOTICE_HOUR = time(9)  # reminders and requests made for a date go out at 09:00 in the region
CONCLUSIONS_DAYS = 14  # conclusions are due within two weeks after the term's end
CORRECTION_DAYS = 10  # a party outside the agreement steps answers a correction within this
TASK_NAMESPACE = uuid.UUID("0b6f3c4e-8d1a-4f2b-9c57-3e9a1d7b5f20")

State = Literal["open", "overdue", "escalated", "done", "cancelled"]
Scope = Literal["person", "school", "region"]

PERSONS = frozenset({Role.TEACHER, Role.METHODIST})
"""The roles whose person the route knows: its teacher and its assigned methodist."""
SCHOOL = frozenset({Role.SCHOOL_HEAD, Role.DEPUTY_HEAD, Role.MO_HEAD})
"""The roles held within the route's school; the others (the centre head) within its region."""

OPERATIONS: dict[str, str] = {
    "assign_methodist": "assign_methodist",
    "record_diagnostic": "record_diagnostic",
    "design_route": "design_route",
    "submit_route": "submit_route",
    "sign_route": "agree_route",
    "review_route": "agree_route",
    "agree_route": "agree_route",
    "approve_route": "agree_route",
    "agree_correction": "agree_correction",
    "acknowledge_correction": "acknowledge_correction",
    "complete_activity": "complete_activity",
    "hold_final_public_event": "hold_final_public_event",
    "record_self_reflection": "record_self_reflection",
    "record_final_diagnostic": "record_final_diagnostic",
    "record_conclusions": "record_conclusions",
    "sign_conclusions": "sign_conclusions",
    "acknowledge_conclusions": "acknowledge_conclusions",
    "issue_certificate": "issue_certificate",
    "attend_diagnostic": "mark_campaign_attendance",
}
"""Each kind of task and the command that completes it (an agreement party's answer is
`agree_route` whatever its action: sign, review, agree, approve)."""

COMPLETED_BY: dict[str, tuple[str, ...]] = {
    "assign_methodist": ("MethodistAssigned",),
    "record_diagnostic": ("DiagnosticRecorded",),
    "design_route": ("RouteDesigned",),
    "submit_route": ("RouteSubmitted",),
    "agree_route": ("AgreementGiven", "RouteReturned"),
    "agree_correction": ("CorrectionAgreed",),
    "acknowledge_correction": ("CorrectionAcknowledged",),
    "complete_activity": ("ActivityCompleted", "ActivityNotCompleted"),
    "hold_final_public_event": ("FinalPublicEventHeld",),
    "record_self_reflection": ("SelfReflectionRecorded",),
    "record_final_diagnostic": ("FinalDiagnosticRecorded",),
    "record_conclusions": ("ConclusionsRecorded",),
    "sign_conclusions": ("ConclusionsSigned",),
    "acknowledge_conclusions": ("ConclusionsAcknowledged",),
    "issue_certificate": ("CertificateIssued",),
    "mark_campaign_attendance": ("AttendanceMarked", "ResultsRecorded"),
}
"""By operation: the events that complete its task. A task that leaves the open set on another
event (the route cancelled or returned, an activity removed by a correction) is cancelled."""


TITLES: dict[str, str] = {
    "assign_methodist": "Закрепить методиста",
    "record_diagnostic": "Внести результаты входной диагностики",
    "design_route": "Спроектировать ИОМ",
    "submit_route": "Передать ИОМ на согласование",
    "sign_route": "Подписать ИОМ",
    "review_route": "Рассмотреть ИОМ",
    "agree_route": "Согласовать ИОМ",
    "approve_route": "Утвердить ИОМ",
    "agree_correction": "Согласовать корректировку ИОМ",
    "acknowledge_correction": "Ознакомиться с корректировкой ИОМ",
    "complete_activity": "Выполнить мероприятие и отметить результат",
    "hold_final_public_event": "Провести заключительное публичное мероприятие",
    "record_self_reflection": "Представить саморефлексию",
    "record_final_diagnostic": "Внести результаты итоговой диагностики",
    "record_conclusions": "Сформулировать выводы",
    "sign_conclusions": "Подписать выводы",
    "acknowledge_conclusions": "Ознакомиться с выводами",
    "issue_certificate": "Выдать сертификат о прохождении ИОМ",
    "attend_diagnostic": "Пройти диагностику профессиональных дефицитов",
}
"""Each kind of task as the person it waits on reads it."""

STATE_TITLES: dict[State, str] = {
    "open": "ожидает",
    "overdue": "просрочена",
    "escalated": "передана вышестоящему",
    "done": "выполнена",
    "cancelled": "отменена",
}


class Calendar:
    """The route's region: dates there, and the UTC moments they begin (each worked out once
    per region: a route's tasks are derived after each of its events, from the same dates)."""

    def __init__(self, route: Route) -> None:
        self.zone = _zone(route.profile.time_zone)

    def day(self, moment: datetime) -> date:
        """The date of `moment` in the region."""
        return _day(self.zone, moment)

    def at(self, day: date, hour: time = NOTICE_HOUR) -> datetime:
        """The UTC moment of `hour` on `day` in the region."""
        return _moment(self.zone, day, hour)

    def after(self, day: date) -> datetime:
        """The first moment after `day` ends in the region."""
        return self.at(day + timedelta(days=1), time())


def forget_worked_out() -> None:
    """Forget the task ids and the regions' dates worked out so far: each is worked out once for
    the process, and a benchmark's passes each start without them, as a rebuild does."""
    for cached in (task_id, _day, _moment, _ymd):
        cached.cache_clear()


@lru_cache(maxsize=64)
def _zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


@lru_cache(maxsize=1 << 14)
def _day(zone: ZoneInfo, moment: datetime) -> date:
    return moment.astimezone(zone).date()


@lru_cache(maxsize=1 << 14)
def _moment(zone: ZoneInfo, day: date, hour: time) -> datetime:
    return datetime.combine(day, hour, zone).astimezone(UTC)


class Assignee(NamedTuple):
    """Who must act: a person (`scope` person, `scope_id` their id) or a role within the route's
    school or region (`scope_id` the school's or the region's id)."""

    role: Role
    scope: Scope
    scope_id: str


class Task(NamedTuple):
    """One open task of a route (see the module's docstring). `deadline` is the key an
    operator's extension names, where the task is one of the route's timed obligations; `since`
    is when it began (an answer's round, an activity's start). A named tuple: immutable, and
    made cheaply (the tasks projection derives a route's tasks after each of its events)."""

    id: str
    route_id: uuid.UUID
    kind: str
    subject: str  # the party's role, the activity's id, the correction's number, or ""
    round: int  # the agreement round, the correction's number, the term, the revision
    assignee: Assignee
    due_on: date | None
    since: datetime | None = None
    deadline: str | None = None
    answer: bool = False  # a party's answer is awaited (agreement, correction, signature)
    state: State = "open"
    escalated_to: Role | None = None
    reminded: bool = False  # the reminder before its due date went out
    place: str | None = None  # where it is done: a diagnostic group's place
    starts_at: datetime | None = None  # when it begins: a diagnostic group's start

    @property
    def operation(self) -> str:
        """The operation id of the command that completes the task."""
        return OPERATIONS[self.kind]


def completed_by(task: Task, event: RouteEvent) -> bool:
    """Whether `event` completes `task` (rather than cancels it): an event of the task's
    command, of the party or the activity the task names."""
    if type(event).__name__ not in COMPLETED_BY[task.operation]:
        return False
    fields = event.__dict__  # an event's fields (a missing one read by `getattr` raises inside)
    activity: str | None = fields.get("activity_id")
    party: Role | None = fields.get("role")
    named = activity if activity is not None else party.value if party is not None else None
    return not task.subject or named is None or named == task.subject


NOTICES_SHOWN = (":reminder", ":escalated", ":overdue")
"""The notices a task shows (reminded, escalated, overdue): a request or the term's notices
change no task."""


def bears_on_tasks(event: RouteEvent) -> bool:
    """Whether `event` may change the route's tasks: any but an interim result and a notice
    no task shows (what the tasks projection need not derive the tasks again for)."""
    kind = type(event).__name__
    if kind == "InterimResultRecorded":
        return False
    key: str | None = getattr(event, "key", None) if kind == "NoticeSent" else None
    return key is None or any(part in key for part in NOTICES_SHOWN)


@lru_cache(maxsize=1 << 16)
def task_id(route_id: uuid.UUID, kind: str, subject: str, round_: int) -> str:
    """A task's id: the same however often the route's tasks are derived (and they are derived
    after every event the tasks projection applies: the last ones are kept). It is
    `str(uuid.uuid5(TASK_NAMESPACE, name))`, written straight from the name's SHA-1 (a third of
    the time: a rebuild works out one for every task a route ever had)."""
    name = f"{route_id}:{kind}:{subject}:{round_}".encode()
    digest = hashlib.sha1(_NAMESPACE + name, usedforsecurity=False).hexdigest()
    variant = "89ab"[int(digest[16], 16) & 3]  # RFC 4122's variant bits, as uuid5 sets them
    return f"{digest[:8]}-{digest[8:12]}-5{digest[13:16]}-{variant}{digest[17:20]}-{digest[20:32]}"


_NAMESPACE = TASK_NAMESPACE.bytes


def assignee(route: Route, role: Role) -> Assignee:
    """The person in `role` where the route knows them, else the role in its school or region."""
    if role is Role.TEACHER:
        return Assignee(role, "person", route.teacher_id)
    if role is Role.METHODIST and route.methodist_id is not None:
        return Assignee(role, "person", route.methodist_id)
    if role in SCHOOL:
        return Assignee(role, "school", route.school_id)
    return Assignee(role, "region", route.profile.id)


def step(route: Route, role: Role) -> AgreementStep | None:
    """The agreement step of `role` in the route's profile, if it has one."""
    return next((s for s in route.profile.agreement if s.role is role), None)


def superior(route: Route, role: Role) -> Role:
    """To whom a party's late answer is escalated: its step's `escalate_to`, else the centre."""
    found = step(route, role)
    return found.escalate_to if found and found.escalate_to else Role.CENTRE_HEAD


def answer_key(prefix: str, role: Role, what: str, due_on: date) -> str:
    """The key of a reminder or escalation notice of a party's answer (`prefix` names the
    agreement round `a<n>` or the correction `c<n>`)."""
    return f"{prefix}:{role}:{what}:{_ymd(due_on)}"


def activity_key(activity_id: str, due_on: date) -> str:
    """The stem of an activity's notice keys."""
    return f"act:{activity_id}:{_ymd(due_on)}"


def term_key(route: Route) -> str:
    """The stem of the term's notice keys."""
    assert route.plan is not None
    return f"t{route.term}:{_ymd(route.plan.ends_on)}"


def conclusions_key(route: Route, what: str, due_on: date) -> str:
    """The key of the conclusions' reminder or overdue notice in the current term."""
    return f"{term_key(route)}:conclusions:{what}:{_ymd(due_on)}"


@lru_cache(maxsize=1 << 12)
def _ymd(day: date) -> str:
    """A date as the notice keys write it (formatted once: the keys are made after each event)."""
    return f"{day:%Y%m%d}"


def correction_parties(correction: Correction) -> list[Role]:
    """The parties a correction still waits on: read from the route's state here only."""
    return correction.awaiting


def tasks(route: Route) -> list[Task]:
    """Every open task of the route, soonest due first (those without a due date last)."""
    return sorted(in_stage_order(route), key=soonest)


def soonest(task: Task) -> tuple[date, str]:
    """The inbox's order of tasks: by due date (those without one last), then by id."""
    return (task.due_on or date.max, task.id)


def in_stage_order(route: Route) -> list[Task]:
    """Every open task of the route, stage by stage, each stage's in the regulation's order
    (an agreement round's parties, the conclusions' signers, as the profile lists them)."""
    parts = _PARTS.get(route.stage)
    if not parts:
        return []
    make = _Maker(route)
    if len(parts) == 1:
        return parts[0](make)
    return [task for part in parts for task in part(make)]


class _Maker:
    """Builds the route's tasks: ids, assignees and states from the route's notices."""

    __slots__ = ("_assignees", "_calendar", "route")

    def __init__(self, route: Route) -> None:
        self.route = route
        self._assignees: dict[Role, Assignee] = {}
        self._calendar: Calendar | None = None

    @property
    def calendar(self) -> Calendar:
        """The route's region's calendar."""
        if self._calendar is None:
            self._calendar = Calendar(self.route)
        return self._calendar

    def task(
        self,
        kind: str,
        role: Role,
        *,
        subject: str = "",
        round_: int = 0,
        due_on: date | None = None,
        since: datetime | None = None,
        deadline: str | None = None,
        answer: bool = False,
    ) -> Task:
        route = self.route
        who = self._assignees.get(role)
        if who is None:
            who = self._assignees[role] = assignee(route, role)
        return Task(
            task_id(route.id, kind, subject, round_),
            route.id,
            kind,
            subject,
            round_,
            who,
            due_on,
            since,
            deadline,
            answer,
        )

    def answer(self, task: Task, prefix: str) -> Task:
        """A party's answer, escalated or reminded as its notices went out."""
        role, due = task.assignee.role, task.due_on
        assert due is not None
        notices = self.route.notices
        if answer_key(prefix, role, "escalated", due) in notices:
            up = superior(self.route, role)
            return _with(task, "escalated", up, reminded=True)
        return _with(task, "open", None, answer_key(prefix, role, "reminder", due) in notices)


def _with(task: Task, state: State, escalated_to: Role | None, reminded: bool) -> Task:
    if state == "open" and not reminded:
        return task
    return task._replace(state=state, escalated_to=escalated_to, reminded=reminded)


def _opening(make: _Maker) -> list[Task]:
    route = make.route
    profile = route.profile
    if route.stage is Stage.OPENED:
        return [make.task("assign_methodist", profile.methodist_assigned_by[0])]
    if route.stage is Stage.DIAGNOSTIC:
        return [make.task("record_diagnostic", Role.METHODIST)]
    designer = profile.designers[0]
    returned = bool(route.returns) and route.returns[-1].revision == route.revision
    if route.plan is None or returned:
        return [make.task("design_route", designer, round_=route.revision + 1)]
    return [make.task("submit_route", designer, round_=route.revision)]


def _agreement(make: _Maker) -> list[Task]:
    route = make.route
    if route.round_started is None:
        return []
    start = make.calendar.day(route.round_started)
    found = []
    for role in route.pending_parties():
        party = step(route, role)
        assert party is not None
        key = f"agreement:{role}"
        due = route.extensions.get(key, start + timedelta(days=party.days_to_answer))
        task = make.task(
            f"{party.action}_route",
            role,
            subject=role.value,
            round_=route.submissions,
            due_on=due,
            since=route.round_started,
            deadline=key,
            answer=True,
        )
        found.append(make.answer(task, f"a{route.submissions}"))
    return found


def _corrections(make: _Maker) -> list[Task]:
    route = make.route
    if not route.corrections:
        return []
    calendar = make.calendar
    found = []
    for correction in route.corrections:
        number = correction.number
        since = correction.at or calendar.at(correction.on)
        for role in correction_parties(correction):
            party = step(route, role)
            days = party.days_to_answer if party else CORRECTION_DAYS
            key = f"correction:{number}:{role}"
            due = route.extensions.get(key, calendar.day(since) + timedelta(days=days))
            task = make.task(
                "agree_correction",
                role,
                subject=role.value,
                round_=number,
                due_on=due,
                since=since,
                deadline=key,
                answer=True,
            )
            found.append(make.answer(task, f"c{number}"))
        if not correction.acknowledged:
            found.append(make.task("acknowledge_correction", Role.TEACHER, round_=number))
    return found


def _implementation(make: _Maker) -> list[Task]:
    route = make.route
    if route.plan is None:
        return []
    calendar = make.calendar
    found = []
    for activity in route.plan.activities:
        record = route.activities[activity.id]
        if record.status != "planned":
            continue
        due = route.due_on(activity)
        task = make.task(
            "complete_activity",
            Role.TEACHER,
            subject=activity.id,
            due_on=due,
            since=calendar.at(activity.starts_on),
            deadline=f"activity:{activity.id}",
        )
        reminded = f"{activity_key(activity.id, due)}:reminder" in route.notices
        found.append(_with(task, "overdue" if record.overdue else "open", None, reminded))
    return found


def _final(make: _Maker) -> list[Task]:
    route = make.route
    if route.plan is None:
        return []
    profile, plan, term = route.profile, route.plan, route.term
    conclusions = route.conclusions
    if conclusions is not None:
        return _signatures(make)
    found = []
    event = plan.final_public_event
    for required, done, kind, role, due in (
        (
            profile.requires_final_public_event,
            route.final_event,
            "hold_final_public_event",
            Role.TEACHER,
            event.ends_on if event else plan.ends_on,
        ),
        (
            profile.requires_self_reflection,
            route.self_reflection,
            "record_self_reflection",
            Role.TEACHER,
            plan.ends_on,
        ),
        (
            profile.requires_final_diagnostic,
            route.final_diagnostic,
            "record_final_diagnostic",
            Role.METHODIST,
            plan.ends_on,
        ),
    ):
        if required and done is None:
            found.append(make.task(kind, role, round_=term, due_on=due))
    due = route.extensions.get("conclusions", plan.ends_on + timedelta(days=CONCLUSIONS_DAYS))
    task = make.task(
        "record_conclusions",
        profile.conclusions_by,
        round_=term,
        due_on=due,
        since=make.calendar.after(plan.ends_on),
        deadline="conclusions",
    )
    if conclusions_key(route, "overdue", due) in route.notices:
        task = _with(task, "escalated", Role.CENTRE_HEAD, reminded=True)
    else:
        task = _with(task, "open", None, conclusions_key(route, "reminder", due) in route.notices)
    return [*found, task]


def _signatures(make: _Maker) -> list[Task]:
    route = make.route
    conclusions = route.conclusions
    assert conclusions is not None
    since = conclusions.at or route.modified_on
    due = make.calendar.day(since) + timedelta(days=CORRECTION_DAYS)
    found = [
        make.task(
            "sign_conclusions",
            role,
            subject=role.value,
            round_=route.term,
            due_on=due,
            since=since,
            deadline="signatures",
            answer=True,
        )
        for role in conclusions.awaiting
    ]
    if not conclusions.acknowledged:
        found.append(
            make.task(
                "acknowledge_conclusions",
                Role.TEACHER,
                round_=route.term,
                due_on=due,
                since=since,
                deadline="signatures",
                answer=True,
            )
        )
    certifiable = conclusions.settled and conclusions.outcome == "completed"
    if route.profile.requires_certificate and certifiable and route.certificate is None:
        found.append(make.task("issue_certificate", Role.CENTRE_HEAD, round_=route.term))
    return found


_PARTS: dict[Stage, tuple[Callable[[_Maker], list[Task]], ...]] = {
    Stage.OPENED: (_opening,),
    Stage.DIAGNOSTIC: (_opening,),
    Stage.DESIGN: (_opening,),
    Stage.AGREEMENT: (_agreement,),
    Stage.IMPLEMENTATION: (_corrections, _implementation, _final),
    Stage.FINAL: (_corrections, _final),
}
"""The tasks each stage has, in the order of `in_stage_order` (a closed route has none)."""
