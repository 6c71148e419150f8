"""The composition root: builds the engine's parts from the settings (the routes application,
the personal-data store, the API's services) for the API, the worker, the projector and the
command line; nothing is built at import time."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, TypeVar

import structlog

from adapters.operation_store import operation_env
from adapters.personal import OfficialsStore, PersonalDataStore
from aggregates.application import Routes
from aggregates.operation import Operations
from aggregates.profiles import ProfileCatalogue
from runtime.settings import Settings, store_env
from workers.pd_master import master_key

if TYPE_CHECKING:
    from api.app import OpenServices


def build_routes(settings: Settings, *, create_tables: bool = True) -> Routes:
    """The routes application on the configured event store (creating its tables where missing,
    unless it only reads: `create_tables` false)."""
    key = settings.encryption_key.get_secret_value() if settings.encryption_key else None
    env = store_env(settings.database_url, key)
    if not create_tables:
        env["CREATE_TABLE"] = "no"
    return Routes(
        env,
        profiles=ProfileCatalogue.load(settings.profiles_dir),
        snapshot_interval=settings.snapshot_interval,
    )


def build_operations(settings: Settings) -> Operations:
    """The bulk operations' application beside the routes' store (its own table)."""
    key = settings.encryption_key.get_secret_value() if settings.encryption_key else None
    return Operations(operation_env(store_env(settings.database_url, key)))


def build_personal_data(
    routes: Routes, settings: Settings, *, protect: bool = True
) -> PersonalDataStore:
    """The personal-data store beside the event store, its tables created if missing, under the
    master key (`workers.pd_master`: refused in production without one); teacher keys still
    stored raw (by an older engine) are wrapped under it first, unless not to `protect`."""
    return _sealed(PersonalDataStore, routes, settings, protect=protect)


def build_officials(routes: Routes, settings: Settings) -> OfficialsStore:
    """The officials' cards beside the event store, as `build_personal_data` builds the
    teachers' sheets: under the same master key, in tables of their own."""
    return _sealed(OfficialsStore, routes, settings, protect=True)


Store = TypeVar("Store", PersonalDataStore, OfficialsStore)


def _sealed(kind: type[Store], routes: Routes, settings: Settings, *, protect: bool) -> Store:
    store = kind.from_recorder(routes.recorder, master_key=master_key(settings))
    store.create_tables()
    wrapped = store.protect() if protect else 0
    if wrapped:
        structlog.get_logger().warning(
            "pd.keys_protected",
            wrapped=wrapped,
            tables=store.keys_table,
            message="ключи, хранившиеся открыто, зашифрованы мастер-ключом",
        )
    return store


def api_services(settings: Settings) -> OpenServices:
    """The API's services on the configured store and Temporal, built when the app starts (a
    lazy Temporal client: the API starts while Temporal is down and says so at
    `/health/ready`); the token settings are checked at once (a `ValueError`). The API and
    Temporal are imported here, when the API is served: the commands that only build the
    routes (`iom pd`, `iom docs`, …) start without them."""
    from api.auth import TokenVerifier  # noqa: PLC0415 - when the API is served (see above)
    from api.idempotency import IdempotencyStore  # noqa: PLC0415
    from api.services import Services  # noqa: PLC0415
    from runtime.gateway import RouteGateway  # noqa: PLC0415
    from runtime.temporal import connect  # noqa: PLC0415

    verifier = TokenVerifier.from_settings(settings)

    @asynccontextmanager
    async def open_services() -> AsyncIterator[Services]:
        routes = build_routes(settings)
        try:
            client = await connect(settings, lazy=True)
            answers = IdempotencyStore.from_settings(routes, settings)
            answers.create_table()
            gateway = RouteGateway(client, routes, settings.task_queue)
            personal = build_personal_data(routes, settings)
            operations = build_operations(settings)
            officials = build_officials(routes, settings)
            try:
                yield Services(
                    routes,
                    gateway,
                    verifier,
                    answers,
                    personal,
                    operations=operations,
                    officials=officials,
                )
            finally:
                operations.close()
        finally:
            routes.close()

    return open_services
