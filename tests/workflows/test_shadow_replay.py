"""`iom shadow`'s workflow part against a real Temporal dev server: every history on the task
queue fetched and replayed on the new workflow code, a workflow whose commands differ named by
its workflow id and route; the store's checks of the same run pass (issue 19, point 4)."""

from __future__ import annotations

import random
from datetime import timedelta

from temporalio import workflow

from projections.catalog import PROJECTIONS, catch_up
from tests.workflows.conftest import Stack
from workers.demo import DemoRoute, write_demo
from workers.shadow.histories import server_histories
from workers.shadow.run import shadow
from workers.temporal import WORKFLOWS
from workflows.contracts import RouteInput


@workflow.defn(name="RouteWorkflow", sandboxed=False)
class ReorderedRouteWorkflow:
    """A new version of the route workflow that waits a day before loading its route: its first
    command differs from the recorded one's."""

    @workflow.run
    async def run(self, start: RouteInput) -> str:
        await workflow.sleep(timedelta(days=1))
        return str(start.route_id)


async def test_the_histories_replay_and_a_changed_workflow_is_named(dev_stack: Stack) -> None:
    profile = dev_stack.routes.profiles.latest("balakhta")
    demo = DemoRoute(dev_stack.routes, profile, 3, random.Random(3), await dev_stack.today())
    route_id = await demo.drive_through(dev_stack.gateway)
    write_demo(dev_stack.routes, "sakha", 1)  # a route with no workflow: the store's part only
    for name in PROJECTIONS:
        catch_up(dev_stack.routes, name)
    client, queue = dev_stack.env.client, dev_stack.settings.task_queue

    clean = await shadow(dev_stack.routes, server_histories(client, queue, WORKFLOWS), WORKFLOWS)

    assert clean.findings == []
    assert clean.counts.routes == 2
    assert clean.counts.workflows == 1

    changed = [ReorderedRouteWorkflow]
    report = await shadow(
        dev_stack.routes, server_histories(client, queue, changed, concurrency=2), changed
    )

    assert report.counts.workflows == 1
    (finding,) = report.findings
    assert (finding.part, finding.where) == ("workflow", f"route-{route_id}")
    assert finding.route_id == str(route_id)
    assert "не воспроизводится" in finding.detail
