"""A Sakha route through HTTP on the real stack (PostgreSQL, the Temporal dev server, a worker
in process): opened, its methodist assigned, diagnosed, designed, submitted and agreed by each
party in the regulation's order, every step by the role the regulation names; keys retried in
sequence and at once, a reused key, bad input and a party out of turn on the way."""

from __future__ import annotations

import asyncio
import random
from datetime import timedelta
from typing import Any
from uuid import UUID

import httpx

from aggregates.commands.base import add_months
from aggregates.events import AgreementGiven, RouteSubmitted
from aggregates.values import Role
from api.app import create_app
from api.auth import TokenVerifier
from api.idempotency import IdempotencyStore, command_id_for
from api.portal_tokens import PORTAL_ROLES
from api.services import Services
from tests.api.conftest import serving
from tests.api.support import Portal
from tests.workflows.conftest import Stack
from workers.demo import DemoRoute


class Person:
    """A user of the portal acting on the demo route in one role."""

    def __init__(self, portal: Portal, demo: DemoRoute, role: Role) -> None:
        self.portal, self.demo, self.role = portal, demo, role
        self.claims: dict[str, Any] = {"school": demo.school}
        self.subject = demo.actor(role).id
        if role is Role.TEACHER:
            self.claims["teacher_id"], self.subject = demo.actor(role).id, "portal-user-451"

    def headers(self, key: str) -> dict[str, str]:
        token = self.portal.token(self.role, self.subject, "sakha", **self.claims)
        return self.portal.headers(token, key)


async def test_a_sakha_route_from_opening_to_approval(dev_stack: Stack, portal: Portal) -> None:
    routes = dev_stack.routes
    verifier = TokenVerifier.from_settings(portal.settings())
    services = Services(routes, dev_stack.gateway, verifier, IdempotencyStore(routes))
    app = create_app(portal.settings(), services)
    profile = routes.profiles.latest("sakha")
    today = await dev_stack.today()
    demo = DemoRoute(routes, profile, 451, random.Random(451), today)
    people: dict[Role, Person] = {role: Person(portal, demo, role) for role in PORTAL_ROLES}

    async with serving(app) as client:

        async def send(role: Role, name: str, key: str, body: Any) -> httpx.Response:
            path = "/routes" if name == "open_route" else f"/routes/{route_id}/commands/{name}"
            return await client.post(path, headers=people[role].headers(key), json=body)

        async def ok(role: Role, name: str, body: Any) -> int:
            answer = await send(role, name, f"{name}-{role}", body)
            assert answer.status_code in (200, 201), answer.text
            version: int = answer.json()["version"]
            return version

        assert (await client.get("/health/ready")).status_code == 200
        opening = {
            "route_key": demo.key,
            "teacher_id": demo.actor(Role.TEACHER).id,
            "school_id": demo.school,
            "municipality_id": "mun-sakha-01",
            "subject": "математика",
        }
        opener = profile.methodist_assigned_by[0]  # Sakha: the centre head (ИОМ 3.2)
        answer = await send(opener, "open_route", "open", opening)
        assert answer.status_code == 201, answer.text
        route_id = answer.json()["route_id"]
        order = {"methodist_id": demo.actor(Role.METHODIST).id, "order": "Распоряжение № 7"}
        await ok(opener, "assign_methodist", order)

        # Bad input: refused naming the field and rule; nothing written.
        demo_id = UUID(route_id)
        tasks = [
            {"number": n, "competences": [c.code], "level": 2}
            for n, c in enumerate(profile.competences, start=1)
        ]
        diagnostic = {"taken_on": str(today - timedelta(days=5)), "platform": "РАС", "tasks": tasks}
        unknown = {**diagnostic, "tasks": [{**tasks[0], "competences": ["astrology"]}]}
        refused = await send(Role.METHODIST, "record_diagnostic", "bad", {"diagnostic": unknown})
        assert refused.status_code == 422, refused.text
        assert refused.json()["field"] == "diagnostic.tasks[0].competences"
        assert refused.json()["rule"] == "content"
        route = routes.route(demo_id)
        assert route.input_diagnostic is None
        assert command_id_for("sakha", demo.actor(Role.METHODIST).id, "bad") not in route.commands

        await ok(Role.METHODIST, "record_diagnostic", {"diagnostic": diagnostic})
        starts = today + timedelta(days=30)
        plan = demo.plan(starts, add_months(starts, 12) - timedelta(days=1))
        designer = profile.designers[0]
        await ok(designer, "design_route", {"plan": plan.model_dump(mode="json")})
        submitted = await ok(designer, "submit_route", {})
        # The same key again: the first answer, nothing appended.
        again = await send(designer, "submit_route", f"submit_route-{designer}", {})
        assert (again.status_code, again.json()["version"]) == (200, submitted)
        assert again.headers["Idempotent-Replayed"] == "true"
        assert sum(isinstance(e, RouteSubmitted) for e in routes.history(demo_id)) == 1

        state = await client.get(f"/routes/{route_id}", headers=people[Role.TEACHER].headers("-"))
        assert state.json()["stage"] == "agreement"
        plan_hash = state.json()["plan_hash"]

        # A party of a later round is refused by the route, on record; nothing written.
        early = await send(Role.SCHOOL_HEAD, "agree_route", "early", {"plan_hash": plan_hash})
        assert early.status_code == 403, early.text
        assert early.json()["rule"] == "turn"

        for step in profile.agreement:
            body = {"plan_hash": plan_hash}
            if step.role is Role.TEACHER:
                # Two at once under one key: one agreement given; then another body: 422.
                key = "agree-teacher-together"
                both = await asyncio.gather(*(send(step.role, "agree_route", key, body),) * 2)
                assert [a.status_code for a in both] == [200, 200], [a.text for a in both]
                assert both[0].json() == both[1].json()
                other = await send(step.role, "agree_route", key, body | {"comment": "ещё"})
                assert other.status_code == 422
                assert other.json()["rule"] == "idempotency_key_reuse"
                continue
            await ok(step.role, "agree_route", body)

        state = await client.get(f"/routes/{route_id}", headers=people[Role.TEACHER].headers("-"))
        assert state.status_code == 200
        assert state.json()["stage"] == "implementation"
        assert state.json()["approved_at"] is not None
        given = [e for e in routes.history(demo_id) if isinstance(e, AgreementGiven)]
        assert sorted(e.actor.role.value for e in given) == sorted(
            step.role.value for step in profile.agreement
        )
