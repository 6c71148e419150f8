"""A region's calendar date (a diagnostic campaign, the methodists' report): started by its
Temporal Schedule, it has the notice built and delivers it on every channel."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from workflows.contracts import CalendarInput, CalendarNotice, Delivery
    from workflows.route import DELIVERY_RETRY, STORE_CALL

CALENDAR_WORKFLOW = "RegionCalendarWorkflow"


@workflow.defn(name=CALENDAR_WORKFLOW)
class RegionCalendarWorkflow:
    """One firing of a region's calendar schedule."""

    @workflow.run
    async def run(self, request: CalendarInput) -> str:
        """Send the date's notice; its key."""
        built: CalendarNotice = await workflow.execute_activity(
            "calendar_notice",
            request,
            result_type=CalendarNotice,
            start_to_close_timeout=STORE_CALL,
        )
        await asyncio.gather(
            *(
                workflow.execute_activity(
                    "deliver_notice",
                    Delivery(channel=channel, notice=built.notice),
                    start_to_close_timeout=timedelta(seconds=30),
                    retry_policy=DELIVERY_RETRY,
                )
                for channel in built.channels
            )
        )
        return built.notice.key
