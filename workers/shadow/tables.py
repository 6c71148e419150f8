"""Shadow replay, part two: every projection rebuilt by the new code into a scratch database and
compared with the live tables, row by row.

The live side is read in one read-only transaction held open for the whole replay (on
PostgreSQL a repeatable-read snapshot, so a projector running meanwhile changes nothing that is
read): first each projection's position, last its tables. Each projection is rebuilt from the
live log up to the position its live tables stand at (projections at the same position in one
pass), into a database created for the purpose and dropped after: a PostgreSQL database beside
the live one, or a SQLite file in a temporary folder. Nothing is written to the live database.

Each table is compared as two streams ordered by its key (text in code-point order on both
stores, as Python orders it), merged a row at a time: the memory the comparison takes does not
grow with the tables (a million events' tables are millions of rows).
"""

# ruff: noqa: S608 - SQL built from declared table and column names

from __future__ import annotations

import tempfile
from collections.abc import Iterable, Iterator, Mapping
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

Row = dict[str, Any]
Rows = dict[Key, Row]


@dataclass
class Tables:
    """Each projection's position and the rows of its own tables (only the columns the new code
    declares and the database has), all in memory: for small stores and tests."""

    positions: dict[str, int] = field(default_factory=dict)
    rows: dict[str, Rows] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    """What the deploy will change besides (a table or columns to add: it is rebuilt)."""


@contextmanager
def snapshot(datastore: Any) -> Iterator[Db]:
    """A read-only transaction on `datastore`; on PostgreSQL a repeatable-read snapshot that
    may stay open while the replay works elsewhere (the store's idle-in-transaction timeout,
    meant for transactions left open by mistake, is lifted for it alone)."""
    with transaction_on(datastore, commit=False) as db:
        if db.dialect == "postgres":
            db.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            db.execute("SET LOCAL idle_in_transaction_session_timeout = 0")
        yield db


def read_positions(db: Db, application_name: str, notes: list[str]) -> dict[str, int]:
    """Each projection's position in `db`; a projection that never ran there is left out, with
    a note."""
    positions: dict[str, int] = {}
    for name in PROJECTIONS:
        tracking = f"iom_{name}_tracking"
        if not columns_of(db, tracking):
            notes.append(f"проекция «{name}» здесь не ведётся: сравнивать не с чем")
            continue
        found = db.fetchall(
            f"SELECT notification_id FROM {tracking} WHERE application_name = %s",
            (application_name,),
        )
        positions[name] = int(found[0]["notification_id"]) if found else 0
    return positions


def read_tables(datastore: Any, application_name: str) -> Tables:
    """The projections' positions and tables in `datastore`, in one read-only transaction."""
    read = Tables()
    with snapshot(datastore) as db:
        read.positions = read_positions(db, application_name, read.notes)
        for name in read.positions:
            for table in PROJECTIONS[name].tables:
                read.rows[table.name] = dict(table_rows(db, table, read.notes))
    return read


def table_rows(db: Db, table: Table, notes: list[str] | None = None) -> Iterator[tuple[Key, Row]]:
    """The table's rows by key, in key order (`order`), streamed, in the columns both the
    declaration and the table have (what is missing noted in `notes`)."""
    present = columns_of(db, table.name)
    if not present:
        if notes is not None:
            notes.append(
                f"таблицы {table.name} нет: при развёртывании она будет построена из журнала"
            )
        return
    missing = [name for name in table.names if name not in present]
    if missing and notes is not None:
        notes.append(
            f"в таблице {table.name} нет столбцов {', '.join(missing)}: при развёртывании она"
            " будет пересобрана из журнала (сравнены остальные столбцы)"
        )
    names = [name for name in table.names if name in present]
    text = "C" if db.dialect == "postgres" else "BINARY"
    keys = ", ".join(f'{k} COLLATE "{text}"' if table.kinds[k] == "text" else k for k in table.key)
    for row in db.stream(f"SELECT {', '.join(names)} FROM {table.name} ORDER BY {keys}"):
        normal = normalise_row(table.kinds, row)
        yield tuple(normal[k] for k in table.key), normal


def order(key: Key) -> tuple[tuple[bool, Any], ...]:
    """A key as both stores order it (`table_rows`): values in their natural, code-point
    order, a NULL (SQLite allows it in a key) first."""
    return tuple((value is not None, value) for value in key)


def rebuild_into(live: Routes, scratch: Routes, positions: Mapping[str, int]) -> None:
    """Each projection rebuilt by this code from the live log, up to its live position, in the
    scratch store."""
    store = datastore_of(scratch)
    groups: dict[int, list[BatchProjection]] = {}
    for name, position in positions.items():
        groups.setdefault(position, []).append(open_projection(live, name, datastore=store))
    for position, projections in groups.items():
        Runner(live, Together(projections), options=CATCH_UP).run(until=position)


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


def compare_tables(
    live: Db, rebuilt: Db, names: Iterable[str], notes: list[str], counts: dict[str, int]
) -> list[Finding]:
    """Every row that differs between the live and the rebuilt tables of the projections
    `names`, by table and route; each rebuilt table's rows counted into `counts`."""
    found: list[Finding] = []
    for name in names:
        for table in PROJECTIONS[name].tables:
            counts[table.name] = 0

            old = table_rows(live, table, notes)
            new = _counted(table_rows(rebuilt, table), counts, table.name)
            found += _compare(table, old, new)
    return found


def _counted(
    rows: Iterator[tuple[Key, Row]], counts: dict[str, int], name: str
) -> Iterator[tuple[Key, Row]]:
    for pair in rows:
        counts[name] += 1
        yield pair


def _merged(
    live: Iterator[tuple[Key, Row]], rebuilt: Iterator[tuple[Key, Row]]
) -> Iterator[tuple[Key, Row | None, Row | None]]:
    """The rows of both streams (each in key order) by key: the live row and the rebuilt one,
    `None` where a side has none."""
    old, new = next(live, None), next(rebuilt, None)
    while old is not None or new is not None:
        if new is None or (old is not None and order(old[0]) < order(new[0])):
            assert old is not None
            yield old[0], old[1], None
            old = next(live, None)
        elif old is None or order(new[0]) < order(old[0]):
            yield new[0], None, new[1]
            new = next(rebuilt, None)
        else:
            yield old[0], old[1], new[1]
            old, new = next(live, None), next(rebuilt, None)


def _compare(
    table: Table, live: Iterator[tuple[Key, Row]], rebuilt: Iterator[tuple[Key, Row]]
) -> list[Finding]:
    found: list[Finding] = []
    differing = 0
    for key, old, new in _merged(live, rebuilt):
        columns = [c for c in new if c in old and old[c] != new[c]] if old and new else []
        if old and new and not columns:  # a column only one side has: see the notes
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
