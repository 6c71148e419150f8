"""Separation of duties over HTTP: a breach is a 403 problem of its own kind under the rule
`separation_of_duties`, in Russian naming the places and the clause, and writes nothing."""

from __future__ import annotations

from datetime import timedelta

from aggregates.commands import AgreeRoute
from aggregates.values import Role
from tests.api.conftest import Direct
from tests.api.support import Portal


async def test_the_methodist_agreeing_as_the_centre_head_is_a_problem(
    direct: Direct, portal: Portal
) -> None:
    demo, route_id = direct.route_in_agreement()
    plan_hash = direct.routes.route(route_id).plan_hash or ""
    for role in (Role.METHODIST, Role.TEACHER):
        demo.run(AgreeRoute(plan_hash=plan_hash), role, f"agree-{role}")
    version = direct.routes.route(route_id).version
    path = f"/routes/{route_id}/commands/agree_route"
    methodist = demo.actor(Role.METHODIST).id
    token = portal.token(Role.CENTRE_HEAD, methodist)
    answer = await direct.client.post(
        path, headers=portal.headers(token, "agree-as-head"), json={"plan_hash": plan_hash}
    )
    assert answer.status_code == 403, answer.text
    problem = answer.json()
    assert problem["type"] == "urn:iom:problem:separation-of-duties"
    assert problem["title"] == "Одно лицо не может выступать за две стороны ИОМ"
    assert problem["rule"] == "separation_of_duties"
    assert "«методист» и «руководитель ЦНППМ»" in problem["detail"]
    assert "ИОМ 3.4" in problem["detail"]
    assert problem["retryable"] is False
    assert direct.routes.route(route_id).version == version
    # The centre head in person: accepted.
    head = portal.token(Role.CENTRE_HEAD, demo.actor(Role.CENTRE_HEAD).id)
    agreed = await direct.client.post(
        path, headers=portal.headers(head, "agree-head"), json={"plan_hash": plan_hash}
    )
    assert agreed.status_code == 200, agreed.text


async def test_a_deputy_acts_for_the_centre_head_by_the_tokens_order(
    direct: Direct, portal: Portal
) -> None:
    demo, route_id = direct.route_in_agreement(2)
    plan_hash = direct.routes.route(route_id).plan_hash or ""
    for role in (Role.METHODIST, Role.TEACHER):
        demo.run(AgreeRoute(plan_hash=plan_hash), role, f"agree-{role}")
    path = f"/routes/{route_id}/commands/agree_route"
    today = direct.routes.clock().date()

    def acting(starts: int, ends: int) -> dict[str, str]:
        return {
            "head_id": demo.actor(Role.CENTRE_HEAD).id,
            "order": "Приказ ЦНППМ № 41-к",
            "starts_on": (today + timedelta(days=starts)).isoformat(),
            "ends_on": (today + timedelta(days=ends)).isoformat(),
        }

    late = portal.token(Role.CENTRE_HEAD, "deputy-cnppm", acting_for=acting(-20, -2))
    refused = await direct.client.post(
        path, headers=portal.headers(late, "acting-late"), json={"plan_hash": plan_hash}
    )
    assert refused.status_code == 403, refused.text
    assert (refused.json()["rule"], refused.json()["field"]) == ("acting_period", "acting_for")
    malformed = portal.token(Role.CENTRE_HEAD, "deputy-cnppm", acting_for={"order": "№ 41"})
    unreadable = await direct.client.post(
        path, headers=portal.headers(malformed, "acting-bad"), json={"plan_hash": plan_hash}
    )
    assert (unreadable.status_code, unreadable.json()["field"]) == (401, "acting_for")
    current = portal.token(Role.CENTRE_HEAD, "deputy-cnppm", acting_for=acting(-2, 2))
    agreed = await direct.client.post(
        path, headers=portal.headers(current, "acting-now"), json={"plan_hash": plan_hash}
    )
    assert agreed.status_code == 200, agreed.text
    event = direct.routes.history(route_id)[-1]
    assert event.actor.id == "deputy-cnppm"
    assert event.acting_for is not None and event.acting_for.head_id == "centre-head-sakha"
