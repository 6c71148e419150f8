"""The activity of a campaign's announcement: a page of its participants' notices, built from the
event store (`Campaigns.announced`), each to one teacher in person.

A notice carries ids only (the route, the school, the teacher; `assignees` names the teacher so
the channels reach their mailbox on the portal) and says the group's place, date and time. Its
id is derived from the campaign, the announcement (its version) and the teacher, its moment is
the announcement's: the same on every retry and every run; a teacher removed and announced again
gets a notice of a new id.
"""

from __future__ import annotations

import uuid

import structlog
from temporalio import activity
from temporalio.exceptions import ApplicationError

from aggregates.campaign_commands import taken_on
from aggregates.campaigns import Campaigns
from aggregates.errors import CampaignNotFoundError
from aggregates.notices import ANNOUNCED, announcement
from aggregates.values import Role
from workflows.contracts import AnnouncementInput, AnnouncementNotices, Notice

ANNOUNCEMENT_NAMESPACE = uuid.UUID("5a0e7c2d-9b14-4e83-a6f1-2c8d0b7e4f19")
PAGE = 200
"""Participants a run notifies: its activities stay a few hundred, its payloads small."""

log = structlog.get_logger("iom.activities")


class AnnouncementActivities:
    """Builds an announcement's notices from the campaigns; the channels are the worker's."""

    def __init__(self, campaigns: Campaigns, channels: list[str]) -> None:
        self.campaigns = campaigns
        self.channels = channels

    @activity.defn(name="announcement_notices", no_thread_cancel_exception=True)
    def announcement_notices(self, request: AnnouncementInput) -> AnnouncementNotices:
        """The notices of the announcement's participants from `offset`, a page of them."""
        try:
            campaign, announced = self.campaigns.announced(request.campaign_id, request.version)
        except CampaignNotFoundError as error:
            raise ApplicationError(error.message, type="NotFound", non_retryable=True) from None
        page = announced[request.offset : request.offset + PAGE]
        key = f"campaign:{campaign.id}:announced"
        notices = []
        for participant in page:
            subject, text = announcement(campaign, participant)
            name = f"{campaign.id}:{request.version}:{participant.teacher_id}"
            notices.append(
                Notice(
                    id=str(uuid.uuid5(ANNOUNCEMENT_NAMESPACE, name)),
                    route_id=participant.route_id,
                    key=key,
                    kind=ANNOUNCED,
                    profile_id=campaign.profile.id,
                    municipality_id=participant.municipality_id,
                    school_id=participant.school_id,
                    teacher_id=participant.teacher_id,
                    methodist_id=None,
                    recipients=[Role.TEACHER.value],
                    assignees={Role.TEACHER.value: participant.teacher_id},
                    due_on=taken_on(campaign, participant.group_id),
                    subject=subject,
                    text=text,
                    created_at=participant.announced_at or campaign.modified_on,
                )
            )
        end = request.offset + len(page)
        log.info("announcement notices", campaign_id=str(campaign.id), notices=len(notices))
        return AnnouncementNotices(
            notices=notices,
            channels=self.channels,
            next_offset=end if end < len(announced) else None,
        )
