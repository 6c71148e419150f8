"""The state of one route (ИОМ), rebuilt from its events; the decisions live in `commands/`."""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING, Any, Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

from aggregates.profiles import Profile, Stage
from aggregates.profiles.duties import PARTY_PLACES, CorrectionPart, Place
from aggregates.values import Activity, Actor, Diagnostic, Outcome, Plan, Role, Value

if TYPE_CHECKING:
    from aggregates.events import (
        AgreementGiven,
        ConclusionsRecorded,
        RouteCorrected,
        RouteOpened,
        RouteReturned,
    )


class Record(Value):
    """A part of the state, never stored apart from its route; replaced, never changed."""


class ActivityRecord(Record):
    """Мониторинг: an activity's mark, result and assessments."""

    status: Literal["planned", "done", "not_done"] = "planned"
    overdue: bool = False
    on: date | None = None
    result: str = ""
    product: str = ""
    self_assessment: str = ""
    employer_assessment: str = ""
    reason: str = ""


PLANNED = ActivityRecord()
"""An activity planned and not marked yet: one instance for all (a record is immutable, and
building one per activity of every plan applied was a fifth of the monitoring's work)."""


class Agreement(Record):
    """One party's answer in the current agreement round."""

    role: Role
    action: str
    actor_id: str
    at: datetime
    comment: str

    @classmethod
    def of(cls, event: AgreementGiven) -> Agreement:
        return cls(
            role=event.role,
            action=event.action,
            actor_id=event.actor.id,
            at=event.timestamp,
            comment=event.comment,
        )


class Return(Record):
    """A return to design with the party's comments."""

    role: Role
    revision: int
    comments: str
    at: datetime

    @classmethod
    def of(cls, event: RouteReturned) -> Return:
        return cls(
            role=event.role, revision=event.revision, comments=event.comments, at=event.timestamp
        )


class InterimResult(Record):
    """Промежуточный результат."""

    on: date
    text: str


class Correction(Record):
    """Сведения о корректировке ИОМ."""

    number: int
    on: date
    reason: str
    added: list[str]
    removed: list[str]
    changed: list[str]
    parts: list[CorrectionPart] = Field(default_factory=list)  # what it changed (older: unknown)
    plan_hash: str = ""  # the plan as corrected: each agreement names it
    by: Actor
    awaiting: list[Role]  # who must agree it still: the deadlines and notices read this
    acknowledged: bool = False
    at: datetime | None = None  # when it was recorded (routes of older code: unknown)

    @classmethod
    def of(cls, event: RouteCorrected) -> Correction:
        return cls(
            number=event.number,
            on=event.corrected_on,
            reason=event.reason,
            added=list(event.added),
            removed=list(event.removed),
            changed=list(event.changed),
            parts=list(event.parts),
            plan_hash=event.plan_hash,
            by=event.actor,
            awaiting=list(event.awaiting),
            at=event.timestamp,
        )


class IntermediateRecord(Record):
    """Промежуточная диагностика: one of the diagnostics between the input and the final one
    (Sakha диагностика 5.1: at least twice a year), with its competence levels."""

    diagnostic: Diagnostic
    levels: dict[str, int]


class FinalEventRecord(Record):
    """Отметка о проведении заключительного публичного мероприятия."""

    on: date
    result: str


class Conclusions(Record):
    """Выводы and who has still to sign or acknowledge them."""

    outcome: Outcome
    text: str
    recommendations: str
    prolonged_until: date | None
    author: Actor
    awaiting: list[Role]
    acknowledged: bool = False
    at: datetime | None = None  # when they were recorded

    @classmethod
    def of(cls, event: ConclusionsRecorded) -> Conclusions:
        return cls(
            outcome=event.outcome,
            text=event.text,
            recommendations=event.recommendations,
            prolonged_until=event.prolonged_until,
            author=event.actor,
            awaiting=list(event.awaiting),
            at=event.timestamp,
        )

    @property
    def settled(self) -> bool:
        """Signed by everyone the regulation names and acknowledged by the teacher."""
        return not self.awaiting and self.acknowledged


class CertificateRecord(Record):
    """Сертификат о прохождении ИОМ."""

    number: str
    issued_on: date


class SentNotice(Record):
    """A notice the route sent: what kind, to whom, for which due date, when."""

    kind: str
    recipients: list[Role]
    due_on: date | None
    at: datetime


class CommandRecord(Record):
    """A command already applied: the version it left and a fingerprint of its content."""

    version: int
    fingerprint: str


class Route(BaseModel):
    """One teacher's route: everything its events established, nothing else.

    Its lists and dicts default to fresh empty ones by factory rather than by an `= []` default,
    which pydantic would deep-copy for every route opened: several times slower, and routes are
    opened for every command's replay and every projected route."""

    model_config = ConfigDict(extra="forbid")

    id: UUID
    version: int
    created_on: datetime
    modified_on: datetime
    chain_head: str
    route_key: str
    profile: Profile
    teacher_id: str
    school_id: str
    municipality_id: str
    subject: str
    stage: Stage = Stage.OPENED
    term: int = 1
    methodist_id: str | None = None
    input_diagnostic: Diagnostic | None = None
    input_levels: dict[str, int] = Field(default_factory=dict)
    plan: Plan | None = None
    revision: int = 0
    plan_hash: str | None = None
    submissions: int = 0  # agreement rounds started so far (each submission starts one)
    round_started: datetime | None = None  # when the current agreement round began
    approved_at: datetime | None = None
    agreements: list[Agreement] = Field(default_factory=list)
    returns: list[Return] = Field(default_factory=list)
    approved_revision: int | None = None
    activities: dict[str, ActivityRecord] = Field(default_factory=dict)
    interim_results: list[InterimResult] = Field(default_factory=list)
    corrections: list[Correction] = Field(default_factory=list)
    self_reflection: str | None = None
    # промежуточные диагностики, oldest first (kept across a prolongation: they are the dynamics)
    intermediate_diagnostics: list[IntermediateRecord] = Field(default_factory=list)
    final_event: FinalEventRecord | None = None
    final_diagnostic: Diagnostic | None = None
    final_levels: dict[str, int] = Field(default_factory=dict)
    conclusions: Conclusions | None = None
    past_conclusions: list[Conclusions] = Field(default_factory=list)
    certificate: CertificateRecord | None = None
    cancel_reason: str | None = None
    paused: bool = False  # an operator paused the route: no timers, no commands but operators'
    # deadline key → the date an operator extended it to
    extensions: dict[str, date] = Field(default_factory=dict)
    # notice key → the notice first sent under it
    notices: dict[str, SentNotice] = Field(default_factory=dict)
    commands: dict[str, CommandRecord] = Field(default_factory=dict)
    # place → the people who held it on this route (separation of duties); a route snapshotted
    # by code older than the field was opened under a profile without such rules
    holders: dict[Place, tuple[str, ...]] = Field(default_factory=dict)

    def __setattr__(self, name: str, value: Any) -> None:
        # Assignment is not validated (pydantic's default): a field goes straight into the
        # instance's dict, several times cheaper than pydantic's path, and every event applied
        # sets a few (the write side's replays and the monitoring projection apply them all).
        if name in _FIELDS:
            self.__dict__[name] = value
        else:
            super().__setattr__(name, value)

    @classmethod
    def open(cls, event: RouteOpened) -> Route:
        """The route as its opening event leaves it."""
        return cls(
            id=event.originator_id,
            version=event.originator_version,
            created_on=event.timestamp,
            modified_on=event.timestamp,
            chain_head=event.chain_hash,
            route_key=event.route_key,
            profile=event.profile,
            teacher_id=event.teacher_id,
            school_id=event.school_id,
            municipality_id=event.municipality_id,
            subject=event.subject,
            holders={Place.TEACHER: (event.teacher_id,)},
        )

    def __deepcopy__(self, memo: dict[int, Any] | None = None) -> Route:
        # Everything inside a route is an immutable value; only the route's own lists and
        # dicts change. Copying just those keeps a command on a long route cheap (the
        # repository copies the cached route for every command).
        containers = {
            name: type(value)(value)
            for name, value in self.__dict__.items()
            if isinstance(value, list | dict)
        }
        return self.model_copy(update=containers)

    def hold(self, place: Place, person: str) -> None:
        """Note that `person` holds `place` on the route."""
        held = self.holders.get(place, ())
        if person not in held:
            self.holders[place] = (*held, person)  # a new tuple: copies of the route share the old

    def acted(self, actor: Actor) -> None:
        """Note that `actor` acted on the route: in a party's role, they hold its place."""
        if actor.role in PARTY_PLACES:
            self.hold(Place(actor.role), actor.id)

    def places_of(self, person: str) -> set[Place]:
        """The places `person` has held on the route."""
        return {place for place, people in self.holders.items() if person in people}

    def activity(self, activity_id: str) -> Activity | None:
        """The planned activity with that id, if the current plan has it."""
        if self.plan is None:
            return None
        return next((a for a in self.plan.activities if a.id == activity_id), None)

    def due_on(self, activity: Activity) -> date:
        """An activity's deadline: its end date, or the date an operator extended it to."""
        return self.extensions.get(f"activity:{activity.id}", activity.ends_on)

    @property
    def closed(self) -> bool:
        """Completed or cancelled: nothing more happens to the route."""
        return self.stage in (Stage.COMPLETED, Stage.CANCELLED)

    def pending_parties(self) -> list[Role]:
        """The parties of the current agreement round that have not answered yet."""
        if self.stage is not Stage.AGREEMENT:
            return []
        answered = {agreement.role for agreement in self.agreements}
        for number in sorted({step.round for step in self.profile.agreement}):
            waiting = [
                step.role
                for step in self.profile.agreement
                if step.round == number and step.role not in answered
            ]
            if waiting:
                return waiting
        return []

    def settle(self) -> None:
        """Move on once the conclusions are signed and acknowledged (and certified, if due)."""
        conclusions = self.conclusions
        if conclusions is None or not conclusions.settled:
            return
        if conclusions.outcome == "prolonged" and conclusions.prolonged_until is not None:
            assert self.plan is not None
            self.plan = self.plan.model_copy(update={"ends_on": conclusions.prolonged_until})
            self.plan_hash = self.plan.content_hash()
            self.past_conclusions.append(conclusions)
            self.conclusions = None
            self.final_event = None
            self.final_diagnostic = None
            self.final_levels = {}
            self.self_reflection = None
            self.term += 1
            self.stage = Stage.IMPLEMENTATION
        elif not self.profile.requires_certificate or self.certificate is not None:
            self.stage = Stage.COMPLETED

    def summary(self) -> dict[str, Any]:
        """The state as plain JSON-ready data (what `iom audit show --json` prints)."""
        return self.model_dump(mode="json", exclude={"commands", "profile"}) | {
            "profile": self.profile.key,
            "stage_name": self.profile.stage_names[self.stage],
        }


_FIELDS = frozenset(Route.model_fields)
"""The route's field names (see `Route.__setattr__`)."""
