"""The region's ДПП catalogue over HTTP: `/catalogue/programmes` to read it (at any version),
add, change and withdraw a programme, and import a whole file.

Everyone of the region reads the catalogue (a designer picks a programme from it); the centre
head (руководитель ЦНППМ) keeps it. Each change is a new version of the region's catalogue
(`aggregates.programmes.catalogue`); a change that changes nothing (the same file again) makes
none. Writes carry an `Idempotency-Key`: a retry is answered as the first time. An import's
body is the file itself (CSV, XLSX or JSON, `adapters.programmes`): checked whole, every bad
row named in the problem's `errors`, nothing written while any row is bad.
"""

from __future__ import annotations

import asyncio
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from adapters.programmes import ProgrammeFileError, read_programmes
from aggregates.errors import RoleError
from aggregates.profiles import Profile
from aggregates.programmes.catalogue import Catalogue
from aggregates.programmes.values import Programme
from aggregates.values import CATALOGUE_VERSIONS, Role
from api.auth import Principal
from api.endpoints.responses import XLSX, file_body, problems
from api.idempotency import IdempotencyKey, Keyed, answer_once, request_hash, require_key
from api.problems import FieldProblem, ProblemError
from api.services import PrincipalDep, Services, ServicesDep

KEEPERS = frozenset({Role.CENTRE_HEAD})
"""Who keeps the region's catalogue: the centre head (руководитель ЦНППМ)."""
IMPORT_MEDIA = ("text/csv", "application/json", XLSX)


class CatalogueAnswer(BaseModel):
    """Каталог ДПП региона в одной версии."""

    region: str = Field(description="Код регламента региона.")
    version: int = Field(description="Версия каталога (0 — каталог ещё пуст).")
    programmes: list[Programme] = Field(description="Программы этой версии по реестровым номерам.")


class CatalogueChanged(BaseModel):
    """Версия каталога после изменения (та же, если изменять было нечего)."""

    region: str = Field(description="Код регламента региона.")
    version: int = Field(description="Версия каталога, в которой изменение есть.")
    programmes: int = Field(description="Сколько программ в этой версии.")


Number = Annotated[str, Path(description="Реестровый номер программы.", max_length=64)]
Version = Annotated[
    int | None,
    Query(ge=1, le=CATALOGUE_VERSIONS, description="Версия каталога; без неё — последняя."),
]


def require_keeper(principal: Principal) -> None:
    """Refuse a change of the catalogue from anyone but the centre head."""
    if principal.role not in KEEPERS:
        raise RoleError("role", "каталог ДПП ведёт руководитель ЦНППМ")


def answer(catalogue: Catalogue) -> CatalogueAnswer:
    """The catalogue as the API shows it."""
    return CatalogueAnswer(
        region=catalogue.region, version=catalogue.version, programmes=catalogue.listed()
    )


async def list_programmes(
    principal: PrincipalDep, services: ServicesDep, version: Version = None
) -> CatalogueAnswer:
    """Каталог ДПП региона токена: последняя версия или указанная (прежние версии доступны)."""
    found = await asyncio.to_thread(services.routes.catalogues.catalogue, principal.region, version)
    return answer(found)


async def get_programme(
    registry_number: Number,
    principal: PrincipalDep,
    services: ServicesDep,
    version: Version = None,
) -> Programme:
    """Одна программа каталога ДПП региона (в последней или указанной версии каталога)."""
    found = await asyncio.to_thread(services.routes.catalogues.catalogue, principal.region, version)
    programme = found.programmes.get(registry_number)
    if programme is None:
        raise ProblemError(
            404,
            "programme-not-found",
            f"программы № {registry_number} нет в каталоге ДПП версии {found.version}",
            rule="not_found",
            field="registry_number",
        )
    return programme


async def _change(
    request: Request,
    *,
    principal: Principal,
    services: Services,
    key: str | None,
    body: dict[str, Any],
    change: Any,
) -> JSONResponse:
    """Run `change(profile, command_id)` once under the request's key; the new version."""
    require_keeper(principal)
    keyed = Keyed(
        request,
        services.answers,
        principal,
        require_key(key),
        request_hash(principal, request.method, request.url.path, body),
    )
    catalogues = services.routes.catalogues

    def holds(command_id: str) -> bool:
        return command_id in catalogues.catalogue(principal.region).commands

    async def run(command_id: str) -> tuple[int, dict[str, Any]]:
        profile = services.routes.profiles.latest(principal.region)
        version = await asyncio.to_thread(change, profile, command_id)
        found = await asyncio.to_thread(catalogues.catalogue, principal.region, version)
        changed = CatalogueChanged(
            region=principal.region, version=version, programmes=len(found.programmes)
        )
        return 200, changed.model_dump(mode="json")

    return await answer_once(keyed, run, command="catalogue", holds=holds)


async def put_programme(
    body: Programme,
    request: Request,
    *,
    principal: PrincipalDep,
    services: ServicesDep,
    idempotency_key: IdempotencyKey = None,
) -> JSONResponse:
    """Внести программу в каталог ДПП региона или изменить её (по реестровому номеру): новая
    версия каталога. Выполняет руководитель ЦНППМ."""

    def change(profile: Profile, command_id: str) -> int:
        return services.routes.catalogues.put(
            profile, [body], principal.actor, command_id, field="programme"
        )

    payload = body.model_dump(mode="json")
    return await _change(
        request,
        principal=principal,
        services=services,
        key=idempotency_key,
        body=payload,
        change=change,
    )


async def withdraw_programme(
    registry_number: Number,
    request: Request,
    *,
    principal: PrincipalDep,
    services: ServicesDep,
    idempotency_key: IdempotencyKey = None,
) -> JSONResponse:
    """Исключить программу из каталога ДПП региона: новая версия каталога (прежние версии её
    сохраняют). Выполняет руководитель ЦНППМ."""

    def change(profile: Profile, command_id: str) -> int:
        return services.routes.catalogues.withdraw(
            profile.id, [registry_number], principal.actor, command_id
        )

    body = {"registry_number": registry_number}
    return await _change(
        request,
        principal=principal,
        services=services,
        key=idempotency_key,
        body=body,
        change=change,
    )


async def import_programmes(
    request: Request,
    *,
    principal: PrincipalDep,
    services: ServicesDep,
    idempotency_key: IdempotencyKey = None,
    filename: Annotated[
        str, Query(max_length=255, description="Имя файла (по расширению .csv, .xlsx, .json).")
    ] = "",
) -> JSONResponse:
    """Загрузить файл программ ДПП (тело запроса — сам файл CSV, XLSX или JSON): файл
    проверяется целиком, каждая ошибка названа строкой и столбцом; при любой ошибке ничего не
    записывается. Повторная загрузка того же файла ничего не меняет. Выполняет руководитель
    ЦНППМ."""
    require_keeper(principal)
    data = await request.body()
    profile = services.routes.profiles.latest(principal.region)
    try:
        programmes = await asyncio.to_thread(read_programmes, data, filename, profile)
    except ProgrammeFileError as error:
        raise refused_file(error) from None

    def change(profile: Profile, command_id: str) -> int:
        return services.routes.catalogues.put(profile, programmes, principal.actor, command_id)

    body = {"programmes": [p.model_dump(mode="json") for p in programmes]}
    return await _change(
        request,
        principal=principal,
        services=services,
        key=idempotency_key,
        body=body,
        change=change,
    )


def refused_file(error: ProgrammeFileError) -> ProblemError:
    """A file refused whole, each bad row one of the problem's `errors`."""
    return ProblemError(
        422,
        "invalid-file",
        str(error),
        rule="file_rows",
        field="body",
        errors_=[
            FieldProblem(
                field=found.column, rule="row", detail=f"строка {found.line}: {found.message}"
            )
            for found in error.problems
        ],
    )


def build_router() -> APIRouter:
    """`/catalogue/programmes`: read, add or change, withdraw, import."""
    router = APIRouter(prefix="/catalogue/programmes", tags=["Каталог ДПП"])
    router.add_api_route(
        "",
        list_programmes,
        methods=["GET"],
        response_model=CatalogueAnswer,
        operation_id="list_programmes",
        summary="Каталог ДПП региона",
        responses=problems(401, 422),
    )
    router.add_api_route(
        "",
        put_programme,
        methods=["POST"],
        response_model=CatalogueChanged,
        operation_id="put_programme",
        summary="Внести или изменить программу ДПП",
        responses=problems(400, 401, 403, 409, 422),
    )
    router.add_api_route(
        "/import",
        import_programmes,
        methods=["POST"],
        response_model=CatalogueChanged,
        operation_id="import_programmes",
        summary="Загрузить файл программ ДПП",
        responses=problems(400, 401, 403, 409, 413, 422),
        openapi_extra=file_body(*IMPORT_MEDIA),
    )
    router.add_api_route(
        "/{registry_number}",
        get_programme,
        methods=["GET"],
        response_model=Programme,
        operation_id="get_programme",
        summary="Программа ДПП",
        responses=problems(401, 404, 422, when={404: "Программы нет в этой версии каталога."}),
    )
    router.add_api_route(
        "/{registry_number}",
        withdraw_programme,
        methods=["DELETE"],
        response_model=CatalogueChanged,
        operation_id="withdraw_programme",
        summary="Исключить программу ДПП",
        responses=problems(400, 401, 403, 409, 422),
    )
    return router
