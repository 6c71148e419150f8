"""The engine's Temporal client: the configured server and namespace, speaking pydantic."""

from __future__ import annotations

from temporalio.client import Client
from temporalio.contrib.pydantic import pydantic_data_converter

from runtime.settings import Settings


async def connect(settings: Settings, *, lazy: bool = False) -> Client:
    """A client of the configured Temporal, speaking pydantic; `lazy` connects on first use
    (the API starts, and says it is not ready, while Temporal is down)."""
    return await Client.connect(
        settings.temporal_address,
        namespace=settings.temporal_namespace,
        data_converter=pydantic_data_converter,
        lazy=lazy,
    )
