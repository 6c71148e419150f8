"""Finding a route by the portal's key (`GET /routes?route_key=`), the 409 `route-exists`
naming the route to a caller who may see it, and a GET's unknown query parameter refused."""

from __future__ import annotations

import re
from typing import Any

import pytest

from aggregates.values import Role
from tests.api.conftest import Direct, Region
from tests.api.support import Portal
from tests.api.test_tenancy import centre_head, opening

KEY = {"route_key": "found-1"}


async def test_a_route_is_found_by_its_key_within_reach(direct: Direct, portal: Portal) -> None:
    opened = await direct.client.post(
        "/routes", headers=centre_head(portal, "sakha", "open-found"), json=opening("found-1")
    )
    assert opened.status_code == 201, opened.text
    route_id = opened.json()["route_id"]
    found = await direct.client.get(
        "/routes", params={"route_key": "found-1"}, headers=centre_head(portal, "sakha", "-")
    )
    assert found.status_code == 200, found.text
    assert [(r["id"], r["route_key"]) for r in found.json()["items"]] == [(route_id, "found-1")]
    # Out of reach (another school's head, another region) answers as a key never opened.
    nobody: dict[str, list[Any]] = {"items": []}
    school_head = portal.token(Role.SCHOOL_HEAD, "head-9", "sakha", school="school-sakha-09")
    balakhta = centre_head(portal, "balakhta", "-")
    for headers in (portal.headers(school_head), balakhta):
        answer = await direct.client.get("/routes", params=KEY, headers=headers)
        assert (answer.status_code, answer.json()) == (200, nobody)
    missing = await direct.client.get(
        "/routes", params={"route_key": "never-opened"}, headers=centre_head(portal, "sakha", "-")
    )
    assert (missing.status_code, missing.json()) == (200, nobody)


async def test_route_exists_names_the_route_to_whom_may_see_it(
    direct: Direct, portal: Portal
) -> None:
    first = await direct.client.post(
        "/routes", headers=centre_head(portal, "sakha", "open-a"), json=opening("exists-1")
    )
    route_id = first.json()["route_id"]
    again = await direct.client.post(
        "/routes",
        headers=centre_head(portal, "sakha", "open-b"),
        json=opening("exists-1") | {"subject": "физика"},
    )
    assert again.status_code == 409, again.text
    assert (again.json()["rule"], again.json()["existing_route"]) == ("route_key", route_id)
    assert route_id in again.json()["detail"]
    assert again.json()["retryable"] is False
    # A school's head of another school opening the same key learns nothing of the route.
    head = portal.token(Role.SCHOOL_HEAD, "head-5", "sakha", school="school-sakha-05")
    other = opening("exists-1") | {"school_id": "school-sakha-05"}
    hidden = await direct.client.post("/routes", headers=portal.headers(head, "open-c"), json=other)
    assert hidden.status_code == 409, hidden.text
    assert hidden.json()["existing_route"] is None
    assert route_id not in hidden.text


def get_operations(direct: Direct) -> list[tuple[str, dict[str, Any]]]:
    """Every GET of the OpenAPI document, with its path parameters filled in."""
    fill = {"route_id": "00000000-0000-0000-0000-000000000000", "version": "1"}
    found = []
    for path, item in direct.app.openapi()["paths"].items():
        if "get" in item:
            concrete = re.sub(r"\{(\w+)\}", lambda m: fill.get(m[1], "sakha"), path)
            found.append((concrete, item["get"]))
    return found


async def test_every_get_refuses_an_unknown_query_parameter(region: Region, portal: Portal) -> None:
    operations = get_operations(region.direct)
    assert len(operations) > 15
    headers = centre_head(portal, "sakha", "-")
    for path, operation in operations:
        declared = {p["name"] for p in operation.get("parameters", []) if p["in"] == "query"}
        assert "routekey" not in declared
        answer = await region.client.get(path, params={"routekey": "x"}, headers=headers)
        assert answer.status_code == 422, (path, answer.text)
        problem = answer.json()
        assert (problem["rule"], problem["field"]) == ("unknown_parameter", "routekey"), path
        assert problem["retryable"] is False


@pytest.mark.parametrize("path", ["/monitoring/routes", "/audit", "/routes"])
async def test_declared_parameters_still_pass(region: Region, portal: Portal, path: str) -> None:
    params: dict[str, Any] = {"route_key": "k"} if path == "/routes" else {"limit": 5}
    headers = centre_head(portal, "sakha", "-")
    answer = await region.client.get(path, params=params, headers=headers)
    assert answer.status_code == 200, answer.text
