"""The bulk benchmark: reassigning the methodist on many routes by one bulk operation, against
the same signal sent one route at a time as `iom ops reassign-methodist` sends it, in one run.

* **The routes.** `--routes` Sakha routes (10,000 in the full run) driven on the aggregate to
  the agreement stage, their workflows started on an in-process worker over a Temporal dev
  server, the monitoring projection caught up.
* **Baseline.** `--baseline` of them (default a tenth, at least 5) reassigned one at a time
  the way `iom ops reassign-methodist` does it: the command's model checks the payload, the
  signal goes out, the event store is watched until the command id is applied
  (`workers.cli.ops.deliver` and `outcome`: the CLI's own functions, without its process
  start). Routes per second.
* **Bulk.** The rest reassigned by one operation (`runtime.operations.OperationDesk.run` with
  the action `reassign_methodist` and their ids), timed from the start until its record has an
  outcome for every route (its workflow's end, awaited). Routes per second. Ratio: bulk over
  baseline. Target: ≥ 5×.

Run `python -m bench.bulk [--routes N] [--write BENCHMARKS.md]` (SQLite in a temporary
folder, or `--database-url postgresql://…`). On a shared machine run only a smoke size.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import tempfile
import time
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from uuid import UUID

from temporalio.client import Client

from aggregates.application import Routes
from aggregates.operation import Operations
from aggregates.profiles import Stage
from bench.sections import load_line, publish
from bench.servers import dev_server
from bench.store import machine
from projections.catalog import catch_up
from projections.refusals import create_table
from projections.selection import RouteQuery
from runtime.gateway import RouteGateway
from runtime.operations import BulkRequest, OperationDesk
from runtime.settings import Settings
from runtime.signals import outcome
from workers.cli.ops import Ask, deliver
from workers.context import build_operations, build_routes
from workers.demo import DemoRoute
from workers.temporal import route_worker
from workflows.contracts import operation_workflow_id

SECTION = "Bulk operations"
END = "<!-- bulk:end -->"
NEW_METHODIST = "methodist-sakha-77"
ORDER = "Приказ № 77"


@dataclass(frozen=True)
class Result:
    """One run's figures."""

    routes: int
    baseline_routes: int
    baseline_seconds: float
    bulk_routes: int
    bulk_seconds: float

    @property
    def baseline_rate(self) -> float:
        """Routes per second, one at a time."""
        return self.baseline_routes / self.baseline_seconds

    @property
    def bulk_rate(self) -> float:
        """Routes per second, by one operation."""
        return self.bulk_routes / self.bulk_seconds

    @property
    def ratio(self) -> float:
        """Bulk over baseline."""
        return self.bulk_rate / self.baseline_rate


def opened(routes: Routes, count: int) -> list[UUID]:
    """`count` Sakha routes standing in agreement."""
    profile = routes.profiles.latest("sakha")
    today = date.today()
    return [
        DemoRoute(routes, profile, index, random.Random(index), today).drive(Stage.AGREEMENT)
        for index in range(count)
    ]


async def one_at_a_time(settings: Settings, routes: Routes, route_ids: list[UUID]) -> float:
    """Seconds to reassign each route in turn as `iom ops reassign-methodist` does."""
    fields = {"methodist_id": NEW_METHODIST, "order": ORDER, "reason": "Замена", "ticket": "B-1"}
    began = time.perf_counter()
    for route_id in route_ids:
        cid = f"bench-{uuid.uuid4()}"
        ask = Ask(route_id, "reassign_methodist", fields, "op-bench", cid, 30.0, as_json=True)
        payload = fields | {"operator_id": "op-bench", "command_id": cid}
        answer = await deliver(settings, routes, ask, payload)
        if answer is None:
            answer = await asyncio.to_thread(outcome, routes, route_id, cid, None, ask.wait)
        assert answer.status == "applied", answer
    return time.perf_counter() - began


async def by_operation(desk: OperationDesk, route_ids: list[UUID]) -> float:
    """Seconds for one operation to reassign every route."""
    request = BulkRequest(
        action="reassign_methodist",
        params={"methodist_id": NEW_METHODIST, "order": ORDER},
        query=RouteQuery(route_ids=route_ids),
        operator_id="op-bench",
        reason="Замена",
        ticket="B-2",
    )
    operation_id = uuid.uuid4()
    began = time.perf_counter()
    await desk.run(operation_id, request)
    # its workflow ends once every route has an outcome: waited on, not polled (reading the
    # record of 10,000 routes every few milliseconds on the worker's own loop slowed the worker)
    await desk.gateway.client.get_workflow_handle(operation_workflow_id(operation_id)).result()
    spent = time.perf_counter() - began
    counts = desk.status(operation_id).counts()
    assert counts["done"] == len(route_ids), counts
    return spent


@dataclass(frozen=True)
class Opened:
    """Routes standing in agreement on a Temporal dev server, their workflows not started."""

    client: Client
    settings: Settings
    routes: Routes
    operations: Operations
    gateway: RouteGateway
    route_ids: list[UUID]


@asynccontextmanager
async def opened_on_dev_server(database_url: str, count: int, name: str) -> AsyncIterator[Opened]:
    """`count` Sakha routes (`opened`) on the store at `database_url`, the monitoring caught up,
    and a Temporal dev server with a task queue of their own (`bench-<name>-…`)."""
    async with dev_server() as env:
        queue = f"bench-{name}-{uuid.uuid4().hex[:8]}"
        target = env.client.service_client.config.target_host
        settings = Settings(database_url=database_url, task_queue=queue, temporal_address=target)
        routes = build_routes(settings)
        operations = build_operations(settings)
        try:
            route_ids = await asyncio.to_thread(opened, routes, count)
            catch_up(routes, "monitoring")
            gateway = RouteGateway(env.client, routes, queue)
            yield Opened(env.client, settings, routes, operations, gateway, route_ids)
        finally:
            operations.close()
            routes.close()


async def measure(database_url: str, count: int, baseline: int) -> Result:
    """Open the routes, then time the baseline and the operation on the same worker."""
    async with opened_on_dev_server(database_url, count, "bulk") as bench:
        create_table(bench.routes)  # the refusals `iom ops` looks at
        worker = route_worker(bench.client, bench.routes, bench.settings, bench.operations)
        async with worker:
            for route_id in bench.route_ids:
                await bench.gateway.start(route_id)
            first, rest = bench.route_ids[:baseline], bench.route_ids[baseline:]
            single = await one_at_a_time(bench.settings, bench.routes, first)
            bulk = await by_operation(OperationDesk(bench.gateway, bench.operations), rest)
    return Result(count, len(first), single, len(rest), bulk)


def render(result: Result) -> str:
    """The section of BENCHMARKS.md."""
    return (
        f"## {SECTION}\n\n"
        "`python -m bench.bulk` (see its docstring). Machine: "
        f"{machine()}. Read the ratio, not the absolute rates.\n\n"
        "### Reassigning the methodist: one operation against one route at a time (target ≥ 5×)\n\n"
        "| routes | one at a time (`iom ops`) | by one bulk operation | ratio |\n"
        "|---|---|---|---|\n"
        f"| {result.routes} ({result.baseline_routes} + {result.bulk_routes}) "
        f"| {result.baseline_rate:.1f} routes/s | {result.bulk_rate:.1f} routes/s "
        f"| {result.ratio:.1f}× |\n\n"
        "One at a time is the CLI's path: check, signal, watch the store every 0.2 s until the\n"
        "command id is applied; the operation signals up to 50 routes at once and watches them\n"
        "together, so its rate grows with the worker's activity slots, not with the watch.\n"
        f"{load_line()}.\n"
        f"{END}\n"
    )


def main(argv: list[str] | None = None) -> None:
    """Run the benchmark and print (or write) its section."""
    parser = argparse.ArgumentParser(prog="python -m bench.bulk", description=__doc__)
    parser.add_argument("--routes", type=int, default=10_000)
    parser.add_argument("--baseline", type=int, default=None)
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--write", type=Path, default=None)
    args = parser.parse_args(argv)
    baseline = args.baseline or max(5, args.routes // 10)
    with tempfile.TemporaryDirectory() as folder:
        url = args.database_url or f"sqlite:///{folder}/bench.sqlite3"
        result = asyncio.run(measure(url, args.routes, baseline))
    publish(render(result), args.write, SECTION, END)


if __name__ == "__main__":
    main()
