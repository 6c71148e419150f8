"""Materialised views: a projection's tables and its tracking position, written together.

Each view is the library's tracking recorder for its store (`PostgresTrackingRecorder`,
`SQLiteTrackingRecorder`) with the projection's tables beside its tracking table. `project()`
writes a batch's rows and calls the library's `_insert_tracking(cursor, tracking)` in ONE
transaction: either both are stored or neither, so an event is never counted twice nor missed.

Before writing, the transaction reads the tracked position (on PostgreSQL locking its row) and
refuses to go on unless it is the position the batch continues from: a second processor, or a
rebuild that reset the view meanwhile, makes the batch fail (`StaleProjectionError`) instead of
applying events twice. Each projection has its own tracking table, `iom_<name>_tracking`, holding
one row: the application's name and the last notification id applied (0 before the first).
"""

# ruff: noqa: S608 - SQL built from declared table and column names; values are parameters

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any
from weakref import WeakKeyDictionary

import structlog
from eventsourcing.persistence import OperationalError, Tracking
from eventsourcing.postgres import PostgresDatastore, PostgresTrackingRecorder
from eventsourcing.sqlite import SQLiteCursor, SQLiteDatastore, SQLiteTrackingRecorder
from psycopg import Cursor
from psycopg.rows import DictRow
from psycopg.sql import SQL, Composed

from adapters.postgres import SCHEMA_CHANGE
from projections.tables import Db, Dialect, Table

MIGRATION = "__migration__"  # the library's marker row of a single-row tracking table
DDL_LOCK = SQL(SCHEMA_CHANGE)


class StaleProjectionError(RuntimeError):
    """The view's tracked position is not the one the batch continues from."""


@dataclass(frozen=True)
class ViewSpec:
    """What a view holds: its own tables (dropped by a rebuild), shared tables (only created),
    and the tracking row of the application it follows."""

    name: str
    tables: tuple[Table, ...]
    shared: tuple[Table, ...]
    application_name: str

    @property
    def tracking_table(self) -> str:
        """The projection's own tracking table."""
        return f"iom_{self.name}_tracking"

    def create(self, dialect: Dialect, *, indexes: bool = True) -> list[str]:
        """Every CREATE statement of the shared and own tables (their secondary indexes too,
        unless a rebuild creates them at the end)."""
        return [
            s
            for table in (*self.shared, *self.tables)
            for s in table.create(dialect, indexes=indexes or table in self.shared)
        ]

    def create_indexes(self, dialect: Dialect) -> list[str]:
        """The own tables' secondary indexes."""
        return [s for table in self.tables for s in table.create_indexes(dialect)]

    def drop(self) -> list[str]:
        """The DROP statements of the own tables and the tracking table."""
        return [table.drop() for table in self.tables] + [
            f"DROP TABLE IF EXISTS {self.tracking_table}"
        ]

    def clear(self) -> list[str]:
        """The statements that delete the projection's own rows from the shared tables that
        keep rows per projection (a `projection` column: its incidents, its held events)."""
        return [
            f"DELETE FROM {table.name} WHERE projection = %s"
            for table in self.shared
            if "projection" in table.kinds
        ]

    def start(self) -> str:
        """The statement that puts the tracking row at 0, if it is not there."""
        return (
            f"INSERT INTO {self.tracking_table} (application_name, notification_id) "
            "VALUES (%s, 0) ON CONFLICT (application_name) DO NOTHING"
        )

    def lock(self, db: Db) -> None:
        """Hold the tracking row until the transaction ends: a batch of this projection
        waits (SQLite: take the store's write lock)."""
        db.execute(
            f"UPDATE {self.tracking_table} SET notification_id = notification_id"
            " WHERE application_name = %s",
            (self.application_name,),
        )

    def check(self, db: Db, tracking: Tracking, expected: int | None) -> None:
        """Refuse the batch unless the view stands where it continues from (`expected`; with
        None, anywhere before the batch's last notification)."""
        lock = " FOR UPDATE" if db.dialect == "postgres" else ""
        rows = db.fetchall(
            f"SELECT notification_id FROM {self.tracking_table} WHERE application_name = %s{lock}",
            (self.application_name,),
        )
        found = rows[0]["notification_id"] if rows else None
        if found is None or (
            found != expected if expected is not None else found >= tracking.notification_id
        ):
            raise StaleProjectionError(
                f"projection {self.name} is at {found}, the batch continues from {expected}"
            )


Write = Callable[[Db], None]


class PostgresProjectionView(PostgresTrackingRecorder):
    """A projection's tables and tracking position in PostgreSQL."""

    dialect: Dialect = "postgres"

    def __init__(self, datastore: PostgresDatastore, spec: ViewSpec) -> None:
        self.spec = spec
        super().__init__(datastore, tracking_table_name=spec.tracking_table)
        self.tracking_statements = list(self.sql_create_statements)
        self.sql_create_statements.extend(Composed([SQL(s)]) for s in spec.create("postgres"))

    def _create_table(self, curs: Cursor[DictRow]) -> None:
        # Concurrent CREATE ... IF NOT EXISTS of one table can fail in PostgreSQL: serialise.
        curs.execute(DDL_LOCK)
        # Another process may have created the tables since `create_table()` looked.
        db = Db(curs, "postgres")
        name = f"{self.datastore.schema}.{self.spec.tracking_table}"
        if db.fetchall("SELECT to_regclass(%s) AS found", (name,))[0]["found"] is not None:
            self._found_tracking(self._max_tracking_id(MIGRATION, curs))
        super()._create_table(curs)
        db.execute(self.spec.start(), (self.spec.application_name,))

    def _found_tracking(self, migration: int | None) -> None:
        self.tracking_table_exists = True
        self.tracking_migration_previous = self.tracking_migration_current = migration

    @contextmanager
    def transaction(self, *, commit: bool) -> Iterator[Db]:
        """A transaction on the view's database (committed on exit if `commit`)."""
        with self.datastore.transaction(commit=commit) as curs:
            yield Db(curs, "postgres")

    def project(self, expected: int | None, tracking: Tracking, write: Write) -> None:
        """Write a batch's rows and its tracking position in one transaction."""
        with self.datastore.transaction(commit=True) as curs:
            db = Db(curs, "postgres")
            self.spec.check(db, tracking, expected)
            write(db)
            self._insert_tracking(curs, tracking)

    def position(self) -> int:
        """The last notification id applied (0 before the first)."""
        return int(self.max_tracking_id(self.spec.application_name) or 0)

    def reset(self, *, indexes: bool = True) -> None:
        """Drop the own tables and the position, and create them empty, in one transaction
        (without their secondary indexes if not `indexes`: see `create_indexes`)."""
        with self.datastore.transaction(commit=True) as curs:
            curs.execute(DDL_LOCK)
            db = Db(curs, "postgres")
            for statement in self.spec.drop():
                db.execute(statement)
            for composed in self.tracking_statements:
                curs.execute(composed)
            for statement in self.spec.create("postgres", indexes=indexes):
                db.execute(statement)
            self._insert_tracking(curs, Tracking(MIGRATION, 1))
            db.execute(self.spec.start(), (self.spec.application_name,))
            for statement in self.spec.clear():
                db.execute(statement, (self.spec.name,))

    def create_indexes(self) -> None:
        """Create the own tables' secondary indexes (after a rebuild loaded the rows)."""
        with self.datastore.transaction(commit=True) as curs:
            Db(curs, "postgres").change_schema(self.spec.create_indexes("postgres"))


class SQLiteProjectionView(SQLiteTrackingRecorder):
    """A projection's tables and tracking position in SQLite (one projector process assumed)."""

    dialect: Dialect = "sqlite"

    def __init__(self, datastore: SQLiteDatastore, spec: ViewSpec) -> None:
        self.spec = spec  # before the base class asks for the CREATE statements
        super().__init__(datastore)
        table = spec.tracking_table
        self.insert_tracking_statement = (
            f"INSERT INTO {table} VALUES (:application_name, :notification_id) "
            "ON CONFLICT (application_name) DO UPDATE SET notification_id = :notification_id "
            f"WHERE {table}.notification_id < :notification_id RETURNING notification_id"
        )
        self.select_max_tracking_id_statement = (
            f"SELECT MAX(notification_id) FROM {table} WHERE application_name=?"
        )

    def construct_create_table_statements(self) -> list[str]:
        """The tracking table (named for the projection) and the projection's tables."""
        return [self._tracking_statement(), *self.spec.create("sqlite")]

    def _tracking_statement(self) -> str:
        return (
            f"CREATE TABLE IF NOT EXISTS {self.spec.tracking_table} (application_name TEXT, "
            "notification_id INTEGER, PRIMARY KEY (application_name)) WITHOUT ROWID"
        )

    def _create_table(self, c: SQLiteCursor) -> None:
        # Another connection may have created the tables since `create_table()` looked.
        db = Db(c, "sqlite")
        found = db.fetchall(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name = %s",
            (self.spec.tracking_table,),
        )
        if found:
            self.tracking_table_exists = True
            self.tracking_migration_previous = self.tracking_migration_current = (
                self._max_tracking_id(MIGRATION, c)
            )
        super()._create_table(c)
        db.execute(self.spec.start(), (self.spec.application_name,))

    @contextmanager
    def transaction(self, *, commit: bool) -> Iterator[Db]:
        """A transaction on the view's database (committed on exit if `commit`)."""
        with self.datastore.transaction(commit=commit) as curs:
            yield Db(curs, "sqlite")

    def project(self, expected: int | None, tracking: Tracking, write: Write) -> None:
        """Write a batch's rows and its tracking position in one transaction."""
        with self.datastore.transaction(commit=True) as curs:
            db = Db(curs, "sqlite")
            # A write first: the transaction takes SQLite's write lock (waiting for it) before it
            # reads, instead of failing to upgrade a read that another writer overtook.
            db.execute(
                f"UPDATE {self.spec.tracking_table} SET notification_id = notification_id "
                "WHERE application_name = %s",
                (self.spec.application_name,),
            )
            self.spec.check(db, tracking, expected)
            write(db)
            self._insert_tracking(curs, tracking)

    def position(self) -> int:
        """The last notification id applied (0 before the first)."""
        return int(self.max_tracking_id(self.spec.application_name) or 0)

    def reset(self, *, indexes: bool = True) -> None:
        """Drop the own tables and the position, and create them empty, in one transaction
        (without their secondary indexes if not `indexes`: see `create_indexes`)."""
        with self.datastore.transaction(commit=True) as curs:
            db = Db(curs, "sqlite")
            for statement in self.spec.drop():
                db.execute(statement)
            db.execute(self._tracking_statement())
            for statement in self.spec.create("sqlite", indexes=indexes):
                db.execute(statement)
            self._insert_tracking(curs, Tracking(MIGRATION, 1))
            db.execute(self.spec.start(), (self.spec.application_name,))
            for statement in self.spec.clear():
                db.execute(statement, (self.spec.name,))

    def create_indexes(self) -> None:
        """Create the own tables' secondary indexes (after a rebuild loaded the rows)."""
        with self.datastore.transaction(commit=True) as curs:
            Db(curs, "sqlite").change_schema(self.spec.create_indexes("sqlite"))


ProjectionView = PostgresProjectionView | SQLiteProjectionView


def open_view(datastore: Any, spec: ViewSpec) -> ProjectionView:
    """The view for the store behind `datastore` (the Routes recorder's), its tables created;
    a view an earlier release made without one of its tables or columns starts again."""
    view: ProjectionView
    if isinstance(datastore, PostgresDatastore):
        view = PostgresProjectionView(datastore, spec)
    elif isinstance(datastore, SQLiteDatastore):
        view = SQLiteProjectionView(datastore, spec)
    else:
        raise TypeError(f"no projection view for {type(datastore).__name__}")
    with view.transaction(commit=False) as db:
        absent = [table.name for table in spec.tables if not columns_of(db, table.name)]
    # A table a later release added to a projection that already holds rows: it would miss
    # every route written before, so the whole view starts again (none there: a new view).
    added = absent if len(absent) < len(spec.tables) else []
    for attempt in range(50):
        try:
            view.create_table()
            break
        except OperationalError as error:  # SQLite: another connection was writing meanwhile
            if "locked" not in str(error) or attempt == 49:
                raise
            time.sleep(0.1)
    outdated = [*added, *outdated_tables(view)]
    if outdated:  # made by an earlier release: start again from the first event
        structlog.get_logger().warning(
            "projection.schema_changed", projection=view.spec.name, tables=outdated
        )
        view.reset()
    return view


def outdated_tables(view: ProjectionView) -> list[str]:
    """The view's own tables that lack a declared column (`CREATE TABLE IF NOT EXISTS` kept
    an earlier release's table): its rows cannot be written until the view is rebuilt."""
    with view.transaction(commit=False) as db:
        return [
            table.name
            for table in view.spec.tables
            if not set(table.names) <= columns_of(db, table.name)
        ]


def columns_of(db: Db, table: str) -> set[str]:
    """The columns the database's `table` has (none if it has no such table)."""
    if db.dialect == "postgres":
        query = (
            "SELECT column_name AS name FROM information_schema.columns "
            "WHERE table_schema = current_schema() AND table_name = %s"
        )
    else:
        query = "SELECT name FROM pragma_table_info(%s)"
    return {row["name"] for row in db.fetchall(query, (table,))}


@contextmanager
def transaction_on(datastore: Any, *, commit: bool) -> Iterator[Db]:
    """A transaction on either store's datastore, as a `Db`."""
    if isinstance(datastore, PostgresDatastore):
        with datastore.transaction(commit=commit) as curs:
            yield Db(curs, "postgres")
    elif isinstance(datastore, SQLiteDatastore):
        with datastore.transaction(commit=commit) as c:
            yield Db(c, "sqlite")
    else:
        raise TypeError(f"no transaction on {type(datastore).__name__}")


_SIDE_TABLES: WeakKeyDictionary[Any, set[str]] = WeakKeyDictionary()
"""The side tables (not derived from events) this process has created, per datastore."""


@contextmanager
def side_table(
    datastore: Any, name: str, statements: Callable[[Db], list[str]], *, commit: bool
) -> Iterator[Db]:
    """A transaction on the store's datastore in which the side table `name` exists: its
    `statements` (idempotent) run the first time this process meets the datastore."""
    created = _SIDE_TABLES.setdefault(datastore, set())
    if name not in created:
        with transaction_on(datastore, commit=True) as db:
            db.change_schema(statements(db))
        created.add(name)
    with transaction_on(datastore, commit=commit) as db:
        yield db
