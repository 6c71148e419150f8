"""The teacher's information sheet (personal data, 152-ФЗ): `GET /teachers/{teacher_id}/sheet`.

Only the roles entitled to it (`api.access.SHEET_ROLES`), each for the teachers within its
reach: the teacher themself; a methodist, a school head or the region's centre head for a
teacher with a route assigned to them, at their school, in their region (the region is the
tenant: a teacher with no route in the token's region is out of reach there, even for
themself) (the teacher's routes
are looked up in the monitoring table `iom_routes`, ids only). Another role is refused before
anything is looked up (403); a teacher out of reach answers 404, the same as a teacher with no
sheet, so the refusal says nothing about the teacher. After erasure the answer is 410.
The sheet is never logged, and the answer is not to be cached (`Cache-Control: no-store`).
"""

from __future__ import annotations

import asyncio
from typing import Annotated, Any

from fastapi import APIRouter, Path
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from aggregates.personal import PersonalRecord, TeacherSheet
from aggregates.values import Ident, Role
from api.access import may_read_sheet, require_sheet_role
from api.auth import Principal
from api.endpoints.responses import problems
from api.glossary import EXAMPLES
from api.problems import ProblemError
from api.services import PrincipalDep, Services, ServicesDep
from projections.routes import ROUTE_LIST
from projections.tables import Filters

TeacherId = Annotated[Ident, Path(description="Идентификатор педагога.")]

SHEET_EXAMPLE = EXAMPLES["TeacherSheet"]


class SheetAnswer(BaseModel):
    """Информационная справка педагога (сведения об авторе ИОМ): персональные данные
    (152-ФЗ), только для ролей, которым они нужны по регламенту."""

    model_config = ConfigDict(
        json_schema_extra={"examples": [{"teacher_id": "teacher-000451", "sheet": SHEET_EXAMPLE}]}
    )

    teacher_id: str = Field(description="Идентификатор педагога.")
    sheet: TeacherSheet = Field(description="Информационная справка.")


def not_found(teacher_id: str) -> ProblemError:
    """No sheet, or a teacher out of reach: the same answer."""
    return ProblemError(
        404, "sheet-not-found", f"сведения о педагоге {teacher_id} не найдены", rule="not_found"
    )


def teacher_routes(
    services: Services, principal: Principal, teacher_id: str
) -> list[dict[str, Any]]:
    """The teacher's routes in the principal's region (blocking: run it in a thread)."""
    filters = Filters(profile_id=principal.region, teacher_id=teacher_id)
    with services.monitoring.transaction(commit=False) as db:
        return ROUTE_LIST.select(db, filters, limit=1000)


def read_sheet(services: Services, principal: Principal, teacher_id: str) -> PersonalRecord:
    """The teacher's record, if the principal may read it (blocking: run it in a thread)."""
    require_sheet_role(principal)
    if principal.role is Role.TEACHER and principal.teacher_id != teacher_id:
        raise not_found(teacher_id)
    if not may_read_sheet(principal, teacher_id, teacher_routes(services, principal, teacher_id)):
        raise not_found(teacher_id)
    if services.personal is None:
        raise ProblemError(503, "unavailable", "сведения о педагогах сейчас недоступны")
    return services.personal.get(teacher_id)


async def get_sheet(teacher_id: TeacherId, principal: PrincipalDep, services: ServicesDep) -> Any:
    """Информационная справка педагога (ФИО, ОО, должность, образование, стаж, категория,
    курсы, награды). Доступна только самому педагогу, методисту его ИОМ, руководителю ОО,
    где проходит его ИОМ, и руководителю ЦНППМ региона (152-ФЗ: минимально необходимый доступ);
    другим ролям — 403. Педагог вне досягаемости и педагог без сведений — 404; сведения,
    уничтоженные по 152-ФЗ, — 410."""
    record = await asyncio.to_thread(read_sheet, services, principal, teacher_id)
    if record.status == "erased" and record.erased_at is not None:
        when = record.erased_at.strftime("%d.%m.%Y")
        raise ProblemError(
            410,
            "erased",
            f"персональные данные педагога {teacher_id} уничтожены {when} (152-ФЗ)",
            rule="erased",
        )
    if record.sheet is None:
        raise not_found(teacher_id)
    answer = SheetAnswer(teacher_id=teacher_id, sheet=record.sheet)
    return JSONResponse(answer.model_dump(mode="json"), headers={"Cache-Control": "no-store"})


def build_router() -> APIRouter:
    """The teachers' router."""
    router = APIRouter(prefix="/teachers", tags=["Персональные данные"])
    router.add_api_route(
        "/{teacher_id}/sheet",
        get_sheet,
        methods=["GET"],
        response_model=SheetAnswer,
        response_description="Информационная справка педагога.",
        operation_id="get_teacher_sheet",
        summary="Информационная справка педагога",
        responses=problems(401, 403, 404, 410),
    )
    return router
