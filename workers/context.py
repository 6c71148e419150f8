"""Builds the engine's parts from the settings; nothing is built at import time."""

from __future__ import annotations

import structlog

from aggregates.application import Routes
from aggregates.personal import PersonalDataStore
from aggregates.profiles import ProfileCatalogue
from workers.pd_master import master_key
from workers.settings import Settings, store_env


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


def build_personal_data(
    routes: Routes, settings: Settings, *, protect: bool = True
) -> PersonalDataStore:
    """The personal-data store beside the event store, its tables created if missing, under the
    master key (`workers.pd_master`: refused in production without one); teacher keys still
    stored raw (by an older engine) are wrapped under it first, unless not to `protect`."""
    store = PersonalDataStore.from_recorder(routes.recorder, master_key=master_key(settings))
    store.create_tables()
    wrapped = store.protect() if protect else 0
    if wrapped:
        structlog.get_logger().warning(
            "pd.keys_protected",
            wrapped=wrapped,
            message="ключи педагогов, хранившиеся открыто, зашифрованы мастер-ключом",
        )
    return store
