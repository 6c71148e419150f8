"""A whole Sakha route and a whole Balakhta route driven only through HTTP on the real stack
(PostgreSQL, the Temporal dev server, a worker in process), every step sent by a token of the
role the regulation names, from opening to completion (conclusions signed and acknowledged, the
certificate where the profile asks for one); then projected and read back through the API's own
GET endpoints: the route, its history, the monitoring list and the audit trail."""

from __future__ import annotations

import random
import uuid
from datetime import date
from typing import Any

import httpx
import pytest

from aggregates.application import Routes
from aggregates.commands import COMMANDS, OpenRoute
from aggregates.profiles import ProfileCatalogue, Stage, load_profiles
from aggregates.values import Role
from api.app import create_app
from api.auth import TokenVerifier
from api.idempotency import IdempotencyStore
from api.services import Services
from projections.catalog import PROJECTIONS, catch_up
from runtime.settings import store_env
from tests.api.conftest import serving
from tests.api.support import Portal
from tests.workflows.conftest import Stack
from workers.demo import DemoRoute

ENDPOINTS = {command: name for name, command in COMMANDS.items() if command.by_person}
"""The endpoint `/routes/{id}/commands/<name>` of each person's command."""


def token_headers(portal: Portal, demo: DemoRoute, role: Role) -> dict[str, str]:
    """Headers of the demo person in `role`: a token of the route's region and school (a
    teacher's carries the teacher id, its subject is the portal's user), a fresh key."""
    actor = demo.actor(role)
    claims: dict[str, Any] = {"school": demo.school}
    subject = actor.id
    if role is Role.TEACHER:
        claims["teacher_id"], subject = actor.id, f"portal-user-{demo.index}"
    token = portal.token(role, subject, demo.profile.id, **claims)
    return portal.headers(token, str(uuid.uuid4()))


def expected_events(demo: DemoRoute) -> list[tuple[str, str, str]]:
    """(type, actor, role) of each event the same demo route leaves driven on the aggregate."""
    direct = Routes(store_env("sqlite:///:memory:"), profiles=ProfileCatalogue(load_profiles()))
    try:
        twin = DemoRoute(direct, demo.profile, demo.index, random.Random(demo.index), demo.today)
        route_id = twin.drive()
        return [
            (type(e).__name__, e.actor.id, e.actor.role.value) for e in direct.history(route_id)
        ]
    finally:
        direct.close()


@pytest.mark.parametrize(("region", "index"), [("sakha", 4), ("balakhta", 3)])
async def test_a_whole_route_through_http(
    dev_stack: Stack, portal: Portal, region: str, index: int
) -> None:
    # Sakha 4: a correction agreed mid-route, every activity done, a certificate;
    # Balakhta 3: no correction, its last activity marked not done, no certificate.
    routes = dev_stack.routes
    verifier = TokenVerifier.from_settings(portal.settings())
    app = create_app(
        portal.settings(), Services(routes, dev_stack.gateway, verifier, IdempotencyStore(routes))
    )
    profile = routes.profiles.latest(region)
    today = date.today()
    demo = DemoRoute(routes, profile, index, random.Random(index), today)
    route_id = demo.route_id

    async with serving(app) as client:
        # Each step is drawn only after the one before is applied (it reads the route).
        for step in demo.steps():
            headers = token_headers(portal, demo, step.role)
            body = step.command.model_dump(mode="json")
            if isinstance(step.command, OpenRoute):
                del body["region"]  # the token's
                answer = await client.post("/routes", headers=headers, json=body)
                assert answer.status_code == 201, answer.text
                assert answer.json()["route_id"] == str(route_id)
            else:
                name = ENDPOINTS[type(step.command)]
                path = f"/routes/{route_id}/commands/{name}"
                answer = await client.post(path, headers=headers, json=body)
                assert answer.status_code == 200, (name, step.role, answer.text)

        for name in PROJECTIONS:
            catch_up(routes, name)

        head = token_headers(portal, demo, Role.CENTRE_HEAD)
        state = await client.get(f"/routes/{route_id}", headers=head)
        assert state.status_code == 200, state.text
        assert state.json()["stage"] == Stage.COMPLETED.value

        history = await client.get(f"/routes/{route_id}/history", headers=head)
        assert history.status_code == 200, history.text
        lines = history.json()["events"]
        # The direct demo's events, same people, same order; besides them only the notices and
        # overdue marks of the timers that came due meanwhile (the demo's terms lie in the past).
        people = [
            (e["event_type"], e["actor_id"], e["role"]) for e in lines if e["role"] != "system"
        ]
        assert people == expected_events(demo)
        fired = {e["event_type"] for e in lines if e["role"] == "system"}
        assert fired <= {"NoticeSent", "ActivityOverdue"}
        types = [e["event_type"] for e in lines]
        assert types[0] == "RouteOpened"
        assert {"RouteApproved", "ConclusionsRecorded", "ConclusionsAcknowledged"} <= set(types)
        assert ("CertificateIssued" in types) is profile.requires_certificate
        assert ("ActivityNotCompleted" in types) is (index % 3 == 0)
        assert ("RouteCorrected" in types) is (index % 2 == 0)

        row = await only_row(client, "/monitoring/routes", head, route_id)
        assert row["stage"] == Stage.COMPLETED.value
        activities = [e for e in types if e in ("ActivityCompleted", "ActivityNotCompleted")]
        done = types.count("ActivityCompleted")
        assert (row["activities"], row["done"]) == (len(activities), done)
        assert row["share_done"] == pytest.approx(done / len(activities), abs=1e-4)

        audit = await all_rows(client, "/audit", head, route_id)
        assert [r["version"] for r in audit] == [e["version"] for e in lines]
        assert [r["event_type"] for r in audit] == types


async def all_rows(
    client: httpx.AsyncClient, path: str, headers: dict[str, str], route_id: uuid.UUID
) -> list[dict[str, Any]]:
    """Every row of a list for the route, page after page, in version order where it has one."""
    rows: list[dict[str, Any]] = []
    params: dict[str, Any] = {"route": str(route_id), "limit": 200}
    if path == "/audit":
        params["sort"] = "notification_id"
    while True:
        page = await client.get(path, headers=headers, params=params)
        assert page.status_code == 200, page.text
        rows += page.json()["items"]
        if page.json()["next_cursor"] is None:
            return rows
        params["cursor"] = page.json()["next_cursor"]


async def only_row(
    client: httpx.AsyncClient, path: str, headers: dict[str, str], route_id: uuid.UUID
) -> dict[str, Any]:
    """The list's one row for the route."""
    (row,) = await all_rows(client, path, headers, route_id)
    return row
