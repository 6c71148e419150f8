"""The event-store benchmark's measuring functions run at a tiny size and give whole results."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

import pytest

from aggregates.application import Routes
from aggregates.deadlines import timers
from aggregates.profiles import ProfileCatalogue, load_profiles
from bench import api, campaign_import, console, suggestion, workflows
from bench import charts as charts_bench
from bench import incidents as incidents_bench
from bench import projections as bench
from bench import shadow as shadow_bench
from bench import tasks as tasks_bench
from bench.sections import write_section
from bench.store import (
    CACHE_OFF,
    CACHE_ON,
    Report,
    Stats,
    Store,
    build_long_route,
    measure_commands,
    measure_reads,
    open_routes,
    render,
    replay,
)
from runtime.settings import store_env

if TYPE_CHECKING:
    from pathlib import Path


def _positive(stats: Stats, samples: int) -> None:
    assert stats.samples == samples
    assert 0 < stats.median_ms <= stats.p95_ms
    assert stats.per_second > 0


def test_measuring_functions_at_a_tiny_size(tmp_path: Path) -> None:
    store = Store("sqlite", f"sqlite:///{tmp_path / 'bench.sqlite3'}")

    commands = [
        measure_commands(store, cache=cache, commands=20, routes=2, rounds=2, warmup=2)
        for cache in (CACHE_ON, CACHE_OFF)
    ]
    for result in commands:
        _positive(result.domain, 20)
        _positive(result.bare, 20)
        assert result.ratio > 0
    assert [c.cache for c in commands] == [CACHE_ON, "off"]

    reads = measure_reads(store, events=60, samples=10, replays=2, rounds=2, warmup=2)
    assert (reads.events, reads.snapshot_version, reads.matches_replay) == (60, 50, True)
    for stats, samples in ((reads.latest, 10), (reads.old, 10), (reads.raw, 10), (reads.replay, 2)):
        _positive(stats, samples)
    assert min(reads.latest_ratio, reads.old_ratio, reads.replay_ratio) > 0

    app = open_routes(store, CACHE_OFF)
    try:
        route_id = build_long_route(app, store, 60)
        from_snapshot = app.route(route_id)
        assert from_snapshot.version == 60
        assert from_snapshot == replay(app, route_id)
        assert app.route(route_id, version=55) == replay(app, route_id, 55)
    finally:
        app.close()

    table = render(Report(commands, [reads]))
    assert table.count("| sqlite |") == 2 + 4


def test_route_workflow_bench_routes_and_report(tmp_path: Path) -> None:
    """The route-workflow benchmark's routes (the servers' part runs as `--quick`)."""
    moment = datetime.now(UTC).replace(microsecond=0) + timedelta(hours=1)
    due = workflows.template("chelyabinsk", 1, moment)
    quiet = workflows.template("sakha", 2)
    assert (due.due, quiet.due) == (1, 0)  # one request due at T; the others already sent
    app = Routes(
        store_env(f"sqlite:///{tmp_path / 'wf.sqlite3'}"),
        profiles=ProfileCatalogue(load_profiles()),
    )
    try:
        ids = workflows.write_clones(app, [due, quiet], ["due-1", "quiet-1", "due-2"])
        assert len(set(ids)) == 3
        assert timers(app.route(ids[2]))[0].at == moment
        assert all(t.at > datetime.now(UTC) for t in timers(app.route(ids[1])))
    finally:
        app.close()


def test_api_bench_percentiles_and_its_own_section(tmp_path: Path) -> None:
    """The API benchmark's figures and section (the servers' part runs as `--quick`)."""
    stats = api.Latencies.of([n * 1_000_000 for n in range(1, 101)], wall_s=2.0)
    assert (stats.p50_ms, stats.p95_ms, stats.p99_ms, stats.per_second) == (50, 95, 99, 50)
    level = api.Level(8, stats, stats, api.Latencies.of([10**6] * 4, 1.0))
    report = api.Report([level], "--quick", 8, (10, 10), "idle", "2026-11-23 17:00 UTC")
    section = api.render(report)
    row = "| 8 | command through the API | 100 | 50.0 | 95.0 | 99.0 | 50 | **99.00×** "
    assert row + "| 0.0 / 0.0 / 0.0 / 0.0 / 0.0 | 0.0 | 0.00 | yes |" in section
    spent = api.Cpu(api=1.0, worker=2.0, server=0.5, postgres=0.25, clients=0.25, machine=4.0)
    busy = api.Latencies.of([10**6] * 100, 2.0, spent - api.Cpu())
    assert busy.by_process() == [10.0, 20.0, 5.0, 2.5, 2.5] and busy.cpu_ms == 40.0
    assert busy.busy_cores == 2.0
    path = tmp_path / "BENCHMARKS.md"
    path.write_text("# Benchmarks\n\n## Other\n\nkept\n", encoding="utf-8")
    write_section(path, api.SECTION, api.END, section)
    write_section(path, api.SECTION, api.END, section.replace("idle", "busy"))
    text = path.read_text(encoding="utf-8")
    assert text.count(api.BEGIN) == 1 and "busy" in text and "## Other\n\nkept\n" in text


def test_projection_bench_section_sets_rebuild_and_queries_against_baselines(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The rebuild is shown against the raw read of the same log, each query against the
    page read by primary key in the same run; the CPU measured bounds what any split of the
    work over the machine's cores could reach."""
    monkeypatch.setattr("os.cpu_count", lambda: 2)
    report = bench.Report("postgres", events=1000, routes_written=80)
    report.raw, report.decoded = bench.Rate(1000, 0.5), bench.Rate(1000, 1.0)
    report.projections = {"monitoring": bench.Rate(1000, 2.0, cpu=1.5, database_cpu=0.5)}
    report.rebuild = bench.Rate(1000, 4.0, cpu=2.0, database_cpu=2.0)
    report.query_routes = 5000
    report.queries = [
        bench.QueryStat(bench.BASELINE_QUERY, 1000, 5.0, 10.0),
        bench.QueryStat("routes (all)", 1000, 10.0, 20.0),
        bench.QueryStat("routes --school", 26, 60.0, 70.0),
    ]
    section = bench.render([report], "--backend postgres")
    assert "| postgres | 1,000 | 0.50 | 4.0 | **8.0×** | " in section
    assert f"| {bench.BASELINE_QUERY} | 1,000 | 5.0 | 10.0 | 1.00× |  |" in section
    assert "| `routes (all)` | 1,000 | 10.0 | 20.0 | 2.00× | yes |" in section
    assert "| `routes --school` | 26 | 60.0 | 70.0 | 7.00× | **no** |" in section
    assert "at best monitoring 0.50× the raw read, and a full rebuild of 1M events in 2000 s" in (
        section
    )


def test_tasks_bench_at_a_tiny_size() -> None:
    """The inbox benchmark's run and section at a dozen routes on SQLite."""
    report = tasks_bench.run("sqlite", routes=12, samples=3, page=5)
    assert report.events > 0 and report.tasks >= report.open_tasks > 0
    assert set(report.rates) == {"monitoring", "tasks", tasks_bench.SHARED}
    assert all(rate.events == report.events and rate.cpu > 0 for rate in report.rates.values())
    part = tasks_bench.tasks_part(report)  # the shared pass less monitoring's own
    assert part.cpu == report.rates[tasks_bench.SHARED].cpu - report.rates["monitoring"].cpu
    assert report.done_tasks > 0 and all(stat.plan == "" for stat in report.pages)  # SQLite
    assert report.pages[0].name == tasks_bench.BASELINE and len(report.pages) >= 2
    section = tasks_bench.render(report, "--backend sqlite --routes 12")
    assert section.startswith(f"## {tasks_bench.SECTION}") and tasks_bench.END in section
    assert "rows for 12 routes" in section and "the tasks' part of the shared pass" in section


def test_the_console_benchmarks_section(tmp_path: Path) -> None:
    page = Stats.of([n * 2_000_000 for n in range(1, 21)])
    answer = Stats.of([n * 1_000_000 for n in range(1, 21)])
    result = console.Result(500, page, answer, 200_000, 150_000)
    assert result.ratio == 2.0
    section = console.render(result, "--events 500 --samples 20")
    assert "(target ≤ 2×: met)" in section and section.endswith(f"{console.END}\n")
    path = tmp_path / "BENCHMARKS.md"
    write_section(path, console.SECTION, console.END, section)
    write_section(path, console.SECTION, console.END, section.replace("met", "NOT met"))
    assert path.read_text().count(console.END) == 1 and "NOT met" in path.read_text()


def test_the_charts_bench_at_a_tiny_size(tmp_path: Path) -> None:
    result = charts_bench.run(events=300, routes_wanted=600, samples=2, warmup=1)
    assert result.routes >= 600 and 0 < result.sakha_routes < result.routes
    for kind in charts_bench.KINDS:
        _positive(result.stats[kind], 2)
        assert result.sizes[kind] > 0
    assert result.sizes["images"] == result.sizes["drawn"]  # the same files, kept or drawn
    section = charts_bench.render(result, "--events 300 --routes 600 --samples 2")
    assert section.startswith(f"## {charts_bench.SECTION}") and section.endswith(
        f"{charts_bench.END}\n"
    )
    path = tmp_path / "BENCHMARKS.md"
    write_section(path, charts_bench.SECTION, charts_bench.END, section)
    assert path.read_text().count(charts_bench.END) == 1


def test_campaign_import_bench_at_a_tiny_size() -> None:
    """Both sides of the campaign import benchmark write every teacher's diagnostic once."""
    report = campaign_import.run("sqlite", 12)
    # four rounds of three teachers: a diagnostic each, and each round's note on its campaign
    assert (report.import_events, report.batch_events) == (12 + 4, 12)
    assert report.import_rate > 0 and report.batch_rate > 0
    section = campaign_import.render(report)
    assert section.startswith(f"## {campaign_import.SECTION}\n") and "Ratio" in section


def test_the_suggestion_benchmark_at_a_tiny_size(tmp_path: Path) -> None:
    store = Store("sqlite", f"sqlite:///{tmp_path / 'bench.sqlite3'}")
    result = asyncio.run(suggestion.measure(store, programmes=50, samples=4, warmup=1))
    _positive(result.suggestion, 4)
    _positive(result.read, 4)
    assert result.programmes == 50 and result.activities > 0 and result.ratio > 0
    section = suggestion.render(result, "--programmes 50 --samples 4")
    assert "50 programmes in the catalogue" in section
    assert section.endswith(f"{suggestion.END}\n")


def test_the_shadow_bench_at_a_tiny_size() -> None:
    result = shadow_bench.run("sqlite", 400)
    assert result.events == 400 and result.routes > 0
    assert result.findings == 0  # the generated routes verify: their chains are recomputed
    parts = result.read_seconds + result.routes_seconds + result.tables_seconds
    assert 0 < parts <= result.shadow.seconds and result.rebuild.seconds > 0
    assert result.rows > 0 and result.peak_mb > 0
    section = shadow_bench.render(result, "--events 400 --backend sqlite")
    assert section.startswith(f"## {shadow_bench.SECTION}") and shadow_bench.END in section
    assert f"{result.ratio:.2f}×" in section


def test_the_incidents_bench_at_a_tiny_size(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'bench.sqlite3'}"
    result = asyncio.run(incidents_bench.measure(url, 6, 2, 1))  # it checks what it lists
    assert (result.routes, result.incidents) == (6, 2)
    assert min(result.listing_seconds, result.list_seconds, result.describe_seconds) > 0
    section = incidents_bench.render(result, "--routes 6 --incidents 2")
    assert section.startswith(f"## {incidents_bench.SECTION}") and incidents_bench.END in section
