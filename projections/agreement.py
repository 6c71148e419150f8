"""Согласование: which party holds each route in agreement, and since when.

One row per route and party that must answer now: the parties of the current round of the
regulation's agreement (those of one round answer together, rounds in order), the action it is
asked for (sign, review, agree, approve), the revision, and since when it holds the route (the
submission for the first round, the previous round's last answer for the next). Rows disappear
when the party answers, and all of them when the route is approved, returned or cancelled.
"""

from __future__ import annotations

from typing import Any

from projections.state import Family, RouteState, filters
from projections.tables import (
    FILTER_COLUMNS,
    Column,
    Db,
    Filters,
    Key,
    Row,
    Sort,
    Table,
    keyset_indexes,
    listing,
)

AGREEMENT_SORTS = ("since", "role", "round", "school_id", "methodist_id")
AGREEMENT_ORDER: Sort = (("since", False),)

AGREEMENT = Table(
    "iom_agreement",
    (
        Column("route_id", "uuid", "ИОМ"),
        Column("role", "text", "сторона"),
        *FILTER_COLUMNS,
        Column("round", "int", "круг"),
        Column("action", "text", "действие"),
        Column("revision", "int", "редакция"),
        Column("since", "time", "с"),
    ),
    key=("route_id", "role"),
    indexes=(
        ("municipality_id",),
        ("school_id",),
        ("since",),
        *keyset_indexes(AGREEMENT_SORTS, AGREEMENT_ORDER, ("route_id", "role")),
    ),
)


def agreement_rows(state: RouteState) -> dict[Key, Row]:
    """The parties holding the route now (none outside the agreement stage)."""
    if not state.pending_since:
        return {}
    route = state.route
    where = filters(state)
    steps = {step.role: step for step in route.profile.agreement}
    return {
        (route.id, role.value): (
            route.id,
            role.value,
            *where,
            steps[role].round,
            steps[role].action,
            route.revision,
            since,
        )
        for role, since in state.pending_since.items()
    }


FAMILIES = (Family(AGREEMENT, agreement_rows),)


AGREEMENT_LIST = listing(AGREEMENT, AGREEMENT_SORTS, AGREEMENT_ORDER)
"""Who holds which route, the longest-waiting first."""


def query_agreement(db: Db, filters: Filters, limit: int | None) -> list[dict[str, Any]]:
    """Who holds which route, the longest-waiting first."""
    return AGREEMENT_LIST.select(db, filters, limit=limit)
