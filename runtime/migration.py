"""Moving one route to a new edition of its regulation, for the API and the command line (and,
later, a bulk operation's per-route action): a preview that checks the mapping against the
route and writes nothing, and the move itself, an operator's `migrate` signal to the route's
workflow, waited on until applied or refused.

The move goes through the workflow, the route's one writer: its `operate` activity decides
`MigrateRoute` on the aggregate (the same checks as the preview, and a refusal recorded), and
the view it returns is computed under the new edition, so the workflow's timers (agreement
days, reminders, the term) follow the new rules from that moment without any change to the
workflow's code: recorded histories replay as they did.
"""

from __future__ import annotations

import asyncio
import copy
import uuid
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

from pydantic import ValidationError

from aggregates.application import Routes
from aggregates.commands.migration import MigrateRoute, edition_of
from aggregates.deadlines import Deadline, deadlines
from aggregates.errors import DomainError, invalid_content
from aggregates.migration import EditionMapping, Obstacle, carried, problems
from aggregates.values import Actor
from projections.refusals import create_table
from runtime.gateway import RouteGateway
from runtime.signals import Answer, outcome, refusal_of

SIGNAL = "migrate"
"""The operator's signal that moves a route (`aggregates.commands.OPERATIONS`)."""


@dataclass(frozen=True)
class MigrationPreview:
    """What a move would do to one route: why it cannot move, or the route under the new
    edition (its stage in that edition's words, its open deadlines by its rules)."""

    route_id: UUID
    edition_before: str
    edition_after: str
    problems: list[Obstacle]
    stage_name: str = ""
    deadlines: list[Deadline] = field(default_factory=list)

    @property
    def movable(self) -> bool:
        """Whether the route can move as asked."""
        return not self.problems

    def as_json(self) -> dict[str, Any]:
        """The preview as JSON (the API's answer and `iom ops migrate --dry-run --json`)."""
        return {
            "route_id": str(self.route_id),
            "edition_before": self.edition_before,
            "edition_after": self.edition_after,
            "movable": self.movable,
            "stage_name": self.stage_name,
            "deadlines": [{"key": d.key, "due_on": d.due_on.isoformat()} for d in self.deadlines],
            "problems": [
                {"rule": p.rule, "field": p.field, "message": p.message} for p in self.problems
            ],
        }


@dataclass(frozen=True)
class MigrationResult:
    """The move's outcome on one route: applied (its version), refused (the rule and the
    reason), or pending (no outcome in time: retry with the same command id)."""

    route_id: UUID
    command_id: str
    answer: Answer


class Migrations:
    """Previews moves on the event store (`routes`) and moves routes through their workflows
    (`gateway`: a preview needs none)."""

    def __init__(self, routes: Routes, gateway: RouteGateway | None = None) -> None:
        self.routes = routes
        self.gateway = gateway

    def preview_migration(
        self, route_id: UUID, target_edition: str, mapping: EditionMapping
    ) -> MigrationPreview:
        """Check `mapping` against the route for `target_edition`; nothing is written."""
        route = self.routes.route(route_id)
        try:
            target = edition_of(self.routes.profiles, target_edition)
        except DomainError as error:
            found = [Obstacle(error.rule, error.field or "edition", error.message)]
            return MigrationPreview(route_id, route.profile.key, target_edition, found)
        found = problems(route, target, mapping)
        if found:
            return MigrationPreview(route_id, route.profile.key, target.key, found)
        moved = copy.deepcopy(route)
        carried(moved, target, mapping)
        return MigrationPreview(
            route_id,
            route.profile.key,
            target.key,
            [],
            stage_name=target.stage_names[moved.stage],
            deadlines=deadlines(moved),
        )

    async def migrate_route(  # noqa: PLR0917 - the per-route action the bulk registry calls
        self,
        route_id: UUID,
        target_edition: str,
        mapping: EditionMapping,
        actor: Actor,
        reason: str,
        operation_id: str | None = None,
        *,
        order: str,
        ticket: str,
        command_id: str | None = None,
        wait: float = 10.0,
    ) -> MigrationResult:
        """Move the route: the `migrate` signal under `command_id` (by default
        `<operation_id>.<route_id>` within an operation, else a new one), then its outcome.
        Malformed terms are refused here (`InvalidCommandError`) and nothing is sent."""
        try:
            command = MigrateRoute(
                edition=target_edition,
                mapping=mapping,
                order=order,
                reason=reason,
                ticket=ticket,
                operation_id=operation_id,
            )
        except ValidationError as error:
            raise invalid_content(error) from None
        if command_id is None:
            command_id = f"{operation_id}.{route_id}" if operation_id else str(uuid.uuid4())
        await asyncio.to_thread(create_table, self.routes)
        earlier = await asyncio.to_thread(refusal_of, self.routes, route_id, command_id)
        payload = command.model_dump(mode="json") | {
            "operator_id": actor.id,
            "command_id": command_id,
        }
        assert self.gateway is not None, "a move goes through the route's workflow"
        try:
            await self.gateway.signal(route_id, SIGNAL, payload)
        except DomainError as error:
            refused = Answer("refused", rule=error.rule, field=error.field, message=error.message)
            return MigrationResult(route_id, command_id, refused)
        answer = await asyncio.to_thread(outcome, self.routes, route_id, command_id, earlier, wait)
        return MigrationResult(route_id, command_id, answer)
