"""The regions' calendars on the Temporal dev server: the schedules are created from the
profiles (again without harm), and a fired schedule's notice reaches the portal and the mail."""

from __future__ import annotations

import asyncio

from temporalio.client import ScheduleCalendarSpec

from tests.support.servers import Receiver, Smtp
from tests.support.waiting import eventually
from tests.workflows.conftest import Stack
from workers.schedules import sync_schedules
from workflows.contracts import Notice, calendar_schedule_id


async def test_schedules_follow_the_profiles_and_send_their_notice(
    dev_stack: Stack, receiver: Receiver, smtp: Smtp
) -> None:
    client, catalogue = dev_stack.env.client, dev_stack.routes.profiles
    ids = await sync_schedules(client, catalogue, dev_stack.settings.task_queue)
    assert await sync_schedules(client, catalogue, dev_stack.settings.task_queue) == ids
    expected = {calendar_schedule_id(region, "diagnostic_campaign") for region in catalogue.ids()}
    expected.add(calendar_schedule_id("sakha", "methodist_report"))
    assert set(ids) == expected
    for _ in range(100):  # the visibility store lists new schedules after a moment
        listed = {schedule.id async for schedule in await client.list_schedules()}
        if expected <= listed:
            break
        await asyncio.sleep(0.1)
    assert listed == expected

    handle = client.get_schedule_handle(calendar_schedule_id("sakha", "diagnostic_campaign"))
    described = await handle.describe()
    spec = described.schedule.spec
    assert spec.time_zone_name == "Asia/Yakutsk"
    assert all(isinstance(c, ScheduleCalendarSpec) for c in spec.calendars)

    await handle.trigger()
    await eventually(lambda: bool(receiver.requests) and bool(smtp.collector.envelopes))
    notice = Notice.model_validate_json(receiver.requests[0].body)
    assert notice.kind == "diagnostic_campaign" and notice.route_id is None
    assert notice.subject.startswith("Диагностика профессиональных дефицитов")
    assert "Через 3 дн." in notice.text
    assert sorted(smtp.collector.envelopes[0].rcpt_tos) == [
        "deputy_head.sakha@cnppm.example",
        "methodist.sakha@cnppm.example",
        "teacher.sakha@cnppm.example",
    ]
