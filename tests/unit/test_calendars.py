"""The regions' calendars derived from their profiles: campaigns spread over the school year and
announced the regulation's number of days ahead, reports in the named months."""

from __future__ import annotations

from temporalio.client import ScheduleRange

from aggregates.profiles import ProfileCatalogue
from workers.schedules import calendar_specs, campaign_months


def test_campaign_months_spread_from_september() -> None:
    assert campaign_months(1) == [9]
    assert campaign_months(2) == [9, 3]
    assert campaign_months(4) == [9, 12, 3, 6]


def test_sakha_calendars(profiles: ProfileCatalogue) -> None:
    (campaign, campaign_spec), (report, report_spec) = calendar_specs(profiles.latest("sakha"))
    assert (campaign.kind, campaign.notice_days) == ("diagnostic_campaign", 3)
    assert campaign_spec.time_zone_name == "Asia/Yakutsk"
    # Диагностика 5.1, 5.3: twice a year, participants told 3 days before the 15th, at 09:00.
    fired = [(c.month, c.day_of_month, c.hour) for c in campaign_spec.calendars]
    assert fired == [
        ([ScheduleRange(9)], [ScheduleRange(12)], [ScheduleRange(9)]),
        ([ScheduleRange(3)], [ScheduleRange(12)], [ScheduleRange(9)]),
    ]
    # Актив 6.2: methodists report in June and December.
    assert report.kind == "methodist_report"
    assert [c.month for c in report_spec.calendars] == [[ScheduleRange(6)], [ScheduleRange(12)]]


def test_every_region_has_a_campaign_and_only_sakha_reports(profiles: ProfileCatalogue) -> None:
    kinds = {
        region: [request.kind for request, _ in calendar_specs(profiles.latest(region))]
        for region in profiles.ids()
    }
    assert all("diagnostic_campaign" in found for found in kinds.values())
    assert [r for r, found in kinds.items() if "methodist_report" in found] == ["sakha"]
