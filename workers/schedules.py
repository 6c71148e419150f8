"""The regulations' calendars as Temporal Schedules, derived from the profiles.

Diagnostic campaigns: `diagnostics_per_year` a year, spread evenly over the school year from
September (two → September and March, Sakha диагностика 5.1), each on the 15th; the schedule
fires `diagnostic_notice_days` before it (диагностика 5.3), at 09:00 in the region's time zone.
Methodists' reports: on the 1st of each of `report_months` at 09:00, due by the month's end
(актив 6.2). One schedule per region and kind, `calendar-<region>-<kind>`, starting
`RegionCalendarWorkflow`.

`sync_schedules` creates the schedules of every region's newest profile edition or brings the
existing ones up to date (keeping an operator's pause), and deletes a region's schedule whose
calendar the profile no longer has. Run it at deployment or worker start, so an edited profile
takes effect; running it again changes nothing.

The fire date is the campaign day less the notice, counted in a common year: with a notice of
more than 14 days that crosses the end of February, a leap year's notice is a day longer.
"""

from __future__ import annotations

import dataclasses
from datetime import date, timedelta
from typing import get_args

from temporalio.client import (
    Client,
    Schedule,
    ScheduleActionStartWorkflow,
    ScheduleAlreadyRunningError,
    ScheduleCalendarSpec,
    SchedulePolicy,
    ScheduleRange,
    ScheduleSpec,
    ScheduleUpdate,
    ScheduleUpdateInput,
)
from temporalio.service import RPCError, RPCStatusCode

from aggregates.profiles import Calendars, Profile, ProfileCatalogue
from workflows.calendars import RegionCalendarWorkflow
from workflows.contracts import CalendarInput, CalendarKind, calendar_schedule_id

CAMPAIGN_DAY = 15
SCHOOL_YEAR_START = 9  # September
NOTICE_HOUR = 9  # 09:00 in the region
REPORT_DAY = 1
COMMON_YEAR = 2025  # month-and-day arithmetic for yearly dates, without 29 February
CATCHUP = timedelta(days=1)
"""A firing missed while the Temporal server was down is made up within a day, else dropped:
a campaign's notice a week late would only confuse."""


def campaign_months(per_year: int) -> list[int]:
    """The months of `per_year` campaigns spread evenly from September (none for 0)."""
    step = 12 // per_year if per_year else 12
    return [(SCHOOL_YEAR_START - 1 + step * n) % 12 + 1 for n in range(per_year)]


def yearly(day: date, comment: str) -> ScheduleCalendarSpec:
    """Every year on `day`'s month and day at 09:00 (in the spec's time zone)."""
    return ScheduleCalendarSpec(
        month=[ScheduleRange(day.month)],
        day_of_month=[ScheduleRange(day.day)],
        hour=[ScheduleRange(NOTICE_HOUR)],
        comment=comment,
    )


def campaign_spec(calendars: Calendars, time_zone: str) -> ScheduleSpec:
    """The campaigns' notices: `diagnostic_notice_days` before each campaign's 15th."""
    notice = calendars.diagnostic_notice_days
    fired = []
    for month in campaign_months(calendars.diagnostics_per_year):
        held = date(COMMON_YEAR, month, CAMPAIGN_DAY)
        comment = f"диагностика {held:%d.%m}, оповещение за {notice} дн."
        fired.append(yearly(held - timedelta(days=notice), comment))
    return ScheduleSpec(calendars=fired, time_zone_name=time_zone)


def report_spec(calendars: Calendars, time_zone: str) -> ScheduleSpec:
    """The reports' notices: on the 1st of each report month."""
    fired = [
        yearly(date(COMMON_YEAR, month, REPORT_DAY), f"отчёт методиста, {month:02d}")
        for month in calendars.report_months
    ]
    return ScheduleSpec(calendars=fired, time_zone_name=time_zone)


def calendar_specs(profile: Profile) -> list[tuple[CalendarInput, ScheduleSpec]]:
    """The region's schedules: what each starts and when, in the region's time zone."""
    calendars = profile.calendars
    found = []
    if calendars.diagnostics_per_year:
        request = CalendarInput(
            profile_id=profile.id,
            kind="diagnostic_campaign",
            notice_days=calendars.diagnostic_notice_days,
        )
        found.append((request, campaign_spec(calendars, profile.time_zone)))
    if calendars.report_months:
        request = CalendarInput(profile_id=profile.id, kind="methodist_report")
        found.append((request, report_spec(calendars, profile.time_zone)))
    return found


def schedule_of(request: CalendarInput, spec: ScheduleSpec, task_queue: str) -> Schedule:
    """The schedule starting the calendar workflow with `request` on `task_queue`."""
    action = ScheduleActionStartWorkflow(
        RegionCalendarWorkflow.run,
        request,
        id=calendar_schedule_id(request.profile_id, request.kind),
        task_queue=task_queue,
    )
    return Schedule(action=action, spec=spec, policy=SchedulePolicy(catchup_window=CATCHUP))


async def put_schedule(client: Client, schedule_id: str, schedule: Schedule) -> None:
    """Create the schedule, or replace its action, spec and policy (its state, say a pause,
    stays as an operator left it)."""
    try:
        await client.create_schedule(schedule_id, schedule)
        return
    except ScheduleAlreadyRunningError:
        pass

    def renewed(current: ScheduleUpdateInput) -> ScheduleUpdate:
        kept = current.description.schedule.state
        return ScheduleUpdate(schedule=dataclasses.replace(schedule, state=kept))

    await client.get_schedule_handle(schedule_id).update(renewed)


async def drop_schedule(client: Client, schedule_id: str) -> None:
    """Delete the schedule if it exists."""
    try:
        await client.get_schedule_handle(schedule_id).delete()
    except RPCError as error:
        if error.status is not RPCStatusCode.NOT_FOUND:
            raise


async def sync_schedules(client: Client, catalogue: ProfileCatalogue, task_queue: str) -> list[str]:
    """Create or update every region's calendar schedules from its newest profile edition and
    delete those its profile no longer has; the ids of the schedules in place, in order."""
    ids = []
    for profile_id in catalogue.ids():
        wanted = calendar_specs(catalogue.latest(profile_id))
        for request, spec in wanted:
            schedule_id = calendar_schedule_id(profile_id, request.kind)
            await put_schedule(client, schedule_id, schedule_of(request, spec, task_queue))
            ids.append(schedule_id)
        kinds: tuple[CalendarKind, ...] = get_args(CalendarKind)
        for kind in sorted(set(kinds) - {request.kind for request, _ in wanted}):
            await drop_schedule(client, calendar_schedule_id(profile_id, kind))
    return ids
