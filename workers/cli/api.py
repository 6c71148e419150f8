"""`iom api`: serves the portal's HTTP API (uvicorn) on the configured store and Temporal."""

from __future__ import annotations

from typing import Annotated

import structlog
import typer
import uvicorn

from api.app import create_app
from workers.cli.output import fail
from workers.settings import Settings

BAD_SETTINGS = 2

log = structlog.get_logger("iom.api")


def api(
    host: Annotated[str, typer.Option(help="The address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535, help="The port to listen on.")] = 8000,
) -> None:
    """Serve the HTTP API for the regional portal until stopped (Ctrl-C, SIGTERM): commands,
    the route's state, /health/live, /health/ready, the OpenAPI document at /openapi.json.

    It needs the portal's token key: IOM_PORTAL_JWT_SECRET (HS256) or IOM_PORTAL_JWT_PUBLIC_KEY
    (RS256), and IOM_PORTAL_JWT_AUDIENCE. Run a worker (iom worker) on the same store and task
    queue. Exit codes: 2 bad settings; stopped by Ctrl-C or SIGTERM, it shuts down gracefully
    and ends by that signal (uvicorn re-raises it).

    Example: IOM_PORTAL_JWT_SECRET=… iom api --host 0.0.0.0 --port 8000
    """
    settings = Settings()
    try:
        app = create_app(settings)
    except (ValueError, OSError) as error:
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
    uvicorn.run(app, host=host, port=port, log_config=None, access_log=False)
