"""The monitoring lists and the audit trail: each held to the token's reach (region, own routes,
assigned routes, school), the region-wide aggregates only to the roles that plan region-wide,
and filters beyond the reach refused."""

from __future__ import annotations

from collections import Counter
from typing import Any

import httpx
import pytest

from aggregates.route import Route
from aggregates.values import Role
from api.access import REGION_ROLES
from api.listings import LISTS, MonitoringList
from api.portal_tokens import PORTAL_ROLES, SCHOOL_ROLES
from tests.api.conftest import Region
from tests.api.support import Portal

PER_ROUTE = [each for each in LISTS if each.roles is None]
AGGREGATES = [each for each in LISTS if each.roles is not None]


def token(portal: Portal, role: Role, region: str = "sakha") -> str:
    """A token of `role` whose reach is that of the first Sakha demo route's people."""
    claims: dict[str, Any] = {}
    subject = f"{role.value}-user"
    if role is Role.TEACHER:
        claims["teacher_id"] = "teacher-sakha-00001"
    if role is Role.METHODIST:
        subject = "methodist-sakha-02"
    if role in SCHOOL_ROLES:
        claims["school"] = "school-sakha-02"
    return portal.token(role, subject, region, **claims)


def reaches(role: Role, route: Route) -> bool:
    """Whether `token(role)` reaches the route."""
    if route.profile.id != "sakha":
        return False
    if role is Role.TEACHER:
        return route.teacher_id == "teacher-sakha-00001"
    if role is Role.METHODIST:
        return route.methodist_id == "methodist-sakha-02"
    if role in SCHOOL_ROLES:
        return route.school_id == "school-sakha-02"
    return True


async def walk(
    client: httpx.AsyncClient, path: str, headers: dict[str, str], **params: Any
) -> list[dict[str, Any]]:
    """Every row of a list, page after page."""
    rows: list[dict[str, Any]] = []
    cursor = None
    for _ in range(1000):
        asked = params | ({"cursor": cursor} if cursor else {})
        answer = await client.get(path, params=asked, headers=headers)
        assert answer.status_code == 200, answer.text
        page = answer.json()
        rows += page["items"]
        cursor = page["next_cursor"]
        if cursor is None:
            return rows
    raise AssertionError("the pages never ended")


@pytest.mark.parametrize("chosen", PER_ROUTE, ids=lambda each: each.name)
@pytest.mark.parametrize("role", PORTAL_ROLES)
async def test_a_list_holds_only_the_routes_in_reach(
    region: Region, portal: Portal, role: Role, chosen: MonitoringList
) -> None:
    everyone = {i: region.routes.route(i) for i in region.sakha + region.balakhta}
    wanted = {str(i) for i, route in everyone.items() if reaches(role, route)}
    assert wanted  # each role reaches something in the demo
    headers = portal.headers(token(portal, role))
    rows = await walk(region.client, chosen.path, headers, limit=7)
    found = {row["route_id"] for row in rows}
    assert found <= wanted
    if chosen.name in ("routes", "activities", "audit", "dynamics"):
        assert found == wanted
    assert {row["profile_id"] for row in rows} <= {"sakha"}


@pytest.mark.parametrize("chosen", AGGREGATES, ids=lambda each: each.name)
@pytest.mark.parametrize("role", PORTAL_ROLES)
async def test_the_aggregates_only_to_the_roles_that_plan_region_wide(
    region: Region, portal: Portal, role: Role, chosen: MonitoringList
) -> None:
    answer = await region.client.get(chosen.path, headers=portal.headers(token(portal, role)))
    assert chosen.roles is not None
    if role not in chosen.roles:
        assert answer.status_code == 403, answer.text
        assert answer.json()["rule"] == "list_role"
        assert "items" not in answer.text
        return
    assert answer.status_code == 200, answer.text
    rows = answer.json()["items"]
    assert rows and {row["profile_id"] for row in rows} == {"sakha"}
    if role is Role.METHODIST:
        assert {row["methodist_id"] for row in rows} == {"methodist-sakha-02"}
    if role is Role.SCHOOL_HEAD:
        assert {row["school_id"] for row in rows} == {"school-sakha-02"}
    if chosen.name == "methodists" and role in REGION_ROLES:
        assert {row["methodist_id"] for row in rows} == {f"methodist-sakha-0{i}" for i in (1, 2, 3)}
        assert all(row["capacity"] == 150 and row["over_capacity"] is False for row in rows)


async def test_another_region_sees_only_its_own(region: Region, portal: Portal) -> None:
    headers = portal.headers(token(portal, Role.AUDITOR, "balakhta"))
    for chosen in LISTS:
        rows = await walk(region.client, chosen.path, headers, limit=200)
        assert {row["profile_id"] for row in rows} <= {"balakhta"}, chosen.name
        assert not any(str(i) in str(rows) for i in region.sakha)
    routes = await walk(region.client, "/monitoring/routes", headers)
    assert {r["route_id"] for r in routes} == {str(i) for i in region.balakhta}


@pytest.mark.parametrize(
    ("role", "params", "field"),
    [
        (Role.SCHOOL_HEAD, {"school": "school-sakha-03"}, "school"),
        (Role.DEPUTY_HEAD, {"school": "school-sakha-03"}, "school"),
        (Role.METHODIST, {"methodist": "methodist-sakha-01"}, "methodist"),
    ],
)
async def test_a_filter_beyond_the_reach_is_refused(
    region: Region, portal: Portal, role: Role, params: dict[str, str], field: str
) -> None:
    headers = portal.headers(token(portal, role))
    answer = await region.client.get("/monitoring/routes", params=params, headers=headers)
    assert answer.status_code == 403, answer.text
    assert (answer.json()["rule"], answer.json()["field"]) == ("out_of_reach", field)
    assert "route_id" not in answer.text


async def test_filters_narrow_within_the_reach(region: Region, portal: Portal) -> None:
    headers = portal.headers(token(portal, Role.CENTRE_HEAD))
    rows = await walk(
        region.client,
        "/monitoring/routes",
        headers,
        municipality="mun-sakha-01",
        subject=region.routes.route(region.sakha[2]).subject,
    )
    assert rows
    assert all(r["municipality_id"] == "mun-sakha-01" for r in rows)
    own = portal.headers(token(portal, Role.SCHOOL_HEAD))
    same = await region.client.get(
        "/monitoring/routes", params={"school": "school-sakha-02"}, headers=own
    )
    assert same.status_code == 200
    assert {r["school_id"] for r in same.json()["items"]} == {"school-sakha-02"}


async def test_a_filter_a_list_does_not_take_is_a_problem(region: Region, portal: Portal) -> None:
    headers = portal.headers(token(portal, Role.CENTRE_HEAD))
    answer = await region.client.get(
        "/monitoring/deficits", params={"school": "school-sakha-02"}, headers=headers
    )
    assert answer.status_code == 422, answer.text
    assert (answer.json()["field"], answer.json()["rule"]) == ("school", "filter")


async def test_a_list_needs_a_token(region: Region) -> None:
    answer = await region.client.get("/monitoring/routes")
    assert answer.status_code == 401


async def test_the_dynamics_by_municipality_sum_the_routes(region: Region, portal: Portal) -> None:
    headers = portal.headers(token(portal, Role.CENTRE_HEAD))
    rows = await walk(region.client, "/monitoring/dynamics-by-municipality", headers, limit=5)
    tested: Counter[tuple[str, str, str]] = Counter()
    levels: Counter[tuple[str, str, str]] = Counter()
    for route_id in region.sakha:
        route = region.routes.route(route_id)
        for competence, level in route.input_levels.items():
            tested[(route.municipality_id, route.subject, competence)] += 1
            levels[(route.municipality_id, route.subject, competence)] += level
    found = {(r["municipality_id"], r["subject"], r["competence"]): r for r in rows}
    assert {k: r["tested"] for k, r in found.items()} == dict(tested)
    assert {k: r["mean_input"] for k, r in found.items()} == {
        k: round(levels[k] / n, 3) for k, n in tested.items()
    }
