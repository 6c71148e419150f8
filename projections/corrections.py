"""Сведения о корректировке ИОМ: the corrections log of every route.

One row per route and correction: its number and date, the reason, the activities added, removed
and changed, who made it, the parties whose agreement it still awaits (the regulation's
`correction_reagreement`), and the teacher's acknowledgement (отметка об ознакомлении).
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

CORRECTION_SORTS = ("corrected_on", "number", "school_id", "methodist_id")
CORRECTION_ORDER: Sort = (("corrected_on", True),)

CORRECTIONS = Table(
    "iom_corrections",
    (
        Column("route_id", "uuid", "ИОМ"),
        Column("number", "int", "№"),
        *FILTER_COLUMNS,
        Column("corrected_on", "date", "дата"),
        Column("reason", "text", "причина"),
        Column("added", "text", "добавлены"),
        Column("removed", "text", "исключены"),
        Column("changed", "text", "изменены"),
        Column("author_id", "text", "автор"),
        Column("author_role", "text", "роль автора"),
        Column("awaiting", "text", "ожидает согласования"),
        Column("acknowledged", "bool", "педагог ознакомлен"),
    ),
    key=("route_id", "number"),
    indexes=(
        ("municipality_id",),
        ("school_id",),
        *keyset_indexes(CORRECTION_SORTS, CORRECTION_ORDER, ("route_id", "number")),
    ),
)


def correction_rows(state: RouteState) -> dict[Key, Row]:
    """The route's corrections, by number."""
    route = state.route
    if not route.corrections:
        return {}
    where = filters(state)
    return {
        (route.id, c.number): (
            route.id,
            c.number,
            *where,
            c.on,
            c.reason,
            ", ".join(c.added),
            ", ".join(c.removed),
            ", ".join(c.changed),
            c.by.id,
            c.by.role.value,
            ", ".join(role.value for role in c.awaiting),
            c.acknowledged,
        )
        for c in route.corrections
    }


FAMILIES = (Family(CORRECTIONS, correction_rows),)


CORRECTION_LIST = listing(CORRECTIONS, CORRECTION_SORTS, CORRECTION_ORDER)
"""Corrections, the latest first."""


def query_corrections(db: Db, filters: Filters, limit: int | None) -> list[dict[str, Any]]:
    """Corrections, the latest first."""
    return CORRECTION_LIST.select(db, filters, limit=limit)
