"""A diagnostic campaign's rules: the instrument (Sakha диагностика 4.6, 4.9, as profile data),
the announcement's notice days (5.3), its lifecycle and attendance, each a refusal naming its
rule and clause; a retried command appends nothing. And the route's intermediate diagnostic."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime
from typing import Any
from uuid import UUID, uuid5

import pytest
from eventsourcing.utils import get_topic

from aggregates.application import Routes
from aggregates.campaign import CampaignPlanned, Group, Instrument, InstrumentTask
from aggregates.campaign_commands import (
    AnnounceCampaign,
    CancelCampaign,
    Candidate,
    CloseCampaign,
    HoldCampaign,
    MarkAttendance,
    PlanCampaign,
    RemoveParticipants,
)
from aggregates.campaign_tasks import campaign_tasks, closed_as
from aggregates.campaigns import Campaigns
from aggregates.commands import RecordIntermediateDiagnostic
from aggregates.errors import DomainError
from aggregates.events import IntermediateDiagnosticRecorded, RouteOpened
from aggregates.profiles import Profile, Stage
from aggregates.programmes.catalogue import ProgrammesPut
from aggregates.tasks import Assignee
from aggregates.values import Actor, Diagnostic, Role
from projections.feed import other_aggregates_event
from tests.unit.conftest import Clock
from workers.demo import DemoRoute

CENTRE = Actor(id="centre-head-sakha", role=Role.CENTRE_HEAD)
GROUP_AT = datetime(2026, 6, 25, 1, 0, tzinfo=UTC)  # 10:00 in Yakutsk, ten days after START


def instrument(tasks: int = 16, methodical: int = 4, **changes: Any) -> Instrument:
    """An instrument of `tasks` tasks, the first `methodical` of them methodical."""
    given = [
        InstrumentTask(
            number=n,
            competences=["methodical" if n <= methodical else "subject"],
            focus="methodical" if n <= methodical else "subject",
        )
        for n in range(1, tasks + 1)
    ]
    return Instrument(
        title="Комплексная диагностическая работа", minutes=120, tasks=given
    ).model_copy(update=changes)


def plan(key: str = "d-2026-1", **changes: Any) -> PlanCampaign:
    fields: dict[str, Any] = {
        "campaign_key": key,
        "kind": "input",
        "name": "Входная диагностика учителей математики",
        "platform": "РАС «Ситуационный центр»",
        "instrument": instrument(),
        "starts_on": date(2026, 6, 20),
        "ends_on": date(2026, 6, 30),
        "groups": [Group(id="g1", place="ИРО и ПК, ауд. 204", starts_at=GROUP_AT)],
    }
    return PlanCampaign.model_validate(fields | changes)


def candidate(n: int, group: str = "g1") -> Candidate:
    return Candidate(
        teacher_id=f"teacher-{n:05d}",
        route_id=uuid5(UUID(int=0), str(n)),
        school_id="school-sakha-01",
        municipality_id="mun-sakha-01",
        subject="математика",
        group_id=group,
    )


def refused(call: Any, rule: str) -> DomainError:
    with pytest.raises(DomainError) as caught:
        call()
    assert caught.value.rule == rule, caught.value
    return caught.value


@pytest.fixture
def campaigns(app: Routes) -> Campaigns:
    return Campaigns(app)


def test_an_instrument_keeping_every_rule_is_planned_once(campaigns: Campaigns) -> None:
    first = campaigns.plan("sakha", plan(), CENTRE, "c1")
    again = campaigns.plan("sakha", plan(), CENTRE, "c1")
    assert first.events == ["CampaignPlanned"]
    assert again.replayed and again.version == first.version
    campaign = campaigns.campaign(first.campaign_id)
    assert campaign.status == "planned" and campaign.profile.key == "sakha@1"
    refused(lambda: campaigns.plan("sakha", plan(), CENTRE, "c2"), "campaign_key")


@pytest.mark.parametrize(
    ("given", "rule", "clause"),
    [
        (instrument(tasks=15), "instrument_min_tasks", "п. 4.6"),
        (instrument(methodical=3), "instrument_min_methodical_share", "п. 4.6"),
        (instrument(minutes=60), "instrument_min_minutes", "п. 4.6"),
        (instrument(minutes=200), "instrument_max_minutes", "п. 4.6"),
        (
            instrument(expertise_on=date(2026, 5, 1), revised_on=date(2026, 5, 12)),
            "instrument_revision_days",
            "п. 4.9",
        ),
    ],
)
def test_each_broken_instrument_rule_is_refused_citing_its_clause(
    campaigns: Campaigns, given: Instrument, rule: str, clause: str
) -> None:
    error = refused(lambda: campaigns.plan("sakha", plan(instrument=given), CENTRE, "c1"), rule)
    assert clause in error.message and error.field is not None
    assert campaigns.campaign_ids("sakha") == []  # nothing written


def test_a_task_on_both_kinds_of_competence_counts_as_methodical(campaigns: Campaigns) -> None:
    tasks = [t.model_copy(update={"focus": "both"}) for t in instrument(methodical=0).tasks[:4]]
    given = instrument(methodical=0)
    given = given.model_copy(update={"tasks": tasks + list(given.tasks[4:])})
    assert campaigns.plan("sakha", plan(instrument=given), CENTRE, "c1").events


def test_a_region_without_instrument_rules_takes_any_instrument(campaigns: Campaigns) -> None:
    given = instrument(tasks=3, methodical=0, minutes=30)
    groups = [Group(id="g1", place="МБОУ СОШ № 1", starts_at=datetime(2026, 6, 25, 5, tzinfo=UTC))]
    receipt = campaigns.plan("chelyabinsk", plan(instrument=given, groups=groups), CENTRE, "c1")
    assert receipt.events == ["CampaignPlanned"]


def test_the_rules_are_profile_data_checked_by_the_profile_model(app: Routes) -> None:
    sakha = app.profiles.latest("sakha").model_dump(mode="json")
    assert [r["clause"] for r in sakha["instrument_rules"]][-1] == "Положение о диагностике, п. 4.9"
    twice = sakha | {"instrument_rules": sakha["instrument_rules"][:1] * 2}
    with pytest.raises(ValueError, match="only once"):
        Profile.model_validate(twice)


def test_a_participant_announced_too_late_is_refused_naming_the_rule(
    campaigns: Campaigns, clock: Clock
) -> None:
    late = Group(
        id="g2", place="ИРО и ПК, ауд. 101", starts_at=datetime(2026, 6, 20, 1, tzinfo=UTC)
    )
    receipt = campaigns.plan("sakha", plan(groups=[*plan().groups, late]), CENTRE, "c1")
    campaign_id = receipt.campaign_id
    clock.set(datetime(2026, 6, 18, 3, tzinfo=UTC))  # the 18th in Yakutsk: g2 is 2 days ahead
    announce = AnnounceCampaign(participants=[candidate(1), candidate(2, "g2")])
    error = refused(
        lambda: campaigns.execute(campaign_id, announce, CENTRE, "a1"), "diagnostic_notice_days"
    )
    assert "п. 5.3" in error.message and "за 3 дн." in error.message
    assert error.field == "participants[1].group_id"
    assert campaigns.campaign(campaign_id).participants == {}
    done = campaigns.execute(
        campaign_id, AnnounceCampaign(participants=[candidate(1)]), CENTRE, "a2"
    )
    assert done.events == ["ParticipantsAnnounced"]
    again = campaigns.execute(
        campaign_id, AnnounceCampaign(participants=[candidate(1)]), CENTRE, "a2"
    )
    assert again.replayed
    campaign = campaigns.campaign(campaign_id)
    assert campaign.status == "announced"
    assert campaign.participants["teacher-00001"].announced_at == clock.now


def test_attendance_and_closing_name_the_absentees(campaigns: Campaigns, clock: Clock) -> None:
    campaign_id = campaigns.plan("sakha", plan(), CENTRE, "c1").campaign_id
    three = [candidate(n) for n in (1, 2, 3)]
    campaigns.execute(campaign_id, AnnounceCampaign(participants=three), CENTRE, "a1")
    refused(
        lambda: campaigns.execute(
            campaign_id, HoldCampaign(held_on=date(2026, 6, 25)), CENTRE, "h"
        ),
        "content",  # not yet come
    )
    clock.set(datetime(2026, 6, 26, 3, tzinfo=UTC))
    campaigns.execute(campaign_id, HoldCampaign(held_on=date(2026, 6, 25)), CENTRE, "h1")
    marks = MarkAttendance(attended=["teacher-00001"], absent=["teacher-00002"])
    campaigns.execute(campaign_id, marks, CENTRE, "m1")
    stranger = MarkAttendance(absent=["teacher-09999"])
    refused(lambda: campaigns.execute(campaign_id, stranger, CENTRE, "m2"), "content")
    campaigns.execute(campaign_id, CloseCampaign(), CENTRE, "close")
    campaign = campaigns.campaign(campaign_id)
    assert campaign.status == "closed"
    assert [p.teacher_id for p in campaign.absentees] == ["teacher-00002", "teacher-00003"]
    teacher = Actor(id="teacher-00001", role=Role.TEACHER)
    refused(lambda: campaigns.execute(campaign_id, CloseCampaign(), teacher, "x"), "role")


def test_an_intermediate_diagnostic_is_kept_with_its_dynamics(app: Routes) -> None:
    profile = app.profiles.latest("sakha")
    demo = DemoRoute(app, profile, 1, random.Random(1), app.clock().date())
    route_id = demo.drive(Stage.IMPLEMENTATION)
    route = app.route(route_id)
    assert route.input_diagnostic is not None
    tasks = [
        t.model_copy(update={"level": min(4, t.level + 1)}) for t in route.input_diagnostic.tasks
    ]
    later = Diagnostic(taken_on=app.clock().date(), platform="РАС", tasks=tasks)
    methodist = demo.actor(Role.METHODIST)
    receipt = app.execute(route_id, RecordIntermediateDiagnostic(diagnostic=later), methodist, "i1")
    assert receipt.events == ["IntermediateDiagnosticRecorded"]
    event = app.history(route_id)[-1]
    assert isinstance(event, IntermediateDiagnosticRecorded)
    expected = {c: later.competence_levels()[c] - route.input_levels[c] for c in route.input_levels}
    assert event.dynamics == expected
    kept = app.route(route_id).intermediate_diagnostics
    assert [r.diagnostic for r in kept] == [later]
    same_day = RecordIntermediateDiagnostic(diagnostic=later)
    refused(lambda: app.execute(route_id, same_day, methodist, "i2"), "content")


def test_other_aggregates_events_are_passed_over_by_the_routes_projections_quietly() -> None:
    assert other_aggregates_event(get_topic(CampaignPlanned))
    assert other_aggregates_event(get_topic(ProgrammesPut))
    assert not other_aggregates_event(get_topic(RouteOpened))  # a route's: applied
    assert not other_aggregates_event("aggregates.gone:EventOfOld")  # unknown: a warning


def test_each_announced_participant_has_a_task_until_their_attendance_is_marked(
    campaigns: Campaigns, clock: Clock
) -> None:
    campaign_id = campaigns.plan("sakha", plan(), CENTRE, "c1").campaign_id
    assert campaign_tasks(campaigns.campaign(campaign_id)) == []  # nobody announced yet
    three = [candidate(n) for n in (1, 2, 3)]
    campaigns.execute(campaign_id, AnnounceCampaign(participants=three), CENTRE, "a1")
    campaign = campaigns.campaign(campaign_id)
    found = campaign_tasks(campaign)
    assert [t.assignee for t in found] == [
        Assignee(Role.TEACHER, "person", f"teacher-{n:05d}") for n in (1, 2, 3)
    ]
    first = found[0]
    assert (first.kind, first.operation, first.subject) == (
        "attend_diagnostic",
        "mark_campaign_attendance",
        str(campaign_id),
    )
    assert first.route_id == three[0].route_id
    assert first.due_on == date(2026, 6, 25)  # 10:00 in Yakutsk
    assert (first.place, first.starts_at) == ("ИРО и ПК, ауд. 204", GROUP_AT)
    assert campaign_tasks(campaigns.campaign(campaign_id)) == found  # the same ids every time

    clock.set(datetime(2026, 6, 26, 3, tzinfo=UTC))
    marks = MarkAttendance(attended=["teacher-00001"], absent=["teacher-00002"])
    campaigns.execute(campaign_id, marks, CENTRE, "m1")
    after = campaigns.campaign(campaign_id)
    assert [t.assignee.scope_id for t in campaign_tasks(after)] == ["teacher-00003"]
    # how each would close now: the third, still expected, as cancelled (had it left the set)
    assert [closed_as(after, t) for t in found] == ["done", "cancelled", "cancelled"]
    campaigns.execute(campaign_id, HoldCampaign(held_on=date(2026, 6, 25)), CENTRE, "h1")
    campaigns.execute(campaign_id, CloseCampaign(), CENTRE, "close")
    assert campaign_tasks(campaigns.campaign(campaign_id)) == []  # closed: none open


def test_a_removed_participants_and_a_cancelled_campaigns_tasks_are_cancelled(
    campaigns: Campaigns, clock: Clock
) -> None:
    campaign_id = campaigns.plan("sakha", plan(), CENTRE, "c1").campaign_id
    three = [candidate(n) for n in (1, 2, 3)]
    campaigns.execute(campaign_id, AnnounceCampaign(participants=three), CENTRE, "a1")
    found = campaign_tasks(campaigns.campaign(campaign_id))
    stranger = RemoveParticipants(teachers=["teacher-09999"], reason="Нет в списке")
    refused(lambda: campaigns.execute(campaign_id, stranger, CENTRE, "r0"), "content")
    twice = RemoveParticipants(teachers=["teacher-00001"] * 2, reason="Отпуск")
    refused(lambda: campaigns.execute(campaign_id, twice, CENTRE, "r0"), "content")
    removed = RemoveParticipants(teachers=["teacher-00002"], reason="Педагог в отпуске")
    campaigns.execute(campaign_id, removed, CENTRE, "r1")
    after = campaigns.campaign(campaign_id)
    assert "teacher-00002" not in after.participants
    assert [t.assignee.scope_id for t in campaign_tasks(after)] == [
        "teacher-00001",
        "teacher-00003",
    ]
    assert closed_as(after, found[1]) == "cancelled"

    teacher = Actor(id="teacher-00001", role=Role.TEACHER)
    refused(
        lambda: campaigns.execute(campaign_id, CancelCampaign(reason="Перенос"), teacher, "x"),
        "role",
    )
    campaigns.execute(campaign_id, CancelCampaign(reason="Перенос сроков"), CENTRE, "cancel")
    cancelled = campaigns.campaign(campaign_id)
    assert cancelled.status == "cancelled" and campaign_tasks(cancelled) == []
    assert {closed_as(cancelled, t) for t in found} == {"cancelled"}
    clock.set(datetime(2026, 6, 26, 3, tzinfo=UTC))
    late = HoldCampaign(held_on=date(2026, 6, 25))
    refused(lambda: campaigns.execute(campaign_id, late, CENTRE, "h"), "campaign_status")
