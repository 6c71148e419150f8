"""Route activities that keep failing, as the workers saw them (`activities.attempts`): a row
per route and activity, written when an attempt fails for the `FAILING`-th time or later,
removed when the activity then succeeds or the route's workflow is restarted or stopped.

Temporal's visibility does not index pending activities: finding the failing ones there means
describing every running workflow, one request per route. With this table the workflow
incidents (`runtime.operations`) find them in one query. A row is a lead, not the verdict: the
list describes the workflow of each route named here before it reports it. Like the refusals,
the table is not derived from events, so no rebuild touches it.
"""

# ruff: noqa: S608 - SQL built from declared table and column names; values are parameters

from __future__ import annotations

from contextlib import AbstractContextManager
from datetime import datetime
from uuid import UUID

from aggregates.application import Routes
from projections.tables import Column, Db, Table
from projections.view import side_table

FAILING_ACTIVITIES = Table(
    "failing_activities",
    (
        Column("route_id", "uuid", "ИОМ"),
        Column("activity", "text", "действие"),
        Column("attempts", "int", "попыток"),
        Column("error", "text", "ошибка"),
        Column("failed_at", "time", "когда"),
    ),
    key=("route_id", "activity"),
)


def _create(db: Db) -> list[str]:
    return FAILING_ACTIVITIES.create(db.dialect)


def record_failing(
    routes: Routes,
    route_id: UUID,
    activity: str,
    *,
    attempts: int,
    error: str | None,
    at: datetime,
) -> None:
    """Note that the route's `activity` has failed `attempts` times in a row (`error`: the
    last one's message; `None` keeps the one noted, if any)."""
    with _transaction(routes, commit=True) as db:
        db.execute(
            FAILING_ACTIVITIES.insert() + " ON CONFLICT (route_id, activity) DO UPDATE SET"
            " attempts = excluded.attempts, failed_at = excluded.failed_at,"
            f" error = COALESCE(excluded.error, {FAILING_ACTIVITIES.name}.error)",
            (route_id, activity, attempts, error, at),
        )


def clear_failing(routes: Routes, route_id: UUID, activity: str | None = None) -> None:
    """Forget the route's failing `activity` (every one of the route's, by default)."""
    where, params = "route_id = %s", [str(route_id)]
    if activity is not None:
        where, params = where + " AND activity = %s", [*params, activity]
    with _transaction(routes, commit=True) as db:
        db.execute(f"DELETE FROM {FAILING_ACTIVITIES.name} WHERE {where}", params)


def failing_routes(routes: Routes) -> set[UUID]:
    """The routes with an activity noted as failing."""
    with _transaction(routes, commit=False) as db:
        rows = db.fetchall(f"SELECT DISTINCT route_id FROM {FAILING_ACTIVITIES.name}")
    return {UUID(str(row["route_id"])) for row in rows}


def _transaction(routes: Routes, *, commit: bool) -> AbstractContextManager[Db]:
    datastore = getattr(routes.recorder, "datastore")  # noqa: B009
    return side_table(datastore, FAILING_ACTIVITIES.name, _create, commit=commit)
