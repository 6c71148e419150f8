"""The route's write and read paths on real stores: SQLite and PostgreSQL alike."""

from __future__ import annotations

import base64
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

import pytest
from eventsourcing.postgres import PostgresApplicationRecorder

from aggregates.application import Routes, project_route, route_id_for
from aggregates.audit import digest, verify_route
from aggregates.chain import link
from aggregates.commands import RecordInterimResult
from aggregates.errors import ConflictError
from aggregates.events import ActivityCompleted
from aggregates.profiles import ProfileCatalogue, Stage, load_profiles
from aggregates.values import Actor, Role
from runtime.settings import store_env
from workers.demo import write_demo


class Clock:
    """A clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = datetime(2026, 6, 15, 9, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


def make_app(url: str, clock: Callable[[], datetime], **env: str) -> Routes:
    return Routes(
        store_env(url) | env,
        profiles=ProfileCatalogue(load_profiles()),
        clock=clock,
        snapshot_interval=5,
    )


def methodist(app: Routes, route_id: UUID) -> Actor:
    methodist_id = app.route(route_id).methodist_id
    assert methodist_id is not None
    return Actor(id=methodist_id, role=Role.METHODIST)


def interim(text: str) -> RecordInterimResult:
    return RecordInterimResult(recorded_on=datetime(2026, 6, 1).date(), text=text)


def test_a_retried_command_appends_once_and_a_lost_race_is_a_conflict(database_url: str) -> None:
    clock = Clock()
    first, second = make_app(database_url, clock), make_app(database_url, clock)
    (route_id,) = write_demo(first, "sakha", 1, until=Stage.IMPLEMENTATION)
    actor = methodist(first, route_id)
    version = first.route(route_id).version

    receipt = first.execute(route_id, interim("первый"), actor, "cmd-1")
    again = second.execute(route_id, interim("первый"), actor, "cmd-1")
    assert (receipt.version, receipt.replayed) == (version + 1, False)
    assert (again.version, again.replayed) == (version + 1, True)

    original_save = second.save

    def save_after_a_rival(*events: Any, **kwargs: Any) -> Any:
        first.execute(route_id, interim("соперник"), actor, "cmd-rival")
        return original_save(*events, **kwargs)

    second.save = save_after_a_rival  # type: ignore[method-assign]
    with pytest.raises(ConflictError):
        second.execute(route_id, interim("проигравший"), actor, "cmd-2")
    history = first.history(route_id)
    assert [e.command_id for e in history[-2:]] == ["cmd-1", "cmd-rival"]
    assert len(history) == version + 2
    assert verify_route(first, route_id).intact


def test_the_route_at_any_version_or_moment_is_its_events_replayed(database_url: str) -> None:
    clock = Clock()
    app = make_app(database_url, clock)
    (route_id,) = write_demo(app, "balakhta", 1, until=Stage.IMPLEMENTATION)
    actor = methodist(app, route_id)
    moments = []
    for number in range(12):
        clock.now += timedelta(hours=1)
        app.execute(route_id, interim(f"итог {number}"), actor, f"interim-{number}")
        moments.append((clock.now, app.route(route_id).version))
    history = app.history(route_id)
    assert app.snapshots is not None
    assert list(app.snapshots.get(route_id)), "snapshots were taken every 5 events"
    for version in (1, 3, 5, 6, len(history) - 1, len(history)):
        expected = project_route(None, history[:version])
        assert expected is not None
        assert app.route(route_id, version=version).model_dump() == expected.model_dump()
    moment, version = moments[4]
    assert app.route_as_of(route_id, moment).version == version
    assert app.route_as_of(route_id, moment - timedelta(minutes=30)).version == version - 1


def test_events_can_be_encrypted_at_rest(database_url: str) -> None:
    key = base64.b64encode(bytes(range(32))).decode()
    app = make_app(
        database_url, Clock(), CIPHER_TOPIC="eventsourcing.cryptography:AESCipher", CIPHER_KEY=key
    )
    (route_id,) = write_demo(app, "sovetsky", 1, until=Stage.AGREEMENT)
    stored = app.recorder.select_events(route_id)
    assert stored and all("Советский".encode() not in s.state for s in stored)
    assert all(b"teacher-" not in s.state for s in stored)
    assert app.route(route_id).stage is Stage.AGREEMENT
    assert verify_route(app, route_id).intact


def tamper(app: Routes, route_id: UUID, version: int, old: bytes, new: bytes) -> None:
    placeholder = "%s" if isinstance(app.recorder, PostgresApplicationRecorder) else "?"
    (stored,) = app.recorder.select_events(route_id, gt=version - 1, lte=version)
    table = app.recorder.events_table_name  # type: ignore[attr-defined]
    with app.recorder.datastore.transaction(commit=True) as cursor:  # type: ignore[attr-defined]
        cursor.execute(
            f"UPDATE {table} SET state = {placeholder} "
            f"WHERE originator_id = {placeholder} AND originator_version = {placeholder}",
            (
                stored.state.replace(old, new),
                route_id if placeholder == "%s" else route_id.hex,
                version,
            ),
        )


def test_an_altered_event_breaks_the_chain_and_a_rehashed_one_the_digest(database_url: str) -> None:
    app = make_app(database_url, Clock())
    route_id, other = write_demo(app, "chelyabinsk", 2)
    assert all(verify_route(app, r).intact for r in (route_id, other))

    result_event = next(e for e in app.history(route_id) if isinstance(e, ActivityCompleted))
    tamper(
        app,
        route_id,
        result_event.originator_version,
        result_event.result.encode(),
        "Подделка".encode(),
    )
    report = verify_route(app, route_id)
    assert (report.intact, report.broken_at) == (False, result_event.originator_version)
    assert verify_route(app, other).intact


def test_a_rehashed_last_event_is_found_by_the_digest(database_url: str) -> None:
    app = make_app(database_url, Clock())
    (route_id,) = write_demo(app, "sakha", 1, until=Stage.IMPLEMENTATION)
    kept = digest([verify_route(app, route_id)])
    last = app.history(route_id)[-1]
    assert type(last).__name__ == "RouteApproved"
    forged = last.model_copy(update={"plan_hash": "0" * 64})
    previous = app.history(route_id)[-2].chain_hash
    rehashed = forged.model_copy(update={"chain_hash": link(previous, forged.content())})
    stored = app.mapper.to_stored_event(rehashed)
    (original,) = app.recorder.select_events(route_id, gt=last.originator_version - 1)
    tamper(app, route_id, last.originator_version, original.state, stored.state)
    assert verify_route(app, route_id).intact, "a consistent re-hash passes the chain check"
    assert digest([verify_route(app, route_id)]) != kept, "…but not the digest kept outside"


def test_route_ids_lists_every_route_once(database_url: str) -> None:
    app = make_app(database_url, Clock())
    ids = write_demo(app, "algorithm", 3, until=Stage.DESIGN)
    assert list(app.route_ids()) == ids
    assert ids[0] == route_id_for("algorithm", "demo-algorithm-00001")
