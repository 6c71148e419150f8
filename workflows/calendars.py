"""A region's calendar date (a diagnostic campaign, the methodists' report): started by its
Temporal Schedule (`workers/schedules.py`), it has the notice built and delivers it on every
channel, with the route workflow's retry policy for notices.

The firing's moment is the schedule's (the `TemporalScheduledStartTime` the server sets on the
workflows a schedule starts), or the workflow's start when that is missing: the same on every
replay and activity retry, so the notice's date and id are stable.
"""

from __future__ import annotations

import asyncio
from datetime import datetime

from temporalio import workflow
from temporalio.common import SearchAttributeKey
from temporalio.exceptions import ApplicationError

with workflow.unsafe.imports_passed_through():
    from workflows.contracts import (
        DELIVER_NOTICE,
        CalendarFiring,
        CalendarInput,
        CalendarNotice,
        Delivery,
        Notice,
    )
    from workflows.route import DELIVERY_RETRY, DURABLE_RETRY, STORE_CALL

CALENDAR_WORKFLOW = "RegionCalendarWorkflow"
SCHEDULED_AT = SearchAttributeKey.for_datetime("TemporalScheduledStartTime")
"""Set by the server on a workflow a schedule started: the firing's nominal time."""


def fired_at() -> datetime:
    """When the schedule fired this run (its start, when not started by a schedule)."""
    info = workflow.info()
    return info.typed_search_attributes.get(SCHEDULED_AT) or info.start_time


@workflow.defn(name=CALENDAR_WORKFLOW)
class RegionCalendarWorkflow:
    """One firing of a region's calendar schedule."""

    @workflow.run
    async def run(self, request: CalendarInput) -> str:
        """Build the date's notice and send it on every channel; its key."""
        built: CalendarNotice = await workflow.execute_activity(
            "calendar_notice",
            CalendarFiring(request=request, fired_at=fired_at()),
            result_type=CalendarNotice,
            start_to_close_timeout=STORE_CALL,
            retry_policy=DURABLE_RETRY,
        )
        await deliver([built.notice], built.channels)
        return built.notice.key


async def deliver(notices: list[Notice], channels: list[str]) -> None:
    """Deliver each notice on every channel at once, with the route workflow's retry policy for
    notices; fail the run, after all have ended, if any failed (a calendar date's notice, a
    campaign's announcement to its participants)."""
    sent = [(notice, channel) for notice in notices for channel in channels]
    results = await asyncio.gather(
        *(
            workflow.execute_activity(
                DELIVER_NOTICE,
                Delivery(channel=channel, notice=notice),
                start_to_close_timeout=STORE_CALL,
                retry_policy=DELIVERY_RETRY,
            )
            for notice, channel in sent
        ),
        return_exceptions=True,
    )
    failed = sorted(
        {
            f"{notice.key} ({channel})"
            for (notice, channel), result in zip(sent, results, strict=True)
            if isinstance(result, BaseException)
        }
    )
    if failed:
        raise ApplicationError(
            f"notices not delivered: {', '.join(failed)}", type="Undelivered", non_retryable=True
        )
