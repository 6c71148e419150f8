"""The console's pages under `/console`: sign-in and out, the search of routes, one route's
timeline, state at a version or moment, difference between versions, chain verdict, bundle and
refusals, and the region's charts for the centre head (with the auditor and the operator). Each
page holds the person to the API's reach: a route out of reach is the same 404 page as one that
does not exist."""

from __future__ import annotations

import asyncio
import functools
import json
from collections.abc import Awaitable, Callable
from datetime import date, datetime
from typing import Annotated, Any, ParamSpec
from uuid import UUID
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, Query, Request
from jinja2 import Environment
from starlette.responses import HTMLResponse, RedirectResponse, Response

from aggregates.errors import DomainError, RouteNotFoundError
from aggregates.profiles import STAGE_TITLES, Stage
from aggregates.values import ROLE_TITLES
from api.access import REGION_ROLES, require_region_role
from api.console import reads
from api.console.diff import changes, shown
from api.console.plots import MEDIA, drawn_as, table_csv
from api.console.session import (
    REASONS,
    CsrfError,
    Session,
    SessionDep,
    SignedOutError,
    changing,
    forget,
    form_fields,
    keep,
    principal_of,
    same_site,
)
from api.endpoints.charts import WHAT, chart_of
from api.endpoints.operations import may_operate
from api.endpoints.webhooks import MANAGERS
from api.limits import page_limit
from api.paging import PageAsk
from api.problems import ProblemError
from api.services import ServicesDep
from projections.charts import CHARTS, ChartName

P = ParamSpec("P")
Text = Annotated[str | None, Query(max_length=200)]


class PageError(Exception):
    """A page that cannot be shown: its status and the Russian message to show instead."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def page_errors(endpoint: Callable[P, Awaitable[Response]]) -> Callable[P, Awaitable[Response]]:
    """The API's refusals raised on the way (a route out of reach, a version out of range, a
    filter beyond the reach) as pages with the same status and message."""

    @functools.wraps(endpoint)
    async def guarded(*args: P.args, **kwargs: P.kwargs) -> Response:
        try:
            return await endpoint(*args, **kwargs)
        except RouteNotFoundError as error:
            raise PageError(404, error.message) from None
        except DomainError as error:
            raise PageError(403, error.message) from None
        except ProblemError as error:
            raise PageError(error.problem.status, error.problem.detail or "") from None

    return guarded


def route_id_of(text: str) -> UUID:
    """The route id of a page's address; not one, the page of a route not found."""
    try:
        return UUID(text)
    except ValueError:
        raise PageError(404, f"ИОМ {text[:64]} не найден") from None


def date_of(text: str | None, field: str) -> date | None:
    """A date field of a form (ГГГГ-ММ-ДД), or a page naming the field."""
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise PageError(422, f"поле «{field}»: укажите дату в виде ГГГГ-ММ-ДД") from None


def version_of(text: str | None, field: str) -> int | None:
    """A version field of a form (a whole number from 1), or a page naming the field."""
    if not text:
        return None
    if not text.isdecimal() or int(text) < 1:
        raise PageError(422, f"поле «{field}»: укажите номер версии — целое число от 1")
    return int(text)


def moment_of(text: str | None, zone: str) -> datetime | None:
    """A moment of the date picker (date and time in the region's time zone), or a page."""
    if not text:
        return None
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise PageError(422, "поле «момент»: укажите дату и время") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=ZoneInfo(zone))


def draw(request: Request, name: str, signed_in: Session | None, **values: Any) -> Response:
    """The page `name` drawn for the person signed in (`status` among `values`: 200)."""
    status = values.pop("status", 200)
    templates: Environment = request.app.state.console_templates
    role = signed_in.principal.role if signed_in is not None else None
    bulk = signed_in is not None and may_operate(signed_in.principal)
    html = templates.get_template(name).render(
        session=signed_in,
        stages=STAGE_TITLES,
        charted=role in REGION_ROLES,
        operated=role in MANAGERS,
        bulk=bulk,
        **values,
    )
    return HTMLResponse(html, status_code=status)


def when(moment: datetime | str, zone: str) -> str:
    """A moment (or an ISO moment, as the projections' rows hold it) as the region's clock
    showed it."""
    found = moment if isinstance(moment, datetime) else datetime.fromisoformat(moment)
    return found.astimezone(ZoneInfo(zone)).strftime("%d.%m.%Y %H:%M:%S")


def day(value: date | str | None) -> str:
    """A date (or an ISO date) as the regulation's forms write it."""
    if value is None:
        return "—"
    found = value if isinstance(value, date) else date.fromisoformat(value)
    return found.strftime("%d.%m.%Y")


async def home() -> Response:
    """The console's start: the search of routes."""
    return RedirectResponse("/console/routes", 303)


async def login_page(request: Request, reason: Text = None) -> Response:
    """The sign-in form, with the message of the reason it was sent to."""
    return draw(request, "login.html", None, message=REASONS.get(reason or ""))


async def login(request: Request, services: ServicesDep) -> Response:
    """Sign in with a portal token: checked as the API checks it, then kept in the cookie."""
    if not same_site(request):
        raise CsrfError
    token = (await form_fields(request)).get("token", "").strip()
    if not token:
        return draw(request, "login.html", None, message=REASONS["signed_out"], status=401)
    try:
        await principal_of(request, services, token)
    except SignedOutError as error:
        return draw(request, "login.html", None, message=REASONS[error.reason], status=401)
    response = RedirectResponse("/console/routes", 303)
    keep(response, request, token)
    return response


async def logout(request: Request) -> Response:
    """Sign out (the form's CSRF token checked by the route's dependency)."""
    response = RedirectResponse("/console/login?reason=logged_out", 303)
    forget(response, request)
    return response


@page_errors
async def search(
    request: Request,
    *,
    signed_in: SessionDep,
    services: ServicesDep,
    teacher: Text = None,
    school: Text = None,
    methodist: Text = None,
    municipality: Text = None,
    stage: Text = None,
    opened_from: Text = None,
    opened_to: Text = None,
    cursor: Annotated[str | None, Query(max_length=2000)] = None,
) -> Response:
    """The search of routes: the monitoring list in reach, a page at a time."""
    if stage and stage not in {each.value for each in Stage}:
        raise PageError(422, "поле «этап»: выберите этап из списка")
    asked = reads.Search(
        teacher=teacher or None,
        school=school or None,
        methodist=methodist or None,
        municipality=municipality or None,
        stage=Stage(stage) if stage else None,
        opened_from=date_of(opened_from, "открыт с"),
        opened_to=date_of(opened_to, "открыт по"),
    )
    rows = page_limit(None, request.app.state.settings)
    ask = PageAsk((), cursor, rows, request.app.state.cursor_key)
    page = await reads.search(services, signed_in.principal, asked, ask)
    given = {k: v for k, v in request.query_params.items() if k != "cursor" and v}
    return draw(request, "routes.html", signed_in, page=page, asked=given)


@page_errors
async def timeline(
    request: Request, route_id: str, signed_in: SessionDep, services: ServicesDep
) -> Response:
    """The route's events in Russian, with the pickers of a past state and a difference."""
    found = route_id_of(route_id)
    zone = reads.zone(services, signed_in.principal)
    history = await reads.history(services, signed_in.principal, found)
    return draw(request, "timeline.html", signed_in, history=history, zone=zone)


@page_errors
async def state(
    request: Request,
    route_id: str,
    *,
    signed_in: SessionDep,
    services: ServicesDep,
    version: Text = None,
    at: Text = None,
) -> Response:
    """The route now, at a version or at a moment of the region's clock."""
    found = route_id_of(route_id)
    zone = reads.zone(services, signed_in.principal)
    moment = moment_of(at, zone)
    number = version_of(version, "версия")
    shown_route = await reads.state(services, signed_in.principal, found, number, moment)
    dumped = shown_route.model_dump(mode="json")
    fields = [
        (field.description or name, readable(dumped[name]))
        for name, field in type(shown_route).model_fields.items()
    ]
    values = {"route": shown_route, "fields": fields, "zone": zone, "version": version, "at": at}
    return draw(request, "state.html", signed_in, **values)


@page_errors
async def diff(
    request: Request,
    route_id: str,
    *,
    signed_in: SessionDep,
    services: ServicesDep,
    since: Text = None,
    until: Text = None,
) -> Response:
    """Which fields of the route's state changed between two versions."""
    found = route_id_of(route_id)
    first, last = version_of(since, "сравнить версию"), version_of(until, "с версией")
    if first is None or last is None:
        raise PageError(422, "укажите обе версии для сравнения")
    before = await reads.state(services, signed_in.principal, found, first)
    after = await reads.state(services, signed_in.principal, found, last)
    found_changes = changes(before, after)
    values = {"route_id": found, "since": first, "until": last, "changes": found_changes}
    return draw(request, "diff.html", signed_in, **values)


@page_errors
async def verify(
    request: Request, route_id: str, signed_in: SessionDep, services: ServicesDep
) -> Response:
    """The verdict on the route's hash chain."""
    found = route_id_of(route_id)
    secret = request.app.state.settings.audit_key
    key = secret.get_secret_value().encode() if secret is not None else None
    verdict = await reads.verdict(services, signed_in.principal, found, key)
    return draw(request, "verify.html", signed_in, route_id=found, verdict=verdict)


@page_errors
async def export(route_id: str, signed_in: SessionDep, services: ServicesDep) -> Response:
    """The route's verifiable bundle (.zip), as `iom audit export` writes it."""
    found = route_id_of(route_id)
    bundle = await reads.bundle(services, signed_in.principal, found)
    name = f"iom-{found}-v{bundle.head_version}.zip"
    return Response(
        bundle.data,
        media_type="application/zip",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


@page_errors
async def refusals(
    request: Request, route_id: str, signed_in: SessionDep, services: ServicesDep
) -> Response:
    """The route's refused commands."""
    found = route_id_of(route_id)
    zone = reads.zone(services, signed_in.principal)
    rows = await reads.refusals(services, signed_in.principal, found)
    return draw(request, "refusals.html", signed_in, route_id=found, rows=rows, zone=zone)


@page_errors
async def charts(request: Request, signed_in: SessionDep, services: ServicesDep) -> Response:
    """The region's charts: each drawn, with its figures as a table and its downloads."""
    require_region_role(signed_in.principal, WHAT)
    drawn = [
        await asyncio.to_thread(chart_of, services, signed_in.principal, name) for name in CHARTS
    ]
    return draw(request, "charts.html", signed_in, charts=drawn)


@page_errors
async def chart_file(
    name: str, form: str, signed_in: SessionDep, services: ServicesDep
) -> Response:
    """A chart downloaded: PNG, SVG, or its figures as CSV."""
    require_region_role(signed_in.principal, WHAT)
    if name not in set(ChartName) or form not in MEDIA:
        raise PageError(404, f"графика {name[:64]}.{form[:8]} нет")
    chart = await asyncio.to_thread(chart_of, services, signed_in.principal, ChartName(name))
    data = await asyncio.to_thread(table_csv if form == "csv" else drawn_as(form), chart)
    filename = f"{chart.name}-{chart.region}-{chart.on.isoformat()}.{form}"
    headers = {"Content-Disposition": f'inline; filename="{filename}"'}
    return Response(data, media_type=MEDIA[form], headers=headers)


def build_router() -> APIRouter:
    """The console's router (kept out of the OpenAPI document: it serves pages)."""
    router = APIRouter(prefix="/console", include_in_schema=False)
    router.add_api_route("", home, methods=["GET"])
    router.add_api_route("/login", login_page, methods=["GET"])
    router.add_api_route("/login", login, methods=["POST"])
    router.add_api_route("/logout", logout, methods=["POST"], dependencies=[Depends(changing)])
    router.add_api_route("/routes", search, methods=["GET"])
    router.add_api_route("/routes/{route_id}", timeline, methods=["GET"])
    router.add_api_route("/routes/{route_id}/state", state, methods=["GET"])
    router.add_api_route("/routes/{route_id}/diff", diff, methods=["GET"])
    router.add_api_route("/routes/{route_id}/verify", verify, methods=["GET"])
    router.add_api_route("/routes/{route_id}/export", export, methods=["GET"])
    router.add_api_route("/routes/{route_id}/refusals", refusals, methods=["GET"])
    router.add_api_route("/charts", charts, methods=["GET"])
    router.add_api_route("/charts/{name}.{form}", chart_file, methods=["GET"])
    return router


def readable(value: Any) -> tuple[str, bool]:
    """A state field's value as text, and whether it is a structure (drawn preformatted)."""
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False, indent=2), True
    return shown(value), False


TITLES = {each.value: title for each, title in ROLE_TITLES.items()}


def role_title(role: str) -> str:
    """A role's Russian title (the role's code when it is none of the portal's)."""
    return TITLES.get(role, role)
