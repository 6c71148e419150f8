"""Monitoring of the Алгоритм's substance (seed 003, этап II), for any route whose plan carries
it: the individual educational programme, the resource map and the groups of teachers.

`iom_route_programmes` — per route with a plan: its tasks and how many carry their ways and
checks, its resources of each kind of the resource map (the teachers' own among them), and the
groups it belongs to.

`iom_route_groups` — per group and route: the group's kind (проблемная, творческая, проектная),
topic and number of members (teachers' ids live in the plan, never here: a count is enough to
see a group's size), so a group's routes are read by its id.
"""

from __future__ import annotations

from aggregates.values import ResourceKind
from projections.state import Family, RouteState, filters
from projections.tables import FILTER_COLUMNS, Column, Key, Row, Table

PROGRAMMES = Table(
    "iom_route_programmes",
    (
        Column("route_id", "uuid", "ИОМ"),
        *FILTER_COLUMNS,
        Column("tasks", "int", "задач"),
        Column("programmed", "int", "задач со способами и проверками"),
        Column("information", "int", "информационных ресурсов"),
        Column("communicative", "int", "коммуникативных ресурсов"),
        Column("activity", "int", "деятельностных ресурсов"),
        Column("social", "int", "социально-общественных ресурсов"),
        Column("own", "int", "собственных ресурсов педагогов"),
        Column("groups", "int", "групп педагогов"),
    ),
    key=("route_id",),
    indexes=(("profile_id",), ("municipality_id",), ("school_id",), ("methodist_id",)),
)

GROUPS = Table(
    "iom_route_groups",
    (
        Column("group_id", "text", "группа"),
        Column("route_id", "uuid", "ИОМ"),
        *FILTER_COLUMNS,
        Column("kind", "text", "тип группы"),
        Column("topic", "text", "тема"),
        Column("members", "int", "участников"),
    ),
    key=("group_id", "route_id"),
    indexes=(("route_id",), ("profile_id", "kind")),
)


def programme_rows(state: RouteState) -> dict[Key, Row]:
    """The route's row in `iom_route_programmes` (none before its plan is designed)."""
    plan = state.route.plan
    if plan is None:
        return {}
    kinds = [resource.kind for resource in plan.resources]
    row = (
        state.route.id,
        *filters(state),
        len(plan.tasks),
        len(plan.programme),
        *(kinds.count(kind) for kind in ResourceKind),
        len(plan.groups),
    )
    return {(state.route.id,): row}


def group_rows(state: RouteState) -> dict[Key, Row]:
    """The route's rows in `iom_route_groups`: one per group its plan belongs to."""
    plan = state.route.plan
    route_id = state.route.id
    return {
        (group.id, route_id): (
            group.id,
            route_id,
            *filters(state),
            group.kind.value,
            group.topic,
            len(group.members),
        )
        for group in (plan.groups if plan else [])
    }


def _depends(state: RouteState) -> tuple[object, ...]:
    # The plan is replaced by its events, never edited in place.
    return (state.route.plan, *filters(state))


FAMILIES = (
    Family(PROGRAMMES, programme_rows, _depends),
    Family(GROUPS, group_rows, _depends),
)
