"""Whether a printed document matches the store: `GET /audit/documents/{code}`, the code from
the document's footer or its QR code (`adapters.document_code`), as `iom audit verify-document`
answers it.

For the roles that check the region's records (the centre head, the auditor, the operator).
A text that is not a document's code (a typo, a forgery) is refused with 422; a code naming a
route that does not exist, or one of another region, answers 404 alike (naming no route). A
code of a route within reach answers 200 with the verdict: `matches` and the reason in Russian
(a version the route never had, another chain hash, a broken chain: `matches` false).
"""

from __future__ import annotations

import asyncio
from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Path
from pydantic import BaseModel, Field

from adapters.document_code import DocumentCode, DocumentCodeError, Verdict, verify_code
from aggregates.errors import RoleError, RouteNotFoundError
from api.access import REGION_ROLES
from api.auth import Principal
from api.endpoints.responses import problems
from api.paging import invalid
from api.services import PrincipalDep, Services, ServicesDep

Code = Annotated[
    str,
    Path(
        description="Код проверки с документа: 40 знаков группами по 5 через дефис"
        " (строчные и прописные не различаются).",
        max_length=80,
    ),
]


class DocumentCheck(BaseModel):
    """Соответствует ли бумажный документ хранилищу: ИОМ, версия и хеш цепочки по коду."""

    code: str = Field(description="Код документа, как он напечатан.")
    route_id: UUID = Field(description="ИОМ, названный кодом.")
    version: int = Field(description="Версия ИОМ, которую показывает документ.")
    matches: bool = Field(description="Документ соответствует хранилищу.")
    message: str = Field(description="Вывод проверки по-русски.")
    current_version: int | None = Field(
        description="Текущая версия ИОМ (нет — ИОМ нет или цепочка нарушена)."
    )


def require_auditing_role(principal: Principal) -> None:
    """Refuse a role that does not check the region's records (before anything is read)."""
    if principal.role not in REGION_ROLES:
        raise RoleError(
            "audit_role",
            "проверка документа по коду доступна руководителю ЦНППМ, аудитору и оператору",
        )


def check(services: Services, principal: Principal, code: DocumentCode) -> Verdict:
    """The verdict on the code of a route within the principal's region (blocking); a route
    that does not exist or is of another region: `RouteNotFoundError`, alike."""
    try:
        route = services.routes.route(code.route_id, version=1)
    except RouteNotFoundError:
        route = None
    if route is None or route.profile.id != principal.region:
        raise RouteNotFoundError("not_found", "ИОМ, названный кодом документа, не найден")
    return verify_code(services.routes, code)


async def get_document_check(
    code: Code, principal: PrincipalDep, services: ServicesDep
) -> DocumentCheck:
    """Проверка бумажного документа ИОМ по его коду (текст в подвале или QR-код): есть ли ИОМ,
    есть ли версия, совпадает ли хеш цепочки на этой версии с хранилищем. Документ старой
    версии соответствует своей версии, даже если ИОМ с тех пор изменён. Неверный код — 422;
    ИОМ по коду нет (или он другого региона) — 404.
    Руководителю ЦНППМ, аудитору и оператору; другим — 403."""
    require_auditing_role(principal)
    try:
        parsed = DocumentCode.parse(code)
    except DocumentCodeError as error:
        raise invalid("code", "document_code", error.message) from None
    verdict = await asyncio.to_thread(check, services, principal, parsed)
    return DocumentCheck(
        code=parsed.text,
        route_id=parsed.route_id,
        version=parsed.version,
        matches=verdict.matches,
        message=verdict.message,
        current_version=verdict.current_version,
    )


def build_router() -> APIRouter:
    """The documents' proofs router."""
    router = APIRouter(tags=["Аудит"])
    router.add_api_route(
        "/audit/documents/{code}",
        get_document_check,
        methods=["GET"],
        response_model=DocumentCheck,
        operation_id="get_document_check",
        summary="Проверить бумажный документ по коду",
        responses=problems(401, 403, 404, 422),
    )
    return router
