"""Each command's form under an edition: `GET /regulations/{id}/{version}/commands/{name}`.

The JSON Schema (2020-12) of the command's body with the edition's requirements folded in
(`aggregates.forms`): the fields the region demands, its competence codes and directions as
enums, its term bounds and date rules said. Like the edition, it never changes: `ETag`, 304.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Path, Response
from pydantic import BaseModel

from aggregates.commands import PERSON_COMMANDS, OpenRoute
from aggregates.forms import command_schema
from aggregates.values import Code
from api.endpoints.regulations import edition_of, unchanging
from api.endpoints.responses import problems
from api.models import OpenRouteRequest
from api.problems import ProblemError
from api.services import ServicesDep, principal

FORMS: dict[str, tuple[type[BaseModel], type[Any]]] = {
    "open_route": (OpenRouteRequest, OpenRoute),
    **{name: (command, command) for name, command in PERSON_COMMANDS.items()},
}
"""Each command's body as the API takes it, and the command that declares its requirements."""


async def get_form(
    profile_id: Annotated[Code, Path(description="Код регламента (региона).")],
    version: Annotated[int, Path(ge=1, description="Номер редакции.")],
    name: Annotated[
        Code, Path(description="Команда: `open_route` или имя команды по ИОМ (`design_route`…).")
    ],
    services: ServicesDep,
    if_none_match: Annotated[
        str | None, Header(description="ETag формы, уже имеющейся у портала.")
    ] = None,
) -> Response:
    """JSON Schema (2020-12) тела команды по этой редакции регламента: обязательные по
    регламенту региона поля (оценки мероприятия, продукт, заключительное мероприятие,
    рекомендации, направление мероприятия), перечни кодов компетенций и направлений региона,
    границы срока и правила дат в описаниях — чтобы портал строил формы по ней. Что схема
    отклоняет по требованию региона, отклоняет и ИОМ, называя то же поле."""
    profile = edition_of(services, profile_id, version)
    if name not in FORMS:
        known = ", ".join(FORMS)
        raise ProblemError(
            404, "command-not-found", f"команды «{name}» нет; команды: {known}", rule="not_found"
        )
    body, command = FORMS[name]
    schema = command_schema(body, command.required_by(profile), profile)
    return unchanging(schema, if_none_match)


def build_router() -> APIRouter:
    """The forms' router (any portal user, as the regulations)."""
    router = APIRouter(
        prefix="/regulations", tags=["Регламенты"], dependencies=[Depends(principal)]
    )
    router.add_api_route(
        "/{profile_id}/{version}/commands/{name}",
        get_form,
        methods=["GET"],
        response_model=dict[str, Any],
        response_description="JSON Schema (2020-12) тела команды.",
        operation_id="get_command_form",
        summary="Форма команды по редакции регламента",
        responses={**problems(401, 404), 304: {"description": "Форма не изменилась."}},
    )
    return router
