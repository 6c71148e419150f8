"""A diagnostic campaign's announcement on the Temporal dev server: each participant gets one
notice, by the portal's webhook (a real local receiver) and by e-mail (a real local SMTP
server), addressed to them in person, saying the place, date and time of their group; pages of
participants go on in new runs; the workflow started again (a retried request) doubles nothing;
`iom campaigns announce` starts it as the API does.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from typer.testing import CliRunner

from activities import announcements
from aggregates.campaign_commands import AnnounceCampaign
from aggregates.campaigns import Campaigns
from aggregates.profiles import Stage
from projections.catalog import catch_up
from tests.support.campaigns import participants as participants_of
from tests.support.campaigns import planned_soon
from tests.support.servers import Receiver, Smtp
from tests.support.waiting import eventually
from tests.unit.test_campaigns import CENTRE
from tests.workflows.conftest import Stack
from workers.cli import app as cli
from workers.demo import write_demo
from workflows.contracts import Notice, announcement_workflow_id

PARTICIPANTS = 3


async def test_an_announcement_reaches_each_participant_once(
    dev_stack: Stack, receiver: Receiver, smtp: Smtp, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(announcements, "PAGE", 2)  # three participants: two runs
    routes = dev_stack.routes
    route_ids = write_demo(routes, "sakha", PARTICIPANTS, until=Stage.DIAGNOSTIC)
    now = datetime.now(UTC).replace(microsecond=0)
    planned = planned_soon(now)
    starts_at = planned.groups[0].starts_at
    campaigns = Campaigns(routes)
    campaign_id = campaigns.plan("sakha", planned, CENTRE, "plan").campaign_id
    participants = participants_of(routes, route_ids, ["g1"])
    receipt = campaigns.execute(
        campaign_id, AnnounceCampaign(participants=participants), CENTRE, "announce"
    )
    await dev_stack.gateway.announce(campaign_id, receipt.version)
    await dev_stack.gateway.announce(campaign_id, receipt.version)  # a retried request
    workflow_id = announcement_workflow_id(campaign_id, receipt.version)
    handle = dev_stack.env.client.get_workflow_handle(workflow_id)
    assert await handle.result() == PARTICIPANTS  # the last run's count, two runs in all
    await eventually(lambda: len(smtp.collector.envelopes) == PARTICIPANTS)

    notices = [Notice.model_validate_json(request.body) for request in receiver.requests]
    assert len(notices) == PARTICIPANTS  # none twice
    by_teacher = {notice.teacher_id: notice for notice in notices}
    assert set(by_teacher) == {p.teacher_id for p in participants}
    local = starts_at.astimezone(ZoneInfo("Asia/Yakutsk"))
    for participant in participants:
        notice = by_teacher[participant.teacher_id]
        assert notice.kind == "diagnostic_announced"
        assert notice.route_id == participant.route_id
        assert notice.recipients == ["teacher"]
        assert notice.assignees == {"teacher": participant.teacher_id}
        assert notice.school_id == participant.school_id and notice.due_on == local.date()
        assert f"{local:%d.%m.%Y} в {local:%H:%M}" in notice.subject
        assert "место проведения: ИРО и ПК, ауд. 204" in notice.text
        assert participant.teacher_id in notice.text  # ids, never a name
    assert len({notice.id for notice in notices}) == PARTICIPANTS
    mails = {smtp.collector.message(i)["X-IOM-Delivery"]: i for i in range(PARTICIPANTS)}
    assert set(mails) == {notice.id for notice in notices}
    for notice in notices:
        mail = smtp.collector.message(mails[notice.id])
        assert mail["Subject"] == notice.subject
        assert smtp.collector.envelopes[mails[notice.id]].rcpt_tos == [
            "teacher.sakha@cnppm.example"
        ]


async def test_iom_campaigns_announce_starts_the_notices(
    dev_stack: Stack, receiver: Receiver, smtp: Smtp, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`iom campaigns announce` saves the announcement and has its notices sent; called again
    with the same key it records nothing and sends nothing twice."""
    routes = dev_stack.routes
    (route_id,) = write_demo(routes, "sakha", 1, until=Stage.DIAGNOSTIC, first=7)
    route = routes.route(route_id)
    planned = planned_soon(datetime.now(UTC), "Школа № 5, каб. 12")
    campaign_id = Campaigns(routes).plan("sakha", planned, CENTRE, "plan").campaign_id
    catch_up(routes, "monitoring")  # the participants are chosen from its tables
    client = dev_stack.env.client
    for name, value in {
        "IOM_DATABASE_URL": dev_stack.settings.database_url,
        "IOM_TEMPORAL_ADDRESS": client.service_client.config.target_host,
        "IOM_TASK_QUEUE": dev_stack.settings.task_queue,
    }.items():
        monkeypatch.setenv(name, value)
    command = ["campaigns", "announce", str(campaign_id), "--group", "g1"]
    command += ["--school", route.school_id, "--key", "k1", "--json"]
    for _ in range(2):
        done = await asyncio.to_thread(CliRunner().invoke, cli, command)
        assert done.exit_code == 0, done.output
    handle = client.get_workflow_handle(announcement_workflow_id(campaign_id, 2))
    assert await handle.result() >= 1
    await eventually(lambda: len(smtp.collector.envelopes) >= 1)
    notices = [Notice.model_validate_json(request.body) for request in receiver.requests]
    assert route.teacher_id in {notice.teacher_id for notice in notices}
    assert len({notice.id for notice in notices}) == len(notices)  # none twice
    assert all("место проведения: Школа № 5, каб. 12" in notice.text for notice in notices)
