"""The console's workflow incidents (сломанные процессы ИОМ) and stuck routes (ИОМ, ждущие
дольше срока), for whoever the API lets run bulk operations (the operator), on their region.

Incidents: the routes whose workflow is broken, as `GET /operations/incidents` lists them (the
kind, the last error in Russian, the repair), with a button that repairs one route and one that
repairs them all. Either is a bulk operation of the action `repair` with the operator's reason
and ticket (a form with the session's CSRF token), and the operation's page follows with its
progress. The operation's id is derived from a key the page drew and what the button repairs: a
double submit finds the operation the first one started.

Stuck routes: the running routes that have waited on someone longer than the days asked (14 by
default), as `iom ops stuck` lists them from Temporal's visibility: the stage, whom the route
waits on and since when. Their repair is the operator's choice among the bulk actions (extend
the deadline, send the notice again, replace the methodist): each route, or all of them, opens
the composing form with the routes filled in.
"""

from __future__ import annotations

import asyncio
import uuid
from datetime import timedelta
from urllib.parse import urlencode
from uuid import UUID

from fastapi import APIRouter, Depends, Request
from starlette.responses import RedirectResponse, Response

from aggregates.errors import DomainError
from aggregates.values import ROLE_TITLES
from api.console import compose
from api.console.bulk import key_of, page_of
from api.console.pages import PageError, Text, draw, page_errors, route_id_of
from api.console.session import SessionDep, changing, form_fields
from api.endpoints.operations import (
    desk,
    operation_id_of,
    operator,
    regional_incidents,
    request_of,
)
from api.services import ServicesDep

KINDS = {
    "failed": "процесс завершился с ошибкой",
    "terminated": "процесс прерван",
    "timed_out": "процесс превысил время",
    "failing_activity": "действие процесса не удаётся",
    "not_running": "процесс не выполняется",
    "closed_running": "процесс идёт у завершённого ИОМ",
}
"""Each kind of incident (`activities.workflow_incidents.Incident.kind`) in Russian."""
DONE = {"none": "Сломанных процессов ИОМ нет: исправлять нечего."}
STUCK_DAYS = 14
"""How many days of waiting make a route stuck, unless the page is asked for another."""
LONGEST_WAIT = 365


def waiting_days(text: str | None) -> int:
    """The days of waiting asked for (`STUCK_DAYS` when none), or the page's refusal."""
    if text is None or not text.strip():
        return STUCK_DAYS
    if not text.strip().isdigit() or int(text) > LONGEST_WAIT:
        raise PageError(
            422, f"поле «days»: ожидается целое число дней от 0 до {LONGEST_WAIT}, а не «{text}»"
        )
    return int(text)


@page_errors
async def incidents(
    request: Request,
    signed_in: SessionDep,
    services: ServicesDep,
    done: Text = None,
    days: Text = None,
) -> Response:
    """The region's broken route workflows with the repair of each, and its routes waiting on
    someone longer than `days` with the way to the action that moves each."""
    operator(signed_in.principal)
    waited = waiting_days(days)
    found = await regional_incidents(services, signed_in.principal)
    waiting = await services.gateway.stuck(timedelta(days=waited))
    stuck = [route for route in waiting if route.region == signed_in.principal.region]
    values = {
        "incidents": found,
        "kinds": KINDS,
        "key": str(uuid.uuid4()),
        "done": DONE.get(done or ""),
        "days": waited,
        "stuck": stuck,
        "every_stuck": urlencode({"route_ids": " ".join(route.route_id for route in stuck)}),
        "roles": ROLE_TITLES,
    }
    return draw(request, "incidents.html", signed_in, **values)


async def repair(
    request: Request, signed_in: SessionDep, services: ServicesDep, route_ids: list[UUID], what: str
) -> Response:
    """Start the operation `repair` on `route_ids` (`what` names the button in its id), its
    reason and ticket from the form as the bulk form reads them."""
    fields = await form_fields(request)
    key = key_of(fields)
    asking = {"reason": fields.get("reason", ""), "ticket": fields.get("ticket", "")}
    asking |= {"action": "repair", "route_ids": " ".join(str(r) for r in route_ids)}
    try:
        body = compose.body_of(asking)
        asked = await asyncio.to_thread(request_of, body, signed_in.principal, services)
        chosen = operation_id_of(signed_in.principal, f"{key}/{what}")
        operation = await desk(services).run(chosen, asked)
    except DomainError as error:
        raise PageError(422, error.message) from None
    return RedirectResponse(page_of(operation), 303)


@page_errors
async def repair_one(
    request: Request, route_id: str, signed_in: SessionDep, services: ServicesDep
) -> Response:
    """Repair one route's workflow by an operation of its own."""
    operator(signed_in.principal)
    found = route_id_of(route_id)
    return await repair(request, signed_in, services, [found], str(found))


@page_errors
async def repair_all(request: Request, signed_in: SessionDep, services: ServicesDep) -> Response:
    """Repair every broken route workflow of the region by one operation."""
    operator(signed_in.principal)
    found = await regional_incidents(services, signed_in.principal)
    if not found:
        return RedirectResponse("/console/incidents?done=none", 303)
    return await repair(request, signed_in, services, [i.route_id for i in found], "all")


def add_routes(router: APIRouter) -> None:
    """The incidents' page and its repairs on the console's router."""
    router.add_api_route("/incidents", incidents, methods=["GET"])
    router.add_api_route(
        "/incidents/repair", repair_all, methods=["POST"], dependencies=[Depends(changing)]
    )
    router.add_api_route(
        "/incidents/{route_id}/repair",
        repair_one,
        methods=["POST"],
        dependencies=[Depends(changing)],
    )
