"""The activity of the regions' calendars: the notice of a diagnostic campaign (sent the
regulation's number of days ahead) or of the methodists' half-year report, in Russian."""

from __future__ import annotations

import calendar
import uuid
from datetime import date, timedelta
from zoneinfo import ZoneInfo

from temporalio import activity

from aggregates.profiles import Profile, ProfileCatalogue
from workflows.contracts import CalendarInput, CalendarNotice, Notice

CALENDAR_NAMESPACE = uuid.UUID("9d5c0f3e-2b7a-4f61-8e0d-4a3c1b2e7f90")
CAMPAIGN_RECIPIENTS = ["teacher", "methodist", "deputy_head"]
REPORT_RECIPIENTS = ["methodist", "centre_head"]


def campaign_text(profile: Profile, held_on: date, notice_days: int) -> tuple[str, str]:
    """Subject and text of a diagnostic campaign's notice."""
    subject = f"Диагностика профессиональных дефицитов {held_on:%d.%m.%Y}"
    text = (
        f"Через {notice_days} дн. ({held_on:%d.%m.%Y}) проводится диагностика профессиональных"
        " дефицитов педагогических работников: входная — для новых ИОМ, итоговая — для ИОМ,"
        " срок которых завершается.\n"
        "Участники — педагогические работники, включённые в диагностику; методисты и"
        " заместители руководителей ОО обеспечивают их участие.\n"
        f"Регламент: {profile.regulation}."
    )
    return subject, text


def report_text(profile: Profile, due_on: date) -> tuple[str, str]:
    """Subject and text of the methodists' half-year report notice."""
    subject = f"Отчёт методиста о сопровождении ИОМ: срок {due_on:%d.%m.%Y}"
    text = (
        "Подготовьте отчёт о сопровождении индивидуальных образовательных маршрутов"
        f" педагогических работников за полугодие; срок представления — {due_on:%d.%m.%Y}.\n"
        f"Регламент: {profile.regulation}."
    )
    return subject, text


class CalendarActivities:
    """Builds calendar notices from the profiles; the channels are the worker's."""

    def __init__(self, profiles: ProfileCatalogue, channels: list[str]) -> None:
        self.profiles = profiles
        self.channels = channels

    @activity.defn(name="calendar_notice")
    def calendar_notice(self, request: CalendarInput) -> CalendarNotice:
        """The notice of the calendar date that made the schedule fire."""
        profile = self.profiles.latest(request.profile_id)
        fired = activity.info().current_attempt_scheduled_time
        today = fired.astimezone(ZoneInfo(profile.time_zone)).date()
        if request.kind == "diagnostic_campaign":
            due_on = today + timedelta(days=request.notice_days)
            subject, text = campaign_text(profile, due_on, request.notice_days)
            recipients = CAMPAIGN_RECIPIENTS
        else:
            due_on = today.replace(day=calendar.monthrange(today.year, today.month)[1])
            subject, text = report_text(profile, due_on)
            recipients = REPORT_RECIPIENTS
        key = f"calendar:{request.kind}:{due_on.isoformat()}"
        notice = Notice(
            id=str(uuid.uuid5(CALENDAR_NAMESPACE, f"{profile.id}:{key}")),
            route_id=None,
            key=key,
            kind=request.kind,
            profile_id=profile.id,
            municipality_id=None,
            school_id=None,
            teacher_id=None,
            methodist_id=None,
            recipients=recipients,
            due_on=due_on,
            subject=subject,
            text=text,
            created_at=fired,
        )
        return CalendarNotice(notice=notice, channels=self.channels)
