"""Charts benchmark: the region's chart page against the API's JSON of the same charts.

A log of `--events` events of cloned demo routes of every region (`bench.projections`), every
projection caught up, then the projected rows cloned until the tables hold about `--routes`
routes (the monitoring's sums recounted from the clones), on a PostgreSQL database of its own.
The app as `iom api` builds it over that store, a centre head's token of Sakha. Sent in process
through the app's ASGI interface (the server's time, no socket), alternately, `--samples` times
each after a warm-up:

* the page: `GET /console/charts` (every chart read, its figures as an HTML table);
* the eight PNGs its images ask for, each chart read and its drawing kept from before;
* the same PNGs drawn anew (the drawings forgotten first, as after the projection moved);
* the same charts as JSON: `GET /monitoring/charts/{name}` for each of the eight.

p50 and p95 (nearest rank) of each whole load, and each p95 over the JSON's. Target: the
page's ≤ 2×.

Run `python -m bench.charts [--events 20000] [--routes 100000] [--samples 30]
[--write BENCHMARKS.md]`.
"""

from __future__ import annotations

import argparse
import asyncio
import time
from dataclasses import dataclass
from pathlib import Path
from typing import cast

import httpx
from pydantic import SecretStr
from temporalio.client import Client

from aggregates.application import Routes
from aggregates.profiles import ProfileCatalogue, load_profiles
from aggregates.values import Role
from api.app import create_app
from api.auth import TokenVerifier
from api.console.plots import drawn
from api.console.session import COOKIE
from api.idempotency import IdempotencyStore
from api.portal_tokens import portal_claims, sign_hs256
from api.services import Services
from bench.projections import scale, write_log
from bench.sections import load_line, publish
from bench.store import Stats, postgres_store
from projections.catalog import PROJECTIONS, catch_up, open_projection
from projections.charts import CHARTS
from runtime.gateway import RouteGateway
from runtime.settings import Settings, store_env

SECTION = "Console charts"
END = "<!-- charts:end -->"
SECRET = "bench-charts-secret-of-at-least-32-bytes"  # noqa: S105 - a throwaway portal's
AUDIENCE = "iom-bench"
TARGET = 2.0
COHORT = 500


KINDS = ("page", "images", "drawn", "json")
"""The loads measured: the page's HTML; its eight PNGs with their drawings kept; the same PNGs
drawn anew (the drawings forgotten first, as after the projection moved); the eight JSONs."""


@dataclass(frozen=True)
class Result:
    """The loads' latencies and bytes over a region's charts."""

    routes: int
    sakha_routes: int
    stats: dict[str, Stats]
    sizes: dict[str, int]

    def ratio(self, kind: str) -> float:
        """The load's p95 over the JSON's."""
        return self.stats[kind].p95_ms / self.stats["json"].p95_ms


def token() -> str:
    """A Sakha centre head's token, living as long as the portal allows."""
    claims = portal_claims(Role.CENTRE_HEAD, "head-bench", "sakha", audience=AUDIENCE, lifetime=900)
    return sign_hs256(claims, SECRET)


def built(url: str, events: int, routes_wanted: int) -> tuple[Routes, int]:
    """The store at `url` with its log written, projected and scaled; the routes it holds."""
    routes = Routes(store_env(url), profiles=ProfileCatalogue(load_profiles()))
    write_log(routes, events, COHORT)
    for name in PROJECTIONS:
        catch_up(routes, name)
    return routes, scale(routes, routes_wanted)


async def measure(
    routes: Routes, samples: int, warmup: int
) -> tuple[dict[str, Stats], dict[str, int]]:
    """The loads, in turn; their latencies and their bytes."""
    settings = Settings(
        portal_jwt_secret=SecretStr(SECRET), portal_jwt_audience=AUDIENCE, api_rate_per_minute=0
    )
    gateway = RouteGateway(cast(Client, None), routes, "bench-charts")  # reads only
    verifier = TokenVerifier.from_settings(settings)
    services = Services(routes, gateway, verifier, IdempotencyStore(routes))
    app = create_app(settings, services)
    bearer = token()
    timings: dict[str, list[int]] = {kind: [] for kind in KINDS}
    sizes: dict[str, int] = {}
    images = [f"/console/charts/{n.value}.png" for n in CHARTS]
    urls = {
        "page": ["/console/charts"],
        "images": images,
        "drawn": images,
        "json": [f"/monitoring/charts/{n.value}" for n in CHARTS],
    }
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://api") as client:
            client.cookies.set(COOKIE, bearer, path="/console")
            headers = {"Authorization": f"Bearer {bearer}"}

            async def load(kind: str) -> None:
                if kind == "drawn":
                    drawn.cache_clear()
                sent = headers if kind == "json" else {}
                size, start = 0, time.perf_counter_ns()
                for url in urls[kind]:
                    answer = await client.get(url, headers=sent)
                    assert answer.status_code == 200, answer.text[:300]
                    size += len(answer.content)
                timings[kind].append(time.perf_counter_ns() - start)
                sizes[kind] = size

            for n in range(warmup + samples):
                for kind in KINDS[n % 4 :] + KINDS[: n % 4]:
                    await load(kind)
                if n + 1 == warmup:
                    timings = {kind: [] for kind in KINDS}
    return {kind: Stats.of(timings[kind]) for kind in KINDS}, sizes


def region_routes(routes: Routes, region: str) -> int:
    """How many routes of `region` the monitoring tables hold (the charts' rows)."""
    with open_projection(routes, "monitoring").view.transaction(commit=False) as db:
        found = db.fetchall("SELECT COUNT(*) AS n FROM iom_routes WHERE profile_id = %s", [region])
    return int(found[0]["n"])


def run(events: int, routes_wanted: int, samples: int, warmup: int) -> Result:
    """Build the store, measure both loads on it."""
    with postgres_store() as store:
        routes, total = built(store.url, events, routes_wanted)
        try:
            sakha = region_routes(routes, "sakha")
            stats, sizes = asyncio.run(measure(routes, samples, warmup))
        finally:
            routes.close()
    return Result(total, sakha, stats, sizes)


LABELS = {
    "page": "`GET /console/charts` (the page: every chart read, its figures as tables)",
    "images": f"its {len(CHARTS)} PNGs (each chart read; the drawings kept)",
    "drawn": f"its {len(CHARTS)} PNGs drawn anew (after the projection moved)",
    "json": f"`GET /monitoring/charts/{{name}}` × {len(CHARTS)} (JSON)",
}


def render(result: Result, config: str, load: str = "") -> str:
    """The section of BENCHMARKS.md."""
    page = result.ratio("page")
    met = "met" if page <= TARGET else "NOT met"
    rows = [
        f"| {LABELS[kind]} | {s.samples} | {s.median_ms:.1f} | {s.p95_ms:.1f}"
        f" | {result.ratio(kind):.2f}× | {result.sizes[kind]} |"
        for kind, s in result.stats.items()
    ]
    return "\n".join(
        [
            f"## {SECTION}",
            "",
            f"`python -m bench.charts {config}` (PostgreSQL; in process through the app's ASGI"
            " interface, the loads in turn).",
            "",
            f"### The region's chart page against the charts' JSON ({result.routes:,} routes,"
            f" {result.sakha_routes:,} of Sakha)",
            "",
            "| load | samples | p50 ms | p95 ms | p95 / JSON | bytes |",
            "| --- | ---: | ---: | ---: | ---: | ---: |",
            *rows,
            "",
            f"The page's p95 is {page:.2f}× the JSON's (target ≤ {TARGET:.0f}×: {met}). The"
            " images are requests of their own: with their drawings kept (until the projection",
            f"moves) they cost {result.ratio('images'):.2f}× the JSON; drawn anew,"
            f" {result.ratio('drawn'):.2f}× (matplotlib's text layout is most of a drawing).",
            *([load] if load else []),
            END,
            "",
        ]
    )


def main(argv: list[str] | None = None) -> None:
    """Measure, print the section, and write it into a file if asked."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=20_000)
    parser.add_argument("--routes", type=int, default=100_000)
    parser.add_argument("--samples", type=int, default=30)
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--write", type=Path)
    given = parser.parse_args(argv)
    result = run(given.events, given.routes, given.samples, given.warmup)
    config = f"--events {given.events} --routes {given.routes} --samples {given.samples}"
    publish(render(result, config, f"{load_line()}."), given.write, SECTION, END)


if __name__ == "__main__":
    main()
