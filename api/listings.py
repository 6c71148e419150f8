"""The monitoring lists and the audit trail as the API serves them.

Each list is a read model of `projections` (its `Listing`: source, filters, sortable columns,
key), the model of its rows (built from the listing's columns, each described in Russian, with
an example), the model of its page, and the roles that may read it: `None` for every portal role
within its reach (see `api.access.list_scope`), or the few roles that plan region-wide (and,
held to their reach, a methodist for their own load, a school head for their school's dynamics).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, create_model

from aggregates.values import Role
from api.access import REGION_ROLES
from api.iso import IsoDate, IsoMoment
from api.models import EXAMPLE_ROUTE_ID, LINE_EXAMPLE
from projections import activities, agreement, audit, corrections, diagnostics, dynamics, routes
from projections.tables import Kind, Listing

TYPES: dict[Kind, type] = {
    "text": str,
    "int": int,
    "real": float,
    "bool": bool,
    "date": IsoDate,
    "time": IsoMoment,
    "uuid": UUID,
}

FIELDS: dict[str, str] = {
    "route_id": "Идентификатор ИОМ.",
    "route_key": "Ключ ИОМ в портале.",
    "profile_id": "Код регламента региона.",
    "profile_key": "Редакция регламента (`код@версия`).",
    "municipality_id": "Идентификатор муниципалитета.",
    "school_id": "Идентификатор образовательной организации.",
    "subject": "Преподаваемый предмет.",
    "methodist_id": "Закреплённый методист (идентификатор).",
    "teacher_id": "Идентификатор педагога (не ФИО).",
    "stage": "Этап ИОМ.",
    "stage_name": "Название этапа по регламенту региона.",
    "term": "Срок ИОМ по счёту (после продления — 2 и далее).",
    "starts_on": "Дата начала.",
    "ends_on": "Дата окончания.",
    "opened_on": "Когда ИОМ открыт (дата в часовом поясе региона).",
    "approved_on": "Когда ИОМ утверждён (дата в часовом поясе региона).",
    "activities": "Мероприятий в плане.",
    "not_done": "Мероприятий не выполнено.",
    "share_done": "Доля выполненных мероприятий (0–1).",
    "next_deadline": "Ближайший срок: окончание невыполненного мероприятия или срока ИОМ.",
    "corrections": "Корректировок ИОМ.",
    "version": "Версия ИОМ (число событий).",
    "updated_at": "Когда ИОМ изменён последний раз.",
    "activity_id": "Идентификатор мероприятия в плане.",
    "position": "Порядковый номер мероприятия в плане.",
    "title": "Название мероприятия.",
    "competences": "Коды компетенций через запятую.",
    "direction": "Направление дорожной карты.",
    "level": "Уровень мероприятия.",
    "organiser": "Организатор.",
    "result_form": "Форма представления результата.",
    "status": "Отметка: planned — запланировано, done — выполнено, not_done — не выполнено.",
    "completed_on": "Дата выполнения.",
    "reason": "Причина.",
    "result": "Результат.",
    "product": "Продукт.",
    "self_assessment": "Самооценка педагога.",
    "employer_assessment": "Оценка работодателя.",
    "role": "Роль.",
    "round": "Круг согласования.",
    "action": "Что от стороны ожидается: sign, review, agree, approve.",
    "revision": "Редакция плана.",
    "since": "С какого момента ИОМ ждёт ответа стороны.",
    "number": "Номер корректировки.",
    "corrected_on": "Дата корректировки.",
    "added": "Добавленные мероприятия.",
    "removed": "Исключённые мероприятия.",
    "changed": "Изменённые мероприятия.",
    "author_id": "Кто внёс корректировку.",
    "author_role": "Роль автора корректировки.",
    "awaiting": "Стороны, чьё согласование ещё ожидается.",
    "acknowledged": "Педагог ознакомлен.",
    "competence": "Код компетенции по регламенту региона.",
    "input_level": "Уровень по входной диагностике (1–4).",
    "final_level": "Уровень по итоговой диагностике (1–4).",
    "change": "Динамика: итоговый уровень минус входной.",
    "DiagnosticStepRow.change": "Динамика: уровень в этой диагностике минус входной.",
    "step": "Номер диагностики ИОМ: 0 — входная, далее каждая промежуточная, итоговая.",
    "DiagnosticStepRow.kind": "Вид диагностики: input, intermediate, final.",
    "taken_on": "Дата диагностики.",
    "platform": "Платформа диагностики.",
    "DiagnosticStepRow.level": "Уровень компетенции (1 — низший).",
    "input_on": "Дата входной диагностики.",
    "input_platform": "Платформа входной диагностики.",
    "final_on": "Дата итоговой диагностики (последней, и после пролонгации).",
    "final_platform": "Платформа итоговой диагностики.",
    "active_routes": "Активных ИОМ (не завершённых и не отменённых).",
    "routes": "Всего закреплённых ИОМ.",
    "capacity": "Норма нагрузки по действующей редакции регламента.",
    "over_capacity": "Нагрузка выше нормы.",
    "diagnosed": "ИОМ, во входной диагностике которых проверялась компетенция.",
    "lowest": "Из них — на низшем уровне.",
    "lowest_share": "Доля низшего уровня (0–1).",
    "tested": "ИОМ с входной диагностикой по компетенции.",
    "input_sum": "Сумма входных уровней.",
    "compared": "ИОМ и с входной, и с итоговой диагностикой.",
    "compared_input_sum": "Сумма их входных уровней.",
    "compared_final_sum": "Сумма их итоговых уровней.",
    "improved": "Из них — с ростом уровня.",
    "mean_input": "Средний входной уровень.",
    "mean_input_compared": "Средний входной уровень прошедших итоговую диагностику.",
    "mean_final": "Средний итоговый уровень.",
    "notification_id": "Номер события в журнале хранилища.",
    "recorded_at": "Когда событие записано.",
    "event_type": "Тип события.",
    "actor_id": "Кто действовал (идентификатор).",
    "command_id": "Идентификатор команды.",
    "summary": "Событие одной строкой по-русски, в терминах регламента.",
    "chain_hash": "Звено цепочки хэшей ИОМ (проверка: iom audit verify).",
    # Where a name means something else in one list.
    "RouteRow.done": "Мероприятий выполнено.",
    "RouteRow.overdue": "Мероприятий просрочено (срок прошёл, отметки нет).",
    "ActivityRow.done": "Выполнено.",
    "ActivityRow.overdue": "Срок прошёл без отметки.",
    "ActivityRow.reason": "Причина невыполнения.",
    "CorrectionRow.reason": "Причина корректировки.",
    "AgreementRow.role": "Сторона согласования, чей ответ ожидается.",
    "AuditRow.role": "Роль действовавшего.",
}

PLACE = {
    "profile_id": "sakha",
    "municipality_id": "mun-sakha-01",
    "school_id": "school-sakha-07",
    "subject": "математика",
}
ROUTE = {"route_id": EXAMPLE_ROUTE_ID, **PLACE, "methodist_id": "methodist-sakha-02"}
ROUTE_WITH_TEACHER = ROUTE | {"teacher_id": "teacher-000451"}

EXAMPLES: dict[str, dict[str, Any]] = {
    "routes": ROUTE_WITH_TEACHER
    | {
        "route_key": "portal-2026-000451",
        "profile_key": "sakha@1",
        "stage": "implementation",
        "stage_name": "Реализация ИОМ",
        "term": 1,
        "starts_on": "2026-10-01",
        "ends_on": "2027-05-31",
        "opened_on": "2026-09-01",
        "approved_on": "2026-09-25",
        "activities": 6,
        "done": 2,
        "not_done": 0,
        "share_done": 0.3333,
        "overdue": 1,
        "next_deadline": "2026-11-30",
        "corrections": 0,
        "version": 14,
        "updated_at": "2026-11-02T05:30:00Z",
    },
    "activities": ROUTE_WITH_TEACHER
    | {
        "activity_id": "a1",
        "position": 1,
        "title": "Курсы «Формирующее оценивание на уроках математики»",
        "competences": "К1, К3",
        "direction": None,
        "level": "regional",
        "organiser": "ЦНППМ",
        "starts_on": "2026-10-01",
        "ends_on": "2026-11-30",
        "result_form": "удостоверение",
        "status": "done",
        "done": True,
        "completed_on": "2026-11-20",
        "reason": None,
        "result": "Курсы пройдены",
        "product": "Удостоверение № 123",
        "self_assessment": "Освоено",
        "employer_assessment": None,
        "overdue": False,
    },
    "agreement": ROUTE_WITH_TEACHER
    | {
        "role": "centre_head",
        "round": 2,
        "action": "agree",
        "revision": 1,
        "since": "2026-09-20T05:30:00Z",
    },
    "corrections": ROUTE_WITH_TEACHER
    | {
        "number": 1,
        "corrected_on": "2027-01-15",
        "reason": "Курсы перенесены организатором",
        "added": "a7",
        "removed": "",
        "changed": "a3",
        "author_id": "methodist-sakha-02",
        "author_role": "methodist",
        "awaiting": "centre_head",
        "acknowledged": False,
    },
    "dynamics": ROUTE_WITH_TEACHER
    | {
        "competence": "К1",
        "input_level": 1,
        "final_level": 3,
        "change": 2,
        "input_on": "2026-09-10",
        "input_platform": "ЦНППМ: диагностика профессиональных дефицитов",
        "final_on": "2027-05-14",
        "final_platform": "ЦНППМ: диагностика профессиональных дефицитов",
    },
    "diagnostics": ROUTE_WITH_TEACHER
    | {
        "competence": "К1",
        "step": 1,
        "kind": "intermediate",
        "taken_on": "2027-01-20",
        "platform": "РАС «Ситуационный центр»",
        "level": 2,
        "change": 1,
    },
    "methodists": {
        "profile_id": "sakha",
        "methodist_id": "methodist-sakha-02",
        "active_routes": 87,
        "routes": 112,
        "capacity": 150,
        "over_capacity": False,
    },
    "deficits": {
        "profile_id": "sakha",
        "municipality_id": "mun-sakha-01",
        "subject": "математика",
        "competence": "К1",
        "diagnosed": 40,
        "lowest": 13,
        "lowest_share": 0.325,
    },
    "dynamics-by-school": PLACE
    | {
        "competence": "К1",
        "tested": 12,
        "input_sum": 20,
        "compared": 8,
        "compared_input_sum": 13,
        "compared_final_sum": 22,
        "improved": 7,
        "mean_input": 1.667,
        "mean_input_compared": 1.625,
        "mean_final": 2.75,
    },
    "audit": ROUTE_WITH_TEACHER | LINE_EXAMPLE | {"notification_id": 12045},
}


class Page(BaseModel):
    """A page of a list (the subclasses name the rows' model)."""

    next_cursor: str | None = Field(
        description="Курсор следующей страницы (параметр `cursor`); null — страница последняя."
    )
    limit: int = Field(description="Размер страницы.")


def row_model(
    name: str, doc: str, listing: Listing, extra: dict[str, Kind], example: dict[str, Any]
) -> type[BaseModel]:
    """The model of a list's rows: every column of the listing (and `extra` ones computed
    after reading), each possibly null, described in Russian."""
    columns = dict(listing.kinds) | extra
    fields: dict[str, Any] = {
        column: (
            TYPES[kind] | None,
            Field(default=None, description=FIELDS.get(f"{name}.{column}") or FIELDS[column]),
        )
        for column, kind in columns.items()
    }
    return create_model(
        name,
        __doc__=doc,
        __config__=ConfigDict(json_schema_extra={"examples": [example]}),
        **fields,
    )


@dataclass(frozen=True)
class MonitoringList:
    """One list the API serves (see the module's docstring)."""

    name: str
    path: str
    listing: Listing
    view: Literal["monitoring", "audit"]
    summary: str
    doc: str
    row: type[BaseModel]
    page: type[BaseModel]
    roles: frozenset[Role] | None = None


def monitoring_list(
    name: str,
    model: str,
    listing: Listing,
    summary: str,
    doc: str,
    *,
    view: Literal["monitoring", "audit"] = "monitoring",
    roles: frozenset[Role] | None = None,
    extra: dict[str, Kind] | None = None,
) -> MonitoringList:
    """A list, its rows' and page's models built."""
    example = EXAMPLES[name]
    row = row_model(f"{model}Row", f"{summary}: одна строка.", listing, extra or {}, example)
    page_example: dict[str, Any] = {
        "items": [example],
        "next_cursor": "eyJsIjoicm91dGVzIn0",
        "limit": 50,
    }
    page: type[BaseModel] = create_model(
        f"{model}Page",
        __base__=Page,
        __doc__=f"{summary}: страница.",
        items=(list[row], Field(description="Строки страницы.")),  # type: ignore[valid-type]
    )
    page.model_config["json_schema_extra"] = {"examples": [page_example]}
    page.model_rebuild(force=True)
    path = "/audit" if view == "audit" else f"/monitoring/{name}"
    return MonitoringList(name, path, listing, view, summary, doc, row, page, roles)


MEANS: dict[str, Kind] = {"mean_input": "real", "mean_input_compared": "real", "mean_final": "real"}

PER_ROUTE = (
    " Педагогу — строки своих ИОМ, методисту — закреплённых за ним, заместителю руководителя,"
    " руководителю МО и руководителю ОО — ИОМ своей ОО, руководителю ЦНППМ, аудитору и"
    " оператору — ИОМ региона."
)

EXAMPLES["dynamics-by-municipality"] = {
    k: v for k, v in EXAMPLES["dynamics-by-school"].items() if k != "school_id"
}

LISTS: tuple[MonitoringList, ...] = (
    monitoring_list(
        "routes",
        "Route",
        routes.ROUTE_LIST,
        "Мониторинг ИОМ",
        "ИОМ: этап, срок, доля выполненных мероприятий, просрочки, ближайший срок (по"
        " умолчанию — ближайший срок первым)." + PER_ROUTE,
    ),
    monitoring_list(
        "activities",
        "Activity",
        activities.ACTIVITY_LIST,
        "Мониторинг реализации мероприятий ИОМ",
        "Каждое мероприятие текущего плана: отметка о выполнении, причина невыполнения,"
        " результат, продукт, оценки (по умолчанию — ИОМ за ИОМ в порядке плана)." + PER_ROUTE,
    ),
    monitoring_list(
        "agreement",
        "Agreement",
        agreement.AGREEMENT_LIST,
        "Согласование ИОМ",
        "Кто из сторон держит ИОМ на согласовании и с какого момента (по умолчанию — дольше"
        " всех ждущие первыми)." + PER_ROUTE,
    ),
    monitoring_list(
        "corrections",
        "Correction",
        corrections.CORRECTION_LIST,
        "Сведения о корректировке ИОМ",
        "Корректировки ИОМ: дата, причина, изменения, ожидаемые согласования, ознакомление"
        " педагога (по умолчанию — последние первыми)." + PER_ROUTE,
    ),
    monitoring_list(
        "dynamics",
        "Dynamics",
        dynamics.DYNAMICS_LIST,
        "Динамика компетенций",
        "Входной и итоговый уровень каждой компетенции по каждому ИОМ." + PER_ROUTE,
    ),
    monitoring_list(
        "diagnostics",
        "DiagnosticStep",
        diagnostics.STEPS_LIST,
        "Динамика по каждой диагностике",
        "Уровень каждой компетенции по каждому ИОМ в каждой диагностике: входной (step 0),"
        " каждой промежуточной, итоговой, и его изменение к входному." + PER_ROUTE,
    ),
    monitoring_list(
        "methodists",
        "MethodistLoad",
        routes.METHODIST_LIST,
        "Нагрузка методистов",
        "Активные и все закреплённые ИОМ каждого методиста против нормы регламента."
        " Руководителю ЦНППМ, аудитору и оператору — по региону; методисту — своя строка.",
        roles=REGION_ROLES | {Role.METHODIST},
        extra={"over_capacity": "bool"},
    ),
    monitoring_list(
        "deficits",
        "Deficit",
        dynamics.DEFICIT_LIST,
        "Массовые дефициты",
        "Компетенции на низшем уровне во входной диагностике по муниципалитетам и предметам"
        " (по умолчанию — самые частые первыми). Для планирования по региону: руководителю"
        " ЦНППМ, аудитору и оператору.",
        roles=REGION_ROLES,
        extra={"lowest_share": "real"},
    ),
    monitoring_list(
        "dynamics-by-school",
        "SchoolDynamics",
        dynamics.SCHOOL_DYNAMICS_LIST,
        "Динамика компетенций по ОО",
        "Средние входной и итоговый уровни и число ИОМ с ростом — по ОО, предмету и"
        " компетенции. Руководителю ЦНППМ, аудитору и оператору — по региону; руководителю"
        " ОО — своя ОО.",
        roles=REGION_ROLES | {Role.SCHOOL_HEAD},
        extra=MEANS,
    ),
    monitoring_list(
        "dynamics-by-municipality",
        "MunicipalDynamics",
        dynamics.MUNICIPAL_DYNAMICS_LIST,
        "Динамика компетенций по муниципалитетам",
        "Средние входной и итоговый уровни и число ИОМ с ростом — по муниципалитету, предмету"
        " и компетенции. Для планирования по региону: руководителю ЦНППМ, аудитору и"
        " оператору.",
        roles=REGION_ROLES,
        extra=MEANS,
    ),
    monitoring_list(
        "audit",
        "Audit",
        audit.AUDIT_LIST,
        "Журнал аудита",
        "Все события ИОМ: версия, время, тип, кто и в какой роли, строка по-русски, звено"
        " цепочки хэшей (по умолчанию — последние первыми)." + PER_ROUTE,
        view="audit",
    ),
)

MODELS: dict[str, type[BaseModel]] = {
    model.__name__: model for each in LISTS for model in (each.row, each.page)
}
"""The lists' models by name (the OpenAPI document's component schemas)."""
