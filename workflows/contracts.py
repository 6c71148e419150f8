"""What crosses between a route's workflow, its activities and the clients that call it.

Plain pydantic data: ids, roles, stages, dates and the Russian text of notices, never a
teacher's personal data (workflow payloads and search attributes are stored unencrypted).
The workflow reads only these; the activities build them from the route aggregate.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, SerializerFunctionWrapHandler, model_serializer
from temporalio.common import SearchAttributeKey

ROUTE_WORKFLOW = "RouteWorkflow"
DEFAULT_TASK_QUEUE = "iom-routes"

STATUS = SearchAttributeKey.for_keyword("IomStatus")
"""The route's stage (`agreement`, `implementation`, …) or `paused`."""
REGION = SearchAttributeKey.for_keyword("IomRegion")
"""The regulation profile id, e.g. `sakha`."""
METHODIST = SearchAttributeKey.for_keyword("IomMethodist")
"""The assigned methodist's id."""
NEXT_DEADLINE = SearchAttributeKey.for_datetime("IomNextDeadline")
"""The nearest open deadline, as the start of its day in the region."""
WAITING_ON = SearchAttributeKey.for_keyword_list("IomWaitingOn")
"""The roles the route waits on (an answer due, or an activity past its date)."""
WAITING_SINCE = SearchAttributeKey.for_datetime("IomWaitingSince")
"""Since when it has waited on them."""
SEARCH_ATTRIBUTES = (STATUS, REGION, METHODIST, NEXT_DEADLINE, WAITING_ON, WAITING_SINCE)


def workflow_id(route_id: UUID | str) -> str:
    """The id of a route's workflow: `route-<route id>`."""
    return f"route-{route_id}"


def route_id_of(workflow_id: str) -> UUID | None:
    """The route a route workflow's id names (`None` for another id)."""
    if not workflow_id.startswith("route-"):
        return None
    try:
        return UUID(workflow_id.removeprefix("route-"))
    except ValueError:
        return None


class Contract(BaseModel):
    """A payload: immutable, unknown fields refused."""

    model_config = ConfigDict(frozen=True, extra="forbid")


class RouteInput(Contract):
    """The route workflow's input, at start and at every continue-as-new: the route, and how
    long a run's history may grow before it continues as new."""

    route_id: UUID
    continue_after: int = Field(default=10_000, ge=20, le=50_000)


class TimerView(Contract):
    """A notice or deadline action the workflow must fire at `at`."""

    key: str
    at: datetime


class RouteView(Contract):
    """What the workflow needs of the route's state: no rules, just what to wait for."""

    route_id: UUID
    version: int
    profile_id: str
    stage: str
    paused: bool
    closed: bool  # completed or cancelled: the workflow ends
    methodist_id: str | None
    waiting_on: list[str]
    waiting_since: datetime | None
    next_deadline: datetime | None
    timers: list[TimerView]  # soonest first
    commands: list[str]  # the update names a person may send

    @property
    def status(self) -> str:
        """The search attribute `IomStatus`: the stage, or `paused`."""
        return "paused" if self.paused else self.stage


ID_LENGTH = 200
"""The longest actor or command id a request may carry."""


class CommandRequest(Contract):
    """A person's command, sent as the update named after it (`agree_route`, …)."""

    actor_id: str = Field(min_length=1, max_length=ID_LENGTH)
    role: str = Field(min_length=1, max_length=40)
    command_id: str = Field(min_length=1, max_length=ID_LENGTH)
    payload: dict[str, Any] = {}
    acting_for: dict[str, Any] | None = None  # за руководителя: `aggregates.values.Acting`

    @model_serializer(mode="wrap")
    def _acting_only_when_set(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        """Without `acting_for`, the payload is the one workers older than it accept."""
        data: dict[str, Any] = handler(self)
        if data.get("acting_for") is None:
            data.pop("acting_for", None)
        return data


class Execution(Contract):
    """The activity input of one command on a route; `at`: the moment to decide it at, the
    workflow task's time (a local activity's own scheduled time is the worker's clock; None:
    the activity task's scheduled time, the cluster's clock)."""

    route_id: UUID
    name: str
    request: CommandRequest
    causation_id: str
    at: datetime | None = None

    @model_serializer(mode="wrap")
    def _at_only_when_set(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        """Without `at`, the payload is the one workers older than it accept (their contract
        refuses unknown fields): an activity task of a run from before the patch may reach one
        while the workers are replaced."""
        data: dict[str, Any] = handler(self)
        if data.get("at") is None:
            data.pop("at", None)
        return data


class Outcome(Contract):
    """What a command (or a fired timer, or an operator's signal) left on the route."""

    version: int
    events: list[str]
    replayed: bool
    view: RouteView
    notice: Notice | None = None  # to deliver, when the step sent one
    channels: list[str] = []  # the channels it goes out on


class Operation(Contract):
    """The activity input of an operator's signal: its name and its JSON as sent (None: the
    signal's input was not a JSON object)."""

    route_id: UUID
    name: str
    payload: dict[str, Any] | None
    causation_id: str


class Firing(Contract):
    """The activity input of a timer that came due."""

    route_id: UUID
    key: str
    causation_id: str


class Notice(Contract):
    """A notice to the parties of a route, in Russian. `id` is the delivery id: the same on every
    retry of one delivery, so a receiver can drop repeats."""

    id: str
    route_id: UUID | None  # none for a region's calendar notice (a diagnostic campaign, reports)
    key: str  # which obligation and step, e.g. `a1:methodist:reminder`
    kind: str  # agreement_requested, agreement_reminder, agreement_escalated, activity_overdue…
    profile_id: str
    municipality_id: str | None
    school_id: str | None
    teacher_id: str | None
    methodist_id: str | None
    recipients: list[str]  # roles; the portal knows the people
    # role → who holds it on the route: a person's id where the route knows them (its teacher,
    # its methodist), else its school's or region's id (`aggregates.tasks.assignee`)
    assignees: dict[str, str] = Field(default_factory=dict)
    due_on: date | None
    subject: str
    text: str
    created_at: datetime


class Delivery(Contract):
    """The activity input of one notice on one channel (`webhook`, `email`)."""

    channel: str
    notice: Notice


Outcome.model_rebuild()


CalendarKind = Literal["diagnostic_campaign", "methodist_report"]


class CalendarInput(Contract):
    """A region's calendar date came (a Temporal Schedule fired): which region, what, and how
    many days ahead of the date itself the notice goes out."""

    profile_id: str
    kind: CalendarKind
    notice_days: int = Field(default=0, ge=0, le=60)


class CalendarFiring(Contract):
    """The activity input of a calendar schedule's firing: its request and when it fired (the
    schedule's time, the same on every retry, so the notice's date and id are too)."""

    request: CalendarInput
    fired_at: datetime


class CalendarNotice(Contract):
    """The notice of a calendar date and the channels it goes out on."""

    notice: Notice
    channels: list[str]


def calendar_schedule_id(profile_id: str, kind: str) -> str:
    """The id of a region's calendar schedule, e.g. `calendar-sakha-diagnostic_campaign`."""
    return f"calendar-{profile_id}-{kind}"


BULK_WORKFLOW = "BulkOperationWorkflow"


def operation_workflow_id(operation_id: UUID | str) -> str:
    """The id of a bulk operation's workflow: `operation-<operation id>`."""
    return f"operation-{operation_id}"


class BulkInput(Contract):
    """A bulk operation's workflow input: the operation, and how many routes a step takes."""

    operation_id: UUID
    batch: int = Field(default=200, ge=1, le=1000)


class WorkflowState(Contract):
    """A route's workflow as the server describes it: whether a run is going, how it ended
    otherwise, and its most-retried pending activity (its name, attempts, last error)."""

    running: bool
    status: str | None = None  # the last run's ExecutionStatus name; None: never started
    activity: str | None = None
    attempts: int = 0
    error: str | None = None
