"""The regions' calendars derived from their profiles: campaigns spread over the school year and
announced the regulation's number of days ahead, reports in the named months; the notices they
send, and their e-mail addresses without a school or municipality."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from temporalio.client import ScheduleSpec
from temporalio.exceptions import ApplicationError

from activities.calendars import CalendarActivities, days_phrase
from activities.notify import PermanentDeliveryError
from activities.notify.email import addresses
from tests.support.profiles import shipped
from workers.schedules import calendar_specs, campaign_months
from workflows.contracts import CalendarFiring, CalendarInput, Notice

SHIPPED = shipped()


def when(spec: ScheduleSpec) -> list[tuple[int, int, int, int]]:
    """Each yearly moment of `spec`: (month, day, hour, minute), each a single value."""
    found = []
    for moment in spec.calendars:
        fields = (moment.month, moment.day_of_month, moment.hour, moment.minute)
        assert all(len(field) == 1 and field[0].end == field[0].start for field in fields)
        month, day, hour, minute = (field[0].start for field in fields)
        found.append((month, day, hour, minute))
    return found


def test_campaign_months_spread_from_september() -> None:
    assert campaign_months(0) == []
    assert campaign_months(1) == [9]
    assert campaign_months(2) == [9, 3]
    assert campaign_months(3) == [9, 1, 5]
    assert campaign_months(4) == [9, 12, 3, 6]


def test_sakha_calendars() -> None:
    (campaign, campaign_spec), (report, report_spec) = calendar_specs(SHIPPED.latest("sakha"))
    assert campaign == CalendarInput(profile_id="sakha", kind="diagnostic_campaign", notice_days=3)
    # Диагностика 5.1, 5.3: twice a year, participants told 3 days before the 15th, at 09:00.
    assert campaign_spec.time_zone_name == "Asia/Yakutsk"
    assert when(campaign_spec) == [(9, 12, 9, 0), (3, 12, 9, 0)]
    # Актив 6.2: methodists report in June and December; told on the 1st at 09:00.
    assert report == CalendarInput(profile_id="sakha", kind="methodist_report")
    assert report_spec.time_zone_name == "Asia/Yakutsk"
    assert when(report_spec) == [(6, 1, 9, 0), (12, 1, 9, 0)]


@pytest.mark.parametrize("region", SHIPPED.ids())
def test_every_region_follows_its_profile(region: str) -> None:
    profile = SHIPPED.latest(region)
    calendars = profile.calendars
    specs = {request.kind: (request, spec) for request, spec in calendar_specs(profile)}
    assert set(specs) == {"diagnostic_campaign"} | (
        {"methodist_report"} if calendars.report_months else set()
    )
    request, spec = specs["diagnostic_campaign"]
    assert request.notice_days == calendars.diagnostic_notice_days
    assert spec.time_zone_name == profile.time_zone
    fired = when(spec)
    assert len(fired) == calendars.diagnostics_per_year
    for month, day, hour, minute in fired:
        notice = timedelta(days=calendars.diagnostic_notice_days)
        assert (date(2025, month, day) + notice).day == 15
        assert (hour, minute) == (9, 0)


def test_only_sakha_reports() -> None:
    reporting = [
        region
        for region in SHIPPED.ids()
        if any(r.kind == "methodist_report" for r, _ in calendar_specs(SHIPPED.latest(region)))
    ]
    assert reporting == ["sakha"]


def test_a_long_notice_crosses_into_the_month_before() -> None:
    sakha = SHIPPED.latest("sakha")
    calendars = sakha.calendars.model_copy(update={"diagnostic_notice_days": 20})
    ((_, spec), _) = calendar_specs(sakha.model_copy(update={"calendars": calendars}))
    assert when(spec) == [(8, 26, 9, 0), (2, 23, 9, 0)]


PHRASES = {
    0: "сегодня",
    1: "через 1 день",
    3: "через 3 дня",
    5: "через 5 дней",
    11: "через 11 дней",
    14: "через 14 дней",
    21: "через 21 день",
    22: "через 22 дня",
}


@pytest.mark.parametrize(("days", "phrase"), PHRASES.items())
def test_days_phrase(days: int, phrase: str) -> None:
    assert days_phrase(days) == phrase


def notice_of(kind: str, fired_at: datetime, notice_days: int = 0) -> Notice:
    """The notice the activity builds for Sakha's schedule of `kind` fired at `fired_at`."""
    activities = CalendarActivities(SHIPPED, ["email", "webhook"])
    request = CalendarInput.model_validate(
        {"profile_id": "sakha", "kind": kind, "notice_days": notice_days}
    )
    built = activities.calendar_notice(CalendarFiring(request=request, fired_at=fired_at))
    assert built.channels == ["email", "webhook"]
    return built.notice


def test_campaign_notice_in_the_regions_time() -> None:
    # 09:00 in Yakutsk on 12 March is 00:00 UTC; 23:30 UTC the day before is 08:30 there.
    fired = datetime(2026, 3, 11, 23, 30, tzinfo=UTC)
    notice = notice_of("diagnostic_campaign", fired, notice_days=3)
    assert notice.due_on == date(2026, 3, 15)
    assert notice.key == "calendar:diagnostic_campaign:2026-03-15"
    assert notice.route_id is None and notice.school_id is None and notice.teacher_id is None
    assert notice.recipients == ["centre_head", "methodist"]  # the centre plans the campaign
    assert notice.subject == (
        "Диагностика профессиональных дефицитов: запланируйте диагностику не ранее 15.03.2026"
    )
    assert "iom campaigns plan, ключ «sakha-2026-03»" in notice.text
    assert "не ранее 15.03.2026 (через 3 дня)" in notice.text
    assert "не позднее чем за 3 дн." in notice.text
    assert "Республика Саха (Якутия)" in notice.text
    # The same firing, retried an hour later, is the same notice; the next campaign is not.
    assert notice_of("diagnostic_campaign", fired + timedelta(hours=1), 3).id == notice.id
    assert notice_of("diagnostic_campaign", datetime(2026, 9, 12, tzinfo=UTC), 3).id != notice.id


def test_report_notice_due_at_the_months_end() -> None:
    notice = notice_of("methodist_report", datetime(2026, 6, 1, 0, 0, tzinfo=UTC))
    assert notice.due_on == date(2026, 6, 30)
    assert notice.key == "calendar:methodist_report:2026-06-30"
    assert notice.recipients == ["methodist", "centre_head"]
    assert notice.text.startswith(
        "Отчёт методиста о сопровождении ИОМ за полугодие: срок — 30.06.2026."
    )


def test_unknown_region_is_not_retried() -> None:
    activities = CalendarActivities(SHIPPED, [])
    request = CalendarInput(profile_id="atlantis", kind="methodist_report")
    with pytest.raises(ApplicationError, match="atlantis") as raised:
        activities.calendar_notice(CalendarFiring(request=request, fired_at=datetime.now(UTC)))
    assert raised.value.non_retryable


def test_region_wide_notice_addresses() -> None:
    notice = notice_of("methodist_report", datetime(2026, 12, 1, tzinfo=UTC))
    assert addresses("{role}.{region}@cnppm.example", notice) == [
        "methodist.sakha@cnppm.example",
        "centre_head.sakha@cnppm.example",
    ]
    for template in ("iom+{school}@cnppm.example", "{role}.{municipality}@cnppm.example"):
        with pytest.raises(PermanentDeliveryError, match=r"has no (school|municipality)"):
            addresses(template, notice)
