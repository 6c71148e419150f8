"""The console's bulk operations (массовые операции), for whoever the API lets run them (the
operator), on their region's routes only: the region's operations, the form composing one,
its preview (how many routes and what becomes of a sample, nothing written), the run with the
operator's reason and ticket (a form with the session's CSRF token), and the operation's page:
its progress while it runs, then the outcome of each route, downloadable as CSV.

Every step goes through the API's own functions (`api.endpoints.operations`): the operator's
check, the filter held to the token's region, the action and its parameters checked by the
desk, the operation's id derived from the operator and a key the preview page drew (a double
submit finds the operation the first one started), and an operation of another region not found.
"""

from __future__ import annotations

import asyncio
import uuid
from urllib.parse import urlencode
from uuid import UUID

from fastapi import APIRouter, Depends, Request
from starlette.responses import RedirectResponse, Response

from activities.bulk import ACTIONS
from aggregates.errors import DomainError, InvalidCommandError, RouteNotFoundError
from aggregates.operation import STATUS_TITLES, Operation
from api.console import compose, reads
from api.console.pages import PageError, draw, page_errors
from api.console.plots import csv_of
from api.console.session import Session, SessionDep, changing, form_fields
from api.endpoints.operations import (
    desk,
    operation_id_of,
    operator,
    regional_operation,
    regional_operations,
    request_of,
)
from api.services import Services, ServicesDep

SHOWN = 1000
"""Routes of an operation's report drawn on its page (every one is in the CSV)."""
REFRESH = 2000
"""Milliseconds between looks at a running operation (`static/progress.js`)."""


def refused_status(error: DomainError) -> int:
    """The page status of a refusal: a form's mistake 422, a route not found 404, else 403."""
    if isinstance(error, InvalidCommandError):
        return 422
    return 404 if isinstance(error, RouteNotFoundError) else 403


def composing(
    request: Request, signed_in: Session, fields: dict[str, str], error: DomainError | None = None
) -> Response:
    """The form composing an operation, filled with `fields`, with the refusal if any."""
    action = compose.action_of(fields.get("action"))
    values = {
        "actions": ACTIONS,
        "action": action,
        "params": compose.param_fields(action) if action else [],
        "filters": compose.FILTERS,
        "parties": compose.PARTIES,
        "fields": compose.given(fields),
        "error": error.message if error else None,
        "status": refused_status(error) if error else 200,
    }
    return draw(request, "bulk_new.html", signed_in, **values)


def key_of(fields: dict[str, str]) -> str:
    """The key the page drew for the run its form starts; else a page saying to open it again."""
    key = fields.get("key", "")
    try:
        UUID(key)
    except ValueError:
        raise PageError(422, "форма без ключа операции: откройте страницу заново") from None
    return key


def page_of(operation: Operation) -> str:
    """The operation's page."""
    return f"/console/bulk/{operation.id}"


@page_errors
async def operations(request: Request, signed_in: SessionDep, services: ServicesDep) -> Response:
    """The region's latest operations: who, when, what, why, and how far each has come."""
    operator(signed_in.principal)
    found = await asyncio.to_thread(regional_operations, services, signed_in.principal)
    zone = reads.zone(services, signed_in.principal)
    return draw(request, "bulk.html", signed_in, operations=found, actions=ACTIONS, zone=zone)


@page_errors
async def new(request: Request, signed_in: SessionDep, fields: compose.FormDep) -> Response:
    """The form composing an operation (the action first, then its filter and parameters)."""
    operator(signed_in.principal)
    return composing(request, signed_in, fields)


@page_errors
async def preview(
    request: Request, signed_in: SessionDep, services: ServicesDep, form: compose.FormDep
) -> Response:
    """How many routes the operation would act on and what would become of the first of them
    (nothing written); the run's form, its key drawn here."""
    operator(signed_in.principal)
    fields = compose.given(form)
    try:
        body = compose.body_of(fields)
        asked = await asyncio.to_thread(request_of, body, signed_in.principal, services)
        shown = await desk(services).preview(asked)
    except DomainError as error:
        return composing(request, signed_in, fields, error)
    values = {
        "fields": fields,
        "shown": shown,
        "query": compose.query_words(asked.query.given()),
        "given_params": compose.params_words(body.params),
        "body": body,
        "titles": STATUS_TITLES,
        "key": str(uuid.uuid4()),
        "again": urlencode(fields),
    }
    return draw(request, "bulk_preview.html", signed_in, **values)


@page_errors
async def run(request: Request, signed_in: SessionDep, services: ServicesDep) -> Response:
    """Start the operation the preview showed (the form's CSRF token checked by the route's
    dependency); its page follows."""
    operator(signed_in.principal)
    fields = await form_fields(request)
    key = key_of(fields)
    try:
        body = compose.body_of(fields)
        asked = await asyncio.to_thread(request_of, body, signed_in.principal, services)
        chosen = operation_id_of(signed_in.principal, key)
        operation = await desk(services).run(chosen, asked)
    except DomainError as error:
        return composing(request, signed_in, fields, error)
    return RedirectResponse(page_of(operation), 303)


async def regional(services: Services, signed_in: Session, operation_id: str) -> Operation:
    """The operator's region's operation the address names; else the page of one not found."""
    operator(signed_in.principal)
    try:
        chosen = UUID(operation_id)
    except ValueError:
        raise PageError(404, f"операция {operation_id[:64]} не найдена") from None
    return await asyncio.to_thread(regional_operation, services, signed_in.principal, chosen)


@page_errors
async def operation(
    request: Request,
    operation_id: str,
    signed_in: SessionDep,
    services: ServicesDep,
) -> Response:
    """The operation's progress (done, refused, skipped, left), then each route's outcome."""
    found = await regional(services, signed_in, operation_id)
    values = {
        "operation": found,
        "title": ACTIONS[found.action].title,
        "counts": found.counts(),
        "outcomes": found.report()[:SHOWN],
        "shown": SHOWN,
        "titles": STATUS_TITLES,
        "query": compose.query_words(found.query),
        "given_params": compose.params_words(found.params),
        "zone": reads.zone(services, signed_in.principal),
        "refresh": REFRESH if found.left() else None,
    }
    return draw(request, "bulk_operation.html", signed_in, **values)


@page_errors
async def report(operation_id: str, signed_in: SessionDep, services: ServicesDep) -> Response:
    """Each route's outcome as CSV (`;`-separated, for a Russian Excel)."""
    found = await regional(services, signed_in, operation_id)
    rows: list[list[object]] = [["ИОМ", "итог", "версия", "правило", "поле", "причина"]]
    rows += [
        [o.route_id, STATUS_TITLES[o.status], o.version, o.rule, o.field, o.message]
        for o in found.report()
    ]
    rows += [[route_id, "ещё не обработан", None, None, None, None] for route_id in found.left()]
    data = [["" if cell is None else cell for cell in row] for row in rows]
    name = f"operation-{found.id}.csv"
    headers = {"Content-Disposition": f'attachment; filename="{name}"'}
    return Response(csv_of(data), media_type="text/csv; charset=utf-8", headers=headers)


def add_routes(router: APIRouter) -> None:
    """The bulk operations' pages and the run on the console's router."""
    router.add_api_route("/bulk", operations, methods=["GET"])
    router.add_api_route("/bulk/new", new, methods=["GET"])
    router.add_api_route("/bulk/preview", preview, methods=["GET"])
    router.add_api_route("/bulk", run, methods=["POST"], dependencies=[Depends(changing)])
    router.add_api_route("/bulk/{operation_id}", operation, methods=["GET"])
    router.add_api_route("/bulk/{operation_id}/report.csv", report, methods=["GET"])
