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

from activities.bulk import ACTIONS, BulkAction, Stamp
from activities.workflow_incidents import Incident, diagnose
from aggregates.errors import InvalidCommandError, invalid_content
from aggregates.operation import Operation, Operations, RouteOutcome
from aggregates.values import Actor, Name, Role, Text
from projections.catalog import open_projection
from projections.selection import RouteQuery, matching_routes
from runtime.gateway import RouteGateway
from workflows.contracts import WorkflowState, workflow_id

SAMPLE = 20  # routes a preview checks and shows


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

    async def incidents(self) -> list[Incident]:
        """Every route whose workflow is broken, from Temporal's visibility and the store."""
        latest = await self.gateway.workflow_states()
        found: list[Incident] = []
        for route_id in await asyncio.to_thread(lambda: list(self.gateway.routes.route_ids())):
            state = latest.get(workflow_id(route_id), WorkflowState(running=False))
            closed = (await asyncio.to_thread(self.gateway.routes.route, route_id)).closed
            if state.running or (state.status is not None and not closed):
                state = await self.gateway.state(route_id)  # pending activities, the last error
            incident = diagnose(route_id, closed, state)
            if incident is not None:
                found.append(incident)
        return found


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
