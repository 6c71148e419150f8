"""The way in to bulk operations and workflow incidents, for the API and the command line.

`preview` says how many routes a filter matches and what the action would do to a sample of
them, writing nothing; `run` freezes the matched ids in a new `Operation` record and starts its
workflow (a retried run with the same operation id finds both); `status` reads the record.
`incidents` lists the routes whose workflow is broken (failed, terminated, timed out, an activity
that keeps failing, or a workflow that disagrees with the store), for `repair` to mend in bulk.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from pydantic import BaseModel, ValidationError

from activities.bulk import ACTIONS, BulkAction, Stamp, incident_of
from activities.workflow_incidents import Incident
from aggregates.errors import InvalidCommandError, invalid_content
from aggregates.operation import Operation, Operations, RouteOutcome
from aggregates.values import Actor, Name, Role, Text
from projections.attempts import failing_routes
from projections.catalog import open_projection
from projections.selection import RouteQuery, closed_by_route, matching_routes
from runtime.gateway import RouteGateway

SAMPLE = 20  # routes a preview checks and shows
CHECKS = 8  # leads of incidents checked at once (each a store read and a describe)


class BulkRequest(BaseModel):
    """One bulk operation as the operator asks for it."""

    action: str
    params: dict[str, Any] = {}
    query: RouteQuery
    operator_id: str
    reason: Text
    ticket: Name


@dataclass(frozen=True)
class Preview:
    """What a run would do: how many routes, and each sample route's outcome (`None`: applies)."""

    action: str
    title: str
    count: int
    sample: list[tuple[UUID, RouteOutcome | None]]


class OperationDesk:
    """Bulk operations over the routes a gateway reaches."""

    def __init__(self, gateway: RouteGateway, operations: Operations) -> None:
        self.gateway = gateway
        self.operations = operations

    async def preview(self, request: BulkRequest) -> Preview:
        """The routes matched and what the action would do to the first `SAMPLE` of them."""
        action, params = checked(request)
        route_ids = await asyncio.to_thread(self.matching, request.query)
        # No operation exists yet: the nil id, under which no route holds a command.
        stamp = Stamp(UUID(int=0), request.operator_id, request.reason, request.ticket)
        sample = [
            (route_id, await action.check(self.gateway, route_id, params, stamp))
            for route_id in route_ids[:SAMPLE]
        ]
        return Preview(action.name, action.title, len(route_ids), sample)

    async def run(self, operation_id: UUID, request: BulkRequest) -> Operation:
        """Record the operation with its routes frozen, and start its workflow."""
        action, params = checked(request)
        route_ids = await asyncio.to_thread(self.matching, request.query)
        operation = Operation(
            operation_id=operation_id,
            action=action.name,
            params=params.model_dump(mode="json"),
            query=request.query.given(),
            route_ids=[str(route_id) for route_id in route_ids],
            operator_id=request.operator_id,
            reason=request.reason,
            ticket=request.ticket,
        )
        operation = await asyncio.to_thread(self.operations.start, operation)
        await self.drive(operation.id)
        return operation

    async def drive(self, operation_id: UUID) -> None:
        """Start the operation's workflow unless it runs or has ended."""
        await self.gateway.start_bulk(operation_id)

    def status(self, operation_id: UUID) -> Operation:
        """The operation's record: its routes' outcomes so far."""
        return self.operations.get(operation_id)

    def matching(self, query: RouteQuery) -> list[UUID]:
        """The routes a query matches, from the monitoring tables."""
        view = open_projection(self.gateway.routes, "monitoring").view
        with view.transaction(commit=False) as db:
            return matching_routes(db, query)

    async def incidents(self, region: str | None = None) -> list[Incident]:
        """Every route (of `region` if given) whose workflow is broken, in route id order.

        The leads cost one query and one listing whatever the number of routes: an open route
        of the monitoring without a running workflow in Temporal's visibility (ended, or never
        started), a closed one with a running workflow, a route a worker noted an activity of
        as failing. Each lead is then checked where the truth is (the route in the store, its
        workflow described): a projection or visibility that lags makes no incident, and the
        error comes from the server."""
        closed = await asyncio.to_thread(self.closed_by_route, region)
        running = await self.gateway.running()
        failing = await asyncio.to_thread(failing_routes, self.gateway.routes)
        leads = {r for r, shut in closed.items() if shut == (r in running)}
        leads |= failing if region is None else failing & closed.keys()
        gate = asyncio.Semaphore(CHECKS)

        async def check(route_id: UUID) -> Incident | None:
            async with gate:
                return await incident_of(self.gateway, route_id)

        found = await asyncio.gather(*(check(r) for r in sorted(leads, key=str)))
        return [incident for incident in found if incident is not None]

    def closed_by_route(self, region: str | None) -> dict[UUID, bool]:
        """Each route of the monitoring (of `region`): whether it is closed."""
        view = open_projection(self.gateway.routes, "monitoring").view
        with view.transaction(commit=False) as db:
            return closed_by_route(db, region)


def checked(request: BulkRequest) -> tuple[BulkAction, BaseModel]:
    """The action and its parameters, or a refusal naming the field."""
    action = ACTIONS.get(request.action)
    if action is None:
        known = ", ".join(ACTIONS)
        raise InvalidCommandError(
            "content", f"поле «action»: нет действия «{request.action}»; есть: {known}", "action"
        )
    try:
        Actor(id=request.operator_id, role=Role.OPERATOR)
    except ValidationError:
        raise InvalidCommandError(
            "content",
            "поле «operator_id»: ожидается идентификатор из латинских букв, цифр и ._:-",
            "operator_id",
        ) from None
    try:
        params = action.params.model_validate(request.params)
    except ValidationError as error:
        problem = invalid_content(error)
        field = f"params.{problem.field}"
        message = problem.message.replace(f"«{problem.field}»", f"«{field}»", 1)
        raise InvalidCommandError("content", message, field) from None
    return action, params
