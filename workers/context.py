"""Builds the engine's parts from the settings; nothing is built at import time."""

from __future__ import annotations

import base64

from aggregates.application import Routes
from aggregates.personal import PersonalDataStore
from aggregates.profiles import ProfileCatalogue, load_profiles
from workers.settings import Settings, store_env


def build_routes(settings: Settings) -> Routes:
    """The routes application on the configured event store."""
    key = settings.encryption_key.get_secret_value() if settings.encryption_key else None
    return Routes(
        store_env(settings.database_url, key),
        profiles=ProfileCatalogue(load_profiles(settings.profiles_dir)),
        snapshot_interval=settings.snapshot_interval,
    )


def build_personal_data(routes: Routes, settings: Settings) -> PersonalDataStore:
    """The personal-data store beside the event store, its tables created if missing."""
    master = settings.pd_master_key
    store = PersonalDataStore.from_recorder(
        routes.recorder, master_key=base64.b64decode(master.get_secret_value()) if master else None
    )
    store.create_tables()
    return store
