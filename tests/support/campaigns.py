"""Diagnostic campaigns for tests: a Sakha campaign whose group meets soon after a moment, and
the participants a list of routes makes."""

from __future__ import annotations

from datetime import datetime, timedelta
from uuid import UUID

from aggregates.application import Routes
from aggregates.campaign import Group
from aggregates.campaign_commands import Candidate, PlanCampaign
from tests.unit.test_campaigns import plan


def planned_soon(now: datetime, place: str = "ИРО и ПК, ауд. 204") -> PlanCampaign:
    """A Sakha campaign held from five to twenty days after `now`, its one group `g1` at
    `place` ten days after it (well past the three days' notice)."""
    group = Group(id="g1", place=place, starts_at=now + timedelta(days=10))
    today = now.date()
    return plan(
        groups=[group], starts_on=today + timedelta(days=5), ends_on=today + timedelta(days=20)
    )


def participants(routes: Routes, route_ids: list[UUID], groups: list[str]) -> list[Candidate]:
    """The routes' teachers as participants, the i-th in `groups[i % len(groups)]`."""
    found = []
    for index, route_id in enumerate(route_ids):
        route = routes.route(route_id)
        found.append(
            Candidate(
                teacher_id=route.teacher_id,
                route_id=route_id,
                school_id=route.school_id,
                municipality_id=route.municipality_id,
                subject=route.subject,
                group_id=groups[index % len(groups)],
            )
        )
    return found
