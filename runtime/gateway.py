"""The way in for the API and the command line: open a route and start its workflow, send a
person's command as an update, an operator's signal, restart a route's workflow, list routes
stuck waiting. Refusals come back as the aggregate's `DomainError`s (rule, field, Russian
message); a refusal by the workflow's validator, which Temporal does not record, is recorded
here."""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

from pydantic import ValidationError
from temporalio.client import Client, WorkflowExecutionStatus, WorkflowUpdateFailedError
from temporalio.common import WorkflowIDConflictPolicy, WorkflowIDReusePolicy
from temporalio.exceptions import ApplicationError, WorkflowAlreadyStartedError
from temporalio.service import RPCError, RPCStatusCode

from aggregates import errors
from aggregates.application import Receipt, Routes
from aggregates.commands import OpenRoute
from aggregates.values import Actor
from projections.attempts import clear_failing
from projections.refusals import record_refused
from workflows.contracts import (
    ANNOUNCEMENT_WORKFLOW,
    BULK_WORKFLOW,
    METHODIST,
    REGION,
    REJECTED,
    ROUTE_WORKFLOW,
    STATUS,
    WAITING_ON,
    WAITING_SINCE,
    AnnouncementInput,
    BulkInput,
    CommandRequest,
    Refusal,
    RouteInput,
    WorkflowState,
    announcement_workflow_id,
    operation_workflow_id,
    route_id_of,
    workflow_id,
)


@dataclass(frozen=True)
class StuckRoute:
    """A route whose workflow has waited on someone since `since`."""

    route_id: str
    status: str
    region: str
    methodist_id: str | None
    waiting_on: list[str]
    since: datetime


class RouteGateway:
    """Routes and their workflows, for one client and task queue."""

    def __init__(self, client: Client, routes: Routes, task_queue: str) -> None:
        self.client = client
        self.routes = routes
        self.task_queue = task_queue

    async def open(self, command: OpenRoute, actor: Actor, command_id: str) -> Receipt:
        """Open the route (a retry finds it) and start its workflow if it is not running."""
        receipt = await asyncio.to_thread(self.routes.open, command, actor, command_id)
        await self.start(receipt.route_id)
        return receipt

    async def start(self, route_id: UUID, continue_after: int | None = None) -> bool:
        """Start the route's workflow from the event store; False when it is running already."""
        await asyncio.to_thread(self.routes.route, route_id)  # refuses an unknown route
        start = RouteInput(route_id=route_id)
        if continue_after is not None:
            start = RouteInput(route_id=route_id, continue_after=continue_after)
        try:
            await self.client.start_workflow(
                ROUTE_WORKFLOW,
                start,
                id=workflow_id(route_id),
                task_queue=self.task_queue,
                id_reuse_policy=WorkflowIDReusePolicy.ALLOW_DUPLICATE,
                id_conflict_policy=WorkflowIDConflictPolicy.FAIL,
            )
        except WorkflowAlreadyStartedError:
            return False
        return True

    async def execute(self, route_id: UUID, name: str, request: CommandRequest) -> int:
        """Send a person's command to the route's workflow; the route's new version."""
        handle = self.client.get_workflow_handle(workflow_id(route_id))
        try:
            version: int = await handle.execute_update(name, request, result_type=int)
        except WorkflowUpdateFailedError as failure:
            cause = failure.cause
            if not isinstance(cause, ApplicationError):
                raise
            error = refused(cause).error()
            if cause.type == REJECTED:  # nothing ran, so nothing recorded it yet
                await asyncio.to_thread(
                    record_refused,
                    self.routes,
                    route_id=route_id,
                    command=name,
                    actor_id=request.actor_id,
                    role=request.role,
                    command_id=request.command_id,
                    error=error,
                    refused_at=datetime.now(UTC),
                )
            raise error from None
        except RPCError as failure:
            if failure.status is RPCStatusCode.NOT_FOUND:
                raise await self.gone(route_id) from None
            raise
        return version

    async def signal(self, route_id: UUID, name: str, payload: dict[str, Any]) -> None:
        """Send an operator's signal (its payload as the README documents it)."""
        handle = self.client.get_workflow_handle(workflow_id(route_id))
        try:
            await handle.signal(name, payload)
        except RPCError as failure:
            if failure.status is RPCStatusCode.NOT_FOUND:
                raise await self.gone(route_id) from None
            raise

    async def start_bulk(self, operation_id: UUID) -> None:
        """Start a bulk operation's workflow unless it runs or has ended well."""
        with contextlib.suppress(WorkflowAlreadyStartedError):
            await self.client.start_workflow(
                BULK_WORKFLOW,
                BulkInput(operation_id=operation_id),
                id=operation_workflow_id(operation_id),
                task_queue=self.task_queue,
                id_reuse_policy=WorkflowIDReusePolicy.ALLOW_DUPLICATE_FAILED_ONLY,
            )

    async def announce(self, campaign_id: UUID, version: int) -> None:
        """Start the notices of a campaign's announcement (the event at `version`) unless they
        are going or were delivered: a retried request starts none twice, a failed run again."""
        with contextlib.suppress(WorkflowAlreadyStartedError):
            await self.client.start_workflow(
                ANNOUNCEMENT_WORKFLOW,
                AnnouncementInput(campaign_id=campaign_id, version=version),
                id=announcement_workflow_id(campaign_id, version),
                task_queue=self.task_queue,
                id_reuse_policy=WorkflowIDReusePolicy.ALLOW_DUPLICATE_FAILED_ONLY,
            )

    async def running(self) -> set[UUID]:
        """The routes whose workflow runs, by Temporal's visibility (one listing of ids). Not
        narrowed by region: a workflow publishes its region only once it has loaded its route,
        and one that never could is the kind an operator looks for."""
        query = f"WorkflowType = '{ROUTE_WORKFLOW}' AND ExecutionStatus = 'Running'"
        found: set[UUID] = set()
        async for execution in self.client.list_workflows(query):
            route_id = route_id_of(execution.id)
            if route_id is not None:
                found.add(route_id)
        return found

    async def state(self, route_id: UUID) -> WorkflowState:
        """The route's workflow as the server describes its latest run: going or how it ended,
        and its most-retried pending activity with the last error."""
        handle = self.client.get_workflow_handle(workflow_id(route_id))
        try:
            described = await handle.describe()
        except RPCError as failure:
            if failure.status is RPCStatusCode.NOT_FOUND:
                return WorkflowState(running=False)
            raise
        status = described.status
        running = status is WorkflowExecutionStatus.RUNNING
        pending = sorted(
            described.raw_description.pending_activities, key=lambda each: each.attempt
        )
        worst = pending[-1] if pending else None
        error = None
        if worst is not None and worst.HasField("last_failure"):
            error = worst.last_failure.message
        if not running:
            error = await self.ending(route_id)
        return WorkflowState(
            running=running,
            status=status.name if status else None,
            activity=worst.activity_type.name if worst else None,
            attempts=worst.attempt if worst else 0,
            error=error,
        )

    async def ending(self, route_id: UUID) -> str | None:
        """Why the latest run ended, as its last history event says (a failure's message, a
        termination's reason)."""
        handle = self.client.get_workflow_handle(workflow_id(route_id))
        last = None
        async for event in handle.fetch_history_events():
            last = event
        if last is None:
            return None
        if last.HasField("workflow_execution_failed_event_attributes"):
            return last.workflow_execution_failed_event_attributes.failure.message or None
        if last.HasField("workflow_execution_terminated_event_attributes"):
            return last.workflow_execution_terminated_event_attributes.reason or None
        return None

    async def restart(self, route_id: UUID, reason: str) -> None:
        """Start the route's workflow afresh from the event store, ending a running one first
        (its state is in the store: nothing done is lost, nothing is done twice)."""
        await self.stop(route_id, reason)
        await self.start(route_id)

    async def stop(self, route_id: UUID, reason: str) -> None:
        """End the route's running workflow, if any, with `reason` on record (and forget its
        failing activities: a new run starts afresh)."""
        handle = self.client.get_workflow_handle(workflow_id(route_id))
        try:
            await handle.terminate(reason=reason)
        except RPCError as failure:
            if failure.status is not RPCStatusCode.NOT_FOUND:
                raise
        await asyncio.to_thread(clear_failing, self.routes, route_id)

    async def gone(self, route_id: UUID) -> errors.DomainError:
        """Why a route has no running workflow: the route is closed (final), or its workflow
        is down while the route is open (`iom ops resume` restarts it: retry then)."""
        route = await asyncio.to_thread(self.routes.route, route_id)
        return route_closed(route.id) if route.closed else not_running(route_id)

    async def stuck(self, older_than: timedelta, now: datetime | None = None) -> list[StuckRoute]:
        """Running routes that have waited on someone for longer than `older_than`."""
        cutoff = (now or datetime.now(UTC)) - older_than
        query = (
            f"WorkflowType = '{ROUTE_WORKFLOW}' AND ExecutionStatus = 'Running' "
            f"AND {WAITING_SINCE.name} < '{cutoff.astimezone(UTC).isoformat()}'"
        )
        found = []
        async for execution in self.client.list_workflows(query):
            attributes = execution.typed_search_attributes
            since = attributes.get(WAITING_SINCE)
            if since is None:
                continue
            found.append(
                StuckRoute(
                    route_id=execution.id.removeprefix("route-"),
                    status=attributes.get(STATUS) or "",
                    region=attributes.get(REGION) or "",
                    methodist_id=attributes.get(METHODIST),
                    waiting_on=list(attributes.get(WAITING_ON) or []),
                    since=since,
                )
            )
        return sorted(found, key=lambda route: route.since)


def refused(cause: ApplicationError) -> Refusal:
    """The refusal the workflow passed back, as data (its first detail)."""
    details = cause.details[0] if cause.details else None
    try:
        return Refusal.model_validate(details)
    except ValidationError:
        return Refusal(rule="refused", message=cause.message)


def not_running(route_id: UUID) -> errors.DomainError:
    """An open route whose workflow is not running: an operator restarts it."""
    return errors.StageError(
        "not_running",
        f"процесс ИОМ {route_id} не выполняется, хотя ИОМ не завершён: оператор может"
        " перезапустить его (iom ops resume), затем повторите запрос",
    )


def route_closed(route_id: UUID) -> errors.DomainError:
    """A completed or cancelled route: nothing more happens to it, for good."""
    return errors.StageError(
        "route_closed", f"ИОМ {route_id} завершён или отменён: команды по нему не принимаются"
    )
