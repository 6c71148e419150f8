"""`iom api`: serves the portal's HTTP API (uvicorn) on the configured store and Temporal."""

from __future__ import annotations

from typing import Annotated

import structlog
import typer

from runtime.settings import Settings
from workers.cli.output import fail
from workers.pd_master import MasterKeyError, master_key

BAD_SETTINGS = 2

log = structlog.get_logger("iom.api")


def api(
    host: Annotated[
        str | None, typer.Option(help="Адрес, на котором слушает API (IOM_API_HOST, 127.0.0.1).")
    ] = None,
    port: Annotated[
        int | None, typer.Option(min=1, max=65535, help="Порт (IOM_API_PORT, 8000).")
    ] = None,
) -> None:
    """Обслуживать HTTP API для регионального портала до остановки (Ctrl-C, SIGTERM): команды,
    состояние ИОМ, /health/live, /health/ready, документ OpenAPI по адресу /openapi.json.

    Нужен ключ токенов портала: IOM_PORTAL_JWT_SECRET (HS256) или IOM_PORTAL_JWT_PUBLIC_KEY
    (RS256), и IOM_PORTAL_JWT_AUDIENCE. На том же хранилище и очереди задач должен работать
    обработчик (iom worker).

    Коды выхода: 2 — неверные настройки; остановленный по Ctrl-C или SIGTERM, API завершает
    работу штатно и выходит по этому сигналу.

    Пример: IOM_PORTAL_JWT_SECRET=… iom api --host 0.0.0.0 --port 8000
    """
    import uvicorn  # noqa: PLC0415 - the server, imported when it serves (`iom token` is quick)

    from api.app import create_app  # noqa: PLC0415
    from api.edge import SERVER_HEADER_BYTES  # noqa: PLC0415
    from workers.context import api_services  # noqa: PLC0415

    settings = Settings()
    host = settings.api_host if host is None else host
    port = settings.api_port if port is None else port
    try:
        master_key(settings)  # production does not start without the personal-data master key
        app = create_app(settings, api_services(settings))
    except (ValueError, OSError, MasterKeyError) as error:
        raise fail(f"настройки API: {error}", BAD_SETTINGS) from None
    log.info(
        "api starting",
        host=host,
        port=port,
        namespace=settings.temporal_namespace,
        task_queue=settings.task_queue,
    )
    # Logging is structlog's (configured by the `iom` callback); uvicorn's access log is off:
    # each request's outcome is the portal's to log, the engine's own record is the route.
    uvicorn.run(
        app,
        host=host,
        port=port,
        log_config=None,
        access_log=False,
        h11_max_incomplete_event_size=SERVER_HEADER_BYTES,  # past the API's own 431 (api.edge)
    )
