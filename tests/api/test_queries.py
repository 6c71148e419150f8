"""Queries on one route (at a version, as of a moment, its history) and the teacher's
information sheet: its access matrix, a teacher without a sheet, and erasure (152-ФЗ)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from structlog.testing import capture_logs

from aggregates.personal import TeacherSheet
from aggregates.summaries import describe
from aggregates.values import Actor, Role
from api.access import SHEET_ROLES
from api.glossary import EXAMPLES
from api.portal_tokens import PORTAL_ROLES, SCHOOL_ROLES
from projections.routes import ROUTE_LIST
from projections.tables import Filters
from tests.api.conftest import Region
from tests.api.support import Portal
from tests.api.test_access import SCOPES, token_for


def centre_head(portal: Portal, region: str = "sakha") -> dict[str, str]:
    return portal.headers(portal.token(Role.CENTRE_HEAD, f"centre-head-{region}", region))


async def test_a_route_at_a_version_and_as_of_a_moment(region: Region, portal: Portal) -> None:
    route_id = region.sakha[0]
    history = region.routes.history(route_id)
    headers = centre_head(portal)
    for version in (1, 3, len(history)):
        answer = await region.client.get(
            f"/routes/{route_id}", params={"version": version}, headers=headers
        )
        assert answer.status_code == 200, answer.text
        then = region.routes.route(route_id, version=version)
        assert (answer.json()["version"], answer.json()["stage"]) == (version, then.stage.value)
        assert answer.json()["chain_head"] == history[version - 1].chain_hash
    moment = history[3].timestamp
    answer = await region.client.get(
        f"/routes/{route_id}", params={"as_of": moment.isoformat()}, headers=headers
    )
    assert answer.status_code == 200, answer.text
    assert answer.json()["version"] == sum(1 for e in history if e.timestamp <= moment)
    before = (history[0].timestamp - timedelta(days=1)).isoformat()
    early = await region.client.get(
        f"/routes/{route_id}", params={"as_of": before}, headers=headers
    )
    assert early.status_code == 404, early.text
    assert early.json()["type"] == "urn:iom:problem:not-found"


@pytest.mark.parametrize(
    ("params", "field", "rule"),
    [
        ({"version": 2, "as_of": "2026-10-01T12:00:00+09:00"}, "as_of", "one_of"),
        ({"version": 999}, "version", "version_range"),
        ({"version": 0}, "version", "greater_than_equal"),
        ({"version": "x"}, "version", "int_parsing"),
        ({"as_of": "2026-10-01T12:00:00"}, "as_of", "timezone"),
        ({"as_of": "вчера"}, "as_of", "datetime_from_date_parsing"),
    ],
)
async def test_a_bad_version_or_moment_is_a_problem_naming_the_field(
    region: Region, portal: Portal, params: dict[str, Any], field: str, rule: str
) -> None:
    answer = await region.client.get(
        f"/routes/{region.sakha[0]}", params=params, headers=centre_head(portal)
    )
    assert answer.status_code == 422, answer.text
    assert answer.headers["content-type"] == "application/problem+json"
    assert (answer.json()["field"], answer.json()["rule"]) == (field, rule)
    assert answer.json()["detail"]


async def test_a_past_version_out_of_reach_is_not_found(region: Region, portal: Portal) -> None:
    answer = await region.client.get(
        f"/routes/{region.sakha[0]}", params={"version": 1}, headers=centre_head(portal, "balakhta")
    )
    assert answer.status_code == 404
    assert "sakha" not in answer.text


async def test_the_history_is_the_stores_and_matches_the_audit_trail(
    region: Region, portal: Portal
) -> None:
    route_id = region.sakha[1]
    route = region.routes.route(route_id)
    history = region.routes.history(route_id)
    token = token_for(portal, Role.TEACHER, "own", route)
    answer = await region.client.get(f"/routes/{route_id}/history", headers=portal.headers(token))
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert (body["route_id"], body["version"]) == (str(route_id), route.version)
    assert [
        (line["version"], line["event_type"], line["actor_id"], line["role"], line["summary"])
        for line in body["events"]
    ] == [
        (
            e.originator_version,
            type(e).__name__,
            e.actor.id,
            e.actor.role.value,
            describe(e, route.profile),
        )
        for e in history
    ]
    trail = await region.client.get(
        "/audit",
        params={"route": str(route_id), "sort": "notification_id"},
        headers=portal.headers(token),
    )
    assert [(r["version"], r["summary"], r["chain_hash"]) for r in trail.json()["items"]] == [
        (line["version"], line["summary"], line["chain_hash"]) for line in body["events"]
    ]
    other = token_for(portal, Role.TEACHER, "other_school", route)
    refused = await region.client.get(f"/routes/{route_id}/history", headers=portal.headers(other))
    assert refused.status_code == 404
    assert route.teacher_id not in refused.text


# The information sheet.

SHEET = TeacherSheet.model_validate(EXAMPLES["TeacherSheet"])


def refused_school(role: Role, scope: str) -> bool:
    """Whether the token names a school the engine knows in another region (`api.claims`)."""
    return role in SCHOOL_ROLES and scope == "other_region"


def sheet_allowed(role: Role, scope: str) -> int:
    """The status the sheet of the route's teacher answers a role in a scope."""
    if role not in SHEET_ROLES or refused_school(role, scope):
        return 403
    if scope == "own" or (scope == "other_school" and role is Role.CENTRE_HEAD):
        return 200
    return 404


@pytest.mark.parametrize("scope", SCOPES)
@pytest.mark.parametrize("role", PORTAL_ROLES)
async def test_the_sheet_only_to_the_roles_entitled(
    region: Region, portal: Portal, role: Role, scope: str
) -> None:
    route = region.routes.route(region.sakha[0])
    assert region.direct.app.state.services.personal is not None
    region.direct.app.state.services.personal.put(route.teacher_id, SHEET)
    token = token_for(portal, role, scope, route)
    with capture_logs() as logs:
        answer = await region.client.get(
            f"/teachers/{route.teacher_id}/sheet", headers=portal.headers(token)
        )
    assert SHEET.full_name not in repr(logs)
    status = sheet_allowed(role, scope)
    assert answer.status_code == status, answer.text
    if status == 200:
        assert answer.json() == {
            "teacher_id": route.teacher_id,
            "sheet": SHEET.model_dump(mode="json"),
        }
        assert answer.headers["cache-control"] == "no-store"
        return
    assert SHEET.full_name not in answer.text
    problem = answer.json()
    if refused_school(role, scope):
        assert problem["rule"] == "school_region"
    elif status == 403:
        assert problem["rule"] == "personal_data"
        assert "152-ФЗ" in problem["detail"]
    else:
        assert problem["type"] == "urn:iom:problem:sheet-not-found"


async def test_a_teacher_without_a_sheet_and_after_erasure(region: Region, portal: Portal) -> None:
    route = region.routes.route(region.sakha[2])
    personal = region.direct.app.state.services.personal
    headers = portal.headers(token_for(portal, Role.METHODIST, "own", route))
    absent = await region.client.get(f"/teachers/{route.teacher_id}/sheet", headers=headers)
    assert absent.status_code == 404
    assert absent.json()["type"] == "urn:iom:problem:sheet-not-found"
    personal.put(route.teacher_id, SHEET)
    personal.erase(route.teacher_id, Actor(id="op-1", role=Role.OPERATOR), "заявление № 17")
    erased = await region.client.get(f"/teachers/{route.teacher_id}/sheet", headers=headers)
    assert erased.status_code == 410, erased.text
    problem = erased.json()
    assert problem["type"] == "urn:iom:problem:erased"
    assert "уничтожены" in problem["detail"] and "152-ФЗ" in problem["detail"]
    assert SHEET.full_name not in erased.text
    # Out of reach, the erasure is not told either.
    stranger = portal.headers(token_for(portal, Role.METHODIST, "other_school", route))
    hidden = await region.client.get(f"/teachers/{route.teacher_id}/sheet", headers=stranger)
    assert hidden.status_code == 404
    auditor = portal.headers(token_for(portal, Role.AUDITOR, "own", route))
    refused = await region.client.get(f"/teachers/{route.teacher_id}/sheet", headers=auditor)
    assert refused.status_code == 403


async def test_the_sheet_follows_the_routes_projected(region: Region, portal: Portal) -> None:
    """The teacher's routes are looked up in the monitoring table by teacher id."""
    with region.direct.app.state.services.monitoring.transaction(commit=False) as db:
        rows = ROUTE_LIST.select(db, Filters(profile_id="sakha", teacher_id="teacher-sakha-00001"))
    assert [r["route_id"] for r in rows] == [str(region.sakha[0])]
