"""Random lives of a few routes: valid and invalid commands in any order, and the invariants.

A Hypothesis state machine opens one to three routes of random regions, then interleaves three
kinds of step: `advance` takes a route a few steps along its regulation (agreeing or returning,
completing or giving up activities, completing or prolonging), `act` issues any command with
plausible but random content, actor and command id (a fresh one, or one already applied), and
`tick` moves the clock. After every step, for every route:

(a) a refused command (a DomainError, or pydantic's ValidationError for malformed JSON) appended
    nothing; a replayed command id appended nothing;
(b) the route the application loads (cache, snapshots) equals the replay of its history;
(c) the hash chain verifies from GENESIS over every event's content;
(d) the version equals the length of the history;
(e) the stage never moves backwards, but for design ← agreement on a return and
    implementation ← final on a prolongation.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, TypeVar
from uuid import UUID
from zoneinfo import ZoneInfo

from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    rule,
    run_state_machine_as_test,
)
from pydantic import ValidationError

from aggregates.application import Receipt, Routes, project_route
from aggregates.chain import GENESIS, link
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
from aggregates.errors import CommandReuseError, DomainError
from aggregates.events import (
    ConclusionsAcknowledged,
    ConclusionsSigned,
    RouteCancelled,
    RouteDesigned,
    RouteEvent,
    RouteReturned,
)
from aggregates.profiles import Profile, Stage
from aggregates.profiles.duties import Place
from aggregates.values import (
    Activity,
    Actor,
    Diagnostic,
    Plan,
    Role,
    TaskResult,
)
from tests.support.plans import build_plan, deficit_groups
from tests.support.profiles import REGIONS, shipped
from tests.unit.conftest import START, Clock

if TYPE_CHECKING:
    from collections.abc import Callable

    from aggregates.route import Conclusions, Route

T = TypeVar("T")

FORWARD = [
    Stage.OPENED,
    Stage.DIAGNOSTIC,
    Stage.DESIGN,
    Stage.AGREEMENT,
    Stage.IMPLEMENTATION,
    Stage.FINAL,
    Stage.COMPLETED,
]
ENDED = (Stage.COMPLETED, Stage.CANCELLED)
TEXT = "Освоены приёмы, применены на уроках"
STRANGERS = [
    Actor(id="teacher-stranger", role=Role.TEACHER),
    Actor(id="methodist-stranger", role=Role.METHODIST),
]
LIKELY: dict[str, list[Role]] = {
    "assign_methodist": [Role.CENTRE_HEAD, Role.SCHOOL_HEAD, Role.DEPUTY_HEAD, Role.OPERATOR],
    "record_diagnostic": [Role.METHODIST, Role.SYSTEM],
    "design_route": [Role.TEACHER, Role.METHODIST],
    "submit_route": [Role.TEACHER, Role.METHODIST],
    "agree_route": [Role.TEACHER, Role.METHODIST, Role.MO_HEAD, Role.DEPUTY_HEAD],
    "return_route": [Role.SCHOOL_HEAD, Role.CENTRE_HEAD, Role.MO_HEAD, Role.METHODIST],
    "complete_activity": [Role.TEACHER, Role.METHODIST, Role.DEPUTY_HEAD],
    "mark_activity_not_done": [Role.TEACHER, Role.METHODIST, Role.DEPUTY_HEAD],
    "mark_activity_overdue": [Role.SYSTEM, Role.OPERATOR],
    "record_interim_result": [Role.METHODIST, Role.DEPUTY_HEAD],
    "correct_route": [Role.METHODIST, Role.TEACHER],
    "agree_correction": [Role.MO_HEAD, Role.METHODIST],
    "acknowledge_correction": [Role.TEACHER],
    "record_self_reflection": [Role.TEACHER],
    "hold_final_public_event": [Role.TEACHER, Role.METHODIST],
    "record_final_diagnostic": [Role.METHODIST, Role.SYSTEM],
    "record_conclusions": [Role.METHODIST],
    "sign_conclusions": [Role.SCHOOL_HEAD, Role.DEPUTY_HEAD],
    "acknowledge_conclusions": [Role.TEACHER],
    "issue_certificate": [Role.CENTRE_HEAD],
    "cancel_route": [Role.CENTRE_HEAD, Role.OPERATOR, Role.METHODIST],
}

_CLOSING = [
    "agree_correction",
    "acknowledge_correction",
    "record_self_reflection",
    "hold_final_public_event",
    "record_final_diagnostic",
    "record_conclusions",
]
RELEVANT: dict[Stage, list[str]] = {
    Stage.OPENED: ["assign_methodist", "record_diagnostic", "design_route"],
    Stage.DIAGNOSTIC: ["record_diagnostic", "assign_methodist", "design_route"],
    Stage.DESIGN: ["design_route", "submit_route", "record_diagnostic", "agree_route"],
    Stage.AGREEMENT: ["agree_route", "return_route", "design_route", "submit_route"],
    Stage.IMPLEMENTATION: [
        "complete_activity",
        "mark_activity_not_done",
        "mark_activity_overdue",
        "record_interim_result",
        "correct_route",
        *_CLOSING,
    ],
    Stage.FINAL: [
        "sign_conclusions",
        "acknowledge_conclusions",
        "issue_certificate",
        "correct_route",
        *_CLOSING,
    ],
    Stage.COMPLETED: ["issue_certificate", "sign_conclusions", "cancel_route"],
    Stage.CANCELLED: ["cancel_route", "assign_methodist", "complete_activity"],
}
"""The commands worth trying at each stage (the rest are tried too, less often)."""


@dataclass
class Cast:
    """A route under test and its own teacher."""

    route_id: UUID
    teacher: str


@dataclass(frozen=True)
class Applied:
    """A command id the route accepted: what was asked, by whom, and the version it left."""

    command: Command
    actor: Actor
    version: int


def today_in(route: Route, moment: datetime) -> date:
    return moment.astimezone(ZoneInfo(route.profile.time_zone)).date()


def diagnostic(profile: Profile, levels: list[int], taken_on: date) -> Diagnostic:
    codes = [entry.code for entry in profile.competences]
    tasks = [
        TaskResult(number=number, competences=[code], level=level)
        for number, (code, level) in enumerate(zip(codes, levels, strict=False), start=1)
    ]
    return Diagnostic(taken_on=taken_on, platform="РАС «Ситуационный центр»", tasks=tasks)


def check_transition(before: Route, after: Route, event: RouteEvent) -> None:
    """(e): forward only, but for a return and a prolongation."""
    old, new = before.stage, after.stage
    if old is new:
        return
    assert old not in ENDED, f"{type(event).__name__} moved an ended route: {old} → {new}"
    if new is Stage.CANCELLED:
        assert isinstance(event, RouteCancelled)
    elif (old, new) == (Stage.AGREEMENT, Stage.DESIGN):
        assert isinstance(event, RouteReturned)
    elif (old, new) == (Stage.FINAL, Stage.IMPLEMENTATION):
        assert isinstance(event, ConclusionsSigned | ConclusionsAcknowledged)
        assert after.term == before.term + 1
        assert after.past_conclusions[-1].outcome == "prolonged"
    else:
        assert FORWARD.index(new) > FORWARD.index(old), f"{type(event).__name__}: {old} → {new}"


Step = tuple[Command, Actor]


@dataclass
class Driver:
    """The next step the regulation allows on one route, chosen at random where it allows
    several: a return in agreement, a correction, an overdue mark, a prolongation."""

    data: st.DataObject
    cast: Cast
    route: Route
    clock: Clock
    serial: int

    @property
    def profile(self) -> Profile:
        return self.route.profile

    @property
    def plan(self) -> Plan:
        assert self.route.plan is not None
        return self.route.plan

    def today(self) -> date:
        return today_in(self.route, self.clock())

    def chance(self, one_in: int) -> bool:
        return self.data.draw(st.integers(1, one_in)) == 1

    def by(self, role: Role) -> Actor:
        return person(self.cast, self.route, role)

    def step(self) -> Step | None:
        stage = self.route.stage
        if stage in ENDED:
            return None
        if stage is Stage.OPENED:
            assign = AssignMethodist(methodist_id="methodist-1", order="Распоряжение № 1")
            return assign, self.by(self.profile.methodist_assigned_by[0])
        if stage is Stage.DIAGNOSTIC:
            size = len(self.profile.competences)
            levels = self.data.draw(st.lists(st.integers(1, 4), min_size=size, max_size=size))
            found = diagnostic(self.profile, levels, self.today() - timedelta(days=30))
            return RecordDiagnostic(diagnostic=found), self.by(Role.METHODIST)
        if stage is Stage.DESIGN:
            return self.design()
        if stage is Stage.AGREEMENT:
            return self.agreement()
        return self.correction_answer() or self.implementation() or self.closing()

    def design(self) -> Step:
        route, designer = self.route, self.by(self.profile.designers[0])
        returned = bool(route.returns) and route.returns[-1].revision == route.revision
        if route.plan is not None and not returned:
            return SubmitRoute(), designer
        plan = build_plan(
            self.profile,
            deficit_groups(route, most=3),
            starts_on=self.today() - timedelta(days=90),
            final=self.profile.requires_final_public_event or self.chance(2),
            topic=f"Функциональная грамотность, редакция {route.revision + 1}",
            teacher_id=route.teacher_id,
        )
        return DesignRoute(plan=plan), designer

    def agreement(self) -> Step:
        party = self.by(self.route.pending_parties()[0])
        if len(self.route.returns) < 2 and self.chance(6):
            return ReturnRoute(comments="Уточните сроки мероприятий"), party
        return AgreeRoute(plan_hash=self.route.plan_hash or ""), party

    def correction_answer(self) -> Step | None:
        """A correction's parties agree, then the teacher acknowledges it."""
        for correction in self.route.corrections:
            if correction.awaiting:
                agree = AgreeCorrection(number=correction.number, plan_hash=correction.plan_hash)
                return agree, self.by(correction.awaiting[0])
            if not correction.acknowledged:
                return AcknowledgeCorrection(number=correction.number), self.by(Role.TEACHER)
        return None

    def implementation(self) -> Step | None:
        """A correction, an interim result, an overdue mark, or an activity's mark."""
        route, today = self.route, self.today()
        unmarked = [a for a in self.plan.activities if route.activities[a.id].status == "planned"]
        if route.stage is Stage.IMPLEMENTATION and self.chance(8):
            return self.correction(unmarked), self.by(self.profile.correctors[0])
        if route.stage is Stage.IMPLEMENTATION and self.chance(8):
            return RecordInterimResult(recorded_on=today, text=TEXT), self.by(Role.METHODIST)
        if not unmarked:
            return None
        activity = unmarked[0]
        if (
            activity.ends_on < today
            and not route.activities[activity.id].overdue
            and self.chance(3)
        ):
            return MarkActivityOverdue(activity_id=activity.id), self.by(Role.SYSTEM)
        if activity.starts_on > today or self.chance(5):
            reason = "Курсы перенесены организатором"
            return MarkActivityNotDone(activity_id=activity.id, reason=reason), self.by(
                Role.METHODIST
            )
        completed = CompleteActivity(
            activity_id=activity.id,
            completed_on=today,
            result=TEXT,
            product=activity.result_form,
            self_assessment="Цель достигнута",
            employer_assessment="Соответствует задачам ИОМ",
        )
        assessed = self.profile.separates(Place.TEACHER, Place.EMPLOYER_ASSESSMENT)
        return completed, self.by(Role.DEPUTY_HEAD if assessed else Role.TEACHER)

    def correction(self, unmarked: list[Activity]) -> CorrectRoute:
        """An unmarked activity moves to another organiser; with none, an activity is added."""
        number = len(self.route.corrections) + 1
        activities = list(self.plan.activities)
        if unmarked:
            index = activities.index(unmarked[-1])
            organiser = f"Организатор по корректировке № {number}"
            activities[index] = activities[index].model_copy(update={"organiser": organiser})
        else:
            activities.append(activities[-1].model_copy(update={"id": f"c{number}"}))
        changed = self.plan.model_copy(update={"activities": activities})
        return CorrectRoute(corrected_on=self.today(), reason="Изменение графика", plan=changed)

    def closing(self) -> Step:
        """What the region needs before conclusions, the conclusions, their answers."""
        route, profile, today = self.route, self.profile, self.today()
        if route.conclusions is not None:
            return self.answer(route.conclusions)
        if profile.requires_self_reflection and route.self_reflection is None:
            reflection = RecordSelfReflection(text="Маршрут помог систематизировать работу")
            return reflection, self.by(Role.TEACHER)
        if self.plan.final_public_event is not None and route.final_event is None:
            return HoldFinalPublicEvent(held_on=today, result="Проведено"), self.by(Role.TEACHER)
        if profile.requires_final_diagnostic and route.final_diagnostic is None:
            assert route.input_diagnostic is not None
            if route.input_diagnostic.taken_on >= today:  # the final one comes a day later
                self.clock.advance(
                    timedelta(days=(route.input_diagnostic.taken_on - today).days + 1)
                )
            found = diagnostic(profile, [4] * len(profile.competences), self.today())
            return RecordFinalDiagnostic(diagnostic=found), self.by(Role.METHODIST)
        plan = self.plan
        latest = add_months(plan.starts_on, profile.term_max_months) - timedelta(days=1)
        until = min(plan.ends_on + timedelta(days=180), latest)
        prolong = route.term < 3 and until > plan.ends_on and self.chance(3)
        recorded = RecordConclusions(
            outcome="prolonged" if prolong else "completed",
            text="Выводы по итогам срока",
            recommendations="Транслировать опыт",
            prolonged_until=until if prolong else None,
        )
        return recorded, self.by(profile.conclusions_by)

    def answer(self, conclusions: Conclusions) -> Step:
        if conclusions.awaiting:
            return SignConclusions(), self.by(conclusions.awaiting[0])
        if not conclusions.acknowledged:
            return AcknowledgeConclusions(), self.by(Role.TEACHER)
        certificate = IssueCertificate(number=f"ИОМ-{self.serial}", issued_on=self.today())
        return certificate, self.by(Role.CENTRE_HEAD)


@dataclass
class Disturber:
    """Any command with content near the valid: activity ids, dates, hashes, plans a little off."""

    data: st.DataObject
    route: Route
    history: list[RouteEvent]
    today: date
    serial: int

    def draw(self, name: str) -> Command:
        makers: dict[str, Callable[[], Command]] = {
            "assign_methodist": self.assignment,
            "record_diagnostic": lambda: RecordDiagnostic(diagnostic=self.diagnostic()),
            "design_route": lambda: DesignRoute(plan=self.plan()),
            "submit_route": SubmitRoute,
            "agree_route": self.agreement,
            "return_route": lambda: ReturnRoute(comments=self.text()),
            "complete_activity": self.completion,
            "mark_activity_not_done": lambda: MarkActivityNotDone(
                activity_id=self.activity_id(), reason=self.text()
            ),
            "mark_activity_overdue": lambda: MarkActivityOverdue(activity_id=self.activity_id()),
            "record_interim_result": lambda: RecordInterimResult(
                recorded_on=self.day(), text=self.text()
            ),
            "correct_route": self.correction,
            "agree_correction": self.correction_agreement,
            "acknowledge_correction": lambda: AcknowledgeCorrection(number=self.number()),
            "record_self_reflection": lambda: RecordSelfReflection(text=self.text()),
            "hold_final_public_event": lambda: HoldFinalPublicEvent(
                held_on=self.day(), result=self.text()
            ),
            "record_final_diagnostic": lambda: RecordFinalDiagnostic(diagnostic=self.diagnostic()),
            "record_conclusions": self.conclusions,
            "sign_conclusions": SignConclusions,
            "acknowledge_conclusions": AcknowledgeConclusions,
            "issue_certificate": lambda: IssueCertificate(
                number=f"ИОМ-{self.serial}", issued_on=self.day()
            ),
            "cancel_route": lambda: CancelRoute(reason="Отмена по заявлению"),
        }
        assert makers.keys() == COMMANDS.keys()
        return makers[name]()

    def pick(self, options: list[T]) -> T:
        return self.data.draw(st.sampled_from(options))

    def day(self) -> date:
        return self.today + timedelta(days=self.data.draw(st.integers(-400, 3)))

    def text(self) -> str:
        return self.pick([TEXT, "Иное"])

    def number(self) -> int:
        return self.data.draw(st.integers(0, len(self.route.corrections) + 1))

    def correction_agreement(self) -> AgreeCorrection:
        """An agreement of some correction, bound to its plan or to another one."""
        number = self.number()
        known = [c.plan_hash for c in self.route.corrections if c.number == number]
        plan_hash = self.pick([*known, "0" * 64])
        return AgreeCorrection(number=number, plan_hash=plan_hash)

    def activity_id(self) -> str:
        ids = [a.id for a in self.route.plan.activities] if self.route.plan else []
        return self.pick([*ids, "a9"])

    def assignment(self) -> AssignMethodist:
        return AssignMethodist(
            methodist_id=self.pick(["methodist-1", "methodist-2"]),
            order="Распоряжение № 2",
            reason=self.pick(["", "Замена по приказу"]),
        )

    def diagnostic(self) -> Diagnostic:
        profile = self.route.profile
        levels = st.lists(st.integers(1, 4), min_size=1, max_size=len(profile.competences))
        found = diagnostic(profile, self.data.draw(levels), self.day())
        if self.data.draw(st.integers(1, 6)) == 1:
            unknown = TaskResult(number=99, competences=["astrology"], level=1)
            found = found.model_copy(update={"tasks": [*found.tasks, unknown]})
        return found

    def agreement(self) -> AgreeRoute:
        hashes = [e.plan_hash for e in self.history if isinstance(e, RouteDesigned)]
        return AgreeRoute(plan_hash=self.pick([self.route.plan_hash or "", *hashes, "0" * 64]))

    def completion(self) -> CompleteActivity:
        return CompleteActivity(
            activity_id=self.activity_id(),
            completed_on=self.day(),
            result=self.text(),
            product=self.pick(["", "открытый урок"]),
            self_assessment=self.pick(["", "Цель достигнута"]),
            employer_assessment=self.pick(["", "Соответствует"]),
        )

    def plan(self) -> Plan:
        """A plan that keeps the rules, or breaks one of them."""
        profile = self.route.profile
        groups = deficit_groups(self.route, most=3)
        breakage = self.pick(["none", "5", "11", "61", "reversed", "unknown", "final", "direction"])
        if breakage == "reversed":
            groups = list(reversed([*groups, [profile.competences[-1].code]]))
        if breakage == "unknown":
            groups = [*groups, ["astrology"]]
        return build_plan(
            profile,
            groups,
            starts_on=self.today + timedelta(days=self.data.draw(st.integers(-200, 30))),
            months=int(breakage) if breakage.isdigit() else 12,
            final=breakage != "final",
            topic=f"Случайная тема {self.data.draw(st.integers(1, 3))}",
            direction=None if breakage == "direction" else "",
            teacher_id=self.route.teacher_id,
        )

    def correction(self) -> CorrectRoute:
        """The plan with one change (or none)."""
        plan = self.route.plan
        if plan is None:
            return CorrectRoute(corrected_on=self.day(), reason=self.text(), plan=self.plan())
        activities = list(plan.activities)
        index = self.data.draw(st.integers(0, len(activities) - 1))
        change = self.pick(["organiser", "remove", "add", "none", "ends_on"])
        if change == "organiser":
            activities[index] = activities[index].model_copy(update={"organiser": "ЦНППМ"})
        elif change == "remove" and len(activities) > 1:
            del activities[index]
        elif change == "add":
            activities.append(activities[index].model_copy(update={"id": f"x{len(activities)}"}))
        update: dict[str, object] = {"activities": activities}
        if change == "ends_on":
            update["ends_on"] = plan.ends_on + timedelta(days=31)
        changed = plan.model_copy(update=update)
        return CorrectRoute(corrected_on=self.day(), reason=self.text(), plan=changed)

    def conclusions(self) -> RecordConclusions:
        end = self.route.plan.ends_on if self.route.plan else self.today
        later = st.integers(-30, 2000).map(lambda n: end + timedelta(days=n))
        return RecordConclusions(
            outcome=self.pick(["completed", "prolonged"]),
            text=self.text(),
            recommendations=self.pick(["", "Рекомендации куратора"]),
            prolonged_until=self.data.draw(st.none() | later),
        )


def person(cast: Cast, route: Route, role: Role) -> Actor:
    """The route's own person in `role`."""
    if role is Role.TEACHER:
        return Actor(id=cast.teacher, role=role)
    if role is Role.METHODIST:
        return Actor(id=route.methodist_id or "methodist-1", role=role)
    return Actor(id=f"{role.value.replace('_', '-')}-1", role=role)


class RouteLives(RuleBasedStateMachine):
    """One to three routes of random regions, driven and disturbed at random."""

    def __init__(self) -> None:
        super().__init__()
        self.clock = Clock(START)
        self.app = Routes(
            {"PERSISTENCE_MODULE": "eventsourcing.popo"}, profiles=shipped(), clock=self.clock
        )
        self.casts: list[Cast] = []
        self.applied: dict[tuple[UUID, str], Applied] = {}
        self.issued = 0

    def fresh_id(self) -> str:
        self.issued += 1
        return f"cmd-{self.issued}"

    @initialize(
        regions=st.lists(st.sampled_from(REGIONS), min_size=1, max_size=3),
        interval=st.sampled_from([2, 5, 50]),
    )
    def open_routes(self, regions: list[str], interval: int) -> None:
        self.app.snapshot_interval = interval
        opener = Actor(id="centre-head-1", role=Role.CENTRE_HEAD)
        for number, region in enumerate(regions):
            teacher = f"teacher-{number}"
            command = OpenRoute(
                route_key=f"route-{number}",
                region=region,
                teacher_id=teacher,
                school_id="school-1",
                municipality_id="mun-1",
                subject="математика",
            )
            receipt = self.app.open(command, opener, f"open-{number}")
            self.casts.append(Cast(receipt.route_id, teacher))

    @rule(days=st.integers(0, 45), hours=st.integers(0, 23))
    def tick(self, days: int, hours: int) -> None:
        self.clock.advance(timedelta(days=days, hours=hours))

    @rule(data=st.data(), steps=st.integers(1, 6))
    def advance(self, data: st.DataObject, steps: int) -> None:
        """A few steps the regulation allows: each must be accepted."""
        cast = data.draw(st.sampled_from(self.casts))
        for _ in range(steps):
            route = self.app.route(cast.route_id)
            step = Driver(data, cast, route, self.clock, self.issued).step()
            if step is None:
                return
            command, actor = step
            command_id = self.fresh_id()
            receipt = self.app.execute(cast.route_id, command, actor, command_id)
            assert not receipt.replayed
            assert receipt.events
            assert receipt.version == route.version + len(receipt.events)
            self.applied[(cast.route_id, command_id)] = Applied(command, actor, receipt.version)

    @rule(data=st.data())
    def act(self, data: st.DataObject) -> None:
        """Any command, plausible or not, by anyone, under a fresh or an already used id."""
        cast = data.draw(st.sampled_from(self.casts))
        before = self.app.route(cast.route_id)
        history = self.app.history(cast.route_id)
        name = data.draw(
            st.sampled_from(RELEVANT[before.stage]) | st.sampled_from(sorted(COMMANDS))
        )
        disturber = Disturber(data, before, history, today_in(before, self.clock()), self.issued)
        drawn = disturber.draw(name)
        # The portal's JSON, now and then with a field the command does not know.
        wire = drawn.model_dump(mode="json") | data.draw(
            st.just({}) | st.just({"priority": "срочно"})
        )
        try:
            command = COMMANDS[name].model_validate(wire)
        except ValidationError:
            assert "priority" in wire  # malformed input is refused before it reaches the route
            assert self.app.route(cast.route_id).model_dump() == before.model_dump()
            return
        assert command == drawn
        everyone = [person(cast, before, role) for role in Role] + STRANGERS
        likely = [person(cast, before, role) for role in LIKELY[name]]
        actor = data.draw(st.sampled_from(likely) | st.sampled_from(everyone))
        used = sorted(cid for rid, cid in self.applied if rid == cast.route_id)
        earlier: Applied | None = None
        command_id = self.fresh_id()
        if used and data.draw(st.integers(1, 5)) == 1:
            command_id = data.draw(st.sampled_from(used))
            earlier = self.applied[(cast.route_id, command_id)]
            if data.draw(st.booleans()):
                command, actor = earlier.command, earlier.actor

        outcome: Receipt | DomainError
        try:
            outcome = self.app.execute(cast.route_id, command, actor, command_id)
        except DomainError as error:
            outcome = error

        after = self.app.route(cast.route_id)
        reused = earlier is not None and (
            command.fingerprint(actor) != earlier.command.fingerprint(earlier.actor)
        )
        if isinstance(outcome, DomainError) or earlier is not None:
            # (a) a refusal or a replay appends nothing
            assert after.version == before.version
            assert len(self.app.history(cast.route_id)) == len(history)
            assert after.model_dump() == before.model_dump()
            assert isinstance(outcome, CommandReuseError) == reused, outcome
        if isinstance(outcome, Receipt):
            assert outcome.replayed == (earlier is not None)
            if earlier is not None:
                assert (outcome.events, outcome.version) == ([], earlier.version)
            else:
                assert outcome.events
                assert outcome.version == before.version + len(outcome.events) == after.version
                self.applied[(cast.route_id, command_id)] = Applied(command, actor, after.version)

    @invariant()
    def every_route_is_its_history(self) -> None:
        for cast in self.casts:
            history = self.app.history(cast.route_id)
            loaded = self.app.route(cast.route_id)
            # (d)
            assert loaded.version == len(history)
            assert [e.originator_version for e in history] == list(range(1, len(history) + 1))
            # (c)
            head = GENESIS
            for event in history:
                head = link(head, event.content())
                assert event.chain_hash == head, (
                    f"chain broken at version {event.originator_version}"
                )
            assert loaded.chain_head == head
            # (b)
            replayed = project_route(None, history)
            assert replayed is not None
            assert loaded.model_dump() == replayed.model_dump()
            # ... and so does the route read at a version (no cache: the latest snapshot and the
            # events after it)
            for version in {len(history), (len(history) + 1) // 2}:
                past = project_route(None, history[:version])
                assert past is not None
                at = self.app.route(cast.route_id, version=version)
                assert at.model_dump() == past.model_dump()
            # (e)
            route = project_route(None, history[:1])
            assert route is not None
            for event in history[1:]:
                before = route.model_copy(deep=True)
                route = event.mutate(route)
                check_transition(before, route, event)


def test_random_lives_keep_the_invariants() -> None:
    run_state_machine_as_test(RouteLives)  # as many lives as the Hypothesis profile draws
