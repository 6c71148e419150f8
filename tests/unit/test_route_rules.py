"""The refusals of every command, the regional rules, and idempotency.

A refusal is a `DomainError` (or pydantic's `ValidationError` for malformed input) of the right
class, naming the offending field where there is one, in Russian, and it appends nothing: the
route's version, its history and its whole state are as they were.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import KW_ONLY, dataclass
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING, Any
from uuid import UUID
from zoneinfo import ZoneInfo

import pytest
from pydantic import ValidationError

from aggregates.application import Receipt, Routes, route_id_for
from aggregates.commands import (
    COMMANDS,
    AcknowledgeConclusions,
    AcknowledgeCorrection,
    AgreeCorrection,
    AgreeRoute,
    AssignMethodist,
    CancelRoute,
    Command,
    CompleteActivity,
    CorrectRoute,
    DesignRoute,
    HoldFinalPublicEvent,
    IssueCertificate,
    MarkActivityNotDone,
    MarkActivityOverdue,
    OpenRoute,
    RecordConclusions,
    RecordDiagnostic,
    RecordFinalDiagnostic,
    RecordInterimResult,
    RecordSelfReflection,
    ReturnRoute,
    SignConclusions,
    SubmitRoute,
)
from aggregates.commands.base import add_months
from aggregates.errors import (
    CommandReuseError,
    DomainError,
    InvalidCommandError,
    RoleError,
    RouteExistsError,
    StageError,
)
from aggregates.profiles import Profile, Stage
from aggregates.values import (
    ActivityLevel,
    Actor,
    Diagnostic,
    FinalPublicEvent,
    Plan,
    Role,
    TaskResult,
)
from tests.support.driven import driven
from tests.support.plans import build_plan, deficit_groups
from workers.demo import DemoRoute

if TYPE_CHECKING:
    from aggregates.route import Route
    from tests.unit.conftest import Clock

CYRILLIC = re.compile(r"[А-Яа-яЁё]")
TEXT = "Освоены приёмы, применены на уроках в 7–8 классах"


# The stage a test starts from: a demo route driven there, and the steps a test adds.


@dataclass(frozen=True)
class Raw:
    """Input as the portal sends it, validated only when the command is issued."""

    kind: type[Command]
    data: dict[str, Any]

    def build(self) -> Command:
        return self.kind.model_validate(self.data)


@dataclass
class Scene:
    """One route driven by the demo to a stage; `run` adds steps under fresh command ids."""

    app: Routes
    demo: DemoRoute
    route_id: UUID
    steps: int = 0

    @property
    def route(self) -> Route:
        return self.app.route(self.route_id)

    @property
    def profile(self) -> Profile:
        return self.demo.profile

    @property
    def plan(self) -> Plan:
        plan = self.route.plan
        assert plan is not None
        return plan

    def today(self) -> date:
        return self.app.clock().astimezone(ZoneInfo(self.profile.time_zone)).date()

    def actor(self, role: Role) -> Actor:
        return self.demo.actor(role)

    def run(self, command: Command, who: Role | Actor) -> Receipt:
        actor = who if isinstance(who, Actor) else self.actor(who)
        self.steps += 1
        return self.app.execute(self.route_id, command, actor, f"{self.demo.key}:t{self.steps}")


def scene_at(app: Routes, region: str, until: Stage, index: int = 1) -> Scene:
    """A demo route of `region` driven up to `until` (FINAL: every activity marked)."""
    demo = driven(app, app.profiles.latest(region), index, until)
    return Scene(app, demo, demo.route_id)


def stranger(role: Role) -> Actor:
    """Someone in `role` who is not this route's teacher or methodist."""
    return Actor(id=f"stranger-{role.value.replace('_', '-')}", role=role)


def diagnostic_of(levels: dict[str, int], taken_on: date) -> Diagnostic:
    tasks = [
        TaskResult(number=number, competences=[code], level=level)
        for number, (code, level) in enumerate(levels.items(), start=1)
    ]
    return Diagnostic(taken_on=taken_on, platform="РАС «Ситуационный центр»", tasks=tasks)


def plan_for(s: Scene, **options: Any) -> Plan:
    return build_plan(s.profile, deficit_groups(s.route), teacher_id=s.route.teacher_id, **options)


def with_activity(plan: Plan, index: int, **changes: Any) -> Plan:
    activities = list(plan.activities)
    activities[index] = activities[index].model_copy(update=changes)
    return plan.model_copy(update={"activities": activities})


def design(s: Scene, plan: Plan | None = None) -> None:
    s.run(DesignRoute(plan=plan or plan_for(s)), s.profile.designers[0])


def submit(s: Scene, plan: Plan | None = None) -> None:
    design(s, plan)
    s.run(SubmitRoute(), s.profile.designers[0])


def agree_all(s: Scene) -> None:
    for step in s.profile.agreement:
        s.run(AgreeRoute(plan_hash=s.route.plan_hash or ""), step.role)


def implement(s: Scene, plan: Plan) -> None:
    """From design: `plan` designed, submitted and agreed by every party."""
    submit(s, plan)
    agree_all(s)


def return_first(s: Scene) -> None:
    s.run(ReturnRoute(comments="Уточните сроки мероприятий"), s.route.pending_parties()[0])


def done(s: Scene, activity_id: str = "a1", **changes: Any) -> CompleteActivity:
    """A full, valid mark of an activity done on its last day, with `changes`."""
    activity = s.route.activity(activity_id) or s.plan.activities[0]
    fields: dict[str, Any] = {
        "activity_id": activity_id,
        "completed_on": activity.ends_on,
        "result": TEXT,
        "product": activity.result_form,
        "self_assessment": "Цель мероприятия достигнута",
        "employer_assessment": "Результат соответствует задачам ИОМ",
    }
    return CompleteActivity.model_validate(fields | changes)


def correction(s: Scene, plan: Plan | None = None, **changes: Any) -> CorrectRoute:
    """A correction that moves the last activity to another organiser (or sets `plan`)."""
    if plan is None:
        plan = with_activity(s.plan, -1, organiser="ЦНППМ (перенос по графику)")
    fields: dict[str, Any] = {
        "corrected_on": s.today(),
        "reason": "Изменение графика курсов у организатора",
        "plan": plan,
    }
    return CorrectRoute.model_validate(fields | changes)


def final_diagnostic(s: Scene, **changes: Any) -> RecordFinalDiagnostic:
    route = s.route
    assert route.input_diagnostic is not None
    tasks = [
        t.model_copy(update={"level": min(4, t.level + 1)}) for t in route.input_diagnostic.tasks
    ]
    diagnostic = route.input_diagnostic.model_copy(
        update={"tasks": tasks, "taken_on": s.today() - timedelta(days=1)} | changes
    )
    return RecordFinalDiagnostic(diagnostic=diagnostic)


def hold_event(s: Scene) -> None:
    event = s.plan.final_public_event
    assert event is not None
    s.run(
        HoldFinalPublicEvent(held_on=event.starts_on, result="Проведено для 24 педагогов"),
        Role.TEACHER,
    )


def final_steps(s: Scene) -> None:
    """What the region needs before conclusions, once every activity is marked."""
    if s.profile.requires_self_reflection:
        s.run(RecordSelfReflection(text="Маршрут помог систематизировать работу"), Role.TEACHER)
    if s.plan.final_public_event is not None:
        hold_event(s)
    if s.profile.requires_final_diagnostic:
        s.run(final_diagnostic(s), Role.METHODIST)


def conclusions(**changes: Any) -> RecordConclusions:
    fields: dict[str, Any] = {
        "outcome": "completed",
        "text": "ИОМ пройден успешно: дефициты преодолены",
        "recommendations": "Транслировать опыт на муниципальном уровне",
    }
    return RecordConclusions.model_validate(fields | changes)


def conclude(s: Scene, **changes: Any) -> None:
    final_steps(s)
    s.run(conclusions(**changes), s.profile.conclusions_by)


def cancel(s: Scene) -> None:
    s.run(CancelRoute(reason="Педагог уволился"), Role.CENTRE_HEAD)


CHELYABINSK_LEVELS = {
    "subject": 1,
    "methodical": 2,
    "psych_pedagogical": 1,
    "communicative": 3,
    "managerial": 4,
}


def chelyabinsk_diagnosed(s: Scene) -> None:
    """Lowest level «низкий» in subject and psych_pedagogical competences."""
    diagnostic = diagnostic_of(CHELYABINSK_LEVELS, date(2026, 5, 20))
    s.run(RecordDiagnostic(diagnostic=diagnostic), Role.METHODIST)


def agree_correction(s: Scene, number: int = 1) -> AgreeCorrection:
    """An agreement of correction `number`, bound to the plan it made (or to none yet)."""
    known = number <= len(s.route.corrections)
    plan_hash = s.route.corrections[number - 1].plan_hash if known else "0" * 64
    return AgreeCorrection(number=number, plan_hash=plan_hash)


def corrected_by_teacher(s: Scene) -> None:
    """Balakhta: the teacher corrects; the МО must agree the correction."""
    s.run(correction(s), Role.TEACHER)


def prolonged(s: Scene) -> None:
    """Balakhta, every activity marked: conclusions «prolonged» settled; term 2 begins."""
    s.run(RecordSelfReflection(text="Маршрут требует продолжения"), Role.TEACHER)
    s.run(conclusions(outcome="prolonged", prolonged_until=date(2026, 12, 31)), Role.METHODIST)
    s.run(AcknowledgeConclusions(), Role.TEACHER)
    assert s.route.stage is Stage.IMPLEMENTATION


# The table of refusals.

Setup = Callable[["Scene"], "Command | Raw"]


@dataclass(frozen=True)
class Case:
    """One refusal: where the route stands, who asks what, and how it must be refused."""

    command: str  # a key of COMMANDS
    kind: str  # stage, role or content
    region: str
    until: Stage  # the demo drives the route this far (FINAL: every activity marked)
    who: Role | Actor  # a role: this route's own person in it
    error: type[Exception]
    field: str | None = None
    rule: str | None = None  # the DomainError's rule, or the pydantic error type
    match: str | None = None  # a pattern the message must contain
    index: int = 1  # the demo route's number: even ones were corrected, odd ones plan an event
    name: str = ""
    _: KW_ONLY
    setup: Setup  # the steps, then the command that is refused

    @property
    def id(self) -> str:
        return "-".join(filter(None, [self.command, self.kind, self.region, self.name]))


def after(steps: list[Callable[[Scene], object]], setup: Setup) -> Setup:
    """`setup` preceded by `steps`."""

    def run(s: Scene) -> Command | Raw:
        for step in steps:
            step(s)
        return setup(s)

    return run


IMPL = Stage.IMPLEMENTATION
MARKED = Stage.FINAL  # the demo's FINAL: every activity marked, the route still in implementation
ORDER = "Распоряжение № 17 от 15.06.2026"
NEW_METHODIST = "methodist-new-01"


def _sign(s: Scene) -> None:
    s.run(SignConclusions(), Role.SCHOOL_HEAD)


def _ack(s: Scene) -> None:
    s.run(AcknowledgeConclusions(), Role.TEACHER)


def _round_one(s: Scene) -> None:
    for role in (Role.METHODIST, Role.TEACHER):
        s.run(AgreeRoute(plan_hash=s.route.plan_hash or ""), role)


def _mo_agrees(s: Scene) -> None:
    s.run(AgreeRoute(plan_hash=s.route.plan_hash or ""), Role.MO_HEAD)


def _complete_a1(s: Scene) -> None:
    s.run(done(s), Role.TEACHER)


def _overdue_a1(s: Scene) -> None:
    s.run(MarkActivityOverdue(activity_id="a1"), Role.SYSTEM)


def _own_plan(s: Scene) -> None:
    """From design: a plan of this year, whose last activities are still ahead."""
    implement(s, plan_for(s, starts_on=date(2026, 1, 1)))


def _stale_hash(s: Scene) -> AgreeRoute:
    """The hash of revision 1, once revision 2 is on agreement (the methodist signs first)."""
    stale = s.route.plan_hash or ""
    return_first(s)
    submit(s, plan_for(s, topic="Индивидуализация обучения на уроках"))
    assert s.route.pending_parties()[0] is Role.METHODIST
    return AgreeRoute(plan_hash=stale)


def _designed_then_diagnosed(s: Scene) -> RecordDiagnostic:
    design(s)
    return RecordDiagnostic(diagnostic=diagnostic_of({"subject": 2}, date(2026, 6, 1)))


def _diagnostic(**changes: Any) -> RecordDiagnostic:
    base = diagnostic_of({"subject": 2, "methodical": 1}, date(2026, 6, 1))
    return RecordDiagnostic(diagnostic=base.model_copy(update=changes))


def _plan_shifted(s: Scene, months: int) -> CorrectRoute:
    plan = s.plan
    ends_on = add_months(plan.starts_on, months) - timedelta(days=1)
    activities = [a for a in plan.activities if a.ends_on <= ends_on]
    event = plan.final_public_event
    if event is not None:
        event = event.model_copy(
            update={"starts_on": ends_on - timedelta(days=9), "ends_on": ends_on}
        )
    return correction(
        s,
        plan.model_copy(
            update={"ends_on": ends_on, "activities": activities, "final_public_event": event}
        ),
    )


def _cert(s: Scene, **changes: Any) -> IssueCertificate:
    fields: dict[str, Any] = {"number": "ИОМ-SAKHA-00001", "issued_on": s.today()} | changes
    return IssueCertificate.model_validate(fields)


def _tomorrow(s: Scene) -> date:
    return s.today() + timedelta(days=1)


def _plan_raw(s: Scene, **changes: Any) -> Raw:
    return Raw(DesignRoute, {"plan": plan_for(s).model_dump(mode="json") | changes})


# The table reads best as a table: one refusal a row, aligned by hand.
# fmt: off
CASES: list[Case] = [
    # assign_methodist
    Case("assign_methodist", "stage", "sakha", Stage.COMPLETED, Role.CENTRE_HEAD, StageError,
         rule="stage",
         setup=lambda s: AssignMethodist(
             methodist_id=NEW_METHODIST, order=ORDER, reason="Замена"
         )),
    Case("assign_methodist", "stage", "balakhta", Stage.DESIGN, Role.SCHOOL_HEAD, StageError,
         rule="stage", name="cancelled",
         setup=after(
             [cancel],
             lambda s: AssignMethodist(methodist_id=NEW_METHODIST, order=ORDER, reason="Замена"),
         )),
    Case("assign_methodist", "role", "sakha", Stage.OPENED, Role.TEACHER, RoleError, rule="role",
         name="teacher", setup=lambda s: AssignMethodist(methodist_id=NEW_METHODIST, order=ORDER)),
    Case("assign_methodist", "role", "sakha", Stage.OPENED, Role.METHODIST, RoleError, rule="role",
         name="methodist-self",
         setup=lambda s: AssignMethodist(methodist_id=s.actor(Role.METHODIST).id, order=ORDER)),
    Case("assign_methodist", "role", "sakha", Stage.OPENED, Role.SCHOOL_HEAD, RoleError,
         rule="role", name="school-head",
         setup=lambda s: AssignMethodist(methodist_id=NEW_METHODIST, order=ORDER)),
    Case("assign_methodist", "content", "sakha", Stage.DIAGNOSTIC, Role.CENTRE_HEAD,
         InvalidCommandError, "methodist_id", name="same",
         setup=lambda s: AssignMethodist(methodist_id=s.route.methodist_id or "", order=ORDER)),
    Case("assign_methodist", "content", "sakha", Stage.IMPLEMENTATION, Role.CENTRE_HEAD,
         InvalidCommandError, "reason", name="no-reason",
         setup=lambda s: AssignMethodist(methodist_id=NEW_METHODIST, order=ORDER, reason="  ")),
    Case("assign_methodist", "content", "sakha", Stage.OPENED, Role.CENTRE_HEAD, ValidationError,
         "methodist_id", rule="string_pattern_mismatch", name="malformed-id",
         setup=lambda s: Raw(AssignMethodist, {"methodist_id": "методист 1", "order": ORDER})),
    # record_diagnostic
    Case("record_diagnostic", "stage", "sakha", Stage.OPENED, Role.METHODIST, StageError,
         rule="stage", setup=lambda s: _diagnostic()),
    Case("record_diagnostic", "stage", "sakha", IMPL, Role.METHODIST, StageError, rule="stage",
         name="implementation", setup=lambda s: _diagnostic()),
    Case("record_diagnostic", "role", "sakha", Stage.DIAGNOSTIC, stranger(Role.METHODIST),
         RoleError, rule="assigned_methodist", setup=lambda s: _diagnostic()),
    Case("record_diagnostic", "role", "sakha", Stage.DIAGNOSTIC, Role.TEACHER, RoleError,
         rule="role", name="teacher", setup=lambda s: _diagnostic()),
    Case("record_diagnostic", "content", "sakha", Stage.DIAGNOSTIC, Role.METHODIST,
         InvalidCommandError, "diagnostic.tasks[0].competences", match="astrology",
         name="unknown-competence",
         setup=lambda s: RecordDiagnostic(
             diagnostic=diagnostic_of({"astrology": 1}, date(2026, 6, 1))
         )),
    Case("record_diagnostic", "content", "sakha", Stage.DIAGNOSTIC, Role.METHODIST,
         InvalidCommandError, "diagnostic.tasks", name="repeated-task",
         setup=lambda s: _diagnostic(
             tasks=[
                 TaskResult(number=1, competences=["subject"], level=1),
                 TaskResult(number=1, competences=["ict"], level=2),
             ]
         )),
    Case("record_diagnostic", "content", "sakha", Stage.DIAGNOSTIC, Role.METHODIST,
         InvalidCommandError, "diagnostic.taken_on", name="future",
         setup=lambda s: _diagnostic(taken_on=_tomorrow(s))),
    Case("record_diagnostic", "content", "sakha", Stage.DESIGN, Role.METHODIST, InvalidCommandError,
         "diagnostic", name="after-design", setup=_designed_then_diagnosed),
    Case("record_diagnostic", "content", "sakha", Stage.DIAGNOSTIC, Role.METHODIST, ValidationError,
         "diagnostic.tasks[0].level", rule="less_than_equal", name="level-5",
         setup=lambda s: Raw(
             RecordDiagnostic,
             {
                 "diagnostic": {
                     "taken_on": "2026-06-01",
                     "platform": "РАС",
                     "tasks": [{"number": 1, "competences": ["subject"], "level": 5}],
                 }
             },
         )),
    # design_route
    Case("design_route", "stage", "sakha", Stage.DIAGNOSTIC, Role.METHODIST, StageError,
         rule="stage", setup=lambda s: DesignRoute(plan=build_plan(s.profile, [["subject"]]))),
    Case("design_route", "stage", "sakha", Stage.AGREEMENT, Role.METHODIST, StageError,
         rule="stage", name="agreement",
         setup=lambda s: DesignRoute(plan=plan_for(s, topic="Новая тема"))),
    Case("design_route", "role", "sakha", Stage.DESIGN, stranger(Role.TEACHER), RoleError,
         rule="own_route", setup=lambda s: DesignRoute(plan=plan_for(s))),
    Case("design_route", "role", "sakha", Stage.DESIGN, stranger(Role.METHODIST), RoleError,
         rule="assigned_methodist", setup=lambda s: DesignRoute(plan=plan_for(s))),
    Case("design_route", "role", "chelyabinsk", Stage.DESIGN, Role.METHODIST, RoleError,
         rule="role", name="methodist-not-designer", setup=lambda s: DesignRoute(plan=plan_for(s))),
    Case("design_route", "content", "balakhta", Stage.DESIGN, Role.TEACHER, InvalidCommandError,
         "plan.ends_on", match="не менее 6 мес", name="5-months",
         setup=lambda s: DesignRoute(plan=plan_for(s, months=5))),
    Case("design_route", "content", "balakhta", Stage.DESIGN, Role.TEACHER, InvalidCommandError,
         "plan.ends_on", match="не более 60 мес", name="61-months",
         setup=lambda s: DesignRoute(plan=plan_for(s, months=61))),
    Case("design_route", "content", "sovetsky", Stage.DESIGN, Role.TEACHER, InvalidCommandError,
         "plan.ends_on", match="не менее 12 мес", name="11-months",
         setup=lambda s: DesignRoute(plan=plan_for(s, months=11))),
    Case("design_route", "content", "sakha", Stage.DESIGN, Role.METHODIST, InvalidCommandError,
         "plan.activities[0].competences", name="unknown-competence",
         setup=lambda s: DesignRoute(
             plan=with_activity(plan_for(s), 0, competences=["astrology"])
         )),
    Case("design_route", "content", "sakha", Stage.DESIGN, Role.METHODIST, InvalidCommandError,
         "plan.final_public_event", name="no-final-event",
         setup=lambda s: DesignRoute(plan=plan_for(s, final=False))),
    Case("design_route", "content", "balakhta", Stage.DESIGN, Role.TEACHER, InvalidCommandError,
         "plan.activities[0].direction", name="no-direction",
         setup=lambda s: DesignRoute(plan=with_activity(plan_for(s), 0, direction=None))),
    Case("design_route", "content", "sakha", Stage.DESIGN, Role.METHODIST, InvalidCommandError,
         "plan.activities[0].direction", name="needless-direction",
         setup=lambda s: DesignRoute(plan=with_activity(plan_for(s), 0, direction="courses"))),
    Case("design_route", "content", "sakha", Stage.DESIGN, Role.METHODIST, InvalidCommandError,
         "plan.activities[0].ends_on", name="activity-ends-before-start",
         setup=lambda s: DesignRoute(
             plan=with_activity(plan_for(s), 0, ends_on=date(2026, 6, 30))
         )),
    Case("design_route", "content", "sakha", Stage.DESIGN, Role.METHODIST, InvalidCommandError,
         "plan.activities[0].ends_on", name="activity-ends-after-term",
         setup=lambda s: DesignRoute(
             plan=with_activity(plan_for(s), 0, ends_on=date(2027, 7, 30))
         )),
    Case("design_route", "content", "sakha", Stage.DESIGN, Role.METHODIST, InvalidCommandError,
         "plan.final_public_event.ends_on", name="event-ends-after-term",
         setup=lambda s: DesignRoute(
             plan=plan_for(s).model_copy(
                 update={
                     "final_public_event": FinalPublicEvent(
                         form="мастер-класс",
                         title="Мастер-класс",
                         level=ActivityLevel.SCHOOL,
                         starts_on=date(2027, 6, 1),
                         ends_on=date(2027, 7, 10),
                     )
                 }
             )
         )),
    Case("design_route", "content", "chelyabinsk", Stage.DIAGNOSTIC, Role.TEACHER,
         InvalidCommandError, "plan.activities", match="первое мероприятие",
         name="lowest-not-first",
         setup=after(
             [chelyabinsk_diagnosed],
             lambda s: DesignRoute(
                 plan=build_plan(s.profile, [["methodical"], ["subject", "psych_pedagogical"]])
             ),
         )),
    Case("design_route", "content", "chelyabinsk", Stage.DIAGNOSTIC, Role.TEACHER,
         InvalidCommandError, "plan.activities", match="психолого-педагогические",
         name="lowest-uncovered",
         setup=after(
             [chelyabinsk_diagnosed],
             lambda s: DesignRoute(plan=build_plan(s.profile, [["subject"], ["methodical"]])),
         )),
    Case("design_route", "content", "sakha", Stage.DIAGNOSTIC, Role.METHODIST, InvalidCommandError,
         "plan.activities", match="дефициты", name="no-deficit-addressed",
         setup=after(
             [
                 lambda s: s.run(
                     RecordDiagnostic(
                         diagnostic=diagnostic_of(
                             {"subject": 1, "methodical": 4}, date(2026, 5, 20)
                         )
                     ),
                     Role.METHODIST,
                 )
             ],
             lambda s: DesignRoute(plan=build_plan(s.profile, [["methodical"]])),
         )),
    Case("design_route", "content", "sakha", Stage.DESIGN, Role.METHODIST, InvalidCommandError,
         "plan", match="уже сохранена", name="same-revision",
         setup=after([design], lambda s: DesignRoute(plan=plan_for(s)))),
    Case("design_route", "content", "sakha", Stage.DESIGN, Role.METHODIST, ValidationError,
         "plan.tasks", rule="too_short", name="no-tasks", setup=lambda s: _plan_raw(s, tasks=[])),
    # submit_route
    Case("submit_route", "stage", "sakha", Stage.AGREEMENT, Role.METHODIST, StageError,
         rule="stage", setup=lambda s: SubmitRoute()),
    Case("submit_route", "stage", "sakha", Stage.DESIGN, Role.METHODIST, StageError,
         rule="plan_first", name="no-plan", setup=lambda s: SubmitRoute()),
    Case("submit_route", "role", "sakha", Stage.DESIGN, stranger(Role.TEACHER), RoleError,
         rule="own_route", setup=after([design], lambda s: SubmitRoute())),
    Case("submit_route", "role", "chelyabinsk", Stage.DESIGN, Role.METHODIST, RoleError,
         rule="role", name="methodist", setup=after([design], lambda s: SubmitRoute())),
    Case("submit_route", "content", "sakha", Stage.AGREEMENT, Role.METHODIST, InvalidCommandError,
         "plan", match="возвращён", name="returned-unchanged",
         setup=after([return_first], lambda s: SubmitRoute())),
    Case("submit_route", "content", "sakha", Stage.DESIGN, Role.METHODIST, ValidationError,
         "revision", rule="extra_forbidden", name="unknown-field",
         setup=after([design], lambda s: Raw(SubmitRoute, {"revision": 1}))),
    # agree_route
    Case("agree_route", "stage", "sakha", Stage.DESIGN, Role.METHODIST, StageError, rule="stage",
         setup=after([design], lambda s: AgreeRoute(plan_hash=s.route.plan_hash or ""))),
    Case("agree_route", "stage", "sakha", IMPL, Role.SCHOOL_HEAD, StageError, rule="stage",
         name="approved", setup=lambda s: AgreeRoute(plan_hash=s.route.plan_hash or "")),
    Case("agree_route", "role", "sakha", Stage.AGREEMENT, Role.SCHOOL_HEAD, RoleError, rule="turn",
         match="руководитель ЦНППМ", name="school-head-before-centre",
         setup=after([_round_one], lambda s: AgreeRoute(plan_hash=s.route.plan_hash or ""))),
    Case("agree_route", "role", "sakha", Stage.AGREEMENT, Role.CENTRE_HEAD, RoleError, rule="turn",
         name="centre-head-before-signatures",
         setup=lambda s: AgreeRoute(plan_hash=s.route.plan_hash or "")),
    Case("agree_route", "role", "sakha", Stage.AGREEMENT, stranger(Role.TEACHER), RoleError,
         rule="own_route", name="foreign-teacher",
         setup=lambda s: AgreeRoute(plan_hash=s.route.plan_hash or "")),
    Case("agree_route", "role", "balakhta", Stage.AGREEMENT, stranger(Role.METHODIST), RoleError,
         rule="assigned_methodist", name="foreign-methodist",
         setup=after([_mo_agrees], lambda s: AgreeRoute(plan_hash=s.route.plan_hash or ""))),
    Case("agree_route", "role", "balakhta", Stage.AGREEMENT, Role.TEACHER, RoleError, rule="role",
         name="not-a-party", setup=lambda s: AgreeRoute(plan_hash=s.route.plan_hash or "")),
    Case("agree_route", "content", "sakha", Stage.AGREEMENT, Role.METHODIST, InvalidCommandError,
         "plan_hash",
         name="stale-hash", setup=_stale_hash),
    Case("agree_route", "content", "balakhta", Stage.AGREEMENT, Role.MO_HEAD, InvalidCommandError,
         "plan_hash", name="unknown-hash", setup=lambda s: AgreeRoute(plan_hash="0" * 64)),
    # return_route
    Case("return_route", "stage", "sakha", IMPL, Role.SCHOOL_HEAD, StageError, rule="stage",
         setup=lambda s: ReturnRoute(comments="Доработать")),
    Case("return_route", "stage", "sakha", Stage.DESIGN, Role.METHODIST, StageError, rule="stage",
         name="design", setup=after([design], lambda s: ReturnRoute(comments="Доработать"))),
    Case("return_route", "role", "balakhta", Stage.AGREEMENT, Role.SCHOOL_HEAD, RoleError,
         rule="turn", name="director-before-mo",
         setup=lambda s: ReturnRoute(comments="Доработать")),
    Case("return_route", "role", "sakha", Stage.AGREEMENT, Role.DEPUTY_HEAD, RoleError, rule="role",
         name="not-a-party", setup=lambda s: ReturnRoute(comments="Доработать")),
    Case("return_route", "role", "sakha", Stage.AGREEMENT, stranger(Role.TEACHER), RoleError,
         rule="own_route", name="foreign-teacher",
         setup=lambda s: ReturnRoute(comments="Доработать")),
    Case("return_route", "content", "balakhta", Stage.AGREEMENT, Role.MO_HEAD, ValidationError,
         "comments", rule="string_too_short",
         setup=lambda s: Raw(ReturnRoute, {"comments": "   "})),
    # complete_activity
    Case("complete_activity", "stage", "sakha", Stage.AGREEMENT, Role.TEACHER, StageError,
         rule="stage", setup=done),
    Case("complete_activity", "stage", "sakha", Stage.COMPLETED, Role.TEACHER, StageError,
         rule="stage", name="completed", setup=done),
    Case("complete_activity", "role", "sakha", IMPL, stranger(Role.TEACHER), RoleError,
         rule="own_route", setup=done),
    Case("complete_activity", "role", "sakha", IMPL, stranger(Role.METHODIST), RoleError,
         rule="assigned_methodist", setup=done),
    Case("complete_activity", "role", "sakha", IMPL, Role.SCHOOL_HEAD, RoleError, rule="role",
         name="school-head", setup=done),
    Case("complete_activity", "content", "sakha", IMPL, Role.TEACHER, InvalidCommandError,
         "completed_on", match="не наступила", name="future",
         setup=lambda s: done(s, completed_on=_tomorrow(s))),
    Case("complete_activity", "content", "sakha", IMPL, Role.TEACHER, InvalidCommandError,
         "completed_on", match="начинается", name="before-start",
         setup=lambda s: done(s, completed_on=date(2025, 4, 30))),
    Case("complete_activity", "content", "balakhta", IMPL, Role.TEACHER, InvalidCommandError,
         "self_assessment", name="no-self-assessment", setup=lambda s: done(s, self_assessment="")),
    Case("complete_activity", "content", "balakhta", IMPL, Role.TEACHER, InvalidCommandError,
         "employer_assessment", name="no-employer-assessment",
         setup=lambda s: done(s, employer_assessment=" ")),
    Case("complete_activity", "content", "sovetsky", IMPL, Role.TEACHER, InvalidCommandError,
         "product", name="no-product", setup=lambda s: done(s, product="")),
    Case("complete_activity", "content", "sakha", IMPL, Role.TEACHER, InvalidCommandError,
         "activity_id", match="a9", name="unknown-activity", setup=lambda s: done(s, "a9")),
    Case("complete_activity", "content", "sakha", IMPL, Role.TEACHER, InvalidCommandError,
         "activity_id", match="уже сделана", name="marked-again",
         setup=after([_complete_a1], lambda s: done(s, result="Иначе"))),
    Case("complete_activity", "content", "sakha", IMPL, Role.TEACHER, ValidationError, "result",
         rule="string_too_short", name="no-result",
         setup=lambda s: Raw(
             CompleteActivity, {"activity_id": "a1", "completed_on": "2025-07-01", "result": ""}
         )),
    # mark_activity_not_done
    Case("mark_activity_not_done", "stage", "sakha", Stage.AGREEMENT, Role.METHODIST, StageError,
         rule="stage",
         setup=lambda s: MarkActivityNotDone(activity_id="a1", reason="Курсы отменены")),
    Case("mark_activity_not_done", "role", "sakha", IMPL, stranger(Role.METHODIST), RoleError,
         rule="assigned_methodist",
         setup=lambda s: MarkActivityNotDone(activity_id="a1", reason="Курсы отменены")),
    Case("mark_activity_not_done", "role", "sakha", IMPL, Role.CENTRE_HEAD, RoleError, rule="role",
         name="centre-head",
         setup=lambda s: MarkActivityNotDone(activity_id="a1", reason="Курсы отменены")),
    Case("mark_activity_not_done", "content", "sakha", IMPL, Role.METHODIST, InvalidCommandError,
         "activity_id", name="unknown-activity",
         setup=lambda s: MarkActivityNotDone(activity_id="a9", reason="Курсы отменены")),
    Case("mark_activity_not_done", "content", "sakha", IMPL, Role.METHODIST, InvalidCommandError,
         "activity_id", match="уже сделана", name="done-already",
         setup=after(
             [_complete_a1], lambda s: MarkActivityNotDone(activity_id="a1", reason="Ошибка")
         )),
    Case("mark_activity_not_done", "content", "sakha", IMPL, Role.METHODIST, ValidationError,
         "reason", rule="string_too_short", name="no-reason",
         setup=lambda s: Raw(MarkActivityNotDone, {"activity_id": "a1", "reason": ""})),
    # mark_activity_overdue
    Case("mark_activity_overdue", "stage", "sakha", Stage.AGREEMENT, Role.SYSTEM, StageError,
         rule="stage", setup=lambda s: MarkActivityOverdue(activity_id="a1")),
    Case("mark_activity_overdue", "role", "sakha", IMPL, Role.TEACHER, RoleError, rule="role",
         setup=lambda s: MarkActivityOverdue(activity_id="a1")),
    Case("mark_activity_overdue", "content", "sovetsky", Stage.DESIGN, Role.SYSTEM,
         InvalidCommandError, "activity_id", match="истекает", name="not-yet-due",
         setup=after(
             [_own_plan], lambda s: MarkActivityOverdue(activity_id=s.plan.activities[-1].id)
         )),
    Case("mark_activity_overdue", "content", "sakha", IMPL, Role.OPERATOR, InvalidCommandError,
         "activity_id", match="уже отмечена", name="twice",
         setup=after([_overdue_a1], lambda s: MarkActivityOverdue(activity_id="a1"))),
    Case("mark_activity_overdue", "content", "sakha", IMPL, Role.SYSTEM, InvalidCommandError,
         "activity_id", match="уже сделана", name="done",
         setup=after([_complete_a1], lambda s: MarkActivityOverdue(activity_id="a1"))),
    # record_interim_result
    Case("record_interim_result", "stage", "sakha", Stage.AGREEMENT, Role.METHODIST, StageError,
         rule="stage",
         setup=lambda s: RecordInterimResult(recorded_on=date(2026, 6, 1), text=TEXT)),
    Case("record_interim_result", "role", "sakha", IMPL, Role.TEACHER, RoleError, rule="role",
         setup=lambda s: RecordInterimResult(recorded_on=date(2026, 6, 1), text=TEXT)),
    Case("record_interim_result", "role", "sakha", IMPL, stranger(Role.METHODIST), RoleError,
         rule="assigned_methodist", name="foreign-methodist",
         setup=lambda s: RecordInterimResult(recorded_on=date(2026, 6, 1), text=TEXT)),
    Case("record_interim_result", "content", "sakha", IMPL, Role.METHODIST, InvalidCommandError,
         "recorded_on", setup=lambda s: RecordInterimResult(recorded_on=_tomorrow(s), text=TEXT)),
    # correct_route
    Case("correct_route", "stage", "sakha", Stage.AGREEMENT, Role.METHODIST, StageError,
         rule="stage", setup=correction),
    Case("correct_route", "stage", "sakha", MARKED, Role.METHODIST, StageError, rule="stage",
         name="final", setup=after([hold_event], correction)),
    Case("correct_route", "role", "sakha", IMPL, Role.TEACHER, RoleError, rule="role",
         setup=correction),
    Case("correct_route", "role", "balakhta", IMPL, stranger(Role.METHODIST), RoleError,
         rule="assigned_methodist", setup=correction),
    Case("correct_route", "role", "balakhta", IMPL, stranger(Role.TEACHER), RoleError,
         rule="own_route", name="foreign-teacher", setup=correction),
    Case("correct_route", "content", "sakha", IMPL, Role.METHODIST, InvalidCommandError,
         "plan.activities", match="a1", name="change-completed",
         setup=after(
             [_complete_a1],
             lambda s: correction(s, with_activity(s.plan, 0, organiser="другой организатор")),
         )),
    Case("correct_route", "content", "sakha", IMPL, Role.METHODIST, InvalidCommandError,
         "plan.activities", match="a1", name="remove-completed",
         setup=after(
             [_complete_a1],
             lambda s: correction(
                 s, s.plan.model_copy(update={"activities": s.plan.activities[1:]})
             ),
         )),
    Case("correct_route", "content", "sakha", IMPL, Role.METHODIST, InvalidCommandError, "plan",
         match="ничего не меняет", name="no-change", setup=lambda s: correction(s, s.plan)),
    Case("correct_route", "content", "sakha", IMPL, Role.METHODIST, InvalidCommandError,
         "corrected_on", name="future", setup=lambda s: correction(s, corrected_on=_tomorrow(s))),
    Case("correct_route", "content", "balakhta", IMPL, Role.METHODIST, InvalidCommandError,
         "plan.ends_on", name="5-months", setup=lambda s: _plan_shifted(s, 5)),
    Case("correct_route", "content", "balakhta", MARKED, Role.METHODIST, InvalidCommandError,
         "plan", name="no-change-after-prolongation",
         setup=after([prolonged], lambda s: correction(s, s.plan))),
    # agree_correction
    Case("agree_correction", "stage", "sakha", Stage.AGREEMENT, Role.MO_HEAD, StageError,
         rule="stage", setup=agree_correction),
    Case("agree_correction", "role", "balakhta", IMPL, Role.METHODIST, RoleError, rule="turn",
         match="руководитель методического объединения",
         setup=after([corrected_by_teacher], agree_correction)),
    Case("agree_correction", "role", "balakhta", IMPL, Role.MO_HEAD, RoleError, rule="turn",
         match="никого", name="agreed-already",
         setup=after(
             [corrected_by_teacher, lambda s: s.run(agree_correction(s), Role.MO_HEAD)],
             agree_correction,
         )),
    Case("agree_correction", "content", "balakhta", IMPL, Role.MO_HEAD, InvalidCommandError,
         "number", match="№2",
         setup=after([corrected_by_teacher], lambda s: agree_correction(s, 2))),
    Case("agree_correction", "content", "balakhta", IMPL, Role.MO_HEAD, ValidationError, "number",
         rule="int_parsing", name="malformed",
         setup=lambda s: Raw(AgreeCorrection, {"number": "первая", "plan_hash": "0" * 64})),
    # acknowledge_correction
    Case("acknowledge_correction", "stage", "sakha", Stage.DESIGN, Role.TEACHER, StageError,
         rule="stage", setup=lambda s: AcknowledgeCorrection(number=1)),
    Case("acknowledge_correction", "role", "sakha", IMPL, stranger(Role.TEACHER), RoleError,
         rule="own_route",
         setup=after(
             [lambda s: s.run(correction(s), Role.METHODIST)],
             lambda s: AcknowledgeCorrection(number=1),
         )),
    Case("acknowledge_correction", "role", "sakha", IMPL, Role.METHODIST, RoleError, rule="role",
         name="methodist",
         setup=after(
             [lambda s: s.run(correction(s), Role.METHODIST)],
             lambda s: AcknowledgeCorrection(number=1),
         )),
    Case("acknowledge_correction", "content", "sakha", IMPL, Role.TEACHER, InvalidCommandError,
         "number", name="no-correction", setup=lambda s: AcknowledgeCorrection(number=1)),
    Case("acknowledge_correction", "content", "sakha", IMPL, Role.TEACHER, InvalidCommandError,
         "number", match="уже сделана", name="twice",
         setup=after(
             [
                 lambda s: s.run(correction(s), Role.METHODIST),
                 lambda s: s.run(AcknowledgeCorrection(number=1), Role.TEACHER),
             ],
             lambda s: AcknowledgeCorrection(number=1),
         )),
    # record_self_reflection
    Case("record_self_reflection", "stage", "sovetsky", Stage.AGREEMENT, Role.TEACHER, StageError,
         rule="stage", setup=lambda s: RecordSelfReflection(text=TEXT)),
    Case("record_self_reflection", "stage", "sovetsky", IMPL, Role.TEACHER, StageError,
         rule="activities_unmarked", match="a1", name="unmarked",
         setup=lambda s: RecordSelfReflection(text=TEXT)),
    Case("record_self_reflection", "stage", "balakhta", MARKED, Role.TEACHER, StageError,
         rule="conclusions_recorded", name="after-conclusions",
         setup=after([conclude], lambda s: RecordSelfReflection(text=TEXT))),
    Case("record_self_reflection", "role", "sovetsky", MARKED, stranger(Role.TEACHER), RoleError,
         rule="own_route", setup=lambda s: RecordSelfReflection(text=TEXT)),
    Case("record_self_reflection", "role", "sovetsky", MARKED, Role.METHODIST, RoleError,
         rule="role", name="methodist", setup=lambda s: RecordSelfReflection(text=TEXT)),
    Case("record_self_reflection", "content", "sovetsky", MARKED, Role.TEACHER, ValidationError,
         "text", rule="string_too_short",
         setup=lambda s: Raw(RecordSelfReflection, {"text": " \n "})),
    # hold_final_public_event
    Case("hold_final_public_event", "stage", "sakha", Stage.AGREEMENT, Role.TEACHER, StageError,
         rule="stage", setup=lambda s: HoldFinalPublicEvent(held_on=date(2026, 4, 1), result=TEXT)),
    Case("hold_final_public_event", "stage", "sakha", IMPL, Role.TEACHER, StageError,
         rule="activities_unmarked", name="unmarked",
         setup=lambda s: HoldFinalPublicEvent(held_on=date(2026, 4, 1), result=TEXT)),
    Case("hold_final_public_event", "role", "sakha", MARKED, stranger(Role.TEACHER), RoleError,
         rule="own_route",
         setup=lambda s: HoldFinalPublicEvent(held_on=date(2026, 4, 1), result=TEXT)),
    Case("hold_final_public_event", "role", "sakha", MARKED, Role.SCHOOL_HEAD, RoleError,
         rule="role", name="school-head",
         setup=lambda s: HoldFinalPublicEvent(held_on=date(2026, 4, 1), result=TEXT)),
    Case("hold_final_public_event", "content", "sakha", MARKED, Role.TEACHER, InvalidCommandError,
         "held_on", name="future",
         setup=lambda s: HoldFinalPublicEvent(held_on=_tomorrow(s), result=TEXT)),
    Case("hold_final_public_event", "content", "balakhta", MARKED, Role.TEACHER,
         InvalidCommandError, "held_on", match="не запланировано", index=2, name="not-planned",
         setup=lambda s: HoldFinalPublicEvent(held_on=date(2026, 4, 1), result=TEXT)),
    Case("hold_final_public_event", "content", "sakha", MARKED, Role.TEACHER, InvalidCommandError,
         "held_on", match="уже отмечено", name="twice",
         setup=after(
             [hold_event], lambda s: HoldFinalPublicEvent(held_on=date(2026, 4, 2), result=TEXT)
         )),
    # record_final_diagnostic
    Case("record_final_diagnostic", "stage", "sakha", Stage.AGREEMENT, Role.METHODIST, StageError,
         rule="stage", setup=final_diagnostic),
    Case("record_final_diagnostic", "stage", "chelyabinsk", IMPL, Role.METHODIST, StageError,
         rule="activities_unmarked", name="unmarked", setup=final_diagnostic),
    Case("record_final_diagnostic", "role", "sakha", MARKED, stranger(Role.METHODIST), RoleError,
         rule="assigned_methodist", setup=final_diagnostic),
    Case("record_final_diagnostic", "role", "sakha", MARKED, Role.TEACHER, RoleError, rule="role",
         name="teacher", setup=final_diagnostic),
    Case("record_final_diagnostic", "content", "sakha", MARKED, Role.METHODIST, InvalidCommandError,
         "diagnostic.taken_on", match="после входной", name="not-after-input",
         setup=lambda s: final_diagnostic(s, taken_on=date(2025, 4, 11))),
    Case("record_final_diagnostic", "content", "sakha", MARKED, Role.METHODIST, InvalidCommandError,
         "diagnostic.platform", name="another-platform",
         setup=lambda s: final_diagnostic(s, platform="Другая платформа")),
    Case("record_final_diagnostic", "content", "chelyabinsk", MARKED, Role.METHODIST,
         InvalidCommandError, "diagnostic.tasks[1].competences", match="ict",
         name="unknown-competence",
         setup=lambda s: RecordFinalDiagnostic(
             diagnostic=diagnostic_of({"subject": 2, "ict": 3}, date(2026, 6, 1))
         )),
    Case("record_final_diagnostic", "content", "sakha", MARKED, Role.METHODIST, InvalidCommandError,
         "diagnostic", match="уже внесена", name="twice",
         setup=after(
             [lambda s: s.run(final_diagnostic(s), Role.METHODIST)],
             final_diagnostic,
         )),
    # record_conclusions
    Case("record_conclusions", "stage", "sakha", Stage.DESIGN, Role.METHODIST, StageError,
         rule="stage", setup=lambda s: conclusions()),
    Case("record_conclusions", "stage", "sakha", MARKED, Role.METHODIST, StageError,
         rule="final_incomplete",
         match="нужны: заключительное публичное мероприятие, итоговая диагностика$",
         name="before-event-and-diagnostic", setup=lambda s: conclusions()),
    Case("record_conclusions", "stage", "sakha", MARKED, Role.METHODIST, StageError,
         rule="final_incomplete", match="нужны: итоговая диагностика$",
         name="before-final-diagnostic", setup=after([hold_event], lambda s: conclusions())),
    Case("record_conclusions", "stage", "sakha", MARKED, Role.METHODIST, StageError,
         rule="final_incomplete", match="нужны: заключительное публичное мероприятие$",
         name="before-final-event",
         setup=after(
             [lambda s: s.run(final_diagnostic(s), Role.METHODIST)], lambda s: conclusions()
         )),
    Case("record_conclusions", "stage", "balakhta", MARKED, Role.METHODIST, StageError,
         rule="conclusions_recorded", name="twice",
         setup=after([conclude], lambda s: conclusions(text="Ещё раз"))),
    Case("record_conclusions", "role", "balakhta", MARKED, Role.TEACHER, RoleError, rule="role",
         setup=after([final_steps], lambda s: conclusions())),
    Case("record_conclusions", "role", "balakhta", MARKED, stranger(Role.METHODIST), RoleError,
         rule="assigned_methodist", name="foreign-methodist",
         setup=after([final_steps], lambda s: conclusions())),
    Case("record_conclusions", "content", "sovetsky", MARKED, Role.METHODIST, InvalidCommandError,
         "recommendations", name="no-recommendations",
         setup=after([final_steps], lambda s: conclusions(recommendations=" "))),
    Case("record_conclusions", "content", "balakhta", MARKED, Role.METHODIST, InvalidCommandError,
         "prolonged_until", name="prolonged-without-date",
         setup=after([final_steps], lambda s: conclusions(outcome="prolonged"))),
    Case("record_conclusions", "content", "balakhta", MARKED, Role.METHODIST, InvalidCommandError,
         "prolonged_until", name="completed-with-date",
         setup=after([final_steps], lambda s: conclusions(prolonged_until=date(2026, 12, 31)))),
    Case("record_conclusions", "content", "balakhta", MARKED, Role.METHODIST, InvalidCommandError,
         "prolonged_until", match="позже 30.04.2026", name="not-later",
         setup=after(
             [final_steps],
             lambda s: conclusions(outcome="prolonged", prolonged_until=date(2026, 4, 30)),
         )),
    Case("record_conclusions", "content", "balakhta", MARKED, Role.METHODIST, InvalidCommandError,
         "prolonged_until", match="не позднее 30.04.2030", name="beyond-60-months",
         setup=after(
             [final_steps],
             lambda s: conclusions(outcome="prolonged", prolonged_until=date(2030, 5, 1)),
         )),
    Case("record_conclusions", "content", "balakhta", MARKED, Role.METHODIST, ValidationError,
         "outcome", rule="literal_error", name="unknown-outcome",
         setup=after(
             [final_steps], lambda s: Raw(RecordConclusions, {"outcome": "failed", "text": TEXT})
         )),
    # sign_conclusions
    Case("sign_conclusions", "stage", "sakha", MARKED, Role.SCHOOL_HEAD, StageError, rule="stage",
         setup=lambda s: SignConclusions()),
    Case("sign_conclusions", "stage", "sakha", MARKED, Role.SCHOOL_HEAD, StageError,
         rule="conclusions_first", name="no-conclusions",
         setup=after([hold_event], lambda s: SignConclusions())),
    Case("sign_conclusions", "role", "sakha", MARKED, Role.DEPUTY_HEAD, RoleError, rule="turn",
         match="руководитель ОО", setup=after([conclude], lambda s: SignConclusions())),
    Case("sign_conclusions", "role", "sakha", MARKED, Role.METHODIST, RoleError, rule="turn",
         name="author", setup=after([conclude], lambda s: SignConclusions())),
    Case("sign_conclusions", "role", "sakha", MARKED, Role.SCHOOL_HEAD, RoleError, rule="turn",
         match="никого", name="twice", setup=after([conclude, _sign], lambda s: SignConclusions())),
    Case("sign_conclusions", "content", "sakha", MARKED, Role.SCHOOL_HEAD, ValidationError,
         "comment", rule="extra_forbidden",
         setup=after([conclude], lambda s: Raw(SignConclusions, {"comment": "Подписано"}))),
    # acknowledge_conclusions
    Case("acknowledge_conclusions", "stage", "sakha", MARKED, Role.TEACHER, StageError,
         rule="stage", setup=lambda s: AcknowledgeConclusions()),
    Case("acknowledge_conclusions", "stage", "sakha", MARKED, Role.TEACHER, StageError,
         rule="conclusions_first", name="no-conclusions",
         setup=after([hold_event], lambda s: AcknowledgeConclusions())),
    Case("acknowledge_conclusions", "role", "sakha", MARKED, stranger(Role.TEACHER), RoleError,
         rule="own_route", setup=after([conclude], lambda s: AcknowledgeConclusions())),
    Case("acknowledge_conclusions", "role", "sakha", MARKED, Role.METHODIST, RoleError, rule="role",
         name="methodist", setup=after([conclude], lambda s: AcknowledgeConclusions())),
    Case("acknowledge_conclusions", "content", "sakha", MARKED, Role.TEACHER, InvalidCommandError,
         "conclusions", match="уже сделана", name="twice",
         setup=after([conclude, _ack], lambda s: AcknowledgeConclusions())),
    # issue_certificate
    Case("issue_certificate", "stage", "sakha", Stage.COMPLETED, Role.CENTRE_HEAD, StageError,
         rule="stage", setup=lambda s: _cert(s, number="ИОМ-2")),
    Case("issue_certificate", "stage", "sakha", MARKED, Role.CENTRE_HEAD, StageError,
         rule="conclusions_first", name="no-conclusions", setup=after([hold_event], _cert)),
    Case("issue_certificate", "stage", "sakha", MARKED, Role.CENTRE_HEAD, StageError,
         rule="conclusions_unsettled", name="unsigned-unacknowledged",
         setup=after([conclude], _cert)),
    Case("issue_certificate", "stage", "sakha", MARKED, Role.CENTRE_HEAD, StageError,
         rule="conclusions_unsettled", name="unsigned", setup=after([conclude, _ack], _cert)),
    Case("issue_certificate", "stage", "sakha", MARKED, Role.CENTRE_HEAD, StageError,
         rule="conclusions_unsettled", name="unacknowledged",
         setup=after([conclude, _sign], _cert)),
    Case("issue_certificate", "role", "sakha", MARKED, Role.METHODIST, RoleError, rule="role",
         setup=after([conclude, _sign, _ack], _cert)),
    Case("issue_certificate", "role", "sakha", MARKED, Role.SCHOOL_HEAD, RoleError, rule="role",
         name="school-head", setup=after([conclude, _sign, _ack], _cert)),
    Case("issue_certificate", "content", "sakha", MARKED, Role.CENTRE_HEAD, InvalidCommandError,
         "issued_on", name="future",
         setup=after([conclude, _sign, _ack], lambda s: _cert(s, issued_on=_tomorrow(s)))),
    Case("issue_certificate", "content", "balakhta", MARKED, Role.CENTRE_HEAD, InvalidCommandError,
         "number", match="не предусматривает", name="not-in-regulation",
         setup=after([conclude], _cert)),
    Case("issue_certificate", "content", "sakha", MARKED, Role.CENTRE_HEAD, ValidationError,
         "number", rule="string_too_short", name="blank-number",
         setup=after(
             [conclude, _sign, _ack],
             lambda s: Raw(IssueCertificate, {"number": " ", "issued_on": "2026-06-15"}),
         )),
    # cancel_route
    Case("cancel_route", "stage", "sakha", Stage.COMPLETED, Role.CENTRE_HEAD, StageError,
         rule="stage", setup=lambda s: CancelRoute(reason="Ошибка")),
    Case("cancel_route", "stage", "sovetsky", IMPL, Role.OPERATOR, StageError, rule="stage",
         name="cancelled", setup=after([cancel], lambda s: CancelRoute(reason="Ещё раз"))),
    Case("cancel_route", "role", "sakha", Stage.DESIGN, Role.TEACHER, RoleError, rule="role",
         setup=lambda s: CancelRoute(reason="Передумал")),
    Case("cancel_route", "role", "sakha", Stage.DESIGN, stranger(Role.METHODIST), RoleError,
         rule="assigned_methodist", name="foreign-methodist",
         setup=lambda s: CancelRoute(reason="Ошибка")),
    Case("cancel_route", "role", "sakha", Stage.OPENED, stranger(Role.METHODIST), RoleError,
         name="any-methodist-before-assignment",
         setup=lambda s: CancelRoute(reason="Ошибка")),
    Case("cancel_route", "content", "sakha", Stage.DESIGN, Role.CENTRE_HEAD, ValidationError,
         "reason", rule="string_too_short", setup=lambda s: Raw(CancelRoute, {"reason": ""})),
]
# fmt: on


def _params(cases: list[Case]) -> list[Any]:
    return [pytest.param(case, id=case.id) for case in cases]


def location(error: ValidationError) -> str:
    """pydantic's error location in the domain's own notation: `plan.activities[0].ends_on`."""
    text = ""
    for part in error.errors()[0]["loc"]:
        text += f"[{part}]" if isinstance(part, int) else f".{part}" if text else str(part)
    return text


def assert_refusal(
    error: BaseException,
    case_error: type[Exception],
    field_name: str | None,
    rule: str | None,
    match: str | None,
) -> None:
    """The refusal's class, field, rule, and its Russian message."""
    assert type(error) is case_error
    if isinstance(error, ValidationError):
        assert error.error_count() == 1, error
        assert location(error) == field_name
        assert rule is None or error.errors()[0]["type"] == rule
        return
    message = error.message if isinstance(error, DomainError) else str(error)
    assert CYRILLIC.search(message), message
    if isinstance(error, DomainError):
        assert error.field == field_name
        assert rule is None or error.rule == rule, error
    if match is not None:
        assert re.search(match, message), message


def issue(app: Routes, route_id: UUID, command: Command | Raw, actor: Actor) -> Receipt:
    """Validate the input (if raw) and execute it, as the portal's request would."""
    built = command.build() if isinstance(command, Raw) else command
    return app.execute(route_id, built, actor, "refused-command")


@pytest.mark.parametrize("case", _params(CASES))
def test_refusal_appends_nothing(app: Routes, case: Case) -> None:
    s = scene_at(app, case.region, case.until, case.index)
    command = case.setup(s)
    actor = case.who if isinstance(case.who, Actor) else s.actor(case.who)
    before = s.route
    length = len(app.history(s.route_id))

    with pytest.raises(case.error) as caught:
        issue(app, s.route_id, command, actor)

    assert_refusal(caught.value, case.error, case.field, case.rule, case.match)
    after_ = s.route
    assert after_.version == before.version
    assert len(app.history(s.route_id)) == length
    assert after_.model_dump() == before.model_dump()
    assert "refused-command" not in after_.commands


# Opening.


def opening(key: str = "portal-route-1", **changes: Any) -> OpenRoute:
    fields: dict[str, Any] = {
        "route_key": key,
        "region": "sakha",
        "teacher_id": "teacher-1",
        "school_id": "school-1",
        "municipality_id": "mun-1",
        "subject": "математика",
    }
    return OpenRoute.model_validate(fields | changes)


@dataclass(frozen=True)
class OpenCase:
    """A refused opening, next to a route already opened under the key `portal-route-1`."""

    kind: str
    command: Callable[[], OpenRoute]
    actor: Actor
    error: type[Exception]
    field: str | None = None
    rule: str | None = None
    match: str | None = None
    name: str = ""


CENTRE_HEAD = Actor(id="centre-head-1", role=Role.CENTRE_HEAD)

OPEN_CASES = [
    OpenCase(
        "stage",
        lambda: opening(teacher_id="teacher-2"),
        CENTRE_HEAD,
        RouteExistsError,
        "route_key",
        rule="route_key",
        match="portal-route-1",
        name="key-taken",
    ),
    OpenCase(
        "role",
        lambda: opening("portal-route-2"),
        Actor(id="teacher-2", role=Role.TEACHER),
        RoleError,
        rule="own_route",
        name="for-another-teacher",
    ),
    OpenCase(
        "role",
        lambda: opening("portal-route-2"),
        Actor(id="auditor-1", role=Role.AUDITOR),
        RoleError,
        rule="role",
        name="auditor",
    ),
    OpenCase(
        "role",
        lambda: opening("portal-route-2"),
        Actor(id="mo-1", role=Role.MO_HEAD),
        RoleError,
        rule="role",
        name="mo-head",
    ),
    OpenCase(
        "content",
        lambda: opening("ключ маршрута"),
        CENTRE_HEAD,
        ValidationError,
        "route_key",
        rule="string_pattern_mismatch",
        name="malformed-key",
    ),
    OpenCase(
        "content",
        lambda: opening("portal-route-2", region="Sakha"),
        CENTRE_HEAD,
        ValidationError,
        "region",
        rule="string_pattern_mismatch",
        name="malformed-region",
    ),
    OpenCase(
        "content",
        lambda: opening("portal-route-2", region="atlantis"),
        CENTRE_HEAD,
        InvalidCommandError,
        "region",
        match="atlantis",
        name="unknown-region",
    ),
]


@pytest.mark.parametrize(
    "case", OPEN_CASES, ids=[f"open_route-{c.kind}-{c.name}" for c in OPEN_CASES]
)
def test_open_refusal_appends_nothing(app: Routes, case: OpenCase) -> None:
    existing = app.open(opening(), CENTRE_HEAD, "open-1").route_id
    before = app.route(existing)

    with pytest.raises(case.error) as caught:
        app.open(case.command(), case.actor, "open-2")

    assert_refusal(caught.value, case.error, case.field, case.rule, case.match)
    assert list(app.route_ids()) == [existing]
    assert app.route(existing).model_dump() == before.model_dump()
    assert len(app.history(existing)) == 1


def test_every_command_has_each_kind_of_refusal() -> None:
    kinds = {(c.command, c.kind) for c in CASES}
    kinds |= {("open_route", c.kind) for c in OPEN_CASES}
    for command in [*COMMANDS, "open_route"]:
        for kind in ("stage", "role", "content"):
            assert (command, kind) in kinds, f"{command}: no {kind} refusal"


# The regional rules, both sides of each.


@pytest.mark.parametrize(
    ("region", "months", "accepted"),
    [
        ("balakhta", 5, False),
        ("balakhta", 6, True),
        ("balakhta", 60, True),
        ("balakhta", 61, False),
        ("sovetsky", 11, False),
        ("sovetsky", 12, True),
        ("sakha", 3, True),
        ("sakha", 2, False),
    ],
)
def test_term_bounds(app: Routes, region: str, months: int, accepted: bool) -> None:
    s = scene_at(app, region, Stage.DESIGN)
    command = DesignRoute(plan=plan_for(s, months=months))
    if accepted:
        s.run(command, s.profile.designers[0])
        assert s.route.plan == command.plan
        assert s.route.revision == 1
    else:
        with pytest.raises(InvalidCommandError) as caught:
            s.run(command, s.profile.designers[0])
        assert caught.value.field == "plan.ends_on"
        assert s.route.plan is None


def test_chelyabinsk_accepts_a_plan_that_starts_with_the_lowest_level(app: Routes) -> None:
    s = scene_at(app, "chelyabinsk", Stage.DIAGNOSTIC)
    chelyabinsk_diagnosed(s)
    assert s.route.input_levels == dict(sorted(CHELYABINSK_LEVELS.items()))
    plan = build_plan(s.profile, [["subject"], ["psych_pedagogical"], ["methodical"]])
    receipt = s.run(DesignRoute(plan=plan), Role.TEACHER)
    assert receipt.events == ["RouteDesigned"]


def test_a_return_sends_the_route_back_to_design(app: Routes) -> None:
    s = scene_at(app, "sakha", Stage.AGREEMENT)
    s.run(AgreeRoute(plan_hash=s.route.plan_hash or ""), Role.METHODIST)
    s.run(ReturnRoute(comments="Уточните сроки мероприятий"), Role.TEACHER)
    route = s.route
    assert route.stage is Stage.DESIGN
    assert route.agreements == []
    assert [(r.role, r.revision) for r in route.returns] == [(Role.TEACHER, 1)]

    with pytest.raises(InvalidCommandError) as caught:
        s.run(SubmitRoute(), Role.METHODIST)
    assert caught.value.field == "plan"
    assert s.route.version == route.version

    submit(s, plan_for(s, topic="Индивидуализация обучения"))
    route = s.route
    assert (route.stage, route.revision, route.agreements) == (Stage.AGREEMENT, 2, [])


def test_sakha_agreement_goes_round_by_round_and_approves_on_the_last(app: Routes) -> None:
    s = scene_at(app, "sakha", Stage.AGREEMENT)
    plan_hash = s.route.plan_hash or ""
    assert s.route.pending_parties() == [Role.METHODIST, Role.TEACHER]
    s.run(AgreeRoute(plan_hash=plan_hash), Role.TEACHER)
    s.run(AgreeRoute(plan_hash=plan_hash), Role.METHODIST)
    assert s.route.pending_parties() == [Role.CENTRE_HEAD]
    assert s.run(AgreeRoute(plan_hash=plan_hash), Role.CENTRE_HEAD).events == ["AgreementGiven"]
    receipt = s.run(AgreeRoute(plan_hash=plan_hash), Role.SCHOOL_HEAD)
    assert receipt.events == ["AgreementGiven", "RouteApproved"]
    route = s.route
    assert (route.stage, route.approved_revision) == (Stage.IMPLEMENTATION, 1)
    assert [a.action for a in route.agreements] == ["sign", "sign", "agree", "approve"]


def test_sakha_certificate_after_signature_and_acknowledgement(app: Routes) -> None:
    s = scene_at(app, "sakha", MARKED)
    conclude(s)
    _sign(s)
    _ack(s)
    settled = s.route
    assert settled.stage is Stage.FINAL
    assert s.run(_cert(s), Role.CENTRE_HEAD).events == ["CertificateIssued"]
    completed = s.route
    assert completed.stage is Stage.COMPLETED
    assert completed.certificate is not None


def test_prolongation_returns_the_route_to_implementation(app: Routes) -> None:
    s = scene_at(app, "balakhta", MARKED)
    prolonged(s)
    route = s.route
    assert (route.term, route.plan.ends_on if route.plan else None) == (2, date(2026, 12, 31))
    assert route.conclusions is None
    assert [c.outcome for c in route.past_conclusions] == ["prolonged"]


@pytest.mark.parametrize(("region", "overdue"), [("sakha", True), ("sovetsky", False)])
def test_a_date_is_a_date_in_the_regions_zone(
    app: Routes, clock: Clock, region: str, overdue: bool
) -> None:
    """20:00 UTC on the activity's last day is the next morning in Yakutsk, still that evening
    in Moscow (Stavropol)."""
    s = scene_at(app, region, Stage.DESIGN)
    _own_plan(s)
    last = s.plan.activities[-1]
    clock.set(datetime.combine(last.ends_on, datetime.min.time(), UTC) + timedelta(hours=20))
    command = MarkActivityOverdue(activity_id=last.id)
    if overdue:
        assert s.run(command, Role.SYSTEM).events == ["ActivityOverdue"]
    else:
        with pytest.raises(InvalidCommandError, match="истекает"):
            s.run(command, Role.SYSTEM)


# Idempotency.


def _approval(s: Scene) -> AgreeRoute:
    """Sakha: the school head's approval, the last answer (it appends two events)."""
    _round_one(s)
    s.run(AgreeRoute(plan_hash=s.route.plan_hash or ""), Role.CENTRE_HEAD)
    return AgreeRoute(plan_hash=s.route.plan_hash or "")


@pytest.mark.parametrize(
    ("until", "who", "setup"),
    [
        (
            Stage.OPENED,
            Role.CENTRE_HEAD,
            lambda s: AssignMethodist(methodist_id="m-1", order=ORDER),
        ),
        (Stage.AGREEMENT, Role.SCHOOL_HEAD, _approval),
        (IMPL, Role.TEACHER, done),
    ],
    ids=["assign", "approve", "complete"],
)
def test_same_command_id_and_command_is_replayed(
    app: Routes, until: Stage, who: Role, setup: Setup
) -> None:
    s = scene_at(app, "sakha", until)
    command = setup(s)
    assert isinstance(command, Command)
    first = app.execute(s.route_id, command, s.actor(who), "cmd-1")
    assert not first.replayed
    assert len(first.events) == (2 if who is Role.SCHOOL_HEAD else 1)
    length = len(app.history(s.route_id))

    again = app.execute(s.route_id, command, s.actor(who), "cmd-1")

    assert again.replayed
    assert again.events == []
    assert (again.route_id, again.version) == (first.route_id, first.version)
    assert len(app.history(s.route_id)) == length == s.route.version


def test_a_replay_answers_with_the_version_the_command_left(app: Routes) -> None:
    s = scene_at(app, "sakha", Stage.AGREEMENT)
    command = AgreeRoute(plan_hash=s.route.plan_hash or "")
    first = app.execute(s.route_id, command, s.actor(Role.METHODIST), "sign-1")
    s.run(AgreeRoute(plan_hash=s.route.plan_hash or ""), Role.TEACHER)

    again = app.execute(s.route_id, command, s.actor(Role.METHODIST), "sign-1")

    assert again.replayed
    assert again.version == first.version == s.route.version - 1


@pytest.mark.parametrize("change", ["content", "actor", "command"])
def test_same_command_id_for_another_command_is_refused(app: Routes, change: str) -> None:
    s = scene_at(app, "sakha", IMPL)
    app.execute(s.route_id, done(s), s.actor(Role.TEACHER), "cmd-1")
    before = s.route
    other: tuple[Command, Actor] = {
        "content": (done(s, result="Другой результат"), s.actor(Role.TEACHER)),
        "actor": (done(s), s.actor(Role.METHODIST)),
        "command": (
            MarkActivityNotDone(activity_id="a1", reason="Не состоялось"),
            s.actor(Role.TEACHER),
        ),
    }[change]

    with pytest.raises(CommandReuseError) as caught:
        app.execute(s.route_id, *other, "cmd-1")

    assert caught.value.field == "command_id"
    assert CYRILLIC.search(caught.value.message)
    assert s.route.model_dump() == before.model_dump()
    assert len(app.history(s.route_id)) == before.version


def test_opening_twice_with_the_same_command_id_finds_the_route(app: Routes) -> None:
    first = app.open(opening(), CENTRE_HEAD, "open-1")
    app.execute(
        first.route_id, AssignMethodist(methodist_id="m-1", order=ORDER), CENTRE_HEAD, "assign-1"
    )

    again = app.open(opening(), CENTRE_HEAD, "open-1")

    assert again.replayed
    assert (again.route_id, again.version) == (first.route_id, 1)
    assert first.route_id == route_id_for("sakha", "portal-route-1")
    assert len(app.history(first.route_id)) == 2


def test_opening_again_with_the_same_command_id_and_other_content_is_refused(app: Routes) -> None:
    first = app.open(opening(), CENTRE_HEAD, "open-1")

    with pytest.raises(CommandReuseError) as caught:
        app.open(opening(subject="физика"), CENTRE_HEAD, "open-1")

    assert caught.value.field == "command_id"
    assert app.route(first.route_id).subject == "математика"
    assert len(app.history(first.route_id)) == 1


def test_opening_the_same_key_with_another_command_id_is_refused(app: Routes) -> None:
    first = app.open(opening(), CENTRE_HEAD, "open-1")

    with pytest.raises(RouteExistsError) as caught:
        app.open(opening(), CENTRE_HEAD, "open-2")

    assert caught.value.field == "route_key"
    assert CYRILLIC.search(caught.value.message)
    assert len(app.history(first.route_id)) == 1
    assert list(app.route_ids()) == [first.route_id]
