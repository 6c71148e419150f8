"""Prometheus metrics at `/metrics` (no token: scrape it from the internal network only).

- `iom_api_requests_total{method, route, status}` and `iom_api_request_seconds{method, route}`:
  every request, by the route's template (`/routes/{route_id}`, never the id itself; a path no
  route matches is `unmatched`);
- `iom_api_refusals_total{route, kind, rule}`: the problems answered to commands (`POST`), by
  kind and the rule that refused (a replayed answer is not counted again);
- `iom_projection_position{projection}`, `iom_projection_lag{projection}`: where each
  projection stands and how many notifications it is behind (`projections.catalog.statuses`,
  read at each scrape).

Labels are templates, methods, statuses, kinds, rules and projection names: a bounded set,
never a route id, a user or anything a person typed. Each app has its own registry.
"""

from __future__ import annotations

import asyncio
import json
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
from api.idempotency import REPLAYED_HEADER
from api.problems import MEDIA_TYPE
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
        for status in found:
            position.add_metric([status.name], status.position)
            lag.add_metric([status.name], status.lag)
        yield position
        yield lag


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
            "Commands refused, by problem kind and rule",
            ["route", "kind", "rule"],
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
        problem: list[bytes] | None = None  # the body of a refused command, collected

        async def watched(message: Message) -> None:
            nonlocal status, problem
            if message["type"] == "http.response.start":
                status = int(message["status"])
                headers = {k.decode().lower(): v.decode() for k, v in message["headers"]}
                refused = scope["method"] == "POST" and status >= 400
                if refused and headers.get("content-type", "").startswith(MEDIA_TYPE):
                    problem = [] if REPLAYED_HEADER.lower() not in headers else None
            elif message["type"] == "http.response.body" and problem is not None:
                problem.append(message.get("body", b""))
            await send(message)

        try:
            await self.app(scope, receive, watched)
        finally:
            route = getattr(scope.get("route"), "path", None) or "unmatched"
            method = scope["method"]
            self.metrics.requests.labels(method, route, str(status)).inc()
            self.metrics.latency.labels(method, route).observe(time.perf_counter() - started)
            if problem is not None and status < 500:
                self._refused(route, b"".join(problem))

    def _refused(self, route: str, body: bytes) -> None:
        try:
            found = json.loads(body)
        except ValueError:
            return
        kind = str(found.get("type", "")).rsplit(":", 1)[-1]
        self.metrics.refusals.labels(route, kind, str(found.get("rule") or "")).inc()


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
