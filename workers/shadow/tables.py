"""Shadow replay, part two: every projection rebuilt by the new code into a scratch database and
compared with the live tables, row by row.

The live tables and each projection's position are read in one read-only transaction (on
PostgreSQL a repeatable-read snapshot, so a projector running meanwhile changes nothing that is
read). Each projection is rebuilt from the live log up to the position its live tables stand at
(projections at the same position in one pass), into a database created for the purpose and
dropped after: a PostgreSQL database beside the live one, or a SQLite file in a temporary
folder. Nothing is written to the live database.
"""

# ruff: noqa: S608 - SQL built from declared table and column names

from __future__ import annotations

import tempfile
from collections import defaultdict
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from uuid import uuid4

import psycopg
from psycopg.conninfo import make_conninfo

from aggregates.application import Routes
from projections.batch import BatchProjection, Together
from projections.catalog import PROJECTIONS, datastore_of, open_projection
from projections.runner import CATCH_UP, Runner
from projections.tables import Db, Key, Table, normalise_row
from projections.view import columns_of, transaction_on
from workers.shadow.findings import Finding

SHOWN_PER_TABLE = 200
"""Rows named per table; past that, one finding counts the rest."""

Rows = dict[Key, dict[str, Any]]


@dataclass
class Tables:
    """Each projection's position and the rows of its own tables, as read in one transaction
    (only the columns the new code declares and the database has)."""

    positions: dict[str, int] = field(default_factory=dict)
    rows: dict[str, Rows] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    """What the deploy will change besides (a table or columns to add: it is rebuilt)."""


def read_tables(datastore: Any, application_name: str) -> Tables:
    """The projections' positions and tables in `datastore`, in one read-only transaction; a
    projection that never ran there is left out, with a note."""
    read = Tables()
    with transaction_on(datastore, commit=False) as db:
        if db.dialect == "postgres":
            db.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        for name, cls in PROJECTIONS.items():
            tracking = f"iom_{name}_tracking"
            if not columns_of(db, tracking):
                read.notes.append(f"проекция «{name}» здесь не ведётся: сравнивать не с чем")
                continue
            found = db.fetchall(
                f"SELECT notification_id FROM {tracking} WHERE application_name = %s",
                (application_name,),
            )
            read.positions[name] = int(found[0]["notification_id"]) if found else 0
            for table in cls.tables:
                read.rows[table.name] = _rows(db, table, read.notes)
    return read


def _rows(db: Db, table: Table, notes: list[str]) -> Rows:
    """The table's rows by key, in the columns both the declaration and the table have."""
    present = columns_of(db, table.name)
    if not present:
        notes.append(f"таблицы {table.name} нет: при развёртывании она будет построена из журнала")
        return {}
    missing = [name for name in table.names if name not in present]
    if missing:
        notes.append(
            f"в таблице {table.name} нет столбцов {', '.join(missing)}: при развёртывании она"
            " будет пересобрана из журнала (сравнены остальные столбцы)"
        )
    names = [name for name in table.names if name in present]
    rows = db.fetchall(f"SELECT {', '.join(names)} FROM {table.name}")
    found: Rows = {}
    for row in rows:
        normal = normalise_row(table.kinds, row)
        found[tuple(normal[k] for k in table.key)] = normal
    return found


def rebuild_into(live: Routes, scratch: Routes, positions: Mapping[str, int]) -> Tables:
    """Each projection rebuilt by this code from the live log, up to its live position, in the
    scratch store; its tables as read there."""
    store = datastore_of(scratch)
    groups: defaultdict[int, list[BatchProjection]] = defaultdict(list)
    for name, position in positions.items():
        groups[position].append(open_projection(live, name, datastore=store))
    for position, projections in groups.items():
        Runner(live, Together(projections), options=CATCH_UP).run(until=position)
    return read_tables(store, live.name)


@contextmanager
def scratch_store(live: Routes) -> Iterator[Routes]:
    """An empty store of the live one's kind, for the rebuilt projections: a PostgreSQL
    database created beside the live one (on the same server, by the same user), or a SQLite
    file in a temporary folder; dropped on the way out."""
    env = {str(k): str(v) for k, v in live.env.items()} | {"CREATE_TABLE": "yes"}
    if env.get("PERSISTENCE_MODULE") == "eventsourcing.sqlite":
        with tempfile.TemporaryDirectory(prefix="iom-shadow-") as folder:
            scratch = Routes(
                env | {"SQLITE_DBNAME": str(Path(folder) / "shadow.sqlite3")},
                profiles=live.profiles,
            )
            try:
                yield scratch
            finally:
                scratch.close()
        return
    server = make_conninfo(
        host=env["POSTGRES_HOST"],
        port=env["POSTGRES_PORT"],
        user=env["POSTGRES_USER"],
        password=env.get("POSTGRES_PASSWORD", ""),
        dbname=env["POSTGRES_DBNAME"],
        connect_timeout=env.get("POSTGRES_CONNECT_TIMEOUT", "10"),
    )
    name = f"iom_shadow_{uuid4().hex[:12]}"
    with psycopg.connect(server, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        scratch = Routes(env | {"POSTGRES_DBNAME": name}, profiles=live.profiles)
        try:
            yield scratch
        finally:
            scratch.close()
    finally:
        with psycopg.connect(server, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def compare_tables(live: Tables, rebuilt: Tables) -> list[Finding]:
    """Every row that differs between the live and the rebuilt tables, by table and route."""
    found: list[Finding] = []
    for name in live.positions:
        for table in PROJECTIONS[name].tables:
            found += _compare(table, live.rows.get(table.name, {}), rebuilt.rows[table.name])
    return found


def _compare(table: Table, live: Rows, rebuilt: Rows) -> list[Finding]:
    found: list[Finding] = []
    differing = 0
    for key in sorted(set(live) | set(rebuilt), key=str):
        old, new = live.get(key), rebuilt.get(key)
        columns = [c for c in new if c in old and old[c] != new[c]] if old and new else []
        if old and new and not columns:  # a column only one side has: see `Tables.notes`
            continue
        differing += 1
        if len(found) == SHOWN_PER_TABLE:
            continue
        row = new if new is not None else old
        assert row is not None
        route = str(row["route_id"]) if "route_id" in row else None
        shown = ", ".join(str(k) for k in key)
        if old is None:
            detail = f"строка ({shown}) есть в пересобранной, нет в рабочей"
        elif new is None:
            detail = f"строка ({shown}) есть в рабочей, нет в пересобранной"
        else:
            changes = "; ".join(
                f"{c}: в рабочей «{old[c]}», пересобрано «{new[c]}»" for c in columns
            )
            detail = f"строка ({shown}): {changes}"
        found.append(Finding("table", table.name, detail, route))
    if differing > len(found):
        more = differing - len(found)
        found.append(Finding("table", table.name, f"и ещё строк с расхождениями: {more}"))
    return found
