"""Мониторинг реализации мероприятий ИОМ (Sakha, Инструкция, приложение 2): every activity of
every route's current plan, with its mark.

One row per route and activity: its title, the competences it builds, its level, organiser and
dates, the form its result takes (форма представления результата); whether it was done (отметка о
выполнении), the reason when not (причины невыполнения), its result and product, the
assessments, and whether its end date passed unmarked (overdue, kept once flagged, as the route
keeps it).
"""

from __future__ import annotations

from typing import Any

from aggregates.route import PLANNED
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

ACTIVITY_SORTS = ("route_id", "position", "ends_on", "status", "school_id", "methodist_id")
ACTIVITY_ORDER: Sort = (("route_id", False), ("position", False))

ACTIVITIES = Table(
    "iom_activities",
    (
        Column("route_id", "uuid", "ИОМ"),
        Column("activity_id", "text", "№"),
        *FILTER_COLUMNS,
        Column("position", "int", "порядок"),
        Column("title", "text", "мероприятие"),
        Column("competences", "text", "компетенции"),
        Column("direction", "text", "направление"),
        Column("level", "text", "уровень"),
        Column("organiser", "text", "организатор"),
        Column("starts_on", "date", "начало"),
        Column("ends_on", "date", "окончание"),
        Column("result_form", "text", "форма результата"),
        Column("status", "text", "статус"),
        Column("done", "bool", "выполнено"),
        Column("completed_on", "date", "дата выполнения"),
        Column("reason", "text", "причина невыполнения"),
        Column("result", "text", "результат"),
        Column("product", "text", "продукт"),
        Column("self_assessment", "text", "самооценка"),
        Column("employer_assessment", "text", "оценка работодателя"),
        Column("overdue", "bool", "просрочено"),
    ),
    key=("route_id", "activity_id"),
    indexes=(
        ("municipality_id", "route_id"),
        ("school_id",),
        ("methodist_id",),
        ("subject",),
        *keyset_indexes(ACTIVITY_SORTS, ACTIVITY_ORDER, ("route_id", "activity_id")),
    ),
)


def activity_rows(state: RouteState) -> dict[Key, Row]:
    """The rows of the route's current plan, in plan order."""
    route = state.route
    if route.plan is None:
        return {}
    where = filters(state)
    rows: dict[Key, Row] = {}
    for position, activity in enumerate(route.plan.activities, start=1):
        record = route.activities.get(activity.id, PLANNED)
        rows[(route.id, activity.id)] = (
            route.id,
            activity.id,
            *where,
            position,
            activity.title,
            ", ".join(activity.competences),
            activity.direction,
            activity.level.value,
            activity.organiser,
            activity.starts_on,
            activity.ends_on,
            activity.result_form,
            record.status,
            record.status == "done",
            record.on,
            record.reason or None,
            record.result or None,
            record.product or None,
            record.self_assessment or None,
            record.employer_assessment or None,
            record.overdue,
        )
    return rows


def _depends(state: RouteState) -> tuple[object, ...]:
    # The plan and each activity's record are replaced by their events, never edited in place.
    return (state.route.plan, *filters(state), *state.route.activities.values())


FAMILIES = (Family(ACTIVITIES, activity_rows, _depends),)


ACTIVITY_LIST = listing(ACTIVITIES, ACTIVITY_SORTS, ACTIVITY_ORDER)
"""Activities, route by route in plan order."""


def query_activities(db: Db, filters: Filters, limit: int | None) -> list[dict[str, Any]]:
    """Activities, route by route in plan order."""
    return ACTIVITY_LIST.select(db, filters, limit=limit)
