"""Kept answers expire: an `Idempotency-Key` older than the TTL is new again, and the expired
rows are deleted on a write, at most once per interval per process. Time is moved by a clock
handed to the store, or by moving a row's time back in the database: never by sleeping."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

from aggregates.application import Routes
from aggregates.profiles import ProfileCatalogue
from aggregates.values import Role
from api.idempotency import LEGACY_TABLE, TABLE, Answer, IdempotencyStore
from projections.view import transaction_on
from runtime.settings import Settings, store_env
from tests.api.conftest import Direct
from tests.api.support import Portal

T0 = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
WHO = ("sakha", "actor-1")  # the region and actor a store test keeps answers for


def age(store: IdempotencyStore, key: str, hours: float) -> None:
    """Move the answer kept under `key` back by `hours`."""
    with transaction_on(store.datastore, commit=True) as db:
        moved = store.clock() - timedelta(hours=hours)
        db.execute(f"UPDATE {TABLE} SET answered_at = %s WHERE key = %s", (moved, key))


def keys(store: IdempotencyStore) -> set[str]:
    """The keys of every row, expired or not."""
    with transaction_on(store.datastore, commit=False) as db:
        return {str(row["key"]) for row in db.fetchall(f"SELECT key FROM {TABLE}")}


async def test_a_key_older_than_the_ttl_is_new_again(direct: Direct, portal: Portal) -> None:
    store: IdempotencyStore = direct.app.state.services.answers
    assert store.ttl == timedelta(hours=Settings().api_idempotency_ttl_hours) == timedelta(hours=72)
    _, route_id = direct.route_in_agreement()
    route = direct.routes.route(route_id)
    token = portal.token(
        Role.TEACHER, "portal-user-1", school="school-sakha-02", teacher_id="teacher-sakha-00001"
    )
    headers = portal.headers(token, "agree-ttl")
    path = f"/routes/{route_id}/commands/agree_route"
    wrong: dict[str, Any] = {"plan_hash": "0" * 64}
    refused = await direct.client.post(path, headers=headers, json=wrong)
    assert refused.status_code in {409, 422}, refused.text  # refused, and kept
    right = {"plan_hash": route.plan_hash}
    # Within the TTL the key stands for the refused request: another body is 422.
    age(store, "agree-ttl", 71)
    reused = await direct.client.post(path, headers=headers, json=right)
    assert reused.json()["type"] == "urn:iom:problem:idempotency-key-reuse"
    again = await direct.client.post(path, headers=headers, json=wrong)
    assert again.headers["Idempotent-Replayed"] == "true"
    # Past it the key is new: the command is decided (and its answer kept in place of the old).
    age(store, "agree-ttl", 73)
    accepted = await direct.client.post(path, headers=headers, json=right)
    assert accepted.status_code == 200, accepted.text
    assert "Idempotent-Replayed" not in accepted.headers
    assert direct.routes.route(route_id).version == route.version + 1
    replayed = await direct.client.post(path, headers=headers, json=right)
    assert (replayed.json(), replayed.headers["Idempotent-Replayed"]) == (accepted.json(), "true")


async def test_concurrent_duplicates_are_replays_of_the_one_that_ran(
    direct: Direct, portal: Portal
) -> None:
    _, route_id = direct.route_in_agreement()
    route = direct.routes.route(route_id)
    token = portal.token(
        Role.TEACHER, "portal-user-1", school="school-sakha-02", teacher_id="teacher-sakha-00001"
    )
    headers = portal.headers(token, "agree-raced")
    path = f"/routes/{route_id}/commands/agree_route"
    body = {"plan_hash": route.plan_hash}
    answers = await asyncio.gather(
        *(direct.client.post(path, headers=headers, json=body) for _ in range(6))
    )
    assert [a.status_code for a in answers] == [200] * 6, [a.text for a in answers]
    assert len({a.content for a in answers}) == 1
    replayed = [a.headers.get("Idempotent-Replayed") for a in answers]
    assert sorted(replayed, key=str) == [None] + ["true"] * 5
    assert direct.routes.route(route_id).version == route.version + 1


def test_expired_answers_are_purged_on_a_write_now_and_then(
    database_url: str, catalogue: ProfileCatalogue
) -> None:
    routes = Routes(store_env(database_url), profiles=catalogue)
    now = [T0]
    store = IdempotencyStore(
        routes, timedelta(hours=1), purge_every=timedelta(minutes=10), clock=lambda: now[0]
    )
    store.create_table()
    store.create_table()  # idempotent
    answer = Answer(200, {"version": 1}, "hash-1")
    try:
        store.keep(*WHO, "k1", answer)  # the process's first write purges (nothing yet)
        store.keep(*WHO, "k2", answer)
        assert keys(store) == {"k1", "k2"}
        now[0] = T0 + timedelta(minutes=59)
        assert store.find(*WHO, "k1") == answer
        # Two hours on: k1 and k2 have expired; the next write deletes them.
        now[0] = T0 + timedelta(hours=2)
        assert store.find(*WHO, "k1") is None  # expired: not found even before the purge
        store.keep(*WHO, "k3", answer)
        assert keys(store) == {"k3"}
        # An expired row written meanwhile waits for the next purge, ten minutes on.
        age(store, "k3", 3)
        now[0] += timedelta(minutes=5)
        store.keep(*WHO, "k4", answer)
        assert keys(store) == {"k3", "k4"}
        assert store.find(*WHO, "k3") is None
        # An expired key kept again: the new answer replaces the old.
        other = Answer(201, {"version": 2}, "hash-2")
        assert store.keep(*WHO, "k3", other) == other
        age(store, "k4", 3)
        now[0] += timedelta(minutes=6)
        store.keep(*WHO, "k5", answer)
        assert keys(store) == {"k3", "k5"}
        # A key within the TTL is never replaced.
        assert store.keep(*WHO, "k5", other) == answer
        now[0] += timedelta(hours=2)
        assert store.purge() == 2
        assert keys(store) == set()
        # The purge's DELETE has an index on the time column.
        with transaction_on(store.datastore, commit=False) as db:
            if db.dialect == "postgres":
                found = db.fetchall(
                    "SELECT indexdef FROM pg_indexes WHERE tablename = %s", (TABLE,)
                )
                definitions = [str(row["indexdef"]) for row in found]
            else:
                found = db.fetchall(
                    "SELECT sql FROM sqlite_master WHERE type = 'index' AND tbl_name = %s",
                    (TABLE,),
                )
                definitions = [str(row["sql"]) for row in found]
        assert any(d.endswith("(answered_at)") for d in definitions), definitions
    finally:
        routes.close()


def test_answers_kept_per_actor_alone_are_dropped_on_the_schema_change(
    database_url: str, catalogue: ProfileCatalogue
) -> None:
    """A store of the answers as kept before they were regional: the old table (its rows name
    no region, so no region may replay them) is dropped, and the new one made, once."""
    routes = Routes(store_env(database_url), profiles=catalogue)
    store = IdempotencyStore(routes, clock=lambda: T0)
    try:
        with transaction_on(store.datastore, commit=True) as db:
            db.change_schema(
                [
                    f"CREATE TABLE {LEGACY_TABLE} (actor_id TEXT NOT NULL, key TEXT NOT NULL, "
                    "request_hash TEXT NOT NULL, status INTEGER NOT NULL, body TEXT NOT NULL, "
                    "answered_at TEXT NOT NULL, PRIMARY KEY (actor_id, key))"
                ]
            )
            db.execute(
                f"INSERT INTO {LEGACY_TABLE} VALUES (%s, %s, %s, %s, %s, %s)",
                ("actor-1", "k1", "hash-1", 201, "{}", T0.isoformat()),
            )
        store.create_table()
        store.create_table()  # idempotent
        assert store.find(*WHO, "k1") is None
        with transaction_on(store.datastore, commit=False) as db:
            if db.dialect == "postgres":
                query = "SELECT tablename AS name FROM pg_tables WHERE tablename LIKE %s"
            else:
                query = "SELECT name FROM sqlite_master WHERE type = 'table' AND name LIKE %s"
            tables = {str(row["name"]) for row in db.fetchall(query, ("api_idempotency%",))}
        assert tables == {TABLE}
    finally:
        routes.close()
