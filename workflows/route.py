"""The route's workflow: one per route, `route-<route id>`, for the whole life of the route.

It holds no rules. The route aggregate says what is due when (its timers, from the regulation
profile: agreement rounds, reminders, escalations, activities' dates, the term's end, the
conclusions); the workflow keeps the route's single writer, sleeps durably until the soonest
timer, has an activity fire it, and delivers the notice it produced on every channel. People's
commands arrive as updates (named after the command) and operators' interventions as signals;
both run an activity that executes them on the aggregate (a command a local activity, so that
the workflow task that accepts the update answers it too). The input is just the route id: at
start and at every continue-as-new the state is loaded afresh from the event store, so a route's
workflow can be started again at any time and new workflow code takes over old routes.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Sequence
from datetime import timedelta
from typing import Any

from temporalio import workflow
from temporalio.common import RawValue, RetryPolicy, SearchAttributeKey, SearchAttributeUpdate
from temporalio.exceptions import ActivityError, ApplicationError

with workflow.unsafe.imports_passed_through():
    from workflows.contracts import (
        DELIVER_NOTICE,
        EXECUTE_COMMAND,
        FIRE_TIMER,
        LOAD_ROUTE,
        METHODIST,
        NEXT_DEADLINE,
        OPERATE,
        REGION,
        REJECTED,
        ROUTE_WORKFLOW,
        STATUS,
        WAITING_ON,
        WAITING_SINCE,
        CommandInput,
        Delivery,
        Execution,
        Firing,
        Operation,
        Outcome,
        Refusal,
        RouteInput,
        RouteView,
        TimerView,
    )

STORE_CALL = timedelta(seconds=30)
COMMAND_CALL = timedelta(seconds=10)
"""A person's command takes milliseconds; an attempt lost with its worker is retried after this
(the retry replays what the lost attempt may have saved)."""
COMMAND_RETRY = RetryPolicy(maximum_attempts=5, initial_interval=timedelta(milliseconds=200))
"""A person waits on the answer: a few quick retries (a lost race, a blip of the store)."""
COMMAND_LOCALLY = "command-as-local-activity"
"""The patch that runs a person's command as a local activity. Runs that took a command before
it went on with an activity task; every run since takes its commands locally."""
QUIET_LOOP = "loop-wakes-on-its-own-inputs"
"""The patch after which a new view wakes the main loop only when what the loop waits on
changed: the route closed, or its next timer is another one (or due at another moment). Runs
begun before it woke on every view, so each command on a route with a timer ahead cancelled the
timer and started it again (two more history events, and the server's work)."""
DURABLE_RETRY = RetryPolicy(
    initial_interval=timedelta(seconds=1), maximum_interval=timedelta(minutes=5)
)
"""Timers and signals: retried until the store answers."""
DELIVERY_RETRY = RetryPolicy(
    initial_interval=timedelta(seconds=10),
    backoff_coefficient=2.0,
    maximum_interval=timedelta(hours=1),
    maximum_attempts=30,
)
"""A notice: retried with back-off for about a day, then given up (and logged by the worker)."""


@workflow.defn(name=ROUTE_WORKFLOW)
class RouteWorkflow:
    """One route's process: agreement, deadlines, notices, operators' signals."""

    @workflow.init
    def __init__(self, start: RouteInput) -> None:
        self.route_id = start.route_id  # known to an update that arrives before `run` starts
        self.continue_after = start.continue_after
        self.view: RouteView | None = None
        self.signals: list[tuple[str, dict[str, Any] | None, str]] = []
        self.changed = False
        self.writer = asyncio.Lock()  # one command on the route at a time
        self.deliveries: list[workflow.ActivityHandle[None]] = []
        self.refused_timers: set[str] = set()
        self.published: dict[str, Any] = {}
        self.validated: dict[str, CommandInput] = {}  # by update id: what the validator decoded

    @workflow.run
    async def run(self, start: RouteInput) -> str:
        """Follow the route until it is completed or cancelled; returns its last stage."""
        loaded: RouteView = await workflow.execute_activity(
            LOAD_ROUTE,
            start,
            result_type=RouteView,
            start_to_close_timeout=STORE_CALL,
            retry_policy=DURABLE_RETRY,
        )
        if not self.fresher_than(loaded):
            self.show(loaded)
        quiet = workflow.patched(QUIET_LOOP)  # then the loop itself notices a long history
        while not self.current.closed:
            if self.signals:
                name, payload, step = self.signals.pop(0)
                operation = Operation(
                    route_id=self.route_id,
                    name=name,
                    payload=payload,
                    causation_id=self.causation(f"signal:{name}:{step}"),
                )
                await self.step(OPERATE, operation, f"signal {name}")
                continue
            if self.should_continue_as_new():
                await self.finish_handlers()
                if not self.signals:  # a signal that came meanwhile is applied first
                    workflow.continue_as_new(
                        RouteInput(route_id=self.route_id, continue_after=self.continue_after)
                    )
                continue
            due = self.next_timer(self.current)
            if due is not None and due.at <= workflow.now():
                firing = Firing(
                    route_id=self.route_id,
                    key=due.key,
                    causation_id=self.causation(f"timer:{due.key}"),
                )
                if not await self.step(FIRE_TIMER, firing, f"timer {due.key}"):
                    self.refused_timers.add(due.key)
                continue
            self.changed = False
            with contextlib.suppress(TimeoutError):
                await workflow.wait_condition(
                    lambda: (
                        self.changed
                        or bool(self.signals)
                        or (quiet and self.should_continue_as_new())
                    ),
                    timeout=(due.at - workflow.now()) if due else None,
                    timeout_summary=due.key if due else None,
                )
        await self.finish_handlers()
        return self.current.stage

    # People's commands.

    @workflow.update(dynamic=True, description="A person's command on the route.")
    async def command(self, name: str, args: Sequence[RawValue]) -> int:
        """Execute the command named `name` on the route; answers the route's new version.

        The command runs as a local activity: in the workflow task that accepted the update,
        which answers it too (no activity task, no second workflow task). Its attempts run on
        the worker's clock, so the workflow tells it the moment to decide at: the workflow
        task's time, the cluster's clock, as an activity task's scheduled time was. A worker
        lost mid-command loses its workflow task with it; the task is retried after its
        timeout (and the update delivered again), the command executed again under its id."""
        decoded: CommandInput | Refusal | None = self.validated.pop(update_id(), None)
        if decoded is None:  # a replay: the validator ran when the update came
            decoded = CommandInput.of_update(name, args, workflow.payload_converter())
        causation_id = self.causation(f"update:{name}")
        locally = workflow.patched(COMMAND_LOCALLY)
        at = workflow.now() if locally else None
        execution: Execution | dict[str, Any]
        if isinstance(decoded, CommandInput):
            execution = Execution(
                route_id=self.route_id, request=decoded, causation_id=causation_id, at=at
            )
        else:  # an update older workers accepted as it was sent; their activity refused it
            execution = {
                "route_id": str(self.route_id),
                "name": name,
                "request": workflow.payload_converter().from_payload(args[0].payload),
                "causation_id": causation_id,
            }
        async with self.writer:
            try:
                if locally:
                    outcome: Outcome = await workflow.execute_local_activity(
                        EXECUTE_COMMAND,
                        execution,
                        result_type=Outcome,
                        start_to_close_timeout=COMMAND_CALL,
                        retry_policy=COMMAND_RETRY,
                    )
                else:  # a run that took a command before the patch
                    outcome = await workflow.execute_activity(
                        EXECUTE_COMMAND,
                        execution,
                        result_type=Outcome,
                        start_to_close_timeout=COMMAND_CALL,
                        retry_policy=COMMAND_RETRY,
                    )
            except ActivityError as error:
                raise refusal(error) from None
            self.apply(outcome)
        return outcome.version

    @command.validator
    def validate(self, name: str, args: Sequence[RawValue]) -> None:
        """Refuse at once what cannot be a command on this route: not a command, a malformed
        one, a closed or paused route (the activity decides the rest). The command decoded here
        is the one the update runs."""
        decoded = CommandInput.of_update(name, args, workflow.payload_converter())
        if isinstance(decoded, Refusal):
            raise rejected(decoded)
        self.validated[update_id()] = decoded
        view = self.view
        if view is None:
            return
        if view.closed:
            message = "ИОМ завершён или отменён: команды по нему не принимаются"
            raise rejected(Refusal(kind="stage", rule="stage", message=message))
        if view.paused:
            message = "ИОМ приостановлен оператором до его возобновления"
            raise rejected(Refusal(kind="stage", rule="paused", message=message))

    # Operators' signals.

    @workflow.signal(dynamic=True, description="An operator's intervention (see README).")
    def signal(self, name: str, args: Sequence[RawValue]) -> None:
        """Queue the operator's signal; the main loop applies it (and records a refusal).

        Each signal is its own step: one without a `command_id` is told apart from the next of
        the same name by a deterministic id (the same on a replay)."""
        payload: Any = None
        with contextlib.suppress(Exception):  # not JSON: refused by the activity, on record
            payload = workflow.payload_converter().from_payload(args[0].payload)
        given = payload if isinstance(payload, dict) else None
        self.signals.append((name, given, str(workflow.uuid4())))

    # Signals and timers.

    async def step(self, activity: str, given: Operation | Firing, what: str) -> bool:
        """Run a signal's or a timer's activity as the route's one writer and take what it left;
        False when the route refused it (logged). They keep activity tasks: nobody waits on their
        answer, and they are retried until the store answers (a local activity retried that long
        would hold the workflow task through its first minute of retries, then back off on
        workflow timers, a marker and a timer in the history for each attempt)."""
        async with self.writer:
            try:
                outcome: Outcome = await workflow.execute_activity(
                    activity,
                    given,
                    result_type=Outcome,
                    start_to_close_timeout=STORE_CALL,
                    retry_policy=DURABLE_RETRY,
                )
            except ActivityError as error:
                workflow.logger.warning("%s refused: %s", what, error.cause)
                return False
            self.apply(outcome)
        return True

    def apply(self, outcome: Outcome) -> None:
        """Take the route's new view; send the notice the step produced, if any."""
        notice = outcome.notice  # also on a replay: the attempt that saved it may not have sent it
        if notice is not None:
            for channel in outcome.channels:
                self.deliveries.append(
                    workflow.start_activity(
                        DELIVER_NOTICE,
                        Delivery(channel=channel, notice=notice),
                        start_to_close_timeout=STORE_CALL,
                        retry_policy=DELIVERY_RETRY,
                    )
                )
        self.show(outcome.view)

    # State, search attributes, history.

    @property
    def current(self) -> RouteView:
        assert self.view is not None
        return self.view

    def show(self, view: RouteView) -> None:
        """Keep the view and publish what changed in it as search attributes; wake the main
        loop if what it waits on changed (`QUIET_LOOP`)."""
        before, self.view = self.view, view
        if (
            before is None
            or not workflow.patched(QUIET_LOOP)
            or self.awaited(before) != self.awaited(view)
        ):
            self.changed = True
        wanted: list[tuple[SearchAttributeKey[Any], Any]] = [
            (STATUS, view.status),
            (REGION, view.profile_id),
            (METHODIST, view.methodist_id),
            (NEXT_DEADLINE, view.next_deadline),
            (WAITING_ON, view.waiting_on or None),
            (WAITING_SINCE, view.waiting_since),
        ]
        updates: list[SearchAttributeUpdate[Any]] = []
        for key, value in wanted:
            if self.published.get(key.name) == value:  # unchanged, or never set and still none
                continue
            updates.append(key.value_unset() if value is None else key.value_set(value))
            self.published[key.name] = value
        if updates:
            workflow.upsert_search_attributes(updates)

    def next_timer(self, view: RouteView) -> TimerView | None:
        """The view's soonest timer that was not refused."""
        return next((t for t in view.timers if t.key not in self.refused_timers), None)

    def awaited(self, view: RouteView) -> tuple[bool, TimerView | None]:
        """What the main loop waits on in a view: whether the route is closed, its next timer."""
        return view.closed, self.next_timer(view)

    def fresher_than(self, loaded: RouteView) -> bool:
        """Whether a command that came while the route was loading left a newer view than the
        one loaded. A local activity answers long before the `load_route` activity task that
        was scheduled first: its view is kept. (Runs from before the patch took the loaded view
        in any case; the patch's answer here is the one the command already had.)"""
        current = self.view
        return (
            current is not None
            and current.version > loaded.version
            and workflow.patched(COMMAND_LOCALLY)
        )

    def should_continue_as_new(self) -> bool:
        info = workflow.info()
        return (
            info.is_continue_as_new_suggested()
            or info.get_current_history_length() > self.continue_after
        )

    async def finish_handlers(self) -> None:
        """Let running updates and notice deliveries end before the run does."""
        await workflow.wait_condition(workflow.all_handlers_finished)
        for delivery in self.deliveries:
            try:
                await delivery
            except ActivityError as error:
                workflow.logger.error("notice not delivered: %s", error.cause)
        self.deliveries.clear()

    def causation(self, step: str) -> str:
        """What caused a command: this workflow run and the step in it."""
        info = workflow.info()
        return f"{info.workflow_id}/{info.run_id}/{step}"


def update_id() -> str:
    """The id of the update being validated or handled."""
    info = workflow.current_update_info()
    assert info is not None  # called from the update's validator and handler only
    return info.id


def rejected(refusal: Refusal) -> ApplicationError:
    """The validator's refusal as the caller receives it (and records it: Temporal does not)."""
    details = refusal.model_dump(mode="json")
    return ApplicationError(refusal.message, details, type=REJECTED, non_retryable=True)


def refusal(error: ActivityError) -> ApplicationError:
    """The activity's refusal passed on to the update's caller as it is."""
    cause = error.cause
    if isinstance(cause, ApplicationError):
        return ApplicationError(cause.message, *cause.details, type=cause.type, non_retryable=True)
    message = "ИОМ временно недоступен; повторите запрос"
    unavailable = Refusal(rule="unavailable", message=message)
    return ApplicationError(message, unavailable.model_dump(mode="json"), type="Unavailable")
