"""`iom shadow` over a store on both backends: a clean history passes without writing anything
to the live store or leaving a scratch database behind; a projection whose code changed, a
tampered event and a route state the new code disagrees with are each named by route (issue
19, point 4). The workflow histories' part is in `tests/workflows/test_shadow_replay.py`."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest
from typer.testing import CliRunner

from aggregates.application import Routes
from aggregates.persistence import RouteSnapshot
from aggregates.profiles import ProfileCatalogue, load_profiles
from projections import monitoring
from projections.catalog import PROJECTIONS, catch_up, datastore_of
from projections.routes import ROUTES
from projections.state import Family, RouteState
from projections.tables import Key, Row
from projections.view import transaction_on
from runtime.settings import store_env
from tests.conftest import PG_ADMIN_URL
from workers.cli import app as iom
from workers.demo import write_demo
from workers.shadow.findings import Finding
from workers.shadow.run import check_store
from workers.shadow.tables import read_tables

REPLAY = Path(__file__).parents[1] / "replay"
runner = CliRunner()


@pytest.fixture
def live(database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Routes]:
    """Routes of two regions on the store, every projection caught up: production as it is."""
    monkeypatch.setenv("IOM_DATABASE_URL", database_url)
    monkeypatch.setenv("IOM_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("COLUMNS", "250")
    routes = Routes(store_env(database_url), profiles=ProfileCatalogue(load_profiles()))
    write_demo(routes, "sakha", 3)
    write_demo(routes, "balakhta", 2, first=4)
    for name in PROJECTIONS:
        catch_up(routes, name)
    yield routes
    routes.close()


def shadow(*args: str, code: int) -> dict[str, Any]:
    result = runner.invoke(iom, ["shadow", "--histories", str(REPLAY), "--json", *args])
    assert result.exit_code == code, result.output
    answer: dict[str, Any] = json.loads(result.stdout)
    return answer


def named(findings: list[Finding], part: str) -> set[tuple[str | None, str]]:
    return {(f.route_id, f.where) for f in findings if f.part == part}


def shadow_databases() -> set[str]:
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as admin:
        rows = admin.execute("SELECT datname FROM pg_database WHERE datname LIKE 'iom_shadow_%'")
        return {str(row[0]) for row in rows}


def test_a_clean_store_passes_and_nothing_is_written(live: Routes) -> None:
    before_databases = shadow_databases()
    head = live.recorder.max_notification_id()
    tables = read_tables(datastore_of(live), live.name)

    answer = shadow(code=0)

    assert answer["findings"] == [] and answer["notes"] == []
    assert answer["routes"] == 5
    assert answer["events"] == head
    assert answer["workflows"] == len(list(REPLAY.glob("*.json")))
    assert answer["rows"][ROUTES.name] == 5
    assert live.recorder.max_notification_id() == head
    assert read_tables(datastore_of(live), live.name) == tables
    assert shadow_databases() == before_databases


def test_a_changed_projection_is_named_by_table_and_route(
    live: Routes, monkeypatch: pytest.MonkeyPatch
) -> None:
    changed_route = next(iter(live.route_ids()))
    original = monitoring.FAMILIES[0]
    assert original.table is ROUTES

    def rows(state: RouteState) -> dict[Key, Row]:  # the new code's row differs for one route
        found = original.rows(state)
        if state.route.id != changed_route:
            return found
        (key, row), *_ = found.items()
        stage_name = ROUTES.names.index("stage_name")
        return {key: (*row[:stage_name], "другой этап", *row[stage_name + 1 :])}

    changed = Family(ROUTES, rows, original.depends)
    monkeypatch.setattr(monitoring, "FAMILIES", (changed, *monitoring.FAMILIES[1:]))

    report = check_store(live)

    assert named(report.findings, "table") == {(str(changed_route), ROUTES.name)}
    (finding,) = report.findings
    assert "stage_name" in finding.detail and "другой этап" in finding.detail
    answer = shadow(code=1)
    assert [f["route_id"] for f in answer["findings"]] == [str(changed_route)]


def test_a_tampered_event_is_named(live: Routes) -> None:
    tampered = list(live.route_ids())[2]
    event = live.history(tampered)[3]
    forged = event.model_copy(update={"command_id": "forged"})  # its hash left as it was
    with transaction_on(datastore_of(live), commit=True) as db:
        store_id = tampered.hex if db.dialect == "sqlite" else tampered
        db.execute(
            f"UPDATE {live.recorder.events_table_name} SET state = %s"  # type: ignore[attr-defined]
            " WHERE originator_id = %s AND originator_version = %s",
            (live.mapper.to_stored_event(forged).state, store_id, event.originator_version),
        )

    answer = shadow(code=1)

    chain = [f for f in answer["findings"] if f["where"] == "цепочка"]
    assert [(f["route_id"], f["part"]) for f in chain] == [(str(tampered), "route")]
    assert f"событие {event.originator_version}" in chain[0]["detail"]
    result = runner.invoke(iom, ["shadow", "--histories", str(REPLAY)])
    assert f"ИОМ {tampered}:" in result.stdout and "РАСХОЖДЕНИЙ" in result.stdout


def test_a_live_row_the_new_aggregate_disagrees_with_is_named(live: Routes) -> None:
    stale = list(live.route_ids())[1]
    with transaction_on(datastore_of(live), commit=True) as db:
        store_id = str(stale) if db.dialect == "sqlite" else stale
        db.execute(f"UPDATE {ROUTES.name} SET done = done + 7 WHERE route_id = %s", (store_id,))

    report = check_store(live)

    assert named(report.findings, "route") == {(str(stale), ROUTES.name)}
    assert named(report.findings, "table") == {(str(stale), ROUTES.name)}
    assert all(f.route_id == str(stale) for f in report.findings)


def test_an_unreachable_temporal_exits_3(live: Routes, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("IOM_TEMPORAL_ADDRESS", "127.0.0.1:1")
    result = runner.invoke(iom, ["shadow"])
    assert result.exit_code == 3, result.output
    assert "Temporal" in result.output


def test_a_snapshot_the_new_aggregate_disagrees_with_is_named(database_url: str) -> None:
    routes = Routes(
        store_env(database_url), profiles=ProfileCatalogue(load_profiles()), snapshot_interval=4
    )
    try:
        (route_id,) = write_demo(routes, "sakha", 1)
        for name in PROJECTIONS:
            catch_up(routes, name)
        assert routes.snapshots is not None
        (snapshot,) = routes.snapshots.get(route_id, desc=True, limit=1)
        assert isinstance(snapshot, RouteSnapshot)
        assert check_store(routes).findings == []

        changed = snapshot.model_copy(update={"state": snapshot.state | {"term": 7}})
        table = routes.snapshots.recorder.events_table_name  # type: ignore[attr-defined]
        with transaction_on(datastore_of(routes), commit=True) as db:
            store_id = route_id.hex if db.dialect == "sqlite" else route_id
            db.execute(
                f"UPDATE {table} SET state = %s"
                " WHERE originator_id = %s AND originator_version = %s",
                (
                    routes.mapper.to_stored_event(changed).state,
                    store_id,
                    snapshot.originator_version,
                ),
            )

        (finding,) = check_store(routes).findings
        assert finding.route_id == str(route_id)
        assert finding.where == f"снимок версии {snapshot.originator_version}"
        assert "term: в снимке «7», новым кодом «1»" in finding.detail
    finally:
        routes.close()


def test_an_edition_edited_in_place_is_named(database_url: str, live: Routes) -> None:
    shipped = load_profiles()
    sakha = shipped["sakha@1"]
    edited = sakha.model_copy(update={"methodist_capacity": sakha.methodist_capacity + 1})
    new_code = Routes(
        store_env(database_url), profiles=ProfileCatalogue(shipped | {"sakha@1": edited})
    )
    try:
        report = check_store(new_code)
    finally:
        new_code.close()

    (finding,) = [f for f in report.findings if f.part == "edition"]
    assert finding.where == "sakha@1" and finding.route_id is None
    assert "methodist_capacity" in finding.detail and "sakha@2" in finding.detail
