"""The demo `iom up --demo` loads: for every region, one route in each stage of its regulation.

Route `demo-<region>-0000N` stands in stage N of `SHOWCASE` (opened, awaiting the diagnostic,
designing, awaiting the agreement, implementing, final, completed), so the ids are the same on
every machine and the README's tour can name them. The plans' terms began a year ago: the route
in implementation has every activity overdue, which its workflow marks as soon as it starts.
The routes are written on the store directly (`DemoRoute.drive_to`), then every route still under
way gets its workflow, which takes it from there as it would any route.
"""

from __future__ import annotations

from collections.abc import Callable
from uuid import UUID

from aggregates.application import Routes
from aggregates.profiles import Stage
from runtime.gateway import RouteGateway
from workers.demo import demo_routes

SHOWCASE = [stage for stage in Stage if stage is not Stage.CANCELLED]
"""The stage of demo route N (from 1) of each region: every stage of a route's way, in order."""


def showcase_size(routes: Routes) -> int:
    """How many routes the showcase writes."""
    return len(routes.profiles.ids()) * len(SHOWCASE)


def showcase_ids(routes: Routes) -> list[UUID]:
    """The ids of every region's showcase routes, in the order they are written."""
    return [
        demo.route_id
        for region in routes.profiles.ids()
        for demo in demo_routes(routes, region, len(SHOWCASE), seed=0, first=1)
    ]


def write_showcase(routes: Routes, advance: Callable[[], None] = lambda: None) -> list[UUID]:
    """Write every region's showcase routes (calling `advance` after each); their ids. A load
    interrupted part-way is completed: what each route has taken already is skipped
    (`DemoRoute.drive_to`), so no route is written twice."""
    written = []
    for region in routes.profiles.ids():
        demos = demo_routes(routes, region, len(SHOWCASE), seed=0, first=1)
        for demo, stage in zip(demos, SHOWCASE, strict=True):
            written.append(demo.drive_to(stage))
            advance()
    return written


async def start_workflows(gateway: RouteGateway, route_ids: list[UUID]) -> int:
    """Start the workflow of every route still under way; how many were started."""
    started = 0
    for route_id in route_ids:
        if not gateway.routes.route(route_id).closed:
            started += await gateway.start(route_id)
    return started
