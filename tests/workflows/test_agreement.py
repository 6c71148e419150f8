"""The agreement on Temporal: the profile's parties in their rounds, each told at once, reminded
before their time runs out and escalated to their superior after; a return sends the route back
to design; the last party's agreement approves it. Months pass on the time-skipping server."""

from __future__ import annotations

import asyncio
import random
from datetime import timedelta
from typing import Any
from uuid import UUID

import pytest
from temporalio.client import WorkflowExecutionStatus

from activities.notify import verify
from aggregates.application import route_id_for
from aggregates.commands import OpenRoute
from aggregates.commands.base import add_months
from aggregates.errors import RoleError, RouteNotFoundError
from aggregates.events import NoticeSent, RouteApproved
from aggregates.profiles import Stage
from aggregates.values import Actor, Role
from tests.support.servers import Receiver, Smtp
from tests.support.waiting import eventually
from tests.workflows.conftest import SECRET, Stack
from workers.demo import DemoRoute
from workflows.contracts import REGION, STATUS, CommandRequest, Notice


def request(demo: DemoRoute, role: Role, step: str, **payload: Any) -> CommandRequest:
    """A command request by the demo person in `role`."""
    return CommandRequest(
        actor_id=demo.actor(role).id,
        role=role.value,
        command_id=f"{demo.key}:{step}",
        payload=payload,
    )


def notices(stack: Stack, route_id: UUID) -> list[tuple[str, list[Role]]]:
    """The route's `NoticeSent` events: their kind and recipients."""
    return [
        (event.kind, list(event.recipients))
        for event in stack.routes.history(route_id)
        if isinstance(event, NoticeSent)
    ]


async def designed_route(stack: Stack, region: str, index: int) -> tuple[DemoRoute, UUID]:
    """A route of `region` with its diagnostic, its workflow started from the store, and its
    plan designed and submitted through the workflow."""
    today = await stack.today()
    profile = stack.routes.profiles.latest(region)
    demo = DemoRoute(stack.routes, profile, index, random.Random(index), today)
    route_id = demo.drive(until=Stage.DESIGN)
    assert await stack.gateway.start(route_id)
    starts = today + timedelta(days=30)
    plan = demo.plan(starts, add_months(starts, 12) - timedelta(days=1))
    designer = profile.designers[0]
    gateway = stack.gateway
    await gateway.execute(
        route_id,
        "design_route",
        request(demo, designer, "design", plan=plan.model_dump(mode="json")),
    )
    await gateway.execute(route_id, "submit_route", request(demo, designer, "submit"))
    return demo, route_id


async def test_sakha_round_reminds_escalates_then_approves(
    stack: Stack, receiver: Receiver, smtp: Smtp
) -> None:
    demo, route_id = await designed_route(stack, "sakha", 1)
    gateway = stack.gateway
    # Round 1: the methodist and the teacher sign together, 5 days each, reminded 2 days before.
    await eventually(lambda: len(notices(stack, route_id)) == 2)
    assert sorted(notices(stack, route_id)) == [
        ("agreement_requested", [Role.METHODIST]),
        ("agreement_requested", [Role.TEACHER]),
    ]
    await stack.env.sleep(timedelta(days=7))
    await eventually(lambda: len(notices(stack, route_id)) == 6)
    assert sorted(notices(stack, route_id))[:4] == [
        ("agreement_escalated", [Role.CENTRE_HEAD, Role.METHODIST]),
        ("agreement_escalated", [Role.CENTRE_HEAD, Role.TEACHER]),
        ("agreement_reminder", [Role.METHODIST]),
        ("agreement_reminder", [Role.TEACHER]),
    ]
    # Each notice reached the portal, signed, and the mailboxes of its roles.
    await eventually(lambda: len(receiver.requests) == 6 and len(smtp.collector.envelopes) == 6)
    for delivery in receiver.requests:
        stamp, signature = delivery.headers["X-IOM-Timestamp"], delivery.headers["X-IOM-Signature"]
        assert verify(SECRET.encode(), stamp, delivery.body, signature, now=float(stamp))
        assert Notice.model_validate_json(delivery.body).route_id == route_id
    escalations = [
        e for e in smtp.collector.envelopes if "centre_head.sakha@cnppm.example" in e.rcpt_tos
    ]
    assert len(escalations) == 2

    # The round's parties answer late; the next round starts; the wrong party is refused.
    plan_hash = stack.routes.route(route_id).plan_hash
    for role in (Role.METHODIST, Role.TEACHER):
        await gateway.execute(
            route_id, "agree_route", request(demo, role, f"agree-{role}", plan_hash=plan_hash)
        )
    with pytest.raises(RoleError, match="ждёт ответа: руководитель ЦНППМ"):
        await gateway.execute(
            route_id, "agree_route", request(demo, Role.SCHOOL_HEAD, "early", plan_hash=plan_hash)
        )
    await gateway.execute(
        route_id,
        "agree_route",
        request(demo, Role.CENTRE_HEAD, "agree-centre", plan_hash=plan_hash),
    )
    version = await gateway.execute(
        route_id,
        "agree_route",
        request(demo, Role.SCHOOL_HEAD, "agree-school", plan_hash=plan_hash),
    )
    route = stack.routes.route(route_id)
    assert route.stage is Stage.IMPLEMENTATION
    assert isinstance(stack.routes.history(route_id, version=version)[-1], RouteApproved)
    await eventually(
        lambda: ("route_approved", [Role.TEACHER, Role.METHODIST]) in notices(stack, route_id)
    )
    # The school head's early answer was refused and recorded with its rule.
    assert route.commands.get(f"{demo.key}:early") is None


async def test_opening_a_route_starts_its_workflow_once(stack: Stack) -> None:
    opening = OpenRoute(
        route_key="portal-777",
        region="chelyabinsk",
        teacher_id="teacher-777",
        school_id="school-7",
        municipality_id="mun-7",
        subject="физика",
    )
    opener = Actor(id="head-7", role=Role.SCHOOL_HEAD)
    receipt = await stack.gateway.open(opening, opener, "open-777")
    again = await stack.gateway.open(opening, opener, "open-777")
    assert again.replayed and again.route_id == receipt.route_id
    handle = stack.env.client.get_workflow_handle(f"route-{receipt.route_id}")
    for _ in range(100):
        described = await handle.describe()
        if described.typed_search_attributes.get(STATUS):
            break
        await asyncio.sleep(0.05)
    assert described.status is WorkflowExecutionStatus.RUNNING
    assert described.typed_search_attributes.get(STATUS) == "opened"
    assert described.typed_search_attributes.get(REGION) == "chelyabinsk"
    assert not await stack.gateway.start(receipt.route_id)
    with pytest.raises(RouteNotFoundError):
        await stack.gateway.start(route_id_for("sakha", "never-opened"))


@pytest.mark.parametrize("region", ["sakha", "balakhta", "sovetsky", "chelyabinsk", "algorithm"])
async def test_each_region_agrees_in_its_profiles_order(stack: Stack, region: str) -> None:
    demo, route_id = await designed_route(stack, region, 40)
    agreement = stack.routes.profiles.latest(region).agreement
    rounds = sorted({step.round for step in agreement})
    plan_hash = stack.routes.route(route_id).plan_hash
    asked: list[tuple[str, list[Role]]] = []
    version = 0
    for number in rounds:
        parties = [step.role for step in agreement if step.round == number]
        # The round's parties, and only they, are asked at once.
        asked += [("agreement_requested", [role]) for role in parties]
        expected = sorted(asked)
        await eventually(lambda: sorted(notices(stack, route_id)) == expected)  # noqa: B023
        later = [step.role for step in agreement if step.round > number]
        if later:
            with pytest.raises(RoleError):
                await stack.gateway.execute(
                    route_id,
                    "agree_route",
                    request(demo, later[0], f"early-{number}", plan_hash=plan_hash),
                )
        for role in parties:
            version = await stack.gateway.execute(
                route_id,
                "agree_route",
                request(demo, role, f"agree-{role}", plan_hash=plan_hash),
            )
    assert stack.routes.route(route_id).stage is Stage.IMPLEMENTATION
    assert isinstance(stack.routes.history(route_id, version=version)[-1], RouteApproved)
    await eventually(lambda: any(kind == "route_approved" for kind, _ in notices(stack, route_id)))
