"""Read-model tables on both stores: column kinds, the SQL each dialect needs, and a cursor that
speaks either.

Every table is declared once as a `Table`; the statements for SQLite and PostgreSQL follow from
it. PostgreSQL gets its native types (uuid, date, timestamptz, boolean); SQLite stores the same
values as text and integers. Rows read back are *normalised* to the same JSON-ready values on both
(ids and dates as ISO strings, times in UTC), so a query answers alike on either store.
"""

# ruff: noqa: S608 - SQL built from declared table and column names; values are parameters

from __future__ import annotations

import sqlite3
import zlib
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any, Literal
from uuid import UUID, uuid4

from adapters.postgres import SCHEMA_CHANGE

Dialect = Literal["sqlite", "postgres"]
Kind = Literal["text", "int", "bool", "real", "date", "time", "uuid", "blob"]

_TYPES: dict[Kind, tuple[str, str]] = {  # (SQLite, PostgreSQL)
    "text": ("TEXT", "TEXT"),
    "int": ("INTEGER", "BIGINT"),
    "bool": ("INTEGER", "BOOLEAN"),
    "real": ("REAL", "DOUBLE PRECISION"),
    "date": ("TEXT", "DATE"),
    "time": ("TEXT", "TIMESTAMPTZ"),
    "uuid": ("TEXT", "UUID"),
    "blob": ("BLOB", "BYTEA"),
}

MAX_NAME = 63
"""The longest identifier PostgreSQL keeps whole."""

ASC, DESC = " ASC", " DESC"
"""After an index column: the column as a listing orders it, ascending or descending, NULLs
last either way (see `Table.create_indexes`). A column without either is matched by equality."""

FILTERS = ("profile_id", "municipality_id", "school_id", "subject", "methodist_id", "teacher_id")
"""The filter columns every per-route table carries: region (profile id), municipality, school,
subject, methodist and teacher (the API scopes a teacher's lists by it). Ids only: never a
teacher's personal data."""


@dataclass(frozen=True)
class Column:
    """One column: its name, its kind, and its heading in a terminal table."""

    name: str
    kind: Kind
    title: str = ""


FILTER_COLUMNS = (
    Column("profile_id", "text", "регион"),
    Column("municipality_id", "text", "муниципалитет"),
    Column("school_id", "text", "ОО"),
    Column("subject", "text", "предмет"),
    Column("methodist_id", "text", "методист"),
    Column("teacher_id", "text", "педагог (id)"),
)
"""The `FILTERS` columns as every per-route table declares them."""


@dataclass(frozen=True)
class Table:
    """A read-model table: columns, primary key, indexes; `counters` tables hold sums that each
    batch adds to (their non-key columns are integers), rows of all zeros are removed."""

    name: str
    columns: tuple[Column, ...]
    key: tuple[str, ...]
    indexes: tuple[tuple[str, ...], ...] = ()
    counters: bool = False
    kinds: dict[str, Kind] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "kinds", {c.name: c.kind for c in self.columns})

    def __hash__(self) -> int:  # tables are keys of per-batch dicts: hash the name only
        return hash(self.name)

    @property
    def names(self) -> list[str]:
        """The column names, in order."""
        return [c.name for c in self.columns]

    @property
    def pg_types(self) -> list[str]:
        """The PostgreSQL type of each column, in order (a binary COPY names them)."""
        return [_TYPES[c.kind][1].lower() for c in self.columns]

    @property
    def values(self) -> list[str]:
        """The non-key column names, in order."""
        return [c.name for c in self.columns if c.name not in self.key]

    def create(self, dialect: Dialect, *, indexes: bool = True) -> list[str]:
        """CREATE TABLE (and CREATE INDEX) statements, idempotent."""
        position = 0 if dialect == "sqlite" else 1
        columns = ", ".join(f"{c.name} {_TYPES[c.kind][position]}" for c in self.columns)
        key = ", ".join(self.key)
        table = f"CREATE TABLE IF NOT EXISTS {self.name} ({columns}, PRIMARY KEY ({key}))"
        return [table, *(self.create_indexes(dialect) if indexes else [])]

    def create_indexes(self, dialect: Dialect) -> list[str]:
        """CREATE INDEX statements of the secondary indexes, idempotent. Each ordered column
        (`name ASC`, `name DESC`) is indexed in the order a listing reads it (`ordered`), so
        that a page is read off the index without a sort."""
        return [
            f"CREATE INDEX IF NOT EXISTS {self.index_name(index)} ON {self.name} ("
            + ", ".join(ordered(c, dialect) for c in index)
            + ")"
            for index in self.indexes
        ]

    def index_name(self, index: Sequence[str]) -> str:
        """An index's name: the table's and the columns' (`_desc` after a descending one), or,
        past PostgreSQL's 63 bytes (where a longer name is cut, and two cut alike would be
        taken for one), a digest of the columns in their place."""
        columns = "_".join(c.removesuffix(ASC).replace(DESC, "_desc") for c in index)
        name = f"{self.name}_{columns}_idx"
        if len(name) <= MAX_NAME:
            return name
        digest = ",".join(c.removesuffix(ASC) for c in index)
        return f"{self.name}_{zlib.crc32(digest.encode()):08x}_idx"

    def select(
        self,
        db: Db,
        filters: Filters,
        order_by: str,
        limit: int | None,
        allowed: Sequence[str] = (*FILTERS, "route_id"),
    ) -> list[dict[str, Any]]:
        """The rows that match `filters` (on the `allowed` columns), in order, normalised."""
        where, params = filters.where(allowed)
        text = f"SELECT * FROM {self.name}{where} ORDER BY {order_by}" + limit_clause(limit)
        return [normalise_row(self.kinds, row) for row in db.fetchall(text, params)]

    def drop(self) -> str:
        """DROP TABLE."""
        return f"DROP TABLE IF EXISTS {self.name}"

    def upsert(self) -> str:
        """Insert a whole row, or replace the values of the row with its key."""
        return self.insert() + self._on_conflict(add=False)

    def insert(self) -> str:
        """Insert a whole row (a duplicate key is an error)."""
        marks = ", ".join(["%s"] * len(self.columns))
        return f"INSERT INTO {self.name} ({', '.join(self.names)}) VALUES ({marks})"

    def delete(self) -> str:
        """Delete the row with a key."""
        return f"DELETE FROM {self.name} WHERE " + " AND ".join(f"{k} = %s" for k in self.key)

    def increment(self) -> str:
        """Add a vector to a counters row (created at zero)."""
        return self.insert() + self._on_conflict(add=True)

    def merge(self, source: str, mode: Literal["upsert", "add", "insert"]) -> str:
        """Move every row of `source` (a table of the same columns) into this table, as
        `upsert()`, `increment()` or `insert()` would one by one."""
        names = ", ".join(self.names)
        statement = f"INSERT INTO {self.name} ({names}) SELECT {names} FROM {source}"
        return statement if mode == "insert" else statement + self._on_conflict(mode == "add")

    def _on_conflict(self, add: bool) -> str:
        """The clause that makes an insert an upsert: each value replaced, or `add`ed to."""
        updates = ", ".join(
            f"{n} = {self.name}.{n} + excluded.{n}" if add else f"{n} = excluded.{n}"
            for n in self.values
        )
        return f" ON CONFLICT ({', '.join(self.key)}) DO UPDATE SET {updates}"

    def prune(self) -> str:
        """Delete a counters row that holds only zeros (so live and rebuilt tables agree)."""
        keys = " AND ".join(f"{k} = %s" for k in self.key)
        zeros = " AND ".join(f"{n} = 0" for n in self.values)
        return f"DELETE FROM {self.name} WHERE {keys} AND {zeros}"


Key = tuple[Any, ...]
Row = tuple[Any, ...]

COPY_FROM = 64
"""Rows from which a PostgreSQL write goes through COPY."""


def _utc_text(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat()


_SQLITE: dict[type, Callable[[Any], Any]] = {
    datetime: _utc_text,
    date: date.isoformat,
    UUID: str,
    bool: int,
}


def adapt(value: Any) -> Any:
    """A Python value as SQLite stores it (PostgreSQL takes the values as they are)."""
    convert = _SQLITE.get(type(value))
    return value if convert is None else convert(value)


def _to_date(value: Any) -> Any:
    return value.isoformat() if isinstance(value, date) else value


def _to_time(value: Any) -> Any:
    return value.astimezone(UTC).isoformat() if isinstance(value, datetime) else value


_NORMAL: dict[Kind, Callable[[Any], Any]] = {
    "bool": bool,
    "uuid": str,
    "text": str,
    "date": _to_date,
    "time": _to_time,
    "real": float,
    "int": int,
    "blob": bytes,
}


def normalise(kind: Kind, value: Any) -> Any:
    """A stored value as JSON-ready data, the same from either store."""
    return None if value is None else _NORMAL[kind](value)


class Db:
    """A cursor inside a transaction of either store: statements are written with `%s` marks."""

    def __init__(self, cursor: Any, dialect: Dialect) -> None:
        self.cursor = cursor
        self.dialect: Dialect = dialect

    def _sql(self, text: str) -> str:
        return text if self.dialect == "postgres" else text.replace("%s", "?")

    def _params(self, params: Sequence[Any]) -> Sequence[Any]:
        return params if self.dialect == "postgres" else [adapt(p) for p in params]

    def execute(self, text: str, params: Sequence[Any] = ()) -> None:
        """Run one statement."""
        self.cursor.execute(self._sql(text), self._params(params))

    def change_schema(self, statements: Iterable[str]) -> None:
        """Run DDL statements, on PostgreSQL under the engine's schema lock (one change at a
        time: processes starting together would otherwise race on the catalogue)."""
        if self.dialect == "postgres":
            self.execute(SCHEMA_CHANGE)
        for statement in statements:
            self.execute(statement)

    def executemany(self, text: str, rows: Sequence[Sequence[Any]]) -> None:
        """Run one statement for each row (nothing when there are no rows)."""
        if rows:
            self.cursor.executemany(self._sql(text), [self._params(r) for r in rows])

    def write(
        self, table: Table, rows: Sequence[Sequence[Any]], mode: Literal["upsert", "add", "insert"]
    ) -> None:
        """Write whole rows: upsert them, add them to counters, or insert them. On PostgreSQL a
        large batch goes through a binary COPY (several times faster than a statement per row):
        inserts straight into the table, upserts and sums into a session-local staging table
        merged by one INSERT … SELECT. Otherwise a statement per row."""
        if not rows:
            return
        if self.dialect == "postgres" and len(rows) >= COPY_FROM:
            if mode == "insert":
                self._copy(table, table.name, rows)
                return
            names = ", ".join(table.names)
            stage = f"iom_stage_{table.name}_{zlib.crc32(names.encode()):08x}"
            self.cursor.execute(
                f"CREATE TEMP TABLE IF NOT EXISTS {stage} (LIKE {table.name}) ON COMMIT DELETE ROWS"
            )
            self._copy(table, stage, rows)
            self.cursor.execute(f"{table.merge(stage, mode)}; TRUNCATE {stage}")
            return
        statement = {"upsert": table.upsert, "add": table.increment, "insert": table.insert}
        self.executemany(statement[mode](), rows)

    def _copy(self, table: Table, target: str, rows: Sequence[Sequence[Any]]) -> None:
        """Rows of `table` into `target` (the table or its stage) by one binary COPY."""
        with self.cursor.copy(
            f"COPY {target} ({', '.join(table.names)}) FROM STDIN (FORMAT BINARY)"
        ) as copy:
            copy.set_types(table.pg_types)
            for row in rows:
                copy.write_row(row)

    def rowcount(self) -> int:
        """The rows the last statement changed (eventsourcing's SQLite cursor wraps the
        driver's)."""
        return int(getattr(self.cursor, "sqlite_cursor", self.cursor).rowcount)

    def fetchall(self, text: str, params: Sequence[Any] = ()) -> list[dict[str, Any]]:
        """Run a query; its rows as dicts."""
        self.execute(text, params)
        return [as_dict(row) for row in self.cursor.fetchall()]

    def stream(
        self, text: str, params: Sequence[Any] = (), size: int = 5000
    ) -> Iterator[dict[str, Any]]:
        """Run a query; its rows as dicts, fetched `size` at a time: the result is never all in
        memory (on PostgreSQL through a cursor declared in the transaction). Read one stream at
        a time per `Db`."""
        if self.dialect == "postgres":
            name = f"iom_stream_{uuid4().hex[:12]}"
            self.execute(f"DECLARE {name} NO SCROLL CURSOR FOR {text}", params)
            while rows := self.fetchall(f"FETCH FORWARD {int(size)} FROM {name}"):
                yield from rows
            self.execute(f"CLOSE {name}")
            return
        self.execute(text, params)
        cursor = getattr(self.cursor, "sqlite_cursor", self.cursor)
        while rows := cursor.fetchmany(size):
            yield from (as_dict(row) for row in rows)

    def among(self, column: str, values: Iterable[Any]) -> tuple[str, list[Any]]:
        """A condition `column` is one of `values`, and its parameters."""
        items = list(values)
        if self.dialect == "postgres":
            return f"{column} = ANY(%s)", [items]
        return f"{column} IN ({', '.join(['%s'] * len(items))})", items


def as_dict(row: Any) -> dict[str, Any]:
    """A row of either driver as a dict."""
    if isinstance(row, sqlite3.Row):
        return dict(zip(row.keys(), tuple(row), strict=True))
    if isinstance(row, Mapping):
        return dict(row)
    raise TypeError(f"unexpected row type {type(row).__name__}")


def normalise_row(kinds: Mapping[str, Kind], row: Mapping[str, Any]) -> dict[str, Any]:
    """A fetched row as JSON-ready data; columns of no declared kind pass as they are."""
    return {
        name: normalise(kinds[name], value) if name in kinds else value
        for name, value in row.items()
    }


def limit_clause(limit: int | None) -> str:
    """` LIMIT n`, or nothing for every row."""
    return f" LIMIT {int(limit)}" if limit is not None else ""


@dataclass(frozen=True)
class Filters:
    """The filters of a monitoring query; each names a column every filtered table carries."""

    profile_id: str | None = None
    municipality_id: str | None = None
    school_id: str | None = None
    methodist_id: str | None = None
    subject: str | None = None
    route_id: UUID | None = None
    teacher_id: str | None = None

    def given(self) -> dict[str, Any]:
        """The filters that were given, by column."""
        return {k: v for k, v in self.__dict__.items() if v is not None}

    def where(self, allowed: Sequence[str], alias: str = "") -> tuple[str, list[Any]]:
        """A WHERE clause (or "") and its parameters; a filter the query cannot apply is an
        error naming it."""
        given = self.given()
        refused = sorted(set(given) - set(allowed))
        if refused:
            raise UnsupportedFilterError(refused)
        prefix = f"{alias}." if alias else ""
        if not given:
            return "", []
        clause = " AND ".join(f"{prefix}{column} = %s" for column in given)
        return f" WHERE {clause}", list(given.values())


class UnsupportedFilterError(ValueError):
    """A filter was given that the asked table does not carry."""

    def __init__(self, columns: list[str]) -> None:
        self.columns = columns
        super().__init__(", ".join(columns))


Sort = tuple[tuple[str, bool], ...]
"""A sort order: (column, descending) pairs, NULLs last either way."""


class BadPageError(ValueError):
    """A sort column the list does not sort by, or a position that does not fit its order."""


_TYPED: dict[Kind, Callable[[Any], Any]] = {
    "text": str,
    "int": int,
    "real": float,
    "bool": bool,
    "uuid": lambda v: UUID(str(v)),
    "date": lambda v: date.fromisoformat(str(v)),
    "time": lambda v: datetime.fromisoformat(str(v)),
}


def typed(kind: Kind, value: Any) -> Any:
    """A normalised value (as `normalise` gives it) as the Python value the store compares."""
    if value is None:
        return None
    if (kind in ("int", "real") and isinstance(value, bool)) or kind == "blob":
        raise BadPageError(f"no {kind} position")
    if kind == "bool" and not isinstance(value, bool):
        raise BadPageError("not a boolean")
    if kind in ("int", "real") and not isinstance(value, int | float):
        raise BadPageError("not a number")
    try:
        return _TYPED[kind](value)
    except (TypeError, ValueError) as error:
        raise BadPageError(str(error)) from None


def keyset(order: Sort, after: Sequence[Any]) -> tuple[str, list[Any]]:
    """The condition "strictly after `after`" (the last row's values of the `order` columns) in
    that order with NULLs last, and its parameters: row by row, the first column that differs
    decides."""
    alternatives: list[str] = []
    params: list[Any] = []
    equal: list[str] = []
    equal_params: list[Any] = []
    for (column, descending), value in zip(order, after, strict=True):
        if value is None:  # nothing sorts after NULL (NULLs last); equal means NULL too
            equal.append(f"{column} IS NULL")
            continue
        beyond = f"({column} {'<' if descending else '>'} %s OR {column} IS NULL)"
        alternatives.append("(" + " AND ".join([*equal, beyond]) + ")")
        params += [*equal_params, value]
        equal.append(f"{column} = %s")
        equal_params.append(value)
    return ("(" + " OR ".join(alternatives) + ")" if alternatives else "1 = 0"), params


@dataclass(frozen=True)
class Listing:
    """A read model as the API pages through it, by keyset: where its rows come from (a table,
    or a parenthesised SELECT with an alias), the filters it takes, the columns it sorts by,
    its default order and its unique key, which ends every order so that it is total. A page
    continues strictly after the last row of the one before, so rows inserted meanwhile never
    shift it: none is shown twice, none skipped that was there all along."""

    source: str
    kinds: Mapping[str, Kind]
    filters: tuple[str, ...]
    sortable: tuple[str, ...]
    default: Sort
    key: tuple[str, ...]
    finish: Callable[[dict[str, Any]], dict[str, Any]] | None = None

    def order(self, sort: Sort = ()) -> Sort:
        """`sort` (or the default), its key's columns appended: a total order."""
        chosen = sort or self.default
        refused = [column for column, _ in chosen if column not in self.sortable]
        if refused:
            raise BadPageError(f"not sortable by {', '.join(refused)}")
        return total_order(chosen, self.key)

    def position(self, order: Sort, row: Mapping[str, Any]) -> list[Any]:
        """Where `row` stands in `order`: its values of the order's columns (JSON-ready)."""
        return [row[column] for column, _ in order]

    def select(
        self,
        db: Db,
        filters: Filters,
        sort: Sort = (),
        after: Sequence[Any] | None = None,
        limit: int | None = None,
    ) -> list[dict[str, Any]]:
        """The rows that match `filters`, in `sort` order (the default), after the position
        `after` (one value per column of `order(sort)`), at most `limit`, normalised."""
        text, params = self.query(db.dialect, filters, sort, after, limit)
        rows = [normalise_row(self.kinds, row) for row in db.fetchall(text, params)]
        return [self.finish(row) for row in rows] if self.finish else rows

    def query(
        self,
        dialect: Dialect,
        filters: Filters,
        sort: Sort = (),
        after: Sequence[Any] | None = None,
        limit: int | None = None,
    ) -> tuple[str, list[Any]]:
        """The SELECT of `select`, and its parameters."""
        order = self.order(sort)
        where, params = filters.where(self.filters)
        if after is not None:
            if len(after) != len(order):
                raise BadPageError("the position does not fit the order")
            values = [typed(self.kinds[c], v) for (c, _), v in zip(order, after, strict=True)]
            seek, more = keyset(order, values)
            where = f"{where} AND {seek}" if where else f" WHERE {seek}"
            params += more
        terms = ", ".join(ordered(directed(c, d, self.key), dialect) for c, d in order)
        text = f"SELECT * FROM {self.source}{where} ORDER BY {terms}" + limit_clause(limit)
        return text, params


def total_order(sort: Sort, key: Sequence[str]) -> Sort:
    """`sort`, the columns of `key` it does not name appended (ascending): a total order."""
    named = {column for column, _ in sort}
    return (*sort, *((k, False) for k in key if k not in named))


def keyset_index(sort: Sort, key: Sequence[str], region: str = "profile_id") -> tuple[str, ...]:
    """The index a listing held to one region pages through in `sort` order by keyset: the
    region, then the columns of the total order (`total_order`), each in its direction (see
    `Table.create_indexes`), so that a page is read off the index without a sort."""
    columns = {region: region}
    for column, descending in total_order(sort, key):
        columns.setdefault(column, directed(column, descending, key))
    return tuple(columns.values())


def directed(column: str, descending: bool, key: Sequence[str]) -> str:
    """An ordered column as an index declares it: `name DESC` or `name ASC`, NULLs last; a
    column of the primary key, never NULL, as it is."""
    if descending:
        return column + DESC
    return column if column in key else column + ASC


def ordered(column: str, dialect: Dialect) -> str:
    """An index column or an ORDER BY term (`name`, `name ASC`, `name DESC`) in the order a
    listing reads it, NULLs last. PostgreSQL is told so (its ascending order already puts them
    last). SQLite's NULLs are the smallest values: descending already puts them last, and
    ascending with NULLs last is `name IS NULL, name`, which an index of the same expressions
    serves (SQLite sorts for `NULLS LAST` whatever the index)."""
    if column.endswith(DESC):
        return f"{column} NULLS LAST" if dialect == "postgres" else column
    if column.endswith(ASC):
        name = column.removesuffix(ASC)
        return name if dialect == "postgres" else f"{name} IS NULL, {name}"
    return column


def keyset_indexes(
    sortable: Sequence[str], default: Sort, key: Sequence[str]
) -> tuple[tuple[str, ...], ...]:
    """The indexes of a listing's orders held to one region: its default order and each
    sortable column's (`keyset_index`), leaving out what the primary key `key` serves (an
    index that is the start of it)."""
    wanted = [keyset_index(default, key), *(keyset_index(((c, False),), key) for c in sortable)]
    served = [index for index in dict.fromkeys(wanted) if tuple(key[: len(index)]) != index]
    return tuple(served)


def listing(table: Table, sortable: Sequence[str], default: Sort) -> Listing:
    """A table as a listing: its filter columns and route id as filters, its key."""
    filters = tuple(name for name in (*FILTERS, "route_id") if name in table.kinds)
    return Listing(table.name, table.kinds, filters, tuple(sortable), default, table.key)
