"""What became of an operator's signal: the workflow applies it later, through an activity, so
its sender watches the event store until the command id is on the route (applied) or a refusal
of it is recorded (refused), for a while (else pending). `iom ops` and the migration of a route
(`runtime.migration`) wait on their signals so."""

from __future__ import annotations

import time
from dataclasses import dataclass
from uuid import UUID

from aggregates.application import Routes
from projections.refusals import query_refusals
from projections.tables import Filters
from projections.view import transaction_on

POLL = 0.2  # seconds between looks at the event store


@dataclass(frozen=True)
class Answer:
    """What became of a signal: applied (at a version), refused (a rule), or still pending."""

    status: str
    version: int | None = None
    rule: str | None = None
    field: str | None = None
    message: str | None = None
    refusal_id: int | None = None


def outcome(
    routes: Routes, route_id: UUID, command_id: str, earlier: Answer | None, wait: float
) -> Answer:
    """Watch the store until the command is applied or newly refused, for `wait` seconds. A
    refusal recorded before this send (`earlier`) is the answer only if nothing else comes by
    then."""
    deadline = time.monotonic() + wait
    while True:
        record = routes.route(route_id).commands.get(command_id)
        if record is not None:
            return Answer("applied", version=record.version)
        refusal = refusal_of(routes, route_id, command_id)
        if refusal is not None and refusal != earlier:
            return refusal
        if time.monotonic() >= deadline:
            return earlier or Answer("pending")
        time.sleep(POLL)


def refusal_of(routes: Routes, route_id: UUID, command_id: str) -> Answer | None:
    """The recorded refusal of the command id on the route, if any."""
    with transaction_on(getattr(routes.recorder, "datastore"), commit=False) as db:  # noqa: B009
        rows = query_refusals(db, Filters(route_id=route_id), None)
    row = next((r for r in rows if r["command_id"] == command_id), None)
    if row is None:
        return None
    return Answer(
        "refused",
        rule=row["rule"],
        field=row["field"],
        message=row["message"],
        refusal_id=row["id"],
    )
