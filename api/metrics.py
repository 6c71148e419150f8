"""Prometheus metrics at `/metrics` (no token: scrape it from the internal network only).

- `iom_api_requests_total{method, route, status}` and `iom_api_request_seconds{method, route}`:
  every request, by the route's template (`/routes/{route_id}`, never the id itself; a path no
  route matches is `unmatched`);
- `iom_api_refusals_total{command, kind, rule}`: the commands (`POST`) refused by a rule, by
  the command (the endpoint's operation id: `submit_route`, `open_routes`, …), the problem's
  kind and the rule: the route's own rules (stage, role, content, a command id reused), the
  reach and role checks before them, and a batch's items refused so; not a request refused
  before any rule (401, 400, 413, 422 of its shape, 429), not a conflict to retry, not a
  replayed answer (`api.problems.note_refusal` notes what is counted);
- `iom_projection_position{projection}`, `iom_projection_lag{projection}`: where each
  projection stands and how many notifications it is behind (`projections.catalog.statuses`,
  read at each scrape);
- `iom_projection_incidents{projection}`, `iom_projection_held_events{projection}`: the routes
  a projection parked because it could not apply one of their events, and the events it holds
  back for them (`projections.incidents`; `iom projections incidents` lists them).

Labels are templates, methods, statuses, operation ids, kinds, rules and projection names: a
bounded set, never a route id, a user or anything a person typed. Each app has its own
registry.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Iterator

import structlog
from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import Response
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
)
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from aggregates.application import Routes
from api.problems import REFUSALS
from projections.catalog import statuses

log = structlog.get_logger("iom.api")


class ProjectionLag(Collector):
    """Each projection's position and lag, read when scraped."""

    def __init__(self, routes: Callable[[], Routes | None]) -> None:
        self.routes = routes

    def collect(self) -> Iterator[Metric]:
        """The gauges (none when the store cannot be read)."""
        routes = self.routes()
        if routes is None:
            return
        try:
            found = statuses(routes)
        except Exception as error:  # a scrape must answer: the gap shows the store is down
            log.warning("metrics.projections_unread", error=type(error).__name__)
            return
        position = GaugeMetricFamily(
            "iom_projection_position", "Last notification applied", labels=["projection"]
        )
        lag = GaugeMetricFamily(
            "iom_projection_lag", "Notifications recorded, not yet applied", labels=["projection"]
        )
        incidents = GaugeMetricFamily(
            "iom_projection_incidents",
            "Routes parked: an event of theirs could not be applied",
            labels=["projection"],
        )
        held = GaugeMetricFamily(
            "iom_projection_held_events",
            "Events held back for the parked routes",
            labels=["projection"],
        )
        for status in found:
            position.add_metric([status.name], status.position)
            lag.add_metric([status.name], status.lag)
            incidents.add_metric([status.name], len(status.incidents))
            held.add_metric([status.name], status.held)
        yield from (position, lag, incidents, held)


class Metrics:
    """The app's registry and its instruments."""

    def __init__(self, routes: Callable[[], Routes | None]) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "iom_api_requests",
            "HTTP requests answered",
            ["method", "route", "status"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "iom_api_request_seconds",
            "Time to answer a request",
            ["method", "route"],
            registry=self.registry,
        )
        self.refusals = Counter(
            "iom_api_refusals",
            "Commands refused by a rule, by command, problem kind and rule",
            ["command", "kind", "rule"],
            registry=self.registry,
        )
        self.registry.register(ProjectionLag(routes))


class Measured:
    """ASGI middleware: count and time every request, and the refusals of commands."""

    def __init__(self, app: ASGIApp, metrics: Metrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def watched(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, watched)
        finally:
            found = scope.get("route")
            route = getattr(found, "path", None) or "unmatched"
            method = scope["method"]
            self.metrics.requests.labels(method, route, str(status)).inc()
            self.metrics.latency.labels(method, route).observe(time.perf_counter() - started)
            command = getattr(found, "operation_id", None) or getattr(found, "name", route)
            for kind, rule in scope.get(REFUSALS, ()) if status < 500 else ():
                self.metrics.refusals.labels(command, kind, rule).inc()


def install_metrics(app: FastAPI) -> Metrics:
    """Measure the app's requests and serve `/metrics`."""

    def routes() -> Routes | None:
        services = getattr(app.state, "services", None)
        return None if services is None else services.routes

    metrics = Metrics(routes)
    app.add_middleware(Measured, metrics=metrics)

    async def scrape(_request: Request) -> Response:
        """Метрики Prometheus: запросы, задержки, отказы команд, отставание проекций."""
        text = await asyncio.to_thread(generate_latest, metrics.registry)
        return Response(text, media_type=CONTENT_TYPE_LATEST)

    router = APIRouter(tags=["Состояние"])
    router.add_api_route("/metrics", scrape, methods=["GET"], include_in_schema=False)
    app.include_router(router)
    return metrics
