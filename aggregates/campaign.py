"""A diagnostic campaign (диагностика профессиональных дефицитов): its own event-sourced
aggregate beside the routes, in the same store.

A campaign is planned by the region's centre (kind, platform, instrument, dates, groups with
place and time), announced to its participants (teachers, each with the route the result will be
recorded on), held, its results recorded from the platform's export, its attendance marked, and
closed. Each step is an event with who did it and under which command id (a retried command
appends nothing). Events carry ids only: teachers, routes, schools, never a name.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Annotated, Any, Literal
from uuid import UUID

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field
from typing_extensions import override

from aggregates.profiles import Profile
from aggregates.route import CommandRecord
from aggregates.values import Actor, Code, Day, Ident, Name, Text, Title, Value

CAMPAIGN_NAMESPACE = UUID("0b6c1f3e-8f0a-4d9b-a3c2-5e7d1a9c4b21")

Kind = Literal["input", "intermediate", "final"]
KIND_TITLES: dict[str, str] = {
    "input": "входная",
    "intermediate": "промежуточная",
    "final": "итоговая",
}
Focus = Literal["subject", "methodical", "both"]
"""What a task assesses (диагностика 4.5: предметные, методические компетенции, или те и другие)."""
Attendance = Literal["expected", "attended", "absent"]
Status = Literal["planned", "announced", "held", "results_recorded", "closed", "cancelled"]
STATUS_TITLES: dict[str, str] = {
    "planned": "запланирована",
    "announced": "объявлена",
    "held": "проведена",
    "results_recorded": "результаты внесены",
    "closed": "закрыта",
    "cancelled": "отменена",
}


def campaign_id_for(region: str, campaign_key: str) -> UUID:
    """The campaign id from its region and the centre's own key: a retried plan finds it."""
    return uuid.uuid5(CAMPAIGN_NAMESPACE, f"{region}/{campaign_key}")


class InstrumentTask(Value):
    """One task (задание) of the diagnostic work: the competences it measures and its focus."""

    number: Annotated[int, Field(ge=1, le=500)]
    competences: Annotated[list[Code], Field(min_length=1, max_length=10)]
    focus: Focus


class Instrument(Value):
    """Инструментарий: the diagnostic work's tasks, its duration, and its expertise (4.8–4.9)."""

    title: Title
    minutes: Annotated[int, Field(ge=1, le=1440)]  # время выполнения работы
    tasks: Annotated[list[InstrumentTask], Field(min_length=1, max_length=500)]
    expertise_on: Day | None = None  # получены результаты экспертизы
    revised_on: Day | None = None  # инструментарий доработан по замечаниям экспертизы


class Group(Value):
    """A group of participants: where and when it takes the diagnostic."""

    id: Code
    place: Name  # место проведения (аудитория, адрес или платформа)
    starts_at: AwareDatetime  # дата и время начала


class Participant(Value):
    """A teacher taking part, with the route their result is recorded on."""

    teacher_id: Ident
    route_id: UUID
    school_id: Ident
    municipality_id: Ident
    subject: Name
    group_id: Code
    announced_at: datetime | None = None
    attendance: Attendance = "expected"
    recorded: bool = False  # the result is recorded on the route


class Campaign(BaseModel):
    """One campaign: everything its events established."""

    model_config = ConfigDict(extra="forbid")

    id: UUID
    version: int
    created_on: datetime
    modified_on: datetime
    campaign_key: str
    profile: Profile
    kind: Kind
    title: str
    platform: str
    instrument: Instrument
    starts_on: date
    ends_on: date
    groups: list[Group]
    status: Status = "planned"
    held_on: date | None = None
    participants: dict[str, Participant] = Field(default_factory=dict)  # by teacher id
    commands: dict[str, CommandRecord] = Field(default_factory=dict)

    def group(self, group_id: str) -> Group | None:
        """The campaign's group with that id, if any."""
        return next((g for g in self.groups if g.id == group_id), None)

    @property
    def absentees(self) -> list[Participant]:
        """The participants marked absent."""
        return [p for p in self.participants.values() if p.attendance == "absent"]


class CampaignEvent(BaseModel):
    """What every event of a campaign records besides its own facts."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    originator_id: UUID
    originator_version: int
    timestamp: datetime
    actor: Actor
    command_id: str
    command_hash: str

    def mutate(self, campaign: Campaign | None) -> Campaign:
        """The campaign after this event (the repository's projector calls this)."""
        if campaign is None:
            raise TypeError(f"{type(self).__name__} cannot start a campaign")
        self.apply(campaign)
        campaign.version = self.originator_version
        campaign.modified_on = self.timestamp
        campaign.commands[self.command_id] = CommandRecord(
            version=self.originator_version, fingerprint=self.command_hash
        )
        return campaign

    def apply(self, campaign: Campaign) -> None:
        """The event's effect on the campaign."""
        raise NotImplementedError

    def summary(self) -> str:
        """The event in one Russian line."""
        raise NotImplementedError(type(self).__name__)


class CampaignPlanned(CampaignEvent):
    """Диагностика запланирована: under the region's regulation, copied in whole."""

    campaign_key: Ident
    profile: Profile
    kind: Kind
    title: Title
    platform: Name
    instrument: Instrument
    starts_on: date
    ends_on: date
    groups: list[Group]

    @override
    def mutate(self, campaign: Campaign | None) -> Campaign:
        fields = self.model_dump(exclude=set(CampaignEvent.model_fields))
        fields |= {"profile": self.profile, "instrument": self.instrument, "groups": self.groups}
        return Campaign(
            id=self.originator_id,
            version=self.originator_version,
            created_on=self.timestamp,
            modified_on=self.timestamp,
            commands={
                self.command_id: CommandRecord(
                    version=self.originator_version, fingerprint=self.command_hash
                )
            },
            **fields,
        )

    @override
    def summary(self) -> str:
        return f"Запланирована {KIND_TITLES[self.kind]} диагностика «{self.title}»"


class ParticipantsAnnounced(CampaignEvent):
    """Участники оповещены о месте и времени диагностики (диагностика 5.3)."""

    participants: list[Participant]

    def apply(self, campaign: Campaign) -> None:
        for participant in self.participants:
            announced = participant.model_copy(update={"announced_at": self.timestamp})
            campaign.participants[participant.teacher_id] = announced
        campaign.status = "announced"

    @override
    def summary(self) -> str:
        return f"Оповещены участники диагностики: {len(self.participants)}"


class CampaignHeld(CampaignEvent):
    """Диагностика проведена."""

    held_on: date

    def apply(self, campaign: Campaign) -> None:
        campaign.held_on = self.held_on
        campaign.status = "held"

    @override
    def summary(self) -> str:
        return f"Диагностика проведена {self.held_on:%d.%m.%Y}"


class AttendanceMarked(CampaignEvent):
    """Отметка об участии: who attended, who was absent."""

    attended: list[Ident]
    absent: list[Ident]

    def apply(self, campaign: Campaign) -> None:
        _mark(campaign, self.attended, "attended")
        _mark(campaign, self.absent, "absent")

    @override
    def summary(self) -> str:
        return (
            f"Отмечено участие: присутствовали {len(self.attended)},"
            f" отсутствовали {len(self.absent)}"
        )


class ResultsRecorded(CampaignEvent):
    """Результаты диагностики внесены в ИОМ участников (from the platform's export)."""

    teachers: list[Ident]
    file_hash: str  # the export's SHA-256: which file brought them

    def apply(self, campaign: Campaign) -> None:
        for teacher_id in self.teachers:
            participant = campaign.participants[teacher_id]
            campaign.participants[teacher_id] = participant.model_copy(
                update={"recorded": True, "attendance": "attended"}
            )
        campaign.status = "results_recorded"

    @override
    def summary(self) -> str:
        return f"Внесены результаты диагностики: {len(self.teachers)} участников"


class CampaignClosed(CampaignEvent):
    """Диагностика закрыта; those with no mark and no result are absent."""

    absent: list[Ident]

    def apply(self, campaign: Campaign) -> None:
        _mark(campaign, self.absent, "absent")
        campaign.status = "closed"

    @override
    def summary(self) -> str:
        return f"Диагностика закрыта; отсутствовали без отметки: {len(self.absent)}"


class ParticipantsRemoved(CampaignEvent):
    """Участники исключены из диагностики, с причиной: их задачи отменены."""

    teachers: list[Ident]
    reason: Text

    def apply(self, campaign: Campaign) -> None:
        for teacher_id in self.teachers:
            del campaign.participants[teacher_id]

    @override
    def summary(self) -> str:
        return f"Исключены участники диагностики: {len(self.teachers)}; причина: {self.reason}"


class CampaignCancelled(CampaignEvent):
    """Диагностика отменена, с причиной: задачи её участников отменены."""

    reason: Text

    def apply(self, campaign: Campaign) -> None:
        campaign.status = "cancelled"

    @override
    def summary(self) -> str:
        return f"Диагностика отменена; причина: {self.reason}"


def _mark(campaign: Campaign, teachers: list[str], attendance: Attendance) -> None:
    for teacher_id in teachers:
        participant = campaign.participants[teacher_id]
        campaign.participants[teacher_id] = participant.model_copy(
            update={"attendance": attendance}
        )


def project_campaign(campaign: Campaign | None, events: Any) -> Campaign | None:
    """The campaign after `events`, from `campaign` or from nothing."""
    for event in events:
        campaign = event.mutate(campaign)
    return campaign
