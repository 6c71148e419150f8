"""What the API takes and gives beside the commands themselves (those are the route's own
command models): opening a route, the answer to a command, a route's state."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, Generic, TypeVar
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

from aggregates.profiles import Stage
from aggregates.route import (
    ActivityRecord,
    Agreement,
    CertificateRecord,
    Conclusions,
    Correction,
    FinalEventRecord,
    InterimResult,
    Return,
    Route,
)
from aggregates.values import Checked, Diagnostic, Ident, Name, Plan, Role, Text
from api.endpoints.regulations import edition_href
from api.problems import Problem

EXAMPLE_ROUTE_ID = "3f1c9a52-7d7e-5b1a-9c55-0e6a1f0a2b11"
OPEN_EXAMPLE: dict[str, Any] = {
    "route_key": "portal-2026-000451",
    "teacher_id": "teacher-000451",
    "school_id": "school-sakha-07",
    "municipality_id": "mun-sakha-yakutsk",
    "subject": "математика",
}


class OpenRouteRequest(Checked):
    """Открыть ИОМ педагога. Регион берётся из токена; повторное открытие с тем же
    `route_key` тем же запросом находит уже открытый ИОМ."""

    model_config = ConfigDict(
        extra="forbid",
        frozen=True,
        json_schema_extra={"examples": [OPEN_EXAMPLE]},
    )

    route_key: Ident = Field(description="Ключ ИОМ в портале; идентификатор ИОМ выводится из него.")
    teacher_id: Ident = Field(description="Идентификатор педагога (не ФИО).")
    school_id: Ident = Field(description="Идентификатор образовательной организации.")
    municipality_id: Ident = Field(description="Идентификатор муниципалитета.")
    subject: Name = Field(description="Преподаваемый предмет.")


class CommandAccepted(BaseModel):
    """Команда принята и записана в ИОМ: его новая версия."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "route_id": EXAMPLE_ROUTE_ID,
                    "command": "agree_route",
                    "command_id": "api-5b0e3c1e-8c0f-5f47-a1b6-1f3a2c9d8e77",
                    "version": 9,
                }
            ]
        }
    )

    route_id: UUID = Field(description="Идентификатор ИОМ.")
    command: str = Field(description="Выполненная команда.")
    command_id: str = Field(
        description="Идентификатор команды в журнале ИОМ (выводится из Idempotency-Key)."
    )
    version: int = Field(description="Версия ИОМ после команды.")


ROUTE_EXAMPLE: dict[str, Any] = {
    "id": EXAMPLE_ROUTE_ID,
    "version": 8,
    "region": "sakha",
    "profile": "sakha@1",
    "regulation": "/regulations/sakha/1",
    "stage": "agreement",
    "stage_name": "Согласование и утверждение ИОМ",
    "route_key": "portal-2026-000451",
    "teacher_id": "teacher-000451",
    "school_id": "school-sakha-07",
    "municipality_id": "mun-sakha-yakutsk",
    "subject": "математика",
    "methodist_id": "methodist-sakha-02",
    "term": 1,
    "revision": 1,
    "plan_hash": "9d2f…",
    "pending_parties": ["centre_head"],
    "paused": False,
    "closed": False,
    "created_on": "2026-09-01T02:00:00Z",
    "modified_on": "2026-09-20T05:30:00Z",
    "chain_head": "4be1…",
}


class DatedFact(BaseModel):
    """Событие ИОМ с датой, к которой оно относится, и моментом, когда оно внесено."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "version": 14,
                    "event_type": "ActivityCompleted",
                    "occurred_on": "2026-12-30",
                    "recorded_at": "2027-01-09T03:15:00Z",
                    "summary": "Мероприятие a1 выполнено 30.12.2026",
                }
            ]
        }
    )

    version: int = Field(description="Версия ИОМ, которую событие создало.")
    event_type: str = Field(description="Тип события.")
    occurred_on: date = Field(description="Дата, к которой относится факт (в регионе).")
    recorded_at: datetime = Field(description="Когда событие внесено.")
    summary: str = Field(description="Запись по-русски в терминах регламента.")


class RouteState(BaseModel):
    """ИОМ сейчас: этап, стороны, план, согласование, мониторинг, корректировки, итоги.
    Персональных данных (ФИО и т. п.) здесь нет: только идентификаторы."""

    model_config = ConfigDict(json_schema_extra={"examples": [ROUTE_EXAMPLE]})

    id: UUID = Field(description="Идентификатор ИОМ.")
    version: int = Field(description="Версия: число событий ИОМ.")
    region: str = Field(description="Код регламента региона.")
    profile: str = Field(description="Редакция регламента, по которой идёт ИОМ (`код@версия`).")
    regulation: str = Field(
        description="Адрес этой редакции регламента целиком: `GET /regulations/{код}/{версия}`."
    )
    stage: Stage = Field(description="Этап ИОМ.")
    stage_name: str = Field(description="Название этапа по регламенту региона.")
    route_key: str = Field(description="Ключ ИОМ в портале.")
    teacher_id: str = Field(description="Идентификатор педагога.")
    school_id: str = Field(description="Идентификатор образовательной организации.")
    municipality_id: str = Field(description="Идентификатор муниципалитета.")
    subject: str = Field(description="Преподаваемый предмет.")
    methodist_id: str | None = Field(default=None, description="Закреплённый методист.")
    term: int = Field(description="Срок ИОМ по счёту (после продления — 2 и далее).")
    input_diagnostic: Diagnostic | None = Field(default=None, description="Входная диагностика.")
    input_levels: dict[str, int] = Field(
        default={}, description="Уровни компетенций по входной диагностике (1–4)."
    )
    plan: Plan | None = Field(default=None, description="Спроектированный ИОМ (Карта ИОМ).")
    revision: int = Field(description="Редакция плана (растёт с каждым проектированием).")
    plan_hash: str | None = Field(
        default=None, description="Хэш плана: согласование подтверждает именно эту редакцию."
    )
    pending_parties: list[Role] = Field(
        default=[], description="Стороны текущего круга согласования, чей ответ ожидается."
    )
    agreements: list[Agreement] = Field(default=[], description="Ответы сторон согласования.")
    returns: list[Return] = Field(default=[], description="Возвраты на доработку с замечаниями.")
    approved_at: datetime | None = Field(default=None, description="Когда ИОМ утверждён.")
    activities: dict[str, ActivityRecord] = Field(
        default={}, description="Мониторинг мероприятий по их идентификаторам."
    )
    interim_results: list[InterimResult] = Field(default=[], description="Промежуточные итоги.")
    corrections: list[Correction] = Field(default=[], description="Корректировки ИОМ.")
    self_reflection: str | None = Field(default=None, description="Саморефлексия педагога.")
    final_event: FinalEventRecord | None = Field(
        default=None, description="Заключительное публичное мероприятие."
    )
    final_diagnostic: Diagnostic | None = Field(default=None, description="Итоговая диагностика.")
    final_levels: dict[str, int] = Field(
        default={}, description="Уровни компетенций по итоговой диагностике (1–4)."
    )
    conclusions: Conclusions | None = Field(default=None, description="Выводы по ИОМ.")
    certificate: CertificateRecord | None = Field(default=None, description="Сертификат.")
    cancel_reason: str | None = Field(default=None, description="Причина отмены.")
    deadline_extensions: dict[str, date] = Field(
        default={}, description="Сроки, продлённые оператором: ключ срока → новая дата."
    )
    paused: bool = Field(description="Приостановлен оператором.")
    closed: bool = Field(description="Завершён или отменён.")
    created_on: datetime = Field(description="Когда открыт.")
    modified_on: datetime = Field(description="Когда изменён последний раз.")
    chain_head: str = Field(
        description="Хэш последнего звена цепочки событий (проверка: iom audit verify)."
    )
    as_of_date: date | None = Field(
        default=None,
        description=(
            "Дата, на которую показан ИОМ (запрошена `as_of_date`): всё, что произошло по эту"
            " дату включительно, когда бы ни было внесено."
        ),
    )
    recorded_later: list[DatedFact] = Field(
        default=[],
        description=(
            "Факты этой даты или раньше, внесённые после её окончания (в часовом поясе"
            " региона): в них ИОМ «каким он был» расходится с ИОМ «каким его знали» на конец"
            " даты (`as_of` — конец даты)."
        ),
    )
    not_applied: list[DatedFact] = Field(
        default=[],
        description=(
            "Факты этой даты или раньше, которые не ложатся на ИОМ, каким он был на эту дату"
            " (например, мероприятие выполнено раньше, чем корректировка его добавила): не"
            " учтены."
        ),
    )

    @classmethod
    def of(cls, route: Route) -> RouteState:
        """The state of `route` as the portal reads it."""
        return cls(
            id=route.id,
            version=route.version,
            region=route.profile.id,
            profile=route.profile.key,
            regulation=edition_href(route.profile.id, route.profile.version),
            stage=route.stage,
            stage_name=route.profile.stage_names[route.stage],
            route_key=route.route_key,
            teacher_id=route.teacher_id,
            school_id=route.school_id,
            municipality_id=route.municipality_id,
            subject=route.subject,
            methodist_id=route.methodist_id,
            term=route.term,
            input_diagnostic=route.input_diagnostic,
            input_levels=route.input_levels,
            plan=route.plan,
            revision=route.revision,
            plan_hash=route.plan_hash,
            pending_parties=route.pending_parties(),
            agreements=route.agreements,
            returns=route.returns,
            approved_at=route.approved_at,
            activities=route.activities,
            interim_results=route.interim_results,
            corrections=route.corrections,
            self_reflection=route.self_reflection,
            final_event=route.final_event,
            final_diagnostic=route.final_diagnostic,
            final_levels=route.final_levels,
            conclusions=route.conclusions,
            certificate=route.certificate,
            cancel_reason=route.cancel_reason,
            deadline_extensions=route.extensions,
            paused=route.paused,
            closed=route.closed,
            created_on=route.created_on,
            modified_on=route.modified_on,
            chain_head=route.chain_head,
        )


class FoundRoutes(BaseModel):
    """ИОМ с этим ключом портала в пределах доступа токена: один или ни одного."""

    model_config = ConfigDict(json_schema_extra={"examples": [{"items": [ROUTE_EXAMPLE]}]})

    items: list[RouteState] = Field(description="Найденный ИОМ (или пустой список).")


LINE_EXAMPLE: dict[str, Any] = {
    "version": 9,
    "recorded_at": "2026-09-25T03:10:00Z",
    "event_type": "AgreementGiven",
    "actor_id": "centre-head-sakha",
    "role": "centre_head",
    "command_id": "api-5b0e3c1e-8c0f-5f47-a1b6-1f3a2c9d8e77",
    "summary": "Руководитель ЦНППМ: согласовано (редакция 1)",
    "chain_hash": "4be1f0c2…",
}


class HistoryLine(BaseModel):
    """Одно событие ИОМ в журнале: версия, время, тип, кто и в какой роли, строка по-русски,
    звено цепочки хэшей."""

    model_config = ConfigDict(json_schema_extra={"examples": [LINE_EXAMPLE]})

    version: int = Field(description="Версия ИОМ после события.")
    recorded_at: datetime = Field(description="Когда событие записано.")
    event_type: str = Field(description="Тип события.")
    actor_id: str = Field(description="Кто действовал (идентификатор).")
    role: Role = Field(description="Роль действовавшего.")
    command_id: str = Field(description="Идентификатор команды.")
    summary: str = Field(description="Событие одной строкой по-русски, в терминах регламента.")
    chain_hash: str = Field(description="Звено цепочки хэшей (проверка: iom audit verify).")


class RouteHistory(BaseModel):
    """История ИОМ из хранилища событий: каждое событие от открытия, старые первыми."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "route_id": EXAMPLE_ROUTE_ID,
                    "version": 9,
                    "events": [LINE_EXAMPLE],
                }
            ]
        }
    )

    route_id: UUID = Field(description="Идентификатор ИОМ.")
    version: int = Field(description="Текущая версия ИОМ.")
    events: list[HistoryLine] = Field(description="События, старые первыми.")


ItemT = TypeVar("ItemT", bound=BaseModel)

BATCH_CEILING = 1000
"""The most items a batch's schema admits; the setting `IOM_API_MAX_BATCH` may allow fewer."""

DIAGNOSTIC_EXAMPLE: dict[str, Any] = {
    "taken_on": "2026-09-10",
    "platform": "ЦНППМ РС(Я)",
    "tasks": [{"number": 1, "competences": ["subject"], "level": 2}],
}


class BatchRequest(BaseModel, Generic[ItemT]):
    """A batch: its items, each decided as its single command would be (the subclasses name
    the item's model and describe the batch)."""

    model_config = ConfigDict(extra="forbid")

    items: list[ItemT] = Field(
        min_length=1,
        max_length=BATCH_CEILING,
        description="Элементы пакета: каждый — как отдельная команда, с отдельным ответом.",
    )


class OpenRoutesRequest(BatchRequest[OpenRouteRequest]):
    """Открыть ИОМ многим педагогам одним запросом (например, по итогам набора): каждый
    элемент — как тело `POST /routes`, ответ — по каждому элементу отдельно."""

    model_config = ConfigDict(
        json_schema_extra={"examples": [{"items": [OPEN_EXAMPLE]}]},
    )


class DiagnosticItem(Checked):
    """Результаты входной диагностики одного педагога: его ИОМ и диагностика."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [{"route_id": EXAMPLE_ROUTE_ID, "diagnostic": DIAGNOSTIC_EXAMPLE}]
        },
    )

    route_id: UUID = Field(description="Идентификатор ИОМ.")
    diagnostic: Diagnostic = Field(description="Результаты диагностической работы.")


class RecordDiagnosticsRequest(BatchRequest[DiagnosticItem]):
    """Результаты диагностической кампании: входная диагностика многих ИОМ одним запросом
    (методист — по закреплённым за ним ИОМ на этапе диагностики)."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {"items": [{"route_id": EXAMPLE_ROUTE_ID, "diagnostic": DIAGNOSTIC_EXAMPLE}]}
            ]
        },
    )


ITEM_EXAMPLE: dict[str, Any] = {
    "index": 0,
    "status": 200,
    "route_id": EXAMPLE_ROUTE_ID,
    "command_id": "api-5b0e3c1e-8c0f-5f47-a1b6-1f3a2c9d8e77.0",
    "version": 3,
    "problem": None,
}


class BatchItemResult(BaseModel):
    """Ответ по одному элементу пакета: принят (ИОМ и его версия) или отклонён (ошибка
    с правилом и полем `items[i]…`). Отклонённый элемент ничего не записал."""

    model_config = ConfigDict(json_schema_extra={"examples": [ITEM_EXAMPLE]})

    index: int = Field(description="Номер элемента в запросе (с нуля).")
    status: int = Field(description="HTTP-код, который получил бы элемент отдельным запросом.")
    route_id: UUID | None = Field(default=None, description="Идентификатор ИОМ.")
    command_id: str | None = Field(default=None, description="Идентификатор команды элемента.")
    version: int | None = Field(default=None, description="Версия ИОМ после команды.")
    problem: Problem | None = Field(default=None, description="Почему элемент отклонён.")


class BatchAccepted(BaseModel):
    """Пакет обработан: ответ по каждому элементу в порядке запроса. Принятые элементы
    записаны, отклонённые — нет."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "command": "record_diagnostic",
                    "accepted": 1,
                    "refused": 0,
                    "items": [ITEM_EXAMPLE],
                }
            ]
        }
    )

    command: str = Field(description="Команда элементов пакета.")
    accepted: int = Field(description="Сколько элементов принято.")
    refused: int = Field(description="Сколько элементов отклонено.")
    items: list[BatchItemResult] = Field(description="Ответы по элементам, в порядке запроса.")


MAX_REPLACED_ROUTES = 5000
"""The most routes one replacement of a methodist names (a methodist serves 100–150)."""
ReplacedRoutes = Annotated[list[UUID], Field(min_length=1, max_length=MAX_REPLACED_ROUTES)]


class ReplaceMethodistRequest(Checked):
    """Заменить методиста по распорядительному акту: на указанных ИОМ или на всех открытых ИОМ
    методиста в регионе токена."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "methodist_id": "methodist-sakha-17",
                    "order": "Распоряжение ЦНППМ № 88 от 01.09.2026",
                    "reason": "Увольнение методиста",
                    "route_ids": None,
                }
            ]
        },
    )

    methodist_id: Ident = Field(description="Id нового методиста.")
    order: Name = Field(description="Распорядительный акт: номер и дата.")
    reason: Text = Field(description="Причина замены; записывается в каждый ИОМ.")
    route_ids: ReplacedRoutes | None = Field(
        default=None,
        description="ИОМ, на которых заменить методиста; без них — все открытые ИОМ методиста"
        " в регионе токена (по таблицам мониторинга).",
    )
