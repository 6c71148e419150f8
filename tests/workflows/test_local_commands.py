"""A person's command as a local activity (the patch `command-as-local-activity`), with fake
activities that force the orders a real worker only sometimes takes: the command answered in the
workflow task that accepted its update, a refusal passed on as it is, and a command that comes
while the workflow is still loading its route, whose newer view the older one loaded does not
replace (it did once: the route then waited on nothing, its notices never sent)."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any
from uuid import UUID

import pytest
import pytest_asyncio
from temporalio import activity
from temporalio.api.enums.v1 import EventType
from temporalio.client import WorkflowHandle, WorkflowUpdateFailedError
from temporalio.exceptions import ApplicationError
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from tests.support.waiting import until
from workflows.contracts import (
    ROUTE_WORKFLOW,
    STATUS,
    CommandRequest,
    Execution,
    Outcome,
    RouteInput,
    RouteView,
    TimerView,
    workflow_id,
)
from workflows.route import RouteWorkflow

pytestmark = pytest.mark.asyncio(loop_scope="session")  # on the session's shared server

MESSAGE = "сейчас ИОМ ждёт ответа: методист"
REFUSAL = {"kind": "role", "rule": "turn", "field": None, "message": MESSAGE}
INTERIM = {"recorded_on": "2026-03-01", "text": "Промежуточный результат"}


def view(
    route_id: UUID, version: int, stage: str, timers: list[TimerView] | None = None
) -> RouteView:
    """A route's view (with no timers unless given: the workflow waits for commands)."""
    return RouteView(
        route_id=route_id,
        version=version,
        profile_id="sakha",
        stage=stage,
        paused=False,
        closed=False,
        methodist_id="methodist-1",
        waiting_on=[],
        waiting_since=None,
        next_deadline=None,
        timers=timers or [],
        commands=["record_interim_result"],
    )


@dataclass
class Fakes:
    """`load_route` reads the route at version 1 and answers when released; `execute_command`
    saves the next version at once, or refuses a command whose id says so. Both views hold the
    `timers` of the moment."""

    loading: asyncio.Event = field(default_factory=asyncio.Event)
    release: asyncio.Event = field(default_factory=asyncio.Event)
    executions: list[Execution] = field(default_factory=list)
    timers: list[TimerView] = field(default_factory=list)

    @activity.defn(name="load_route")
    async def load_route(self, start: RouteInput) -> RouteView:
        loaded = view(start.route_id, 1, "design", self.timers)
        self.loading.set()
        await self.release.wait()
        return loaded

    @activity.defn(name="execute_command")
    async def execute_command(self, execution: Execution) -> Outcome:
        self.executions.append(execution)
        if execution.request.command_id == "refused":
            raise ApplicationError(MESSAGE, REFUSAL, type="role", non_retryable=True)
        version = 1 + len(self.executions)
        answer = view(execution.route_id, version, "implementation", self.timers)
        return Outcome(
            version=version, events=["InterimResultRecorded"], replayed=False, view=answer
        )


@dataclass
class Route:
    """The route's workflow on a worker with the fakes."""

    handle: WorkflowHandle[object, object]
    fakes: Fakes
    env: WorkflowEnvironment

    async def command(self, command_id: str) -> int:
        request = CommandRequest(
            actor_id="methodist-1", role="methodist", command_id=command_id, payload=INTERIM
        )
        version: int = await self.handle.execute_update(
            "record_interim_result", request, result_type=int
        )
        return version

    async def events(self) -> list[EventType.ValueType]:
        return [event.event_type for event in (await self.handle.fetch_history()).events]


@pytest_asyncio.fixture(loop_scope="session")
async def route(shared_skipping: WorkflowEnvironment) -> AsyncIterator[Route]:
    """A route's workflow started on the fakes, its `load_route` running and not yet answered."""
    fakes = Fakes()
    queue = f"iom-local-{uuid.uuid4().hex[:8]}"
    activities: list[Callable[..., Any]] = [fakes.load_route, fakes.execute_command]
    client = shared_skipping.client
    async with Worker(client, task_queue=queue, workflows=[RouteWorkflow], activities=activities):
        route_id = uuid.uuid4()
        handle = await client.start_workflow(
            ROUTE_WORKFLOW,
            RouteInput(route_id=route_id),
            id=workflow_id(route_id),
            task_queue=queue,
        )
        await asyncio.wait_for(fakes.loading.wait(), 15)
        yield Route(handle, fakes, shared_skipping)
        fakes.release.set()
        await handle.terminate()


async def test_a_command_is_answered_in_the_task_that_accepted_it(route: Route) -> None:
    assert await route.command("first") == 2
    [execution] = route.fakes.executions
    assert execution.at is not None  # decided at the workflow's time, not the worker's clock
    events = await route.events()
    accepted = events.index(EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED)
    completed = events.index(EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_COMPLETED)
    assert EventType.EVENT_TYPE_MARKER_RECORDED in events[accepted:completed]
    assert EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED not in events[accepted:completed]
    assert events.count(EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED) == 1  # load_route only


async def test_a_refusal_reaches_the_caller_as_it_is(route: Route) -> None:
    with pytest.raises(WorkflowUpdateFailedError) as failed:
        await route.command("refused")
    cause = failed.value.cause
    assert isinstance(cause, ApplicationError)
    assert (cause.type, cause.message, cause.details) == (
        "role",
        REFUSAL["message"],
        (REFUSAL,),
    )
    assert cause.non_retryable
    assert len(route.fakes.executions) == 1  # refused for good: not retried


async def test_the_route_loaded_late_does_not_replace_a_newer_command(route: Route) -> None:
    assert await route.command("first") == 2  # while load_route still holds version 1

    async def status() -> str | None:
        return (await route.handle.describe()).typed_search_attributes.get(STATUS)

    assert await status() == "implementation"
    route.fakes.release.set()

    async def loaded() -> bool:  # the workflow task that took load_route's answer completed
        events = await route.events()
        done = EventType.EVENT_TYPE_ACTIVITY_TASK_COMPLETED
        tasks = EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED
        return done in events and tasks in events[events.index(done) :]

    await until(loaded)
    assert await status() == "implementation"  # version 2 kept, not the loaded version 1


async def test_a_command_leaves_the_timer_ahead_alone(route: Route) -> None:
    """The main loop wakes for a new view only when what it waits on changed (the patch
    `loop-wakes-on-its-own-inputs`): a command that leaves the next timer as it was neither
    cancels it nor starts it again; one that moves it does both."""
    route.fakes.release.set()  # the route loads with no timer ahead
    ahead = await route.env.get_current_time() + timedelta(days=30)  # the server's clock
    route.fakes.timers = [TimerView(key="deadline:a1", at=ahead)]
    assert await route.command("first") == 2  # its view has the timer: the loop starts it
    started, cancelled = EventType.EVENT_TYPE_TIMER_STARTED, EventType.EVENT_TYPE_TIMER_CANCELED

    async def timers(count: int) -> bool:
        return (await route.events()).count(started) == count

    await until(lambda: timers(1))
    for number in range(3):
        assert await route.command(f"same-{number}") == 3 + number
    events = await route.events()
    assert (events.count(started), events.count(cancelled)) == (1, 0)
    route.fakes.timers = [TimerView(key="deadline:a1", at=ahead + timedelta(days=1))]
    assert await route.command("moved") == 6
    await until(lambda: timers(2))
    assert (await route.events()).count(cancelled) == 1
