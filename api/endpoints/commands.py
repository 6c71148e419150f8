"""Commands: opening a route, and one endpoint per command a person sends on a route.

Each command is checked against its own model here (bad input: 422 naming the field, nothing
sent), the route must be within the sender's reach (else 404), and the command goes to the
route's workflow as the update named after it. The answer is the route's new version, or the
route's refusal (its rule, its field, its Russian message). Every command carries an
`Idempotency-Key`: see `api.idempotency`.
"""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Awaitable, Callable
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Path, Request
from fastapi.responses import JSONResponse

from aggregates.commands import PERSON_COMMANDS, Command, OpenRoute
from aggregates.errors import RouteExistsError
from aggregates.route import Route
from api.access import named_route, reachable_route, require_may_open, require_writer
from api.claims import require_school_of_region
from api.endpoints.responses import problems
from api.idempotency import IdempotencyKey, Keyed, answer_once, request_hash, require_key
from api.models import CommandAccepted, OpenRouteRequest
from api.problems import ProblemError
from api.services import PrincipalDep, ServicesDep
from workflows.contracts import CommandRequest

RouteId = Annotated[UUID, Path(description="Идентификатор ИОМ.")]
COMMAND_TIMEOUT = 30.0
"""Seconds a command may wait on the route's workflow (no worker running, say) before the
caller is told to retry: with the same key the command is still applied once."""


def pending() -> ProblemError:
    """No answer from the route's process in time: not kept, the same key may be retried."""
    return ProblemError(
        504,
        "timeout",
        "процесс ИОМ не ответил вовремя; повторите запрос с тем же Idempotency-Key",
        rule="timeout",
        headers={"Retry-After": "5"},
    )


async def open_route(
    body: OpenRouteRequest,
    request: Request,
    principal: PrincipalDep,
    services: ServicesDep,
    idempotency_key: IdempotencyKey = None,
) -> JSONResponse:
    """Открыть ИОМ педагога под действующей редакцией регламента региона (регион — из токена)
    и запустить его процесс. Открывают педагог (свой ИОМ), методист, руководитель ОО или его
    заместитель (педагогу своей ОО), руководитель ЦНППМ, оператор."""
    key = require_key(idempotency_key)
    command = OpenRoute(region=principal.region, **body.model_dump())
    require_may_open(principal, command)
    await asyncio.to_thread(
        require_school_of_region,
        services.monitoring,
        command.region,
        command.school_id,
        "school_id",
        principal.subject,
    )
    asked = request_hash(principal, "POST", "/routes", body.model_dump(mode="json"))
    keyed = Keyed(request, services.answers, principal, key, asked)

    def holds(command_id: str) -> bool:
        route = services.routes.keyed_route(command.region, command.route_key)
        return route is not None and command_id in route.commands

    async def run(command_id: str) -> tuple[int, dict[str, Any]]:
        try:
            receipt = await services.gateway.open(command, principal.actor, command_id)
        except RouteExistsError as error:
            raise await asyncio.to_thread(
                named_route, services.routes, principal, command, error
            ) from None
        answer = CommandAccepted(
            route_id=receipt.route_id,
            command="open_route",
            command_id=command_id,
            version=receipt.version,
        )
        return 201, answer.model_dump(mode="json")

    return await answer_once(keyed, run, command="open_route", holds=holds)


def command_endpoint(name: str, command_class: type[Command]) -> Callable[..., Awaitable[Any]]:
    """The endpoint of one command, its body typed as the command's own model."""

    async def endpoint(
        route_id: RouteId,
        body: Command,
        http: Request,
        *,
        principal: PrincipalDep,
        services: ServicesDep,
        idempotency_key: IdempotencyKey = None,
    ) -> JSONResponse:
        key = require_key(idempotency_key)
        payload = body.model_dump(mode="json")
        asked = request_hash(principal, "POST", f"/routes/{route_id}/commands/{name}", payload)
        keyed = Keyed(http, services.answers, principal, key, asked)
        reached: list[Route] = []

        def within_reach() -> None:
            reached.append(reachable_route(services.routes, principal, route_id))
            require_writer(principal)

        def holds(command_id: str) -> bool:
            return command_id in reached[0].commands

        async def run(command_id: str) -> tuple[int, dict[str, Any]]:
            acting = principal.acting_for
            request = CommandRequest(
                actor_id=principal.actor.id,
                role=principal.role.value,
                command_id=command_id,
                payload=payload,
                acting_for=acting.model_dump(mode="json") if acting else None,
            )
            try:
                version = await asyncio.wait_for(
                    services.gateway.execute(route_id, name, request), COMMAND_TIMEOUT
                )
            except TimeoutError:
                raise pending() from None
            answer = CommandAccepted(
                route_id=route_id, command=name, command_id=command_id, version=version
            )
            return 200, answer.model_dump(mode="json")

        return await answer_once(
            keyed, run, command=name, holds=holds, route_id=str(route_id), check=within_reach
        )

    # FastAPI reads the body's model from the signature: the command's own class.
    signature = inspect.signature(endpoint)
    parameters = [
        p.replace(annotation=command_class) if p.name == "body" else p
        for p in signature.parameters.values()
    ]
    setattr(endpoint, "__signature__", signature.replace(parameters=parameters))  # noqa: B010
    endpoint.__name__ = name
    endpoint.__doc__ = inspect.cleandoc(command_class.__doc__ or command_class.title)
    return endpoint


def build_router() -> APIRouter:
    """The commands' router: `POST /routes` and `POST /routes/{route_id}/commands/<name>`."""
    router = APIRouter(prefix="/routes", tags=["Команды"])
    router.add_api_route(
        "",
        open_route,
        methods=["POST"],
        status_code=201,
        response_model=CommandAccepted,
        response_description="ИОМ открыт (или найден по повтору): его идентификатор и версия.",
        operation_id="open_route",
        summary=OpenRoute.title,
        responses=problems(400, 401, 403, 409, 422, 503),
    )
    for name, command in PERSON_COMMANDS.items():
        router.add_api_route(
            f"/{{route_id}}/commands/{name}",
            command_endpoint(name, command),
            methods=["POST"],
            response_model=CommandAccepted,
            response_description="Команда выполнена: новая версия ИОМ.",
            operation_id=name,
            summary=command.title,
            responses=problems(400, 401, 403, 404, 409, 422, 503, 504),
        )
    return router
