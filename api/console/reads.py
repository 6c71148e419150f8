"""What the console's pages show, read through the API's own functions: the monitoring list of
routes (`api.endpoints.monitoring`), a route's history and its state at a version or moment
(`api.endpoints.queries`), the chain check (`aggregates.audit`, as `iom audit verify` checks one
route), the verifiable bundle (`adapters.bundle`, as `iom audit export` writes it) and the
refusals ledger (`projections.refusals`). Each holds the principal to the API's reach."""

# ruff: noqa: S608 - the narrowed source is built from a Stage value and ISO dates, never text

from __future__ import annotations

import asyncio
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime
from typing import Any
from uuid import UUID

from adapters.bundle import Exported, engine_version, export_route
from aggregates.audit import ChainReport
from aggregates.profiles import Stage
from api.access import visible_route
from api.auth import Principal
from api.endpoints import monitoring, queries
from api.listings import LISTS, MonitoringList
from api.models import RouteHistory, RouteState
from api.paging import PageAsk
from api.services import Services
from projections.checkpoints import latest_checkpoint, route_findings, trail_heads
from projections.refusals import create_table, query_refusals
from projections.tables import Filters
from projections.view import transaction_on

ROUTES: MonitoringList = next(each for each in LISTS if each.name == "routes")


@dataclass(frozen=True)
class Search:
    """What the search form asks: the list's filters, a stage and the opening dates."""

    teacher: str | None = None
    school: str | None = None
    methodist: str | None = None
    municipality: str | None = None
    stage: Stage | None = None
    opened_from: date | None = None
    opened_to: date | None = None

    def narrowed(self) -> MonitoringList:
        """The routes list narrowed by stage and opening dates (a Stage value and ISO dates:
        no text of the request reaches the SQL); its name, under which cursors are checked,
        names the narrowing too."""
        terms = []
        if self.stage is not None:
            terms.append(f"stage = '{Stage(self.stage).value}'")
        if self.opened_from is not None:
            terms.append(f"opened_on >= '{self.opened_from.isoformat()}'")
        if self.opened_to is not None:
            terms.append(f"opened_on <= '{self.opened_to.isoformat()}'")
        if not terms:
            return ROUTES
        table = ROUTES.listing.source
        source = f"(SELECT * FROM {table} WHERE {' AND '.join(terms)}) AS narrowed"
        name = f"{ROUTES.name}|{'|'.join(terms)}"
        return replace(ROUTES, name=name, listing=replace(ROUTES.listing, source=source))


async def search(
    services: Services, principal: Principal, asked: Search, ask: PageAsk
) -> dict[str, Any]:
    """One page of the routes in reach that match (`GET /monitoring/routes`'s own functions,
    the API's default page size); a filter beyond the reach is the API's 403 (`RoleError`)."""
    given = {
        "school": asked.school,
        "methodist": asked.methodist,
        "municipality": asked.municipality,
    }
    chosen = asked.narrowed()
    filters = monitoring.filters_for(chosen, principal, given)
    if asked.teacher is not None:  # the list's own teacher column (the API holds teachers to it)
        if filters.teacher_id not in (None, asked.teacher):
            return {"items": [], "next_cursor": None, "limit": ask.limit}
        filters = replace(filters, teacher_id=asked.teacher)
    return await asyncio.to_thread(monitoring.read, services, chosen, filters, ask)


async def history(services: Services, principal: Principal, route_id: UUID) -> RouteHistory:
    """The route's events as `GET /routes/{id}/history` answers them."""
    return await queries.get_history(route_id, principal, services)


async def state(
    services: Services,
    principal: Principal,
    route_id: UUID,
    version: int | None = None,
    as_of: datetime | None = None,
) -> RouteState:
    """The route at a version or moment as `GET /routes/{id}` answers it."""
    return await queries.get_route(route_id, principal, services, version=version, as_of=as_of)


def zone(services: Services, principal: Principal) -> str:
    """The time zone of the principal's region (its newest regulation's): every route in
    their reach is of that region."""
    return services.routes.profiles.latest(principal.region).time_zone


@dataclass(frozen=True)
class Verdict:
    """The route's chain recomputed, and what is wrong with it against its recorded heads."""

    report: ChainReport
    findings: list[tuple[int | None, str]]
    checkpoint: int | None
    signature_checked: bool
    """Whether the checkpoint's signature was checked (the API holds `IOM_AUDIT_KEY`)."""

    @property
    def intact(self) -> bool:
        """The chain recomputes and matches every head recorded of it."""
        return not self.findings


def check_route(services: Services, route_id: UUID, key: bytes | None) -> Verdict:
    """What `iom audit verify` checks of one route: its chain recomputed from the stored events
    and held against the head the audit trail saw and the head the latest signed checkpoint
    holds, that checkpoint's signature checked with `key` when the API has it (blocking)."""
    with services.audit.transaction(commit=False) as db:
        trail = trail_heads(db).get(route_id)
        checkpoint = latest_checkpoint(db)
    signed = checkpoint.heads.get(route_id) if checkpoint is not None else None
    report, findings = route_findings(services.routes, route_id, trail, signed)
    number = checkpoint.number if checkpoint is not None else None
    checked = checkpoint is not None and key is not None
    if checkpoint is not None and key is not None and not checkpoint.signed_by(key):
        findings.append((None, f"не сходится подпись контрольной точки {checkpoint.number}"))
    return Verdict(report, findings, number, checked)


async def verdict(
    services: Services, principal: Principal, route_id: UUID, key: bytes | None
) -> Verdict:
    """The verdict on a route in reach (`key`: the audit key that signs checkpoints)."""
    await visible_route(services.routes, principal, route_id)
    return await asyncio.to_thread(check_route, services, route_id, key)


async def bundle(services: Services, principal: Principal, route_id: UUID) -> Exported:
    """The route's verifiable bundle, as `iom audit export` writes it, the route in reach."""
    await visible_route(services.routes, principal, route_id)
    return await asyncio.to_thread(
        export_route,
        services.routes,
        route_id,
        version=None,
        engine_version=engine_version(),
        exported_at=datetime.now(UTC),
    )


def read_refusals(services: Services, route_id: UUID) -> list[dict[str, Any]]:
    """The route's refused commands, the latest first (blocking)."""
    create_table(services.routes)
    datastore = getattr(services.routes.recorder, "datastore")  # noqa: B009
    with transaction_on(datastore, commit=False) as db:
        return query_refusals(db, Filters(route_id=route_id), None)


async def refusals(
    services: Services, principal: Principal, route_id: UUID
) -> list[dict[str, Any]]:
    """The refusals ledger of a route in reach."""
    await visible_route(services.routes, principal, route_id)
    return await asyncio.to_thread(read_refusals, services, route_id)
