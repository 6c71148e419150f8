"""Replacing a methodist on one route or on all their routes in the region, in one request.

`POST /methodists/{methodist_id}/replacement`: the region's centre head or an operator names the
new methodist, the order (распорядительный акт) and the reason. The routes are the `route_ids`
given, or every open route of the methodist in the token's region as the monitoring tables list
them (`iom projector` keeps them; a route assigned a moment ago may not be listed yet: name it).
Each route's change is its own `assign_methodist` command through the route's workflow, its one
writer, under the command id `<key's command id>.<route_id>`: a route records one
`MethodistAssigned` event, and a retry under the same `Idempotency-Key` applies nothing twice.
The answer is item by item, as a batch's: the route and its new version, or its refusal.
"""

from __future__ import annotations

import asyncio
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Path, Request
from fastapi.responses import JSONResponse

from aggregates.errors import DomainError, InvalidCommandError, RoleError, RouteNotFoundError
from aggregates.values import Role
from api.access import reachable_route
from api.endpoints.responses import problems
from api.idempotency import IdempotencyKey, Keyed, answer_once, request_hash, require_key
from api.models import BatchAccepted, BatchItemResult, ReplaceMethodistRequest
from api.problems import domain_problem, note_refusal
from api.services import PrincipalDep, ServicesDep
from projections.routes import methodist_routes
from workflows.contracts import CommandRequest

REPLACERS = frozenset({Role.CENTRE_HEAD, Role.OPERATOR})
"""Who replaces a methodist across routes: the centre head (by order) or an operator."""
AT_ONCE = 16
"""Routes' commands sent at once (Temporal's frontend is not flooded)."""


MethodistId = Annotated[str, Path(description="Id заменяемого методиста.", max_length=128)]


async def replace_methodist(
    methodist_id: MethodistId,
    body: ReplaceMethodistRequest,
    request: Request,
    *,
    principal: PrincipalDep,
    services: ServicesDep,
    idempotency_key: IdempotencyKey = None,
) -> JSONResponse:
    """Заменить методиста на одном, нескольких или всех его открытых ИОМ региона одним
    запросом: каждый ИОМ получает свою команду `assign_methodist` (событие «Методист
    закреплён») с приказом и причиной. Выполняют руководитель ЦНППМ и оператор. Ответ — по
    каждому ИОМ, как у пакета: версия или причина отказа."""
    key = require_key(idempotency_key)
    if principal.role not in REPLACERS:
        raise RoleError("role", "методиста по ИОМ региона заменяют руководитель ЦНППМ или оператор")
    payload = body.model_dump(mode="json", exclude={"route_ids"})
    path = f"/methodists/{methodist_id}/replacement"
    asked = request_hash(principal, "POST", path, body.model_dump(mode="json"))
    keyed = Keyed(request, services.answers, principal, key, asked)
    chosen: list[UUID] = []

    def choose() -> None:
        if body.route_ids:
            chosen.extend(body.route_ids)
            return
        with services.monitoring.transaction(commit=False) as db:
            chosen.extend(methodist_routes(db, principal.region, methodist_id))

    def holds(command_id: str) -> bool:
        """Whether a route chosen holds its item of the command already (an answer lost)."""
        for route_id in chosen:
            try:
                route = services.routes.route(route_id)
            except RouteNotFoundError:
                continue  # refused as its item
            if f"{command_id}.{route_id}" in route.commands:
                return True
        return False

    async def replace_on(route_id: UUID, command_id: str, gate: asyncio.Semaphore) -> Any:
        async with gate:
            try:
                route = await asyncio.to_thread(
                    reachable_route, services.routes, principal, route_id
                )
                if route.methodist_id != methodist_id and command_id not in route.commands:
                    raise InvalidCommandError(
                        "content", f"за ИОМ закреплён не методист {methodist_id}", "route_ids"
                    )
                asked_of_route = CommandRequest(
                    actor_id=principal.actor.id,
                    role=principal.role.value,
                    command_id=command_id,
                    payload=payload,
                )
                version = await services.gateway.execute(
                    route_id, "assign_methodist", asked_of_route
                )
            except DomainError as error:
                return domain_problem(error)
            return version

    async def run(command_id: str) -> tuple[int, dict[str, Any]]:
        gate = asyncio.Semaphore(AT_ONCE)
        ids = [f"{command_id}.{route_id}" for route_id in chosen]
        outcomes = await asyncio.gather(
            *(replace_on(route_id, item, gate) for route_id, item in zip(chosen, ids, strict=True))
        )
        items = []
        for index, (route_id, item, outcome) in enumerate(zip(chosen, ids, outcomes, strict=True)):
            if isinstance(outcome, int):
                items.append(
                    BatchItemResult(
                        index=index, status=200, route_id=route_id, command_id=item, version=outcome
                    )
                )
            else:
                note_refusal(request, outcome)
                items.append(
                    BatchItemResult(
                        index=index,
                        status=outcome.status,
                        route_id=route_id,
                        command_id=item,
                        problem=outcome,
                    )
                )
        accepted = sum(1 for item in items if item.problem is None)
        answer = BatchAccepted(
            command="assign_methodist",
            accepted=accepted,
            refused=len(items) - accepted,
            items=items,
        )
        return 200, answer.model_dump(mode="json")

    return await answer_once(keyed, run, command="replace_methodist", holds=holds, check=choose)


def build_router() -> APIRouter:
    """`POST /methodists/{methodist_id}/replacement`."""
    router = APIRouter(prefix="/methodists", tags=["Команды"])
    router.add_api_route(
        "/{methodist_id}/replacement",
        replace_methodist,
        methods=["POST"],
        response_model=BatchAccepted,
        response_description="Ответ по каждому ИОМ: новая версия или причина отказа.",
        operation_id="replace_methodist",
        summary="Замена методиста на ИОМ региона",
        responses=problems(400, 401, 403, 422, 503),
    )
    return router
