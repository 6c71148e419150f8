"""The routes' PostgreSQL persistence: eventsourcing's, its tables created one process at a time.

Processes that start together on a fresh database (`iom up` starts the API, the worker and the
projector at once) would otherwise race on the catalogue: two concurrent `CREATE OR REPLACE
FUNCTION` of the same function fail with "tuple concurrently updated", and two concurrent
`CREATE TYPE` with a unique violation. Every schema change of the engine (these tables, the
projections', the API's) holds the same advisory lock, `SCHEMA_LOCK`, while it runs.

The factory is named by `PERSISTENCE_MODULE` (`runtime.settings.store_env`).
"""

from __future__ import annotations

from eventsourcing.postgres import (
    PostgresAggregateRecorder,
    PostgresApplicationRecorder,
    PostgresFactory,
)

SCHEMA_LOCK = 1229933892  # "IOMD"
SCHEMA_CHANGE = f"SELECT pg_advisory_xact_lock({SCHEMA_LOCK})"
"""Run first in a transaction that changes the schema: it waits for any other to commit."""


class _OneAtATime(PostgresAggregateRecorder):
    def create_table(self) -> None:
        # The library creates its types and its tables in separate transactions: a session
        # lock, on a connection of its own, spans them all.
        with self.datastore.get_connection() as conn:
            conn.execute(f"SELECT pg_advisory_lock({SCHEMA_LOCK})")
            try:
                super().create_table()
            finally:
                conn.execute(f"SELECT pg_advisory_unlock({SCHEMA_LOCK})")


class SnapshotRecorder(_OneAtATime):
    """The snapshots' table."""


class EventRecorder(_OneAtATime, PostgresApplicationRecorder):
    """The events' table and its notification log."""


class Factory(PostgresFactory):
    """eventsourcing's PostgreSQL factory with the recorders above."""

    aggregate_recorder_class = SnapshotRecorder
    application_recorder_class = EventRecorder
