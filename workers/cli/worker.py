"""`iom worker`: the process that runs the route workflows and their activities on Temporal.

It connects to the configured Temporal, registers the route workflows' search attributes where
missing, puts every region's calendar schedules in place (campaigns, reports: see
`workers.schedules`), builds the routes application on the event store and serves the task queue
until it is stopped (Ctrl-C, SIGTERM), then shuts down cleanly. `reach` is shared with `iom ops`.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
from collections.abc import Iterator
from typing import Annotated, Any

import structlog
import typer
from temporalio.client import Client
from temporalio.service import RPCError
from temporalio.worker import Worker

from runtime.settings import Settings
from runtime.temporal import connect
from workers.cli.output import fail
from workers.context import build_operations, build_routes
from workers.schedules import sync_schedules
from workers.temporal import register_search_attributes, route_worker

BAD_SETTINGS = 2
UNREACHABLE = 3
"""The exit code when Temporal cannot be reached."""
CONNECT_TIMEOUT = 15.0  # seconds: an address that swallows packets fails, too

log = structlog.get_logger("iom.worker")


def worker(
    task_queue: Annotated[
        str | None, typer.Option("--task-queue", help="Вместо IOM_TASK_QUEUE.")
    ] = None,
    address: Annotated[
        str | None, typer.Option("--address", help="Вместо IOM_TEMPORAL_ADDRESS (узел:порт).")
    ] = None,
    namespace: Annotated[
        str | None, typer.Option("--namespace", help="Вместо IOM_TEMPORAL_NAMESPACE.")
    ] = None,
) -> None:
    """Выполнять процессы ИОМ и их действия до остановки (Ctrl-C, SIGTERM): регистрирует атрибуты
    поиска, затем обслуживает очередь задач; пишет в журнал строку готовности (адрес,
    пространство имён, очередь задач), вне терминала — в JSON.

    Коды выхода: 0 — остановлен штатно; 1 — сбой обработчика; 2 — неверные настройки
    уведомлений (адрес webhook без секрета, неверный адрес); 3 — Temporal недоступен (проверьте
    IOM_TEMPORAL_ADDRESS, IOM_TEMPORAL_NAMESPACE и что сервер запущен).

    Пример: iom worker --address localhost:7233 --task-queue iom-routes
    """
    given = {"task_queue": task_queue, "temporal_address": address, "temporal_namespace": namespace}
    overrides = {name: value for name, value in given.items() if value is not None}
    settings = Settings().model_copy(update=overrides)
    asyncio.run(serve(settings))


async def reach(settings: Settings) -> Client:
    """A client of the configured Temporal, or exit 3 saying what to check."""
    try:
        return await asyncio.wait_for(connect(settings), CONNECT_TIMEOUT)
    except (RuntimeError, TimeoutError) as error:
        raise unreachable(settings, str(error) or "нет ответа") from None


def unreachable(settings: Settings, reason: str) -> typer.Exit:
    """Exit 3: Temporal could not be reached, and what to check."""
    return fail(
        f"Temporal по адресу {settings.temporal_address} (пространство имён"
        f" «{settings.temporal_namespace}») недоступен: {reason}. Проверьте IOM_TEMPORAL_ADDRESS"
        " (и IOM_TEMPORAL_NAMESPACE) и запущен ли сервер Temporal (для разработки:"
        " `temporal server start-dev`, см. README)",
        UNREACHABLE,
    )


async def serve(settings: Settings) -> None:
    """Serve the task queue until SIGINT or SIGTERM."""
    client = await reach(settings)
    try:
        added = await register_search_attributes(client, settings.temporal_namespace)
    except RPCError as error:
        raise unreachable(settings, f"атрибуты поиска не зарегистрированы: {error}") from None
    routes = build_routes(settings)
    operations = build_operations(settings)
    try:
        try:
            running = route_worker(client, routes, settings, operations)
        except ValueError as error:  # a channel's settings: a webhook without its secret, …
            raise fail(f"настройки уведомлений: {error}", BAD_SETTINGS) from None
        try:
            schedules = await sync_schedules(client, routes.profiles, settings.task_queue)
        except RPCError as error:
            raise unreachable(settings, f"календари не созданы: {error}") from None
        await run_until_stopped(
            running, settings, search_attributes_added=added, schedules=len(schedules)
        )
    finally:
        operations.close()
        routes.close()


async def run_until_stopped(running: Worker, settings: Settings, **ready: Any) -> None:
    """Run `running` until a stop signal (then shut it down) or until it fails (exit 1)."""
    stop = asyncio.Event()
    with stop_on_signals(stop):
        serving = asyncio.create_task(running.run())
        stopping = asyncio.create_task(stop.wait())
        log.info(
            "worker ready",
            address=settings.temporal_address,
            namespace=settings.temporal_namespace,
            task_queue=settings.task_queue,
            **ready,
        )
        await asyncio.wait({serving, stopping}, return_when=asyncio.FIRST_COMPLETED)
        if not serving.done():
            log.info("worker stopping", task_queue=settings.task_queue)
            await running.shutdown()
        stopping.cancel()
        try:
            await serving
        except Exception as error:
            log.error("worker failed", error=f"{type(error).__name__}: {error}")
            raise fail(f"обработчик остановился с ошибкой: {error}", 1) from None
    log.info("worker stopped", task_queue=settings.task_queue)


@contextlib.contextmanager
def stop_on_signals(stop: asyncio.Event) -> Iterator[None]:
    """Set `stop` on SIGINT and SIGTERM while inside (where the loop can take signals)."""
    loop = asyncio.get_running_loop()
    handled = []
    for number in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(ValueError, RuntimeError, NotImplementedError):
            loop.add_signal_handler(number, stop.set)
            handled.append(number)
    try:
        yield
    finally:
        for number in handled:
            loop.remove_signal_handler(number)
