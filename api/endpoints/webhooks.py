"""Webhooks out: the portal registers endpoints for its region's route events, reads their
deliveries and asks for a re-delivery.

Integrations are managed by the roles that act for the whole region: the operator and the
centre head (руководитель ЦНППМ). Anyone else is refused (403); a subscription of another
region does not exist for the caller (404). The deliveries themselves are written by the
`webhooks` projection and sent by the delivery loop of `iom projector` (`workers.webhooks`).

A subscription's URL must pass the webhook URL policy (`projections.url_policy`: https, no
credentials, no internal addresses, a port of IOM_WEBHOOK_PORTS, unless IOM_WEBHOOK_ALLOW_HOSTS
lists the host): a URL it refuses is answered 422 naming `url` and the rule, and nothing is
written; the delivery loop checks it again after resolving the name.

Registering is a command: it carries an `Idempotency-Key` (`api.idempotency`), a retry with the
same key and body gets the first answer, another body 422. The subscription's id is derived
from the key's command id, so requests racing with one key register one subscription.
"""

from __future__ import annotations

import asyncio
import uuid
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Depends, FastAPI, Path, Query, Request, Response
from fastapi.responses import JSONResponse

from aggregates.errors import RoleError
from aggregates.values import Role
from api.auth import Principal
from api.endpoints.responses import problems
from api.idempotency import IdempotencyKey, Keyed, answer_once, request_hash, require_key
from api.limits import page_limit
from api.problems import ProblemError
from api.services import PrincipalDep, ServicesDep
from api.webhook_models import Status, Webhook, WebhookDelivery, WebhookEvent, WebhookRequest
from projections.subscriptions import Subscriptions
from projections.url_policy import UrlRefusedError
from runtime.settings import Settings

MANAGERS = frozenset({Role.OPERATOR, Role.CENTRE_HEAD})
"""The roles that manage the region's integrations."""

SUBSCRIPTION_NAMESPACE = uuid.UUID("6d3f0e2b-9a41-4c58-b7e6-1f2a3c4d5e60")
"""Subscription ids are uuid5 of the registering command's id in this namespace."""

WebhookId = Annotated[UUID, Path(description="Идентификатор подписки.")]
DeliveryId = Annotated[UUID, Path(description="Идентификатор доставки.")]
WHEN = {
    403: "Подписками управляют только оператор и руководитель ЦНППМ.",
    404: "Подписки (или доставки) нет, или она другого региона.",
}


def manager(principal: PrincipalDep) -> Principal:
    """The caller, if their role manages integrations; else 403."""
    if principal.role not in MANAGERS:
        raise RoleError(
            "manage_webhooks", "подписками на события управляют оператор и руководитель ЦНППМ"
        )
    return principal


def store(request: Request, services: ServicesDep) -> Subscriptions:
    """The subscriptions on the app's store (opened once per app)."""
    found: Subscriptions | None = getattr(request.app.state, "webhooks", None)
    if found is None or found.routes is not services.routes:
        found = request.app.state.webhooks = Subscriptions(services.routes)
    return found


ManagerDep = Annotated[Principal, Depends(manager)]
StoreDep = Annotated[Subscriptions, Depends(store)]


def missing() -> ProblemError:
    """A subscription or delivery that does not exist, or not in the caller's region."""
    return ProblemError(404, "webhook-not-found", "подписка или доставка не найдена")


async def register(
    body: WebhookRequest,
    request: Request,
    *,
    principal: ManagerDep,
    services: ServicesDep,
    found: StoreDep,
    idempotency_key: IdempotencyKey = None,
) -> JSONResponse:
    """Зарегистрировать адрес портала для событий ИОМ региона из токена. Приходят события,
    записанные после регистрации, с подписью HMAC-SHA256 и повторами с нарастающей паузой.
    Повтор с тем же Idempotency-Key и тем же телом получает первый ответ (вторая подписка
    не создаётся), тот же ключ с другим телом — 422."""
    key = require_key(idempotency_key)
    try:
        url = request.app.state.settings.webhook_targets().check(body.url).url
    except UrlRefusedError as error:
        raise ProblemError(
            422, "invalid-request", f"url: {error.detail}", rule=error.rule, field="url"
        ) from None
    asked = request_hash(principal, "POST", "/webhooks", body.model_dump(mode="json"))
    keyed = Keyed(request, services.answers, principal, key, asked)

    def holds(command_id: str) -> bool:
        derived = uuid.uuid5(SUBSCRIPTION_NAMESPACE, command_id)
        return found.subscription(principal.region, derived) is not None

    async def run(command_id: str) -> tuple[int, dict[str, Any]]:
        row = await asyncio.to_thread(
            found.register,
            principal.region,
            url,
            body.secret,
            body.event_types,
            principal.subject,
            subscription_id=uuid.uuid5(SUBSCRIPTION_NAMESPACE, command_id),
        )
        return 201, Webhook.of(row).model_dump(mode="json")

    return await answer_once(keyed, run, command="register_webhook", holds=holds)


async def list_webhooks(principal: ManagerDep, found: StoreDep) -> list[Webhook]:
    """Подписки региона из токена, новые первыми."""
    rows = await asyncio.to_thread(found.subscriptions, principal.region)
    return [Webhook.of(row) for row in rows]


async def delete(webhook_id: WebhookId, principal: ManagerDep, found: StoreDep) -> Response:
    """Удалить подписку: новые события не приходят, неотправленные доставки отменяются."""
    if not await asyncio.to_thread(found.delete, principal.region, webhook_id):
        raise missing()
    return Response(status_code=204)


async def deliveries(
    request: Request,
    webhook_id: WebhookId,
    *,
    principal: ManagerDep,
    found: StoreDep,
    status: Annotated[Status | None, Query(description="Только доставки в этом состоянии.")] = None,
    limit: Annotated[
        int | None, Query(description="Сколько доставок: от 1 до IOM_API_MAX_PAGE (200).")
    ] = None,
) -> list[WebhookDelivery]:
    """Доставки подписки, последние события первыми: состояние, попытки, последняя ошибка."""
    settings: Settings = request.app.state.settings
    rows_limit = page_limit(limit, settings)
    if await asyncio.to_thread(found.subscription, principal.region, webhook_id) is None:
        raise missing()
    rows = await asyncio.to_thread(found.deliveries, webhook_id, status, rows_limit)
    return [WebhookDelivery.of(row) for row in rows]


async def redeliver(
    webhook_id: WebhookId, delivery_id: DeliveryId, principal: ManagerDep, found: StoreDep
) -> WebhookDelivery:
    """Отправить доставку ещё раз, сейчас же, с новым счётом попыток (тот же `X-IOM-Delivery`:
    получатель отбрасывает повторы по нему)."""
    if await asyncio.to_thread(found.subscription, principal.region, webhook_id) is None:
        raise missing()
    row = await asyncio.to_thread(found.redeliver, webhook_id, delivery_id)
    if row is None:
        raise missing()
    return WebhookDelivery.of(row)


async def route_event(body: WebhookEvent) -> None:
    """Событие ИОМ, отправленное на адрес подписки: POST с JSON-телом и подписью
    HMAC-SHA256 (`X-IOM-Signature` = `v1=` + hex(HMAC(секрет, `X-IOM-Timestamp` + "." +
    тело))). Ответ 2xx — доставлено; 408, 425, 429, 5xx или нет ответа — повтор с нарастающей
    паузой; другой ответ — доставка не удалась (её можно отправить заново)."""


def document_events(app: FastAPI) -> None:
    """Describe what a subscription receives in the OpenAPI document's `webhooks`."""
    app.webhooks.add_api_route(
        "route-event",
        route_event,
        methods=["POST"],
        operation_id="route_event",
        summary="Событие ИОМ по подписке",
        status_code=200,
    )


def build_router() -> APIRouter:
    """The webhooks' router."""
    router = APIRouter(prefix="/webhooks", tags=["Подписки на события"])
    router.add_api_route(
        "",
        register,
        methods=["POST"],
        status_code=201,
        response_model=Webhook,
        response_description="Подписка зарегистрирована.",
        operation_id="register_webhook",
        summary="Зарегистрировать подписку",
        responses=problems(400, 401, 403, 422, 429, when=WHEN),
    )
    router.add_api_route(
        "",
        list_webhooks,
        methods=["GET"],
        response_model=list[Webhook],
        response_description="Подписки региона.",
        operation_id="list_webhooks",
        summary="Подписки региона",
        responses=problems(401, 403, 429, when=WHEN),
    )
    router.add_api_route(
        "/{webhook_id}",
        delete,
        methods=["DELETE"],
        status_code=204,
        response_class=Response,
        response_description="Подписка удалена.",
        operation_id="delete_webhook",
        summary="Удалить подписку",
        responses=problems(401, 403, 404, 429, when=WHEN),
    )
    router.add_api_route(
        "/{webhook_id}/deliveries",
        deliveries,
        methods=["GET"],
        response_model=list[WebhookDelivery],
        response_description="Доставки подписки.",
        operation_id="list_webhook_deliveries",
        summary="Доставки подписки",
        responses=problems(401, 403, 404, 422, 429, when=WHEN),
    )
    router.add_api_route(
        "/{webhook_id}/deliveries/{delivery_id}/redeliver",
        redeliver,
        methods=["POST"],
        status_code=202,
        response_model=WebhookDelivery,
        response_description="Доставка поставлена в очередь заново.",
        operation_id="redeliver_webhook",
        summary="Доставить ещё раз",
        responses=problems(401, 403, 404, 429, when=WHEN),
    )
    return router
