"""`Operation`: an operator's bulk act on many routes (массовая операция), itself on record.

An operation is started with what it does (the action and its parameters), the filter that chose
its routes, the route ids that filter matched (frozen at the start: the run acts on exactly the
routes it was started with, so a preview's count is the run's count for an unchanged store), who
started it, why (the reason) and under which ticket. Each route's outcome is recorded once
(done, refused with the rule, skipped with why): whatever drives the operation reads which routes
are left from the operation itself, so a driver started again after a crash goes on where the
record ends and never acts on a route twice. Each route's own change is an event on that route
whose command id is `command_id(operation, route)`: the operation's id is in the route's history.

The operations live in an eventsourcing application of their own (`Operations`), beside the
routes' store but in their own table (`adapters.operation_store`): the routes' notification log,
which feeds the projections, carries route events only.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any, Literal
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError, Application
from eventsourcing.domain import Aggregate, event
from pydantic import BaseModel, ConfigDict, Field

from aggregates.errors import OperationNotFoundError

Status = Literal["done", "refused", "skipped"]
STATUS_TITLES: dict[str, str] = {"done": "применено", "refused": "отклонено", "skipped": "пропущен"}


class RouteOutcome(BaseModel):
    """What one operation did to one route: done (at the route's version), refused (the rule,
    the field, the Russian message), or skipped (why, in the message)."""

    model_config = ConfigDict(
        frozen=True,
        json_schema_extra={
            "examples": [
                {"route_id": "3f2a5c1e-0b7d-5e4a-9c21-6d8e0f1a2b3c", "status": "done", "version": 9}
            ]
        },
    )

    route_id: UUID = Field(description="ИОМ.")
    status: Status = Field(description="done — применено, refused — отклонено, skipped — пропущен.")
    version: int | None = Field(None, description="Версия ИОМ после изменения.")
    rule: str | None = Field(None, description="Правило отказа или пропуска.")
    field: str | None = Field(None, description="Поле, которого касается отказ.")
    message: str | None = Field(None, description="Причина словами.")


def command_id(operation_id: UUID, route_id: UUID) -> str:
    """The command id of an operation's change on one route: the same on every attempt, so the
    route appends it once (the route answers a command id it has applied with its receipt)."""
    return f"operation:{operation_id}:{route_id}"


class Operation(Aggregate):
    """Массовая операция: an action on the frozen list of routes a filter matched."""

    @staticmethod
    def create_id(operation_id: UUID, **_: Any) -> UUID:
        """The id the caller chose (a retried start finds the operation)."""
        return operation_id

    @event("Started")
    def __init__(
        self,
        *,
        operation_id: UUID,
        action: str,
        params: dict[str, Any],
        query: dict[str, Any],
        route_ids: list[str],
        operator_id: str,
        reason: str,
        ticket: str,
    ) -> None:
        self.operation_id = operation_id
        self.action = action
        self.params = params
        self.query = query
        self.route_ids = route_ids
        self.operator_id = operator_id
        self.reason = reason
        self.ticket = ticket
        self.outcomes: dict[str, dict[str, Any]] = {}
        self.finished_on: datetime | None = None

    @event("OutcomesRecorded")
    def _record(self, outcomes: list[dict[str, Any]]) -> None:
        for outcome in outcomes:
            self.outcomes.setdefault(str(outcome["route_id"]), outcome)

    def record(self, outcomes: Iterable[RouteOutcome]) -> None:
        """Record the outcomes of routes that have none yet (a repeated one is ignored)."""
        fresh = {str(o.route_id): o.model_dump(mode="json") for o in outcomes}
        ids = self.ids
        fresh = {k: v for k, v in fresh.items() if k in ids and k not in self.outcomes}
        if fresh:
            self._record(list(fresh.values()))

    @event("Finished")
    def _finish(self) -> None:
        self.finished_on = self.modified_on

    def finish(self) -> None:
        """Close the operation once every route has its outcome (a second call does nothing)."""
        if self.finished_on is None and not self.remaining:
            self._finish()

    @property
    def ids(self) -> set[str]:
        """The routes the operation acts on."""
        return set(self.route_ids)

    @property
    def remaining(self) -> int:
        """How many routes have no outcome yet (only the operation's routes have one)."""
        return len(self.route_ids) - len(self.outcomes)

    def left(self) -> list[UUID]:
        """The routes without an outcome yet, in the frozen order."""
        return [UUID(r) for r in self.route_ids if r not in self.outcomes]

    def counts(self) -> dict[str, int]:
        """How many routes are done, refused, skipped, and left."""
        counts = {"done": 0, "refused": 0, "skipped": 0}
        for outcome in self.outcomes.values():
            counts[outcome["status"]] += 1
        return counts | {"left": self.remaining}

    def report(self) -> list[RouteOutcome]:
        """The outcome of every route that has one, in the frozen order."""
        return [RouteOutcome(**self.outcomes[r]) for r in self.route_ids if r in self.outcomes]


class Operations(Application[UUID]):
    """Every bulk operation, event-sourced (on PostgreSQL in the table `operations_events`)."""

    is_snapshotting_enabled = False

    def start(self, operation: Operation) -> Operation:
        """Save a new operation; one started already under its id is answered as it is."""
        try:
            return self.get(operation.operation_id)
        except OperationNotFoundError:
            self.save(operation)
            return operation

    def record(self, operation_id: UUID, outcomes: Iterable[RouteOutcome]) -> Operation:
        """Record routes' outcomes on the operation; finish it once none is left."""
        operation = self.get(operation_id)
        operation.record(outcomes)
        operation.finish()
        self.save(operation)
        return operation

    def get(self, operation_id: UUID) -> Operation:
        """The operation, or a refusal naming it."""
        try:
            found: Operation = self.repository.get(operation_id)
        except AggregateNotFoundError:
            raise OperationNotFoundError(
                "not_found", f"операция {operation_id} не найдена", "operation_id"
            ) from None
        return found

    def all(self, limit: int = 100) -> list[Operation]:
        """The latest operations, newest first."""
        topic = f"{Operation.__module__}:{Operation.__qualname__}.Started"
        ids: list[UUID] = []
        start = 1
        while True:
            page = self.recorder.select_notifications(start, 1000, topics=[topic])
            ids += [UUID(str(n.originator_id)) for n in page]
            if len(page) < 1000:
                break
            start = page[-1].id + 1
        return [self.get(i) for i in reversed(ids[-limit:])]
