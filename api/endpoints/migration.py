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
from api.models import EXAMPLE_ROUTE_ID, CommandAccepted
from api.services import PrincipalDep, ServicesDep
from runtime.migration import SIGNAL, Migrations

RouteId = Annotated[UUID, Path(description="Идентификатор ИОМ.")]
STAGE_RULES = frozenset({"stage", "route_closed", "paused", "not_running"})
"""Refusals for the route's stage or process, answered as the stage's (409)."""


EXAMPLE_MAPPING: dict[str, Any] = {
    "competences": {
        "communicative": "psych_communicative",
        "psych_pedagogical": "psych_communicative",
    }
}


class MigrationRequest(Checked):
    """Перевод ИОМ на новую редакцию регламента региона по приказу, утвердившему её."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "edition": "sakha@2",
                    "mapping": EXAMPLE_MAPPING,
                    "order": "Приказ № 01-03/0000",
                    "reason": "Новая редакция положения",
                    "ticket": "OPS-19",
                }
            ]
        },
    )

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


PROBLEM_EXAMPLE: dict[str, Any] = {
    "rule": "mapping_competence",
    "field": "mapping.competences.communicative",
    "message": "«communicative» (входная диагностика) не переходит в редакцию sakha@2: в ней"
    " нет «communicative», и соответствие компетенций не называет замену",
}


class MigrationProblem(BaseModel):
    """Почему ИОМ нельзя перевести: правило, элемент соответствия, причина."""

    model_config = ConfigDict(json_schema_extra={"examples": [PROBLEM_EXAMPLE]})

    rule: str = Field(description="Правило, по которому ИОМ не переводится.")
    field: str = Field(description="Элемент соответствия или поле запроса.")
    message: str = Field(description="Причина по-русски.")


DEADLINE_EXAMPLE: dict[str, Any] = {"key": "agreement:centre_head", "due_on": "2026-12-18"}


class DeadlineView(BaseModel):
    """Открытый срок ИОМ по правилам новой редакции."""

    model_config = ConfigDict(json_schema_extra={"examples": [DEADLINE_EXAMPLE]})

    key: str = Field(description="Ключ срока: activity:<id>, agreement:<роль>, …")
    due_on: str = Field(description="Дата ГГГГ-ММ-ДД.")


class MigrationPreviewAnswer(BaseModel):
    """Проверка перевода: можно ли перевести ИОМ и каким он станет (ничего не записано)."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "route_id": EXAMPLE_ROUTE_ID,
                    "edition_before": "sakha@1",
                    "edition_after": "sakha@2",
                    "movable": True,
                    "stage_name": "Согласование и утверждение ИОМ",
                    "deadlines": [DEADLINE_EXAMPLE],
                    "problems": [],
                },
                {
                    "route_id": EXAMPLE_ROUTE_ID,
                    "edition_before": "sakha@1",
                    "edition_after": "sakha@2",
                    "movable": False,
                    "stage_name": "",
                    "deadlines": [],
                    "problems": [PROBLEM_EXAMPLE],
                },
            ]
        }
    )

    route_id: UUID = Field(description="Идентификатор ИОМ.")
    edition_before: str = Field(description="Редакция, которой ИОМ следует сейчас.")
    edition_after: str = Field(description="Редакция, на которую его переводят.")
    movable: bool = Field(description="Можно ли перевести ИОМ так, как просят.")
    stage_name: str = Field(description="Этап ИОМ в терминах новой редакции.")
    deadlines: list[DeadlineView] = Field(description="Открытые сроки по новой редакции.")
    problems: list[MigrationProblem] = Field(description="Что не переходит (пусто: всё).")


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
