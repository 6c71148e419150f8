"""The bulk operation's record and the diagnosis of a route's workflow, without servers.

An operation keeps its frozen routes, records each route's outcome once (a step tried again
after a crash records nothing twice), finishes only when no route is left, and reads back
from its events the same; a workflow is an incident when it ended while its route is open,
keeps failing an activity, or runs while its route is closed.
"""

from __future__ import annotations

import uuid
from uuid import UUID

import pytest

from activities.bulk import ACTIONS
from activities.workflow_incidents import FAILING, diagnose
from adapters.operation_store import operation_env
from aggregates.errors import OperationNotFoundError
from aggregates.operation import Operation, Operations, RouteOutcome, command_id
from runtime.settings import store_env
from workflows.contracts import WorkflowState

ROUTES = [uuid.uuid4() for _ in range(3)]


def started() -> Operation:
    return Operation(
        operation_id=uuid.uuid4(),
        action="pause",
        params={},
        query={"region": "sakha"},
        route_ids=[str(r) for r in ROUTES],
        operator_id="op-1",
        reason="Каникулы",
        ticket="OPS-1",
    )


def done(route_id: UUID, version: int = 5) -> RouteOutcome:
    return RouteOutcome(route_id=route_id, status="done", version=version)


def test_each_route_is_recorded_once_and_the_operation_finishes_when_none_is_left() -> None:
    operations = Operations(operation_env(store_env("sqlite:///:memory:")))
    operation = operations.start(started())
    assert operations.start(operation).version == operation.version  # a retried start
    refused = RouteOutcome(
        route_id=ROUTES[1], status="refused", rule="content", message="ИОМ уже приостановлен"
    )
    operations.record(operation.id, [done(ROUTES[0]), refused])
    again = operations.record(operation.id, [done(ROUTES[0], 9), done(uuid.uuid4())])
    assert again.report() == [done(ROUTES[0]), refused]  # the first outcome stands
    assert again.left() == [ROUTES[2]]
    assert again.finished_on is None
    ended = operations.record(operation.id, [done(ROUTES[2])])
    assert ended.counts() == {"done": 2, "refused": 1, "skipped": 0, "left": 0}
    assert ended.finished_on is not None
    assert [o.id for o in operations.all()] == [operation.id]
    with pytest.raises(OperationNotFoundError):
        operations.get(uuid.uuid4())


def test_the_route_event_carries_the_operation_id() -> None:
    operation_id, route_id = uuid.uuid4(), uuid.uuid4()
    assert str(operation_id) in command_id(operation_id, route_id)
    assert command_id(operation_id, route_id) == command_id(operation_id, route_id)


def test_an_action_takes_its_own_parameters_only() -> None:
    action = ACTIONS["reassign_methodist"]
    action.params.model_validate({"methodist_id": "m-17", "order": "Приказ № 5"})
    with pytest.raises(ValueError, match="reason"):
        action.params.model_validate({"methodist_id": "m-17", "order": "П", "reason": "x"})


@pytest.mark.parametrize(
    ("closed", "state", "kind"),
    [
        (False, WorkflowState(running=False, status="TERMINATED", error="lost"), "terminated"),
        (False, WorkflowState(running=False, status="FAILED"), "failed"),
        (False, WorkflowState(running=False, status="TIMED_OUT"), "timed_out"),
        (False, WorkflowState(running=False), "not_running"),
        (
            False,
            WorkflowState(running=True, activity="load_route", attempts=FAILING + 1),
            "failing_activity",
        ),
        (True, WorkflowState(running=True), "closed_running"),
        (False, WorkflowState(running=True, activity="operate", attempts=FAILING), None),
        (True, WorkflowState(running=False, status="COMPLETED"), None),
    ],
)
def test_a_workflow_is_diagnosed_against_the_store(
    closed: bool,
    state: WorkflowState,
    kind: str | None,
) -> None:
    incident = diagnose(ROUTES[0], closed, state)
    assert (incident.kind if incident else None) == kind
    if incident is not None:
        assert incident.error and incident.repair  # in Russian words, with the repair
