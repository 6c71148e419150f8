"""The final stage: self-reflection, the final public event and diagnostic, conclusions,
their signatures and acknowledgement, the certificate."""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING, ClassVar

from pydantic import Field

from aggregates.commands.base import Change, Command, Context, invalid, term_bounds
from aggregates.commands.opening import against_input, check_diagnostic
from aggregates.errors import RoleError, StageError
from aggregates.events import (
    CertificateIssued,
    ConclusionsAcknowledged,
    ConclusionsRecorded,
    ConclusionsSigned,
    FinalDiagnosticRecorded,
    FinalPublicEventHeld,
    SelfReflectionRecorded,
)
from aggregates.profiles import Profile, Stage
from aggregates.values import ROLE_TITLES, Day, Diagnostic, Name, OptionalText, Outcome, Role, Text

if TYPE_CHECKING:
    from aggregates.route import Conclusions, Route


class FinalCommand(Command):
    """A command of the final stage: it begins once every activity has its mark."""

    def require_final(self, route: Route, context: Context, roles: tuple[Role, ...]) -> None:
        """Refuse before every activity is marked, after conclusions, or for the wrong role."""
        self.require_stage(route, Stage.IMPLEMENTATION, Stage.FINAL)
        self.require_role(route, context.actor, roles)
        unmarked = sorted(i for i, record in route.activities.items() if record.status == "planned")
        if unmarked:
            raise StageError(
                "activities_unmarked",
                "итоговый этап начинается, когда у каждого мероприятия есть отметка о выполнении"
                " или причина невыполнения; без отметки: " + ", ".join(unmarked),
            )
        if route.conclusions is not None:
            raise StageError("conclusions_recorded", "выводы уже сформулированы")


class RecordSelfReflection(FinalCommand):
    """Внести саморефлексию педагога: профессиональный путь и эффективность ИОМ."""

    title: ClassVar[str] = "Саморефлексия"

    text: Text

    def decide(self, route: Route, context: Context) -> list[Change]:
        self.require_final(route, context, (Role.TEACHER,))
        return [partial(SelfReflectionRecorded, text=self.text)]


class HoldFinalPublicEvent(FinalCommand):
    """Отметить проведение заключительного публичного мероприятия."""

    title: ClassVar[str] = "Заключительное публичное мероприятие"

    held_on: Day
    result: Text

    def decide(self, route: Route, context: Context) -> list[Change]:
        self.require_final(route, context, (Role.TEACHER, Role.METHODIST, Role.DEPUTY_HEAD))
        if route.plan is None or route.plan.final_public_event is None:
            raise invalid("held_on", "заключительное публичное мероприятие не запланировано")
        if route.final_event is not None:
            raise invalid("held_on", "проведение мероприятия уже отмечено")
        context.require_past(route, self.held_on, "held_on", "дата проведения")
        return [partial(FinalPublicEventHeld, held_on=self.held_on, result=self.result)]


class RecordFinalDiagnostic(FinalCommand):
    """Внести результаты итоговой диагностики; динамика считается против входной."""

    title: ClassVar[str] = "Результаты итоговой диагностики"

    diagnostic: Diagnostic = Field(description="Результаты диагностической работы.")

    def decide(self, route: Route, context: Context) -> list[Change]:
        self.require_final(route, context, (Role.METHODIST, Role.SYSTEM))
        if route.final_diagnostic is not None:
            raise invalid("diagnostic", "итоговая диагностика этого срока уже внесена")
        check_diagnostic(self.diagnostic, route, context, "diagnostic")
        earlier = route.input_diagnostic
        if earlier and self.diagnostic.taken_on <= earlier.taken_on:
            raise invalid("diagnostic.taken_on", "итоговая диагностика проводится после входной")
        if earlier and self.diagnostic.platform != earlier.platform:
            raise invalid(
                "diagnostic.platform",
                f"итоговая диагностика проводится на платформе входной: «{earlier.platform}»",
            )
        levels = self.diagnostic.competence_levels()
        dynamics = against_input(route, levels)
        recorded = partial(
            FinalDiagnosticRecorded, diagnostic=self.diagnostic, levels=levels, dynamics=dynamics
        )
        return [recorded]


class RecordConclusions(FinalCommand):
    """Внести выводы по ИОМ: успешное завершение или пролонгация до новой даты."""

    title: ClassVar[str] = "Выводы"

    outcome: Outcome = Field(description="Итог: completed — ИОМ завершён, prolonged — продлён.")
    text: Text
    recommendations: OptionalText = ""  # рекомендации куратора
    prolonged_until: Day | None = Field(
        default=None, description="До какой даты продлён ИОМ (при продлении)."
    )

    @classmethod
    def required_by(cls, profile: Profile) -> dict[str, str]:
        if not profile.requires_recommendations:
            return {}
        return {"recommendations": "регламент требует рекомендации куратора"}

    def decide(self, route: Route, context: Context) -> list[Change]:
        profile = route.profile
        self.require_final(route, context, (profile.conclusions_by,))
        missing = [
            title
            for required, done, title in (
                (
                    profile.requires_final_public_event,
                    route.final_event,
                    "заключительное публичное мероприятие",
                ),
                (profile.requires_final_diagnostic, route.final_diagnostic, "итоговая диагностика"),
                (profile.requires_self_reflection, route.self_reflection, "саморефлексия педагога"),
            )
            if required and done is None
        ]
        if missing:
            raise StageError("final_incomplete", "до выводов нужны: " + ", ".join(missing))
        self.require_fields(profile)
        self.check_prolongation(route)
        awaiting = [role for role in profile.conclusions_signers if role is not context.actor.role]
        recorded = partial(
            ConclusionsRecorded,
            outcome=self.outcome,
            text=self.text,
            recommendations=self.recommendations,
            prolonged_until=self.prolonged_until,
            awaiting=awaiting,
        )
        return [recorded]

    def check_prolongation(self, route: Route) -> None:
        """A prolongation names a new end after the current one, within the longest term."""
        assert route.plan is not None
        if self.outcome == "completed":
            if self.prolonged_until is not None:
                raise invalid(
                    "prolonged_until", "дата пролонгации указывается только при пролонгации"
                )
            return
        if self.prolonged_until is None or self.prolonged_until <= route.plan.ends_on:
            raise invalid(
                "prolonged_until",
                f"укажите новую дату завершения позже {route.plan.ends_on:%d.%m.%Y}",
            )
        _, latest = term_bounds(route.plan.starts_on, 1, route.profile.term_max_months)
        if self.prolonged_until > latest:
            raise invalid(
                "prolonged_until", f"с пролонгацией ИОМ завершается не позднее {latest:%d.%m.%Y}"
            )


def recorded_conclusions(route: Route, command: Command) -> Conclusions:
    """The conclusions of the current term, or a refusal naming the command."""
    if route.conclusions is None:
        raise StageError("conclusions_first", f"«{command.title}»: выводы ещё не сформулированы")
    return route.conclusions


class SignConclusions(Command):
    """Подписать выводы (стороны, которые называет регламент). Тело — пустой объект `{}`."""

    title: ClassVar[str] = "Подпись выводов"

    def decide(self, route: Route, context: Context) -> list[Change]:
        self.require_stage(route, Stage.FINAL)
        conclusions = recorded_conclusions(route, self)
        if context.actor.role not in conclusions.awaiting:
            waiting = ", ".join(ROLE_TITLES[r] for r in conclusions.awaiting) or "никого"
            raise RoleError("turn", f"выводы ждут подписи: {waiting}")
        self.require_role(route, context.actor, conclusions.awaiting)
        return [partial(ConclusionsSigned, role=context.actor.role)]


class AcknowledgeConclusions(Command):
    """Ознакомиться с выводами (педагог). Тело — пустой объект `{}`."""

    title: ClassVar[str] = "Ознакомление с выводами"

    def decide(self, route: Route, context: Context) -> list[Change]:
        self.require_stage(route, Stage.FINAL)
        self.require_role(route, context.actor, (Role.TEACHER,))
        if recorded_conclusions(route, self).acknowledged:
            raise invalid("conclusions", "отметка об ознакомлении уже сделана")
        return [partial(ConclusionsAcknowledged)]


class IssueCertificate(Command):
    """Выдать сертификат о прохождении ИОМ."""

    title: ClassVar[str] = "Выдача сертификата"

    number: Name
    issued_on: Day

    def decide(self, route: Route, context: Context) -> list[Change]:
        self.require_stage(route, Stage.FINAL)
        self.require_role(route, context.actor, (Role.CENTRE_HEAD,))
        conclusions = recorded_conclusions(route, self)
        if not route.profile.requires_certificate:
            raise invalid("number", "регламент региона не предусматривает сертификат")
        if conclusions.outcome != "completed" or not conclusions.settled:
            raise StageError(
                "conclusions_unsettled",
                "сертификат выдаётся после выводов об успешном завершении, подписанных и"
                " с отметкой педагога об ознакомлении",
            )
        context.require_past(route, self.issued_on, "issued_on", "дата выдачи")
        return [partial(CertificateIssued, number=self.number, issued_on=self.issued_on)]
