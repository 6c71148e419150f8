"""The shadow-replay benchmark: what `iom shadow` does with the event store, against a full
rebuild of every projection on the same store, in one run.

* **The log.** `--events` events written by `bench.projections.write_log` (cloned demo routes
  of every region, interleaved, each clone's hash chain recomputed) into a store of its own:
  a PostgreSQL database (`--backend postgres`, the default) or a SQLite file.
* **Baseline: the full rebuild**, as `iom projections rebuild` runs it
  (`projections.catalog.rebuild_all` over every projection, one pass over the log). Its
  tables are then the live tables the shadow replay compares with.
* **The shadow replay**, `iom shadow`'s store side in process (`workers.shadow.run.check_store`),
  in its three parts: the positions, each route's monitoring row and audit head read in one
  read-only snapshot of the live tables (held open to the end); every route's
  events through the new aggregate (chain recomputed and held against the audit trail's head,
  the state against the monitoring row); every projection rebuilt into a scratch database and
  compared row by row. The third part of `iom shadow`, replaying the workflow histories
  fetched from Temporal, is not in it: those are not the log's events, and the Replayer's
  speed is the SDK's (`bench.workflows` measures the workflows).
* **Ratio**: the shadow replay's time over the rebuild's, each with its time per event and
  the CPU it took here and in the store's PostgreSQL backends.

Feasible at 1,000,000 events. Time: measured here (2 cores, load 8–10, PostgreSQL) at 20,000
and 60,000 events, the CPU per event was ~0.3 ms for the rebuild (this process and PostgreSQL
together) and ~0.6 ms for the shadow replay, wall time 2–4 times that under the load: at 1M
some 5 and 10 minutes of CPU, plus writing the log (~0.3–1 ms per event). Memory: `iom
shadow` keeps per route only its monitoring row and audit head, and compares each table as
two streams; the process peaked at 416 MB (20,000 events) and 620 MB (60,000), the growth
being the projections' route caches (an LRU of 10,000 routes each, full at some 130,000
events): about 1–1.5 GB at 1M.

Run `python -m bench.shadow [--events N] [--backend postgres|sqlite] [--write BENCHMARKS.md]`.
"""

from __future__ import annotations

import argparse
import resource
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from aggregates.application import Routes
from aggregates.profiles import ProfileCatalogue, load_profiles
from bench.projections import Rate, measured, store, write_log
from bench.sections import load_line, publish
from bench.store import machine
from projections.catalog import PROJECTIONS, rebuild_all
from runtime.settings import store_env
from workers.projector import tune_gc
from workers.shadow.run import check_store

SECTION = "Shadow replay"
END = "<!-- shadow:end -->"
COHORT = 500  # routes written side by side, as `bench.projections` does by default


@dataclass
class Parts:
    """When each part of the shadow replay ended (`time.perf_counter`)."""

    began: float = 0.0
    read: float = 0.0  # the positions, routes' rows and audit heads read: routes are counted
    routes: float = 0.0  # the last route checked
    ended: float = 0.0
    findings: int = 0
    rows: int = 0  # rows of the rebuilt tables

    def replay(self, app: Routes) -> None:
        """`check_store` over `app`, its parts timed."""
        self.began = time.perf_counter()
        report = check_store(app, self.started)
        self.ended = time.perf_counter()
        self.findings, self.rows = len(report.findings), sum(report.counts.rows.values())

    def started(self, total: int) -> Callable[[], None]:
        """`check_store`'s progress hook: told the routes' number once the tables are read,
        called after each route."""
        del total
        self.read = self.routes = time.perf_counter()

        def advance() -> None:
            self.routes = time.perf_counter()

        return advance


@dataclass(frozen=True)
class Result:
    """One run's figures."""

    backend: str
    events: int
    routes: int
    write_seconds: float
    rebuild: Rate
    shadow: Rate
    read_seconds: float
    routes_seconds: float
    tables_seconds: float
    findings: int
    rows: int
    peak_mb: float  # this process's peak resident memory over the whole run

    @property
    def ratio(self) -> float:
        """The shadow replay's time over the rebuild's."""
        return self.shadow.seconds / self.rebuild.seconds


def run(backend: str, events: int) -> Result:
    """Write the log, rebuild every projection, then replay it in the shadow: one store."""
    tune_gc()  # as `iom projections rebuild` and the projector do
    with store(backend) as url:
        app = Routes(store_env(url), profiles=ProfileCatalogue(load_profiles()))
        try:
            began = time.perf_counter()
            routes = write_log(app, events, COHORT)
            written = time.perf_counter() - began
            rebuilt = measured(app, lambda: rebuild_all(app, list(PROJECTIONS)))
            parts = Parts()
            shadowed = measured(app, lambda: parts.replay(app))
        finally:
            app.close()
    return Result(
        backend,
        rebuilt.events,
        routes,
        written,
        rebuilt,
        shadowed,
        parts.read - parts.began,
        parts.routes - parts.read,
        parts.ended - parts.routes,
        parts.findings,
        parts.rows,
        resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    )


def _per_event(seconds: float, events: int) -> str:
    return f"{seconds / events * 1e6:.0f} µs"


def _cpu(rate: Rate) -> str:
    return f"{rate.cpu:.1f} s here, {rate.database_cpu:.1f} s PostgreSQL"


def render(result: Result, args: str) -> str:
    """The section of BENCHMARKS.md."""
    r = result
    rows = [
        ("full rebuild (`iom projections rebuild`)", r.rebuild.seconds, _cpu(r.rebuild)),
        ("shadow replay (`iom shadow`, the store)", r.shadow.seconds, _cpu(r.shadow)),
        ("  · positions, routes' rows and audit heads read", r.read_seconds, ""),
        ("  · every route through the new aggregate", r.routes_seconds, ""),
        ("  · projections rebuilt in scratch, compared", r.tables_seconds, ""),
    ]
    table = "\n".join(
        f"| {name} | {seconds:.1f} s | {_per_event(seconds, r.events)} | {cpu} |"
        for name, seconds, cpu in rows
    )
    return (
        f"## {SECTION}\n\n"
        f"`python -m bench.shadow {args}` (see its docstring). Machine: {machine()}.\n\n"
        f"{r.events:,} events of {r.routes:,} routes on {r.backend} (written in "
        f"{r.write_seconds:.1f} s); {r.rows:,} rows in the projections' tables. Differences\n"
        f"the shadow replay found: {r.findings}. Peak memory of the process: {r.peak_mb:,.0f} MB."
        "\n\n"
        "| work | time | per event | CPU |\n"
        "|---|---|---|---|\n"
        f"{table}\n\n"
        f"**Shadow replay over full rebuild: {r.ratio:.2f}×.** The shadow replay contains a\n"
        "rebuild of its own (into the scratch database) and adds the routes' replay through\n"
        "the aggregate and the comparison.\n\n"
        f"{load_line()}.\n"
        f"{END}\n"
    )


def main(argv: list[str] | None = None) -> None:
    """Run the benchmark and print (or write) its section."""
    parser = argparse.ArgumentParser(prog="python -m bench.shadow", description=__doc__)
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--backend", choices=("postgres", "sqlite"), default="postgres")
    parser.add_argument("--write", type=Path, default=None)
    args = parser.parse_args(argv)
    result = run(args.backend, args.events)
    shown = f"--events {args.events} --backend {args.backend}"
    publish(render(result, shown), args.write, SECTION, END)


if __name__ == "__main__":
    main()
