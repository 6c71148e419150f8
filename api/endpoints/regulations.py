"""The regulations a deployment knows, as data: `GET /regulations` and one edition whole.

A route pins one edition of its region's profile (`RouteState.profile`, `id@version`); the
portal reads the same edition here to learn the competences and their levels, the directions,
the stages' Russian names, the agreement's rounds and parties, who designs, corrects and
concludes, the term bounds and what the route must end with. An edition never changes once
published (a change is a new version), so its answer carries a strong `ETag` and answers
`304 Not Modified` to a matching `If-None-Match`. Each command's form under an edition:
`api.endpoints.forms`.
"""

from __future__ import annotations

import hashlib
from typing import Annotated, Any

import orjson
from fastapi import APIRouter, Depends, Header, Path, Response
from pydantic import BaseModel, Field

from aggregates.profiles import Profile, UnknownProfileError
from aggregates.values import Code
from api.endpoints.responses import problems
from api.problems import ProblemError
from api.services import Services, ServicesDep, principal


class Edition(BaseModel):
    """Редакция регламента региона, известная развёртыванию."""

    id: str = Field(description="Код регламента (региона), как в утверждении `region` токена.")
    version: int = Field(description="Номер редакции.")
    region: str = Field(description="Регион или муниципалитет.")
    regulation: str = Field(description="Документ регламента и его дата.")
    href: str = Field(description="Адрес редакции целиком: `GET /regulations/{id}/{version}`.")

    @classmethod
    def of(cls, profile: Profile) -> Edition:
        """The edition's line of the list."""
        return cls(
            id=profile.id,
            version=profile.version,
            region=profile.region,
            regulation=profile.regulation,
            href=edition_href(profile.id, profile.version),
        )


class Editions(BaseModel):
    """Регламенты развёртывания: каждая редакция каждого региона, старые первыми."""

    items: list[Edition] = Field(description="Редакции.")


def edition_href(profile_id: str, version: int) -> str:
    """The path of one edition, as a route's answer links it."""
    return f"/regulations/{profile_id}/{version}"


async def list_regulations(services: ServicesDep) -> Editions:
    """Редакции регламентов, известные развёртыванию (любому пользователю портала: регламенты
    открыты, персональных данных в них нет)."""
    return Editions(items=[Edition.of(p) for p in services.routes.profiles.editions()])


async def get_regulation(
    profile_id: Annotated[Code, Path(description="Код регламента (региона).")],
    version: Annotated[int, Path(ge=1, description="Номер редакции.")],
    services: ServicesDep,
    if_none_match: Annotated[
        str | None, Header(description="ETag редакции, уже имеющейся у портала.")
    ] = None,
) -> Response:
    """Редакция регламента целиком — то, что закрепляет за собой ИОМ: шкала уровней,
    компетенции, направления, названия этапов, стороны согласования по раундам, кто
    проектирует, корректирует, подводит итоги и подписывает, границы срока, что обязательно.
    Редакция не меняется: ответ несёт `ETag`, на совпадающий `If-None-Match` — 304."""
    profile = edition_of(services, profile_id, version)
    return unchanging(profile.model_dump(mode="json"), if_none_match)


def edition_of(services: Services, profile_id: str, version: int) -> Profile:
    """The edition asked for, or a 404."""
    try:
        return services.routes.profiles.edition(profile_id, version)
    except UnknownProfileError as error:
        raise ProblemError(404, "regulation-not-found", str(error), rule="not_found") from None


def unchanging(answer: dict[str, Any], if_none_match: str | None) -> Response:
    """An answer that never changes (an edition, a form under it): a strong `ETag`, and 304
    to a matching `If-None-Match`."""
    body = orjson.dumps(answer, option=orjson.OPT_SORT_KEYS)
    etag = f'"{hashlib.sha256(body).hexdigest()[:32]}"'
    headers = {"ETag": etag, "Cache-Control": "no-cache"}
    if if_none_match is not None and etag in (tag.strip() for tag in if_none_match.split(",")):
        return Response(status_code=304, headers=headers)
    return Response(body, media_type="application/json", headers=headers)


def build_router() -> APIRouter:
    """The regulations' router."""
    # Any portal user may read them (a token, for the rate limit and the audience check).
    router = APIRouter(
        prefix="/regulations", tags=["Регламенты"], dependencies=[Depends(principal)]
    )
    router.add_api_route(
        "",
        list_regulations,
        methods=["GET"],
        response_model=Editions,
        operation_id="list_regulations",
        summary="Редакции регламентов",
        responses=problems(401),
    )
    router.add_api_route(
        "/{profile_id}/{version}",
        get_regulation,
        methods=["GET"],
        response_model=Profile,
        response_description="Редакция регламента.",
        operation_id="get_regulation",
        summary="Редакция регламента целиком",
        responses={**problems(401, 404), 304: {"description": "Редакция не изменилась."}},
    )
    return router
