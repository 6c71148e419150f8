"""Health: the process is alive; it is ready when the event store and Temporal answer."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from datetime import timedelta

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from api.services import Services, ServicesDep
from projections.view import transaction_on

CHECK_TIMEOUT = 3.0  # seconds: a probe must answer quickly either way


class Health(BaseModel):
    """Состояние сервиса и его зависимостей."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{"status": "ok", "checks": {"store": "ok", "temporal": "ok"}}]
        }
    )

    status: str = Field(description="`ok` — готов; `unavailable` — нет.")
    checks: dict[str, str] = Field(
        default={}, description="Проверки зависимостей: `ok` или причина отказа."
    )


async def live() -> Health:
    """Процесс жив (для liveness-проверки)."""
    return Health(status="ok")


async def ready(services: ServicesDep) -> JSONResponse:
    """Готов принимать запросы: хранилище событий и Temporal отвечают (503, если нет)."""
    checks = {
        "store": await check(asyncio.to_thread(ping_store, services)),
        "temporal": await check(ping_temporal(services)),
    }
    ok = all(value == "ok" for value in checks.values())
    health = Health(status="ok" if ok else "unavailable", checks=checks)
    return JSONResponse(health.model_dump(), status_code=200 if ok else 503)


async def check(probe: Awaitable[None]) -> str:
    """`ok`, or why the probe failed (its error's class: no addresses or secrets)."""
    try:
        await asyncio.wait_for(probe, CHECK_TIMEOUT)
    except TimeoutError:
        return "timeout"
    except Exception as error:
        return type(error).__name__
    return "ok"


def ping_store(services: Services) -> None:
    """One round trip to the event store's database."""
    datastore = getattr(services.routes.recorder, "datastore")  # noqa: B009
    with transaction_on(datastore, commit=False) as db:
        db.fetchall("SELECT 1 AS one")


async def ping_temporal(services: Services) -> None:
    """Temporal's frontend says it is serving."""
    client = services.gateway.client.service_client
    if not await client.check_health(timeout=timedelta(seconds=CHECK_TIMEOUT)):
        raise RuntimeError("not serving")


def build_router() -> APIRouter:
    """The health router (no token needed)."""
    router = APIRouter(prefix="/health", tags=["Состояние"])
    router.add_api_route("/live", live, methods=["GET"], response_model=Health)
    router.add_api_route(
        "/ready",
        ready,
        methods=["GET"],
        response_model=Health,
        responses={503: {"model": Health, "description": "Зависимость не отвечает."}},
    )
    return router
