"""The authorisation matrix: every portal role × its own route, a route of another school of
its region, and a route of another region; for reading the route and for a command on it.
Out of reach is a 404 exactly like a route that does not exist; within reach but not the
role's to do is a 403 naming the rule; neither ever carries the route's data."""

from __future__ import annotations

from typing import Any
from uuid import UUID

import httpx
import pytest

from aggregates.route import Route
from aggregates.values import Role
from api.portal_tokens import PORTAL_ROLES
from tests.api.conftest import Direct
from tests.api.support import Portal

SCOPES = ["own", "other_school", "other_region"]
REGION_WIDE = {Role.CENTRE_HEAD, Role.AUDITOR, Role.OPERATOR}
ROUND_ONE = {Role.TEACHER, Role.METHODIST}  # Sakha: the methodist and the teacher sign first


def token_for(
    portal: Portal, role: Role, scope: str, route: Route, algorithm: str = "HS256"
) -> str:
    """A token of `role` whose reach is the route's (`own`), another school's of the same
    region (`other_school`), or the same ids in another region (`other_region`)."""
    claims: dict[str, Any] = {"school": route.school_id}
    subject = f"{role.value}-portal-user"
    if role is Role.TEACHER:
        claims["teacher_id"] = route.teacher_id
    if role is Role.METHODIST:
        assert route.methodist_id is not None
        subject = route.methodist_id
    if scope == "other_school":
        claims["school"] = "school-sakha-other"
        if role is Role.TEACHER:
            claims["teacher_id"] = "teacher-sakha-other"
        if role is Role.METHODIST:
            subject = "methodist-sakha-other"
    region = "balakhta" if scope == "other_region" else "sakha"
    return portal.token(role, subject, region, algorithm=algorithm, **claims)


def in_reach(role: Role, scope: str) -> bool:
    return scope == "own" or (scope == "other_school" and role in REGION_WIDE)


def assert_no_data(answer: httpx.Response, route: Route) -> None:
    """A refusal: problem details, none of the route's data."""
    assert answer.headers["content-type"] == "application/problem+json"
    for secret in (route.teacher_id, route.school_id, route.route_key, route.plan_hash or "-"):
        assert secret not in answer.text


@pytest.mark.parametrize("algorithm", ["HS256", "RS256"])
@pytest.mark.parametrize("scope", SCOPES)
@pytest.mark.parametrize("role", PORTAL_ROLES)
async def test_reading_a_route(
    direct: Direct, portal: Portal, role: Role, scope: str, algorithm: str
) -> None:
    _, route_id = direct.route_in_agreement()
    route = direct.routes.route(route_id)
    token = token_for(portal, role, scope, route, algorithm)
    answer = await direct.client.get(f"/routes/{route_id}", headers=portal.headers(token))
    if in_reach(role, scope):
        assert answer.status_code == 200, answer.text
        state = answer.json()
        assert (state["id"], state["stage"], state["region"]) == (
            str(route_id),
            "agreement",
            "sakha",
        )
        assert state["pending_parties"] == ["methodist", "teacher"]
        assert state["version"] == route.version
    else:
        assert answer.status_code == 404, answer.text
        assert answer.json()["type"] == "urn:iom:problem:not-found"
        assert_no_data(answer, route)


@pytest.mark.parametrize("scope", SCOPES)
@pytest.mark.parametrize("role", PORTAL_ROLES)
async def test_agreeing_a_route(direct: Direct, portal: Portal, role: Role, scope: str) -> None:
    _, route_id = direct.route_in_agreement()
    route = direct.routes.route(route_id)
    token = token_for(portal, role, scope, route)
    answer = await direct.client.post(
        f"/routes/{route_id}/commands/agree_route",
        headers=portal.headers(token, f"agree-{role}-{scope}"),
        json={"plan_hash": route.plan_hash},
    )
    after = direct.routes.route(route_id)
    if in_reach(role, scope) and role in ROUND_ONE:
        assert answer.status_code == 200, answer.text
        assert answer.json()["version"] == after.version == route.version + 1
        return
    assert after.version == route.version  # nothing written
    assert_no_data(answer, route)
    problem = answer.json()
    if not in_reach(role, scope):
        assert answer.status_code == 404, answer.text
        assert direct.gateway.executed == []  # never reached the route's process
        return
    assert answer.status_code == 403, answer.text
    assert problem["type"] == "urn:iom:problem:role"
    if role is Role.AUDITOR:
        assert problem["rule"] == "read_only"
        assert direct.gateway.executed == []
    else:
        # A party of a later round is out of turn; a role not among the parties, not one.
        later = {Role.CENTRE_HEAD, Role.SCHOOL_HEAD}
        assert problem["rule"] == ("turn" if role in later else "role")
        assert problem["detail"]


async def test_an_unknown_route_answers_like_one_out_of_reach(
    direct: Direct, portal: Portal
) -> None:
    _, route_id = direct.route_in_agreement()
    token = portal.token(Role.CENTRE_HEAD, "c-1", "balakhta")
    foreign = await direct.client.get(f"/routes/{route_id}", headers=portal.headers(token))
    missing = await direct.client.get(
        "/routes/00000000-0000-4000-8000-000000000000", headers=portal.headers(token)
    )
    assert foreign.status_code == missing.status_code == 404
    assert foreign.json()["title"] == missing.json()["title"]
    assert foreign.json()["rule"] == missing.json()["rule"] == "not_found"


OPENING = {
    "route_key": "portal-open-1",
    "teacher_id": "teacher-sakha-77",
    "school_id": "school-sakha-07",
    "municipality_id": "mun-sakha-01",
    "subject": "физика",
}


@pytest.mark.parametrize(
    "case",
    [
        (Role.CENTRE_HEAD, {}, 201, None),
        (Role.SCHOOL_HEAD, {"school": "school-sakha-07"}, 201, None),
        (Role.SCHOOL_HEAD, {"school": "school-sakha-08"}, 403, "own_school"),
        (Role.DEPUTY_HEAD, {"school": "school-sakha-08"}, 403, "own_school"),
        (Role.TEACHER, {"teacher_id": "teacher-sakha-77"}, 201, None),
        (Role.TEACHER, {"teacher_id": "teacher-sakha-78"}, 403, "own_route"),
        (Role.MO_HEAD, {"school": "school-sakha-07"}, 403, "role"),
        (Role.AUDITOR, {}, 403, "read_only"),
    ],
)
async def test_opening_a_route(
    direct: Direct, portal: Portal, case: tuple[Role, dict[str, Any], int, str | None]
) -> None:
    role, claims, status, rule = case
    token = portal.token(role, f"{role.value}-1", **claims)
    answer = await direct.client.post(
        "/routes", headers=portal.headers(token, "open-1"), json=OPENING
    )
    assert answer.status_code == status, answer.text
    if status == 201:
        route = direct.routes.route(UUID(answer.json()["route_id"]))
        assert route.profile.id == "sakha"  # the region is the token's
        assert route.teacher_id == "teacher-sakha-77"
    else:
        assert answer.json()["rule"] == rule
        assert sum(1 for _ in direct.routes.route_ids()) == 0
