"""The operators' page of the console: how far each projection lags behind the store and which
of the region's routes it parked (each applied again by a button, as `iom projections retry`
does), and the region's webhook deliveries given up on (each sent again by a button).

For the operator and the centre head (who manage the region's integrations, as the API's
`/webhooks` has it). The page reads what `iom projections status` and `GET /webhooks/{id}/
deliveries?status=failed` read; each action is a form with the session's CSRF token, answered
by a redirect back to the page with what was done.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, replace
from typing import Any
from uuid import UUID

from fastapi import APIRouter, Depends, Request
from starlette.responses import RedirectResponse, Response

from aggregates.application import Routes
from aggregates.errors import RoleError, RouteNotFoundError
from api.access import may_see
from api.auth import Principal
from api.console import reads
from api.console.pages import PageError, Text, draw, page_errors, route_id_of
from api.console.session import SessionDep, changing
from api.endpoints.webhooks import MANAGERS, store
from api.services import ServicesDep
from projections.catalog import Status, retry_parked, statuses
from projections.subscriptions import Subscriptions
from projections.webhooks import FAILED

PROJECTION_TITLES = {
    "monitoring": "мониторинг",
    "audit": "журнал аудита",
    "tasks": "задачи",
    "webhooks": "исходящие события (подписки)",
}
SHOWN = 50
"""Deliveries shown per subscription, the latest first."""
DONE = {
    "redelivered": "Доставка поставлена в очередь заново.",
    "missing": "Такой доставки у подписок региона нет.",
    "applied": "Задержанные события ИОМ применены: ИОМ больше не остановлен.",
    "failed": "Задержанные события ИОМ снова не применились: ИОМ остаётся остановленным.",
}


@dataclass(frozen=True)
class Failed:
    """A subscription of the region and the deliveries it gave up on."""

    subscription: dict[str, Any]
    deliveries: list[dict[str, Any]]


def require_manager(principal: Principal) -> None:
    """Refuse a role that does not run the region's processes and integrations."""
    if principal.role not in MANAGERS:
        raise RoleError(
            "operations_role", "страница операций доступна оператору и руководителю ЦНППМ"
        )


def read_failed(store: Subscriptions, region: str) -> list[Failed]:
    """Each subscription of the region with the deliveries it gave up on (blocking)."""
    found = []
    for subscription in store.subscriptions(region):
        given_up = store.deliveries(subscription["subscription_id"], FAILED, SHOWN)
        found.append(Failed(subscription, given_up))
    return found


def region_statuses(routes: Routes, principal: Principal) -> list[Status]:
    """Each projection's status with only the parked routes of the principal's region
    (blocking): a projection's position is the engine's, a route the region's own."""
    found = []
    for status in statuses(routes):
        mine = tuple(i for i in status.incidents if _mine(routes, principal, i.route_id))
        found.append(replace(status, incidents=mine))
    return found


def _mine(routes: Routes, principal: Principal, route_id: str) -> bool:
    try:
        return may_see(principal, routes.route(UUID(route_id)))
    except RouteNotFoundError:
        return False


def retry_route(routes: Routes, principal: Principal, route_id: UUID) -> str:
    """Apply the route's held events again in every projection that parked it; what came of
    it (blocking; a route out of reach is one not found)."""
    if not _mine(routes, principal, str(route_id)):
        raise PageError(404, f"ИОМ {route_id} не найден")
    done = retry_parked(routes, route_id)
    return "applied" if all(r.result == "applied" for r in done) else "failed"


@page_errors
async def operations(
    request: Request, signed_in: SessionDep, services: ServicesDep, done: Text = None
) -> Response:
    """The projections' lag and parked routes; the deliveries given up on."""
    require_manager(signed_in.principal)
    found = await asyncio.to_thread(region_statuses, services.routes, signed_in.principal)
    subscriptions = store(request, services)
    failed = await asyncio.to_thread(read_failed, subscriptions, signed_in.principal.region)
    values = {
        "projections": found,
        "titles": PROJECTION_TITLES,
        "failed": failed,
        "zone": reads.zone(services, signed_in.principal),
        "done": DONE.get(done or ""),
    }
    return draw(request, "operations.html", signed_in, **values)


@page_errors
async def redeliver(
    request: Request,
    subscription_id: str,
    delivery_id: str,
    signed_in: SessionDep,
    services: ServicesDep,
) -> Response:
    """Send a delivery the region's subscription gave up on again (the form's CSRF token
    checked by the route's dependency)."""
    require_manager(signed_in.principal)
    try:
        subscription, delivery = UUID(subscription_id), UUID(delivery_id)
    except ValueError:
        raise PageError(404, "такой доставки нет") from None
    subscriptions = store(request, services)
    region = signed_in.principal.region
    mine = await asyncio.to_thread(subscriptions.subscription, region, subscription)
    sent = None
    if mine is not None:
        sent = await asyncio.to_thread(subscriptions.redeliver, subscription, delivery)
    outcome = "redelivered" if sent is not None else "missing"
    return RedirectResponse(f"/console/operations?done={outcome}", 303)


@page_errors
async def retry(route_id: str, signed_in: SessionDep, services: ServicesDep) -> Response:
    """Apply a parked route's held events again (the form's CSRF token checked by the route's
    dependency), as `iom projections retry --route` does."""
    require_manager(signed_in.principal)
    found = route_id_of(route_id)
    outcome = await asyncio.to_thread(retry_route, services.routes, signed_in.principal, found)
    return RedirectResponse(f"/console/operations?done={outcome}", 303)


def add_routes(router: APIRouter) -> None:
    """The operators' page and its action on the console's router."""
    router.add_api_route("/operations", operations, methods=["GET"])
    router.add_api_route(
        "/operations/webhooks/{subscription_id}/deliveries/{delivery_id}/redeliver",
        redeliver,
        methods=["POST"],
        dependencies=[Depends(changing)],
    )
    router.add_api_route(
        "/operations/projections/{route_id}/retry",
        retry,
        methods=["POST"],
        dependencies=[Depends(changing)],
    )
