"""What crosses between a route's workflow, its activities and the clients that call it.

Plain pydantic data: ids, roles, stages, dates and the Russian text of notices, never a
teacher's personal data (workflow payloads and search attributes are stored unencrypted).
The workflow reads only these; the activities build them from the route aggregate.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Any, Literal
from uuid import UUID

from aggregates.commands import PERSON_COMMANDS, Command
from aggregates.errors import (
    ERRORS,
    DomainError,
    ErrorKind,
    InvalidCommandError,
    invalid_content,
)
from aggregates.values import Acting, Actor, Role
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SerializeAsAny,
    SerializerFunctionWrapHandler,
    ValidationError,
    model_serializer,
    model_validator,
)
from temporalio.common import RawValue, SearchAttributeKey
from temporalio.converter import PayloadConverter

ROUTE_WORKFLOW = "RouteWorkflow"
DEFAULT_TASK_QUEUE = "iom-routes"

LOAD_ROUTE = "load_route"
EXECUTE_COMMAND = "execute_command"
OPERATE = "operate"
FIRE_TIMER = "fire_timer"
DELIVER_NOTICE = "deliver_notice"
"""The route workflow's activities, by the names `activities.routes` registers them under."""
REJECTED = "Rejected"
"""The failure type of a command the workflow's validator refused: nothing ran, so Temporal
keeps no record of it and the caller records it (`runtime.gateway`)."""

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
    """A person's command, sent as the update named after it (`agree_route`, …): the wire form
    clients send (and recorded histories hold); the workflow decodes it once into a
    `CommandInput`."""

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


class Refusal(Contract):
    """A refused command as data, the way it crosses from an activity to the workflow and from
    the workflow to the update's caller: which error (`kind`), the rule, the field at fault and
    the Russian message."""

    kind: ErrorKind = "refused"  # a refusal from a worker older than the kind: the general one
    rule: str
    field: str | None = None
    message: str

    @classmethod
    def of(cls, error: DomainError) -> Refusal:
        """The refusal an error says."""
        return cls(kind=error.kind, rule=error.rule, field=error.field, message=error.message)

    def error(self) -> DomainError:
        """The error again, of its own class."""
        return ERRORS[self.kind](self.rule, self.message, self.field)


class CommandInput(Contract):
    """A person's command on a route, decoded from its update (`decode`): the command typed by
    its name (one of `PERSON_COMMANDS`), who sends it, under which id, for which head."""

    name: str
    actor: Actor
    command_id: str = Field(min_length=1, max_length=ID_LENGTH)
    command: SerializeAsAny[Command]
    acting_for: Acting | None = None

    @model_validator(mode="before")
    @classmethod
    def _command_of_its_name(cls, data: Any) -> Any:
        """The command's model is the one its name is registered under (the discriminator)."""
        if isinstance(data, dict) and isinstance(data.get("command"), dict):
            command = PERSON_COMMANDS.get(str(data.get("name")))
            if command is not None:
                data = data | {"command": command.model_validate(data["command"])}
        return data

    @classmethod
    def decode(cls, name: str, request: CommandRequest) -> CommandInput:
        """The request sent as the update `name`, typed; a refusal (`InvalidCommandError`)
        naming the field at fault: the command's name, the actor, a field of the command."""
        command = PERSON_COMMANDS.get(name)
        if command is None:
            names = ", ".join(sorted(PERSON_COMMANDS))
            raise InvalidCommandError("command", f"нет команды «{name}»; есть: {names}", "name")
        actor = signed_actor(request.actor_id, request.role)
        try:
            typed = command.model_validate(request.payload)
        except ValidationError as error:
            raise invalid_content(error) from None
        acting = None
        if request.acting_for is not None:
            try:
                acting = Acting.model_validate(request.acting_for)
            except ValidationError as error:
                raise invalid_content(error, "acting_for") from None
        return cls(
            name=name,
            actor=actor,
            command_id=request.command_id,
            command=typed,
            acting_for=acting,
        )

    @classmethod
    def decoded(cls, name: str, request: CommandRequest) -> CommandInput | Refusal:
        """`decode`, its refusal as data (the workflow's validator answers with it)."""
        try:
            return cls.decode(name, request)
        except DomainError as error:
            return Refusal.of(error)

    @classmethod
    def of_update(
        cls, name: str, args: Sequence[RawValue], converter: PayloadConverter
    ) -> CommandInput | Refusal:
        """The argument of the update `name` as the command it sends, or the refusal naming
        the field (`converter`: the workflow's)."""
        if len(args) != 1:
            message = "ожидается один аргумент: запрос команды"
            return Refusal(kind="invalid", rule="content", field="request", message=message)
        try:
            sent = converter.from_payload(args[0].payload, CommandRequest)
        except Exception as error:
            message = f"запрос команды не разобран: {error}"
            return Refusal(kind="invalid", rule="content", field="request", message=message)
        return cls.decoded(name, sent)


def signed_actor(actor_id: str, role: str, field: str = "actor_id") -> Actor:
    """The actor a request names, or a refusal naming the field at fault: the role or the id
    (`field`)."""
    try:
        known = Role(role)
    except ValueError:
        roles = ", ".join(r.value for r in Role if r is not Role.SYSTEM)
        raise InvalidCommandError(
            "content", f"неизвестная роль «{role}»; роли: {roles}", "role"
        ) from None
    if not actor_id:
        raise InvalidCommandError("content", f"поле «{field}»: обязательное поле", field)
    try:
        return Actor(id=actor_id, role=known)
    except ValidationError:
        raise InvalidCommandError(
            "content",
            f"поле «{field}»: идентификатор «{actor_id}» недопустим (латиница, цифры и . _ : -,"
            " до 128 знаков, начинается с буквы или цифры)",
            field,
        ) from None


class Execution(Contract):
    """The activity input of one command on a route; `at`: the moment to decide it at, the
    workflow task's time (a local activity's own scheduled time is the worker's clock; None:
    the activity task's scheduled time, the cluster's clock)."""

    route_id: UUID
    request: CommandInput
    causation_id: str
    at: datetime | None = None

    @model_validator(mode="before")
    @classmethod
    def _typed_request(cls, data: Any) -> Any:
        """An activity task scheduled by an older run carries the request as it was sent (its
        name beside it): decoded here as the workflow now decodes it."""
        if isinstance(data, dict) and "name" in data:
            data = dict(data)
            name = data.pop("name")
            sent = CommandRequest.model_validate(data["request"])
            data["request"] = CommandInput.decode(name, sent)
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


ANNOUNCEMENT_WORKFLOW = "CampaignAnnouncementWorkflow"


class AnnouncementInput(Contract):
    """A diagnostic campaign's announcement to notify its participants of: the campaign, the
    version its `ParticipantsAnnounced` event made, and the first participant of this run (a
    long list goes on in runs of its own, `continue_as_new`)."""

    campaign_id: UUID
    version: int = Field(ge=1)
    offset: int = Field(default=0, ge=0)


class AnnouncementNotices(Contract):
    """One run's notices of an announcement (one per participant), the channels they go out
    on, and where the next run starts (None: this is the last)."""

    notices: list[Notice]
    channels: list[str]
    next_offset: int | None


def announcement_workflow_id(campaign_id: UUID, version: int) -> str:
    """The id of an announcement's notices workflow: one per announcement, so a retried request
    starts none twice."""
    return f"campaign-{campaign_id}-announced-{version}"


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
