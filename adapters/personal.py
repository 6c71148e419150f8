"""The store of personal data (152-ФЗ): the teachers' information sheets and the cards of the
officials who sign (their values are `aggregates.personal`), kept apart from events.

The information sheet (информационная справка / сведения об авторе) never goes into an event:
events carry the teacher's id only. The sheet lives in three tables of its own, next to the event
store and in the same database:

- `iom_pd_keys`: one random 256-bit AES key per teacher. With a master key configured, each
  teacher key is stored wrapped (AES-GCM under the master key); the engine always configures
  one (`workers.pd_master`), and `protect` wraps keys an older engine stored raw. A stored
  key is one format byte followed by the key material: `0x00 + key` (plain) or
  `0x01 + nonce(12) + AES-GCM(key)` (wrapped; associated data `iom_pd_keys:<teacher id>`).
- `iom_pd_sheets`: the sheet as JSON, encrypted with the teacher's key (AES-GCM, a fresh 96-bit
  nonce per write, the teacher id as associated data).
- `iom_pd_erasures`: who destroyed whose data, when and why. No personal data.

Erasure is crypto-shredding: deleting the teacher's key row makes every copy of the sheet
unreadable for good, including the copies in old backups of the sheet table. Events and hash
chains stay intact and become anonymous. An erased teacher id is never written again.

The officials' cards (`OfficialsStore`) are kept the same way in three sibling tables,
`iom_pd_official_keys`, `iom_pd_official_cards` and `iom_pd_official_erasures`, keyed by the
official's portal id: one code (`SealedStore`) seals, opens and shreds both. They are apart
from the teachers' tables because a teacher's id and a portal user's id are two namespaces: an
official's erasure must never shred a teacher who happens to share the string.
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, ClassVar, Generic, Literal, Protocol, Self, TypeVar, cast

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from pydantic import TypeAdapter

from adapters.postgres import SCHEMA_CHANGE
from aggregates.personal import (
    OFFICIAL,
    TEACHER,
    Erasure,
    OfficialCard,
    OfficialRecord,
    PersonalDataErasedError,
    PersonalDataUnreadableError,
    PersonalRecord,
    Status,
    TeacherSheet,
)
from aggregates.values import (
    Actor,
    Ident,
    Role,
    as_stored,
)

if TYPE_CHECKING:
    from contextlib import AbstractContextManager

Dialect = Literal["sqlite", "postgres"]

KEY_FORMAT_PLAIN = 0x00
"""A stored teacher key that is the raw key (no master key configured)."""
KEY_FORMAT_WRAPPED = 0x01
"""A stored teacher key wrapped with the master key: nonce (12 bytes) and AES-GCM ciphertext."""

_NONCE_BYTES = 12
_KEY_BYTES = 32
_SUBJECT_ID: TypeAdapter[str] = TypeAdapter(Ident)
Card = TypeVar("Card", TeacherSheet, OfficialCard)


@dataclass(frozen=True)
class Kind:
    """Whose data a store holds: its tables (`<prefix>_keys`, `<prefix>_<cards>`,
    `<prefix>_erasures`), their id column, its advisory-lock space, and the genitive noun its
    refusals name the person by."""

    prefix: str
    cards: str
    id_column: str
    lock_space: int
    whose: str


TEACHERS = Kind("iom_pd", "sheets", "teacher_id", 0x494F4D50, TEACHER)  # "IOMP"
OFFICIALS = Kind("iom_pd_official", "cards", "official_id", 0x494F4D4F, OFFICIAL)  # "IOMO"


class _Cursor(Protocol):
    """The part of a DB-API cursor the store uses (sqlite3 via eventsourcing, psycopg 3)."""

    def execute(self, query: str, params: Sequence[object], /) -> object:
        """Run one statement with its parameters."""

    def fetchone(self) -> object:
        """The next row, or None."""

    def fetchall(self) -> object:
        """The remaining rows."""


class Datastore(Protocol):
    """An eventsourcing datastore: `SQLiteDatastore` or `PostgresDatastore`."""

    def transaction(self, *, commit: bool) -> AbstractContextManager[_Cursor]:
        """A cursor in a transaction, committed on exit if `commit`, else rolled back."""


def _as_dict(row: object) -> dict[str, object] | None:
    """A result row as a dict: psycopg's rows are dicts already, sqlite3's are `sqlite3.Row`."""
    if row is None:
        return None
    if isinstance(row, sqlite3.Row):
        return dict(zip(row.keys(), tuple(row), strict=True))
    if isinstance(row, Mapping):
        return {str(key): value for key, value in row.items()}
    raise TypeError(f"unexpected row type {type(row).__name__}")


def _rows(rows: object) -> list[dict[str, object]]:
    if not isinstance(rows, Iterable):
        raise TypeError(f"unexpected result type {type(rows).__name__}")
    return [row for row in map(_as_dict, rows) if row is not None]


def _bytes(value: object) -> bytes:
    if isinstance(value, bytes | bytearray | memoryview):
        return bytes(value)
    raise TypeError(f"expected bytes from the database, got {type(value).__name__}")


def _str(value: object) -> str:
    if isinstance(value, str):
        return value
    raise TypeError(f"expected text from the database, got {type(value).__name__}")


def _utc_now() -> datetime:
    return datetime.now(UTC)


class _Statements:
    """Every statement of the store, for one dialect and schema.

    The templates are constants; only the placeholder style, the binary column type and the
    (quoted) schema are filled in. Values always travel as parameters.
    """

    CREATE_KEYS = (
        "CREATE TABLE IF NOT EXISTS {keys} ({id} TEXT PRIMARY KEY, wrapped_key {blob} NOT NULL)"
    )
    CREATE_SHEETS = (
        "CREATE TABLE IF NOT EXISTS {sheets} ({id} TEXT PRIMARY KEY, nonce {blob} NOT NULL, "
        "ciphertext {blob} NOT NULL, updated_at TEXT NOT NULL)"
    )
    CREATE_ERASURES = (
        "CREATE TABLE IF NOT EXISTS {erasures} ({id} TEXT PRIMARY KEY, "
        "erased_at TEXT NOT NULL, actor_id TEXT NOT NULL, actor_role TEXT NOT NULL, "
        "reason TEXT NOT NULL)"
    )
    INSERT_KEY = (
        "INSERT INTO {keys} ({id}, wrapped_key) VALUES ({p}, {p}) ON CONFLICT ({id}) DO NOTHING"
    )
    SELECT_KEY = "SELECT wrapped_key FROM {keys} WHERE {id} = {p}"
    DELETE_KEY = "DELETE FROM {keys} WHERE {id} = {p}"
    UPSERT_SHEET = (
        "INSERT INTO {sheets} ({id}, nonce, ciphertext, updated_at) "
        "VALUES ({p}, {p}, {p}, {p}) ON CONFLICT ({id}) DO UPDATE SET "
        "nonce = excluded.nonce, ciphertext = excluded.ciphertext, "
        "updated_at = excluded.updated_at"
    )
    DELETE_SHEET = "DELETE FROM {sheets} WHERE {id} = {p}"
    # One statement, so one snapshot: never a key from before an erasure and a sheet after.
    SELECT_RECORD = (
        "SELECT e.erased_at, k.wrapped_key, s.nonce, s.ciphertext "
        "FROM (SELECT CAST({p} AS TEXT) AS subject_id) AS t "
        "LEFT JOIN {erasures} AS e ON e.{id} = t.subject_id "
        "LEFT JOIN {keys} AS k ON k.{id} = t.subject_id "
        "LEFT JOIN {sheets} AS s ON s.{id} = t.subject_id"
    )
    INSERT_ERASURE = (
        "INSERT INTO {erasures} ({id}, erased_at, actor_id, actor_role, reason) "
        "VALUES ({p}, {p}, {p}, {p}, {p}) ON CONFLICT ({id}) DO NOTHING"
    )
    SELECT_ERASURE = (
        "SELECT {id} AS subject_id, erased_at, actor_id, actor_role, reason "
        "FROM {erasures} WHERE {id} = {p}"
    )
    SELECT_ERASED_IDS = "SELECT {id} AS subject_id FROM {erasures}"
    # A raw key is its format byte and 32 bytes; a wrapped one is longer (nonce and tag).
    SELECT_RAW_KEYS = (
        "SELECT {id} AS subject_id, wrapped_key FROM {keys} WHERE length(wrapped_key) = 33"
    )
    REPLACE_KEY = "UPDATE {keys} SET wrapped_key = {p} WHERE {id} = {p} AND wrapped_key = {p}"
    # PostgreSQL only: a transaction-scoped lock per person, in a namespace of its own.
    LOCK_SUBJECT = "SELECT pg_advisory_xact_lock({lock_space}, hashtext({p}))"

    def __init__(self, kind: Kind, dialect: Dialect, schema: str) -> None:
        prefix = "" if dialect == "sqlite" else '"' + schema.replace('"', '""') + '".'
        self.keys_table = f"{prefix}{kind.prefix}_keys"
        self.sheets_table = f"{prefix}{kind.prefix}_{kind.cards}"
        self.erasures_table = f"{prefix}{kind.prefix}_erasures"
        names = {
            "id": kind.id_column,
            "keys": self.keys_table,
            "sheets": self.sheets_table,
            "erasures": self.erasures_table,
            "p": "?" if dialect == "sqlite" else "%s",
            "blob": "BLOB" if dialect == "sqlite" else "BYTEA",
            "lock_space": str(kind.lock_space),
        }

        def fill(template: str) -> str:
            return template.format_map(names)

        self.create = tuple(map(fill, (self.CREATE_KEYS, self.CREATE_SHEETS, self.CREATE_ERASURES)))
        self.insert_key = fill(self.INSERT_KEY)
        self.select_key = fill(self.SELECT_KEY)
        self.delete_key = fill(self.DELETE_KEY)
        self.upsert_sheet = fill(self.UPSERT_SHEET)
        self.delete_sheet = fill(self.DELETE_SHEET)
        self.select_record = fill(self.SELECT_RECORD)
        self.insert_erasure = fill(self.INSERT_ERASURE)
        self.select_erasure = fill(self.SELECT_ERASURE)
        self.select_erased_ids = fill(self.SELECT_ERASED_IDS)
        self.select_raw_keys = fill(self.SELECT_RAW_KEYS)
        self.replace_key = fill(self.REPLACE_KEY)
        self.lock_subject = fill(self.LOCK_SUBJECT) if dialect == "postgres" else None


class SealedStore(Generic[Card]):
    """Cards of one kind of person (`KIND`), each encrypted with the person's own key
    (crypto-shredding): the code both stores share. `PersonalDataStore` holds the teachers'
    sheets, `OfficialsStore` the officials' cards.

    It shares the event store's database through the eventsourcing datastore (its connection
    pool and transactions). Call `create_tables()` once before use.
    """

    KIND: ClassVar[Kind]
    CARD: ClassVar[type[TeacherSheet | OfficialCard]]

    def __init__(
        self,
        datastore: Datastore,
        dialect: Dialect,
        master_key: bytes | None = None,
        *,
        clock: Callable[[], datetime] = _utc_now,
        schema: str = "public",
    ) -> None:
        """Use `datastore` (of `dialect`) for the tables.

        `master_key` (32 bytes) wraps every person's key before it is stored; `clock` gives the
        aware time of writes and erasures; `schema` is the PostgreSQL schema of the tables
        (ignored on SQLite).
        """
        if dialect not in ("sqlite", "postgres"):
            raise ValueError(f"dialect: expected 'sqlite' or 'postgres', got {dialect!r}")
        if master_key is not None and len(master_key) != _KEY_BYTES:
            raise ValueError(f"master_key: expected {_KEY_BYTES} bytes, got {len(master_key)}")
        self.datastore = datastore
        self.dialect: Dialect = dialect
        self.clock = clock
        self._master = AESGCM(master_key) if master_key is not None else None
        self._sql = _Statements(self.KIND, dialect, schema)
        self.keys_table = self._sql.keys_table
        self.sheets_table = self._sql.sheets_table
        self.erasures_table = self._sql.erasures_table

    @classmethod
    def from_recorder(cls, recorder: object, master_key: bytes | None = None) -> Self:
        """The store in the database of an eventsourcing recorder (e.g. `app.recorder`)."""
        datastore: object = getattr(recorder, "datastore", None)
        names = {klass.__name__ for klass in type(datastore).__mro__}
        if "SQLiteDatastore" in names:
            dialect: Dialect = "sqlite"
        elif "PostgresDatastore" in names:
            dialect = "postgres"
        else:
            raise TypeError(
                f"recorder {type(recorder).__name__}: expected a recorder on an eventsourcing "
                f"SQLite or PostgreSQL datastore, got {type(datastore).__name__}"
            )
        if not callable(getattr(datastore, "transaction", None)):
            raise TypeError(f"{type(datastore).__name__} has no transaction()")
        schema = getattr(datastore, "schema", "public")
        return cls(
            cast("Datastore", datastore),  # checked above: by its class and its transaction()
            dialect,
            master_key,
            schema=schema if isinstance(schema, str) and schema else "public",
        )

    def create_tables(self) -> None:
        """Create the three tables if they do not exist (idempotent)."""
        with self.datastore.transaction(commit=True) as cursor:
            if self.dialect == "postgres":
                cursor.execute(SCHEMA_CHANGE, ())
            for statement in self._sql.create:
                cursor.execute(statement, ())

    def put(self, subject_id: str, card: Card) -> None:
        """Write (or replace) the person's card, creating the person's key on first write.

        Raises `PersonalDataErasedError` if the person's data were erased, and
        `PersonalDataUnreadableError` if the stored key cannot be unwrapped with this master key.
        """
        subject_id = _SUBJECT_ID.validate_python(subject_id)
        if not isinstance(card, self.CARD):
            raise TypeError(f"card: expected {self.CARD.__name__}, got {type(card).__name__}")
        sql, whose = self._sql, self.KIND.whose
        plaintext = card.model_dump_json().encode()
        with self.datastore.transaction(commit=True) as cursor:
            self._lock(cursor, subject_id)
            # A write first: on SQLite it makes this transaction the writer from the start.
            cursor.execute(
                sql.insert_key,
                (subject_id, self._wrap(subject_id, AESGCM.generate_key(bit_length=256))),
            )
            cursor.execute(sql.select_erasure, (subject_id,))
            if cursor.fetchone() is not None:
                raise PersonalDataErasedError(subject_id, whose)  # rolls the key row back
            cursor.execute(sql.select_key, (subject_id,))
            row = _as_dict(cursor.fetchone())
            if row is None:  # pragma: no cover - inserted above in this transaction
                raise PersonalDataUnreadableError(subject_id, "нет ключа", whose)
            key = self._unwrap(subject_id, _bytes(row["wrapped_key"]))
            nonce = os.urandom(_NONCE_BYTES)
            ciphertext = AESGCM(key).encrypt(nonce, plaintext, subject_id.encode())
            cursor.execute(
                sql.upsert_sheet,
                (subject_id, nonce, ciphertext, self._now().isoformat()),
            )

    def _open(self, subject_id: str) -> tuple[Status, Card | None, datetime | None]:
        """The person's status, decrypted card and time of erasure.

        Raises `PersonalDataUnreadableError` if a stored card cannot be decrypted (a wrong or
        missing master key, or a key removed other than by `erase`).
        """
        whose = self.KIND.whose
        with self.datastore.transaction(commit=False) as cursor:
            cursor.execute(self._sql.select_record, (subject_id,))
            row = _as_dict(cursor.fetchone())
        if row is None:  # pragma: no cover - the outer select always yields one row
            return "absent", None, None
        if row["erased_at"] is not None:
            return "erased", None, datetime.fromisoformat(_str(row["erased_at"]))
        if row["ciphertext"] is None:
            return "absent", None, None
        if row["wrapped_key"] is None:
            raise PersonalDataUnreadableError(
                subject_id, f"ключ {whose} удалён без записи об уничтожении", whose
            )
        key = self._unwrap(subject_id, _bytes(row["wrapped_key"]))
        try:
            plaintext = AESGCM(key).decrypt(
                _bytes(row["nonce"]), _bytes(row["ciphertext"]), subject_id.encode()
            )
        except InvalidTag as error:
            raise PersonalDataUnreadableError(
                subject_id, f"шифротекст не соответствует ключу {whose}", whose
            ) from error
        with as_stored():  # written under the rules of its day
            card = cast("Card", self.CARD.model_validate_json(plaintext))
        return "present", card, None

    def erase(self, subject_id: str, actor: Actor, reason: str) -> Erasure:
        """Destroy the person's personal data for good (152-ФЗ) and record who did it and why.

        In one transaction: records the erasure, deletes the person's key (which makes every
        copy of the card unreadable, backups included) and the card. Erasing again returns
        the first erasure and changes nothing. Erasing a person with no data still records the
        erasure, so the id cannot be reused for personal data.
        """
        erasure = Erasure(subject_id=subject_id, erased_at=self._now(), actor=actor, reason=reason)
        subject_id = erasure.subject_id
        sql = self._sql
        with self.datastore.transaction(commit=True) as cursor:
            self._lock(cursor, subject_id)
            cursor.execute(
                sql.insert_erasure,
                (
                    subject_id,
                    erasure.erased_at.isoformat(),
                    erasure.actor.id,
                    erasure.actor.role.value,
                    erasure.reason,
                ),
            )
            # After a first erasure both rows are gone already: these delete nothing then.
            cursor.execute(sql.delete_key, (subject_id,))
            cursor.execute(sql.delete_sheet, (subject_id,))
            first = self._select_erasure(cursor, subject_id)
        if first is None:  # pragma: no cover - inserted above in this transaction
            raise RuntimeError(f"the erasure of {subject_id} was not recorded")
        return first

    def erasure(self, subject_id: str) -> Erasure | None:
        """The record of the person's erasure, or None if the data were never erased."""
        subject_id = _SUBJECT_ID.validate_python(subject_id)
        with self.datastore.transaction(commit=False) as cursor:
            return self._select_erasure(cursor, subject_id)

    def erased_ids(self) -> set[str]:
        """The ids of every person whose personal data were erased."""
        with self.datastore.transaction(commit=False) as cursor:
            cursor.execute(self._sql.select_erased_ids, ())
            rows = _rows(cursor.fetchall())
        return {_str(row["subject_id"]) for row in rows}

    def raw_keys(self) -> int:
        """How many keys are stored raw (readable by whoever reads the database)."""
        with self.datastore.transaction(commit=False) as cursor:
            cursor.execute(self._sql.select_raw_keys, ())
            return len(_raw(cursor.fetchall()))

    def protect(self) -> int:
        """Wrap every raw key under the master key, in one transaction; how many were
        wrapped (0 when none was raw). Raises `ValueError` without a master key."""
        if self._master is None:
            raise ValueError("protect: the store has no master key")
        with self.datastore.transaction(commit=True) as cursor:
            cursor.execute(self._sql.select_raw_keys, ())
            raw = _raw(cursor.fetchall())
            for subject_id, stored in raw:
                wrapped = self._wrap(subject_id, stored[1:])
                cursor.execute(self._sql.replace_key, (wrapped, subject_id, stored))
        return len(raw)

    def _select_erasure(self, cursor: _Cursor, subject_id: str) -> Erasure | None:
        cursor.execute(self._sql.select_erasure, (subject_id,))
        row = _as_dict(cursor.fetchone())
        if row is None:
            return None
        with as_stored():
            return Erasure(
                subject_id=_str(row["subject_id"]),
                erased_at=datetime.fromisoformat(_str(row["erased_at"])),
                actor=Actor(id=_str(row["actor_id"]), role=Role(_str(row["actor_role"]))),
                reason=_str(row["reason"]),
            )

    def _lock(self, cursor: _Cursor, subject_id: str) -> None:
        """Serialise the writers of one person.

        SQLite has one writer at a time anyway; PostgreSQL takes a transaction-scoped advisory
        lock, so a `put` and an `erase` of the same person never interleave.
        """
        if self._sql.lock_subject is not None:
            cursor.execute(self._sql.lock_subject, (subject_id,))

    def _now(self) -> datetime:
        now = self.clock()
        if now.tzinfo is None or now.utcoffset() is None:
            raise ValueError("clock: expected an aware datetime")
        return now

    def _wrap(self, subject_id: str, key: bytes) -> bytes:
        if self._master is None:
            return bytes([KEY_FORMAT_PLAIN]) + key
        nonce = os.urandom(_NONCE_BYTES)
        wrapped = self._master.encrypt(nonce, key, self._key_context(subject_id))
        return bytes([KEY_FORMAT_WRAPPED]) + nonce + wrapped

    def _unwrap(self, subject_id: str, stored: bytes) -> bytes:
        whose = self.KIND.whose
        if stored[:1] == bytes([KEY_FORMAT_PLAIN]) and len(stored) == 1 + _KEY_BYTES:
            return stored[1:]
        if stored[:1] != bytes([KEY_FORMAT_WRAPPED]):
            raise PersonalDataUnreadableError(subject_id, "неизвестный формат ключа", whose)
        if self._master is None:
            raise PersonalDataUnreadableError(
                subject_id, f"ключ {whose} зашифрован мастер-ключом, а мастер-ключ не задан", whose
            )
        nonce, wrapped = stored[1 : 1 + _NONCE_BYTES], stored[1 + _NONCE_BYTES :]
        try:
            return self._master.decrypt(nonce, wrapped, self._key_context(subject_id))
        except InvalidTag as error:
            raise PersonalDataUnreadableError(
                subject_id, f"мастер-ключ не подходит к ключу {whose}", whose
            ) from error

    def _key_context(self, subject_id: str) -> bytes:
        """The associated data of a wrapped key: binds it to its table and person."""
        return f"{self.KIND.prefix}_keys:{subject_id}".encode()


class PersonalDataStore(SealedStore[TeacherSheet]):
    """Teachers' information sheets, each encrypted with the teacher's own key."""

    KIND = TEACHERS
    CARD = TeacherSheet

    def get(self, teacher_id: str) -> PersonalRecord:
        """The teacher's record: the decrypted sheet, the time of its erasure, or absent.

        Raises `PersonalDataUnreadableError` if a stored sheet cannot be decrypted (a wrong or
        missing master key, or a key removed other than by `erase`).
        """
        teacher_id = _SUBJECT_ID.validate_python(teacher_id)
        status, sheet, erased_at = self._open(teacher_id)
        return PersonalRecord(
            teacher_id=teacher_id, status=status, sheet=sheet, erased_at=erased_at
        )

    def erased_teachers(self) -> set[str]:
        """The ids of every teacher whose personal data were erased."""
        return self.erased_ids()


class OfficialsStore(SealedStore[OfficialCard]):
    """The officials who sign (ФИО, должность, организация), by portal id, each card
    encrypted with the official's own key; erased as a teacher's sheet is."""

    KIND = OFFICIALS
    CARD = OfficialCard

    def get(self, official_id: str) -> OfficialRecord:
        """The official's record: the decrypted card, the time of its erasure, or absent.

        Raises `PersonalDataUnreadableError` if a stored card cannot be decrypted."""
        official_id = _SUBJECT_ID.validate_python(official_id)
        status, card, erased_at = self._open(official_id)
        return OfficialRecord(
            official_id=official_id, status=status, card=card, erased_at=erased_at
        )


def _raw(rows: object) -> list[tuple[str, bytes]]:
    """The (teacher id, stored key) of the rows whose key is stored raw."""
    found = [(_str(row["subject_id"]), _bytes(row["wrapped_key"])) for row in _rows(rows)]
    return [(teacher, key) for teacher, key in found if key[:1] == bytes([KEY_FORMAT_PLAIN])]
