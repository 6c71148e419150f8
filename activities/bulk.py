"""Bulk operations' actions and the activity that applies one step of an operation.

`ACTIONS` is the registry: each action has a name, a Russian title, the model of its parameters,
a per-route check (what would become of the route: `None` when the action applies, else the
refusal or the skip) and a per-route apply. The operators' signals (pause, resume, cancel,
extend a deadline, reassign the methodist, re-send a notice) are each an action: the route's
workflow receives the signal with the command id `aggregates.operation.command_id`, so the
route records one event carrying the operation's id, once however often it is sent. `repair`
restarts a broken route workflow from the event store. Another action (migrating a route to a
new edition) is one more `BulkAction` in the registry.

`run_bulk_step` takes the next routes of an operation that have no outcome, applies the action to
each (a few at a time), and records their outcomes on the operation: an attempt lost with its
worker is tried again, and finds applied what the lost attempt applied.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Protocol
from uuid import UUID

from pydantic import BaseModel, ConfigDict, create_model
from temporalio import activity

from activities.workflow_incidents import Incident, diagnose
from aggregates.application import Routes
from aggregates.commands import OPERATIONS, Command
from aggregates.errors import DomainError, RouteNotFoundError
from aggregates.operation import Operation, Operations, RouteOutcome, command_id
from aggregates.values import Actor, Role
from workflows.contracts import BulkInput, WorkflowState

IN_FLIGHT = 50  # routes of a step acted on at once
WATCH = (0.1, 1.0)  # seconds between looks at the store for a signal's event: first, at most
WATCH_FOR = 30.0  # seconds a step waits for its signals' events before it is tried again


class RouteHands(Protocol):
    """What an action does with routes' workflows (`runtime.gateway.RouteGateway`)."""

    routes: Routes

    async def signal(self, route_id: UUID, name: str, payload: dict[str, Any]) -> None: ...

    async def state(self, route_id: UUID) -> WorkflowState: ...

    async def restart(self, route_id: UUID, reason: str) -> None: ...

    async def stop(self, route_id: UUID, reason: str) -> None: ...


@dataclass(frozen=True)
class Stamp:
    """Who acts in an operation, under which operation, why and by which ticket."""

    operation_id: UUID
    operator_id: str
    reason: str
    ticket: str

    @classmethod
    def of(cls, operation: Operation) -> Stamp:
        """The stamp an operation's record carries."""
        return cls(operation.id, operation.operator_id, operation.reason, operation.ticket)


Check = Callable[[RouteHands, UUID, BaseModel, Stamp], Awaitable[RouteOutcome | None]]
Apply = Callable[[RouteHands, UUID, BaseModel, Stamp], Awaitable[RouteOutcome]]


@dataclass(frozen=True)
class BulkAction:
    """One kind of bulk operation."""

    name: str
    title: str  # in Russian, for the preview, the report and the CLI
    params: type[BaseModel]  # what the operator gives besides the reason and the ticket
    check: Check
    apply: Apply


def skipped(route_id: UUID, message: str, rule: str) -> RouteOutcome:
    """A route the action leaves alone, and why."""
    return RouteOutcome(route_id=route_id, status="skipped", rule=rule, message=message)


def refused(route_id: UUID, error: DomainError) -> RouteOutcome:
    """A route a rule refuses the action on."""
    return RouteOutcome(
        route_id=route_id,
        status="refused",
        rule=error.rule,
        field=error.field,
        message=error.message,
    )


# The operators' signals as actions.


STAMPED = ("reason", "ticket", "operation_id")
"""A command's fields the operation fills itself, not the operator's parameters."""


def signal_action(name: str, signal: str, title: str) -> BulkAction:
    """The action that sends `signal` (an operator's command of `OPERATIONS`) to each route."""
    command_class = OPERATIONS[signal]
    fields: dict[str, Any] = {
        field: (info.annotation, info)
        for field, info in command_class.model_fields.items()
        if field not in STAMPED
    }
    params = create_model(
        f"{command_class.__name__}Params",
        __config__=ConfigDict(frozen=True, extra="forbid"),
        **fields,
    )

    def command(given: BaseModel, stamp: Stamp) -> Command:
        body = given.model_dump() | {"reason": stamp.reason, "ticket": stamp.ticket}
        if "operation_id" in command_class.model_fields:  # the event names the operation
            body["operation_id"] = str(stamp.operation_id)
        return command_class.model_validate(body)

    async def check(
        hands: RouteHands, route_id: UUID, given: BaseModel, stamp: Stamp
    ) -> RouteOutcome | None:
        return await asyncio.to_thread(
            decided, hands.routes, route_id, command(given, stamp), stamp
        )

    async def apply(
        hands: RouteHands, route_id: UUID, given: BaseModel, stamp: Stamp
    ) -> RouteOutcome:
        found = await check(hands, route_id, given, stamp)
        if found is not None:
            return found
        cid = command_id(stamp.operation_id, route_id)
        asked = command(given, stamp)
        version = (await asyncio.to_thread(hands.routes.route, route_id)).version
        try:
            await hands.signal(route_id, signal, asked.model_dump(mode="json") | signed(stamp, cid))
        except DomainError as error:  # the route's workflow is not running
            return refused(route_id, error)
        return await watch(hands, route_id, asked, stamp, version)

    return BulkAction(name, title, params, check, apply)


def signed(stamp: Stamp, cid: str) -> dict[str, str]:
    """The signal's operator and command id."""
    return {"operator_id": stamp.operator_id, "command_id": cid}


def decided(routes: Routes, route_id: UUID, command: Command, stamp: Stamp) -> RouteOutcome | None:
    """What the route says to the command now: done already (by this operation), skipped (not
    there, or closed), refused (the rule), or `None`: it would apply."""
    cid = command_id(stamp.operation_id, route_id)
    try:
        route = routes.route(route_id)
    except RouteNotFoundError as error:
        return skipped(route_id, error.message, "not_found")
    earlier = route.commands.get(cid)
    if earlier is not None:
        return RouteOutcome(route_id=route_id, status="done", version=earlier.version)
    if route.closed:
        return skipped(route_id, "ИОМ завершён или отменён", "route_closed")
    try:
        routes.decide(route_id, command, Actor(id=stamp.operator_id, role=Role.OPERATOR), cid)
    except DomainError as error:
        return refused(route_id, error)
    return None


async def watch(
    hands: RouteHands, route_id: UUID, command: Command, stamp: Stamp, version: int
) -> RouteOutcome:
    """Wait until the route records the signal's event (done) or the command would now be
    refused (another change came first, and the route's workflow refused the signal on that
    rule); fail after `WATCH_FOR` seconds, and the step is tried again. The route is read at each
    look (its new events only); the command is decided again only once the route moved on
    without it, from `version`, and at the end."""
    cid = command_id(stamp.operation_id, route_id)
    deadline = time.monotonic() + WATCH_FOR
    pause, longest = WATCH
    while time.monotonic() < deadline:
        route = await asyncio.to_thread(hands.routes.route, route_id)
        earlier = route.commands.get(cid)
        if earlier is not None:
            return RouteOutcome(route_id=route_id, status="done", version=earlier.version)
        if route.version != version:
            found = await asyncio.to_thread(decided, hands.routes, route_id, command, stamp)
            if found is not None:
                return found
            version = route.version
        activity.heartbeat()
        await asyncio.sleep(pause)
        pause = min(pause * 1.5, longest)  # the routes of a step are many: each looks less often
    found = await asyncio.to_thread(decided, hands.routes, route_id, command, stamp)
    if found is not None:
        return found
    raise TimeoutError(f"ИОМ {route_id}: сигнал не применён за {WATCH_FOR:g} с")


# Repairing a route's workflow.


class NoParams(BaseModel):
    """An action with no parameters of its own."""

    model_config = ConfigDict(frozen=True, extra="forbid")


async def repair_check(
    hands: RouteHands, route_id: UUID, _: BaseModel, stamp: Stamp
) -> RouteOutcome | None:
    """A route whose workflow needs no repair is skipped."""
    del stamp
    incident = await incident_of(hands, route_id)
    return skipped(route_id, "процесс ИОМ в порядке", "no_incident") if incident is None else None


async def repair(hands: RouteHands, route_id: UUID, given: BaseModel, stamp: Stamp) -> RouteOutcome:
    """Restart the route's workflow from the event store (resume), stop a workflow whose route
    is closed, or restart one whose activity keeps failing (retry)."""
    found = await repair_check(hands, route_id, given, stamp)
    if found is not None:
        return found
    reason = f"операция {stamp.operation_id}: {stamp.reason} ({stamp.ticket})"
    route = await asyncio.to_thread(hands.routes.route, route_id)
    if route.closed:
        await hands.stop(route_id, reason)
        message = "процесс остановлен: ИОМ в хранилище завершён или отменён"
    else:
        await hands.restart(route_id, reason)
        message = "процесс ИОМ запущен заново с состояния в хранилище"
    return RouteOutcome(route_id=route_id, status="done", message=message)


async def incident_of(hands: RouteHands, route_id: UUID) -> Incident | None:
    """The route's workflow incident, if it has one."""
    try:
        route = await asyncio.to_thread(hands.routes.route, route_id)
    except RouteNotFoundError:
        return None
    return diagnose(route_id, route.closed, await hands.state(route_id))


ACTIONS: dict[str, BulkAction] = {
    action.name: action
    for action in (
        signal_action("pause", "pause", "Приостановка ИОМ"),
        signal_action("resume", "resume", "Возобновление ИОМ"),
        signal_action("cancel", "cancel", "Отмена ИОМ"),
        signal_action("extend_deadline", "extend_deadline", "Продление срока"),
        signal_action("reassign_methodist", "reassign_methodist", "Замена методиста"),
        signal_action("resend_notice", "resend_notice", "Повторное уведомление"),
        signal_action("migrate", "migrate", "Перевод на новую редакцию регламента"),
        BulkAction("repair", "Восстановление процесса ИОМ", NoParams, repair_check, repair),
    )
}
"""Every bulk action, by name (the API's and the CLI's `action`)."""


class BulkActivities:
    """The bulk operation's activity, bound to the operations, and the hands on the routes."""

    def __init__(self, operations: Operations, hands: RouteHands) -> None:
        self.operations = operations
        self.hands = hands

    @activity.defn(name="run_bulk_step")
    async def run_bulk_step(self, start: BulkInput) -> int:
        """Apply the operation's action to its next `start.batch` routes without an outcome and
        record their outcomes; answers how many routes are left."""
        operation = await asyncio.to_thread(self.operations.get, start.operation_id)
        action = ACTIONS[operation.action]
        given = action.params.model_validate(operation.params)
        stamp = Stamp.of(operation)
        gate = asyncio.Semaphore(IN_FLIGHT)

        async def one(route_id: UUID) -> RouteOutcome:
            async with gate:
                outcome = await action.apply(self.hands, route_id, given, stamp)
                activity.heartbeat()
                return outcome

        outcomes = await asyncio.gather(*(one(r) for r in operation.left()[: start.batch]))
        recorded = await asyncio.to_thread(self.operations.record, operation.id, outcomes)
        return recorded.remaining
