"""Diagnostic campaigns: plan, read, announce to participants, mark attendance, hold, import the
platform's results, close; remove participants or cancel the campaign (their tasks cancelled);
the ДПП to order for its mass deficits.

A campaign belongs to the token's region; another region's campaign is not found. Its commands
are the centre's (руководитель ЦНППМ), a methodist's or an operator's (`ORGANISERS`); anyone of
the region but a teacher reads it. Each command's id follows from its `Idempotency-Key` (as a
route's): a retry appends nothing and answers with the campaign as it stands. Participants are
chosen by school, municipality, subject or a list of teachers and resolved to their open routes
from the monitoring tables at announcement (`iom projector` keeps them). Results come as the
platform's export, CSV or XLSX, in the request's body (`runtime.campaign_import`: the file is
checked whole; a bad file is a 422 naming every bad row, and nothing is written).
"""

from __future__ import annotations

import asyncio
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import JSONResponse

from aggregates.campaign import Campaign
from aggregates.campaign_commands import (
    AnnounceCampaign,
    CampaignCommand,
    CancelCampaign,
    Candidate,
    CloseCampaign,
    HoldCampaign,
    MarkAttendance,
    PlanCampaign,
    RemoveParticipants,
    require_organiser,
)
from aggregates.campaigns import Campaigns
from aggregates.errors import CampaignNotFoundError, InvalidCommandError, RoleError
from aggregates.programmes.orders import MASS_SHARE, OrderProposal
from aggregates.values import Role
from api.campaign_models import (
    AnnounceRequest,
    CampaignView,
    ImportAnswer,
    ParticipantView,
    campaign_view,
)
from api.endpoints.responses import XLSX, file_body, problems
from api.idempotency import IdempotencyKey, command_id_for, require_key
from api.problems import FieldProblem, ProblemError
from api.services import PrincipalDep, ServicesDep
from projections.routes import Chosen, open_routes_of
from runtime.campaign_import import ImportRefusedError, import_results

READERS = frozenset(set(Role) - {Role.TEACHER, Role.SYSTEM})
CampaignId = Annotated[UUID, Path(description="Id диагностики.")]
MAX_FILE = 64 * 1024 * 1024
"""The largest export taken (bytes): 20,000 teachers' rows are a few megabytes."""


def _campaigns(services: ServicesDep) -> Campaigns:
    return Campaigns(services.routes)


def _organiser(principal: PrincipalDep) -> None:
    """Refuse, before anything is looked up, a role that does not organise diagnostics (the
    campaign's commands refuse it too: this answers alike whatever the campaign)."""
    require_organiser(principal.role, "Планирование и проведение диагностики")


def _own(campaigns: Campaigns, principal: PrincipalDep, campaign_id: UUID) -> Campaign:
    """The campaign, if it is of the caller's region and the caller may read it."""
    if principal.role not in READERS:
        raise RoleError("role", "диагностики региона видят методисты и руководители")
    campaign = campaigns.find(campaign_id)
    if campaign is None or campaign.profile.id != principal.region:
        raise CampaignNotFoundError("not_found", f"диагностика {campaign_id} не найдена")
    return campaign


async def _run(
    services: ServicesDep,
    principal: PrincipalDep,
    campaign_id: UUID,
    command: CampaignCommand,
    key: str | None,
) -> dict[str, Any]:
    _organiser(principal)
    campaigns = _campaigns(services)
    command_id = command_id_for(principal.region, principal.actor.id, require_key(key))

    def execute() -> Campaign:
        _own(campaigns, principal, campaign_id)
        campaigns.execute(campaign_id, command, principal.actor, command_id)
        return campaigns.campaign(campaign_id)

    campaign = await asyncio.to_thread(execute)
    return campaign_view(campaign).model_dump(mode="json")


async def plan_campaign(
    body: PlanCampaign,
    *,
    principal: PrincipalDep,
    services: ServicesDep,
    idempotency_key: IdempotencyKey = None,
) -> JSONResponse:
    """Запланировать диагностику профессиональных дефицитов региона: вид (входная,
    промежуточная, итоговая), платформа, инструментарий (проверяется по правилам регламента,
    отказ называет пункт), сроки, группы с местом и временем."""
    _organiser(principal)
    campaigns = _campaigns(services)
    command_id = command_id_for(principal.region, principal.actor.id, require_key(idempotency_key))

    def plan() -> Campaign:
        receipt = campaigns.plan(principal.region, body, principal.actor, command_id)
        return campaigns.campaign(receipt.campaign_id)

    campaign = await asyncio.to_thread(plan)
    return JSONResponse(campaign_view(campaign).model_dump(mode="json"), status_code=201)


async def list_campaigns(*, principal: PrincipalDep, services: ServicesDep) -> list[CampaignView]:
    """Диагностики региона, в порядке планирования."""
    campaigns = _campaigns(services)

    def listed() -> list[CampaignView]:
        if principal.role not in READERS:
            raise RoleError("role", "диагностики региона видят методисты и руководители")
        ids = campaigns.campaign_ids(principal.region)
        return [campaign_view(campaigns.campaign(i), participants=False) for i in ids]

    return await asyncio.to_thread(listed)


async def get_campaign(
    campaign_id: CampaignId, *, principal: PrincipalDep, services: ServicesDep
) -> CampaignView:
    """Диагностика: её этап, группы, участники с отметкой об участии."""
    campaign = await asyncio.to_thread(_own, _campaigns(services), principal, campaign_id)
    return campaign_view(campaign)


async def list_participants(
    campaign_id: CampaignId, *, principal: PrincipalDep, services: ServicesDep
) -> list[ParticipantView]:
    """Участники диагностики: группа, оповещение, участие, внесён ли результат."""
    campaign = await asyncio.to_thread(_own, _campaigns(services), principal, campaign_id)
    return campaign_view(campaign).participants


MassShare = Annotated[
    float,
    Query(
        gt=0,
        le=1,
        description="Доля педагогов на низшем уровне, с которой дефицит считается массовым.",
    ),
]


async def campaign_orders(
    campaign_id: CampaignId,
    *,
    principal: PrincipalDep,
    services: ServicesDep,
    mass_share: MassShare = MASS_SHARE,
) -> OrderProposal:
    """Массовые дефициты, выявленные диагностикой у её участников, и программы ДПП каталога
    для каждого, либо предложение разработать программу (диагностика 7.2). Ничего не
    сохраняется."""
    campaigns = _campaigns(services)

    def proposed() -> OrderProposal:
        _own(campaigns, principal, campaign_id)
        return campaigns.orders(campaign_id, mass_share)

    return await asyncio.to_thread(proposed)


async def announce_campaign(
    campaign_id: CampaignId,
    body: AnnounceRequest,
    *,
    principal: PrincipalDep,
    services: ServicesDep,
    idempotency_key: IdempotencyKey = None,
) -> dict[str, Any]:
    """Оповестить участников о месте и времени диагностики: педагоги ОО, муниципалитетов,
    предметов или списка, с открытыми ИОМ региона. Оповещение позже срока регламента
    (Якутия: не позднее чем за 3 дня) отклоняется с указанием пункта. Каждому участнику —
    задача во входящих и уведомление (вебхук, электронная почта) с местом и временем его
    группы."""
    _organiser(principal)  # the role and the campaign first: nothing of the region's teachers
    await asyncio.to_thread(_own, _campaigns(services), principal, campaign_id)  # before them
    chosen = Chosen(body.school_ids, body.municipality_ids, body.subjects, body.teacher_ids)

    def resolve() -> list[dict[str, Any]]:
        with services.monitoring.transaction(commit=False) as db:
            return open_routes_of(db, principal.region, chosen)

    rows = await asyncio.to_thread(resolve)
    if not rows:
        raise InvalidCommandError(
            "no_participants", "по условиям выбора нет педагогов с открытыми ИОМ", "school_ids"
        )
    found = {row["teacher_id"] for row in rows}
    unknown = sorted(set(body.teacher_ids) - found)
    if unknown:
        raise InvalidCommandError(
            "no_participants", "нет открытых ИОМ педагогов: " + ", ".join(unknown), "teacher_ids"
        )
    command = AnnounceCampaign(
        participants=[Candidate(group_id=body.group_id, **row) for row in rows]
    )
    campaigns = _campaigns(services)
    command_id = command_id_for(principal.region, principal.actor.id, require_key(idempotency_key))
    receipt = await asyncio.to_thread(
        campaigns.execute, campaign_id, command, principal.actor, command_id
    )
    if receipt.events or receipt.replayed:  # its notices: started again by a retried request
        await services.gateway.announce(campaign_id, receipt.version)
    campaign = await asyncio.to_thread(campaigns.campaign, campaign_id)
    return campaign_view(campaign).model_dump(mode="json")


async def remove_participants(
    campaign_id: CampaignId,
    body: RemoveParticipants,
    *,
    principal: PrincipalDep,
    services: ServicesDep,
    idempotency_key: IdempotencyKey = None,
) -> dict[str, Any]:
    """Исключить участников из диагностики, с причиной: их задачи во входящих отменяются.
    Участник с внесённым результатом не исключается."""
    return await _run(services, principal, campaign_id, body, idempotency_key)


async def cancel_campaign(
    campaign_id: CampaignId,
    body: CancelCampaign,
    *,
    principal: PrincipalDep,
    services: ServicesDep,
    idempotency_key: IdempotencyKey = None,
) -> dict[str, Any]:
    """Отменить диагностику, с причиной, пока она не проведена: задачи участников отменяются."""
    return await _run(services, principal, campaign_id, body, idempotency_key)


async def mark_attendance(
    campaign_id: CampaignId,
    body: MarkAttendance,
    *,
    principal: PrincipalDep,
    services: ServicesDep,
    idempotency_key: IdempotencyKey = None,
) -> dict[str, Any]:
    """Отметить участие: присутствовали и отсутствовали."""
    return await _run(services, principal, campaign_id, body, idempotency_key)


async def hold_campaign(
    campaign_id: CampaignId,
    body: HoldCampaign,
    *,
    principal: PrincipalDep,
    services: ServicesDep,
    idempotency_key: IdempotencyKey = None,
) -> dict[str, Any]:
    """Отметить проведение диагностики."""
    return await _run(services, principal, campaign_id, body, idempotency_key)


async def close_campaign(
    campaign_id: CampaignId,
    *,
    principal: PrincipalDep,
    services: ServicesDep,
    idempotency_key: IdempotencyKey = None,
) -> dict[str, Any]:
    """Закрыть диагностику: участники без отметки и без результата — отсутствовали."""
    return await _run(services, principal, campaign_id, CloseCampaign(), idempotency_key)


async def import_campaign_results(
    campaign_id: CampaignId,
    request: Request,
    *,
    principal: PrincipalDep,
    services: ServicesDep,
    filename: Annotated[
        str, Query(max_length=255, description="Имя файла выгрузки: .csv или .xlsx.")
    ] = "results.csv",
) -> ImportAnswer:
    """Загрузить результаты диагностики из выгрузки платформы (CSV или XLSX в теле запроса):
    файл проверяется целиком, каждая ошибочная строка названа с номером и столбцом, и при
    ошибках ничего не записывается; затем результат каждого педагога вносится в его ИОМ как
    входная, промежуточная или итоговая диагностика, ровно один раз при любом числе повторов
    того же файла."""
    _organiser(principal)
    data = await request.body()
    if len(data) > MAX_FILE:
        raise ProblemError(413, "payload-too-large", f"файл больше {MAX_FILE // 1024 // 1024} МБ")
    campaigns = _campaigns(services)

    def run() -> ImportAnswer:
        _own(campaigns, principal, campaign_id)
        report = import_results(campaigns, campaign_id, data, filename, principal.actor)
        return ImportAnswer(
            campaign_id=campaign_id,
            file_hash=report.file_hash,
            rows=report.rows,
            recorded=report.recorded,
            unchanged=report.unchanged,
            events=report.events,
        )

    try:
        return await asyncio.to_thread(run)
    except ImportRefusedError as error:
        raise ProblemError(
            422,
            "invalid-file",
            error.message,
            rule="results_file",
            field="file",
            errors_=[
                FieldProblem(
                    field=f"строка {p.line}" + (f", столбец «{p.column}»" if p.column else ""),
                    rule="results_row",
                    detail=p.message,
                )
                for p in error.problems
            ],
        ) from None


def build_router() -> APIRouter:
    """`/campaigns`: the diagnostic campaigns of the token's region."""
    router = APIRouter(prefix="/campaigns", tags=["Диагностики"])
    commands = problems(400, 401, 403, 404, 409, 422)
    router.add_api_route(
        "",
        plan_campaign,
        methods=["POST"],
        status_code=201,
        response_model=CampaignView,
        operation_id="plan_campaign",
        summary="Планирование диагностики",
        responses=commands,
    )
    router.add_api_route(
        "",
        list_campaigns,
        methods=["GET"],
        operation_id="list_campaigns",
        summary="Диагностики региона",
        responses=problems(401, 403),
    )
    router.add_api_route(
        "/{campaign_id}",
        get_campaign,
        methods=["GET"],
        operation_id="get_campaign",
        summary="Диагностика",
        responses=problems(401, 403, 404),
    )
    router.add_api_route(
        "/{campaign_id}/participants",
        list_participants,
        methods=["GET"],
        operation_id="list_campaign_participants",
        summary="Участники диагностики",
        responses=problems(401, 403, 404),
    )
    router.add_api_route(
        "/{campaign_id}/orders",
        campaign_orders,
        methods=["GET"],
        response_model=OrderProposal,
        operation_id="campaign_orders",
        summary="ДПП для массовых дефицитов диагностики",
        responses=problems(401, 403, 404, 422),
    )
    for path, endpoint, operation, summary in (
        ("/announce", announce_campaign, "announce_campaign", "Оповещение участников"),
        ("/attendance", mark_attendance, "mark_campaign_attendance", "Отметка об участии"),
        ("/hold", hold_campaign, "hold_campaign", "Проведение диагностики"),
        ("/close", close_campaign, "close_campaign", "Закрытие диагностики"),
        ("/remove", remove_participants, "remove_campaign_participants", "Исключение участников"),
        ("/cancel", cancel_campaign, "cancel_campaign", "Отмена диагностики"),
    ):
        router.add_api_route(
            "/{campaign_id}" + path,
            endpoint,
            methods=["POST"],
            response_model=CampaignView,
            operation_id=operation,
            summary=summary,
            responses=commands,
        )
    router.add_api_route(
        "/{campaign_id}/results",
        import_campaign_results,
        methods=["POST"],
        response_model=ImportAnswer,
        operation_id="import_campaign_results",
        summary="Загрузка результатов диагностики",
        responses=problems(400, 401, 403, 404, 409, 413, 422),
        openapi_extra=file_body("text/csv", XLSX),
    )
    return router
