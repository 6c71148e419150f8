"""Bulk operations and workflow incidents, for an operator of the token's region.

`POST /operations/preview`: how many routes the filter matches and what the action would do to
a sample of them (nothing written). `POST /operations`: the run; its id follows from the
operator and the `Idempotency-Key`, so a retried request finds the operation it started. The
operation is driven by a workflow; `GET /operations/{id}` is its progress and per-route report,
`GET /operations` the latest operations. `GET /operations/incidents`: routes of the region whose
workflow is broken, with the last error in Russian and the repair (the action `repair`).
The filter is held to the token's region: an operator acts on their region's routes only.
"""

from __future__ import annotations

import asyncio
import uuid
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Path
from pydantic import BaseModel, ConfigDict, Field

from activities.workflow_incidents import Incident
from aggregates.errors import OperationNotFoundError, RoleError
from aggregates.operation import Operation, RouteOutcome
from aggregates.values import Name, Role, Text
from api.auth import Principal
from api.endpoints.responses import problems
from api.idempotency import IdempotencyKey, require_key
from api.services import PrincipalDep, Services, ServicesDep
from projections.selection import RouteQuery
from runtime.operations import BulkRequest, OperationDesk

OPERATION_NAMESPACE = UUID("2b7c4f0e-6d1a-4e8b-9a53-0f3c5d7e9b21")
OPERATION_EXAMPLE: dict[str, Any] = {
    "action": "pause",
    "params": {},
    "query": {"stage": "implementation"},
    "reason": "Каникулы педагогов",
    "ticket": "OPS-12",
}

ROUTE = "3f2a5c1e-0b7d-5e4a-9c21-6d8e0f1a2b3c"
SAMPLE_EXAMPLE: dict[str, Any] = {"route_id": ROUTE, "status": "would_apply"}
PREVIEW_EXAMPLE: dict[str, Any] = {
    "action": "pause",
    "title": "Приостановка ИОМ",
    "count": 1,
    "sample": [SAMPLE_EXAMPLE],
}
ANSWER_EXAMPLE: dict[str, Any] = {
    "operation_id": "5b0e7c2a-1d3f-5a6b-8c9d-0e1f2a3b4c5d",
    "action": "pause",
    "params": {},
    "query": {"region": "sakha", "stage": "implementation"},
    "operator_id": "operator-sakha",
    "reason": "Каникулы педагогов",
    "ticket": "OPS-12",
    "started_at": "2027-01-10T09:00:00+00:00",
    "finished_at": "2027-01-10T09:00:04+00:00",
    "count": 1,
    "done": 1,
    "refused": 0,
    "skipped": 0,
    "left": 0,
    "outcomes": [{"route_id": ROUTE, "status": "done", "version": 9}],
}
INCIDENT_EXAMPLE: dict[str, Any] = {
    "route_id": ROUTE,
    "kind": "terminated",
    "error": "процесс ИОМ прерван принудительно: сбой узла",
    "repair": "возобновить: запустить процесс с состояния в хранилище",
}


class OperationBody(BaseModel):
    """Массовая операция: действие, его параметры, фильтр ИОМ, причина и заявка."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [OPERATION_EXAMPLE]})

    action: str = Field(description="Действие: pause, resume, cancel, extend_deadline, …")
    params: dict[str, Any] = Field(default_factory=dict, description="Параметры действия.")
    query: RouteQuery = Field(description="Какие ИОМ: фильтр или перечень route_ids.")
    reason: Text = Field(description="Причина; записывается в каждый ИОМ.")
    ticket: Name = Field(description="Заявка, по которой действует оператор.")


class SampleRoute(BaseModel):
    """Что операция сделает с ИОМ из выборки."""

    model_config = ConfigDict(json_schema_extra={"examples": [SAMPLE_EXAMPLE]})

    route_id: UUID = Field(description="ИОМ.")
    status: str = Field(description="would_apply — будет применено, refused, skipped.")
    rule: str | None = Field(None, description="Правило отказа или пропуска.")
    message: str | None = Field(None, description="Причина словами.")


class PreviewAnswer(BaseModel):
    """Сколько ИОМ затронет операция и что будет с первыми из них."""

    model_config = ConfigDict(json_schema_extra={"examples": [PREVIEW_EXAMPLE]})

    action: str = Field(description="Действие.")
    title: str = Field(description="Действие словами.")
    count: int = Field(description="Сколько ИОМ под фильтром.")
    sample: list[SampleRoute] = Field(description="Первые ИОМ и что с ними будет.")


class OperationAnswer(BaseModel):
    """Операция: кто, когда, что, фильтр, сколько ИОМ, ход и итог по каждому ИОМ."""

    model_config = ConfigDict(json_schema_extra={"examples": [ANSWER_EXAMPLE]})

    operation_id: UUID = Field(description="Id операции.")
    action: str = Field(description="Действие.")
    params: dict[str, Any] = Field(description="Параметры действия.")
    query: dict[str, Any] = Field(description="Фильтр, по которому выбраны ИОМ.")
    operator_id: str = Field(description="Оператор.")
    reason: str = Field(description="Причина.")
    ticket: str = Field(description="Заявка.")
    started_at: str = Field(description="Когда начата (ISO 8601).")
    finished_at: str | None = Field(description="Когда завершена; null — ещё идёт.")
    count: int = Field(description="Сколько ИОМ зафиксировано при запуске.")
    done: int = Field(description="Применено.")
    refused: int = Field(description="Отклонено.")
    skipped: int = Field(description="Пропущено.")
    left: int = Field(description="Осталось.")
    outcomes: list[RouteOutcome] = Field(
        default_factory=list, description="Итог по каждому ИОМ (в списке операций пуст)."
    )


class IncidentAnswer(BaseModel):
    """ИОМ со сломанным процессом: что случилось и что исправит."""

    model_config = ConfigDict(json_schema_extra={"examples": [INCIDENT_EXAMPLE]})

    route_id: UUID = Field(description="ИОМ.")
    kind: str = Field(
        description="failed, terminated, timed_out, failing_activity, not_running, closed_running."
    )
    error: str = Field(description="Последняя ошибка словами.")
    repair: str = Field(description="Что исправит (массовая операция repair).")


def desk(services: Services) -> OperationDesk:
    """The desk over the API's gateway and operations."""
    if services.operations is None:
        raise RuntimeError("the API was built without the operations store")
    return OperationDesk(services.gateway, services.operations)


def may_operate(principal: Principal) -> bool:
    """Whether the principal runs bulk operations (the operator)."""
    return principal.role is Role.OPERATOR


def operator(principal: Principal) -> None:
    """Refuse anyone but an operator."""
    if not may_operate(principal):
        raise RoleError("role", "массовые операции выполняет оператор")


def operation_id_of(principal: Principal, key: str) -> UUID:
    """The id of the operation the principal starts under an idempotency key: a retried start
    under the same key finds the same operation."""
    return uuid.uuid5(OPERATION_NAMESPACE, f"{principal.subject}/{key}")


def regional_operation(services: Services, principal: Principal, operation_id: UUID) -> Operation:
    """The operation, if started on the principal's region; else not found (blocking)."""
    operation = desk(services).status(operation_id)
    if operation.query.get("region") != principal.region:
        raise OperationNotFoundError("not_found", f"операция {operation_id} не найдена")
    return operation


def regional_operations(services: Services, principal: Principal) -> list[Operation]:
    """The latest operations on the principal's region, newest first (blocking)."""
    found = services.operations.all() if services.operations else []
    return [o for o in found if o.query.get("region") == principal.region]


async def regional_incidents(services: Services, principal: Principal) -> list[Incident]:
    """The broken route workflows of the principal's region."""
    return await desk(services).incidents(principal.region)


def request_of(body: OperationBody, principal: Principal, services: Services) -> BulkRequest:
    """The request, its filter held to the token's region (recorded with the operation)."""
    query = body.query
    if query.region not in (None, principal.region):
        raise RoleError("region", "оператор действует только на ИОМ своего региона", "region")
    query = query.model_copy(update={"region": principal.region})
    if query.route_ids is not None:
        for route_id in query.route_ids:
            if services.routes.route(route_id).profile.id != principal.region:
                raise RoleError(
                    "region", f"ИОМ {route_id} не из региона оператора", "query.route_ids"
                )
    return BulkRequest(
        action=body.action,
        params=body.params,
        query=query,
        operator_id=principal.subject,
        reason=body.reason,
        ticket=body.ticket,
    )


def answer(operation: Operation, *, outcomes: bool = True) -> OperationAnswer:
    """The operation as the API shows it."""
    finished = operation.finished_on
    return OperationAnswer(
        operation_id=operation.id,
        action=operation.action,
        params=operation.params,
        query=operation.query,
        operator_id=operation.operator_id,
        reason=operation.reason,
        ticket=operation.ticket,
        started_at=operation.created_on.isoformat(),
        finished_at=finished.isoformat() if finished else None,
        count=len(operation.route_ids),
        **operation.counts(),
        outcomes=operation.report() if outcomes else [],
    )


async def preview_operation(
    body: OperationBody, *, principal: PrincipalDep, services: ServicesDep
) -> PreviewAnswer:
    """Показать, сколько ИОМ затронет операция и что будет с первыми из них; ничего не пишет."""
    operator(principal)
    request = await asyncio.to_thread(request_of, body, principal, services)
    shown = await desk(services).preview(request)
    sample = [
        SampleRoute(
            route_id=route_id,
            status="would_apply" if outcome is None else outcome.status,
            rule=None if outcome is None else outcome.rule,
            message=None if outcome is None else outcome.message,
        )
        for route_id, outcome in shown.sample
    ]
    return PreviewAnswer(action=shown.action, title=shown.title, count=shown.count, sample=sample)


async def run_operation(
    body: OperationBody,
    *,
    principal: PrincipalDep,
    services: ServicesDep,
    idempotency_key: IdempotencyKey = None,
) -> OperationAnswer:
    """Выполнить операцию: ИОМ фиксируются в начале, каждый получает своё событие с id
    операции; повтор с тем же Idempotency-Key находит начатую операцию. Ход и итог —
    GET /operations/{operation_id}."""
    key = require_key(idempotency_key)
    operator(principal)
    request = await asyncio.to_thread(request_of, body, principal, services)
    operation_id = operation_id_of(principal, key)
    operation = await desk(services).run(operation_id, request)
    return answer(operation, outcomes=False)


OperationId = Annotated[UUID, Path(description="Id операции.")]


async def operation_status(
    operation_id: OperationId, *, principal: PrincipalDep, services: ServicesDep
) -> OperationAnswer:
    """Ход и итог операции по каждому ИОМ: применено, отклонено (с правилом), пропущен."""
    operator(principal)
    operation = await asyncio.to_thread(regional_operation, services, principal, operation_id)
    return answer(operation)


async def list_operations(
    *, principal: PrincipalDep, services: ServicesDep
) -> list[OperationAnswer]:
    """Последние массовые операции, новые первыми (без итогов по ИОМ)."""
    operator(principal)
    theirs = await asyncio.to_thread(regional_operations, services, principal)
    return [answer(o, outcomes=False) for o in theirs]


async def list_incidents(*, principal: PrincipalDep, services: ServicesDep) -> list[IncidentAnswer]:
    """ИОМ региона, чей процесс сломан: завершился с ошибкой, прерван, превысил время, чьё
    действие раз за разом не удаётся, или расходится с хранилищем; с последней ошибкой и
    исправлением (массовая операция repair)."""
    operator(principal)
    theirs = await regional_incidents(services, principal)
    return [
        IncidentAnswer(route_id=i.route_id, kind=i.kind, error=i.error, repair=i.repair)
        for i in theirs
    ]


def build_router() -> APIRouter:
    """`/operations`: preview, run, status, list; `/operations/incidents`."""
    router = APIRouter(prefix="/operations", tags=["Операции"])
    router.add_api_route(
        "/preview",
        preview_operation,
        methods=["POST"],
        operation_id="preview_operation",
        summary="Предпросмотр массовой операции",
        responses=problems(400, 401, 403, 422, 503),
    )
    router.add_api_route(
        "",
        run_operation,
        methods=["POST"],
        status_code=202,
        operation_id="run_operation",
        summary="Массовая операция",
        responses=problems(400, 401, 403, 422, 503),
    )
    router.add_api_route(
        "",
        list_operations,
        methods=["GET"],
        operation_id="list_operations",
        summary="Массовые операции",
        responses=problems(401, 403),
    )
    router.add_api_route(
        "/incidents",
        list_incidents,
        methods=["GET"],
        operation_id="list_workflow_incidents",
        summary="Сломанные процессы ИОМ",
        responses=problems(401, 403, 503),
    )
    router.add_api_route(
        "/{operation_id}",
        operation_status,
        methods=["GET"],
        operation_id="operation_status",
        summary="Ход и итог массовой операции",
        responses=problems(401, 403, 404, 422),
    )
    return router
