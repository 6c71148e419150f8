"""Workflow incidents (not the projections' incidents of `projections/incidents.py`): a route
whose workflow is broken, told by comparing what the event store says (the route open or
closed) with what Temporal says of its workflow (`WorkflowState`): ended while the route is
open (failed, terminated, timed out, or gone), running with an activity that keeps failing, or
running while the route is closed. Each comes with the last error in Russian words and the
repair the bulk action `repair` (`activities.bulk`) makes.
"""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID

from workflows.contracts import WorkflowState

FAILING = 3  # a pending activity tried more often than this is an incident


@dataclass(frozen=True)
class Incident:
    """A route whose workflow is broken: what the server says, in Russian, and the repair."""

    route_id: UUID
    kind: str  # failed, terminated, timed_out, failing_activity, not_running, closed_running
    error: str
    repair: str


def diagnose(route_id: UUID, closed: bool, state: WorkflowState) -> Incident | None:
    """Compare the store (`closed`) with the workflow (`state`): the incident, if any."""
    if state.running:
        if closed:
            return Incident(
                route_id,
                "closed_running",
                "ИОМ в хранилище завершён или отменён, а его процесс ещё идёт",
                "остановить процесс",
            )
        if state.attempts > FAILING:
            return Incident(
                route_id,
                "failing_activity",
                f"действие «{state.activity}» не удаётся уже {state.attempts} раз подряд: "
                f"{state.error or 'причина не сообщена'}",
                "повторить: запустить процесс заново с состояния в хранилище",
            )
        return None
    if closed:
        return None
    why = ENDINGS.get(state.status or "", "процесс ИОМ не выполняется")
    detail = f": {state.error}" if state.error else ""
    kind = KINDS.get(state.status or "", "not_running")
    return Incident(
        route_id, kind, f"{why}{detail}", "возобновить: запустить процесс с состояния в хранилище"
    )


ENDINGS = {
    "FAILED": "процесс ИОМ завершился с ошибкой",
    "TERMINATED": "процесс ИОМ прерван принудительно",
    "TIMED_OUT": "процесс ИОМ превысил отведённое время",
    "CANCELED": "процесс ИОМ отменён в Temporal, а ИОМ не завершён",
    "COMPLETED": "процесс ИОМ закончился, а ИОМ в хранилище не завершён",
}
KINDS = {
    "FAILED": "failed",
    "TERMINATED": "terminated",
    "TIMED_OUT": "timed_out",
    "CANCELED": "not_running",
    "COMPLETED": "not_running",
}
