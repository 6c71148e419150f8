"""The methodists' report to the centre (Sakha актив 6.2: «предоставлять информацию о
результатах своей деятельности ЦНППМ (дважды в год (июнь, декабрь))»): each methodist's routes,
their stages, the activities done, not done and overdue, and the dynamics of the competences
tested twice.

Read from the monitoring projection (`iom_routes`, `iom_dynamics`) at one position, never by
replaying the routes, so it scales with the region; the report names the position it was read
at. The same figures are the API's and the CLI's data and the document's
(`projections.documents.methodists`).
"""

# ruff: noqa: S608 - SQL built from declared table names; values are parameters

from __future__ import annotations

from collections import Counter
from datetime import date
from typing import Any

from pydantic import BaseModel, Field

from projections.campaign import at_one_position
from projections.dynamics import DYNAMICS
from projections.routes import ROUTES
from projections.view import ProjectionView

HALVES = {1: "первое полугодие", 2: "второе полугодие"}


class ReportRoute(BaseModel):
    """Один ИОМ в отчёте методиста."""

    route_id: str
    route_key: str
    teacher_id: str
    school_id: str
    stage: str
    stage_name: str = Field(description="Этап по регламенту.")
    activities: int
    done: int
    not_done: int
    overdue: int
    compared: int = Field(description="Компетенций с входным и итоговым уровнем.")
    improved: int = Field(description="Из них с ростом уровня.")


class MethodistFigures(BaseModel):
    """Итоги одного методиста."""

    methodist_id: str
    routes: int
    stages: dict[str, int] = Field(description="ИОМ по этапам (названия по регламенту).")
    activities: int
    done: int
    not_done: int
    overdue: int
    compared: int
    improved: int
    mean_change: float | None = Field(description="Средний прирост уровня по компетенциям.")
    items: list[ReportRoute]


class MethodistsReport(BaseModel):
    """Отчёт методистов в ЦНППМ (актив 6.2): по каждому методисту региона."""

    region: str
    period: str = Field(description="Отчётный период, например «первое полугодие 2026 г.».")
    as_of: date = Field(description="На какую дату.")
    position: int = Field(description="Позиция проекции мониторинга, по которой составлен.")
    methodists: list[MethodistFigures]


def period_of(as_of: date) -> str:
    """The half-year a report made on `as_of` covers (June: the first, December: the second)."""
    return f"{HALVES[1 if as_of.month <= 6 else 2]} {as_of.year} г."


def methodists_report(
    view: ProjectionView, region: str, as_of: date, methodist_id: str | None = None
) -> MethodistsReport:
    """Every methodist's figures in the region (or one methodist's), read at one position.
    Raises `ProjectionNotReadyError` when the projection is not built."""
    where = " WHERE profile_id = %s AND methodist_id IS NOT NULL AND methodist_id <> ''"
    params: tuple[Any, ...] = (region,)
    if methodist_id is not None:
        where += " AND methodist_id = %s"
        params = (region, methodist_id)
    with at_one_position(view) as (db, position):
        routes = db.fetchall(
            "SELECT route_id, route_key, teacher_id, school_id, methodist_id, stage, stage_name,"
            f" activities, done, not_done, overdue FROM {ROUTES.name}{where}"
            " ORDER BY methodist_id, route_key",
            params,
        )
        changes = db.fetchall(
            f"SELECT route_id, change FROM {DYNAMICS.name}{where} AND change IS NOT NULL",
            params,
        )
    per_route: dict[str, list[int]] = {}
    for row in changes:
        per_route.setdefault(str(row["route_id"]), []).append(int(row["change"]))
    grouped: dict[str, list[ReportRoute]] = {}
    for row in routes:
        found = per_route.get(str(row["route_id"]), [])
        item = ReportRoute(
            route_id=str(row["route_id"]),
            route_key=str(row["route_key"]),
            teacher_id=str(row["teacher_id"]),
            school_id=str(row["school_id"]),
            stage=str(row["stage"]),
            stage_name=str(row["stage_name"]),
            activities=int(row["activities"]),
            done=int(row["done"]),
            not_done=int(row["not_done"]),
            overdue=int(row["overdue"]),
            compared=len(found),
            improved=sum(1 for change in found if change > 0),
        )
        grouped.setdefault(str(row["methodist_id"]), []).append(item)
    methodists = [
        _figures(mid, items, [c for i in items for c in per_route.get(i.route_id, [])])
        for mid, items in sorted(grouped.items())
    ]
    return MethodistsReport(
        region=region,
        period=period_of(as_of),
        as_of=as_of,
        position=position,
        methodists=methodists,
    )


def _figures(methodist_id: str, items: list[ReportRoute], changes: list[int]) -> MethodistFigures:
    stages = Counter(item.stage_name for item in items)
    return MethodistFigures(
        methodist_id=methodist_id,
        routes=len(items),
        stages=dict(sorted(stages.items())),
        activities=sum(i.activities for i in items),
        done=sum(i.done for i in items),
        not_done=sum(i.not_done for i in items),
        overdue=sum(i.overdue for i in items),
        compared=len(changes),
        improved=sum(1 for change in changes if change > 0),
        mean_change=round(sum(changes) / len(changes), 3) if changes else None,
        items=items,
    )
