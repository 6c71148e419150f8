"""The API's models of a diagnostic campaign: what is asked (announcement) and answered (the
campaign, its participants, an import's report). Ids only: no teacher's name."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated
from uuid import UUID

from pydantic import BaseModel, Field

from aggregates.campaign import KIND_TITLES, STATUS_TITLES, Campaign, Group, Instrument
from aggregates.values import Code, Ident, Name

Ids = Annotated[list[Ident], Field(max_length=10_000)]


class AnnounceRequest(BaseModel):
    """Кого оповестить: педагоги с открытыми ИОМ региона из названных ОО, муниципалитетов,
    предметов или списка (каждый заданный список сужает выбор), и их группа."""

    group_id: Code = Field(description="Группа диагностики: место и время.")
    school_ids: Ids = []
    municipality_ids: Ids = []
    subjects: Annotated[list[Name], Field(max_length=100)] = []
    teacher_ids: Ids = []


class ParticipantView(BaseModel):
    """Участник диагностики."""

    teacher_id: str
    route_id: UUID
    school_id: str
    municipality_id: str
    subject: str
    group_id: str
    announced_at: datetime | None
    attendance: str = Field(
        description="expected — ожидается, attended — участвовал, absent — отсутствовал."
    )
    recorded: bool = Field(description="Результат внесён в ИОМ.")


class CampaignView(BaseModel):
    """Диагностика профессиональных дефицитов."""

    campaign_id: UUID
    version: int
    campaign_key: str
    region: str
    profile: str
    kind: str
    kind_name: str
    title: str
    platform: str
    instrument: Instrument
    starts_on: date
    ends_on: date
    groups: list[Group]
    status: str
    status_name: str
    held_on: date | None
    participants_count: int
    absent_count: int
    recorded_count: int
    participants: list[ParticipantView] = []


def campaign_view(campaign: Campaign, *, participants: bool = True) -> CampaignView:
    """The campaign as the API shows it (its participants too, unless a list of campaigns)."""
    people = list(campaign.participants.values())
    return CampaignView(
        campaign_id=campaign.id,
        version=campaign.version,
        campaign_key=campaign.campaign_key,
        region=campaign.profile.id,
        profile=campaign.profile.key,
        kind=campaign.kind,
        kind_name=KIND_TITLES[campaign.kind],
        title=campaign.title,
        platform=campaign.platform,
        instrument=campaign.instrument,
        starts_on=campaign.starts_on,
        ends_on=campaign.ends_on,
        groups=campaign.groups,
        status=campaign.status,
        status_name=STATUS_TITLES[campaign.status],
        held_on=campaign.held_on,
        participants_count=len(people),
        absent_count=len(campaign.absentees),
        recorded_count=sum(1 for p in people if p.recorded),
        participants=[ParticipantView(**p.model_dump()) for p in people] if participants else [],
    )


class ImportAnswer(BaseModel):
    """Итог загрузки результатов: строк в файле, внесено сейчас, внесено ранее (повтор файла)."""

    campaign_id: UUID
    file_hash: str
    rows: int
    recorded: int
    unchanged: int
    events: int
