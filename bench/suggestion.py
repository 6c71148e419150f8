"""Suggestion benchmark: a route suggested from its deficits with a catalogue of `--programmes`
ДПП, against a plain read of the same route.

One Sakha demo route at its design stage (its input diagnostic recorded), the region's catalogue
filled with `--programmes` programmes (each addressing one to three competences at one or two
levels, a third of them dated) in one version; on PostgreSQL, a database of its own. The app as
`iom api` builds it over that store, a centre head's token, requests sent in process through the
app's ASGI interface, alternately, each `--samples` times after a warm-up:

* `POST /routes/{id}/suggestion`: the route and the catalogue read, the deficits matched against
  every programme, a plan built and checked as `design_route` would check it;
* `GET /routes/{id}`: the route read and shown (the baseline).

p50 and p95 (nearest rank) of each, and the suggestion's p95 over the read's.

Run `python -m bench.suggestion [--programmes 5000] [--samples 200] [--write BENCHMARKS.md]`.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import time
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import cast

import httpx
import jwt
from pydantic import SecretStr
from temporalio.client import Client

from aggregates.profiles import Profile, Stage
from aggregates.programmes.values import Programme
from aggregates.values import Actor, Role
from api.app import create_app
from api.auth import TokenVerifier
from api.idempotency import IdempotencyStore
from api.portal_tokens import portal_claims
from api.services import Services
from bench.sections import load_line, publish
from bench.store import CACHE_ON, Stats, Store, open_routes, postgres_store
from runtime.gateway import RouteGateway
from runtime.settings import Settings
from workers.demo import DemoRoute

SECTION = "Suggestions"
END = "<!-- suggestion:end -->"
SECRET = "bench-suggestion-secret-of-at-least-32-bytes"  # noqa: S105 - a throwaway portal's
AUDIENCE = "iom-bench"


@dataclass(frozen=True)
class Result:
    """The two requests' latencies on one route, with a catalogue of `programmes`."""

    programmes: int
    suggestion: Stats
    read: Stats
    activities: int

    @property
    def ratio(self) -> float:
        """The suggestion's p95 over the read's."""
        return self.suggestion.p95_ms / self.read.p95_ms


def catalogue(profile: Profile, count: int, seed: int = 7) -> list[Programme]:
    """`count` programmes of the region's competences, reproducibly drawn."""
    draw = random.Random(seed)
    codes = [entry.code for entry in profile.competences]
    found = []
    for number in range(1, count + 1):
        addressed = draw.sample(codes, draw.randint(1, 3))
        dated = number % 3 == 0
        starts = date(2026, 9, 1) + timedelta(days=draw.randint(0, 240))
        body = {
            "registry_number": f"ДПП-{number:05d}",
            "title": f"Программа повышения квалификации № {number}",
            "provider": "ЦНППМ",
            "hours": draw.choice((16, 24, 36, 72)),
            "format": draw.choice(("in_person", "distance", "blended")),
            "starts_on": starts.isoformat() if dated else None,
            "ends_on": (starts + timedelta(days=30)).isoformat() if dated else None,
            "level": draw.choice(("federal", "regional", "municipal")),
            "addresses": [
                {"competence": code, "levels": sorted(draw.sample([1, 2, 3], 2))}
                for code in addressed
            ],
        }
        found.append(Programme.model_validate(body))
    return found


def token() -> str:
    """A centre head's token of Sakha."""
    claims = portal_claims(
        Role.CENTRE_HEAD, "centre-head-sakha", "sakha", audience=AUDIENCE, lifetime=900
    )
    return jwt.encode(claims, SECRET, algorithm="HS256")


async def measure(store: Store, programmes: int, samples: int, warmup: int) -> Result:
    """Both requests, alternately, on one route with a catalogue of `programmes`."""
    settings = Settings(
        portal_jwt_secret=SecretStr(SECRET), portal_jwt_audience=AUDIENCE, api_rate_per_minute=0
    )
    routes = open_routes(store, CACHE_ON)
    try:
        profile = routes.profiles.latest("sakha")
        centre = Actor(id="centre-head-sakha", role=Role.CENTRE_HEAD)
        routes.catalogues.put(profile, catalogue(profile, programmes), centre, "bench")
        index = store.indices(1)[0]
        demo = DemoRoute(routes, profile, index, random.Random(index), routes.clock().date())
        route_id = demo.drive(Stage.DESIGN)
        gateway = RouteGateway(cast(Client, None), routes, "bench-suggestion")  # reads only
        verifier = TokenVerifier.from_settings(settings)
        services = Services(routes, gateway, verifier, IdempotencyStore(routes))
        app = create_app(settings, services)
        headers = {"Authorization": f"Bearer {token()}"}
        timings: dict[str, list[int]] = {"suggestion": [], "read": []}
        activities = 0
        async with app.router.lifespan_context(app):
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://api") as client:

                async def once(kind: str) -> int:
                    start = time.perf_counter_ns()
                    if kind == "suggestion":
                        answer = await client.post(
                            f"/routes/{route_id}/suggestion", headers=headers
                        )
                    else:
                        answer = await client.get(f"/routes/{route_id}", headers=headers)
                    timings[kind].append(time.perf_counter_ns() - start)
                    assert answer.status_code == 200, answer.text[:300]
                    plan = answer.json().get("plan") if kind == "suggestion" else None
                    return len(plan["activities"]) if plan else 0

                for n in range(warmup + samples):
                    order = ("suggestion", "read") if n % 2 else ("read", "suggestion")
                    for kind in order:
                        activities = max(activities, await once(kind))
                    if n + 1 == warmup:
                        timings = {"suggestion": [], "read": []}
    finally:
        routes.close()
    return Result(
        programmes, Stats.of(timings["suggestion"]), Stats.of(timings["read"]), activities
    )


def render(result: Result, config: str, load: str = "") -> str:
    """The section of BENCHMARKS.md."""
    return "\n".join(
        [
            f"## {SECTION}",
            "",
            f"`python -m bench.suggestion {config}` (PostgreSQL; in process through the app's"
            " ASGI interface, the two requests alternating).",
            "",
            f"### A route suggested from its deficits, {result.programmes} programmes in the"
            " catalogue, against a read of the route",
            "",
            "| request | samples | p50 ms | p95 ms |",
            "| --- | ---: | ---: | ---: |",
            f"| `POST /routes/{{id}}/suggestion` | {result.suggestion.samples}"
            f" | {result.suggestion.median_ms:.1f} | {result.suggestion.p95_ms:.1f} |",
            f"| `GET /routes/{{id}}` (baseline) | {result.read.samples}"
            f" | {result.read.median_ms:.1f} | {result.read.p95_ms:.1f} |",
            "",
            f"The suggestion's p95 is {result.ratio:.2f}× the read's; its p50"
            f" {result.suggestion.median_ms / result.read.median_ms:.2f}×. The plan suggested"
            f" held {result.activities} activities.",
            *([load] if load else []),
            END,
            "",
        ]
    )


def main(argv: list[str] | None = None) -> None:
    """Measure, print the section, and write it into a file if asked."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--programmes", type=int, default=5000)
    parser.add_argument("--samples", type=int, default=200)
    parser.add_argument("--warmup", type=int, default=20)
    parser.add_argument("--write", type=Path)
    given = parser.parse_args(argv)
    with postgres_store() as store:
        result = asyncio.run(measure(store, given.programmes, given.samples, given.warmup))
    config = f"--programmes {given.programmes} --samples {given.samples}"
    load = (
        f"{load_line()} (a shared, loaded machine: the figures are indicative, the ratio more"
        " than the times)."
    )
    publish(render(result, config, load), given.write, SECTION, END)


if __name__ == "__main__":
    main()
