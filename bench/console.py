"""Console benchmark: a route's timeline page against the API's JSON history of the same route.

One route of `--events` events (a Sakha demo route driven to implementation, then interim
results; on PostgreSQL, a database of its own), the app as `iom api` builds it over that store
(the gateway unused: both requests only read), an auditor's token. The two requests are sent in
process through the app's ASGI interface (httpx's ASGI transport: the server's time, no
socket), alternately, each `--samples` times after a warm-up:

* `GET /console/routes/{id}` with the session cookie: the token checked, the route's history
  read and described (`api.endpoints.queries.get_history`), 500 rows drawn by Jinja2;
* `GET /routes/{id}/history` with the bearer token: the same history as JSON.

p50 and p95 (nearest rank) of each, and the page's p95 over the JSON's. Target: ≤ 2×.

Run `python -m bench.console [--events 500] [--samples 200] [--write BENCHMARKS.md]`.
"""

from __future__ import annotations

import argparse
import asyncio
import time
from dataclasses import dataclass
from pathlib import Path
from typing import cast

import httpx
import jwt
from pydantic import SecretStr
from temporalio.client import Client

from aggregates.values import Role
from api.app import create_app
from api.auth import TokenVerifier
from api.console.session import COOKIE
from api.idempotency import IdempotencyStore
from api.portal_tokens import portal_claims
from api.services import Services
from bench.sections import load_line, publish
from bench.store import CACHE_ON, Stats, Store, build_long_route, open_routes, postgres_store
from runtime.gateway import RouteGateway
from runtime.settings import Settings

SECTION = "Console"
END = "<!-- console:end -->"
SECRET = "bench-console-secret-of-at-least-32-bytes"  # noqa: S105 - a throwaway portal's
AUDIENCE = "iom-bench"
TARGET = 2.0


@dataclass(frozen=True)
class Result:
    """The two requests' latencies on one route."""

    events: int
    page: Stats
    json: Stats
    page_bytes: int
    json_bytes: int

    @property
    def ratio(self) -> float:
        """The page's p95 over the JSON's."""
        return self.page.p95_ms / self.json.p95_ms


def token() -> str:
    """An auditor's token of Sakha, living as long as the portal allows."""
    claims = portal_claims(Role.AUDITOR, "auditor-bench", "sakha", audience=AUDIENCE, lifetime=900)
    return jwt.encode(claims, SECRET, algorithm="HS256")


async def measure(store: Store, events: int, samples: int, warmup: int) -> Result:
    """Both requests, alternately, on one route of `events` events."""
    settings = Settings(
        portal_jwt_secret=SecretStr(SECRET), portal_jwt_audience=AUDIENCE, api_rate_per_minute=0
    )
    routes = open_routes(store, CACHE_ON)
    try:
        route_id = build_long_route(routes, store, events)
        gateway = RouteGateway(cast(Client, None), routes, "bench-console")  # reads only
        verifier = TokenVerifier.from_settings(settings)
        services = Services(routes, gateway, verifier, IdempotencyStore(routes))
        app = create_app(settings, services)
        bearer = token()
        async with app.router.lifespan_context(app):
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://api") as client:
                client.cookies.set(COOKIE, bearer, path="/console")
                page_url = f"/console/routes/{route_id}"
                json_url = f"/routes/{route_id}/history"
                headers = {"Authorization": f"Bearer {bearer}"}
                timings: dict[str, list[int]] = {"page": [], "json": []}
                sizes: dict[str, int] = {}

                async def once(kind: str) -> None:
                    start = time.perf_counter_ns()
                    if kind == "page":
                        answer = await client.get(page_url)
                    else:
                        answer = await client.get(json_url, headers=headers)
                    spent = time.perf_counter_ns() - start
                    assert answer.status_code == 200, answer.text[:300]
                    sizes[kind] = len(answer.content)
                    timings[kind].append(spent)

                for n in range(warmup + samples):
                    order = ("page", "json") if n % 2 else ("json", "page")
                    for kind in order:
                        await once(kind)
                    if n + 1 == warmup:
                        timings = {"page": [], "json": []}
        found = routes.route(route_id).version
    finally:
        routes.close()
    return Result(
        found,
        Stats.of(timings["page"]),
        Stats.of(timings["json"]),
        sizes["page"],
        sizes["json"],
    )


def render(result: Result, config: str, load: str = "") -> str:
    """The section of BENCHMARKS.md."""
    met = "met" if result.ratio <= TARGET else "NOT met"
    return "\n".join(
        [
            f"## {SECTION}",
            "",
            f"`python -m bench.console {config}` (PostgreSQL; in process through the app's ASGI"
            " interface, the two requests alternating).",
            "",
            f"### A route's timeline page against its JSON history ({result.events} events)",
            "",
            "| request | samples | p50 ms | p95 ms | bytes |",
            "| --- | ---: | ---: | ---: | ---: |",
            f"| `GET /console/routes/{{id}}` (the page) | {result.page.samples}"
            f" | {result.page.median_ms:.1f} | {result.page.p95_ms:.1f} | {result.page_bytes} |",
            f"| `GET /routes/{{id}}/history` (JSON) | {result.json.samples}"
            f" | {result.json.median_ms:.1f} | {result.json.p95_ms:.1f} | {result.json_bytes} |",
            "",
            f"The page's p95 is {result.ratio:.2f}× the JSON's (target ≤ {TARGET:.0f}×: {met});"
            f" its p50 {result.page.median_ms / result.json.median_ms:.2f}×.",
            "Both read the route and its history the same way (`get_history`); the page adds the",
            "cookie's session, the Russian time of each event in the region's zone and the HTML.",
            *([load] if load else []),
            END,
            "",
        ]
    )


def main(argv: list[str] | None = None) -> None:
    """Measure, print the section, and write it into a file if asked."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=500)
    parser.add_argument("--samples", type=int, default=200)
    parser.add_argument("--warmup", type=int, default=20)
    parser.add_argument("--write", type=Path)
    given = parser.parse_args(argv)
    with postgres_store() as store:
        result = asyncio.run(measure(store, given.events, given.samples, given.warmup))
    config = f"--events {given.events} --samples {given.samples}"
    load = (
        f"{load_line()} (a busy machine stretches both tails alike: the p50 ratio is the page's"
        " own cost)."
    )
    publish(render(result, config, load), given.write, SECTION, END)


if __name__ == "__main__":
    main()
