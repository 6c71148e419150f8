"""Batches: a cohort's openings, or a diagnostic campaign's results, in one request.

`POST /routes/batch` opens many routes and `POST /diagnostics/batch` records many routes' input
diagnostics. The body is checked whole against its model (bad shape: 422 naming
`items[i].…`, nothing written); then each item is decided on its own, exactly as the single
command would be: the same access rules (`api.access`: an item out of the sender's reach is a
404, an opening for another school a 403), the route's own rules, one command id per item
(the batch's id from its `Idempotency-Key`, then `.i`). Each item is answered on its own: the
route's id and new version, or its problem with the field inside the request
(`items[3].diagnostic.tasks[0].competences`). A refused item writes nothing. The whole batch
is one `Idempotency-Key`: a retry gets the first answer; a retry of an answer not kept
(Temporal down) decides again under the same command ids, so the routes apply each item once.

The items that pass are saved together, `IOM_API_BATCH_TRANSACTION` routes' events per
transaction (`Routes.save_decisions`, one `Application.save` of many aggregates' events). A
transaction that loses a race to another writer on one of its routes is saved again item by
item through the single-command path, which decides afresh on the fresh route.

**Routes and their workflows.** A route's workflow is its single writer. An opening has no
workflow yet: the routes are saved first and their workflows started after (`RouteGateway.start`,
for every accepted item, a replayed one included: a workflow already running is left alone).
A diagnostic is saved on the store directly, beside the running workflow, which is safe for this
command alone: `RecordDiagnostic` is accepted only in the diagnostic stage (or design before any
plan), where the route has no timers and no deadlines before or after, so the workflow's view
(`RouteView`: timers, whom it waits on, the validator's `commands`, `closed`, `paused`) is the
same but for the stage; the workflow does not reload until its next activity, and then reads
the route afresh, so only the `IomStatus` search attribute says `diagnostic` until the route's
next command. A command the workflow runs meanwhile on the same route conflicts on save and is
retried by its activity on the fresh route (the activity's retry policy), or the batch's save
conflicts and the item is redone by the single-command path: no event is lost or doubled. An
item whose route has timers either side is refused (`batch_timers`): send it as one command.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import partial
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from aggregates.application import Decision, Receipt, Routes
from aggregates.commands import OpenRoute, RecordDiagnostic
from aggregates.deadlines import timers
from aggregates.errors import (
    ConflictError,
    DomainError,
    RouteExistsError,
    RouteNotFoundError,
    StageError,
)
from aggregates.route import Route
from api.access import may_see, named_route, not_found, require_may_open, require_writer
from api.auth import Principal
from api.claims import require_school_of_region
from api.endpoints.responses import problems
from api.idempotency import Keyed, answer_once, key_header, request_hash, require_key
from api.models import (
    BatchAccepted,
    BatchItemResult,
    BatchRequest,
    OpenRoutesRequest,
    RecordDiagnosticsRequest,
)
from api.problems import ProblemError, domain_problem, note_refusal
from api.services import PrincipalDep, Services, ServicesDep
from projections.refusals import record_refused
from runtime.settings import Settings

IdempotencyKey = Annotated[
    str | None,
    key_header(
        "Ключ идемпотентности всего пакета: повтор с тем же ключом и телом получает первый"
        " ответ и ничего не записывает повторно; тот же ключ с другим телом — 422. Ключ"
        " хранится IOM_API_IDEMPOTENCY_TTL_HOURS часов (по умолчанию 72)."
    ),
]
STARTS_AT_ONCE = 16
"""Workflows started at once after a batch of openings (Temporal's frontend is not flooded)."""


@dataclass
class Item:
    """One item of a batch: decided (to save), or answered already."""

    index: int
    command_id: str
    decision: Decision | None = None
    result: BatchItemResult | None = None


def refused(index: int, error: DomainError, route_id: UUID | None = None) -> BatchItemResult:
    """An item's refusal, its field named inside the request."""
    found = domain_problem(error)
    field = f"items[{index}]" + (f".{error.field}" if error.field else "")
    return BatchItemResult(
        index=index,
        status=found.status,
        route_id=route_id,
        problem=found.model_copy(update={"field": field}),
    )


def accepted(item: Item, receipt: Receipt, status: int) -> BatchItemResult:
    """An item saved (or found saved under its command id)."""
    return BatchItemResult(
        index=item.index,
        status=status,
        route_id=receipt.route_id,
        command_id=item.command_id,
        version=receipt.version,
    )


def require_size(count: int, settings: Settings) -> None:
    """Refuse a batch over `IOM_API_MAX_BATCH` items."""
    if count > settings.api_max_batch:
        raise ProblemError(
            422,
            "invalid-request",
            f"в пакете не больше {settings.api_max_batch} элементов, а передано {count}",
            rule="max_batch",
            field="items",
        )


def once(seen: set[Any], value: Any, field: str, named: str) -> None:
    """Refuse an item whose `field` repeats an earlier item's (`named` says it, `{}` standing
    for the value); else note its value as seen."""
    if value in seen:
        raise ProblemError(
            422,
            "invalid-request",
            f"{named.format(value)} уже есть в этом пакете",
            rule="duplicate",
            field=field,
        )
    seen.add(value)


def save(
    routes: Routes,
    items: Sequence[Item],
    per_transaction: int,
    redo: Callable[[Item], Receipt],
    status: int,
) -> None:
    """Save the decided items, `per_transaction` routes at a time; a transaction that loses a
    race is redone item by item (`redo`: the single command, under the same command id)."""
    decided = [item for item in items if item.decision is not None]
    for start in range(0, len(decided), per_transaction):
        chunk = decided[start : start + per_transaction]
        try:
            routes.save_decisions([item.decision for item in chunk if item.decision])
        except ConflictError:
            for item in chunk:
                try:
                    item.result = accepted(item, redo(item), status)
                except DomainError as error:
                    item.result = refused(item.index, error)
            continue
        for item in chunk:
            assert item.decision is not None
            item.result = accepted(item, item.decision.receipt, status)


def answer(command: str, items: Sequence[Item]) -> dict[str, Any]:
    """The batch's answer: each item's, in the request's order."""
    results = [item.result for item in items if item.result is not None]
    done = sum(1 for r in results if r.problem is None)
    body = BatchAccepted(command=command, accepted=done, refused=len(results) - done, items=results)
    return body.model_dump(mode="json")


def decide_openings(
    services: Services, principal: Principal, body: OpenRoutesRequest, command_id: str
) -> list[Item]:
    """Each opening decided as `POST /routes` would decide it."""
    items: list[Item] = []
    seen: set[str] = set()
    for index, asked in enumerate(body.items):
        item = Item(index, f"{command_id}.{index}")
        items.append(item)
        command = OpenRoute(region=principal.region, **asked.model_dump())
        try:
            once(seen, command.route_key, f"items[{index}].route_key", "ключ ИОМ «{}»")
            require_may_open(principal, command)
            require_school_of_region(
                services.monitoring,
                command.region,
                command.school_id,
                "school_id",
                principal.subject,
            )
            item.decision = services.routes.decide_open(command, principal.actor, item.command_id)
        except ProblemError as error:
            item.result = BatchItemResult(index=index, status=422, problem=error.problem)
        except RouteExistsError as error:
            item.result = refused(index, named_route(services.routes, principal, command, error))
        except DomainError as error:
            item.result = refused(index, error)
        else:
            if not item.decision.events:  # opened already under this command id
                item.result = accepted(item, item.decision.receipt, 201)
                item.decision = None
    return items


def decide_diagnostics(
    routes: Routes, principal: Principal, body: RecordDiagnosticsRequest, command_id: str
) -> list[Item]:
    """Each diagnostic decided as `record_diagnostic` on the route would be (see the module's
    docstring on why beside the route's workflow); a route's refusal is recorded, as the
    workflow's activity records it."""
    items: list[Item] = []
    seen: set[UUID] = set()
    for index, asked in enumerate(body.items):
        item = Item(index, f"{command_id}.{index}")
        items.append(item)
        try:
            once(seen, asked.route_id, f"items[{index}].route_id", "ИОМ {}")
            route = routes.route(asked.route_id)
            if not may_see(principal, route):
                raise RouteNotFoundError("not_found", "", "route_id")
        except ProblemError as error:
            item.result = BatchItemResult(index=index, status=422, problem=error.problem)
            continue
        except RouteNotFoundError:
            gone = not_found(asked.route_id)
            item.result = refused(index, RouteNotFoundError(gone.rule, gone.message, "route_id"))
            continue
        command = RecordDiagnostic(diagnostic=asked.diagnostic)
        timed = bool(timers(route))
        try:
            decision = routes.decide(
                asked.route_id,
                command,
                principal.actor,
                item.command_id,
                f"api:diagnostics/batch:{command_id}",
                loaded=route,
            )
            if timed or timers(decision.route):
                raise StageError(
                    "batch_timers",
                    "у ИОМ идут сроки: его диагностику отправьте отдельной командой",
                )
        except DomainError as error:
            item.result = refused(index, error, asked.route_id)
            record_refused(
                routes,
                route_id=asked.route_id,
                command="record_diagnostic",
                actor_id=principal.actor.id,
                role=principal.role.value,
                command_id=item.command_id,
                error=error,
                refused_at=datetime.now(UTC),
            )
            continue
        if decision.events:
            item.decision = decision
        else:  # recorded already under this command id
            item.result = accepted(item, decision.receipt, 200)
    return items


def held(routes: Sequence[Route | None], command_id: str) -> bool:
    """Whether any item's route (`routes[i]`, the caller region's, or None) holds its command
    id under the batch's `command_id` (`<id>.<i>`)."""
    return any(r is not None and f"{command_id}.{i}" in r.commands for i, r in enumerate(routes))


def region_route(routes: Routes, principal: Principal, route_id: UUID) -> Route | None:
    """The route, if it is of the principal's region."""
    try:
        route = routes.route(route_id)
    except RouteNotFoundError:
        return None
    return route if route.profile.id == principal.region else None


@dataclass(frozen=True)
class Batch:
    """A batch asked, and how it is carried out: its items' command, the status of an accepted
    item, how the items are decided (`decide`, given the batch's command id), whether its items'
    routes hold a command id's items already (`holds`, see `api.idempotency`), how one is redone
    on its own (`redo`: its transaction lost a race), and what follows the save (`then`)."""

    body: BatchRequest[Any]
    command: str
    status: int
    decide: Callable[[str], list[Item]]
    holds: Callable[[str], bool]
    redo: Callable[[Item], Receipt]
    then: Callable[[list[Item]], Awaitable[None]] | None = None


async def answer_batch(
    batch: Batch,
    request: Request,
    principal: Principal,
    services: Services,
    idempotency_key: str | None,
) -> JSONResponse:
    """The batch answered once under its key (its endpoint's operation id naming it in the
    log): the checks before any item (the key, a role that writes, the size), then the items
    decided, the accepted ones saved and followed up; each item refused by a rule is noted for
    the metrics."""
    key = require_key(idempotency_key)
    require_writer(principal)
    settings: Settings = request.app.state.settings
    require_size(len(batch.body.items), settings)
    path = request.scope["route"].path
    asked = request_hash(principal, "POST", path, batch.body.model_dump(mode="json"))

    def decide_and_save(command_id: str) -> list[Item]:
        items = batch.decide(command_id)
        save(services.routes, items, settings.api_batch_transaction, batch.redo, batch.status)
        return items

    async def run(command_id: str) -> tuple[int, dict[str, Any]]:
        items = await asyncio.to_thread(decide_and_save, command_id)
        if batch.then is not None:
            await batch.then(items)
        for item in items:
            if item.result is not None and item.result.problem is not None:
                note_refusal(request, item.result.problem)
        return 200, answer(batch.command, items)

    keyed = Keyed(request, services.answers, principal, key, asked)
    command = request.scope["route"].operation_id
    return await answer_once(keyed, run, command=command, holds=batch.holds)


async def open_routes(
    body: OpenRoutesRequest,
    request: Request,
    *,
    principal: PrincipalDep,
    services: ServicesDep,
    idempotency_key: IdempotencyKey = None,
) -> JSONResponse:
    """Открыть ИОМ многим педагогам одним запросом и запустить их процессы. Каждый элемент
    проверяется как отдельный `POST /routes` (те же права: руководитель ОО — только педагогам
    своей ОО) и получает свой ответ; отклонённые элементы ничего не записывают."""
    routes = services.routes

    def redo(item: Item) -> Receipt:
        command = OpenRoute(region=principal.region, **body.items[item.index].model_dump())
        return routes.open(command, principal.actor, item.command_id)

    async def start_workflows(items: list[Item]) -> None:
        gate = asyncio.Semaphore(STARTS_AT_ONCE)

        async def start(route_id: UUID) -> None:
            async with gate:
                await services.gateway.start(route_id)

        opened = [i.result.route_id for i in items if i.result and i.result.problem is None]
        await asyncio.gather(*(start(route_id) for route_id in opened if route_id))

    def holds(command_id: str) -> bool:
        keyed = [routes.keyed_route(principal.region, item.route_key) for item in body.items]
        return held(keyed, command_id)

    decide = partial(decide_openings, services, principal, body)
    batch = Batch(body, "open_route", 201, decide, holds, redo, start_workflows)
    return await answer_batch(batch, request, principal, services, idempotency_key)


async def record_diagnostics(
    body: RecordDiagnosticsRequest,
    request: Request,
    *,
    principal: PrincipalDep,
    services: ServicesDep,
    idempotency_key: IdempotencyKey = None,
) -> JSONResponse:
    """Внести результаты входной диагностики многих ИОМ одним запросом (диагностическая
    кампания). Каждый элемент проверяется как отдельная команда `record_diagnostic` (вносит
    закреплённый методист, ИОМ на этапе диагностики) и получает свой ответ; отклонённые
    элементы ничего не записывают."""
    routes = services.routes

    def redo(item: Item) -> Receipt:
        given = body.items[item.index]
        command = RecordDiagnostic(diagnostic=given.diagnostic)
        return routes.execute(given.route_id, command, principal.actor, item.command_id)

    def holds(command_id: str) -> bool:
        found = [region_route(routes, principal, item.route_id) for item in body.items]
        return held(found, command_id)

    decide = partial(decide_diagnostics, routes, principal, body)
    batch = Batch(body, "record_diagnostic", 200, decide, holds, redo)
    return await answer_batch(batch, request, principal, services, idempotency_key)


def build_router() -> APIRouter:
    """The batches' router: `POST /routes/batch` and `POST /diagnostics/batch`."""
    router = APIRouter(tags=["Пакеты"])
    said = {
        422: "Тело запроса неверно (поле — `items[i]…`), элементов больше допустимого"
        " (IOM_API_MAX_BATCH), или ключ идемпотентности уже использован с другим запросом.",
    }
    router.add_api_route(
        "/routes/batch",
        open_routes,
        methods=["POST"],
        response_model=BatchAccepted,
        response_description="Пакет обработан: ответ по каждому элементу.",
        operation_id="open_routes",
        summary="Открытие ИОМ пакетом",
        responses=problems(400, 401, 403, 413, 422, 429, 503, when=said),
    )
    router.add_api_route(
        "/diagnostics/batch",
        record_diagnostics,
        methods=["POST"],
        response_model=BatchAccepted,
        response_description="Пакет обработан: ответ по каждому элементу.",
        operation_id="record_diagnostics",
        summary="Входная диагностика пакетом",
        responses=problems(400, 401, 403, 413, 422, 429, when=said),
    )
    return router
