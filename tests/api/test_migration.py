"""`POST /routes/{route_id}/migration`: an operator checks a move to a new edition (`dry_run`,
nothing written) and makes it; a route that cannot move is refused, naming the item and the
rule, and stays as it was; the route and its history show the edition before and after."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from aggregates.commands import AgreeRoute
from aggregates.events import RegulationChanged
from aggregates.values import Role
from tests.api.conftest import Direct
from tests.api.support import Portal
from tests.support.profiles import with_new_editions

MERGED = {"communicative": "psych_communicative", "psych_pedagogical": "psych_communicative"}
BODY: dict[str, Any] = {
    "edition": "sakha@2",
    "mapping": {"competences": MERGED},
    "order": "Приказ № 01-03/0000",
    "reason": "Новая редакция положения",
    "ticket": "OPS-19",
}


def signed_by_both(direct: Direct) -> UUID:
    """A sakha@1 route waiting on its round 2; sakha@2 published since."""
    demo, route_id = direct.route_in_agreement()
    plan_hash = direct.routes.route(route_id).plan_hash or ""
    for role in (Role.METHODIST, Role.TEACHER):
        demo.run(AgreeRoute(plan_hash=plan_hash), role, f"agree-{role}")
    direct.routes.profiles = with_new_editions()
    return route_id


async def test_an_operator_previews_then_moves_a_route(direct: Direct, portal: Portal) -> None:
    route_id = signed_by_both(direct)
    path = f"/routes/{route_id}/migration"
    operator = portal.token(Role.OPERATOR, "op-1")
    version = direct.routes.route(route_id).version

    unmapped = BODY | {"mapping": {}, "dry_run": True}
    preview = await direct.client.post(path, headers=portal.headers(operator), json=unmapped)
    assert preview.status_code == 200, preview.text
    found = preview.json()
    assert (found["movable"], found["edition_before"]) == (False, "sakha@1")
    assert [p["field"] for p in found["problems"]] == [
        "mapping.competences.communicative",
        "mapping.competences.psych_pedagogical",
    ]
    preview = await direct.client.post(
        path, headers=portal.headers(operator), json=BODY | {"dry_run": True}
    )
    found = preview.json()
    assert (found["movable"], found["stage_name"]) == (True, "Согласование и утверждение ИОМ")
    assert {d["key"] for d in found["deadlines"]} == {"agreement:mo_head", "agreement:centre_head"}
    assert direct.routes.route(route_id).version == version, "a preview writes nothing"

    moved = await direct.client.post(path, headers=portal.headers(operator, "move-1"), json=BODY)
    assert moved.status_code == 200, moved.text
    assert moved.json()["version"] == version + 1
    again = await direct.client.post(path, headers=portal.headers(operator, "move-1"), json=BODY)
    assert again.json() == moved.json()
    assert [type(e) for e in direct.routes.history(route_id)].count(RegulationChanged) == 1

    route = await direct.client.get(f"/routes/{route_id}", headers=portal.headers(operator))
    assert route.json()["profile"] == "sakha@2"
    history = await direct.client.get(
        f"/routes/{route_id}/history", headers=portal.headers(operator)
    )
    lines = [line["summary"] for line in history.json()["events"]]
    assert lines[0] == "ИОМ открыт: Республика Саха (Якутия), регламент sakha@1"
    assert lines[-1].startswith("ИОМ переведён с редакции sakha@1 на редакцию sakha@2")


async def test_a_route_that_cannot_move_is_refused(direct: Direct, portal: Portal) -> None:
    route_id = signed_by_both(direct)
    path = f"/routes/{route_id}/migration"
    operator = portal.token(Role.OPERATOR, "op-1")
    unmapped = BODY | {"mapping": {}}
    refused = await direct.client.post(
        path, headers=portal.headers(operator, "move-1"), json=unmapped
    )
    assert refused.status_code == 422, refused.text
    problem = refused.json()
    assert (problem["rule"], problem["field"]) == (
        "mapping_competence",
        "mapping.competences.communicative",
    )
    assert (
        "«communicative» (входная диагностика) не переходит в редакцию sakha@2" in problem["detail"]
    )
    assert direct.routes.route(route_id).profile.key == "sakha@1"

    head = portal.token(Role.CENTRE_HEAD, "centre-head-sakha")
    forbidden = await direct.client.post(path, headers=portal.headers(head, "m-2"), json=BODY)
    assert (forbidden.status_code, forbidden.json()["rule"]) == (403, "role")
