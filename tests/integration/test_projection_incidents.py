"""An event a projection cannot apply parks its route, never the projection: the other routes'
events are applied and the position moves on exactly once, the incident is listed, counted by a
metric and failed by `iom health`, the route's later events are held, and a retry after the fix
applies them (issue 23, defect 1)."""

from __future__ import annotations

import asyncio
import json
import shutil
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from prometheus_client.core import Metric
from typer.testing import CliRunner

from aggregates import events as ev
from aggregates.application import Routes
from aggregates.chain import link
from aggregates.commands import AssignMethodist
from aggregates.profiles import ProfileCatalogue, Stage, load_profiles
from aggregates.summaries import describe
from aggregates.values import Actor, Role
from api.metrics import ProjectionLag
from projections import audit
from projections.catalog import PROJECTIONS, catch_up, open_projection, statuses
from projections.incidents import read_incidents
from projections.runner import RunnerOptions
from projections.tables import Filters
from runtime.settings import Settings, store_env
from workers.cli.health import check_projections
from workers.cli.projections import projections
from workers.demo import write_demo

SMALL = RunnerOptions(batch_size=7)
"""Batches smaller than the log: the failing one is in the middle, others after it."""


@pytest.fixture
def app(database_url: str) -> Iterator[Routes]:
    application = Routes(store_env(database_url), profiles=ProfileCatalogue(load_profiles()))
    yield application
    application.close()


def head(app: Routes) -> int:
    return app.recorder.max_notification_id() or 0


def record_at_store(app: Routes, route_id: UUID, text: str) -> int:
    """An interim result written as a stored event, past every command's checks (as the old
    code let one in); its notification id."""
    route = app.route(route_id)
    event = ev.InterimResultRecorded(
        originator_id=route_id,
        originator_version=route.version + 1,
        timestamp=app.clock(),
        actor=Actor(id=route.methodist_id or "methodist", role=Role.METHODIST),
        command_id=f"{route_id}:interim",
        command_hash="0" * 64,
        recorded_on=date(2026, 3, 1),
        text=text,
    )
    event = event.model_copy(update={"chain_hash": link(route.chain_head, event.content())})
    app.recorder.insert_events([app.mapper.to_stored_event(event)])
    return head(app)


def reassign(app: Routes, route_id: UUID, methodist: str) -> None:
    command = AssignMethodist(methodist_id=methodist, order="Распоряжение № 7", reason="Отпуск")
    operator = Actor(id="operator-1", role=Role.OPERATOR)
    app.execute(route_id, command, operator, f"{route_id}:{methodist}")


def trail(app: Routes, route_id: UUID) -> list[int]:
    with open_projection(app, "audit").view.transaction(commit=False) as db:
        rows = audit.query_audit(db, Filters(route_id=route_id), None)
    return sorted(row["version"] for row in rows)


def scenario(app: Routes, poison: str) -> tuple[UUID, list[UUID], int]:
    """Three routes; the first gets an event the projections may not apply, then one more
    event; the others get events after it. The failing route, the others, the poison's id."""
    failing, *others = write_demo(app, "sakha", 3, until=Stage.IMPLEMENTATION)
    poisoned = record_at_store(app, failing, poison)
    reassign(app, failing, "methodist-sakha-98")
    for route_id in others:
        reassign(app, route_id, "methodist-sakha-97")
    return failing, others, poisoned


def gauges(app: Routes) -> dict[str, dict[str, float]]:
    found: dict[str, dict[str, float]] = {}
    metric: Metric
    for metric in ProjectionLag(lambda: app).collect():
        found[metric.name] = {s.labels["projection"]: s.value for s in metric.samples}
    return found


def test_a_failing_route_is_parked_and_the_others_go_on(
    app: Routes, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Generic: the audit projection raises on one route's interim result (a bug)."""
    failing, others, poisoned = scenario(app, "Промежуточный итог")
    real = describe

    def broken(event: Any, profile: Any) -> str:
        if isinstance(event, ev.InterimResultRecorded) and event.originator_id == failing:
            raise ValueError("описание не построено")
        return real(event, profile)

    monkeypatch.setattr(audit, "describe", broken)
    assert catch_up(app, "audit", options=SMALL) == head(app)

    for route_id in others:
        assert trail(app, route_id) == list(range(1, app.route(route_id).version + 1))
    before = app.route(failing).version - 1  # the poison and the event after it are held
    assert trail(app, failing) == list(range(1, before))
    (status,) = [s for s in statuses(app) if s.name == "audit"]
    assert status.position == head(app)
    (incident,) = status.incidents
    assert (incident.route_id, incident.notification_id) == (str(failing), poisoned)
    assert incident.event_type == "InterimResultRecorded"
    assert incident.error == "ValueError: описание не построено"
    assert (incident.held, incident.failures) == (2, 1)
    assert gauges(app)["iom_projection_incidents"]["audit"] == 1
    assert gauges(app)["iom_projection_held_events"]["audit"] == 2

    monkeypatch.setenv("IOM_DATABASE_URL", database_url)
    outcome = _run(check_projections(Settings(), 10.0, 10_000))
    assert not outcome.ok
    assert f"проекция audit: ИОМ {failing} остановлен на событии {poisoned}" in outcome.detail

    cli = CliRunner()
    listed = json.loads(cli.invoke(projections, ["incidents", "--json"]).stdout)
    assert [(i["projection"], i["route_id"], i["held"]) for i in listed] == [
        ("audit", str(failing), 2)
    ]
    status_rows = json.loads(cli.invoke(projections, ["status", "--json"]).stdout)
    assert {r["projection"]: r["parked_routes"] for r in status_rows}["audit"] == 1

    # A later event of the parked route is held too, not applied on a missing one.
    reassign(app, failing, "methodist-sakha-96")
    assert catch_up(app, "audit", options=SMALL) == head(app)
    assert trail(app, failing) == list(range(1, before))

    still = cli.invoke(projections, ["retry", "--json"])
    assert still.exit_code == 1, still.output
    assert json.loads(still.stdout)[0]["result"] == "failed"

    monkeypatch.setattr(audit, "describe", real)  # the fix
    done = cli.invoke(projections, ["retry", "--route", str(failing)])
    assert done.exit_code == 0, done.output
    assert "применено событий: 3" in done.stdout
    assert trail(app, failing) == list(range(1, app.route(failing).version + 1))
    with open_projection(app, "audit").view.transaction(commit=False) as db:
        assert read_incidents(db) == []
        assert len(audit.query_audit(db, Filters(), None)) == head(app)  # each event once
    reassign(app, failing, "methodist-sakha-95")
    for name in PROJECTIONS:
        assert catch_up(app, name) == head(app)
    assert trail(app, failing) == list(range(1, app.route(failing).version + 1))
    assert _run(check_projections(Settings(), 10.0, 10_000)).ok


def test_text_postgresql_cannot_hold_parks_the_route(pg_url: str) -> None:
    """The reported case: an interim result with NUL, which PostgreSQL's text refuses."""
    app = Routes(store_env(pg_url), profiles=ProfileCatalogue(load_profiles()))
    try:
        failing, others, poisoned = scenario(app, "до\x00после")
        for name in ("audit", "monitoring"):
            assert catch_up(app, name, options=SMALL) == head(app)
        for route_id in others:
            assert trail(app, route_id) == list(range(1, app.route(route_id).version + 1))
        (status,) = [s for s in statuses(app) if s.name == "audit"]
        (incident,) = status.incidents
        assert (incident.route_id, incident.notification_id) == (str(failing), poisoned)
        assert "NUL" in incident.error
        assert "после" not in incident.error  # the text itself is not kept
    finally:
        app.close()


def _run(coroutine: Any) -> Any:
    return asyncio.run(coroutine)


@pytest.fixture(scope="module")
def unprojected(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[UUID, int]]:
    """Five routes in a SQLite file, not yet projected, to copy; each route's version."""
    path = tmp_path_factory.mktemp("unprojected") / "iom.sqlite3"
    app = Routes(store_env(f"sqlite:///{path}"), profiles=ProfileCatalogue(load_profiles()))
    try:
        route_ids = write_demo(app, "balakhta", 5, until=Stage.IMPLEMENTATION)
        return path, {route_id: app.route(route_id).version for route_id in route_ids}
    finally:
        app.close()


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data(), batch_size=st.integers(1, 40))
def test_any_events_that_fail_park_exactly_their_routes(
    unprojected: tuple[Path, dict[UUID, int]],
    tmp_path_factory: pytest.TempPathFactory,
    data: st.DataObject,
    batch_size: int,
) -> None:
    """The class: whichever events of whichever routes fail, in batches of any size, every
    other route is projected whole, each failing route up to its first failure and no further,
    each listed once, the position at the head, no event applied twice."""
    source, versions = unprojected
    failing = data.draw(
        st.dictionaries(
            st.sampled_from(sorted(versions)),
            st.sets(st.integers(1, min(versions.values())), min_size=1, max_size=3),
            max_size=3,
        )
    )
    copy = tmp_path_factory.mktemp("projected") / "iom.sqlite3"
    shutil.copyfile(source, copy)
    app = Routes(store_env(f"sqlite:///{copy}"), profiles=ProfileCatalogue(load_profiles()))
    real = describe

    def broken(event: Any, profile: Any) -> str:
        if event.originator_version in failing.get(event.originator_id, ()):
            raise ValueError("описание не построено")
        return real(event, profile)

    try:
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(audit, "describe", broken)
            options = RunnerOptions(batch_size=batch_size)
            assert catch_up(app, "audit", options=options) == head(app)
        for route_id, version in versions.items():
            first = min(failing.get(route_id, {version + 1}))
            assert trail(app, route_id) == list(range(1, first))
        (status,) = [s for s in statuses(app) if s.name == "audit"]
        assert status.position == head(app)
        parked = {(i.route_id, i.held) for i in status.incidents}
        assert parked == {
            (str(route_id), versions[route_id] - min(bad) + 1) for route_id, bad in failing.items()
        }
    finally:
        app.close()
