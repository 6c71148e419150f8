"""`POST /routes/{route_id}/migration`: an operator moves one route to a new edition of its
region's regulation (`runtime.migration`).

With `dry_run` the mapping is checked against the route and nothing is written: the answer
lists every item that cannot move (rule, field, Russian reason), or the route's stage and open
deadlines under the new edition. Without it the move is the operator's `migrate` signal to the
route's workflow, waited on: the route's new version, or its refusal as a problem. Every move
carries an `Idempotency-Key` (its command id follows from it, so a retry moves nothing twice).
"""

from __future__ import annotations

import asyncio
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Path, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from aggregates.commands.migration import EditionKey
from aggregates.errors import InvalidCommandError, RoleError, StageError
from aggregates.migration import EditionMapping
from aggregates.values import Checked, Ident, Name, Role, Text
from api.access import reachable_route
from api.endpoints.commands import COMMAND_TIMEOUT, pending
from api.endpoints.responses import problems
from api.idempotency import IdempotencyKey, Keyed, answer_once, request_hash, require_key
from api.models import CommandAccepted
from api.services import PrincipalDep, ServicesDep
from runtime.migration import SIGNAL, Migrations

RouteId = Annotated[UUID, Path(description="Идентификатор ИОМ.")]
STAGE_RULES = frozenset({"stage", "route_closed", "paused", "not_running"})
"""Refusals for the route's stage or process, answered as the stage's (409)."""


class MigrationRequest(Checked):
    """Перевод ИОМ на новую редакцию регламента региона по приказу, утвердившему её."""

    model_config = ConfigDict(extra="forbid")

    edition: EditionKey
    mapping: EditionMapping = Field(
        default_factory=EditionMapping,
        description="Соответствие редакций; не названное сохраняет свой код.",
    )
    order: Name = Field(description="Приказ, утвердивший новую редакцию.")
    reason: Text = Field(description="Причина перевода; записывается в ИОМ.")
    ticket: Name = Field(description="Заявка, по которой действует оператор.")
    operation_id: Ident | None = Field(
        default=None, description="Массовая операция, частью которой является перевод."
    )
    dry_run: bool = Field(default=False, description="Только проверить: ничего не записать.")


class MigrationProblem(BaseModel):
    """Почему ИОМ нельзя перевести: правило, элемент соответствия, причина."""

    rule: str
    field: str
    message: str


class DeadlineView(BaseModel):
    """Открытый срок ИОМ по правилам новой редакции."""

    key: str
    due_on: str = Field(description="Дата ГГГГ-ММ-ДД.")


class MigrationPreviewAnswer(BaseModel):
    """Проверка перевода: можно ли перевести ИОМ и каким он станет (ничего не записано)."""

    route_id: UUID
    edition_before: str
    edition_after: str
    movable: bool
    stage_name: str = Field(description="Этап ИОМ в терминах новой редакции.")
    deadlines: list[DeadlineView]
    problems: list[MigrationProblem]


async def migrate_route(
    route_id: RouteId,
    body: MigrationRequest,
    request: Request,
    *,
    principal: PrincipalDep,
    services: ServicesDep,
    idempotency_key: IdempotencyKey = None,
) -> JSONResponse:
    """Перевести ИОМ на новую редакцию регламента региона (только оператор). Соответствие
    проверяется по ИОМ до записи; с `dry_run` — только проверка: всё, что не переходит, с
    правилом и причиной, или этап и сроки ИОМ по новой редакции. Иначе — событие «ИОМ
    переведён на новую редакцию» с приказом, через процесс ИОМ: новая версия или отказ."""
    if principal.role is not Role.OPERATOR:
        raise RoleError("role", "перевод ИОМ на новую редакцию выполняет оператор")
    await asyncio.to_thread(reachable_route, services.routes, principal, route_id)
    migrations = Migrations(services.routes, services.gateway)
    if body.dry_run:
        preview = await asyncio.to_thread(
            migrations.preview_migration, route_id, body.edition, body.mapping
        )
        return JSONResponse(
            MigrationPreviewAnswer.model_validate(preview.as_json()).model_dump(mode="json")
        )
    key = require_key(idempotency_key)
    asked_body = body.model_dump(mode="json")
    asked = request_hash(principal, "POST", f"/routes/{route_id}/migration", asked_body)
    keyed = Keyed(request, services.answers, principal, key, asked)

    def holds(command_id: str) -> bool:
        return command_id in services.routes.route(route_id).commands

    async def run(command_id: str) -> tuple[int, dict[str, Any]]:
        result = await migrations.migrate_route(
            route_id,
            body.edition,
            body.mapping,
            principal.actor,
            body.reason,
            body.operation_id,
            order=body.order,
            ticket=body.ticket,
            command_id=command_id,
            wait=COMMAND_TIMEOUT,
        )
        answer = result.answer
        if answer.status == "pending":
            raise pending()
        if answer.status == "refused":
            refusal = StageError if answer.rule in STAGE_RULES else InvalidCommandError
            raise refusal(answer.rule or "refused", answer.message or "", answer.field)
        accepted = CommandAccepted(
            route_id=route_id, command=SIGNAL, command_id=command_id, version=answer.version or 0
        )
        return 200, accepted.model_dump(mode="json")

    return await answer_once(keyed, run, command=SIGNAL, holds=holds, route_id=str(route_id))


def build_router() -> APIRouter:
    """`POST /routes/{route_id}/migration`."""
    router = APIRouter(prefix="/routes", tags=["Команды"])
    router.add_api_route(
        "/{route_id}/migration",
        migrate_route,
        methods=["POST"],
        response_model=CommandAccepted | MigrationPreviewAnswer,
        response_description="ИОМ переведён (новая версия) или, с dry_run, проверка перевода.",
        operation_id="migrate_route",
        summary="Перевод ИОМ на новую редакцию регламента",
        responses=problems(400, 401, 403, 404, 409, 422, 503, 504),
    )
    return router
