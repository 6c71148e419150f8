"""A methodist replaced on all their routes of the region by one request (150 routes, each its
own `MethodistAssigned` event), or on the routes named; a retry applies nothing twice; only the
centre head or an operator may ask."""

from __future__ import annotations

from collections import Counter
from uuid import UUID

from aggregates.events import MethodistAssigned
from aggregates.profiles import Stage
from aggregates.values import Role
from projections.catalog import PROJECTIONS, catch_up
from tests.api.conftest import Direct
from tests.api.support import Portal
from workers.demo import write_demo

BODY = {
    "methodist_id": "methodist-sakha-17",
    "order": "Распоряжение ЦНППМ № 88 от 01.09.2026",
    "reason": "Увольнение методиста",
}


def replacements(direct: Direct, route_id: UUID) -> list[MethodistAssigned]:
    history = direct.routes.history(route_id)
    return [e for e in history[2:] if isinstance(e, MethodistAssigned)]


async def test_one_request_replaces_the_methodist_on_all_150_routes(
    direct: Direct, portal: Portal
) -> None:
    written = write_demo(direct.routes, "sakha", 450, until=Stage.DIAGNOSTIC)
    for name in PROJECTIONS:
        catch_up(direct.routes, name)
    methodists = Counter(direct.routes.route(r).methodist_id for r in written)
    assert methodists["methodist-sakha-01"] == 150
    theirs = [r for r in written if direct.routes.route(r).methodist_id == "methodist-sakha-01"]
    path = "/methodists/methodist-sakha-01/replacement"

    teacher = portal.token(Role.TEACHER, "u-1", teacher_id="teacher-sakha-00003")
    refused = await direct.client.post(path, headers=portal.headers(teacher, "r-0"), json=BODY)
    assert (refused.status_code, refused.json()["rule"]) == (403, "role")

    head = portal.token(Role.CENTRE_HEAD, "centre-head-sakha")
    answer = await direct.client.post(path, headers=portal.headers(head, "r-1"), json=BODY)
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert (body["command"], body["accepted"], body["refused"]) == ("assign_methodist", 150, 0)
    assert sorted(item["route_id"] for item in body["items"]) == sorted(map(str, theirs))
    for route_id in theirs:
        route = direct.routes.route(route_id)
        assert route.methodist_id == "methodist-sakha-17"
        [event] = replacements(direct, route_id)
        assert (event.order, event.reason) == (BODY["order"], BODY["reason"])
        assert event.actor.id == "centre-head-sakha"
    others = [r for r in written if r not in theirs]
    assert not any(replacements(direct, r) for r in others)

    again = await direct.client.post(path, headers=portal.headers(head, "r-1"), json=BODY)
    assert (again.status_code, again.json()) == (200, body)
    assert again.headers["Idempotent-Replayed"] == "true"
    assert all(len(replacements(direct, r)) == 1 for r in theirs)


async def test_named_routes_only_and_each_must_be_the_methodists(
    direct: Direct, portal: Portal
) -> None:
    written = write_demo(direct.routes, "sakha", 3, until=Stage.DIAGNOSTIC)
    by_methodist = {direct.routes.route(r).methodist_id: r for r in written}
    mine, other = by_methodist["methodist-sakha-02"], by_methodist["methodist-sakha-03"]
    operator = portal.token(Role.OPERATOR, "operator-1")
    answer = await direct.client.post(
        "/methodists/methodist-sakha-02/replacement",
        headers=portal.headers(operator, "r-2"),
        json=BODY | {"route_ids": [str(mine), str(other)]},
    )
    assert answer.status_code == 200, answer.text
    first, second = answer.json()["items"]
    assert (first["status"], first["version"]) == (200, 3)
    assert second["status"] == 422 and second["problem"]["field"] == "route_ids"
    assert direct.routes.route(mine).methodist_id == "methodist-sakha-17"
    assert direct.routes.route(other).methodist_id == "methodist-sakha-03"
