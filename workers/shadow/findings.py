"""What a shadow replay found: each difference between what the new code makes of the history
and what production recorded, named by route where it belongs to one."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

from workflows.contracts import route_id_of

Part = Literal["edition", "route", "table", "workflow"]


@dataclass(frozen=True)
class Finding:
    """One difference: which check found it (`part`), where (an edition, a chain, a snapshot, a
    table, a workflow id), the route it concerns if any, and what differs, in Russian."""

    part: Part
    where: str
    detail: str
    route_id: str | None = None

    def as_json(self) -> dict[str, Any]:
        """The finding as JSON-ready data."""
        return asdict(self)


def route_of_workflow(workflow_id: str) -> str | None:
    """The route a route workflow's id (`route-<route id>`) names, if it names one."""
    found = route_id_of(workflow_id)
    return None if found is None else str(found)


@dataclass
class Counts:
    """How much the replay went over."""

    routes: int = 0
    events: int = 0
    rows: dict[str, int] = field(default_factory=dict)
    workflows: int = 0


def by_route(findings: Iterable[Finding]) -> dict[str | None, list[Finding]]:
    """The findings grouped by route (None: those of no single route), routes in order."""
    grouped: defaultdict[str | None, list[Finding]] = defaultdict(list)
    for finding in findings:
        grouped[finding.route_id].append(finding)
    return dict(sorted(grouped.items(), key=lambda item: (item[0] is None, item[0] or "")))
