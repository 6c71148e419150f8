"""The incidents benchmark: the list of broken route workflows over many routes with few
incidents, against one visibility listing of the same workflows, in one run.

* **The routes.** `--routes` Sakha routes driven on the aggregate to the agreement stage
  (`bench.bulk.opened`), the monitoring projection caught up, a workflow started for each on a
  Temporal dev server. No worker serves them: each stays running, which is all the list asks
  of a healthy route. Then `--incidents` of them are broken: their workflows terminated.
* **Baseline.** One visibility listing of every route workflow
  (`WorkflowType = 'RouteWorkflow'`), ids collected: the least any list built on Temporal's
  view of the workflows must read.
* **The list.** `OperationDesk.incidents()`: the monitoring's open and closed routes (one
  query), the running workflows (one listing), the failing activities the workers noted, then
  each lead checked on the store and described. Each side is run `--repeat` times and the best
  time kept. Ratio: the list's time over the listing's; it should stay near 1 as the routes
  grow with the incidents fixed (the list describes the incidents only, never every route).
* **For scale.** Describing every route's workflow once (`RouteGateway.state`), as the list
  did before it took its leads from the tables: timed once.

Run `python -m bench.incidents [--routes N] [--incidents K] [--write BENCHMARKS.md]` (SQLite
in a temporary folder, or `--database-url postgresql://…`). On a shared machine run only a
smoke size.
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from uuid import UUID

from temporalio.client import Client

from bench.bulk import opened_on_dev_server
from bench.sections import load_line, publish
from bench.store import machine
from runtime.gateway import RouteGateway
from runtime.operations import OperationDesk
from workflows.contracts import ROUTE_WORKFLOW, workflow_id

SECTION = "Workflow incidents"
END = "<!-- incidents:end -->"


@dataclass(frozen=True)
class Result:
    """One run's figures."""

    routes: int
    incidents: int
    listing_seconds: float
    list_seconds: float
    describe_seconds: float

    @property
    def ratio(self) -> float:
        """The list's time over the listing's."""
        return self.list_seconds / self.listing_seconds


async def best(repeat: int, run: Callable[[], Awaitable[Any]]) -> tuple[float, Any]:
    """The shortest of `repeat` runs, in seconds, and the last run's answer."""
    times, answer = [], None
    for _ in range(repeat):
        began = time.perf_counter()
        answer = await run()
        times.append(time.perf_counter() - began)
    return min(times), answer


async def listing(client: Client) -> list[str]:
    """Every route workflow's id, by one visibility listing."""
    query = f"WorkflowType = '{ROUTE_WORKFLOW}'"
    return [execution.id async for execution in client.list_workflows(query)]


async def describe_all(gateway: RouteGateway, route_ids: list[UUID]) -> None:
    """Describe every route's workflow, one after another."""
    for route_id in route_ids:
        await gateway.state(route_id)


async def measure(database_url: str, count: int, broken: int, repeat: int) -> Result:
    """Open the routes, start their workflows, break a few, then time both sides."""
    async with opened_on_dev_server(database_url, count, "incidents") as bench:
        route_ids, client = bench.route_ids, bench.client
        for route_id in route_ids:
            await bench.gateway.start(route_id)
        for route_id in route_ids[:broken]:
            handle = client.get_workflow_handle(workflow_id(route_id))
            await handle.terminate(reason="сбой узла (бенчмарк)")
        desk = OperationDesk(bench.gateway, bench.operations)
        listed_in, listed = await best(repeat, lambda: listing(client))
        found_in, found = await best(repeat, desk.incidents)
        described_in, _ = await best(1, lambda: describe_all(bench.gateway, route_ids))
    assert len(listed) == count, (len(listed), count)
    assert {i.route_id for i in found} == set(route_ids[:broken]), found
    return Result(count, broken, listed_in, found_in, described_in)


def render(result: Result, args: str) -> str:
    """The section of BENCHMARKS.md."""
    return (
        f"## {SECTION}\n\n"
        f"`python -m bench.incidents {args}` (see its docstring). Machine: {machine()}.\n\n"
        "| routes | incidents | one visibility listing | `iom ops incidents` (the list) "
        "| ratio | describing every workflow |\n"
        "|---|---|---|---|---|---|\n"
        f"| {result.routes:,} | {result.incidents} | {result.listing_seconds * 1000:.0f} ms "
        f"| {result.list_seconds * 1000:.0f} ms | {result.ratio:.1f}× "
        f"| {result.describe_seconds * 1000:.0f} ms |\n\n"
        "The list reads the monitoring's routes once, lists the running workflows once and\n"
        "describes only the leads (here the terminated workflows): its time follows the\n"
        "listing's as the routes grow, plus a describe and a history read per incident.\n\n"
        f"{load_line()}.\n"
        f"{END}\n"
    )


def main(argv: list[str] | None = None) -> None:
    """Run the benchmark and print (or write) its section."""
    parser = argparse.ArgumentParser(prog="python -m bench.incidents", description=__doc__)
    parser.add_argument("--routes", type=int, default=2_000)
    parser.add_argument("--incidents", type=int, default=5)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--write", type=Path, default=None)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as folder:
        url = args.database_url or f"sqlite:///{folder}/bench.sqlite3"
        result = asyncio.run(measure(url, args.routes, args.incidents, args.repeat))
    shown = f"--routes {args.routes} --incidents {args.incidents}"
    publish(render(result, shown), args.write, SECTION, END)


if __name__ == "__main__":
    main()
