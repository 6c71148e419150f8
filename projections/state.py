"""What the monitoring projection remembers of one route: the route's own state, rebuilt by the
aggregate's own event handlers, and the few facts the monitoring shows that the route's state
does not keep (when it was approved, since when each party holds it, the last final diagnostic
and its levels, kept after a prolongation clears the route's own, and the route's past: each
stage it passed through and each party's answer in agreement, with their moments, for the
centre head's charts).

Keeping the route's state (instead of re-implementing its stage rules) means the monitoring
cannot drift from the aggregate: each event's own `apply` is exactly what the repository runs.
Of `record` (which `mutate` runs after it) the projection keeps the version, time and chain
head, and leaves out the command's idempotency record, the write side's business.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from functools import cache
from operator import is_
from typing import Generic, TypeVar
from zoneinfo import ZoneInfo

from aggregates import events as ev
from aggregates.profiles import Profile, Stage
from aggregates.route import Route
from aggregates.values import Diagnostic, Role
from projections.tables import Key, Row, Table


@dataclass(frozen=True, slots=True)
class StagePeriod:
    """A stage the route was in: from when, and until when (None: it is still there)."""

    stage: Stage
    entered_at: datetime
    left_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class Answer:
    """A party's answer in agreement: the round, what it did, since when it held the route."""

    round: int
    role: Role
    action: str  # the agreement action given, or "returned" (на доработку)
    since: datetime
    at: datetime


class RouteState:
    """One route as the monitoring projection knows it."""

    __slots__ = (
        "answers",
        "approved_at",
        "final_diagnostic",
        "final_levels",
        "pending_since",
        "periods",
        "route",
    )

    def __init__(
        self,
        route: Route,
        approved_at: datetime | None = None,
        pending_since: dict[Role, datetime] | None = None,
        final_levels: dict[str, int] | None = None,
        final_diagnostic: Diagnostic | None = None,
    ) -> None:
        self.route = route
        self.approved_at = approved_at
        self.pending_since = pending_since or {}
        self.final_levels = final_levels or {}
        self.final_diagnostic = final_diagnostic
        # replaced, never edited, when they change (see `Family.depends`)
        self.periods: tuple[StagePeriod, ...] = ()
        self.answers: tuple[Answer, ...] = ()

    @classmethod
    def opened(cls, event: ev.RouteOpened, profile: Profile) -> RouteState:
        """The state a route starts with; `profile` is the shared instance of its edition."""
        state = cls(event.mutate(None))
        state.route.profile = profile
        state.route.commands.clear()
        state.periods = (StagePeriod(state.route.stage, event.timestamp),)
        return state

    def advance(self, event: ev.RouteEvent) -> Route:
        """The route after `event`, without the monitoring's own facts (what the tasks
        projection follows: only the route)."""
        route = self.route
        if _plain(type(event)):
            # `event.mutate(route)` is `apply` then `record`; of `record`, only the command's
            # idempotency record is left out (the write side's business, dropped here anyway),
            # and the three fields it sets are set without pydantic's `__setattr__`.
            event.apply(route)
            fields = route.__dict__
            fields["version"] = event.originator_version
            fields["modified_on"] = event.timestamp
            fields["chain_head"] = event.chain_hash
        else:
            route = self.route = event.mutate(route)
            route.commands.clear()  # the idempotency records are the write side's business
        return route

    def apply(self, event: ev.RouteEvent) -> None:
        """The route after `event`, and the monitoring's own facts about it."""
        route = self.advance(event)
        if isinstance(event, ev.RouteApproved):
            self.approved_at = event.timestamp
        elif isinstance(event, ev.FinalDiagnosticRecorded):
            self.final_levels = dict(event.levels)
            self.final_diagnostic = event.diagnostic
        since = self.pending_since
        if since or route.stage is Stage.AGREEMENT:
            pending = route.pending_parties()
            if pending != list(since):  # otherwise nothing changed: keep the dict
                if isinstance(event, ev.AgreementGiven | ev.RouteReturned) and event.role in since:
                    self.answered(event, since[event.role])
                self.pending_since = {role: since.get(role, event.timestamp) for role in pending}
        last = self.periods[-1] if self.periods else None
        if last is not None and last.stage is not route.stage:
            left = StagePeriod(last.stage, last.entered_at, event.timestamp)
            self.periods = (*self.periods[:-1], left, StagePeriod(route.stage, event.timestamp))

    def answered(self, event: ev.AgreementGiven | ev.RouteReturned, since: datetime) -> None:
        """Note a party's answer: the action it gave, or its return of the route."""
        action = event.action if isinstance(event, ev.AgreementGiven) else "returned"
        round_ = self.route.submissions
        answer = Answer(round_, event.role, action, since, event.timestamp)
        self.answers = (*self.answers, answer)

    @property
    def profile(self) -> Profile:
        """The regulation the route is pinned to."""
        return self.route.profile

    def local_date(self, moment: datetime | None) -> date | None:
        """A moment as a date in the region's own time zone."""
        if moment is None:
            return None
        return moment.astimezone(_zone(self.profile.time_zone)).date()


@cache
def _zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


@cache
def _plain(kind: type[ev.RouteEvent]) -> bool:
    """The event type mutates a route as `RouteEvent` does: its own `apply`, then `record`."""
    return kind.mutate is ev.RouteEvent.mutate and kind.record is ev.RouteEvent.record


K = TypeVar("K")
V = TypeVar("V")


class LruCache(Generic[K, V]):
    """A bounded mapping that forgets the least recently used entries."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._items: OrderedDict[K, V] = OrderedDict()

    def get(self, key: K) -> V | None:
        """The entry, marked as recently used; None if absent."""
        value = self._items.get(key)
        if value is not None:
            self._items.move_to_end(key)
        return value

    def put(self, key: K, value: V) -> None:
        """Remember an entry, forgetting the oldest beyond the size."""
        self._items[key] = value
        self._items.move_to_end(key)
        while len(self._items) > self.size:
            self._items.popitem(last=False)

    def clear(self) -> None:
        """Forget everything."""
        self._items.clear()

    def __len__(self) -> int:
        return len(self._items)


@dataclass(frozen=True)
class Family:
    """A monitoring table and how one route's rows in it follow from the route's state. For a
    counters table, each row's values are what the route adds to the sums under that key."""

    table: Table
    rows: Callable[[RouteState], dict[Key, Row]]
    depends: Callable[[RouteState], tuple[object, ...]] | None = None
    """What the rows follow from, as objects the route replaces (never edits) when they change:
    while each is the same object, the rows are the same and need not be derived again."""


def same(before: tuple[object, ...] | None, after: tuple[object, ...]) -> bool:
    """The dependencies are the very same objects."""
    return before is not None and len(before) == len(after) and all(map(is_, before, after))


def filters(state: RouteState) -> tuple[str, str, str, str, str | None, str]:
    """The filter columns' values (see `projections.tables.FILTERS`) of a route."""
    route = state.route
    return (
        route.profile.id,
        route.municipality_id,
        route.school_id,
        route.subject,
        route.methodist_id,
        route.teacher_id,
    )
