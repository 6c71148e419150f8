"""Leases: one projector at a time per projection, on PostgreSQL.

A lease is a session-level advisory lock (`pg_try_advisory_lock`) held on a connection of its
own, one per projection. PostgreSQL releases it the moment that session ends, so when the holder
dies (its process killed, its connection cut) another projector takes it at its next try and
carries on from the tracking position. The holder checks its lease between batches (and at
least every `check_every` seconds while idle) and stops at once when it is gone.

The lease is the first guard; the second is in every batch's transaction, which refuses to write
unless the tracked position is the one the batch continues from (see `projections.view`). SQLite
has no advisory locks: one projector process per SQLite store is assumed (`NoLease`).
"""

from __future__ import annotations

import os
import time
import zlib
from collections.abc import Sequence
from typing import Any, Self

import psycopg

LEASE_SPACE = 0x494F4D4C  # "IOML": the advisory-lock space of projection leases


def lease_key(projection: str) -> int:
    """The lock's second key for a projection."""
    return zlib.crc32(projection.encode()) & 0x7FFFFFFF


class LeaseLostError(RuntimeError):
    """The lease's session ended or the lock is no longer held."""


class Lease:
    """The exclusive right to run one projection (see the module's docstring)."""

    def __init__(self, conninfo: str, projection: str, check_every: float = 1.0) -> None:
        self.conninfo = conninfo
        self.projection = projection
        self.check_every = check_every
        self.held = False
        self._conn: psycopg.Connection[Any] | None = None
        self._checked = 0.0

    @property
    def backend_pid(self) -> int | None:
        """The server process of the lease's session (to find or cut it)."""
        return self._conn.info.backend_pid if self._conn is not None else None

    def try_acquire(self) -> bool:
        """Take the lease if nobody holds it; True when held."""
        if self.held:
            return True
        if self._conn is None or self._conn.closed:
            self._conn = psycopg.connect(
                self.conninfo,
                autocommit=True,
                connect_timeout=5,
                application_name=f"iom-projector {self.projection} pid={os.getpid()}",
            )
        row = self._conn.execute(
            "SELECT pg_try_advisory_lock(%s, %s)", (LEASE_SPACE, lease_key(self.projection))
        ).fetchone()
        self.held = bool(row and row[0])
        self._checked = time.monotonic()
        return self.held

    def check(self, *, now: bool = False) -> None:
        """Raise `LeaseLostError` unless the lease is still held (asks the server at most every
        `check_every` seconds unless `now`)."""
        if not self.held or self._conn is None:
            raise LeaseLostError(f"projection {self.projection}: lease not held")
        if not now and time.monotonic() - self._checked < self.check_every:
            return
        try:
            row = self._conn.execute(
                "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted "
                "AND classid::bigint = %s AND objid::bigint = %s AND objsubid = 2 "
                "AND pid = pg_backend_pid()",
                (LEASE_SPACE, lease_key(self.projection)),
            ).fetchone()
        except psycopg.Error as error:
            self._drop()
            raise LeaseLostError(f"projection {self.projection}: {error}") from error
        if not row or not row[0]:
            self._drop()
            raise LeaseLostError(f"projection {self.projection}: lock no longer held")
        self._checked = time.monotonic()

    def release(self) -> None:
        """Give the lease up (closing its session releases the lock)."""
        self._drop()

    def _drop(self) -> None:
        self.held = False
        conn, self._conn = self._conn, None
        if conn is not None and not conn.closed:
            conn.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()


class NoLease:
    """SQLite: no lease; one projector process per store is assumed."""

    held = True
    backend_pid = None

    def try_acquire(self) -> bool:
        """Always held."""
        return True

    def check(self, *, now: bool = False) -> None:
        """Never lost."""

    def release(self) -> None:
        """Nothing to give up."""


AnyLease = Lease | NoLease


class Leases:
    """The leases of projections fed together (a rebuild of several): lost when any is."""

    def __init__(self, leases: Sequence[AnyLease]) -> None:
        self.leases = list(leases)

    def check(self, *, now: bool = False) -> None:
        """Raise `LeaseLostError` unless every lease is still held."""
        for lease in self.leases:
            lease.check(now=now)


def lease_holders(conninfo: str, projections: list[str]) -> dict[str, str | None]:
    """Who holds each projection's lease in this database (advisory locks are per database;
    `pg_locks` shows the whole server's): the holder session's application name, or None."""
    with psycopg.connect(conninfo, autocommit=True, connect_timeout=5) as conn:
        rows = conn.execute(
            "SELECT l.objid::bigint AS key, a.application_name, a.pid FROM pg_locks l "
            "JOIN pg_stat_activity a ON a.pid = l.pid WHERE l.locktype = 'advisory' "
            "AND l.granted AND l.classid::bigint = %s AND l.objsubid = 2 "
            "AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())",
            (LEASE_SPACE,),
        ).fetchall()
    found = {int(key): f"{name} (backend {pid})" for key, name, pid in rows}
    return {name: found.get(lease_key(name)) for name in projections}
