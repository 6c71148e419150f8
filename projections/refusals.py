"""Refused commands: who tried what on which route, and which rule refused it.

Temporal does not record rejected updates, so the workflows record each refusal here (not an
event: nothing happened to the route). The table is not derived from events, so no rebuild
touches it. A refusal carrying a command id is recorded once, however often it is retried.
"""

# ruff: noqa: S608 - SQL built from declared table and column names; values are parameters

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from aggregates.application import Routes
from aggregates.errors import DomainError
from projections.tables import Db, Filters, Kind, limit_clause, normalise_row
from projections.view import side_table

TABLE = "refused_commands"

_COLUMNS = "route_id, refused_at, actor_id, role, command, rule, field, message, command_id"
_KINDS: dict[str, Kind] = {
    "id": "int",
    "route_id": "uuid",
    "refused_at": "time",
    "actor_id": "text",
    "role": "text",
    "command": "text",
    "rule": "text",
    "field": "text",
    "message": "text",
    "command_id": "text",
}


def create_statements(db: Db) -> list[str]:
    """The table and its indexes, idempotent."""
    if db.dialect == "postgres":
        head = f"CREATE TABLE IF NOT EXISTS {TABLE} (id BIGINT GENERATED ALWAYS AS IDENTITY "
        head += "PRIMARY KEY, route_id UUID, refused_at TIMESTAMPTZ NOT NULL, "
    else:
        head = f"CREATE TABLE IF NOT EXISTS {TABLE} (id INTEGER PRIMARY KEY AUTOINCREMENT, "
        head += "route_id TEXT, refused_at TEXT NOT NULL, "
    return [
        head + "actor_id TEXT NOT NULL, role TEXT NOT NULL, command TEXT NOT NULL, "
        "rule TEXT NOT NULL, field TEXT, message TEXT NOT NULL, command_id TEXT)",
        f"CREATE UNIQUE INDEX IF NOT EXISTS {TABLE}_command_id_idx ON {TABLE} (command_id) "
        "WHERE command_id IS NOT NULL",
        f"CREATE INDEX IF NOT EXISTS {TABLE}_route_idx ON {TABLE} (route_id, refused_at)",
        f"CREATE INDEX IF NOT EXISTS {TABLE}_refused_at_idx ON {TABLE} (refused_at)",
    ]


def create_table(routes: Routes) -> None:
    """Create the table if missing."""
    datastore = getattr(routes.recorder, "datastore")  # noqa: B009
    with side_table(datastore, TABLE, create_statements, commit=False):
        pass


def record_refusal(
    routes: Routes,
    *,
    route_id: UUID | None,
    refused_at: datetime,
    actor_id: str,
    role: str,
    command: str,
    rule: str,
    message: str,
    field: str | None = None,
    command_id: str | None = None,
) -> bool:
    """Record one refused command (a `DomainError`'s rule, field and message, in Russian).
    False when a refusal with the same command id was recorded already."""
    datastore = getattr(routes.recorder, "datastore")  # noqa: B009
    with side_table(datastore, TABLE, create_statements, commit=True) as db:
        params = (route_id, refused_at, actor_id, role, command, rule, field, message, command_id)
        found = db.fetchall(
            f"INSERT INTO {TABLE} ({_COLUMNS}) VALUES ({', '.join(['%s'] * 9)}) "
            "ON CONFLICT DO NOTHING RETURNING id",
            params,
        )
    return bool(found)


def record_refused(
    routes: Routes,
    *,
    route_id: UUID | None,
    command: str,
    actor_id: str,
    role: str,
    command_id: str | None,
    error: DomainError,
    refused_at: datetime,
) -> bool:
    """Record a command `error` refused: the one way every refusal is recorded, by the route
    workflow's activities, by the caller of its update for its validator's refusals
    (`runtime.gateway`), and by the API's batches. False when one with the same command id was
    recorded already. Who sent it (`actor_id`, `role`, `command_id`) as they gave them: a
    malformed command is recorded too."""
    return record_refusal(
        routes,
        route_id=route_id,
        refused_at=refused_at,
        actor_id=actor_id,
        role=role,
        command=command,
        rule=error.rule,
        message=error.message,
        field=error.field,
        command_id=command_id,
    )


def query_refusals(db: Db, filters: Filters, limit: int | None) -> list[dict[str, Any]]:
    """Refused commands, the latest first (filtered by route only)."""
    where, params = filters.where(("route_id",))
    rows = db.fetchall(
        f"SELECT * FROM {TABLE}{where} ORDER BY refused_at DESC, id DESC" + limit_clause(limit),
        params,
    )
    return [normalise_row(_KINDS, row) for row in rows]
