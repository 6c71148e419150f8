"""The regulations' calendars as Temporal Schedules, derived from the profiles.

Diagnostic campaigns: `diagnostics_per_year` a year, spread evenly over the school year from
September (two → September and March), each on the 15th; the schedule fires
`diagnostic_notice_days` before, at 09:00 in the region, so participants are told in time.
Methodists' reports: on the 1st of each of `report_months` at 09:00, due by the month's end.
`sync_schedules` creates each region's schedules or brings them up to date: run it at every
worker start, so an edited profile takes effect.
"""

from __future__ import annotations

from datetime import date, timedelta

from temporalio.client import (
    Client,
    Schedule,
    ScheduleActionStartWorkflow,
    ScheduleAlreadyRunningError,
    ScheduleCalendarSpec,
    ScheduleRange,
    ScheduleSpec,
    ScheduleUpdate,
    ScheduleUpdateInput,
)

from aggregates.profiles import Profile, ProfileCatalogue
from workflows.calendars import CALENDAR_WORKFLOW
from workflows.contracts import CalendarInput, calendar_schedule_id

CAMPAIGN_DAY = 15
SCHOOL_YEAR_START = 9  # September
NOTICE_HOUR = 9
REFERENCE_YEAR = 2025  # a common year: month-and-day arithmetic for yearly dates


def campaign_months(per_year: int) -> list[int]:
    """The months of `per_year` campaigns spread evenly from September."""
    step = 12 // per_year if per_year else 12
    return [(SCHOOL_YEAR_START - 1 + step * n) % 12 + 1 for n in range(per_year)]


def _at(day: date) -> ScheduleCalendarSpec:
    return ScheduleCalendarSpec(
        month=[ScheduleRange(day.month)],
        day_of_month=[ScheduleRange(day.day)],
        hour=[ScheduleRange(NOTICE_HOUR)],
    )


def calendar_specs(profile: Profile) -> list[tuple[CalendarInput, ScheduleSpec]]:
    """The region's schedules: what each starts and when, in the region's time zone."""
    found = []
    calendars = profile.calendars
    if calendars.diagnostics_per_year:
        notice = timedelta(days=calendars.diagnostic_notice_days)
        fire_days = [
            date(REFERENCE_YEAR, month, CAMPAIGN_DAY) - notice
            for month in campaign_months(calendars.diagnostics_per_year)
        ]
        request = CalendarInput(
            profile_id=profile.id,
            kind="diagnostic_campaign",
            notice_days=calendars.diagnostic_notice_days,
        )
        spec = ScheduleSpec(
            calendars=[_at(day) for day in fire_days], time_zone_name=profile.time_zone
        )
        found.append((request, spec))
    if calendars.report_months:
        request = CalendarInput(profile_id=profile.id, kind="methodist_report")
        days = [date(REFERENCE_YEAR, month, 1) for month in calendars.report_months]
        spec = ScheduleSpec(calendars=[_at(day) for day in days], time_zone_name=profile.time_zone)
        found.append((request, spec))
    return found


async def sync_schedules(client: Client, catalogue: ProfileCatalogue, task_queue: str) -> list[str]:
    """Create or update every region's calendar schedules (the newest profile editions); ids."""
    ids = []
    for profile_id in catalogue.ids():
        for request, spec in calendar_specs(catalogue.latest(profile_id)):
            schedule_id = calendar_schedule_id(request.profile_id, request.kind)
            schedule = Schedule(
                action=ScheduleActionStartWorkflow(
                    CALENDAR_WORKFLOW, request, id=schedule_id, task_queue=task_queue
                ),
                spec=spec,
            )
            try:
                await client.create_schedule(schedule_id, schedule)
            except ScheduleAlreadyRunningError:

                def replace(_: ScheduleUpdateInput, new: Schedule = schedule) -> ScheduleUpdate:
                    return ScheduleUpdate(schedule=new)

                await client.get_schedule_handle(schedule_id).update(replace)
            ids.append(schedule_id)
    return ids
