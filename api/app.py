"""The app factory: the portal's HTTP API over the routes and their workflows.

`create_app(settings)` checks the token settings at once and builds the rest when the app
starts (the event store, a lazy Temporal client: the API starts while Temporal is down and says
so at `/health/ready`). Tests hand in their own `Services`.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import Depends, FastAPI
from fastapi_offline import FastAPIOffline

from api import console, problems
from api.auth import TokenVerifier
from api.edge import EdgeChecks
from api.idempotency import IdempotencyStore
from api.limits import BodyLimit, RateLimiter
from api.metrics import install_metrics
from api.openapi import install_openapi
from api.paging import CursorKey
from api.parameters import known_parameters
from api.routes import (
    batch,
    commands,
    documents,
    forms,
    health,
    monitoring,
    queries,
    regulations,
    teachers,
    webhooks,
)
from api.services import Services
from workers.context import build_personal_data, build_routes
from workers.gateway import RouteGateway
from workers.settings import Settings
from workers.temporal import connect

TITLE = "ИОМ: API для регионального портала"
VERSION = "0.1.0"


def create_app(settings: Settings, services: Services | None = None) -> FastAPI:
    """The API on the configured store and Temporal, or on the given `services`."""
    verifier = TokenVerifier.from_settings(settings) if services is None else services.verifier

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if services is not None:
            services.answers.create_table()
            app.state.services = services
            yield
            return
        routes = build_routes(settings)
        try:
            client = await connect(settings, lazy=True)
            answers = IdempotencyStore.from_settings(routes, settings)
            answers.create_table()
            gateway = RouteGateway(client, routes, settings.task_queue)
            personal = build_personal_data(routes, settings)
            app.state.services = Services(routes, gateway, verifier, answers, personal)
            yield
        finally:
            routes.close()

    # Swagger UI (/docs) and ReDoc (/redoc) from the scripts installed with fastapi-offline:
    # nothing loads from a CDN, so the documentation works inside a region's closed network.
    app = FastAPIOffline(
        title=TITLE,
        version=VERSION,
        lifespan=lifespan,
        dependencies=[Depends(known_parameters)],  # a GET's unknown parameter: 422
    )
    app.state.settings = settings
    app.state.limiter = RateLimiter(settings.api_rate_per_minute)
    app.state.cursor_key = CursorKey.from_settings(settings)
    app.add_middleware(BodyLimit, limit=settings.api_max_body_bytes)
    app.add_middleware(EdgeChecks)  # undecodable parameters, oversized headers: before routing
    console.install(app)  # the web console under /console (`api.console`)
    install_metrics(app)  # outermost: it measures the refused bodies too
    problems.install(app)
    app.include_router(commands.build_router())
    app.include_router(batch.build_router())
    app.include_router(queries.build_router())
    app.include_router(documents.build_router())
    app.include_router(monitoring.build_router())
    app.include_router(teachers.build_router())
    app.include_router(regulations.build_router())
    app.include_router(forms.build_router())
    app.include_router(webhooks.build_router())
    webhooks.document_events(app)
    app.include_router(health.build_router())
    install_openapi(app)
    return app
