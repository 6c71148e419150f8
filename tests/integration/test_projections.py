"""Projections on both stores: every monitoring table and the audit trail against the routes
themselves, exactly once through crashes and cut connections, leases between projectors,
rebuilds equal to the live tables, unknown events skipped, and the operators' commands."""

from __future__ import annotations

import csv
import io
import json
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from uuid import UUID, uuid4

import psycopg
import pytest
import typer
from eventsourcing.persistence import StoredEvent
from structlog.testing import capture_logs
from typer.testing import CliRunner

from aggregates import events as ev
from aggregates.application import Routes
from aggregates.commands import AssignMethodist, CancelRoute, MarkActivityOverdue, ReturnRoute
from aggregates.profiles import ProfileCatalogue, Stage, load_profiles
from aggregates.route import Route
from aggregates.summaries import describe
from aggregates.values import Actor, Role
from projections import activities, agreement, audit, corrections, dynamics, refusals, routes
from projections.catalog import PROJECTIONS, catch_up, open_projection, rebuild, statuses
from projections.lease import Lease, LeaseLostError, lease_holders
from projections.runner import Runner, RunnerOptions
from projections.tables import Filters, normalise_row
from runtime.settings import store_env
from tests.conftest import PG_ADMIN_URL
from tests.support.profiles import REGIONS
from workers.cli.projections import monitor, projections, projector
from workers.demo import write_demo
from workers.logs import configure_logging
from workers.projector import Projector, Supervision

ROOT = Path(__file__).resolve().parents[2]
FAST = Supervision(lease_poll=0.1, lease_check=0.2, first_pause=0.05, longest_pause=0.5)
QUICK = RunnerOptions(batch_size=5, poll_interval=0.02, heartbeat=0.1)


def make_routes(url: str) -> Routes:
    return Routes(store_env(url), profiles=ProfileCatalogue(load_profiles()))


@pytest.fixture
def app(database_url: str) -> Iterator[Routes]:
    application = make_routes(database_url)
    yield application
    application.close()


def head(app: Routes) -> int:
    return app.recorder.max_notification_id() or 0


def eventually(check: Callable[[], bool], timeout: float = 20.0, what: str = "") -> None:
    """Wait for a condition (a position reached, a lease taken), never for a fixed time."""
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, f"timed out waiting for {what or check}"
        time.sleep(0.02)


def caught_up(app: Routes) -> bool:
    return all(s.position >= s.head for s in statuses(app))


def snapshot(app: Routes) -> dict[str, list[dict[str, Any]]]:
    """Every projection table, row for row, ordered by key."""
    tables: dict[str, list[dict[str, Any]]] = {}
    for name, cls in PROJECTIONS.items():
        view = open_projection(app, name).view
        with view.transaction(commit=False) as db:
            for table in cls.tables:
                rows = db.fetchall(f"SELECT * FROM {table.name} ORDER BY {', '.join(table.key)}")
                tables[table.name] = [normalise_row(table.kinds, row) for row in rows]
    return tables


def query(app: Routes, name: str, ask: Callable[..., list[dict[str, Any]]], *args: Any) -> Any:
    with open_projection(app, name).view.transaction(commit=False) as db:
        return ask(db, *args)


# The scenario: six routes of each region at different points of their life.


def actor(app: Routes, route_id: UUID, role: Role) -> Actor:
    route = app.route(route_id)
    if role is Role.METHODIST:
        assert route.methodist_id is not None
        return Actor(id=route.methodist_id, role=role)
    return Actor(id=f"{role.value}-{route.school_id}", role=role)


def drive_regions(app: Routes) -> dict[str, list[UUID]]:
    """Per region: two completed routes (one corrected), one awaiting agreement, one in
    implementation with an overdue activity and a new methodist, one returned, one cancelled."""
    made: dict[str, list[UUID]] = {}
    for region in REGIONS:
        ids = [write_demo(app, region, 1, first=i)[0] for i in (1, 2)]
        ids += write_demo(app, region, 1, until=Stage.AGREEMENT, first=3)
        (working,) = write_demo(app, region, 1, until=Stage.IMPLEMENTATION, first=4)
        system = Actor(id="deadline-timer", role=Role.SYSTEM)
        app.execute(working, MarkActivityOverdue(activity_id="a1"), system, f"{working}:late")
        operator = Actor(id="operator-1", role=Role.OPERATOR)
        reassign = AssignMethodist(
            methodist_id=f"methodist-{region}-99", order="Распоряжение № 7", reason="Отпуск"
        )
        app.execute(working, reassign, operator, f"{working}:reassign")
        (returned,) = write_demo(app, region, 1, until=Stage.AGREEMENT, first=5)
        party = app.route(returned).pending_parties()[0]
        back = ReturnRoute(comments="Уточнить сроки мероприятий")
        app.execute(returned, back, actor(app, returned, party), f"{returned}:return")
        (cancelled,) = write_demo(app, region, 1, until=Stage.DESIGN, first=6)
        stop = CancelRoute(reason="Педагог уволился")
        app.execute(cancelled, stop, actor(app, cancelled, Role.METHODIST), f"{cancelled}:cancel")
        made[region] = [*ids, working, returned, cancelled]
    return made


def expected_route_row(route: Route, history: list[ev.RouteEvent]) -> dict[str, Any]:
    plan = route.plan
    records = [route.activities[a.id] for a in plan.activities] if plan else []
    planned = plan.activities if plan else []
    open_ends = [a.ends_on for a, r in zip(planned, records, strict=True) if r.status == "planned"]
    finished = route.stage in (Stage.COMPLETED, Stage.CANCELLED)
    deadline = None if plan is None or finished else min(open_ends, default=plan.ends_on)
    approved = [e for e in history if isinstance(e, ev.RouteApproved)]
    done = sum(r.status == "done" for r in records)
    return {
        "stage": route.stage.value,
        "stage_name": route.profile.stage_names[route.stage],
        "profile_id": route.profile.id,
        "municipality_id": route.municipality_id,
        "school_id": route.school_id,
        "subject": route.subject,
        "methodist_id": route.methodist_id,
        "starts_on": plan.starts_on.isoformat() if plan else None,
        "ends_on": plan.ends_on.isoformat() if plan else None,
        "activities": len(records),
        "done": done,
        "not_done": sum(r.status == "not_done" for r in records),
        "share_done": round(done / len(records), 4) if records else 0.0,
        "overdue": sum(r.overdue and r.status == "planned" for r in records),
        "next_deadline": deadline.isoformat() if deadline else None,
        "corrections": len(route.corrections),
        "version": route.version,
        "approved": bool(approved),
    }


@dataclass
class Scenario:
    """The routes driven, as the write side knows them (the oracle for every table)."""

    app: Routes
    made: dict[str, list[UUID]]
    states: dict[UUID, Route] = field(default_factory=dict)
    histories: dict[UUID, list[ev.RouteEvent]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for route_id in (i for ids in self.made.values() for i in ids):
            self.states[route_id] = self.app.route(route_id)
            self.histories[route_id] = self.app.history(route_id)

    def rows(self, ask: Callable[..., list[dict[str, Any]]], *args: Any) -> list[dict[str, Any]]:
        return list(query(self.app, "monitoring", ask, *args, Filters(), None))

    def mine(self, rows: list[dict[str, Any]], route_id: UUID) -> list[dict[str, Any]]:
        return [r for r in rows if r["route_id"] == str(route_id)]


def check_routes(scenario: Scenario) -> None:
    rows = {r["route_id"]: r for r in scenario.rows(routes.query_routes)}
    assert set(rows) == {str(i) for i in scenario.states}
    for route_id, route in scenario.states.items():
        row = rows[str(route_id)]
        wanted = expected_route_row(route, scenario.histories[route_id])
        approved = wanted.pop("approved")
        assert {k: row[k] for k in wanted} == wanted, route.route_key
        assert (row["approved_on"] is not None) == approved
    for ids in scenario.made.values():
        assert [rows[str(i)]["stage"] for i in ids] == [
            "completed", "completed", "agreement", "implementation", "design", "cancelled"
        ]  # fmt: skip
    sakha = rows[str(scenario.made["sakha"][0])]
    assert (sakha["stage_name"], sakha["share_done"]) == ("ИОМ завершён", 1.0)
    working = rows[str(scenario.made["sakha"][3])]
    assert working["overdue"] == 1 and working["methodist_id"] == "methodist-sakha-99"


def check_activities(scenario: Scenario) -> None:
    found = scenario.rows(activities.query_activities)
    for route_id, route in scenario.states.items():
        mine = scenario.mine(found, route_id)
        plan = route.plan.activities if route.plan else []
        assert [r["activity_id"] for r in mine] == [a.id for a in plan]
        for row, activity in zip(mine, plan, strict=True):
            record = route.activities[activity.id]
            assert (row["title"], row["organiser"]) == (activity.title, activity.organiser)
            assert row["competences"] == ", ".join(activity.competences)
            assert (row["done"], row["overdue"]) == (record.status == "done", record.overdue)
            assert row["reason"] == (record.reason or None)
            assert row["product"] == (record.product or None)
            assert row["result_form"] == activity.result_form


def check_agreement_and_corrections(scenario: Scenario) -> None:
    holding = scenario.rows(agreement.query_agreement)
    for route_id, route in scenario.states.items():
        mine = {r["role"]: r for r in scenario.mine(holding, route_id)}
        assert set(mine) == {role.value for role in route.pending_parties()}
        if mine:
            history = scenario.histories[route_id]
            submitted = [e for e in history if isinstance(e, ev.RouteSubmitted)][-1]
            assert {r["since"] for r in mine.values()} == {submitted.timestamp.isoformat()}
            assert {r["round"] for r in mine.values()} == {1}
    assert {r["profile_id"] for r in holding} == set(REGIONS)
    logged = scenario.rows(corrections.query_corrections)
    for route_id, route in scenario.states.items():
        log = scenario.mine(logged, route_id)
        assert [(r["number"], r["acknowledged"], r["changed"]) for r in log] == [
            (c.number, c.acknowledged, ", ".join(c.changed)) for c in route.corrections
        ]
    assert len(logged) == len(REGIONS)


def check_dynamics(scenario: Scenario) -> None:
    levels = scenario.rows(dynamics.query_dynamics)
    for route_id, route in scenario.states.items():
        history = scenario.histories[route_id]
        finals = [e for e in history if isinstance(e, ev.FinalDiagnosticRecorded)]
        final = finals[-1].levels if finals else {}
        mine = {r["competence"]: r for r in scenario.mine(levels, route_id)}
        assert {c: (r["input_level"], r["final_level"]) for c, r in mine.items()} == {
            c: (route.input_levels.get(c), final.get(c))
            for c in set(route.input_levels) | set(final)
        }
    for row in scenario.rows(dynamics.query_dynamics_by, "municipality"):
        inputs = [
            r.input_levels[row["competence"]]
            for r in scenario.states.values()
            if (r.profile.id, r.municipality_id) == (row["profile_id"], row["municipality_id"])
            and row["competence"] in r.input_levels
        ]
        assert (row["tested"], row["mean_input"]) == (
            len(inputs),
            round(sum(inputs) / len(inputs), 3),
        )


def check_sums(scenario: Scenario) -> None:
    load = Counter[tuple[str, str]]()
    assigned = Counter[tuple[str, str]]()
    lowest = Counter[tuple[str, str, str, str]]()
    tested = Counter[tuple[str, str, str, str]]()
    for route in scenario.states.values():
        if route.methodist_id:
            key = (route.profile.id, route.methodist_id)
            assigned[key] += 1
            load[key] += route.stage not in (Stage.COMPLETED, Stage.CANCELLED)
        for competence, level in route.input_levels.items():
            where = (route.profile.id, route.municipality_id, route.subject, competence)
            tested[where] += 1
            lowest[where] += level == 1
    methodists = scenario.rows(routes.query_methodists)
    by_methodist = {(r["profile_id"], r["methodist_id"]): r for r in methodists}
    assert {k: r["active_routes"] for k, r in by_methodist.items()} == dict(load)
    assert {k: r["routes"] for k, r in by_methodist.items()} == dict(assigned)
    assert {(r["capacity"], r["over_capacity"]) for r in methodists} == {(150, False)}
    deficits = scenario.rows(dynamics.query_deficits)
    keys = ("profile_id", "municipality_id", "subject", "competence")
    assert {tuple(r[k] for k in keys): r["lowest"] for r in deficits} == dict(lowest)
    assert {tuple(r[k] for k in keys): r["diagnosed"] for r in deficits} == dict(tested)


def check_audit(scenario: Scenario) -> None:
    trail = query(scenario.app, "audit", audit.query_audit, Filters(), None)
    assert len(trail) == head(scenario.app)
    for route_id, history in scenario.histories.items():
        profile = scenario.states[route_id].profile
        mine = sorted(scenario.mine(trail, route_id), key=lambda r: r["version"])
        assert [
            (r["version"], r["event_type"], r["actor_id"], r["role"], r["summary"], r["chain_hash"])
            for r in mine
        ] == [
            (
                e.originator_version,
                type(e).__name__,
                e.actor.id,
                e.actor.role.value,
                describe(e, profile),
                e.chain_hash,
            )
            for e in history
        ]
    filtered = query(scenario.app, "audit", audit.query_audit, Filters(profile_id="balakhta"), None)
    assert {r["profile_id"] for r in filtered} == {"balakhta"}


def test_every_table_matches_the_routes_of_each_region(app: Routes) -> None:
    made = drive_regions(app)
    for name in PROJECTIONS:
        assert catch_up(app, name, options=RunnerOptions(batch_size=37)) == head(app)
    scenario = Scenario(app, made)
    check_routes(scenario)
    check_activities(scenario)
    check_agreement_and_corrections(scenario)
    check_dynamics(scenario)
    check_sums(scenario)
    check_audit(scenario)


def indexed(app: Routes, index: str) -> bool:
    with open_projection(app, "audit").view.transaction(commit=False) as db:
        if db.dialect == "postgres":
            found = db.fetchall("SELECT 1 FROM pg_indexes WHERE indexname = %s", (index,))
        else:
            found = db.fetchall(
                "SELECT 1 FROM sqlite_master WHERE type = 'index' AND name = %s", (index,)
            )
    return bool(found)


def test_a_rebuild_equals_the_live_tables_row_for_row(database_url: str, app: Routes) -> None:
    with Projector(
        lambda: make_routes(database_url),
        options=RunnerOptions(batch_size=3, poll_interval=0.02, heartbeat=0.1),
        supervision=FAST,
    ):
        for region in REGIONS:
            write_demo(app, region, 2)
        write_demo(app, "sakha", 1, until=Stage.AGREEMENT, first=3)
        eventually(lambda: caught_up(app), what="the live projections")
        live = snapshot(app)
        # Rebuilt while the projector runs: it notices the reset and applies the log again (or,
        # on SQLite, this call and the projector take turns); the result is the same.
        assert rebuild(app, "monitoring", wait=0.02) == head(app)
        eventually(lambda: caught_up(app), what="the projector after the reset")
        assert snapshot(app) == live
    assert len(live["iom_audit"]) == head(app)
    for name in PROJECTIONS:
        assert rebuild(app, name, options=RunnerOptions(batch_size=1000)) == head(app)
    assert snapshot(app) == live
    assert indexed(app, "iom_audit_profile_id_notification_id_route_id_version_idx")
    assert indexed(app, "iom_routes_next_deadline_route_id_idx")


class Crash(BaseException):
    """The projector's process dies (nothing after this point runs)."""


def test_a_crash_between_a_write_and_the_next_poll_misses_nothing(app: Routes) -> None:
    for region in ("sakha", "chelyabinsk"):
        write_demo(app, region, 2)
    end = head(app)
    for name in PROJECTIONS:
        written: list[int] = []

        def die_after_second_batch(position: int, written: list[int] = written) -> None:
            written.append(position)
            if len(written) == 2:
                raise Crash

        runner = Runner(
            app,
            open_projection(app, name),
            options=RunnerOptions(batch_size=7),
            on_batch=die_after_second_batch,
        )
        with pytest.raises(Crash):
            runner.run(until=end)
        assert open_projection(app, name).view.position() == written[-1] == 14
        assert catch_up(app, name, options=RunnerOptions(batch_size=7)) == end
    once = snapshot(app)
    assert len(once["iom_audit"]) == end
    for name in PROJECTIONS:
        rebuild(app, name)
    assert snapshot(app) == once


def cut_connections(database_url: str, projector: Projector) -> None:
    """PostgreSQL: terminate every session of the database but ours (pool, LISTEN, leases).
    SQLite, which has no sessions to cut: close the projector's pools under it, so that every
    later request or return of a connection fails. Only the idle connections are closed: closing
    one while another thread runs a statement on it crashes the interpreter."""
    if database_url.startswith("postgresql"):
        with psycopg.connect(database_url, autocommit=True) as conn:
            conn.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
        return
    for worker in projector.workers:
        assert worker.routes is not None
        pool = getattr(worker.routes.recorder, "datastore").pool  # noqa: B009
        with pool._put_condition:  # no connection is taken or returned meanwhile
            pool._closed = True
            while pool._pool:
                pool._pool.popleft().close()


def test_a_cut_connection_is_survived_from_the_tracked_position(
    database_url: str, app: Routes
) -> None:
    with Projector(lambda: make_routes(database_url), options=QUICK, supervision=FAST) as running:
        write_demo(app, "sakha", 2)
        eventually(lambda: caught_up(app), what="the first routes")
        cut_connections(database_url, running)
        write_demo(app, "balakhta", 2)
        eventually(lambda: caught_up(app), what="the routes after the cut")
        assert sum(w.restarts for w in running.workers) >= 1
        cut_connections(database_url, running)
        write_demo(app, "sovetsky", 1)
        eventually(lambda: caught_up(app), what="the routes after the second cut")
    live = snapshot(app)
    assert len(live["iom_audit"]) == head(app)
    for name in PROJECTIONS:
        rebuild(app, name)
    assert snapshot(app) == live


def test_an_unknown_event_type_is_skipped_with_a_warning(app: Routes) -> None:
    (route_id,) = write_demo(app, "sovetsky", 1, until=Stage.DESIGN)
    strangers = [
        StoredEvent(uuid4(), 1, "aggregates.events:RouteRenamed", b"{}"),
        StoredEvent(route_id, 99, "aggregates.values:Actor", b"{}"),
    ]
    app.recorder.insert_events(strangers)
    (later,) = write_demo(app, "sakha", 1, until=Stage.DESIGN)
    with capture_logs() as logs:
        for name in PROJECTIONS:
            assert catch_up(app, name) == head(app)
    skipped = [log for log in logs if log["event"] == "projection.event_skipped"]
    assert sorted((log["projection"], log["topic"]) for log in skipped) == sorted(
        (name, s.topic) for name in PROJECTIONS for s in strangers
    )
    assert all(log["log_level"] == "warning" for log in skipped)
    trail = query(app, "audit", audit.query_audit, Filters(), None)
    assert len(trail) == head(app) - 2
    rows = query(app, "monitoring", routes.query_routes, Filters(), None)
    assert {r["route_id"] for r in rows} == {str(route_id), str(later)}


def test_refused_commands_are_recorded_once_and_queried(app: Routes) -> None:
    route_id = uuid4()
    when = app.clock()
    fields: dict[str, Any] = {
        "route_id": route_id,
        "refused_at": when,
        "actor_id": "teacher-1",
        "role": "teacher",
        "command": "approve_route",
        "rule": "role",
        "field": "role",
        "message": "Утверждает ИОМ руководитель ОО",
    }
    assert refusals.record_refusal(app, **fields, command_id="c-1")
    assert not refusals.record_refusal(app, **fields, command_id="c-1")
    assert refusals.record_refusal(app, **fields | {"route_id": None})
    found = query(app, "audit", refusals.query_refusals, Filters(route_id=route_id), None)
    assert [(r["command"], r["message"], r["command_id"]) for r in found] == [
        ("approve_route", "Утверждает ИОМ руководитель ОО", "c-1")
    ]
    assert found[0]["refused_at"] == when.isoformat()


# Leases (PostgreSQL only).


def test_a_lease_is_exclusive_and_passes_on_when_its_session_dies(pg_url: str) -> None:
    first, second = Lease(pg_url, "monitoring", 0.0), Lease(pg_url, "monitoring", 0.0)
    other = Lease(pg_url, "audit", 0.0)
    try:
        assert first.try_acquire() and not second.try_acquire() and other.try_acquire()
        first.check()
        with psycopg.connect(pg_url, autocommit=True) as conn:
            conn.execute("SELECT pg_terminate_backend(%s)", (first.backend_pid,))
        with pytest.raises(LeaseLostError):
            first.check()
        eventually(second.try_acquire, timeout=5, what="the lease to pass on")
        assert lease_holders(pg_url, ["monitoring"])["monitoring"] is not None
    finally:
        for lease in (first, second, other):
            lease.release()


def test_a_lease_in_another_database_is_not_this_ones(pg_url: str) -> None:
    # Another store on the same server (here the admin database) runs its own projector.
    elsewhere = Lease(PG_ADMIN_URL, "monitoring", 0.0)
    try:
        assert elsewhere.try_acquire()
        assert lease_holders(pg_url, ["monitoring"]) == {"monitoring": None}
        assert lease_holders(PG_ADMIN_URL, ["monitoring"])["monitoring"] is not None
    finally:
        elsewhere.release()


def start_projector(pg_url: str, log: Path) -> subprocess.Popen[bytes]:
    env = os.environ | {"IOM_DATABASE_URL": pg_url, "IOM_LOG_FORMAT": "json"}
    with log.open("wb") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "workers.projector", "--poll-interval", "0.05"],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )


def test_two_projector_processes_never_share_a_projection(pg_url: str, tmp_path: Path) -> None:
    app = make_routes(pg_url)
    write_demo(app, "sakha", 2)
    processes = [start_projector(pg_url, tmp_path / f"p{n}.log") for n in (1, 2)]
    try:
        names = list(PROJECTIONS)

        def held() -> dict[str, str | None]:
            return lease_holders(pg_url, names)

        eventually(lambda: all(held().values()), what="both leases")
        eventually(lambda: caught_up(app), what="the projectors")
        holders = held()
        pids = {p.pid for p in processes}
        owners = {name: int(str(h).split("pid=")[1].split()[0]) for name, h in holders.items()}
        assert set(owners.values()) <= pids
        victim = owners["monitoring"]
        os.kill(victim, signal.SIGKILL)
        survivor = next(p for p in processes if p.pid != victim)
        eventually(
            lambda: all(f"pid={survivor.pid}" in str(h) for h in held().values()),
            timeout=15,
            what="the survivor to take both leases",
        )
        write_demo(app, "balakhta", 2)
        eventually(lambda: caught_up(app), what="the survivor to carry on")
        live = snapshot(app)
        assert len(live["iom_audit"]) == head(app)
        survivor.send_signal(signal.SIGTERM)
        assert survivor.wait(timeout=15) == 0
    finally:
        for process in processes:
            if process.poll() is None:
                process.kill()
                process.wait()
    for name in PROJECTIONS:
        rebuild(app, name)
    assert snapshot(app) == live
    app.close()


# The operators' commands.

runner = CliRunner()


def cli(app: typer.Typer, *args: str, code: int = 0) -> str:
    result = runner.invoke(app, list(args))
    assert result.exit_code == code, result.output
    return result.stdout if code == 0 else result.output


@pytest.fixture
def configured(database_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("IOM_DATABASE_URL", database_url)
    monkeypatch.setenv("IOM_LOG_FORMAT", "json")
    monkeypatch.setenv("COLUMNS", "250")  # tables unwrapped, as in a wide terminal
    configure_logging("json")  # as `iom`'s callback does: the log on stderr, stdout the answer


def test_the_commands_report_rebuild_and_monitor(configured: None, app: Routes) -> None:
    command = typer.Typer()
    command.command()(projector)
    write_demo(app, "sakha", 2)
    write_demo(app, "chelyabinsk", 1, until=Stage.AGREEMENT)
    before = json.loads(cli(projections, "status", "--json"))
    assert {r["projection"]: r["lag"] for r in before} == dict.fromkeys(PROJECTIONS, head(app))
    assert cli(command, "--once").splitlines() == [f"{n}: {head(app)}" for n in PROJECTIONS]
    after = json.loads(cli(projections, "status", "--json"))
    assert [(r["projection"], r["position"], r["lag"]) for r in after] == [
        (n, head(app), 0) for n in PROJECTIONS
    ]
    assert "отставание" in cli(projections, "status")
    assert f"monitoring: пересобрана до события {head(app)}" in cli(
        projections, "rebuild", "monitoring"
    )
    assert "нет проекции «nope»" in cli(projections, "rebuild", "nope", code=2)

    listed = json.loads(cli(monitor, "routes", "--region", "sakha", "--json"))
    assert [r["stage"] for r in listed] == ["completed", "completed"]
    sakha_id = listed[0]["route_id"]
    table = cli(monitor, "routes")
    assert "Согласование" in table and "ИОМ завершён" in table
    rows = list(
        csv.DictReader(io.StringIO(cli(monitor, "activities", "--route", sakha_id, "--csv")))
    )
    assert rows and {r["route_id"] for r in rows} == {sakha_id}
    assert json.loads(cli(monitor, "agreement", "--region", "chelyabinsk", "--json"))
    assert json.loads(cli(monitor, "agreement", "--region", "sakha", "--json")) == []
    methodists = json.loads(cli(monitor, "methodists", "--json"))
    assert {r["profile_id"] for r in methodists} == {"sakha", "chelyabinsk"}
    assert "норма" in cli(monitor, "methodists")
    dyn = json.loads(cli(monitor, "dynamics", "--route", sakha_id, "--json"))
    assert dyn and all(r["final_level"] is not None for r in dyn)
    by_school = list(
        csv.DictReader(io.StringIO(cli(monitor, "dynamics", "--by", "school", "--csv")))
    )
    assert by_school and "school_id" in by_school[0]
    assert "компетенции" in cli(monitor, "dynamics", "--by", "municipality", "--region", "sakha")
    deficits = json.loads(cli(monitor, "deficits", "--subject", listed[0]["subject"], "--json"))
    assert deficits and {r["subject"] for r in deficits} == {listed[0]["subject"]}
    assert "No such option" in cli(monitor, "deficits", "--school", "x", code=2)
    assert "не применим" in cli(monitor, "dynamics", "--by", "school", "--methodist", "m", code=2)
    trail = json.loads(cli(monitor, "audit", "--route", sakha_id, "--json"))
    assert [r["version"] for r in trail] == list(range(len(app.history(UUID(sakha_id))), 0, -1))
    assert "ИОМ открыт" in cli(monitor, "audit", "--route", sakha_id, "--limit", "50")
    assert json.loads(cli(monitor, "corrections", "--json"))
    assert json.loads(cli(monitor, "refusals", "--json")) == []
    assert "--json или --csv" in cli(monitor, "routes", "--json", "--csv", code=2)
