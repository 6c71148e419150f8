"""The API's models of a diagnostic campaign: what is asked (announcement) and answered (the
campaign, its participants, an import's report). Ids only: no teacher's name."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

from aggregates.campaign import KIND_TITLES, STATUS_TITLES, Campaign, Group, Instrument
from aggregates.values import Code, Ident, Name
from api.campaign_glossary import GROUP, INSTRUMENT

Ids = Annotated[list[Ident], Field(max_length=10_000)]
PARTICIPANT: dict[str, Any] = {
    "teacher_id": "teacher-sakha-00001",
    "route_id": "f5f1e611-990d-577c-92ce-f1ed98d56620",
    "school_id": "school-sakha-01",
    "municipality_id": "mun-sakha-01",
    "subject": "математика",
    "group_id": "g1",
    "announced_at": "2026-06-15T03:00:00Z",
    "attendance": "attended",
    "recorded": True,
}


class AnnounceRequest(BaseModel):
    """Кого оповестить: педагоги с открытыми ИОМ региона из названных ОО, муниципалитетов,
    предметов или списка (каждый заданный список сужает выбор), и их группа."""

    model_config = ConfigDict(
        json_schema_extra={"examples": [{"group_id": "g1", "school_ids": ["school-sakha-01"]}]}
    )

    group_id: Code = Field(description="Группа диагностики: место и время.")
    school_ids: Ids = Field(default=[], description="ОО (id).")
    municipality_ids: Ids = Field(default=[], description="Муниципалитеты (id).")
    subjects: Annotated[list[Name], Field(max_length=100)] = Field(
        default=[], description="Предметы."
    )
    teacher_ids: Ids = Field(default=[], description="Педагоги (id).")


class ParticipantView(BaseModel):
    """Участник диагностики."""

    model_config = ConfigDict(json_schema_extra={"examples": [PARTICIPANT]})

    teacher_id: str = Field(description="Педагог (id).")
    route_id: UUID = Field(description="ИОМ педагога, в который вносится результат.")
    school_id: str = Field(description="ОО (id).")
    municipality_id: str = Field(description="Муниципалитет (id).")
    subject: str = Field(description="Предмет.")
    group_id: str = Field(description="Группа диагностики.")
    announced_at: datetime | None = Field(default=None, description="Когда оповещён.")
    attendance: str = Field(
        description="expected — ожидается, attended — участвовал, absent — отсутствовал."
    )
    recorded: bool = Field(description="Результат внесён в ИОМ.")


class CampaignView(BaseModel):
    """Диагностика профессиональных дефицитов."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "campaign_id": "0b6c1f3e-8f0a-4d9b-a3c2-5e7d1a9c4b21",
                    "version": 3,
                    "campaign_key": "math-2026-input",
                    "region": "sakha",
                    "profile": "sakha@1",
                    "kind": "input",
                    "kind_name": "входная",
                    "title": "Входная диагностика учителей математики",
                    "platform": "РАС «Ситуационный центр»",
                    "instrument": INSTRUMENT,
                    "starts_on": "2026-06-16",
                    "ends_on": "2026-06-30",
                    "groups": [GROUP],
                    "status": "results_recorded",
                    "status_name": "результаты внесены",
                    "held_on": None,
                    "participants_count": 1,
                    "absent_count": 0,
                    "recorded_count": 1,
                    "participants": [PARTICIPANT],
                }
            ]
        }
    )

    campaign_id: UUID = Field(description="Id диагностики.")
    version: int = Field(description="Версия: число её событий.")
    campaign_key: str = Field(description="Ключ диагностики в ЦНППМ.")
    region: str = Field(description="Регион (код регламента).")
    profile: str = Field(description="Редакция регламента, по которой она проводится.")
    kind: str = Field(description="Вид: input, intermediate, final.")
    kind_name: str = Field(description="Вид словами.")
    title: str = Field(description="Название.")
    platform: str = Field(description="Платформа.")
    instrument: Instrument = Field(description="Инструментарий.")
    starts_on: date = Field(description="Начало.")
    ends_on: date = Field(description="Окончание.")
    groups: list[Group] = Field(description="Группы: место и время.")
    status: str = Field(description="Этап: planned, announced, held, results_recorded, closed.")
    status_name: str = Field(description="Этап словами.")
    held_on: date | None = Field(default=None, description="Дата проведения.")
    participants_count: int = Field(description="Участников.")
    absent_count: int = Field(description="Отсутствовали.")
    recorded_count: int = Field(description="Результаты внесены в ИОМ.")
    participants: list[ParticipantView] = Field(
        default=[], description="Участники (в списке диагностик — пусто)."
    )


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

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "campaign_id": "0b6c1f3e-8f0a-4d9b-a3c2-5e7d1a9c4b21",
                    "file_hash": "9f2c" * 16,
                    "rows": 250,
                    "recorded": 250,
                    "unchanged": 0,
                    "events": 252,
                }
            ]
        }
    )

    campaign_id: UUID = Field(description="Id диагностики.")
    file_hash: str = Field(description="SHA-256 файла.")
    rows: int = Field(description="Строк результатов в файле.")
    recorded: int = Field(description="Результатов внесено сейчас.")
    unchanged: int = Field(description="Результатов, внесённых ранее (повтор файла).")
    events: int = Field(description="Событий записано.")
