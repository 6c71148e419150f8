"""The inbox: `GET /tasks` (the token's own tasks) and `GET /tasks/summary` (their counts).

A task is the token's own when it is assigned to the person (a teacher's by the teacher id, a
methodist's by the portal user id) or to their role within their school (deputy head, МО head,
school head) or region (centre head), always within the token's region (`api.access.task_scope`).
Each names the command that completes it as an endpoint (method and path): a route's command, or
for a diagnostic's participant (`attend_diagnostic`) the organisers' attendance mark of the
campaign, with the group's place and start. Read from the `tasks`
projection in one read-only transaction; pages by the signed cursors of `api.paging`.
"""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import date, datetime
from typing import Annotated, Any, Literal
from uuid import UUID

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel, ConfigDict, Field

from aggregates.tasks import STATE_TITLES, TITLES, State
from aggregates.values import Role
from api.access import task_scope
from api.endpoints.monitoring import Cursor, Limit
from api.endpoints.responses import problems
from api.iso import IsoDate
from api.limits import page_limit
from api.paging import PageAsk, read_page
from api.services import PrincipalDep, Services, ServicesDep
from projections.tasks import TASK_LIST, TaskFilters, endpoint_path, summary

KIND_PATTERN = "^(" + "|".join(TITLES) + ")$"

EXAMPLE_TASK: dict[str, Any] = {
    "id": "6f1c2d3e-4a5b-5c6d-8e7f-9a0b1c2d3e4f",
    "route_id": "3fa85f64-5717-4562-b3fc-2c963f66afa6",
    "kind": "approve_route",
    "title": "Утвердить ИОМ",
    "operation": "agree_route",
    "endpoint": {
        "method": "POST",
        "path": "/routes/3fa85f64-5717-4562-b3fc-2c963f66afa6/commands/agree_route",
    },
    "about": "school_head",
    "round": 1,
    "assignee": {"role": "school_head", "scope": "school", "id": "school-sakha-03"},
    "due_on": "2026-06-20",
    "state": "open",
    "state_title": "ожидает",
    "escalated_to": None,
    "reminded": False,
    "school_id": "school-sakha-03",
    "municipality_id": "mun-sakha-01",
    "teacher_id": "teacher-sakha-00002",
    "methodist_id": "methodist-sakha-03",
    "opened_at": "2026-06-15T09:00:00+00:00",
    "closed_at": None,
    "place": None,
    "starts_at": None,
}

EXAMPLE_COUNT: dict[str, Any] = {
    "kind": "approve_route",
    "title": "Утвердить ИОМ",
    "state": "overdue",
    "state_title": "просрочена",
    "tasks": 1,
}


class Endpoint(BaseModel):
    """Запрос, которым выполняется задача."""

    model_config = ConfigDict(json_schema_extra={"examples": [EXAMPLE_TASK["endpoint"]]})

    method: Literal["POST"] = Field(description="Метод HTTP.")
    path: str = Field(
        description="Путь команды ИОМ или диагностики (тело — по схеме этой команды)."
    )


class TaskAssignee(BaseModel):
    """Исполнитель задачи: лицо или роль в ОО либо регионе."""

    model_config = ConfigDict(json_schema_extra={"examples": [EXAMPLE_TASK["assignee"]]})

    role: Role = Field(description="Роль исполнителя.")
    scope: Literal["person", "school", "region"] = Field(
        description="person — конкретное лицо (педагог ИОМ, закреплённый методист); school —"
        " роль в ОО; region — роль в регионе."
    )
    id: str = Field(description="Идентификатор лица, ОО или региона.")


class TaskItem(BaseModel):
    """Задача: что должен сделать исполнитель по ИОМ, каким запросом и к какому сроку."""

    model_config = ConfigDict(json_schema_extra={"examples": [EXAMPLE_TASK]})

    id: UUID = Field(description="Идентификатор задачи (постоянный).")
    route_id: UUID = Field(description="ИОМ.")
    kind: str = Field(description="Вид задачи.")
    title: str = Field(description="Что сделать, по-русски.")
    operation: str = Field(description="Команда, которой выполняется задача (operationId).")
    endpoint: Endpoint  # described in `api.glossary.FIELDS` (a reference takes none here)
    about: str = Field(
        description="Чего касается: роль стороны, мероприятие, диагностика (её id) или пусто."
    )
    round: int = Field(description="Круг согласования, номер корректировки, срок ИОМ.")
    assignee: TaskAssignee  # described in `api.glossary.FIELDS`
    due_on: date | None = Field(
        default=None, description="Срок (дата в часовом поясе региона) или null."
    )
    state: State = Field(description="Состояние задачи.")
    state_title: str = Field(description="Состояние по-русски.")
    escalated_to: Role | None = Field(default=None, description="Кому передана при эскалации.")
    reminded: bool = Field(description="Напоминание о сроке отправлено.")
    school_id: str = Field(description="ОО ИОМ.")
    municipality_id: str = Field(description="Муниципалитет ИОМ.")
    teacher_id: str = Field(description="Педагог ИОМ (идентификатор).")
    methodist_id: str | None = Field(default=None, description="Методист ИОМ.")
    opened_at: datetime = Field(description="Когда задача появилась (UTC).")
    closed_at: datetime | None = Field(
        default=None, description="Когда выполнена или отменена (UTC)."
    )
    place: str | None = Field(
        default=None, description="Место проведения (группы диагностики) или null."
    )
    starts_at: datetime | None = Field(
        default=None, description="Дата и время начала (группы диагностики) или null."
    )


class TaskPage(BaseModel):
    """Задачи: страница, ближайший срок первым."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{"items": [EXAMPLE_TASK], "next_cursor": "eyJzIjpbXX0", "limit": 50}]
        }
    )

    items: list[TaskItem] = Field(description="Задачи страницы.")
    next_cursor: str | None = Field(
        description="Курсор следующей страницы (параметр `cursor`); null — страница последняя."
    )
    limit: int = Field(description="Размер страницы.")


class TaskCount(BaseModel):
    """Сколько задач одного вида в одном состоянии."""

    model_config = ConfigDict(json_schema_extra={"examples": [EXAMPLE_COUNT]})

    kind: str = Field(description="Вид задачи.")
    title: str = Field(description="Вид задачи по-русски.")
    state: State = Field(description="Состояние.")
    state_title: str = Field(description="Состояние по-русски.")
    tasks: int = Field(description="Число задач.")


class TaskSummary(BaseModel):
    """Сводка задач исполнителя по видам и состояниям, просроченные первыми."""

    model_config = ConfigDict(
        json_schema_extra={"examples": [{"items": [EXAMPLE_COUNT], "open": 3, "overdue": 1}]}
    )

    items: list[TaskCount] = Field(description="Счётчики: просроченные первыми.")
    open: int = Field(description="Всего ожидающих (в том числе просроченных и переданных).")
    overdue: int = Field(description="Из них просроченных или переданных вышестоящему.")


KindParam = Annotated[
    str | None,
    Query(description="Вид задачи: " + ", ".join(TITLES) + ".", pattern=KIND_PATTERN),
]
StateParam = Annotated[
    State | None,
    Query(description="Состояние; по умолчанию — ожидающие (open, overdue, escalated)."),
]
RouteParam = Annotated[UUID | None, Query(description="Идентификатор ИОМ.")]
DueBefore = Annotated[
    IsoDate | None, Query(description="Срок не позднее этой даты (ГГГГ-ММ-ДД), включительно.")
]


def item(row: dict[str, Any]) -> TaskItem:
    """A task's row as the API shows it."""
    return TaskItem(
        id=row["task_id"],
        route_id=row["route_id"],
        kind=row["kind"],
        title=TITLES[row["kind"]],
        operation=row["operation"],
        endpoint=Endpoint(method="POST", path=endpoint_path(row)),
        about=row["about"],
        round=row["round"],
        assignee=TaskAssignee(role=row["assignee_role"], scope=row["scope"], id=row["assignee"]),
        due_on=row["due_on"],
        state=row["state"],
        state_title=STATE_TITLES[row["state"]],
        escalated_to=row["escalated_to"],
        reminded=row["reminded"],
        school_id=row["school_id"],
        municipality_id=row["municipality_id"],
        teacher_id=row["teacher_id"],
        methodist_id=row["methodist_id"],
        opened_at=row["opened_at"],
        closed_at=row["closed_at"],
        place=row["place"],
        starts_at=row["starts_at"],
    )


def read(services: Services, filters: TaskFilters, ask: PageAsk) -> TaskPage:
    """One page of the inbox (blocking: run it in a thread)."""
    with services.tasks.transaction(commit=False) as db:
        rows, after = read_page(TASK_LIST, db, "tasks", filters, ask)
    return TaskPage(items=[item(row) for row in rows], next_cursor=after, limit=ask.limit)


def count(services: Services, filters: TaskFilters) -> TaskSummary:
    """The inbox's counts (blocking)."""
    with services.tasks.transaction(commit=False) as db:
        counts = summary(db, filters)
    items = [
        TaskCount(
            kind=c["kind"],
            title=TITLES[c["kind"]],
            state=c["state"],
            state_title=STATE_TITLES[c["state"]],
            tasks=c["tasks"],
        )
        for c in counts
    ]
    waiting = [c for c in items if c.state in ("open", "overdue", "escalated")]
    return TaskSummary(
        items=items,
        open=sum(c.tasks for c in waiting),
        overdue=sum(c.tasks for c in waiting if c.state != "open"),
    )


async def list_tasks(
    request: Request,
    *,
    principal: PrincipalDep,
    services: ServicesDep,
    kind: KindParam = None,
    route: RouteParam = None,
    state: StateParam = None,
    due_before: DueBefore = None,
    limit: Limit = None,
    cursor: Cursor = None,
) -> TaskPage:
    """Мои задачи: что ждёт от владельца токена — назначенное ему лично (педагогу — по его
    ИОМ, методисту — по закреплённым ИОМ) или его роли в его ОО (заместитель руководителя,
    руководитель МО, руководитель ОО) либо в регионе (руководитель ЦНППМ). Ближайший срок
    первым, задачи без срока — в конце; у каждой — запрос, которым она выполняется.
    Фильтры: kind, route, state (по умолчанию ожидающие), due_before. Постраничный вывод по
    курсору."""
    filters = replace(
        task_scope(principal), route_id=route, kind=kind, state=state, due_before=due_before
    )
    rows = page_limit(limit, request.app.state.settings)
    ask = PageAsk((), cursor, rows, request.app.state.cursor_key)
    return await asyncio.to_thread(read, services, filters, ask)


async def task_summary(
    *,
    principal: PrincipalDep,
    services: ServicesDep,
    kind: KindParam = None,
    route: RouteParam = None,
) -> TaskSummary:
    """Сводка моих задач: сколько их каждого вида в каждом состоянии, просроченные и
    переданные вышестоящему первыми; всего ожидающих и просроченных."""
    filters = replace(task_scope(principal), route_id=route, kind=kind)
    return await asyncio.to_thread(count, services, filters)


def build_router() -> APIRouter:
    """The inbox's router."""
    router = APIRouter(tags=["Задачи"])
    router.add_api_route(
        "/tasks",
        list_tasks,
        methods=["GET"],
        response_model=TaskPage,
        response_description="Задачи: страница.",
        operation_id="list_tasks",
        summary="Мои задачи",
        responses=problems(401, 403, 422),
    )
    router.add_api_route(
        "/tasks/summary",
        task_summary,
        methods=["GET"],
        response_model=TaskSummary,
        response_description="Сводка задач.",
        operation_id="task_summary",
        summary="Сводка моих задач",
        responses=problems(401, 403, 422),
    )
    return router
