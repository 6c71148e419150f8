"""Where bulk operations (`aggregates.operation.Operations`) keep their events.

On PostgreSQL eventsourcing names an application's table after it (`operations_events`); on
SQLite every application writes `stored_events`, the routes' table, whose notification log feeds
the projections. This recorder gives the operations a table of their own on SQLite too, named
by `operation_env`.
"""

from __future__ import annotations

from eventsourcing.sqlite import SQLiteApplicationRecorder, SQLiteDatastore
from eventsourcing.utils import get_topic

OPERATION_EVENTS = "operation_events"


class OperationRecorder(SQLiteApplicationRecorder):
    """eventsourcing's SQLite recorder on the operations' own table."""

    def __init__(self, datastore: SQLiteDatastore, events_table_name: str = OPERATION_EVENTS):
        super().__init__(datastore, events_table_name=events_table_name)


def operation_env(store_env: dict[str, str]) -> dict[str, str]:
    """The operations' environment beside the routes' (`runtime.settings.store_env`)."""
    env = dict(store_env)
    if env.get("PERSISTENCE_MODULE") == "eventsourcing.sqlite":
        env["APPLICATION_RECORDER_TOPIC"] = get_topic(OperationRecorder)
    return env
