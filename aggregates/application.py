"""`Routes`: the eventsourcing application that opens, commands, saves and reads routes."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any, ClassVar, cast
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError, Application
from eventsourcing.persistence import IntegrityError
from eventsourcing.utils import get_topic

from aggregates.chain import GENESIS, link
from aggregates.commands import Change, Command, Context, OpenRoute
from aggregates.errors import (
    CommandReuseError,
    ConflictError,
    InvalidCommandError,
    RouteExistsError,
    RouteNotFoundError,
)
from aggregates.events import RouteEvent, RouteOpened
from aggregates.persistence import OrjsonTranscoder, PydanticMapper, RouteSnapshot
from aggregates.profiles import ProfileCatalogue, UnknownProfileError
from aggregates.programmes.store import Catalogues
from aggregates.route import Route
from aggregates.timeline import Dated, route_on
from aggregates.values import Acting, Actor

ROUTE_NAMESPACE = UUID("6f1d3c8e-5a1b-4c1e-9d7a-1c0e5b2a9f40")


def route_id_for(region: str, route_key: str) -> UUID:
    """The route id that follows from the region and the portal's own key: a retried open
    finds the route, and each region has its own keys (another region's same key is another
    route). A region is a `Code` and a key an `Ident`, neither holding `/`, so the name
    `region/key` is never a key of its own: no region's id is a legacy id
    (`legacy_route_id_for`) of some key."""
    return uuid.uuid5(ROUTE_NAMESPACE, f"{region}/{route_key}")


def legacy_route_id_for(route_key: str) -> UUID:
    """The id a route opened before route keys were regional has: from its key alone. Such a
    route keeps its id (its events are not rewritten) and is found by its own region's key
    only (`Routes.keyed_route`)."""
    return uuid.uuid5(ROUTE_NAMESPACE, route_key)


def utc_now() -> datetime:
    """The current moment, aware, in UTC."""
    return datetime.now(UTC)


def project_route(route: Route | None, events: Iterable[Any]) -> Route | None:
    """The route after `events` (and snapshots), from `route` or from nothing."""
    for event in events:
        route = event.mutate(route)
    return route


@dataclass(frozen=True)
class Receipt:
    """What a command left: the route's id and version, the events it appended (none when a
    command id already applied is replayed), and the route after it (the one it was decided
    on: a caller's view of it needs no second load)."""

    route_id: UUID
    version: int
    events: list[str] = field(default_factory=list)
    replayed: bool = False
    route: Route = field(kw_only=True, compare=False, repr=False)


@dataclass(frozen=True)
class Decision:
    """A command decided on a route, not yet saved: the route after it, the events to save
    (none when its command id was applied already) and the receipt they make."""

    route: Route
    events: list[RouteEvent]
    receipt: Receipt
    fingerprint: str


@dataclass(frozen=True)
class Issue:
    """Who issued a command, when, under which id and causation, and its fingerprint."""

    context: Context
    command_id: str
    causation_id: str | None
    fingerprint: str


class Routes(Application[UUID]):
    """Teachers' routes, each an event-sourced aggregate under its region's regulation."""

    env: ClassVar[dict[str, str]] = {
        "TRANSCODER_TOPIC": get_topic(OrjsonTranscoder),
        "MAPPER_TOPIC": get_topic(PydanticMapper),
        "AGGREGATE_CACHE_MAXSIZE": "1000",
    }
    is_snapshotting_enabled = True
    snapshot_class = RouteSnapshot

    def __init__(
        self,
        env: dict[str, str] | None = None,
        *,
        profiles: ProfileCatalogue,
        clock: Callable[[], datetime] = utc_now,
        snapshot_interval: int = 50,
    ) -> None:
        super().__init__(env)
        self.profiles = profiles
        self.clock = clock
        self.snapshot_interval = snapshot_interval
        self.catalogues = Catalogues(self, lambda: self.clock())  # noqa: PLW0108 - a clock set later
        """The regions' ДПП catalogues, in the same store (a plan's activity may name a ДПП)."""

    def open(
        self, command: OpenRoute, actor: Actor, command_id: str, causation_id: str | None = None
    ) -> Receipt:
        """Open a route under the newest edition of its region's profile. Opening again with the
        same command id answers with the route; another command for the same key is refused."""
        decision = self.decide_open(command, actor, command_id, causation_id)
        try:
            self.save_decisions([decision])
        except ConflictError:
            route = self._load(decision.receipt.route_id)
            return self._replay(route, command_id, decision.fingerprint) or self._exists(command)
        return decision.receipt

    def execute(
        self,
        route_id: UUID,
        command: Command,
        actor: Actor,
        command_id: str,
        causation_id: str | None = None,
        *,
        now: datetime | None = None,
        acting: Acting | None = None,
    ) -> Receipt:
        """Decide `command` on the route and save what it appends, all or nothing. A command id
        already applied answers with its earlier receipt and appends nothing. `now` is the
        moment the command is decided at when the caller's clock rules (a workflow's timer);
        by default the application's clock. `acting`: the actor acts за руководителя."""
        decision = self.decide(
            route_id, command, actor, command_id, causation_id, now=now, acting=acting
        )
        try:
            self.save_decisions([decision])
        except ConflictError:
            replayed = self._replay(self._load(route_id), command_id, decision.fingerprint)
            if replayed is None:
                raise
            return replayed
        return decision.receipt

    def decide_open(
        self, command: OpenRoute, actor: Actor, command_id: str, causation_id: str | None = None
    ) -> Decision:
        """`open` decided, not saved (`save_decisions` saves it): a route already opened by
        this command id is a decision with nothing to save."""
        fingerprint = command.fingerprint(actor)
        existing = self.keyed_route(command.region, command.route_key)
        if existing is not None:
            receipt = self._replay(existing, command_id, fingerprint) or self._exists(command)
            return Decision(existing, [], receipt, fingerprint)
        route_id = route_id_for(command.region, command.route_key)
        context = Context(actor, self.clock())
        try:
            profile = self.profiles.latest(command.region)
        except UnknownProfileError as error:
            raise InvalidCommandError("content", str(error), "region") from None
        changes = command.decide_open(profile, context)
        issue = Issue(context, command_id, causation_id, fingerprint)
        return self._draft(None, route_id, changes, issue)

    def decide(
        self,
        route_id: UUID,
        command: Command,
        actor: Actor,
        command_id: str,
        causation_id: str | None = None,
        *,
        now: datetime | None = None,
        acting: Acting | None = None,
        loaded: Route | None = None,
    ) -> Decision:
        """`execute` decided, not saved (`save_decisions` saves it). `loaded`: the route as the
        caller loaded it to check its reach, decided on as it is (one load per command); it
        becomes the route after the command."""
        fingerprint = command.fingerprint(actor, acting)
        route = loaded if loaded is not None else self._load(route_id)
        earlier = self._replay(route, command_id, fingerprint)
        if earlier is not None:
            return Decision(route, [], earlier, fingerprint)
        command.require_running(route)
        context = Context(
            actor, now or self.clock(), acting, self.profiles, self.catalogues.programme
        )
        command.require_acting(route, context)
        changes = command.decide(route, context)
        issue = Issue(context, command_id, causation_id, fingerprint)
        return self._draft(route, route_id, changes, issue)

    def save_decisions(self, decisions: Sequence[Decision]) -> None:
        """Save the events of several routes' decisions in one transaction, all or none: a
        route written meanwhile by another writer fails the lot with `ConflictError`."""
        events = [event for decision in decisions for event in decision.events]
        if not events:
            return
        try:
            self.save(*events)
        except IntegrityError:
            raise ConflictError(
                "conflict", "ИОМ изменён параллельно другой командой; повторите"
            ) from None
        interval = self.snapshot_interval
        for decision in decisions:
            if not decision.events:
                continue
            start = decision.events[0].originator_version - 1
            if start // interval < decision.route.version // interval:
                assert self.snapshots is not None
                self.snapshots.put([RouteSnapshot.take(decision.route)])

    def route(self, route_id: UUID, *, version: int | None = None) -> Route:
        """The route now, or as it was at `version`."""
        return self._load(route_id, version)

    def keyed_route(self, region: str, route_key: str) -> Route | None:
        """The region's route opened under `route_key`, if any: under its regional id, or under
        its legacy id (`legacy_route_id_for`) when that route is the region's. Another
        region's route under the legacy id is not this region's: the key is free here, and
        the other route stays unseen."""
        for route_id in (route_id_for(region, route_key), legacy_route_id_for(route_key)):
            try:
                route = self._load(route_id)
            except RouteNotFoundError:
                continue
            if route.profile.id == region and route.route_key == route_key:
                return route
        return None

    def route_as_of(self, route_id: UUID, moment: datetime) -> Route:
        """The route as it was at `moment` (an aware datetime)."""
        events = [event for event in self.history(route_id) if event.timestamp <= moment]
        route = project_route(None, events)
        if route is None:
            raise RouteNotFoundError(
                "not_found", f"ИОМ {route_id} на {moment.isoformat()} ещё не был открыт"
            )
        return route

    def route_on(self, route_id: UUID, day: date, known_at: datetime | None = None) -> Dated:
        """The route as it was on `day` (a business date: facts of that day recorded later
        count), as known at `known_at` (see `aggregates.timeline`)."""
        dated = route_on(self.history(route_id), day, known_at)
        if dated is None:
            raise RouteNotFoundError(
                "not_found", f"ИОМ {route_id} на {day.isoformat()} ещё не был открыт"
            )
        return dated

    def history(self, route_id: UUID, *, version: int | None = None) -> list[RouteEvent]:
        """Every event of the route, oldest first (up to `version`)."""
        events = cast(list[RouteEvent], list(self.events.get(route_id, lte=version)))
        if not events:
            raise RouteNotFoundError("not_found", f"ИОМ {route_id} не найден")
        return events

    def route_ids(self, batch: int = 1000, until: int | None = None) -> Iterator[UUID]:
        """Every route's id, in the order the routes were opened (those opened by notification
        `until`)."""
        topic = get_topic(RouteOpened)
        start = 1
        while True:
            page = self.recorder.select_notifications(start, batch, stop=until, topics=[topic])
            yield from (cast(UUID, n.originator_id) for n in page)
            if len(page) < batch:
                return
            start = page[-1].id + 1

    # Internals.

    def _load(self, route_id: UUID, version: int | None = None) -> Route:
        try:
            return self.repository.get(route_id, version=version, projector_func=project_route)
        except AggregateNotFoundError:
            at = f" (версия {version})" if version is not None else ""
            raise RouteNotFoundError("not_found", f"ИОМ {route_id}{at} не найден") from None

    @staticmethod
    def _replay(route: Route, command_id: str, fingerprint: str) -> Receipt | None:
        earlier = route.commands.get(command_id)
        if earlier is None:
            return None
        if earlier.fingerprint != fingerprint:
            raise CommandReuseError(
                "command_id",
                "этот идентификатор команды уже использован для другой команды",
                "command_id",
            )
        return Receipt(route.id, earlier.version, replayed=True, route=route)

    @staticmethod
    def _exists(command: OpenRoute) -> Receipt:
        raise RouteExistsError(
            "route_key",
            f"ИОМ с ключом «{command.route_key}» уже открыт другой командой",
            "route_key",
        )

    def _draft(
        self,
        route: Route | None,
        route_id: UUID,
        changes: list[Change],
        issue: Issue,
    ) -> Decision:
        """Build the events (metadata, chain) and apply them to the route: not saved yet."""
        start = route.version if route else 0
        head = route.chain_head if route else GENESIS
        events: list[RouteEvent] = []
        for offset, change in enumerate(changes, start=1):
            draft = change(
                originator_id=route_id,
                originator_version=start + offset,
                timestamp=issue.context.now,
                actor=issue.context.actor,
                command_id=issue.command_id,
                causation_id=issue.causation_id,
                command_hash=issue.fingerprint,
                acting_for=issue.context.acting,
            )
            head = link(head, draft.content())
            event = draft.model_copy(update={"chain_hash": head})
            route = event.mutate(route)
            events.append(event)
        assert route is not None
        receipt = Receipt(route_id, route.version, [type(e).__name__ for e in events], route=route)
        return Decision(route, events, receipt, issue.fingerprint)
