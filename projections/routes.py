"""Monitoring of routes: one row per route (stage, term, progress, the next deadline), and the
methodists' load against the regulation's norm.

`iom_routes` — the route's stage (and the region's own name for it), its regulation edition, its
term, when it was opened and approved, its methodist, the share of activities done, how many
activities are overdue now (flagged overdue and still unmarked), and the next deadline: the
earliest end date among unmarked activities, else the term end (none once completed or cancelled).

`iom_methodist_load` — per region and methodist: routes assigned, and active routes (neither
completed nor cancelled), held against the region's `methodist_capacity` (its newest edition).
"""

# ruff: noqa: S608 - SQL built from declared table and column names; values are parameters

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from aggregates.profiles import Stage
from projections.state import Family, RouteState, filters
from projections.tables import (
    FILTER_COLUMNS,
    Column,
    Db,
    Filters,
    Key,
    Listing,
    Row,
    Sort,
    Table,
    keyset_indexes,
    listing,
)

ROUTE_SORTS = (
    "next_deadline",
    "opened_on",
    "approved_on",
    "ends_on",
    "share_done",
    "overdue",
    "stage",
    "municipality_id",
    "school_id",
    "methodist_id",
    "updated_at",
)
ROUTE_ORDER: Sort = (("next_deadline", False),)

ROUTES = Table(
    "iom_routes",
    (
        Column("route_id", "uuid", "ИОМ"),
        Column("route_key", "text", "ключ портала"),
        *FILTER_COLUMNS,
        Column("profile_key", "text", "регламент"),
        Column("stage", "text", "этап"),
        Column("stage_name", "text", "этап по регламенту"),
        Column("term", "int", "срок №"),
        Column("starts_on", "date", "начало"),
        Column("ends_on", "date", "завершение"),
        Column("opened_on", "date", "открыт"),
        Column("approved_on", "date", "утверждён"),
        Column("activities", "int", "мероприятий"),
        Column("done", "int", "выполнено"),
        Column("not_done", "int", "не выполнено"),
        Column("share_done", "real", "доля выполненных"),
        Column("overdue", "int", "просрочено"),
        Column("next_deadline", "date", "ближайший срок"),
        Column("corrections", "int", "корректировок"),
        Column("version", "int", "версия"),
        Column("updated_at", "time", "изменён"),
    ),
    key=("route_id",),
    indexes=(
        ("municipality_id", "next_deadline ASC"),
        ("school_id",),
        ("methodist_id",),
        ("subject",),
        ("next_deadline ASC", "route_id"),  # `iom monitor routes` across regions
        *keyset_indexes(ROUTE_SORTS, ROUTE_ORDER, ("route_id",)),
    ),
)

METHODIST_SORTS = ("active_routes", "routes", "methodist_id")

METHODIST_LOAD = Table(
    "iom_methodist_load",
    (
        Column("profile_id", "text", "регион"),
        Column("methodist_id", "text", "методист"),
        Column("active_routes", "int", "активных ИОМ"),
        Column("routes", "int", "всего ИОМ"),
    ),
    key=("profile_id", "methodist_id"),
    indexes=keyset_indexes(METHODIST_SORTS, (), ("profile_id", "methodist_id")),
    counters=True,
)

_FINISHED = (Stage.COMPLETED, Stage.CANCELLED)


def route_rows(state: RouteState) -> dict[Key, Row]:
    """The route's row in `iom_routes`."""
    route = state.route
    plan = route.plan
    planned = plan.activities if plan else []
    records = route.activities
    done = not_done = overdue = 0
    earliest = None  # the earliest end date among unmarked activities
    for activity in planned:
        record = records.get(activity.id)
        if record is None or record.status == "planned":
            if record is not None and record.overdue:
                overdue += 1
            if earliest is None or activity.ends_on < earliest:
                earliest = activity.ends_on
        elif record.status == "done":
            done += 1
        else:
            not_done += 1
    deadline = None
    if plan is not None and route.stage not in _FINISHED:
        deadline = plan.ends_on if earliest is None else earliest
    row = (
        route.id,
        route.route_key,
        *filters(state),
        route.profile.key,
        route.stage.value,
        route.profile.stage_names[route.stage],
        route.term,
        plan.starts_on if plan else None,
        plan.ends_on if plan else None,
        state.local_date(route.created_on),
        state.local_date(state.approved_at),
        len(planned),
        done,
        not_done,
        round(done / len(planned), 4) if planned else 0.0,
        overdue,
        deadline,
        len(route.corrections),
        route.version,
        route.modified_on,
    )
    return {(route.id,): row}


def load_rows(state: RouteState) -> dict[Key, Row]:
    """What the route adds to its methodist's load: (active, assigned)."""
    route = state.route
    if route.methodist_id is None:
        return {}
    active = 0 if route.stage in _FINISHED else 1
    return {(route.profile.id, route.methodist_id): (active, 1)}


FAMILIES = (Family(ROUTES, route_rows), Family(METHODIST_LOAD, load_rows))


ROUTE_LIST = listing(ROUTES, ROUTE_SORTS, ROUTE_ORDER)
"""Routes, the nearest deadline first."""


def _against_capacity(row: dict[str, Any]) -> dict[str, Any]:
    capacity = row["capacity"]
    return row | {"over_capacity": capacity is not None and row["active_routes"] > capacity}


METHODIST_LIST = Listing(
    "(SELECT l.*, (SELECT p.methodist_capacity FROM iom_profiles p "
    "WHERE p.profile_id = l.profile_id ORDER BY p.version DESC LIMIT 1) AS capacity "
    f"FROM {METHODIST_LOAD.name} l) AS t",
    METHODIST_LOAD.kinds | {"capacity": "int"},
    ("profile_id", "methodist_id"),
    METHODIST_SORTS,
    (),
    METHODIST_LOAD.key,
    _against_capacity,
)
"""Each methodist's load against the norm of the region's newest edition."""


def query_routes(db: Db, filters: Filters, limit: int | None) -> list[dict[str, Any]]:
    """Routes, the nearest deadline first."""
    return ROUTE_LIST.select(db, filters, limit=limit)


def query_methodists(db: Db, filters: Filters, limit: int | None) -> list[dict[str, Any]]:
    """Each methodist's load against the norm of the region's newest edition."""
    return METHODIST_LIST.select(db, filters, limit=limit)


def methodist_routes(db: Db, region: str, methodist_id: str) -> list[UUID]:
    """The methodist's open routes (neither completed nor cancelled) in the region."""
    rows = db.fetchall(
        f"SELECT route_id FROM {ROUTES.name} WHERE profile_id = %s AND methodist_id = %s"
        " AND stage NOT IN (%s, %s) ORDER BY route_id",
        (region, methodist_id, *(stage.value for stage in _FINISHED)),
    )
    return [UUID(str(row["route_id"])) for row in rows]


@dataclass(frozen=True)
class Chosen:
    """Participants of a diagnostic campaign chosen by school, municipality, subject or a list
    of teachers (each list given narrows the choice; none given: none chosen)."""

    school_ids: Sequence[str] = ()
    municipality_ids: Sequence[str] = ()
    subjects: Sequence[str] = ()
    teacher_ids: Sequence[str] = ()


def open_routes_of(db: Db, region: str, chosen: Chosen) -> list[dict[str, Any]]:
    """The open routes (neither completed nor cancelled) of the teachers `chosen` in the region:
    each teacher's newest, with its school, municipality and subject."""
    given = [
        (column, values)
        for column, values in (
            ("school_id", chosen.school_ids),
            ("municipality_id", chosen.municipality_ids),
            ("subject", chosen.subjects),
            ("teacher_id", chosen.teacher_ids),
        )
        if values
    ]
    if not given:
        return []
    where, params = (
        "profile_id = %s AND stage NOT IN (%s, %s)",
        [
            region,
            *(stage.value for stage in _FINISHED),
        ],
    )
    for column, values in given:
        condition, more = db.among(column, values)
        where += f" AND {condition}"
        params += more
    rows = db.fetchall(
        "SELECT route_id, teacher_id, school_id, municipality_id, subject"
        f" FROM {ROUTES.name} WHERE {where} ORDER BY teacher_id, opened_on, route_id",
        params,
    )
    newest = {str(row["teacher_id"]): row for row in rows}
    return [row | {"route_id": UUID(str(row["route_id"]))} for row in newest.values()]
