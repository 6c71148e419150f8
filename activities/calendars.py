"""The activity of the regions' calendars: a diagnostic campaign proposed to the region's centre
(Sakha диагностика 5.1: at least twice a year) or the methodists' report (Sakha актив 6.2: June
and December), in Russian, for the whole region.

A campaign is not a bare reminder: the centre head and the methodists get the proposal to plan
it (`POST /campaigns`, `iom campaigns plan`) with its proposed key, and the earliest day it can
be held if its participants are announced today (5.3: `notice_days` ahead), so the campaign,
its participants, place and time are the centre's own events (`aggregates.campaign`). The
report's firing makes the report (its DOCX and PDF, by the worker's `ReportMaker`) and says so
in the notice.

The dates follow from the moment the schedule fired, in the region's time zone: the campaign is
held `notice_days` after it at the earliest; the report is due by the end of the month it fired
in. The notice's
id is derived from the region, the kind and that date, so a retried or repeated delivery of one
firing carries the same id and the portal drops the repeat.
"""

from __future__ import annotations

import calendar
import uuid
from collections.abc import Callable
from datetime import date, timedelta
from zoneinfo import ZoneInfo

import structlog
from temporalio import activity
from temporalio.exceptions import ApplicationError

from aggregates.profiles import Profile, ProfileCatalogue, UnknownProfileError
from aggregates.values import Role
from workflows.contracts import CalendarFiring, CalendarNotice, Notice

CALENDAR_NAMESPACE = uuid.UUID("9d5c0f3e-2b7a-4f61-8e0d-4a3c1b2e7f90")
CAMPAIGN_RECIPIENTS = [Role.CENTRE_HEAD, Role.METHODIST]
REPORT_RECIPIENTS = [Role.METHODIST, Role.CENTRE_HEAD]
REPORT_PERIODS = {1: "за год", 2: "за полугодие", 4: "за квартал", 12: "за месяц"}
"""The period a report covers, by the number of report months a year."""

log = structlog.get_logger("iom.activities")

ReportMaker = Callable[[str, date], str]
"""Makes the region's methodists' report as of a date and says in Russian what it made (the
composition root's `workers.reports`: the report is read from the monitoring projection)."""


def days_phrase(days: int) -> str:
    """`через 3 дня`, `через 5 дней`, `через 21 день`; `сегодня` for none."""
    if days == 0:
        return "сегодня"
    if days % 10 == 1 and days % 100 != 11:
        word = "день"
    elif 2 <= days % 10 <= 4 and not 12 <= days % 100 <= 14:
        word = "дня"
    else:
        word = "дней"
    return f"через {days} {word}"


def footer(profile: Profile) -> str:
    """The region and its regulation, closing every calendar notice."""
    return f"Регламент: {profile.region}; {profile.regulation}."


def campaign_key(profile: Profile, held_on: date) -> str:
    """The key proposed for the campaign of a firing: the region and the month."""
    return f"{profile.id}-{held_on:%Y-%m}"


def campaign_text(profile: Profile, held_on: date, notice_days: int) -> tuple[str, str]:
    """Subject and text of a diagnostic campaign's proposal to the centre."""
    title = "Диагностика профессиональных дефицитов"
    subject = f"{title}: запланируйте диагностику не ранее {held_on:%d.%m.%Y}"
    text = (
        f"{title} по графику региона: запланируйте диагностику (POST /campaigns или iom"
        f" campaigns plan, ключ «{campaign_key(profile, held_on)}»): вид — входная (для"
        " педагогов, начинающих ИОМ), промежуточная или итоговая (для завершающих его),"
        " платформа, инструментарий, группы с местом и временем. Провести её можно не ранее"
        f" {held_on:%d.%m.%Y} ({days_phrase(notice_days)}): участников оповещают о месте и"
        f" времени не позднее чем за {notice_days} дн.\n\n" + footer(profile)
    )
    return subject, text


def report_text(profile: Profile, due_on: date) -> tuple[str, str]:
    """Subject and text of the methodists' report notice."""
    period = REPORT_PERIODS.get(len(profile.calendars.report_months), "за отчётный период")
    title = f"Отчёт методиста о сопровождении ИОМ {period}"
    text = (
        f"{title}: срок — {due_on:%d.%m.%Y}. Методист представляет в ЦНППМ информацию о"
        " результатах своей деятельности по сопровождению индивидуальных образовательных"
        " маршрутов педагогических работников.\n\n" + footer(profile)
    )
    return f"{title}: срок {due_on:%d.%m.%Y}", text


def month_end(day: date) -> date:
    """The last day of `day`'s month."""
    return day.replace(day=calendar.monthrange(day.year, day.month)[1])


class CalendarActivities:
    """Builds calendar notices from the profiles; the channels are the worker's."""

    def __init__(
        self, profiles: ProfileCatalogue, channels: list[str], report: ReportMaker | None = None
    ) -> None:
        self.profiles = profiles
        self.channels = channels
        self.report = report

    @activity.defn(name="calendar_notice", no_thread_cancel_exception=True)  # as routes.py
    def calendar_notice(self, firing: CalendarFiring) -> CalendarNotice:
        """The notice of the calendar date that made the schedule fire, and its channels."""
        request = firing.request
        try:
            profile = self.profiles.latest(request.profile_id)
        except UnknownProfileError as error:
            raise ApplicationError(str(error), type="UnknownProfile", non_retryable=True) from None
        today = firing.fired_at.astimezone(ZoneInfo(profile.time_zone)).date()
        if request.kind == "diagnostic_campaign":
            due_on = today + timedelta(days=request.notice_days)
            subject, text = campaign_text(profile, due_on, request.notice_days)
            recipients = CAMPAIGN_RECIPIENTS
        else:
            due_on = month_end(today)
            subject, text = report_text(profile, due_on)
            if self.report is not None:  # the report itself, made as the schedule fires
                text += "\n\n" + self.report(profile.id, today)
            recipients = REPORT_RECIPIENTS
        key = f"calendar:{request.kind}:{due_on.isoformat()}"
        log.info("calendar notice", profile=profile.key, key=key, channels=self.channels)
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
            recipients=[role.value for role in recipients],
            due_on=due_on,
            subject=subject,
            text=text,
            created_at=firing.fired_at,
        )
        return CalendarNotice(notice=notice, channels=self.channels)
