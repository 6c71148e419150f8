"""Competence levels across every diagnostic of a route: the input, each intermediate, the final.

`iom_diagnostics` — one row per route, competence and diagnostic (`step`: 0 the input, 1… each
intermediate in order, then the final one), with its kind, day, platform, level and the change
against the input level. `iom_dynamics` (`projections.dynamics`) compares the input with the
final only; this table keeps the path between them (Sakha диагностика 5.1: at least twice a
year; Chelyabinsk: the repeated diagnostic shows the dynamics), per teacher, and summed per
school, municipality and region by `query_steps`.
"""

# ruff: noqa: S608 - SQL built from declared table and column names; values are parameters

from __future__ import annotations

from typing import Any, Literal

from aggregates.values import Diagnostic
from projections.state import Family, RouteState, filters
from projections.tables import (
    FILTER_COLUMNS,
    FILTERS,
    Column,
    Db,
    Filters,
    Key,
    Row,
    Table,
    keyset_indexes,
    limit_clause,
    listing,
)

STEP_SORTS = ("route_id", "competence", "step", "school_id")

DIAGNOSTICS = Table(
    "iom_diagnostics",
    (
        Column("route_id", "uuid", "ИОМ"),
        Column("competence", "text", "компетенция"),
        Column("step", "int", "диагностика №"),
        *FILTER_COLUMNS,
        Column("kind", "text", "вид диагностики"),
        Column("taken_on", "date", "дата"),
        Column("platform", "text", "платформа"),
        Column("level", "int", "уровень"),
        Column("change", "int", "динамика к входной"),
    ),
    key=("route_id", "competence", "step"),
    indexes=(
        *keyset_indexes(STEP_SORTS, (), ("route_id", "competence", "step")),
        ("profile_id", "municipality_id", "school_id"),
    ),
)


def _steps(state: RouteState) -> list[tuple[str, Diagnostic, dict[str, int]]]:
    route = state.route
    found: list[tuple[str, Diagnostic, dict[str, int]]] = []
    if route.input_diagnostic is not None:
        found.append(("input", route.input_diagnostic, route.input_levels))
    found += [("intermediate", r.diagnostic, r.levels) for r in route.intermediate_diagnostics]
    if state.final_diagnostic is not None:
        found.append(("final", state.final_diagnostic, state.final_levels))
    return found


def diagnostic_rows(state: RouteState) -> dict[Key, Row]:
    """Each diagnostic's level per competence, with its change against the input level."""
    route = state.route
    where = filters(state)
    inputs = route.input_levels
    rows: dict[Key, Row] = {}
    for step, (kind, diagnostic, levels) in enumerate(_steps(state)):
        for competence, level in levels.items():
            given = inputs.get(competence)
            change = level - given if given is not None else None
            rows[(route.id, competence, step)] = (
                route.id,
                competence,
                step,
                *where,
                kind,
                diagnostic.taken_on,
                diagnostic.platform,
                level,
                change,
            )
    return rows


def _depends(state: RouteState) -> tuple[object, ...]:
    route = state.route
    return (
        route.input_diagnostic,
        route.intermediate_diagnostics,
        state.final_diagnostic,
        *filters(state),
    )


FAMILIES = (Family(DIAGNOSTICS, diagnostic_rows, _depends),)

STEPS_LIST = listing(DIAGNOSTICS, STEP_SORTS, ())
"""Every diagnostic's level, per route and competence."""

PLACES: dict[str, list[str]] = {
    "school": ["profile_id", "municipality_id", "school_id"],
    "municipality": ["profile_id", "municipality_id"],
    "region": ["profile_id"],
}


def query_teacher_steps(db: Db, filters: Filters, limit: int | None) -> list[dict[str, Any]]:
    """Each route's levels per competence, diagnostic by diagnostic (the teacher's path)."""
    return STEPS_LIST.select(db, filters, limit=limit)


def query_steps(
    db: Db,
    by: Literal["school", "municipality", "region"],
    filters: Filters,
    limit: int | None,
) -> list[dict[str, Any]]:
    """Per place, competence and diagnostic (input, each intermediate, final): how many routes
    were tested, their mean level and mean change against the input."""
    groups = PLACES[by]
    columns = ", ".join(groups)
    where, params = filters.where([c.name for c in DIAGNOSTICS.columns if c.name in FILTERS])
    rows = db.fetchall(
        f"SELECT {columns}, competence, step, kind, COUNT(*) AS tested,"
        " SUM(level) AS level_sum, SUM(change) AS change_sum, COUNT(change) AS compared"
        f" FROM {DIAGNOSTICS.name}{where} GROUP BY {columns}, competence, step, kind"
        f" ORDER BY {columns}, competence, step" + limit_clause(limit),
        params,
    )
    return [
        {name: row[name] for name in groups}
        | {
            "competence": row["competence"],
            "step": int(row["step"]),
            "kind": row["kind"],
            "tested": int(row["tested"]),
            "mean_level": round(int(row["level_sum"]) / int(row["tested"]), 3),
            "mean_change": (
                round(int(row["change_sum"]) / int(row["compared"]), 3)
                if int(row["compared"])
                else None
            ),
        }
        for row in rows
    ]
