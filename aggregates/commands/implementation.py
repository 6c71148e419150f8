"""Implementation: activities done or not, overdue marks, interim results, corrections."""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING, ClassVar

from pydantic import Field

from aggregates.commands.base import Change, Command, Context, invalid
from aggregates.commands.changes import PlanChange
from aggregates.commands.design import check_plan, plan_required
from aggregates.commands.duties import require_separate
from aggregates.commands.opening import against_input, check_diagnostic
from aggregates.errors import RoleError
from aggregates.events import (
    ActivityCompleted,
    ActivityNotCompleted,
    ActivityOverdue,
    CorrectionAcknowledged,
    CorrectionAgreed,
    InterimResultRecorded,
    IntermediateDiagnosticRecorded,
    RouteCorrected,
)
from aggregates.profiles import Profile, Stage
from aggregates.profiles.duties import Place
from aggregates.values import (
    ROLE_TITLES,
    Activity,
    Code,
    Day,
    Diagnostic,
    Digest,
    OptionalText,
    Plan,
    Role,
    Text,
)

if TYPE_CHECKING:
    from aggregates.route import ActivityRecord, Route

MARKERS = (Role.TEACHER, Role.METHODIST, Role.DEPUTY_HEAD)


class ActivityCommand(Command):
    """A mark on one planned activity that has none yet."""

    activity_id: Code = Field(description="Идентификатор мероприятия в плане (`a1`, …).")

    def planned(
        self, route: Route, context: Context, roles: tuple[Role, ...]
    ) -> tuple[Activity, ActivityRecord]:
        """The activity and its record, once stage, role and the activity itself allow a mark."""
        self.require_stage(route, Stage.IMPLEMENTATION)
        self.require_role(route, context.actor, roles)
        activity = route.activity(self.activity_id)
        if activity is None:
            raise invalid("activity_id", f"в ИОМ нет мероприятия «{self.activity_id}»")
        record = route.activities[self.activity_id]
        if record.status != "planned":
            raise invalid(
                "activity_id", "отметка о выполнении уже сделана; изменить её можно корректировкой"
            )
        return activity, record


class CompleteActivity(ActivityCommand):
    """Отметить мероприятие выполненным: дата, результат, продукт, самооценка и оценка
    работодателя."""

    title: ClassVar[str] = "Отметка о выполнении мероприятия"

    completed_on: Day
    result: Text
    product: OptionalText = ""  # продукт, форма представления результата
    self_assessment: OptionalText = ""
    employer_assessment: OptionalText = ""

    def decide(self, route: Route, context: Context) -> list[Change]:
        activity, _ = self.planned(route, context, MARKERS)
        context.require_past(route, self.completed_on, "completed_on", "дата выполнения")
        if self.completed_on < activity.starts_on:
            raise invalid("completed_on", f"мероприятие начинается {activity.starts_on:%d.%m.%Y}")
        self.require_fields(route.profile)
        if self.employer_assessment:
            place = [Place.EMPLOYER_ASSESSMENT]
            require_separate(route, context.actor.id, place, field="employer_assessment")
        completed = partial(
            ActivityCompleted,
            activity_id=self.activity_id,
            completed_on=self.completed_on,
            result=self.result,
            product=self.product,
            self_assessment=self.self_assessment,
            employer_assessment=self.employer_assessment,
        )
        return [completed]

    @classmethod
    def required_by(cls, profile: Profile) -> dict[str, str]:
        required: dict[str, str] = {}
        if profile.directions:
            required["product"] = "укажите продукт — форму представления результата работы"
        if profile.requires_assessment:
            both = "регламент требует самооценку и оценку работодателем"
            required |= {"self_assessment": both, "employer_assessment": both}
        return required


class MarkActivityNotDone(ActivityCommand):
    """Отметить мероприятие невыполненным с указанием причины."""

    title: ClassVar[str] = "Отметка о невыполнении мероприятия"

    reason: Text

    def decide(self, route: Route, context: Context) -> list[Change]:
        self.planned(route, context, MARKERS)
        return [partial(ActivityNotCompleted, activity_id=self.activity_id, reason=self.reason)]


class MarkActivityOverdue(ActivityCommand):
    """Отметить, что срок мероприятия истёк без отметки о выполнении (таймер процесса)."""

    title: ClassVar[str] = "Просрочка мероприятия"
    by_person: ClassVar[bool] = False

    def decide(self, route: Route, context: Context) -> list[Change]:
        activity, record = self.planned(route, context, (Role.SYSTEM, Role.OPERATOR))
        if record.overdue:
            raise invalid("activity_id", "просрочка уже отмечена")
        due_on = route.due_on(activity)
        if context.today(route) <= due_on:
            raise invalid("activity_id", f"срок мероприятия истекает {due_on:%d.%m.%Y}")
        return [partial(ActivityOverdue, activity_id=activity.id, due_on=due_on)]


class RecordInterimResult(Command):
    """Внести промежуточный результат реализации ИОМ."""

    title: ClassVar[str] = "Промежуточный результат"

    recorded_on: Day
    text: Text

    def decide(self, route: Route, context: Context) -> list[Change]:
        self.require_stage(route, Stage.IMPLEMENTATION)
        self.require_role(route, context.actor, (Role.METHODIST, Role.DEPUTY_HEAD))
        context.require_past(route, self.recorded_on, "recorded_on")
        return [partial(InterimResultRecorded, recorded_on=self.recorded_on, text=self.text)]


class RecordIntermediateDiagnostic(Command):
    """Внести результаты промежуточной диагностики (диагностической кампании) во время
    реализации ИОМ; динамика считается против входной."""

    title: ClassVar[str] = "Результаты промежуточной диагностики"

    diagnostic: Diagnostic = Field(description="Результаты диагностической работы.")

    def decide(self, route: Route, context: Context) -> list[Change]:
        self.require_stage(route, Stage.IMPLEMENTATION)
        self.require_role(route, context.actor, (Role.METHODIST, Role.SYSTEM))
        check_diagnostic(self.diagnostic, route, context, "diagnostic")
        earlier = [record.diagnostic for record in route.intermediate_diagnostics]
        last = earlier[-1] if earlier else route.input_diagnostic
        if last is not None and self.diagnostic.taken_on <= last.taken_on:
            raise invalid(
                "diagnostic.taken_on",
                f"промежуточная диагностика проводится после предыдущей ({last.taken_on:%d.%m.%Y})",
            )
        levels = self.diagnostic.competence_levels()
        dynamics = against_input(route, levels)
        recorded = partial(
            IntermediateDiagnosticRecorded,
            diagnostic=self.diagnostic,
            levels=levels,
            dynamics=dynamics,
        )
        return [recorded]


class CorrectRoute(Command):
    """Скорректировать ИОМ: дата, причина и план в новой редакции."""

    title: ClassVar[str] = "Корректировка ИОМ"

    corrected_on: Day
    reason: Text
    plan: Plan = Field(description="План ИОМ после корректировки.")

    @classmethod
    def required_by(cls, profile: Profile) -> dict[str, str]:
        return plan_required(profile)

    def decide(self, route: Route, context: Context) -> list[Change]:
        self.require_stage(route, Stage.IMPLEMENTATION)
        self.require_role(route, context.actor, route.profile.correctors)
        assert route.plan is not None
        context.require_past(route, self.corrected_on, "corrected_on", "дата корректировки")
        self.require_fields(route.profile)
        check_plan(self.plan, route, context)
        change = PlanChange.between(route.plan, self.plan)
        for activity_id in [*change.changed, *change.removed]:
            if route.activities[activity_id].status != "planned":
                raise invalid(
                    "plan.activities",
                    f"мероприятие «{activity_id}» уже отмечено: его нельзя изменить или удалить",
                )
        plan_hash = self.plan.content_hash()
        if plan_hash == route.plan_hash:
            raise invalid("plan", "корректировка ничего не меняет")
        awaiting = [
            party.role
            for party in route.profile.correction_reagreement
            if party.role is not context.actor.role and set(party.covers) & set(change.parts)
        ]
        corrected = partial(
            RouteCorrected,
            number=len(route.corrections) + 1,
            corrected_on=self.corrected_on,
            reason=self.reason,
            plan=self.plan,
            plan_hash=plan_hash,
            added=change.added,
            removed=change.removed,
            changed=change.changed,
            parts=change.parts,
            awaiting=awaiting,
        )
        return [corrected]


class CorrectionCommand(Command):
    """An answer to one correction, by its number."""

    number: int = Field(description="Номер корректировки.")

    def correction_awaiting(self, route: Route) -> list[Role]:
        """The parties that have still to agree the correction; refuses an unknown number."""
        if not 1 <= self.number <= len(route.corrections):
            raise invalid("number", f"корректировки №{self.number} нет")
        return route.corrections[self.number - 1].awaiting


class AgreeCorrection(CorrectionCommand):
    """Согласовать корректировку с номером `number` — ИОМ в редакции `plan_hash` после неё
    (`corrections[].plan_hash` в `GET /routes/{id}`); согласуют стороны, чью часть ИОМ
    корректировка изменила."""

    title: ClassVar[str] = "Согласование корректировки"

    plan_hash: Digest = Field(
        description="Хэш редакции плана после корректировки, которую согласует сторона."
    )

    def decide(self, route: Route, context: Context) -> list[Change]:
        self.require_stage(route, Stage.IMPLEMENTATION, Stage.FINAL)
        awaiting = self.correction_awaiting(route)
        if context.actor.role not in awaiting:
            waiting = ", ".join(ROLE_TITLES[r] for r in awaiting) or "никого"
            raise RoleError("turn", f"корректировка ждёт согласования: {waiting}")
        self.require_role(route, context.actor, awaiting)
        correction = route.corrections[self.number - 1]
        require_separate(
            route,
            context.actor.id,
            [Place.CORRECTION_AGREEMENT],
            holding=[Place.CORRECTOR] if correction.by.id == context.actor.id else [],
        )
        if self.plan_hash != correction.plan_hash:
            raise invalid(
                "plan_hash",
                "согласуется не та редакция ИОМ: обновите и проверьте текст корректировки",
            )
        agreed = partial(
            CorrectionAgreed, number=self.number, role=context.actor.role, plan_hash=self.plan_hash
        )
        return [agreed]


class AcknowledgeCorrection(CorrectionCommand):
    """Ознакомиться с корректировкой (педагог)."""

    title: ClassVar[str] = "Ознакомление с корректировкой"

    def decide(self, route: Route, context: Context) -> list[Change]:
        self.require_stage(route, Stage.IMPLEMENTATION, Stage.FINAL)
        self.require_role(route, context.actor, (Role.TEACHER,))
        self.correction_awaiting(route)
        if route.corrections[self.number - 1].acknowledged:
            raise invalid("number", "отметка об ознакомлении уже сделана")
        return [partial(CorrectionAcknowledged, number=self.number)]
