"""The commands of a diagnostic campaign, each deciding its events or why it is refused.

The instrument's rules are the region's profile data (`Profile.instrument_rules`, Sakha
диагностика 4.6 and 4.9): each refusal cites its clause. Announcing a participant later than the
profile's notice days before their group's start is refused (Sakha диагностика 5.3).
"""

from __future__ import annotations

import math
from datetime import timedelta
from typing import TYPE_CHECKING, Annotated, ClassVar, cast
from zoneinfo import ZoneInfo

from pydantic import Field

from aggregates.campaign import (
    STATUS_TITLES,
    AttendanceMarked,
    Campaign,
    CampaignCancelled,
    CampaignClosed,
    CampaignEvent,
    CampaignHeld,
    CampaignPlanned,
    Group,
    Instrument,
    Kind,
    Participant,
    ParticipantsAnnounced,
    ParticipantsRemoved,
    ResultsRecorded,
    Status,
)
from aggregates.commands.base import Command, Context, invalid
from aggregates.errors import InvalidCommandError, RoleError, StageError
from aggregates.profiles import Profile
from aggregates.values import ROLE_TITLES, Day, Digest, Ident, Name, Role, Text, Title

if TYPE_CHECKING:
    from datetime import date

    from aggregates.route import Route

CampaignChange = tuple["type[CampaignEvent]", dict[str, object]]

ORGANISERS = (Role.CENTRE_HEAD, Role.METHODIST, Role.OPERATOR, Role.SYSTEM)


def require_organiser(role: Role, what: str) -> None:
    """Refuse `what` (a campaign's command, or any work on campaigns) to a role that does not
    organise diagnostics."""
    if role not in ORGANISERS:
        titles = ", ".join(ROLE_TITLES[r] for r in ORGANISERS)
        raise RoleError("role", f"{what} выполняет {titles}, а не {ROLE_TITLES[role]}")


"""Who organises a diagnostic (Sakha диагностика 5.2: the centre's specialists, the institute's
teachers, the municipal coordinators)."""


class CampaignCommand(Command):
    """A request to change a campaign: `decide_campaign` refuses it or names its events."""

    def decide(  # type: ignore[override]
        self,
        route: Route,  # noqa: ARG002 - a campaign command is never decided on a route
        context: Context,  # noqa: ARG002
    ) -> list[object]:
        raise TypeError("a campaign command is decided on a campaign (decide_campaign)")

    def decide_campaign(self, campaign: Campaign, context: Context) -> list[CampaignChange]:
        """The events this command appends to `campaign`, or a `DomainError` saying why not."""
        raise NotImplementedError

    def require_organiser(self, context: Context) -> None:
        """Refuse unless the actor organises diagnostics."""
        require_organiser(context.actor.role, f"«{self.title}»")

    def require_status(self, campaign: Campaign, *statuses: Status) -> None:
        """Refuse unless the campaign is in one of `statuses`."""
        if campaign.status not in statuses:
            names = ", ".join(f"«{STATUS_TITLES[s]}»" for s in statuses)
            raise StageError(
                "campaign_status",
                f"команда «{self.title}» недопустима: диагностика"
                f" {STATUS_TITLES[campaign.status]}; возможна, когда она {names}",
            )


class PlanCampaign(CampaignCommand):
    """Запланировать диагностику профессиональных дефицитов."""

    title: ClassVar[str] = "Планирование диагностики"

    campaign_key: Ident  # the centre's own key of this campaign
    kind: Kind  # входная, промежуточная, итоговая
    name: Title  # название диагностики
    platform: Name  # РАС «Ситуационный центр», муниципальная платформа…
    instrument: Instrument
    starts_on: Day
    ends_on: Day
    groups: Annotated[list[Group], Field(min_length=1, max_length=500)]

    def decide_plan(self, profile: Profile, context: Context) -> list[CampaignChange]:
        """The planning event, under the region's profile copied in whole."""
        self.require_organiser(context)
        if self.ends_on < self.starts_on:
            raise invalid("ends_on", "окончание диагностики раньше её начала")
        zone = ZoneInfo(profile.time_zone)
        ids = [group.id for group in self.groups]
        if len(ids) != len(set(ids)):
            raise invalid("groups", "идентификаторы групп повторяются")
        for index, group in enumerate(self.groups):
            day = group.starts_at.astimezone(zone).date()
            if not self.starts_on <= day <= self.ends_on:
                raise invalid(
                    f"groups[{index}].starts_at",
                    f"группа {group.id} начинает {day:%d.%m.%Y}, вне сроков диагностики"
                    f" {self.starts_on:%d.%m.%Y}–{self.ends_on:%d.%m.%Y}",
                )
        check_instrument(self.instrument, profile)
        fields: dict[str, object] = {
            "campaign_key": self.campaign_key,
            "profile": profile,
            "kind": self.kind,
            "title": self.name,
            "platform": self.platform,
            "instrument": self.instrument,
            "starts_on": self.starts_on,
            "ends_on": self.ends_on,
            "groups": self.groups,
        }
        return [(CampaignPlanned, fields)]


def check_instrument(instrument: Instrument, profile: Profile) -> None:
    """Refuse an instrument that breaks one of the region's rules, citing its clause; and one
    whose tasks repeat a number or name a competence the regulation does not know."""
    known = {entry.code for entry in profile.competences}
    numbers = [task.number for task in instrument.tasks]
    if len(numbers) != len(set(numbers)):
        raise invalid("instrument.tasks", "номера заданий повторяются")
    for index, task in enumerate(instrument.tasks):
        unknown = sorted(set(task.competences) - known)
        if unknown:
            raise invalid(
                f"instrument.tasks[{index}].competences",
                f"компетенций {', '.join(unknown)} нет в регламенте;"
                f" известны: {', '.join(sorted(known))}",
            )
    count = len(instrument.tasks)
    methodical = sum(1 for task in instrument.tasks if task.focus != "subject")
    for rule in profile.instrument_rules:
        field, broken = "instrument.tasks", ""
        if rule.rule == "min_tasks" and count < rule.value:
            broken = f"в работе не менее {rule.value:g} заданий, а их {count}"
        elif rule.rule == "min_methodical_share" and methodical < math.ceil(rule.value * count):
            broken = (
                f"не менее {rule.value:.0%} заданий на оценку методических компетенций"
                f" ({math.ceil(rule.value * count)} из {count}), а их {methodical}"
            )
        elif rule.rule == "min_minutes" and instrument.minutes < rule.value:
            field, broken = (
                "instrument.minutes",
                (f"время выполнения не менее {rule.value:g} мин., а указано {instrument.minutes}"),
            )
        elif rule.rule == "max_minutes" and instrument.minutes > rule.value:
            field, broken = (
                "instrument.minutes",
                (f"время выполнения не более {rule.value:g} мин., а указано {instrument.minutes}"),
            )
        elif rule.rule == "revision_days":
            field, broken = "instrument.revised_on", _late_revision(instrument, rule.value)
        if broken:
            raise InvalidCommandError(f"instrument_{rule.rule}", f"{rule.clause}: {broken}", field)


def _late_revision(instrument: Instrument, days: float) -> str:
    expertise, revised = instrument.expertise_on, instrument.revised_on
    if expertise is None or revised is None:
        return ""
    if revised < expertise:
        return "доработка инструментария не может предшествовать экспертизе"
    limit = expertise + timedelta(days=int(days))
    if revised > limit:
        return (
            f"доработка инструментария в течение {days:g} дней со дня получения результатов"
            f" экспертизы ({expertise:%d.%m.%Y}), то есть до {limit:%d.%m.%Y}, а доработан"
            f" {revised:%d.%m.%Y}"
        )
    return ""


class Candidate(Participant):
    """A participant as the announcement names them (resolved from the monitoring tables)."""


class AnnounceCampaign(CampaignCommand):
    """Оповестить участников о месте и времени диагностики (не позднее срока регламента)."""

    title: ClassVar[str] = "Оповещение участников диагностики"

    participants: Annotated[list[Candidate], Field(min_length=1, max_length=100_000)]

    def decide_campaign(self, campaign: Campaign, context: Context) -> list[CampaignChange]:
        self.require_organiser(context)
        self.require_status(campaign, "planned", "announced")
        profile = campaign.profile
        zone = ZoneInfo(profile.time_zone)
        today = context.now.astimezone(zone).date()
        notice = profile.calendars.diagnostic_notice_days
        fresh: list[Participant] = []
        seen: set[str] = set()
        for index, given in enumerate(self.participants):
            where = f"participants[{index}]"
            if given.teacher_id in seen:
                raise invalid(f"{where}.teacher_id", f"педагог {given.teacher_id} назван дважды")
            seen.add(given.teacher_id)
            if given.teacher_id in campaign.participants:
                continue  # announced already
            group = campaign.group(given.group_id)
            if group is None:
                known = ", ".join(g.id for g in campaign.groups)
                raise invalid(f"{where}.group_id", f"группы {given.group_id} нет; есть: {known}")
            starts = group.starts_at.astimezone(zone).date()
            if (starts - today).days < notice:
                raise InvalidCommandError(
                    "diagnostic_notice_days",
                    f"педагог {given.teacher_id}: о месте и времени диагностики участников"
                    f" оповещают не позднее чем за {notice} дн. ({_notice_clause(profile)});"
                    f" группа {group.id} начинает {starts:%d.%m.%Y}, а оповещение"
                    f" {today:%d.%m.%Y}",
                    f"{where}.group_id",
                )
            fresh.append(Participant(**given.model_dump()))
        if not fresh:
            return []
        return [(ParticipantsAnnounced, {"participants": fresh})]


def _notice_clause(profile: Profile) -> str:
    clause = profile.calendars.notice_clause
    return clause or f"регламент {profile.key}"


class HoldCampaign(CampaignCommand):
    """Отметить проведение диагностики."""

    title: ClassVar[str] = "Проведение диагностики"

    held_on: Day

    def decide_campaign(self, campaign: Campaign, context: Context) -> list[CampaignChange]:
        self.require_organiser(context)
        self.require_status(campaign, "announced")
        if not campaign.starts_on <= self.held_on <= campaign.ends_on:
            raise invalid("held_on", "дата проведения вне сроков диагностики")
        if self.held_on > context.now.astimezone(ZoneInfo(campaign.profile.time_zone)).date():
            raise invalid("held_on", "дата проведения ещё не наступила")
        return [(CampaignHeld, {"held_on": self.held_on})]


class MarkAttendance(CampaignCommand):
    """Отметить участие: присутствовали и отсутствовали."""

    title: ClassVar[str] = "Отметка об участии"

    attended: Annotated[list[Ident], Field(max_length=100_000)] = Field(default_factory=list)
    absent: Annotated[list[Ident], Field(max_length=100_000)] = Field(default_factory=list)

    def decide_campaign(self, campaign: Campaign, context: Context) -> list[CampaignChange]:
        self.require_organiser(context)
        self.require_status(campaign, "announced", "held", "results_recorded")
        for name, teachers in (("attended", self.attended), ("absent", self.absent)):
            for index, teacher_id in enumerate(teachers):
                participant = campaign.participants.get(teacher_id)
                if participant is None:
                    raise invalid(f"{name}[{index}]", f"педагог {teacher_id} не участник")
                if name == "absent" and participant.recorded:
                    raise invalid(
                        f"{name}[{index}]", f"у педагога {teacher_id} уже внесён результат"
                    )
        both = set(self.attended) & set(self.absent)
        if both:
            raise invalid("absent", "отмечены и присутствующими: " + ", ".join(sorted(both)))
        return [(AttendanceMarked, {"attended": self.attended, "absent": self.absent})]


class RecordResults(CampaignCommand):
    """Note on the campaign the teachers whose results an import recorded on their routes."""

    title: ClassVar[str] = "Внесение результатов диагностики"

    teachers: list[Ident]
    file_hash: Digest

    def decide_campaign(self, campaign: Campaign, context: Context) -> list[CampaignChange]:
        self.require_organiser(context)
        self.require_status(campaign, "announced", "held", "results_recorded")
        fresh = [t for t in self.teachers if not campaign.participants[t].recorded]
        if not fresh:
            return []
        return [(ResultsRecorded, {"teachers": fresh, "file_hash": self.file_hash})]


class CloseCampaign(CampaignCommand):
    """Закрыть диагностику: участники без отметки и без результата — отсутствовали."""

    title: ClassVar[str] = "Закрытие диагностики"

    def decide_campaign(self, campaign: Campaign, context: Context) -> list[CampaignChange]:
        self.require_organiser(context)
        self.require_status(campaign, "held", "results_recorded")
        absent = [
            p.teacher_id
            for p in campaign.participants.values()
            if p.attendance == "expected" and not p.recorded
        ]
        return [(CampaignClosed, {"absent": absent})]


class RemoveParticipants(CampaignCommand):
    """Исключить участников из диагностики, с причиной (их задачи отменяются); участник с
    внесённым результатом не исключается."""

    title: ClassVar[str] = "Исключение участников диагностики"

    teachers: Annotated[list[Ident], Field(min_length=1, max_length=100_000)]
    reason: Text

    def decide_campaign(self, campaign: Campaign, context: Context) -> list[CampaignChange]:
        self.require_organiser(context)
        self.require_status(campaign, "announced", "held")
        seen: set[str] = set()
        for index, teacher_id in enumerate(self.teachers):
            participant = campaign.participants.get(teacher_id)
            if teacher_id in seen:
                raise invalid(f"teachers[{index}]", f"педагог {teacher_id} назван дважды")
            seen.add(teacher_id)
            if participant is None:
                raise invalid(f"teachers[{index}]", f"педагог {teacher_id} не участник")
            if participant.recorded:
                raise invalid(f"teachers[{index}]", f"у педагога {teacher_id} уже внесён результат")
        return [(ParticipantsRemoved, {"teachers": self.teachers, "reason": self.reason})]


class CancelCampaign(CampaignCommand):
    """Отменить диагностику, с причиной (задачи участников отменяются): пока она не проведена."""

    title: ClassVar[str] = "Отмена диагностики"

    reason: Text

    def decide_campaign(self, campaign: Campaign, context: Context) -> list[CampaignChange]:
        self.require_organiser(context)
        self.require_status(campaign, "planned", "announced")
        return [(CampaignCancelled, {"reason": self.reason})]


def taken_on(campaign: Campaign, group_id: str) -> date:
    """The day a group took the diagnostic: its start, in the region."""
    group = cast(Group, campaign.group(group_id))
    return group.starts_at.astimezone(ZoneInfo(campaign.profile.time_zone)).date()


def recorded_levels(campaign: Campaign, participant: Participant, route: Route) -> dict[str, int]:
    """The levels the campaign's diagnostic found on the participant's route (none before its
    result is recorded): the input's, the final's, or the intermediate one taken that day."""
    if not participant.recorded:
        return {}
    if campaign.kind == "input":
        return route.input_levels
    if campaign.kind == "final":
        return route.final_levels
    day = taken_on(campaign, participant.group_id)
    taken = [r for r in route.intermediate_diagnostics if r.diagnostic.taken_on == day]
    return taken[-1].levels if taken else {}
