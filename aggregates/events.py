"""The events of a route. Five carry the design card's names: `DiagnosticRecorded`,
`RouteApproved`, `ActivityCompleted`, `RouteCorrected`, `FinalDiagnosticRecorded`.

Every event carries who did it (`actor`), the command that caused it (`command_id`, and the
process step that caused that, `causation_id`), when (`timestamp`), and its link in the route's
hash chain (`chain_hash`). Events carry the teacher's id, never personal data.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from uuid import UUID

from pydantic import BaseModel, ConfigDict
from typing_extensions import override

from aggregates.migration import EditionMapping, carried
from aggregates.notices import NOTICE_TITLES
from aggregates.profiles import ACTION_TITLES, AgreementAction, Profile, Stage
from aggregates.profiles.duties import CorrectionPart, Place
from aggregates.route import (
    PLANNED,
    ActivityRecord,
    Agreement,
    CertificateRecord,
    CommandRecord,
    Conclusions,
    Correction,
    FinalEventRecord,
    InterimResult,
    IntermediateRecord,
    Return,
    Route,
    SentNotice,
)
from aggregates.values import (
    ROLE_TITLES,
    Acting,
    Actor,
    Diagnostic,
    Ident,
    Name,
    Outcome,
    Plan,
    Role,
)


class RouteEvent(BaseModel):
    """What every event of a route records besides its own facts."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    originator_id: UUID
    originator_version: int
    timestamp: datetime
    actor: Actor
    command_id: str
    causation_id: str | None = None
    command_hash: str  # fingerprint of the command: a reused command id is caught
    chain_hash: str = ""
    acting_for: Acting | None = None  # за руководителя: the actor acted for a head, by order

    def content(self) -> dict[str, Any]:
        """Everything the chain hash covers: the type and every field but the hash itself (and
        but `acting_for` when nobody acted for a head: events written before it existed)."""
        left_out = {"chain_hash"} if self.acting_for else {"chain_hash", "acting_for"}
        return {"type": type(self).__name__} | self.model_dump(mode="json", exclude=left_out)

    def mutate(self, route: Route | None) -> Route:
        """The route after this event (the repository's projector calls this)."""
        if route is None:
            raise TypeError(f"{type(self).__name__} cannot start a route")
        self.apply(route)
        return self.record(route)

    def record(self, route: Route) -> Route:
        """Note the event on the route: its version, time, chain head, and the command."""
        route.version = self.originator_version
        route.modified_on = self.timestamp
        route.chain_head = self.chain_hash
        route.acted(self.actor)
        route.commands[self.command_id] = CommandRecord(
            version=self.originator_version, fingerprint=self.command_hash
        )
        return route

    def apply(self, route: Route) -> None:
        """The event's effect on the route's state."""
        raise NotImplementedError

    def summary(self, profile: Profile) -> str:
        """The event in one Russian line, in the regulation's own terms (`profile`: the edition
        the route was opened under); `aggregates.summaries.describe` adds who acted for whom.
        Every event has its own (a unit test holds each to it)."""
        raise NotImplementedError(type(self).__name__)


class RouteOpened(RouteEvent):
    """ИОМ открыт: the route exists, under the region's regulation copied in whole."""

    route_key: Ident
    profile: Profile
    teacher_id: Ident
    school_id: Ident
    municipality_id: Ident
    subject: Name

    def mutate(self, route: Route | None) -> Route:  # noqa: ARG002 - it starts the route
        return self.record(Route.open(self))

    @override
    def summary(self, profile: Profile) -> str:
        return f"ИОМ открыт: {profile.region}, регламент {profile.key}"


class MethodistAssigned(RouteEvent):
    """Методист закреплён (распорядительным актом) or reassigned."""

    methodist_id: Ident
    order: Name  # распорядительный акт
    reason: str = ""
    ticket: str = ""  # the operator's ticket, when an operator reassigned

    def apply(self, route: Route) -> None:
        route.methodist_id = self.methodist_id
        route.hold(Place.METHODIST, self.methodist_id)
        if route.stage is Stage.OPENED:
            route.stage = Stage.DIAGNOSTIC

    @override
    def summary(self, profile: Profile) -> str:
        return (
            f"Закреплён методист {self.methodist_id} ({self.order})"
            + (f": {self.reason}" if self.reason else "")
            + _ticket(self.ticket)
        )


class DiagnosticRecorded(RouteEvent):
    """Результаты входной диагностики профессиональных дефицитов."""

    diagnostic: Diagnostic
    levels: dict[str, int]

    def apply(self, route: Route) -> None:
        route.input_diagnostic = self.diagnostic
        route.input_levels = dict(self.levels)
        route.stage = Stage.DESIGN

    @override
    def summary(self, profile: Profile) -> str:
        return "Входная диагностика: " + _levels(self.levels, profile)


class RouteDesigned(RouteEvent):
    """ИОМ спроектирован: a new revision of the plan."""

    revision: int
    plan: Plan
    plan_hash: str

    def apply(self, route: Route) -> None:
        route.plan = self.plan
        route.revision = self.revision
        route.plan_hash = self.plan_hash
        route.activities = {a.id: PLANNED for a in self.plan.activities}

    @override
    def summary(self, profile: Profile) -> str:
        return f"ИОМ спроектирован (редакция {self.revision}): «{self.plan.topic}»"


class RouteSubmitted(RouteEvent):
    """ИОМ передан на согласование: a new agreement round on one revision."""

    revision: int
    plan_hash: str

    def apply(self, route: Route) -> None:
        route.stage = Stage.AGREEMENT
        route.agreements = []
        route.submissions += 1
        route.round_started = self.timestamp
        route.extensions = {
            key: day for key, day in route.extensions.items() if not key.startswith("agreement:")
        }

    @override
    def summary(self, profile: Profile) -> str:
        return f"ИОМ передан на согласование (редакция {self.revision})"


class AgreementGiven(RouteEvent):
    """One party signed, reviewed, agreed or approved the exact revision it names."""

    role: Role
    action: AgreementAction
    revision: int
    plan_hash: str
    comment: str = ""

    def apply(self, route: Route) -> None:
        waiting = route.pending_parties()
        route.agreements.append(Agreement.of(self))
        if waiting == [self.role]:  # the round is complete: the next one starts now
            route.round_started = self.timestamp

    @override
    def summary(self, profile: Profile) -> str:
        return f"{_title(self.role)}: {ACTION_TITLES[self.action]} (редакция {self.revision})"


class RouteReturned(RouteEvent):
    """Возвращён на доработку с замечаниями: back to design, a new round later."""

    role: Role
    revision: int
    comments: str

    def apply(self, route: Route) -> None:
        route.stage = Stage.DESIGN
        route.agreements = []
        route.round_started = None
        route.returns.append(Return.of(self))

    @override
    def summary(self, profile: Profile) -> str:
        return f"{_title(self.role)}: возвращён на доработку — {self.comments}"


class RouteApproved(RouteEvent):
    """ИОМ утверждён: the last required party agreed; implementation begins."""

    revision: int
    plan_hash: str

    def apply(self, route: Route) -> None:
        route.stage = Stage.IMPLEMENTATION
        route.approved_revision = self.revision
        route.approved_at = self.timestamp
        route.round_started = None

    @override
    def summary(self, profile: Profile) -> str:
        return f"ИОМ утверждён (редакция {self.revision})"


class ActivityCompleted(RouteEvent):
    """Мероприятие выполнено: its result, product and assessments."""

    activity_id: str
    completed_on: date
    result: str
    product: str
    self_assessment: str = ""
    employer_assessment: str = ""

    def apply(self, route: Route) -> None:
        route.activities[self.activity_id] = ActivityRecord(
            status="done",
            overdue=route.activities[self.activity_id].overdue,
            on=self.completed_on,
            result=self.result,
            product=self.product,
            self_assessment=self.self_assessment,
            employer_assessment=self.employer_assessment,
        )
        if self.employer_assessment:
            route.hold(Place.EMPLOYER_ASSESSMENT, self.actor.id)

    @override
    def summary(self, profile: Profile) -> str:
        return (
            f"Мероприятие {self.activity_id} выполнено {self.completed_on:%d.%m.%Y}: {self.result}"
        )


class ActivityNotCompleted(RouteEvent):
    """Мероприятие не выполнено: the reason (причины невыполнения)."""

    activity_id: str
    reason: str

    def apply(self, route: Route) -> None:
        route.activities[self.activity_id] = ActivityRecord(
            status="not_done",
            overdue=route.activities[self.activity_id].overdue,
            reason=self.reason,
        )

    @override
    def summary(self, profile: Profile) -> str:
        return f"Мероприятие {self.activity_id} не выполнено: {self.reason}"


class ActivityOverdue(RouteEvent):
    """An activity's end date passed with no mark."""

    activity_id: str
    due_on: date

    def apply(self, route: Route) -> None:
        record = route.activities[self.activity_id]
        route.activities[self.activity_id] = record.model_copy(update={"overdue": True})

    @override
    def summary(self, profile: Profile) -> str:
        return f"Мероприятие {self.activity_id} просрочено (срок {self.due_on:%d.%m.%Y})"


class InterimResultRecorded(RouteEvent):
    """Промежуточный результат прохождения ИОМ."""

    recorded_on: date
    text: str

    def apply(self, route: Route) -> None:
        route.interim_results.append(InterimResult(on=self.recorded_on, text=self.text))

    @override
    def summary(self, profile: Profile) -> str:
        return f"Промежуточный результат: {self.text}"


class IntermediateDiagnosticRecorded(RouteEvent):
    """Результаты промежуточной диагностики (a campaign's, between the input and the final
    one), with the dynamics against the input one."""

    diagnostic: Diagnostic
    levels: dict[str, int]
    dynamics: dict[str, int]  # this level minus the input level, per competence tested both times

    def apply(self, route: Route) -> None:
        record = IntermediateRecord(diagnostic=self.diagnostic, levels=dict(self.levels))
        # replaced, not appended to: the monitoring's rows follow from the list's identity
        route.intermediate_diagnostics = [*route.intermediate_diagnostics, record]

    @override
    def summary(self, profile: Profile) -> str:
        return "Промежуточная диагностика: " + _levels(self.levels, profile)


class RouteCorrected(RouteEvent):
    """Корректировка ИОМ: date, reason, what changed, and the plan as it now stands."""

    number: int
    corrected_on: date
    reason: str
    plan: Plan
    plan_hash: str
    added: list[str]
    removed: list[str]
    changed: list[str]
    awaiting: list[Role]  # parties that must agree this correction
    # the parts of the plan it changes, derived from the old and the new plan (events of older
    # code: not recorded)
    parts: list[CorrectionPart] = []

    def apply(self, route: Route) -> None:
        for removed in self.removed:
            del route.activities[removed]
        for added in self.added:
            route.activities[added] = PLANNED
        route.plan = self.plan
        route.plan_hash = self.plan_hash
        route.corrections.append(Correction.of(self))

    @override
    def summary(self, profile: Profile) -> str:
        return f"Корректировка №{self.number} от {self.corrected_on:%d.%m.%Y}: {self.reason}"


class CorrectionAgreed(RouteEvent):
    """A party named by the regulation agreed a correction."""

    number: int
    role: Role
    plan_hash: str = ""  # the corrected plan the party agreed (events of older code: not bound)

    def apply(self, route: Route) -> None:
        correction = route.corrections[self.number - 1]
        awaiting = [role for role in correction.awaiting if role is not self.role]
        route.corrections[self.number - 1] = correction.model_copy(update={"awaiting": awaiting})

    @override
    def summary(self, profile: Profile) -> str:
        return f"Корректировка №{self.number} согласована: {ROLE_TITLES[self.role]}"


class CorrectionAcknowledged(RouteEvent):
    """Отметка педагога об ознакомлении с корректировкой."""

    number: int

    def apply(self, route: Route) -> None:
        correction = route.corrections[self.number - 1]
        route.corrections[self.number - 1] = correction.model_copy(update={"acknowledged": True})

    @override
    def summary(self, profile: Profile) -> str:
        return f"Педагог ознакомлен с корректировкой №{self.number}"


class SelfReflectionRecorded(RouteEvent):
    """Саморефлексия профессионального пути и эффективности ИОМ."""

    text: str

    def apply(self, route: Route) -> None:
        route.self_reflection = self.text

    @override
    def summary(self, profile: Profile) -> str:
        return "Саморефлексия педагога внесена"


class FinalPublicEventHeld(RouteEvent):
    """Заключительное публичное мероприятие проведено."""

    held_on: date
    result: str

    def apply(self, route: Route) -> None:
        route.stage = Stage.FINAL
        route.final_event = FinalEventRecord(on=self.held_on, result=self.result)

    @override
    def summary(self, profile: Profile) -> str:
        return f"Заключительное публичное мероприятие проведено {self.held_on:%d.%m.%Y}"


class FinalDiagnosticRecorded(RouteEvent):
    """Результаты итоговой диагностики, with the dynamics against the input one."""

    diagnostic: Diagnostic
    levels: dict[str, int]
    dynamics: dict[str, int]  # final minus input level, per competence tested both times

    def apply(self, route: Route) -> None:
        route.stage = Stage.FINAL
        route.final_diagnostic = self.diagnostic
        route.final_levels = dict(self.levels)

    @override
    def summary(self, profile: Profile) -> str:
        return "Итоговая диагностика: " + _levels(self.levels, profile)


class ConclusionsRecorded(RouteEvent):
    """Выводы: completed successfully, or prolonged (пролонгация) to a new end date."""

    outcome: Outcome
    text: str
    recommendations: str = ""  # рекомендации куратора
    prolonged_until: date | None = None
    awaiting: list[Role]  # who must still sign

    def apply(self, route: Route) -> None:
        route.stage = Stage.FINAL
        route.conclusions = Conclusions.of(self)
        route.settle()

    @override
    def summary(self, profile: Profile) -> str:
        return (
            "Выводы: ИОМ завершён успешно"
            if self.outcome == "completed"
            else f"Выводы: пролонгация ИОМ до {self.prolonged_until:%d.%m.%Y}"
        )


class ConclusionsSigned(RouteEvent):
    """A party named by the regulation signed the conclusions."""

    role: Role

    def apply(self, route: Route) -> None:
        assert route.conclusions is not None
        awaiting = [role for role in route.conclusions.awaiting if role is not self.role]
        route.conclusions = route.conclusions.model_copy(update={"awaiting": awaiting})
        route.settle()

    @override
    def summary(self, profile: Profile) -> str:
        return f"Выводы подписаны: {ROLE_TITLES[self.role]}"


class ConclusionsAcknowledged(RouteEvent):
    """Отметка педагога об ознакомлении с выводами."""

    def apply(self, route: Route) -> None:
        assert route.conclusions is not None
        route.conclusions = route.conclusions.model_copy(update={"acknowledged": True})
        route.settle()

    @override
    def summary(self, profile: Profile) -> str:
        return "Педагог ознакомлен с выводами"


class CertificateIssued(RouteEvent):
    """Сертификат о прохождении ИОМ выдан."""

    number: Name
    issued_on: date

    def apply(self, route: Route) -> None:
        route.certificate = CertificateRecord(number=self.number, issued_on=self.issued_on)
        route.settle()

    @override
    def summary(self, profile: Profile) -> str:
        return f"Выдан сертификат о прохождении ИОМ № {self.number}"


class RouteCancelled(RouteEvent):
    """ИОМ отменён, with the reason."""

    reason: str
    ticket: str = ""  # the operator's ticket, when an operator cancelled

    def apply(self, route: Route) -> None:
        route.stage = Stage.CANCELLED
        route.cancel_reason = self.reason

    @override
    def summary(self, profile: Profile) -> str:
        return f"ИОМ отменён: {self.reason}" + _ticket(self.ticket)


class DeadlineExtended(RouteEvent):
    """An operator extended a deadline (an activity's, a party's answer, the conclusions)."""

    deadline: str  # `activity:<id>`, `agreement:<role>`, `correction:<n>:<role>`, `conclusions`
    until: date
    reason: str
    ticket: str

    def apply(self, route: Route) -> None:
        route.extensions[self.deadline] = self.until
        activity_id = self.deadline.removeprefix("activity:")
        if activity_id != self.deadline and activity_id in route.activities:
            record = route.activities[activity_id]
            route.activities[activity_id] = record.model_copy(update={"overdue": False})

    @override
    def summary(self, profile: Profile) -> str:
        until = f"{self.until:%d.%m.%Y}"
        return f"Срок «{self.deadline}» продлён до {until}: {self.reason}" + _ticket(self.ticket)


class RoutePaused(RouteEvent):
    """An operator paused the route: its timers stop, only operators act on it."""

    reason: str
    ticket: str

    def apply(self, route: Route) -> None:
        route.paused = True

    @override
    def summary(self, profile: Profile) -> str:
        return f"ИОМ приостановлен: {self.reason}" + _ticket(self.ticket)


class RouteResumed(RouteEvent):
    """An operator resumed a paused route."""

    reason: str
    ticket: str

    def apply(self, route: Route) -> None:
        route.paused = False

    @override
    def summary(self, profile: Profile) -> str:
        return f"ИОМ возобновлён: {self.reason}" + _ticket(self.ticket)


class RegulationChanged(RouteEvent):
    """ИОМ переведён на новую редакцию положения региона (by the order that amended it): from
    now on the route follows `profile`, copied whole as `RouteOpened` copies the first one; its
    codes and parties as `mapping` maps them (`aggregates.migration`)."""

    previous: str  # the edition the route followed until now, `id@version`
    profile: Profile
    mapping: EditionMapping
    order: Name  # the order (приказ) that amended the regulation
    reason: str
    ticket: str
    operation_id: str | None = None  # the bulk operation that moved it, if one did

    def apply(self, route: Route) -> None:
        carried(route, self.profile, self.mapping)

    @override
    def summary(self, profile: Profile) -> str:
        return (
            f"ИОМ переведён с редакции {self.previous} на редакцию {self.profile.key}"
            f" ({self.order}): {self.reason}" + _ticket(self.ticket)
        )


class NoticeSent(RouteEvent):
    """A notice went to the route's parties: a request, reminder, escalation or overdue notice,
    or an operator's re-sending of one."""

    key: str
    kind: str
    recipients: list[Role]
    due_on: date | None = None
    resent: bool = False  # an operator's re-sending of the notice sent under `key`
    reason: str = ""
    ticket: str = ""

    def apply(self, route: Route) -> None:
        if not self.resent:
            route.notices[self.key] = SentNotice(
                kind=self.kind, recipients=self.recipients, due_on=self.due_on, at=self.timestamp
            )

    @override
    def summary(self, profile: Profile) -> str:
        return (
            ("Повторно направлено" if self.resent else "Направлено")
            + f" уведомление «{NOTICE_TITLES.get(self.kind, self.kind)}»: "
            + ", ".join(ROLE_TITLES[r] for r in self.recipients)
            + (f" — {self.reason}" if self.reason else "")
            + _ticket(self.ticket)
        )


# The summaries' shared words.


def _levels(levels: dict[str, int], profile: Profile) -> str:
    return "; ".join(
        f"{profile.competence_name(code)} — {profile.level_name(level)}"
        for code, level in levels.items()
    )


def _ticket(ticket: str) -> str:
    return f" (заявка {ticket})" if ticket else ""


def _title(role: Role) -> str:
    """The role's title at the start of a line: its first letter upper-cased, abbreviations
    (ЦНППМ, ОО, МО) kept as they are."""
    title = ROLE_TITLES[role]
    return title[:1].upper() + title[1:]
