"""The worker's note of route activities that keep failing, for the workflow incidents.

An activity interceptor: when an attempt of a route workflow's activity fails for the
`FAILING`-th time or later (and will be retried), it notes the route, the activity, the count
and the error (`note`); an attempt that starts after `FAILING` attempts is noted too, since
the attempts before it may have timed out or died with their worker, which no error here
tells. When an attempt after such a streak succeeds, it takes the note back (`clear`). The
list of incidents reads the notes instead of describing every running workflow.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import UTC, datetime
from functools import partial
from typing import Any, Protocol
from uuid import UUID

import structlog
from temporalio import activity
from temporalio.exceptions import ApplicationError
from temporalio.worker import (
    ActivityInboundInterceptor,
    ExecuteActivityInput,
    Interceptor,
)

from activities.workflow_incidents import FAILING
from workflows.contracts import ROUTE_WORKFLOW, route_id_of

log = structlog.get_logger("iom.activities")


class Note(Protocol):
    """Note a route's failing activity: attempts failed so far, the last error, when."""

    def __call__(
        self, route_id: UUID, activity: str, /, *, attempts: int, error: str | None, at: datetime
    ) -> None: ...


Clear = Callable[[UUID, str], None]
"""Take back the note of a route's activity."""


class FailingAttempts(Interceptor):
    """Notes the route activities that keep failing, and takes the note back on success."""

    def __init__(self, note: Note, clear: Clear) -> None:
        self.note = note
        self.clear = clear

    def intercept_activity(self, next: ActivityInboundInterceptor) -> ActivityInboundInterceptor:
        """Wrap every activity the worker runs."""
        return _Watched(next, self)


class _Watched(ActivityInboundInterceptor):
    def __init__(self, next: ActivityInboundInterceptor, attempts: FailingAttempts) -> None:
        super().__init__(next)
        self.attempts = attempts

    async def execute_activity(self, input: ExecuteActivityInput) -> Any:
        info = activity.info()
        ours = info.workflow_type == ROUTE_WORKFLOW
        route_id = route_id_of(info.workflow_id or "") if ours else None
        if route_id is not None and info.attempt > FAILING:  # failed, timed out or lost
            await self._note(route_id, info.attempt - 1, None)
        try:
            result = await super().execute_activity(input)
        except Exception as error:
            if route_id is not None and info.attempt >= FAILING and retried(error):
                await self._note(route_id, info.attempt, str(error) or type(error).__name__)
            raise
        if route_id is not None and info.attempt > FAILING:  # a note may follow a streak
            await _kept(partial(self.attempts.clear, route_id, info.activity_type))
        return result

    async def _note(self, route_id: UUID, attempts: int, error: str | None) -> None:
        note = partial(
            self.attempts.note,
            route_id,
            activity.info().activity_type,
            attempts=attempts,
            error=error,
            at=datetime.now(UTC),
        )
        await _kept(note)


async def _kept(bookkeeping: Callable[[], None]) -> None:
    """Run a note's write; its failure is logged, never the activity's (a note is a lead for
    the incidents, which describe the workflow anyway)."""
    try:
        await asyncio.to_thread(bookkeeping)
    except Exception as error:
        log.warning("failing activity note not written", error=str(error))


def retried(error: BaseException) -> bool:
    """Whether Temporal tries the activity again after `error` (a non-retryable one fails it,
    and the workflow's own handling takes over)."""
    return not (isinstance(error, ApplicationError) and error.non_retryable)
