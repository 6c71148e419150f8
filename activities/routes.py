"""The route workflow's activities: load a route, execute a command on it, fire a timer, apply an
operator's signal, deliver a notice. Thin adapters over the `Routes` application.

Every command is executed under its command id, so a retried activity appends nothing twice (the
application answers a command id already applied with its earlier receipt). A refused command is
recorded (who, what, which rule) before the activity fails without retry, because Temporal keeps
no record of it. Commands are decided at the moment Temporal scheduled the attempt: the cluster's
clock, the same one the workflow's timers run on. A person's command runs as a local activity,
whose scheduled time is the worker's clock: the workflow passes its own time instead
(`Execution.at`).

Each activity, once started, runs to its end (`no_thread_cancel_exception`): a cancellation
(the worker shutting down) is not raised into its thread, where it would land wherever the thread
happens to be: in the middle of a transaction, of the connection pool's bookkeeping, or between
a socket's creation and its `with`, leaking it. Every call they make is bounded by its own
timeout (the store's, the SMTP and webhook channels' 10 s), so a shutdown waits at most that
long.
"""

from __future__ import annotations

import uuid
from datetime import datetime, time
from typing import Any, NoReturn, Protocol
from uuid import UUID

import structlog
from pydantic import ValidationError
from temporalio import activity
from temporalio.exceptions import ApplicationError, ApplicationErrorCategory

from activities.notify import Channel, PermanentDeliveryError
from aggregates.application import Receipt, Routes
from aggregates.commands import OPERATIONS, PERSON_COMMANDS, Command, SendNotice
from aggregates.deadlines import Calendar, deadlines, timers, waiting
from aggregates.errors import ConflictError, DomainError, InvalidCommandError, invalid_content
from aggregates.events import NoticeSent
from aggregates.notices import compose
from aggregates.route import Route
from aggregates.tasks import assignee
from aggregates.values import Actor, Role
from workflows.contracts import (
    DELIVER_NOTICE,
    EXECUTE_COMMAND,
    FIRE_TIMER,
    ID_LENGTH,
    LOAD_ROUTE,
    OPERATE,
    Delivery,
    Execution,
    Firing,
    Notice,
    Operation,
    Outcome,
    Refusal,
    RouteInput,
    RouteView,
    TimerView,
    signed_actor,
)

TIMER_ACTOR = Actor(id="route-workflow", role=Role.SYSTEM)
NOTICE_NAMESPACE = UUID("3a0f6a52-8f0e-4c59-9d4b-6c1f2f7e8a11")

log = structlog.get_logger("iom.activities")


def route_view(route: Route, now: datetime) -> RouteView:
    """What the route's workflow needs of the route."""
    held, since = waiting(route, now)
    open_deadlines = deadlines(route)
    calendar = Calendar(route)
    return RouteView(
        route_id=route.id,
        version=route.version,
        profile_id=route.profile.id,
        stage=route.stage.value,
        paused=route.paused,
        closed=route.closed,
        methodist_id=route.methodist_id,
        waiting_on=[role.value for role in held],
        waiting_since=since,
        next_deadline=calendar.at(open_deadlines[0].due_on, time()) if open_deadlines else None,
        timers=[TimerView(key=t.key, at=t.at) for t in timers(route)],
        commands=sorted(PERSON_COMMANDS),
    )


def refused_for_good(error: DomainError) -> ApplicationError:
    """A rule's refusal as the activity's failure: not retried, and benign, so the SDK logs it
    at debug level without a traceback (the activity logs its own one line): a refusal is the
    engine working, not a fault an operator must look at."""
    return ApplicationError(
        error.message,
        Refusal.of(error).model_dump(mode="json"),
        type=error.kind,
        non_retryable=True,
        category=ApplicationErrorCategory.BENIGN,
    )


class RecordRefusal(Protocol):
    """Records one refused command (the composition root hands in `projections.refusals`'s
    `record_refused`); False when one with the same command id was recorded already."""

    def __call__(
        self,
        *,
        route_id: UUID | None,
        command: str,
        actor_id: str,
        role: str,
        command_id: str | None,
        error: DomainError,
        refused_at: datetime,
    ) -> bool: ...


class RouteActivities:
    """The activities, bound to one `Routes` application, the notice channels and the record of
    refused commands."""

    def __init__(
        self, routes: Routes, channels: dict[str, Channel], record_refusal: RecordRefusal
    ) -> None:
        self.routes = routes
        self.channels = channels
        self.record_refusal = record_refusal

    @activity.defn(name=LOAD_ROUTE, no_thread_cancel_exception=True)
    def load_route(self, start: RouteInput) -> RouteView:
        """The route's view now (at the workflow's start and every continue-as-new)."""
        self._bind(start.route_id)
        return route_view(self.routes.route(start.route_id), self._now())

    @activity.defn(name=EXECUTE_COMMAND, no_thread_cancel_exception=True)
    def execute_command(self, execution: Execution) -> Outcome:
        """A person's command (decoded by the workflow), decided on the route and saved; a
        refusal is recorded."""
        request = execution.request
        self._bind(execution.route_id, command=request.name, command_id=request.command_id)
        now = execution.at or self._now()  # `at`: a local activity, told the workflow's time
        try:
            receipt = self.routes.execute(
                execution.route_id,
                request.command,
                request.actor,
                request.command_id,
                execution.causation_id,
                now=now,
                acting=request.acting_for,
            )
        except ConflictError:
            raise  # another writer won: a retry decides again on the fresh route
        except DomainError as error:
            signed = (request.actor.id, request.actor.role.value, request.command_id)
            self._refuse(execution.route_id, request.name, signed, error, now)
        outcome = self._outcome(receipt, now)
        log.info("command executed", version=receipt.version, replayed=receipt.replayed)
        return outcome

    @activity.defn(name=OPERATE, no_thread_cancel_exception=True)
    def operate(self, operation: Operation) -> Outcome:
        """An operator's signal, recorded on the route as an event with reason and ticket."""
        payload = dict(operation.payload or {})
        operator_id = str(payload.pop("operator_id", "") or "")
        command_id = str(payload.pop("command_id", "") or operation.causation_id)
        self._bind(operation.route_id, signal=operation.name, command_id=command_id)
        try:
            if operation.payload is None:
                raise InvalidCommandError(
                    "content", "ввод сигнала должен быть JSON-объектом (см. README)", "payload"
                )
            if len(command_id) > ID_LENGTH:
                raise InvalidCommandError(
                    "content", f"поле «command_id»: не длиннее {ID_LENGTH} знаков", "command_id"
                )
            command = self._operation(operation.name, payload)
            actor = signed_actor(operator_id, Role.OPERATOR.value, field="operator_id")
            receipt = self.routes.execute(
                operation.route_id,
                command,
                actor,
                command_id,
                operation.causation_id,
                now=self._now(),
            )
        except ConflictError:
            raise
        except DomainError as error:
            signed = (operator_id[:ID_LENGTH], Role.OPERATOR.value, command_id[:ID_LENGTH])
            self._refuse(operation.route_id, operation.name, signed, error)
        outcome = self._outcome(receipt)
        log.info("signal applied", version=receipt.version, replayed=receipt.replayed)
        return outcome

    @activity.defn(name=FIRE_TIMER, no_thread_cancel_exception=True)
    def fire_timer(self, firing: Firing) -> Outcome:
        """A timer came due: record its notice (and an overdue mark) once, return the notice."""
        self._bind(firing.route_id, timer=firing.key)
        try:
            receipt = self.routes.execute(
                firing.route_id,
                SendNotice(key=firing.key),
                TIMER_ACTOR,
                f"timer:{firing.key}",
                firing.causation_id,
                now=self._now(),
            )
        except ConflictError:
            raise
        except DomainError as error:
            log.warning("timer refused", rule=error.rule, reason=error.message)
            raise refused_for_good(error) from None
        return self._outcome(receipt)

    @activity.defn(name=DELIVER_NOTICE, no_thread_cancel_exception=True)
    def deliver_notice(self, delivery: Delivery) -> None:
        """Send a notice on one channel; a failure is retried by the activity's retry policy."""
        notice = delivery.notice
        self._bind(notice.route_id, channel=delivery.channel, notice=notice.id)
        channel = self.channels.get(delivery.channel)
        if channel is None:
            raise ApplicationError(
                f"channel {delivery.channel!r} is not configured on this worker",
                type="UnknownChannel",
                non_retryable=True,
            )
        try:
            channel.send(notice)
        except PermanentDeliveryError as error:
            log.error("notice undeliverable", error=str(error))
            raise ApplicationError(str(error), type="Undeliverable", non_retryable=True) from None
        log.info("notice delivered", kind=notice.kind)

    # Internals.

    @staticmethod
    def _now() -> datetime:
        return activity.info().current_attempt_scheduled_time

    @staticmethod
    def _bind(route_id: UUID | None, **values: object) -> None:
        info = activity.info()
        structlog.contextvars.clear_contextvars()
        structlog.contextvars.bind_contextvars(
            route_id=str(route_id) if route_id else None,
            workflow_id=info.workflow_id,
            run_id=info.workflow_run_id,
            activity=info.activity_type,
            attempt=info.attempt,
            **values,
        )

    @staticmethod
    def _operation(name: str, payload: dict[str, Any]) -> Command:
        """The operator's command a signal's name and JSON ask for, or a refusal naming the
        field."""
        command_class = OPERATIONS.get(name)
        if command_class is None:
            names = ", ".join(OPERATIONS)
            raise InvalidCommandError("command", f"нет команды «{name}»; есть: {names}", "name")
        try:
            return command_class.model_validate(payload)
        except ValidationError as error:
            raise invalid_content(error) from None

    def _refuse(
        self,
        route_id: UUID,
        name: str,
        signed: tuple[str, str, str],
        error: DomainError,
        now: datetime | None = None,
    ) -> NoReturn:
        """Record the refusal (`signed`: who, in which role, under which command id), then
        refuse for good: a retry would be refused again."""
        actor_id, role, command_id = signed
        self.record_refusal(
            route_id=route_id,
            command=name,
            actor_id=actor_id,
            role=role,
            command_id=command_id,
            error=error,
            refused_at=now or self._now(),
        )
        log.info("command refused", rule=error.rule, field=error.field)
        raise refused_for_good(error)

    def _outcome(self, receipt: Receipt, now: datetime | None = None) -> Outcome:
        """What the step left, its view from the route the command was decided on (the route
        is loaded once per command)."""
        route = receipt.route
        notice = None
        last = receipt.events[-1:] if not receipt.replayed else []
        if receipt.replayed or last == [NoticeSent.__name__]:
            notice = self._notice(route, receipt.version)
        return Outcome(
            version=receipt.version,
            events=receipt.events,
            replayed=receipt.replayed,
            view=route_view(route, now or self._now()),
            notice=notice,
            channels=sorted(self.channels) if notice else [],
        )

    def _notice(self, route: Route, version: int) -> Notice | None:
        """The notice a `NoticeSent` at `version` sent (none when another event is there)."""
        event = next(iter(self.routes.events.get(route.id, gt=version - 1, lte=version)), None)
        if not isinstance(event, NoticeSent):
            return None
        subject, text = compose(route, event.key, event.kind, event.due_on)
        return Notice(
            id=str(uuid.uuid5(NOTICE_NAMESPACE, f"{route.id}:{version}")),
            route_id=route.id,
            key=event.key,
            kind=event.kind,
            profile_id=route.profile.id,
            municipality_id=route.municipality_id,
            school_id=route.school_id,
            teacher_id=route.teacher_id,
            methodist_id=route.methodist_id,
            recipients=[role.value for role in event.recipients],
            assignees={role.value: assignee(route, role).scope_id for role in event.recipients},
            due_on=event.due_on,
            subject=("Повторно: " if event.resent else "") + subject,
            text=text,
            created_at=event.timestamp,
        )
