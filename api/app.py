"""The app factory: the portal's HTTP API over the routes and their workflows.

`create_app(settings)` checks the token settings at once and builds the rest when the app
starts (the event store, a lazy Temporal client: the API starts while Temporal is down and says
so at `/health/ready`). Tests hand in their own `Services`.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from api import problems
from api.auth import TokenVerifier
from api.idempotency import IdempotencyStore
from api.openapi import install_openapi
from api.routes import commands, health, queries
from api.services import Services
from workers.context import build_routes
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
            answers = IdempotencyStore(routes)
            answers.create_table()
            gateway = RouteGateway(client, routes, settings.task_queue)
            app.state.services = Services(routes, gateway, verifier, answers)
            yield
        finally:
            routes.close()

    app = FastAPI(title=TITLE, version=VERSION, lifespan=lifespan)
    problems.install(app)
    app.include_router(commands.build_router())
    app.include_router(queries.build_router())
    app.include_router(health.build_router())
    install_openapi(app)
    return app
