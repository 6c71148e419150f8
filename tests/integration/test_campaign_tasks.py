"""A diagnostic campaign's tasks in the tasks projection, on both stores: each announced
participant has an open task, in person, due on their group's day with its place and start;
it is done when their attendance or result is recorded and cancelled when they are marked absent
or the campaign closes without them; each change reaches the region's webhook subscriptions
once; a rebuild, in other batches, gives the same rows and doubles no delivery. Removed from
the campaign, or the campaign cancelled (by `iom campaigns remove|cancel`), the tasks are
cancelled."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any
from uuid import UUID

import pytest
from typer.testing import CliRunner

from aggregates.application import Routes
from aggregates.campaign import Group
from aggregates.campaign_commands import (
    AnnounceCampaign,
    Candidate,
    CloseCampaign,
    HoldCampaign,
    MarkAttendance,
)
from aggregates.campaign_tasks import campaign_tasks
from aggregates.campaigns import Campaigns
from aggregates.profiles import ProfileCatalogue, Stage, load_profiles
from projections.catalog import catch_up, rebuild
from projections.runner import RunnerOptions
from projections.subscriptions import Subscriptions
from runtime.settings import store_env
from tests.integration.test_tasks_projection import head, rows
from tests.support.campaigns import participants as participants_of
from tests.unit.test_campaigns import CENTRE, plan
from workers.cli import app as cli
from workers.demo import write_demo

START = datetime(2026, 6, 15, 3, 0, tzinfo=UTC)
GROUPS = [
    Group(id="g1", place="ИРО и ПК, ауд. 204", starts_at=datetime(2026, 6, 25, 1, tzinfo=UTC)),
    Group(id="g2", place="Школа № 5, каб. 12", starts_at=datetime(2026, 6, 26, 3, tzinfo=UTC)),
]


class Clock:
    """The store's clock, moved by the test."""

    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def stand(database_url: str) -> Iterator[tuple[Routes, Clock]]:
    clock = Clock()
    routes = Routes(
        store_env(database_url), profiles=ProfileCatalogue(load_profiles()), clock=clock
    )
    yield routes, clock
    routes.close()


def announced(routes: Routes, count: int) -> tuple[UUID, list[Candidate]]:
    """A Sakha campaign of two groups, `count` demo teachers announced: the odd ones to g1."""
    route_ids = write_demo(routes, "sakha", count, until=Stage.DIAGNOSTIC)
    campaigns = Campaigns(routes)
    campaign_id = campaigns.plan("sakha", plan(groups=GROUPS), CENTRE, "plan").campaign_id
    participants = participants_of(routes, route_ids, [group.id for group in GROUPS])
    announce = AnnounceCampaign(participants=participants)
    campaigns.execute(campaign_id, announce, CENTRE, "announce")
    return campaign_id, participants


def of_campaign(found: list[dict[str, Any]], campaign_id: UUID) -> dict[str, dict[str, Any]]:
    """The campaign's task rows by teacher."""
    return {r["teacher_id"]: r for r in found if r["about"] == str(campaign_id)}


def test_each_participant_has_a_task_done_or_cancelled_as_the_campaign_goes(
    stand: tuple[Routes, Clock],
) -> None:
    routes, clock = stand
    subscriptions = Subscriptions(routes)
    every = subscriptions.register("sakha", "https://portal.example.ru/a", "s" * 16, [], "op")
    campaign_id, participants = announced(routes, 4)
    assert catch_up(routes, "tasks", options=RunnerOptions(batch_size=3)) == head(routes)

    tasks = of_campaign(rows(routes), campaign_id)
    assert set(tasks) == {p.teacher_id for p in participants}
    expected = {
        t.assignee.scope_id: t for t in campaign_tasks(Campaigns(routes).campaign(campaign_id))
    }
    for participant in participants:
        row, task = tasks[participant.teacher_id], expected[participant.teacher_id]
        group = GROUPS[0] if participant.group_id == "g1" else GROUPS[1]
        assert row["task_id"] == task.id and row["route_id"] == str(participant.route_id)
        assert (row["kind"], row["operation"]) == ("attend_diagnostic", "mark_campaign_attendance")
        assert (row["assignee_role"], row["scope"], row["assignee"]) == (
            "teacher",
            "person",
            participant.teacher_id,
        )
        assert (row["school_id"], row["profile_id"]) == (participant.school_id, "sakha")
        assert row["due_on"] == (group.starts_at + timedelta(hours=9)).date().isoformat()
        assert row["place"] == group.place
        assert datetime.fromisoformat(row["starts_at"]) == group.starts_at
        assert row["active"] and row["state"] == "open"

    first, second, third, fourth = (p.teacher_id for p in participants)
    campaigns = Campaigns(routes)
    clock.now = datetime(2026, 6, 27, 3, tzinfo=UTC)
    campaigns.execute(campaign_id, HoldCampaign(held_on=date(2026, 6, 26)), CENTRE, "hold")
    marks = MarkAttendance(attended=[first], absent=[second])
    campaigns.execute(campaign_id, marks, CENTRE, "marks")
    catch_up(routes, "tasks", options=RunnerOptions(batch_size=1))
    tasks = of_campaign(rows(routes), campaign_id)
    assert (tasks[first]["state"], tasks[first]["active"]) == ("done", False)
    assert (tasks[second]["state"], tasks[second]["active"]) == ("cancelled", False)
    assert tasks[first]["closed_at"] is not None
    assert tasks[third]["state"] == tasks[fourth]["state"] == "open"

    campaigns.execute(campaign_id, CloseCampaign(), CENTRE, "close")
    catch_up(routes, "tasks")
    tasks = of_campaign(rows(routes), campaign_id)
    assert {t: r["state"] for t, r in tasks.items()} == {
        first: "done",
        second: "cancelled",
        third: "cancelled",
        fourth: "cancelled",
    }

    delivered = subscriptions.deliveries(UUID(every["subscription_id"]), None, 10_000)
    ours = [d for d in delivered if d["route_id"] == str(campaign_id)]  # the campaign's events
    assert sorted(d["event_type"] for d in ours) == sorted(
        ["TaskCreated"] * 4 + ["TaskDone"] + ["TaskCancelled"] * 3
    )
    assert len({d["delivery_id"] for d in ours}) == len(ours)


def test_a_rebuild_gives_the_same_rows_and_deliveries(stand: tuple[Routes, Clock]) -> None:
    routes, clock = stand
    subscriptions = Subscriptions(routes)
    every = subscriptions.register("sakha", "https://portal.example.ru/a", "s" * 16, [], "op")
    campaign_id, participants = announced(routes, 3)
    clock.now = datetime(2026, 6, 27, 3, tzinfo=UTC)
    marks = MarkAttendance(attended=[participants[0].teacher_id])
    Campaigns(routes).execute(campaign_id, marks, CENTRE, "marks")
    assert catch_up(routes, "tasks", options=RunnerOptions(batch_size=1)) == head(routes)
    live = rows(routes)
    assert len(of_campaign(live, campaign_id)) == 3
    deliveries = subscriptions.deliveries(UUID(every["subscription_id"]), None, 10_000)
    assert rebuild(routes, "tasks", options=RunnerOptions(batch_size=1000)) == head(routes)
    assert rows(routes) == live
    again = subscriptions.deliveries(UUID(every["subscription_id"]), None, 10_000)
    assert len(again) == len(deliveries)


def test_removed_and_cancelled_by_the_command_line_the_tasks_are_cancelled(
    stand: tuple[Routes, Clock], database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`iom tasks list` shows the participants' tasks with the attendance mark as their
    endpoint; `iom campaigns remove` and `iom campaigns cancel`: the removed teacher's task,
    then every other, is cancelled; a reason left empty is refused naming the field."""
    routes, _ = stand
    campaign_id, participants = announced(routes, 3)
    catch_up(routes, "tasks")
    monkeypatch.setenv("IOM_DATABASE_URL", database_url)
    listed = CliRunner().invoke(
        cli, ["tasks", "list", "--region", "sakha", "--kind", "attend_diagnostic", "--json"]
    )
    assert listed.exit_code == 0, listed.output
    shown = json.loads(listed.stdout)
    assert {row["teacher_id"] for row in shown} == {p.teacher_id for p in participants}
    assert {row["endpoint"] for row in shown} == {f"POST /campaigns/{campaign_id}/attendance"}
    first = participants[0].teacher_id
    remove = ["campaigns", "remove", str(campaign_id), "--teacher", first]
    empty = CliRunner().invoke(cli, [*remove, "--reason", " "])
    assert empty.exit_code == 2 and "reason" in empty.stderr
    removed = CliRunner().invoke(cli, [*remove, "--reason", "Педагог в отпуске", "--json"])
    assert removed.exit_code == 0, removed.output
    assert json.loads(removed.stdout)["participants_count"] == 2
    catch_up(routes, "tasks")
    tasks = of_campaign(rows(routes), campaign_id)
    assert tasks[first]["state"] == "cancelled" and not tasks[first]["active"]
    assert sum(r["active"] for r in tasks.values()) == 2
    cancelled = CliRunner().invoke(
        cli, ["campaigns", "cancel", str(campaign_id), "--reason", "Перенос"]
    )
    assert cancelled.exit_code == 0, cancelled.output
    again = CliRunner().invoke(
        cli, ["campaigns", "cancel", str(campaign_id), "--reason", "Перенос"]
    )
    assert again.exit_code == 0  # the same command again: nothing new
    catch_up(routes, "tasks")
    assert {r["state"] for r in of_campaign(rows(routes), campaign_id).values()} == {"cancelled"}
    assert Campaigns(routes).campaign(campaign_id).status == "cancelled"
