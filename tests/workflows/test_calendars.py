"""The regions' calendars on the Temporal dev server: the schedules are created from the
profiles (again without harm, and updated when a profile changes), and a fired schedule's notice
reaches the portal and the mail, in Russian, for the whole region."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from temporalio.api.common.v1 import Payload
from temporalio.client import Client, ScheduleActionStartWorkflow, ScheduleHandle

from aggregates.profiles import ProfileCatalogue
from tests.support.servers import Receiver, Smtp
from tests.support.waiting import eventually, until
from tests.unit.test_calendars import when
from tests.workflows.conftest import Stack
from workers.schedules import sync_schedules
from workflows.contracts import CalendarInput, Notice, calendar_schedule_id

SAKHA_CAMPAIGN = calendar_schedule_id("sakha", "diagnostic_campaign")
SAKHA_REPORT = calendar_schedule_id("sakha", "methodist_report")


def expected_ids(catalogue: ProfileCatalogue) -> set[str]:
    """Every region's campaign schedule, and Sakha's reports."""
    return {calendar_schedule_id(r, "diagnostic_campaign") for r in catalogue.ids()} | {
        SAKHA_REPORT
    }


async def lists_exactly(client: Client, expected: set[str]) -> bool:
    """Whether the server lists exactly the schedules `expected` (its visibility store lags)."""
    return {schedule.id async for schedule in await client.list_schedules()} == expected


def edited_sakha(catalogue: ProfileCatalogue) -> ProfileCatalogue:
    """The catalogue with a newer Sakha edition: notice 5 days ahead, no reports."""
    sakha = catalogue.latest("sakha")
    calendars = sakha.calendars.model_copy(
        update={"diagnostic_notice_days": 5, "report_months": []}
    )
    newer = sakha.model_copy(update={"version": sakha.version + 1, "calendars": calendars})
    editions = {
        catalogue.latest(region).key: catalogue.latest(region) for region in catalogue.ids()
    }
    return ProfileCatalogue(editions | {newer.key: newer})


async def started_with(client: Client, handle: ScheduleHandle) -> CalendarInput:
    """The input the schedule starts its workflow with."""
    action = (await handle.describe()).schedule.action
    assert isinstance(action, ScheduleActionStartWorkflow)
    assert action.workflow == "RegionCalendarWorkflow"
    (payload,) = action.args
    assert isinstance(payload, Payload)
    return client.data_converter.payload_converter.from_payload(payload, CalendarInput)


async def test_schedules_follow_the_profiles(dev_stack: Stack) -> None:
    client, catalogue = dev_stack.env.client, dev_stack.routes.profiles
    queue = dev_stack.settings.task_queue
    ids = await sync_schedules(client, catalogue, queue)
    assert set(ids) == expected_ids(catalogue)
    assert await sync_schedules(client, catalogue, queue) == ids  # updated, not refused
    await until(lambda: lists_exactly(client, expected_ids(catalogue)))

    campaign = client.get_schedule_handle(SAKHA_CAMPAIGN)
    described = await campaign.describe()
    assert described.schedule.spec.time_zone_name == "Asia/Yakutsk"
    assert when(described.schedule.spec) == [(9, 12, 9, 0), (3, 12, 9, 0)]
    assert await started_with(client, campaign) == CalendarInput(
        profile_id="sakha", kind="diagnostic_campaign", notice_days=3
    )
    report = await client.get_schedule_handle(SAKHA_REPORT).describe()
    assert when(report.schedule.spec) == [(6, 1, 9, 0), (12, 1, 9, 0)]

    # A newer Sakha edition: the campaign's schedule follows it, still paused as an operator
    # left it; the reports' schedule is gone.
    await campaign.pause(note="paused by the operator")
    await sync_schedules(client, edited_sakha(catalogue), queue)
    described = await campaign.describe()
    assert when(described.schedule.spec) == [(9, 10, 9, 0), (3, 10, 9, 0)]
    assert described.schedule.state.paused
    assert (await started_with(client, campaign)).notice_days == 5
    await until(lambda: lists_exactly(client, expected_ids(catalogue) - {SAKHA_REPORT}))


async def test_a_fired_schedule_sends_its_notice(
    dev_stack: Stack, receiver: Receiver, smtp: Smtp
) -> None:
    client, catalogue = dev_stack.env.client, dev_stack.routes.profiles
    await sync_schedules(client, catalogue, dev_stack.settings.task_queue)

    before = datetime.now(UTC)
    await client.get_schedule_handle(SAKHA_CAMPAIGN).trigger()
    await eventually(lambda: bool(receiver.requests) and bool(smtp.collector.envelopes))
    notice = Notice.model_validate_json(receiver.requests[0].body)
    assert notice.kind == "diagnostic_campaign" and notice.route_id is None
    held_on = before.astimezone(ZoneInfo("Asia/Yakutsk")).date() + timedelta(days=3)
    assert notice.due_on == held_on or notice.due_on == held_on + timedelta(days=1)  # midnight
    assert notice.key == f"calendar:diagnostic_campaign:{notice.due_on}"
    assert notice.text.startswith(
        "Диагностика профессиональных дефицитов по графику региона: запланируйте диагностику"
    )
    assert f"не ранее {notice.due_on:%d.%m.%Y} (через 3 дня)" in notice.text
    assert abs(notice.created_at - before) < timedelta(seconds=30)
    mail = smtp.collector.message(0)
    assert mail["Subject"] == notice.subject
    assert mail["X-IOM-Delivery"] == notice.id
    assert sorted(smtp.collector.envelopes[0].rcpt_tos) == [  # the centre plans the campaign
        "centre_head.sakha@cnppm.example",
        "methodist.sakha@cnppm.example",
    ]

    await client.get_schedule_handle(SAKHA_REPORT).trigger()
    await eventually(lambda: len(receiver.requests) == 2 and len(smtp.collector.envelopes) == 2)
    report = Notice.model_validate_json(receiver.requests[1].body)
    assert report.kind == "methodist_report" and report.recipients == ["methodist", "centre_head"]
    assert report.text.startswith("Отчёт методиста о сопровождении ИОМ за полугодие: срок — ")
    assert sorted(smtp.collector.envelopes[1].rcpt_tos) == [
        "centre_head.sakha@cnppm.example",
        "methodist.sakha@cnppm.example",
    ]
