"""Which routes a bulk operation acts on: a filter over the monitoring tables, or a list of ids.

The filter speaks the monitoring's own columns (`iom_routes`: region, municipality, school,
methodist, stage, regulation edition, overdue activities; `iom_agreement`: the party a route
waits on), so an operator previews exactly what `iom monitor routes` shows. Closed routes
(completed or cancelled) are left out unless ids are named: nothing acts on them but a repair.
"""

# ruff: noqa: S608 - SQL built from declared column names; values are parameters

from __future__ import annotations

from typing import Any
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

from aggregates.profiles import Stage
from aggregates.values import Code, Ident, Key
from projections.agreement import AGREEMENT
from projections.routes import ROUTES
from projections.tables import Db

CLOSED = (Stage.COMPLETED.value, Stage.CANCELLED.value)
COLUMNS = {
    "region": "profile_id",
    "municipality_id": "municipality_id",
    "school_id": "school_id",
    "methodist_id": "methodist_id",
    "stage": "stage",
    "edition": "profile_key",
}


class RouteQuery(BaseModel):
    """The routes an operation acts on: every route matching all the filters given, or the
    routes named in `route_ids` (then the filters are not allowed)."""

    model_config = ConfigDict(
        frozen=True,
        extra="forbid",
        json_schema_extra={"examples": [{"stage": "implementation", "school_id": "school-02"}]},
    )

    region: Code | None = Field(None, description="Регион (id регламента).")
    municipality_id: Ident | None = Field(None, description="Муниципалитет.")
    school_id: Ident | None = Field(None, description="Образовательная организация.")
    methodist_id: Ident | None = Field(None, description="Закреплённый методист.")
    stage: Stage | None = Field(None, description="Этап ИОМ.")
    waiting_on: Code | None = Field(None, description="Сторона согласования, которую ждёт ИОМ.")
    overdue: bool | None = Field(None, description="Есть просроченные мероприятия (или нет).")
    edition: Key | None = Field(None, description="Редакция регламента, например sakha@2.")
    route_ids: list[UUID] | None = Field(
        None, description="Перечень ИОМ вместо фильтра.", max_length=100_000
    )

    def given(self) -> dict[str, Any]:
        """The filters given, as JSON."""
        return self.model_dump(mode="json", exclude_none=True)


def matching_routes(db: Db, query: RouteQuery) -> list[UUID]:
    """The ids of the routes `query` matches, in a stable order (the route id's)."""
    if query.route_ids is not None:
        return sorted(dict.fromkeys(query.route_ids), key=str)
    clauses = [f"r.stage NOT IN ({', '.join(['%s'] * len(CLOSED))})"]
    params: list[Any] = list(CLOSED)
    given = query.model_dump(mode="json", exclude_none=True)
    for name, column in COLUMNS.items():
        if name in given:
            clauses.append(f"r.{column} = %s")
            params.append(given[name])
    if query.overdue is not None:
        clauses.append("r.overdue > 0" if query.overdue else "r.overdue = 0")
    if query.waiting_on is not None:
        clauses.append(
            f"EXISTS (SELECT 1 FROM {AGREEMENT.name} a WHERE a.route_id = r.route_id"
            " AND a.role = %s)"
        )
        params.append(query.waiting_on)
    where = " AND ".join(clauses)
    rows = db.fetchall(
        f"SELECT r.route_id FROM {ROUTES.name} r WHERE {where} ORDER BY r.route_id", params
    )
    return [UUID(str(row["route_id"])) for row in rows]


def closed_by_route(db: Db, region: str | None = None) -> dict[UUID, bool]:
    """Each route of the monitoring (of `region` if given): whether it is closed (completed or
    cancelled)."""
    where, params = ("WHERE profile_id = %s", [region]) if region is not None else ("", [])
    rows = db.fetchall(f"SELECT route_id, stage FROM {ROUTES.name} {where}", params)
    return {UUID(str(row["route_id"])): row["stage"] in CLOSED for row in rows}
