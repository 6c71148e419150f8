"""The API tier: the app in process, on a SQLite store with commands decided at once (access,
idempotency, problems, OpenAPI), and on the real stack (PostgreSQL, the Temporal dev server,
an in-process worker) for a whole route through HTTP."""

from __future__ import annotations

import random
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from uuid import UUID

import httpx
import pytest
import pytest_asyncio
from fastapi import FastAPI

from adapters.personal import OfficialsStore, PersonalDataStore
from aggregates.application import Routes
from aggregates.profiles import ProfileCatalogue, Stage, load_profiles
from api.app import create_app
from api.auth import TokenVerifier
from api.idempotency import IdempotencyStore
from api.services import Services
from projections.catalog import PROJECTIONS, catch_up
from runtime.settings import store_env
from tests.api.support import DirectGateway, Portal
from tests.workflows.conftest import dev_server, dev_stack  # noqa: F401 - fixtures used here
from workers.demo import DemoRoute, write_demo


@pytest.fixture(scope="session")
def portal() -> Portal:
    """The portal: its RSA key and shared secret (one key pair per session: RSA is slow)."""
    return Portal()


@pytest.fixture(scope="session")
def catalogue() -> ProfileCatalogue:
    """The stock regulation profiles (read once)."""
    return ProfileCatalogue(load_profiles())


@dataclass
class Direct:
    """The API on a SQLite store, commands decided on the store at once."""

    app: FastAPI
    client: httpx.AsyncClient
    routes: Routes
    gateway: DirectGateway

    def route_in_agreement(self, index: int = 1) -> tuple[DemoRoute, UUID]:
        """A Sakha demo route, designed and submitted: waiting on round 1 of the agreement."""
        profile = self.routes.profiles.latest("sakha")
        today = self.routes.clock().date()
        demo = DemoRoute(self.routes, profile, index, random.Random(index), today)
        return demo, demo.drive(until=Stage.AGREEMENT)


def direct_app(routes: Routes, portal: Portal) -> tuple[FastAPI, DirectGateway]:
    """The app on `routes`, with a direct gateway."""
    gateway = DirectGateway(routes)
    verifier = TokenVerifier.from_settings(portal.settings())
    personal = PersonalDataStore.from_recorder(routes.recorder)
    personal.create_tables()
    officials = OfficialsStore.from_recorder(routes.recorder)
    officials.create_tables()
    services = Services(
        routes, gateway, verifier, IdempotencyStore(routes), personal, officials=officials
    )
    return create_app(portal.settings(), services), gateway


@asynccontextmanager
async def serving(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    """A client of `app` in process, the app started (its lifespan) until the end."""
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://api") as client:
            yield client


@asynccontextmanager
async def direct_on(url: str, portal: Portal, catalogue: ProfileCatalogue) -> AsyncIterator[Direct]:
    """The API in process on the store at `url` (closed at the end)."""
    routes = Routes(store_env(url), profiles=catalogue)
    app, gateway = direct_app(routes, portal)
    try:
        async with serving(app) as client:
            yield Direct(app, client, routes, gateway)
    finally:
        routes.close()


@pytest_asyncio.fixture
async def direct(
    sqlite_url: str, portal: Portal, catalogue: ProfileCatalogue
) -> AsyncIterator[Direct]:
    """The API in process on a fresh SQLite store."""
    async with direct_on(sqlite_url, portal, catalogue) as found:
        yield found


@dataclass
class Region:
    """The API over a store with demo routes in implementation, projected: eight of Sakha
    (teachers `teacher-sakha-0000N`, schools and methodists as `workers.demo` deals them) and
    three of Balakhta."""

    direct: Direct
    sakha: list[UUID]
    balakhta: list[UUID]

    @property
    def client(self) -> httpx.AsyncClient:
        return self.direct.client

    @property
    def routes(self) -> Routes:
        return self.direct.routes

    def project(self) -> None:
        """Bring both projections up to the store's last event."""
        for name in PROJECTIONS:
            catch_up(self.routes, name)


def populate(direct: Direct) -> Region:
    """Write the demo routes of `Region` and project them."""
    sakha = write_demo(direct.routes, "sakha", 8, until=Stage.IMPLEMENTATION)
    balakhta = write_demo(direct.routes, "balakhta", 3, until=Stage.IMPLEMENTATION)
    region = Region(direct, sakha, balakhta)
    region.project()
    return region


@pytest.fixture
def region(direct: Direct) -> Region:
    """`Region` on the in-process API's SQLite store."""
    return populate(direct)
