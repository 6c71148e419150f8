"""Processes starting together on a fresh PostgreSQL database all create the engine's tables.

`iom up` starts the API, the worker and the projector at once; before the schema lock
(`adapters.postgres`), one of them could die of the catalogue race ("tuple concurrently
updated"). Here each starter is a thread with its own connections, as a process would be.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from threading import Barrier
from uuid import uuid4

import psycopg

from adapters.personal import PersonalDataStore
from aggregates.application import Routes
from aggregates.profiles import ProfileCatalogue, load_profiles
from api.idempotency import IdempotencyStore
from projections import refusals
from projections.catalog import PROJECTIONS, open_projection
from runtime.settings import store_env

STARTERS = 6


def start(url: str, barrier: Barrier) -> None:
    """What a process of the engine creates when it starts."""
    barrier.wait()
    routes = Routes(store_env(url), profiles=ProfileCatalogue(load_profiles()))
    try:
        PersonalDataStore.from_recorder(routes.recorder).create_tables()
        refusals.create_table(routes)
        IdempotencyStore(routes).create_table()
        for name in PROJECTIONS:
            open_projection(routes, name)
    finally:
        routes.close()


def test_processes_starting_together_all_create_the_tables(pg_url: str) -> None:
    for _ in range(3):  # each round on an empty schema
        with psycopg.connect(pg_url, autocommit=True) as conn:
            conn.execute("DROP SCHEMA public CASCADE; CREATE SCHEMA public")
        barrier = Barrier(STARTERS)
        with ThreadPoolExecutor(STARTERS) as pool:
            started = [pool.submit(start, pg_url, barrier) for _ in range(STARTERS)]
            for future in started:
                future.result()  # a starter's error fails the test
        routes = Routes(store_env(pg_url), profiles=ProfileCatalogue(load_profiles()))
        try:
            assert routes.recorder.max_notification_id() is None
            assert routes.recorder.select_events(uuid4()) == []
        finally:
            routes.close()
