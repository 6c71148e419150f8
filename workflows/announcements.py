"""A diagnostic campaign's announcement reaches each participant (Sakha диагностика 5.3: told
the place and time at least the profile's notice days ahead): started by the gateway once the
announcement is saved (again, harmlessly, by a retried request), it has the participants'
notices built from the event store and delivers them on every channel as a calendar date's are.

A run takes a page of participants and continues as new with the next, so a campaign of
thousands keeps each run's history short. Each notice's id is derived from the campaign, the
announcement and the teacher: a retried delivery, or the whole workflow started again, carries
the same id and the portal drops the repeat.
"""

from __future__ import annotations

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from workflows.calendars import deliver
    from workflows.contracts import ANNOUNCEMENT_WORKFLOW, AnnouncementInput, AnnouncementNotices
    from workflows.route import DURABLE_RETRY, STORE_CALL


@workflow.defn(name=ANNOUNCEMENT_WORKFLOW)
class CampaignAnnouncementWorkflow:
    """The notices of one announcement of a diagnostic campaign."""

    @workflow.run
    async def run(self, request: AnnouncementInput) -> int:
        """Build a page of the participants' notices and deliver them; the next page in a new
        run; how many were delivered up to this run's."""
        built: AnnouncementNotices = await workflow.execute_activity(
            "announcement_notices",
            request,
            result_type=AnnouncementNotices,
            start_to_close_timeout=STORE_CALL,
            retry_policy=DURABLE_RETRY,
        )
        await deliver(built.notices, built.channels)
        if built.next_offset is not None:
            workflow.continue_as_new(request.model_copy(update={"offset": built.next_offset}))
        return request.offset + len(built.notices)
