"""`iom health`: whether the parts of this deployment answer, for operators and for container
health checks.

Five checks, each bounded by `--timeout` and run side by side:

- `store`: the event store's database takes a connection and a query (PostgreSQL: a connection
  of its own with a connect timeout; SQLite: the file opens);
- `temporal`: the Temporal frontend at IOM_TEMPORAL_ADDRESS answers and knows the namespace;
- `worker`: some worker polls the task queue for workflow tasks (seen within the last
  `POLLER_FRESH` seconds; with `--this-host`, a worker of this host: the SDK's identity is
  `pid@hostname`, so in a container it is the container's own worker);
- `projections`: each projection's position and lag, as `iom projections status` computes them
  (`projections.catalog.statuses`); a projection lagging more than `--max-lag` events, or that
  has applied nothing while the store has events, is unhealthy; so is one that parked a route
  on an event it could not apply (`projections.incidents`: each is named, with its route);
- `personal`: the teachers' personal-data keys are protected: a master key is configured (or,
  embedded, kept in the data folder) and no key is stored raw (`iom pd protect` wraps them).

One line per check (`ok` or `сбой`, and what was seen or what to do), or `--json`; exit 0 when
every chosen check is ok, 1 otherwise.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import sqlite3
import threading
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from math import ceil
from typing import Annotated, Any, TypeVar

import psycopg
import typer
from eventsourcing.persistence import PersistenceError
from psycopg.conninfo import make_conninfo
from temporalio.api.enums.v1 import TaskQueueKind, TaskQueueType
from temporalio.api.taskqueue.v1 import TaskQueue
from temporalio.api.workflowservice.v1 import (
    DescribeNamespaceRequest,
    DescribeTaskQueueRequest,
)
from temporalio.client import Client
from temporalio.service import RPCError, RPCStatusCode

from adapters.personal import PersonalDataStore
from projections.catalog import Status, statuses
from runtime.settings import Settings, UnsupportedDatabaseError, store_env
from runtime.temporal import connect
from workers.cli.output import emit_json
from workers.context import build_routes
from workers.pd_master import MASTER_FILE, embedded

T = TypeVar("T")

DEFAULT_TIMEOUT = 5.0
"""Seconds each check may take."""
DEFAULT_MAX_LAG = 10_000
"""Events a projection may trail the store by and still count as healthy."""
POLLER_FRESH = 120.0
"""Seconds since a poller's last poll for it to count (a live worker polls again at least
once a minute; the server forgets a gone one only after about five)."""


class Part(StrEnum):
    """What `iom health` can check."""

    STORE = "store"
    TEMPORAL = "temporal"
    WORKER = "worker"
    PROJECTIONS = "projections"
    PERSONAL = "personal"


@dataclass
class Outcome:
    """One check's result: ok or not, a line in Russian, and details for `--json`."""

    ok: bool
    detail: str
    data: dict[str, Any] = field(default_factory=dict)


class Unhealthy(Exception):  # noqa: N818 - the outcome it stands for, not a programming error
    """A check failed: the Russian reason, with what to do."""


def health(
    only: Annotated[
        list[Part] | None,
        typer.Option(
            "--only", help="Только эта проверка (можно несколько раз); без параметра — все пять."
        ),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Вывести JSON.")] = False,
    timeout: Annotated[
        float, typer.Option(min=0.1, max=300, help="Сколько секунд даётся каждой проверке.")
    ] = DEFAULT_TIMEOUT,
    max_lag: Annotated[
        int,
        typer.Option(
            min=0,
            help="На сколько событий проекция может отставать от хранилища, оставаясь исправной.",
        ),
    ] = DEFAULT_MAX_LAG,
    this_host: Annotated[
        bool,
        typer.Option(
            "--this-host",
            help="Проверка обработчика учитывает только обработчики этого узла"
            " (в контейнере — свой).",
        ),
    ] = False,
) -> None:
    """Проверить хранилище событий, Temporal, обработчик на очереди задач и отставание проекций;
    по строке на проверку.

    Коды выхода: 0 — все проверки пройдены; 1 — проверка не пройдена (строка говорит, что
    делать); 2 — неверный вызов.

    Пример: iom health --only worker --only projections --max-lag 1000
    """
    chosen = [part for part in Part if not only or part in only]
    settings = Settings()
    outcomes = asyncio.run(
        run_checks(settings, chosen, timeout=timeout, max_lag=max_lag, this_host=this_host)
    )
    healthy = all(outcome.ok for outcome in outcomes.values())
    if as_json:
        emit_json(
            {
                "ok": healthy,
                "checks": {
                    str(part): {"ok": o.ok, "detail": o.detail} | o.data
                    for part, o in outcomes.items()
                },
            }
        )
    else:
        for part, outcome in outcomes.items():
            typer.echo(f"{part}: {'в порядке' if outcome.ok else 'сбой'} — {outcome.detail}")
    raise typer.Exit(0 if healthy else 1)


async def run_checks(
    settings: Settings, chosen: list[Part], *, timeout: float, max_lag: int, this_host: bool
) -> dict[Part, Outcome]:
    """Run the chosen checks side by side, each within `timeout` seconds."""
    client: asyncio.Task[Client] | None = None
    if Part.TEMPORAL in chosen or Part.WORKER in chosen:
        client = asyncio.ensure_future(reach_temporal(settings, timeout))
    probes = {
        Part.STORE: lambda: check_store(settings, timeout),
        Part.TEMPORAL: lambda: check_temporal(settings, client, timeout),
        Part.WORKER: lambda: check_worker(settings, client, timeout, this_host=this_host),
        Part.PROJECTIONS: lambda: check_projections(settings, timeout, max_lag),
        Part.PERSONAL: lambda: check_personal(settings, timeout),
    }
    results = await asyncio.gather(*(outcome_of(probes[part]()) for part in chosen))
    return dict(zip(chosen, results, strict=True))


async def outcome_of(probe: Awaitable[Outcome]) -> Outcome:
    """The probe's outcome, or a failure saying why it raised."""
    try:
        return await probe
    except Unhealthy as error:
        return Outcome(ok=False, detail=str(error))
    except Exception as error:  # whatever else a dependency raised: still one failed line
        return Outcome(ok=False, detail=f"проверка не удалась: {type(error).__name__}: {error}")


# The event store.


async def check_store(settings: Settings, timeout: float) -> Outcome:
    """The event store's database answers a query."""
    where = await within(lambda: probe_store(settings.database_url, timeout), timeout, "store")
    return Outcome(ok=True, detail=f"хранилище событий отвечает ({where})")


def probe_store(database_url: str, timeout: float) -> str:
    """One round trip to the store's database; where it is (no password). Raises Unhealthy."""
    try:
        env = store_env(database_url)
    except UnsupportedDatabaseError:
        raise Unhealthy(
            "IOM_DATABASE_URL не распознан: нужен sqlite:///путь или"
            " postgresql://пользователь:пароль@хост:порт/база"
        ) from None
    if env["PERSISTENCE_MODULE"] == "eventsourcing.sqlite":
        return probe_sqlite(env["SQLITE_DBNAME"])
    where = f"PostgreSQL {env['POSTGRES_HOST']}:{env['POSTGRES_PORT']}/{env['POSTGRES_DBNAME']}"
    conninfo = make_conninfo(
        host=env["POSTGRES_HOST"],
        port=env["POSTGRES_PORT"],
        dbname=env["POSTGRES_DBNAME"],
        user=env["POSTGRES_USER"],
        password=env["POSTGRES_PASSWORD"] or None,
        connect_timeout=max(2, ceil(timeout)),
        application_name="iom health",
    )
    try:
        with psycopg.connect(conninfo, autocommit=True) as conn:
            conn.execute("SELECT 1")
    except psycopg.Error as error:
        reason = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        raise Unhealthy(
            f"хранилище событий ({where}) недоступно: {reason}. Проверьте IOM_DATABASE_URL"
            " (хост, порт, база, пользователь и пароль) и запущен ли PostgreSQL"
        ) from None
    return where


def probe_sqlite(path: str) -> str:
    """The SQLite file opens and answers; its path."""
    if path == ":memory:":
        return "SQLite в памяти"
    try:
        with sqlite3.connect(f"file:{path}?mode=rw", uri=True, timeout=1) as conn:
            conn.execute("SELECT 1")
    except sqlite3.Error as error:
        raise Unhealthy(
            f"хранилище событий SQLite {path} не открывается: {error}. Проверьте"
            " IOM_DATABASE_URL (файл создаётся при первом запуске iom worker, iom api или"
            " iom demo)"
        ) from None
    return f"SQLite {path}"


# Personal data.


async def check_personal(settings: Settings, timeout: float) -> Outcome:
    """The teachers' keys are wrapped under a master key (see the module's docstring)."""
    raw = await within(lambda: count_raw_keys(settings), timeout, "personal")
    if not master_configured(settings):
        raise Unhealthy(
            "ключи педагогов не защищены: мастер-ключ не задан. Задайте IOM_PD_MASTER_KEY"
            " (base64 от 32 случайных байт)"
        )
    if raw:
        raise Unhealthy(
            f"ключи педагогов не защищены: {raw} хранятся открыто рядом с шифротекстом."
            " Выполните iom pd protect"
        )
    return Outcome(ok=True, detail="ключи педагогов зашифрованы мастер-ключом", data={"raw": 0})


def master_configured(settings: Settings) -> bool:
    """Whether a master key is set, or kept in the embedded run's data folder."""
    kept = embedded(settings) and (settings.data_dir / MASTER_FILE).exists()
    return settings.pd_master_key is not None or kept


def count_raw_keys(settings: Settings) -> int:
    """How many teacher keys the store keeps raw (0 before the tables exist)."""
    routes = build_routes(settings)
    try:
        return PersonalDataStore.from_recorder(routes.recorder).raw_keys()
    except (sqlite3.Error, psycopg.Error, PersistenceError):
        return 0  # no personal data written yet: no table
    finally:
        routes.close()


# Temporal and the worker.


async def reach_temporal(settings: Settings, timeout: float) -> Client:
    """A client of the configured Temporal, or Unhealthy saying what to check."""
    try:
        return await asyncio.wait_for(connect(settings), timeout)
    except (RuntimeError, TimeoutError) as error:
        reason = str(error) or f"нет ответа за {timeout:g} с"
        raise Unhealthy(
            f"Temporal по адресу {settings.temporal_address} недоступен: {reason}. Проверьте"
            " IOM_TEMPORAL_ADDRESS и запущен ли сервер Temporal"
        ) from None


async def check_temporal(
    settings: Settings, client: asyncio.Task[Client] | None, timeout: float
) -> Outcome:
    """The frontend answers and knows the namespace."""
    assert client is not None
    namespace = settings.temporal_namespace
    try:
        await (await client).workflow_service.describe_namespace(
            DescribeNamespaceRequest(namespace=namespace), timeout=timedelta(seconds=timeout)
        )
    except RPCError as error:
        if error.status is RPCStatusCode.NOT_FOUND:
            raise Unhealthy(
                f"в Temporal {settings.temporal_address} нет пространства имён «{namespace}»:"
                " проверьте IOM_TEMPORAL_NAMESPACE (или создайте его: temporal operator"
                f" namespace create {namespace})"
            ) from None
        raise Unhealthy(
            f"Temporal {settings.temporal_address} не отвечает: {error}. Проверьте, запущен ли"
            " сервер Temporal"
        ) from None
    return Outcome(
        ok=True,
        detail=f"Temporal отвечает ({settings.temporal_address}, пространство имён «{namespace}»)",
        data={"address": settings.temporal_address, "namespace": namespace},
    )


async def check_worker(
    settings: Settings, client: asyncio.Task[Client] | None, timeout: float, *, this_host: bool
) -> Outcome:
    """Some worker (of this host, with `this_host`) polled the task queue lately."""
    assert client is not None
    queue = settings.task_queue
    try:
        described = await (await client).workflow_service.describe_task_queue(
            DescribeTaskQueueRequest(
                namespace=settings.temporal_namespace,
                task_queue=TaskQueue(name=queue, kind=TaskQueueKind.TASK_QUEUE_KIND_NORMAL),
                task_queue_type=TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW,
            ),
            timeout=timedelta(seconds=timeout),
        )
    except RPCError as error:
        raise Unhealthy(
            f"очередь задач «{queue}» не прочитана: {error}. Проверьте IOM_TEMPORAL_NAMESPACE"
            " и запущен ли сервер Temporal"
        ) from None
    since = datetime.now(UTC) - timedelta(seconds=POLLER_FRESH)
    suffix = f"@{socket.gethostname()}"
    pollers = [
        poller.identity
        for poller in described.pollers
        if poller.last_access_time.ToDatetime(tzinfo=UTC) >= since
        and (not this_host or poller.identity.endswith(suffix))
    ]
    if not pollers:
        whose = f" с этого хоста ({socket.gethostname()})" if this_host else ""
        raise Unhealthy(
            f"очередь задач «{queue}» никто{whose} не обслуживает (за последние"
            f" {POLLER_FRESH:g} с): запустите iom worker с тем же IOM_TASK_QUEUE"
            f" и IOM_TEMPORAL_ADDRESS ({settings.temporal_address})"
        )
    return Outcome(
        ok=True,
        detail=f"очередь задач «{queue}» обслуживают: {', '.join(sorted(set(pollers)))}",
        data={"task_queue": queue, "pollers": sorted(set(pollers))},
    )


# The projections.


async def check_projections(settings: Settings, timeout: float, max_lag: int) -> Outcome:
    """Each projection has applied something (when there is something) and trails the store by
    at most `max_lag` events."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    await within(lambda: probe_store(settings.database_url, timeout), timeout, "projections")
    left = max(deadline - loop.time(), 0.1)
    found = await within(lambda: read_statuses(settings), left, "projections")
    rows: list[dict[str, Any]] = []
    problems: list[str] = []
    for status in found:
        problem = lag_problem(status, max_lag)
        rows.append(
            {
                "projection": status.name,
                "position": status.position,
                "head": status.head,
                "lag": status.lag,
                "holder": status.holder,
                "ok": problem is None and not status.incidents,
                "incidents": [incident.line() for incident in status.incidents],
            }
        )
        if problem:
            problems.append(problem)
    parked = [incident.line() for status in found for incident in status.incidents]
    data = {"max_lag": max_lag, "projections": rows}
    if parked:
        lines = "; ".join([*parked, *problems])
        return Outcome(
            ok=False,
            detail=f"{lines}. Устраните причину и выполните iom projections retry"
            " (iom projections incidents покажет список)",
            data=data,
        )
    if problems:
        return Outcome(
            ok=False,
            detail="; ".join(problems) + ": запущен ли iom projector на этом хранилище?"
            " (iom projections status покажет, где стоит каждая)",
            data=data,
        )
    lags = ", ".join(f"{s.name} {s.lag}" for s in found)
    return Outcome(ok=True, detail=f"отставание проекций (событий): {lags}", data=data)


def read_statuses(settings: Settings) -> list[Status]:
    """What `iom projections status` shows, on the configured store."""
    routes = build_routes(settings)
    try:
        return statuses(routes)
    finally:
        routes.close()


def lag_problem(status: Status, max_lag: int) -> str | None:
    """Why this projection is unhealthy, or None."""
    if status.position == 0 and status.head > 0:
        return f"проекция {status.name} ещё не применила ни одного события (их {status.head})"
    if status.lag > max_lag:
        return f"проекция {status.name} отстаёт на {status.lag} событий (допустимо {max_lag})"
    return None


# Bounding blocking calls.


async def within(call: Callable[[], T], timeout: float, part: str) -> T:
    """`call()` on a daemon thread, awaited at most `timeout` seconds: a database that does not
    answer must not hold the check (nor, being a daemon, the process's exit)."""
    loop = asyncio.get_running_loop()
    future: asyncio.Future[T] = loop.create_future()

    def settle(result: T | None, error: BaseException | None) -> None:
        if future.done():
            return
        if error is not None:
            future.set_exception(error)
        else:
            future.set_result(result)  # type: ignore[arg-type]  # set when error is None

    def run() -> None:
        try:
            result, error = call(), None
        except BaseException as raised:
            result, error = None, raised
        with contextlib.suppress(RuntimeError):  # the loop is closed: the check timed out
            loop.call_soon_threadsafe(settle, result, error)

    threading.Thread(target=run, name=f"iom-health-{part}", daemon=True).start()
    try:
        return await asyncio.wait_for(future, timeout)
    except TimeoutError:
        raise Unhealthy(
            f"нет ответа за {timeout:.3g} с: хранилище событий (IOM_DATABASE_URL) не отвечает"
            " или перегружено"
        ) from None
