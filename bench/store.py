"""Event-store benchmarks: a domain command saved, and a long route read from its snapshot.

Every figure is a ratio against a baseline measured in the same run on the same store:

* a domain command (`Routes.execute` of `RecordInterimResult`: command validation, the guards,
  event metadata, the hash chain, the idempotency record, a snapshot every
  `snapshot_interval` events) against a bare eventsourcing save (a stock `Aggregate` with one
  `@event` method, `repository.get` then `save`, in a plain `Application` with the same env and
  the same repository cache settings) — commands per second, target ≥ 0.8×;
* a route of 500 events read from its snapshot (`Routes.route(id)`, aggregate cache off) and at a
  random old version (`Routes.route(id, version=…)`) against the raw read of the same route's
  stored events (`recorder.select_events(id)`, no deserialisation) — targets: median < 1 ms,
  p95 < 20 ms.

Run `python -m bench.store [--backend sqlite|postgres|both] [--write BENCHMARKS.md]`.
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import io
import math
import os
import platform
import pstats
import random
import re
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, ClassVar
from uuid import UUID, uuid4

import psycopg
from eventsourcing.application import Application
from eventsourcing.domain import Aggregate, event
from psycopg import sql

from aggregates.application import Routes, project_route
from aggregates.commands import RecordInterimResult
from aggregates.profiles import ProfileCatalogue, Stage, load_profiles
from aggregates.route import Route
from aggregates.values import Actor, Role
from runtime.settings import store_env
from workers.demo import DemoRoute

REGION = "sakha"
SECTION = "Event store"
PG_ADMIN_URL = os.environ.get(
    "IOM_BENCH_PG_ADMIN_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
)

CACHE_ON = Routes.env["AGGREGATE_CACHE_MAXSIZE"]
"""The production repository cache: an LRU of this many routes, fast-forwarded, deep-copied."""
CACHE_OFF = ""
"""No repository cache. Note that in eventsourcing 9.5 `AGGREGATE_CACHE_MAXSIZE=0` is not
"off" but an *unbounded* cache; only an empty (or absent) value leaves the cache out."""

SNAPSHOT_INTERVAL = 50
"""Events between snapshots, for routes (the engine's default) and the baseline's counters."""

COMMAND_SCENARIOS = (100, 1)
"""Commands go round-robin over this many routes: many young routes (a route's whole life is
some 25 events), or one route that grows by every command."""

TARGET_COMMAND_RATIO = 0.8
TARGET_LATEST_MEDIAN_MS = 1.0
TARGET_OLD_P95_MS = 20.0


# Measuring.


@dataclass(frozen=True)
class Stats:
    """Latencies of one operation: how many samples, their median, p95 and sum."""

    samples: int
    median_ms: float
    p95_ms: float
    total_s: float

    @classmethod
    def of(cls, nanoseconds: list[int]) -> Stats:
        ordered = sorted(nanoseconds)
        rank = max(1, math.ceil(0.95 * len(ordered)))  # nearest-rank percentile
        return cls(
            samples=len(ordered),
            median_ms=(ordered[(len(ordered) - 1) // 2] + ordered[len(ordered) // 2]) / 2e6,
            p95_ms=ordered[rank - 1] / 1e6,
            total_s=sum(ordered) / 1e9,
        )

    @property
    def per_second(self) -> float:
        """Throughput: operations per second of measured time."""
        return self.samples / self.total_s


def timed(action: Callable[[], object]) -> int:
    """Nanoseconds `action` took."""
    start = time.perf_counter_ns()
    action()
    return time.perf_counter_ns() - start


@dataclass
class Store:
    """One event store under test; hands out fresh demo-route indices so runs never collide."""

    backend: str
    url: str
    next_index: int = 1

    def indices(self, count: int) -> range:
        first = self.next_index
        self.next_index += count
        return range(first, first + count)

    def env(self, cache: str) -> dict[str, str]:
        return store_env(self.url) | {"AGGREGATE_CACHE_MAXSIZE": cache}


def open_routes(store: Store, cache: str, snapshot_interval: int = SNAPSHOT_INTERVAL) -> Routes:
    """The engine's application on `store`, with the repository cache as given."""
    return Routes(
        store.env(cache),
        profiles=ProfileCatalogue(load_profiles()),
        snapshot_interval=snapshot_interval,
    )


class Counter(Aggregate):
    """The baseline aggregate: one attribute, one event."""

    def __init__(self) -> None:
        self.count = 0

    @event("Incremented")
    def increment(self) -> None:
        self.count += 1


class BareApplication(Application[UUID]):
    """A plain eventsourcing application: stock mapper, transcoder and repository, and the
    library's own snapshotting at the routes' interval, so that with the cache off neither side
    replays a history the other would not."""

    snapshotting_intervals: ClassVar[dict[type[Any], int]] = {Counter: SNAPSHOT_INTERVAL}


@dataclass
class DrivenRoute:
    """A demo route in implementation, and what it takes to record interim results on it."""

    app: Routes
    id: UUID
    key: str
    methodist: Actor
    recorded_on: datetime
    sent: int = 0

    def record_interim(self) -> int:
        """Record one more interim result (a new command id); the route's version after it."""
        self.sent += 1
        command = RecordInterimResult(
            recorded_on=self.recorded_on.date(),
            text=f"Промежуточный результат №{self.sent}: положительная динамика",
        )
        receipt = self.app.execute(
            self.id, command, self.methodist, f"{self.key}:bench-interim-{self.sent}"
        )
        assert not receipt.replayed
        return receipt.version


def drive_routes(app: Routes, store: Store, count: int) -> list[DrivenRoute]:
    """`count` demo routes driven to the implementation stage."""
    profile = app.profiles.latest(REGION)
    rng = random.Random(f"bench:{store.next_index}")
    today = app.clock().date()
    # A day before today in UTC is no later than today in any region.
    yesterday = app.clock() - timedelta(days=1)
    driven = []
    for index in store.indices(count):
        demo = DemoRoute(app, profile, index, rng, today)
        route_id = demo.drive(until=Stage.IMPLEMENTATION)
        driven.append(DrivenRoute(app, route_id, demo.key, demo.actor(Role.METHODIST), yesterday))
    return driven


def build_long_route(app: Routes, store: Store, events: int) -> UUID:
    """A route driven to implementation, then interim results until it has `events` events."""
    (route,) = drive_routes(app, store, 1)
    version = app.route(route.id).version
    if version > events:
        raise ValueError(f"driving to implementation already takes {version} events")
    while version < events:
        version = route.record_interim()
    return route.id


def replay(app: Routes, route_id: UUID, version: int | None = None) -> Route:
    """The route rebuilt from every one of its events, no snapshot."""
    route = project_route(None, app.events.get(route_id, lte=version))
    assert route is not None
    return route


# Benchmark 1: a domain command against a bare save.


@dataclass(frozen=True)
class CommandResult:
    """Domain commands and bare saves, on one store with one cache setting."""

    backend: str
    cache: str
    routes: int
    versions: tuple[int, int]  # the routes' versions when measuring began and ended (mean)
    domain: Stats
    bare: Stats

    @property
    def ratio(self) -> float:
        """Domain throughput over bare throughput."""
        return self.domain.per_second / self.bare.per_second


def measure_commands(
    store: Store,
    *,
    cache: str = CACHE_ON,
    commands: int = 1000,
    routes: int = 100,
    rounds: int = 10,
    warmup: int = 100,
) -> CommandResult:
    """`commands` interim results across `routes` routes, against as many bare saves across as
    many counters; interleaved in `rounds` so drift in the machine hits both alike."""
    app = open_routes(store, cache)
    bare = BareApplication(store.env(cache))
    try:
        driven = drive_routes(app, store, routes)
        counters = [Counter() for _ in range(routes)]
        bare.save(*counters)
        ids = [counter.id for counter in counters]
        step = {"domain": 0, "bare": 0}

        def domain() -> None:
            driven[step["domain"] % routes].record_interim()
            step["domain"] += 1

        def bare_save() -> None:
            counter: Counter = bare.repository.get(ids[step["bare"] % routes])
            counter.increment()
            bare.save(counter)
            step["bare"] += 1

        for _ in range(warmup):
            domain()
            bare_save()
        before = sum(app.route(route.id).version for route in driven) / routes
        samples: dict[str, list[int]] = {"domain": [], "bare": []}
        per_round = max(1, commands // rounds)
        gc.collect()
        for number in range(rounds):
            order = [("domain", domain), ("bare", bare_save)]
            for name, action in order if number % 2 == 0 else reversed(order):
                samples[name] += [timed(action) for _ in range(per_round)]
        after = sum(app.route(route.id).version for route in driven) / routes
        return CommandResult(
            backend=store.backend,
            cache=cache or "off",
            routes=routes,
            versions=(round(before), round(after)),
            domain=Stats.of(samples["domain"]),
            bare=Stats.of(samples["bare"]),
        )
    finally:
        app.close()
        bare.close()


def profile_commands(
    store: Store, commands: int = 1000, routes: int = COMMAND_SCENARIOS[0], top: int = 40
) -> str:
    """cProfile of `commands` domain commands (production cache, young routes): its top."""
    app = open_routes(store, CACHE_ON)
    try:
        driven = drive_routes(app, store, routes)
        for route in driven:  # warm: every route cached
            route.record_interim()
        profiler = cProfile.Profile()
        profiler.enable()
        for number in range(commands):
            driven[number % routes].record_interim()
        profiler.disable()
    finally:
        app.close()
    out = io.StringIO()
    stats = pstats.Stats(profiler, stream=out)
    stats.sort_stats("cumulative").print_stats(top)
    stats.sort_stats("tottime").print_stats(top // 2)
    return out.getvalue()


# Benchmark 2: a long route read from its snapshot and at an old version.


@dataclass(frozen=True)
class ReadResult:
    """Reads of one long route, cache off, against the raw select of its stored events."""

    backend: str
    events: int
    snapshot_version: int
    matches_replay: bool
    latest: Stats
    old: Stats
    raw: Stats
    replay: Stats

    @property
    def latest_ratio(self) -> float:
        return self.latest.median_ms / self.raw.median_ms

    @property
    def old_ratio(self) -> float:
        return self.old.p95_ms / self.raw.p95_ms

    @property
    def replay_ratio(self) -> float:
        return self.replay.median_ms / self.raw.median_ms


def measure_reads(
    store: Store,
    *,
    events: int = 500,
    samples: int = 1000,
    replays: int = 30,
    rounds: int = 5,
    warmup: int = 50,
    snapshot_interval: int = SNAPSHOT_INTERVAL,
) -> ReadResult:
    """The route of `events` events read `samples` times now and at random old versions,
    against `samples` raw selects of its events; plus `replays` full replays for scale."""
    app = open_routes(store, CACHE_OFF, snapshot_interval)
    try:
        assert app.repository.cache is None
        assert app.snapshots is not None
        route_id = build_long_route(app, store, events)
        snapshots = list(app.snapshots.get(route_id, desc=True, limit=1))
        snapshot_version = snapshots[0].originator_version if snapshots else 0
        rng = random.Random(events)
        checked = [None, *rng.sample(range(1, events), min(5, events - 1))]
        matches = all(app.route(route_id, version=v) == replay(app, route_id, v) for v in checked)

        actions: dict[str, Callable[[], object]] = {
            "latest": lambda: app.route(route_id),
            "old": lambda: app.route(route_id, version=rng.randint(1, events - 1)),
            "raw": lambda: app.recorder.select_events(route_id),
            "replay": lambda: replay(app, route_id),
        }
        counts = {"latest": samples, "old": samples, "raw": samples, "replay": replays}
        for name, action in actions.items():
            for _ in range(min(warmup, counts[name])):
                action()
        measured: dict[str, list[int]] = {name: [] for name in actions}
        gc.collect()
        for number in range(rounds):
            names = list(actions) if number % 2 == 0 else list(reversed(actions))
            for name in names:
                share = max(1, counts[name] // rounds)
                measured[name] += [timed(actions[name]) for _ in range(share)]
        return ReadResult(
            backend=store.backend,
            events=events,
            snapshot_version=snapshot_version,
            matches_replay=matches,
            latest=Stats.of(measured["latest"]),
            old=Stats.of(measured["old"]),
            raw=Stats.of(measured["raw"]),
            replay=Stats.of(measured["replay"]),
        )
    finally:
        app.close()


# Stores.


@contextmanager
def sqlite_store() -> Iterator[Store]:
    """A SQLite event store in a file of a temporary folder."""
    with tempfile.TemporaryDirectory(prefix="iom-bench-") as folder:
        yield Store("sqlite", f"sqlite:///{Path(folder) / 'bench.sqlite3'}")


@contextmanager
def postgres_store(admin_url: str = PG_ADMIN_URL) -> Iterator[Store]:
    """A PostgreSQL database of its own, dropped afterwards."""
    name = f"iom_bench_{uuid4().hex[:12]}"
    with psycopg.connect(admin_url, autocommit=True) as admin:
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    try:
        yield Store("postgres", admin_url.rsplit("/", 1)[0] + f"/{name}")
    finally:
        with psycopg.connect(admin_url, autocommit=True) as admin:
            admin.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )


def postgres_version(admin_url: str = PG_ADMIN_URL) -> str:
    """`SELECT version()` of the server, or why it is unknown."""
    try:
        with psycopg.connect(admin_url, autocommit=True, connect_timeout=5) as conn:
            row = conn.execute("SELECT version()").fetchone()
    except psycopg.Error as error:
        return f"unavailable ({type(error).__name__})"
    return str(row[0]) if row else "unknown"


# Report.


@dataclass
class Report:
    """Everything one run measured."""

    commands: list[CommandResult] = field(default_factory=list)
    reads: list[ReadResult] = field(default_factory=list)


def _met(ok: bool) -> str:
    return "yes" if ok else "**no**"


def render(report: Report) -> str:
    """The figures as Markdown tables."""
    lines = [
        "### A domain command saved vs a bare eventsourcing save",
        "",
        f"`Routes.execute(RecordInterimResult)` round-robin over demo routes of «{REGION}» in "
        "implementation: many young routes, or one route that grows by every command "
        f"(snapshot every {SNAPSHOT_INTERVAL} events) against "
        "`repository.get` + one `@event` + `save` of a stock `Aggregate` in a plain "
        "`Application` (stock snapshotting at the same interval), same env and cache setting. "
        f"Target: ratio ≥ {TARGET_COMMAND_RATIO}×.",
        "",
        "| store | routes × versions | repository cache | domain cmd/s | bare saves/s "
        "| ratio domain/bare | domain p50 / p95 ms | bare p50 / p95 ms | target met |",
        "|---|---|---|---:|---:|---:|---:|---:|---|",
    ]
    for c in report.commands:
        cache = f"LRU {c.cache} (production)" if c.cache == CACHE_ON else c.cache
        routes = f"{c.routes} × v{c.versions[0]}→v{c.versions[1]}"
        lines.append(
            f"| {c.backend} | {routes} | {cache} "
            f"| {c.domain.per_second:,.0f} | {c.bare.per_second:,.0f} "
            f"| **{c.ratio:.2f}×** | {c.domain.median_ms:.2f} / {c.domain.p95_ms:.2f} "
            f"| {c.bare.median_ms:.2f} / {c.bare.p95_ms:.2f} "
            f"| {_met(c.ratio >= TARGET_COMMAND_RATIO)} |"
        )
    lines += [
        "",
        "### A long route read back (repository cache off)",
        "",
        "Cache off: `AGGREGATE_CACHE_MAXSIZE` empty — in eventsourcing 9.5 `0` would mean an "
        "unbounded cache, not none. "
        f"The route: «{REGION}» driven to implementation, then interim results up to the "
        "size. Baseline: `recorder.select_events(id)` — the raw stored events of the whole "
        "route, not deserialised. Ratio: the read's median (p95 for old versions) over the "
        "baseline's. "
        f"Targets: latest median < {TARGET_LATEST_MEDIAN_MS:g} ms, "
        f"old version p95 < {TARGET_OLD_P95_MS:g} ms.",
        "",
        "| store | read | samples | median ms | p95 ms | × raw select | target met |",
        "|---|---|---:|---:|---:|---:|---|",
    ]
    for r in report.reads:
        rows = [
            (
                f"route now, from snapshot @{r.snapshot_version}",
                r.latest,
                f"{r.latest_ratio:.2f}× (median)",
                _met(r.latest.median_ms < TARGET_LATEST_MEDIAN_MS),
            ),
            (
                f"route at a random old version 1…{r.events - 1}",
                r.old,
                f"{r.old_ratio:.2f}× (p95)",
                _met(r.old.p95_ms < TARGET_OLD_P95_MS),
            ),
            (f"baseline: select_events, {r.events} events", r.raw, "1.00×", ""),
            (
                f"for scale: full replay of {r.events} events",
                r.replay,
                f"{r.replay_ratio:.2f}× (median)",
                "",
            ),
        ]
        for name, stats, ratio, met in rows:
            lines.append(
                f"| {r.backend} | {name} | {stats.samples} | {stats.median_ms:.3f} "
                f"| {stats.p95_ms:.3f} | {ratio} | {met} |"
            )
    lines.append("")
    for r in report.reads:
        verdict = "equals" if r.matches_replay else "**differs from**"
        lines.append(
            f"- {r.backend}: the {r.events}-event route read from its snapshot {verdict} the "
            "route replayed from its events (checked now and at 5 old versions)."
        )
    return "\n".join(lines)


def machine() -> str:
    """nproc, memory, Python and PostgreSQL versions."""
    memory = "unknown"
    meminfo = Path("/proc/meminfo")
    if meminfo.exists():
        match = re.search(r"MemTotal:\s+(\d+) kB", meminfo.read_text())
        if match:
            memory = f"{int(match.group(1)) / 1024**2:.1f} GiB"
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return (
        f"nproc {cpus}, memory {memory}, Python {platform.python_version()} "
        f"({platform.machine()}), {postgres_version()}"
    )


def header(now: datetime) -> str:
    """The file's opening: what the figures are and where they were taken."""
    return (
        "# Benchmarks\n\n"
        "Every figure here is a **ratio against a baseline measured in the same run** on the same "
        "store, so it carries over between machines better than absolute times; absolute "
        "throughputs and latencies are shown alongside for scale only.\n\n"
        f"- Machine: {machine()}\n"
        f"- Date: {now:%Y-%m-%d %H:%M} UTC\n"
    )


def write_section(path: Path, report: Report, config: str) -> None:
    """Rewrite the file's header and its «Event store» section; other sections stay."""
    now = datetime.now(UTC)
    body = (
        f"## {SECTION}\n\n"
        f"Produced by `python -m bench.store {config}` on {now:%Y-%m-%d}; "
        "SQLite is a file in a temporary folder, PostgreSQL a database of its own.\n\n"
        f"{render(report)}\n"
    )
    text = path.read_text(encoding="utf-8") if path.exists() else ""
    parts = re.split(r"(?m)^(?=## )", text)
    sections = [part for part in parts[1:] if part.strip()]
    heading = f"## {SECTION}\n"
    for number, part in enumerate(sections):
        if part.startswith(heading):
            sections[number] = body
            break
    else:
        sections.append(body)
    sections = [part.rstrip("\n") + "\n" for part in sections]
    path.write_text(header(now) + "\n" + "\n".join(sections), encoding="utf-8")


# Command line.


def run(backends: list[str], commands: int, samples: int) -> Report:
    """Every benchmark on every backend asked for."""
    report = Report()
    for backend in backends:
        stores = sqlite_store if backend == "sqlite" else postgres_store
        with stores() as store:
            for routes in COMMAND_SCENARIOS:
                for cache in (CACHE_ON, CACHE_OFF):
                    report.commands.append(
                        measure_commands(store, cache=cache, commands=commands, routes=routes)
                    )
            report.reads.append(measure_reads(store, samples=samples))
    return report


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.store", description=__doc__)
    parser.add_argument("--backend", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--write", type=Path, metavar="BENCHMARKS.md")
    parser.add_argument("--commands", type=int, default=1000, help="commands of each kind")
    parser.add_argument("--samples", type=int, default=1000, help="reads of each kind")
    parser.add_argument(
        "--profile", action="store_true", help="print a cProfile of domain commands on SQLite"
    )
    args = parser.parse_args(argv)
    if args.profile:
        with sqlite_store() as store:
            print(profile_commands(store))
        return
    backends = ["sqlite", "postgres"] if args.backend == "both" else [args.backend]
    started = time.perf_counter()
    report = run(backends, args.commands, args.samples)
    print(render(report))
    print(f"\n({time.perf_counter() - started:.0f} s)")
    if args.write:
        config = f"--backend {args.backend}"
        if (args.commands, args.samples) != (1000, 1000):
            config += f" --commands {args.commands} --samples {args.samples}"
        write_section(args.write, report, config)
        print(f"wrote «{SECTION}» to {args.write}")


if __name__ == "__main__":
    main()
