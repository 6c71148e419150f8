"""The app factory: the portal's HTTP API over the routes and their workflows.

`create_app(settings, services)` serves what it is given: the composition root
(`workers.context.api_services`) hands in a factory that builds the event store and a lazy
Temporal client when the app starts (the API starts while Temporal is down and says so at
`/health/ready`); tests hand in their own `Services`.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager

from fastapi import Depends, FastAPI
from fastapi_offline import FastAPIOffline

from api import console, problems
from api.edge import EdgeChecks
from api.endpoints import (
    batch,
    campaigns,
    catalogue,
    charts,
    commands,
    documents,
    forms,
    health,
    methodists,
    migration,
    monitoring,
    officials,
    operations,
    proofs,
    queries,
    regulations,
    reports,
    suggestions,
    tasks,
    teachers,
    webhooks,
)
from api.limits import BodyLimit, RateLimiter
from api.metrics import install_metrics
from api.openapi import install_openapi
from api.paging import CursorKey
from api.parameters import known_parameters
from api.services import Services
from runtime.settings import Settings

TITLE = "ИОМ: API для регионального портала"
VERSION = "0.1.0"

OpenServices = Callable[[], AbstractAsyncContextManager[Services]]
"""Builds the services when the app starts and closes them when it stops (the composition root's
`workers.context.api_services`)."""


def create_app(settings: Settings, services: Services | OpenServices) -> FastAPI:
    """The API on the `services`: built when the app starts by the composition root's factory,
    or handed in ready (tests)."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if isinstance(services, Services):
            services.answers.create_table()
            app.state.services = services
            yield
            return
        async with services() as built:
            app.state.services = built
            yield

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
    app.include_router(methodists.build_router())
    app.include_router(migration.build_router())
    app.include_router(operations.build_router())
    app.include_router(campaigns.build_router())
    app.include_router(queries.build_router())
    app.include_router(documents.build_router())
    app.include_router(charts.build_router())
    app.include_router(monitoring.build_router())
    app.include_router(tasks.build_router())
    app.include_router(teachers.build_router())
    app.include_router(officials.build_router())
    app.include_router(proofs.build_router())
    app.include_router(regulations.build_router())
    app.include_router(forms.build_router())
    app.include_router(catalogue.build_router())
    app.include_router(suggestions.build_router())
    app.include_router(reports.build_router())
    app.include_router(webhooks.build_router())
    webhooks.document_events(app)
    app.include_router(health.build_router())
    install_openapi(app)
    return app
