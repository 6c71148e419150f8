"""The officials who sign (personal data, 152-ФЗ): `PUT/GET/DELETE /officials/{official_id}`.

The portal fills the registry: an official's ФИО, position and organisation by their portal id,
so the documents' signature lines print names, never ids (`projections.documents.signatures`).
The cards live encrypted in the personal-data store (`adapters.personal.OfficialsStore`), never
in events, logs or workflow payloads. Writing, reading and erasing is for the operator and the
centre head (`REGISTRY_ROLES`), who keep the registry for the portal. An erasure is recorded as a
teacher's is (who, when, why; no personal data), the card is shredded with its key, and the id
is never written again: documents then say «данные удалены по 152-ФЗ». Answers are not to be
cached (`Cache-Control: no-store`).
"""

from __future__ import annotations

import asyncio
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field
from pydantic.config import JsonDict
from pydantic_core import PydanticCustomError

from adapters.personal import OfficialsStore
from aggregates.errors import RoleError
from aggregates.personal import (
    Erasure,
    OfficialCard,
    OfficialRecord,
    PersonalDataErasedError,
    PersonalDataUnreadableError,
)
from aggregates.text import accepted
from aggregates.values import Actor, Ident, Role, Text
from api.auth import Principal
from api.endpoints.responses import problems
from api.glossary import EXAMPLES
from api.paging import invalid
from api.problems import ProblemError
from api.services import PrincipalDep, Services, ServicesDep

OfficialId = Annotated[Ident, Path(description="Идентификатор должностного лица на портале.")]
Reason = Annotated[
    Text,
    Query(description="Основание уничтожения (например, номер и дата заявления)."),
]

REGISTRY_ROLES = frozenset({Role.OPERATOR, Role.CENTRE_HEAD})
"""Who keeps the registry of officials: the operator and the centre head."""

CARD_EXAMPLE: JsonDict = EXAMPLES["OfficialCard"]


class OfficialAnswer(BaseModel):
    """Сведения о должностном лице, подписывающем документы ИОМ (персональные данные,
    152-ФЗ)."""

    model_config = ConfigDict(
        json_schema_extra={"examples": [{"official_id": "methodist-07", "card": CARD_EXAMPLE}]}
    )

    official_id: str = Field(description="Идентификатор должностного лица на портале.")
    card: OfficialCard = Field(description="ФИО, должность, организация.")


def _answer(official_id: str, card: OfficialCard) -> JSONResponse:
    answer = OfficialAnswer(official_id=official_id, card=card)
    return JSONResponse(answer.model_dump(mode="json"), headers={"Cache-Control": "no-store"})


def _store(services: Services) -> OfficialsStore:
    if services.officials is None:
        raise ProblemError(503, "unavailable", "реестр должностных лиц сейчас недоступен")
    return services.officials


def _erased(official_id: str, record: OfficialRecord) -> ProblemError:
    when = f" {record.erased_at:%d.%m.%Y}" if record.erased_at else ""
    return ProblemError(
        410,
        "erased",
        f"персональные данные должностного лица {official_id} уничтожены{when} (152-ФЗ)",
        rule="erased",
    )


def require_registry_role(principal: Principal) -> None:
    """Refuse a role that does not keep the registry (before anything is looked up)."""
    if principal.role not in REGISTRY_ROLES:
        raise RoleError(
            "officials_role",
            "реестр должностных лиц (персональные данные, 152-ФЗ) ведут оператор и"
            " руководитель ЦНППМ",
        )


def _read(services: Services, official_id: str) -> OfficialRecord:
    try:
        return _store(services).get(official_id)
    except PersonalDataUnreadableError:
        raise ProblemError(
            503, "unavailable", "реестр должностных лиц сейчас недоступен", rule="unreadable"
        ) from None


async def put_official(
    official_id: OfficialId, card: OfficialCard, principal: PrincipalDep, services: ServicesDep
) -> Any:
    """Записать (или заменить) ФИО, должность и организацию должностного лица, которое
    подписывает документы ИОМ. Оператору и руководителю ЦНППМ; другим — 403. Сведения
    хранятся зашифрованными собственным ключом лица, отдельно от событий; повтор того же
    запроса ничего не меняет. После уничтожения по 152-ФЗ записать под этим id нельзя — 410."""
    require_registry_role(principal)
    store = _store(services)
    try:
        await asyncio.to_thread(store.put, official_id, card)
    except PersonalDataErasedError:
        record = await asyncio.to_thread(_read, services, official_id)
        raise _erased(official_id, record) from None
    return _answer(official_id, card)


async def get_official(
    official_id: OfficialId, principal: PrincipalDep, services: ServicesDep
) -> Any:
    """Сведения о должностном лице: оператору и руководителю ЦНППМ; другим — 403.
    Нет сведений — 404; уничтожены по 152-ФЗ — 410."""
    require_registry_role(principal)
    record = await asyncio.to_thread(_read, services, official_id)
    if record.status == "erased":
        raise _erased(official_id, record)
    if record.card is None:
        raise ProblemError(
            404,
            "official-not-found",
            f"сведения о должностном лице {official_id} не найдены",
            rule="not_found",
        )
    return _answer(official_id, record.card)


async def delete_official(
    official_id: OfficialId, reason: Reason, principal: PrincipalDep, services: ServicesDep
) -> Erasure:
    """Уничтожить сведения о должностном лице (152-ФЗ): ключ лица удаляется, сведения
    становятся нечитаемыми навсегда; документы ИОМ печатают «данные удалены по 152-ФЗ».
    Уничтожение записывается (кто, когда, основание; без персональных данных); повтор
    возвращает первую запись. Оператору и руководителю ЦНППМ; другим — 403."""
    require_registry_role(principal)
    try:  # a query parameter is not a checked model's field: its text is checked here
        reason = accepted(reason, multiline=True)
    except PydanticCustomError as error:
        raise invalid("reason", error.type, f"поле reason: {error.message()}") from None
    actor = Actor(id=principal.subject, role=principal.role)
    return await asyncio.to_thread(_store(services).erase, official_id, actor, reason)


def build_router() -> APIRouter:
    """The officials' router."""
    router = APIRouter(prefix="/officials", tags=["Персональные данные"])
    router.add_api_route(
        "/{official_id}",
        put_official,
        methods=["PUT"],
        response_model=OfficialAnswer,
        operation_id="put_official",
        summary="Записать сведения о должностном лице",
        responses=problems(401, 403, 410, 422, 503),
    )
    router.add_api_route(
        "/{official_id}",
        get_official,
        methods=["GET"],
        response_model=OfficialAnswer,
        operation_id="get_official",
        summary="Сведения о должностном лице",
        responses=problems(401, 403, 404, 410, 503),
    )
    router.add_api_route(
        "/{official_id}",
        delete_official,
        methods=["DELETE"],
        response_model=Erasure,
        operation_id="delete_official",
        summary="Уничтожить сведения о должностном лице (152-ФЗ)",
        responses=problems(401, 403, 422, 503),
    )
    return router
