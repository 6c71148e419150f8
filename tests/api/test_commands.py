"""Commands on the in-process API: idempotency keys (kept across a restart), bad input and the
route's refusals as problem details naming the field and the rule, with nothing written."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from aggregates.values import Role
from api.endpoints import commands
from tests.api.conftest import Direct, direct_app, serving
from tests.api.support import Portal

TEACHER_CLAIMS: dict[str, Any] = {"school": "school-sakha-02", "teacher_id": "teacher-sakha-00001"}


def teacher_token(portal: Portal) -> str:
    return portal.token(Role.TEACHER, "portal-user-1", **TEACHER_CLAIMS)


async def test_the_same_key_and_body_answers_once(direct: Direct, portal: Portal) -> None:
    _, route_id = direct.route_in_agreement()
    route = direct.routes.route(route_id)
    path = f"/routes/{route_id}/commands/agree_route"
    headers = portal.headers(teacher_token(portal), "agree-1")
    body = {"plan_hash": route.plan_hash, "comment": "Согласен"}
    first = await direct.client.post(path, headers=headers, json=body)
    assert first.status_code == 200, first.text
    assert "Idempotent-Replayed" not in first.headers
    # Sent again, and again at once twice: the first answer, nothing appended.
    again = [await direct.client.post(path, headers=headers, json=body)]
    again += await asyncio.gather(*(direct.client.post(path, headers=headers, json=body),) * 2)
    for answer in again:
        assert (answer.status_code, answer.json()) == (200, first.json())
        assert answer.headers["Idempotent-Replayed"] == "true"
    assert direct.routes.route(route_id).version == route.version + 1
    # A fresh token (a new action of the same user) with the same key: still the first answer.
    headers = portal.headers(teacher_token(portal), "agree-1")
    assert (await direct.client.post(path, headers=headers, json=body)).json() == first.json()
    # The same key with another body: refused, nothing written.
    other = await direct.client.post(path, headers=headers, json=body | {"comment": "Другое"})
    assert other.status_code == 422
    assert other.json()["type"] == "urn:iom:problem:idempotency-key-reuse"
    assert other.json()["field"] == "Idempotency-Key"
    assert direct.routes.route(route_id).version == route.version + 1


async def test_concurrent_first_requests_append_one_event(direct: Direct, portal: Portal) -> None:
    _, route_id = direct.route_in_agreement()
    route = direct.routes.route(route_id)
    path = f"/routes/{route_id}/commands/agree_route"
    headers = portal.headers(teacher_token(portal), "agree-together")
    body = {"plan_hash": route.plan_hash}
    answers = await asyncio.gather(
        *(direct.client.post(path, headers=headers, json=body) for _ in range(4))
    )
    assert {a.status_code for a in answers} == {200}
    assert len({a.json()["version"] for a in answers}) == 1
    assert direct.routes.route(route_id).version == route.version + 1


async def test_answers_are_kept_across_a_restart(
    direct: Direct, portal: Portal, sqlite_url: str
) -> None:
    _, route_id = direct.route_in_agreement()
    route = direct.routes.route(route_id)
    path = f"/routes/{route_id}/commands/agree_route"
    headers = portal.headers(teacher_token(portal), "agree-restart")
    first = await direct.client.post(path, headers=headers, json={"plan_hash": route.plan_hash})
    refused = await direct.client.post(
        f"/routes/{route_id}/commands/submit_route",
        headers=portal.headers(teacher_token(portal), "submit-restart"),
        json={},
    )
    assert refused.status_code == 409
    app, gateway = direct_app(direct.routes, portal)  # a new process on the same store
    async with serving(app) as client:
        again = await client.post(path, headers=headers, json={"plan_hash": route.plan_hash})
        refused_again = await client.post(
            f"/routes/{route_id}/commands/submit_route",
            headers=portal.headers(teacher_token(portal), "submit-restart"),
            json={},
        )
    assert (again.status_code, again.json()) == (200, first.json())
    assert (refused_again.status_code, refused_again.json()) == (409, refused.json())
    assert gateway.executed == []  # answered from the kept answers


async def test_a_command_needs_an_idempotency_key(direct: Direct, portal: Portal) -> None:
    _, route_id = direct.route_in_agreement()
    path = f"/routes/{route_id}/commands/agree_route"
    token = teacher_token(portal)
    for key, rule in ((None, "required"), ("has spaces", "format"), ("x" * 129, "format")):
        body = {"plan_hash": "0" * 64}
        answer = await direct.client.post(path, headers=portal.headers(token, key), json=body)
        assert answer.status_code == 400
        assert (answer.json()["rule"], answer.json()["field"]) == (rule, "Idempotency-Key")
    assert direct.gateway.executed == []


async def test_bad_input_names_the_field_and_rule(direct: Direct, portal: Portal) -> None:
    demo, route_id = direct.route_in_agreement()
    version = direct.routes.route(route_id).version
    methodist = portal.token(Role.METHODIST, demo.actor(Role.METHODIST).id)
    cases: list[tuple[str, Any, int, str, str, str]] = [
        ("agree_route", {}, 422, "invalid-request", "plan_hash", "missing"),
        (
            "agree_route",
            {"plan_hash": "0" * 64, "vote": 1},
            422,
            "invalid-request",
            "vote",
            "extra",
        ),
        ("agree_route", {"plan_hash": "x"}, 422, "invalid-request", "plan_hash", "string_pattern"),
        (
            "complete_activity",
            {"activity_id": "a1", "completed_on": "вчера", "result": "ok"},
            422,
            "invalid-request",
            "completed_on",
            "date",
        ),
        ("agree_route", [1, 2], 422, "invalid-request", "body", "model"),
        ("agree_route", {"plan_hash": "0" * 64}, 422, "invalid-command", "plan_hash", "content"),
        ("record_conclusions", {"outcome": "completed", "text": "Итоги"}, 409, "stage", "", ""),
    ]
    for name, body, status, kind, field, rule in cases:
        answer = await direct.client.post(
            f"/routes/{route_id}/commands/{name}",
            headers=portal.headers(methodist, f"bad-{name}-{len(str(body))}"),
            json=body,
        )
        assert answer.status_code == status, answer.text
        assert answer.headers["content-type"] == "application/problem+json"
        problem = answer.json()
        assert problem["type"] == f"urn:iom:problem:{kind}", problem
        assert (problem["field"] or "") == field, problem
        assert (problem["rule"] or "").startswith(rule), problem
        assert problem["detail"]
    assert direct.routes.route(route_id).version == version  # nothing written


async def test_a_plan_with_a_bad_activity_points_at_it(direct: Direct, portal: Portal) -> None:
    demo, route_id = direct.route_in_agreement()
    plan = direct.routes.route(route_id).plan
    assert plan is not None
    broken = plan.model_dump(mode="json")
    broken["activities"][0]["title"] = ""
    del broken["goal"]
    answer = await direct.client.post(
        f"/routes/{route_id}/commands/design_route",
        headers=portal.headers(portal.token(Role.METHODIST, demo.actor(Role.METHODIST).id), "d"),
        json={"plan": broken},
    )
    assert answer.status_code == 422
    problem = answer.json()
    fields = {(e["field"], e["rule"]) for e in problem["errors"]}
    assert fields == {("plan.goal", "missing"), ("plan.activities[0].title", "string_too_short")}
    assert "plan.goal" in problem["detail"]


async def test_one_key_with_two_bodies_at_once_applies_one(direct: Direct, portal: Portal) -> None:
    _, route_id = direct.route_in_agreement()
    route = direct.routes.route(route_id)
    path = f"/routes/{route_id}/commands/agree_route"
    headers = portal.headers(teacher_token(portal), "agree-race")
    bodies = [{"plan_hash": route.plan_hash, "comment": comment} for comment in ("да", "нет")]
    answers = await asyncio.gather(
        *(direct.client.post(path, headers=headers, json=body) for body in bodies)
    )
    assert sorted(a.status_code for a in answers) == [200, 422]
    refused = next(a for a in answers if a.status_code == 422)
    assert refused.json()["rule"] == "idempotency_key_reuse"
    assert direct.routes.route(route_id).version == route.version + 1
    applied = next(a for a in answers if a.status_code == 200)
    again = await direct.client.post(path, headers=headers, json=bodies[answers.index(applied)])
    assert (again.status_code, again.json()) == (200, applied.json())


async def test_no_answer_in_time_is_not_kept(
    direct: Direct, portal: Portal, monkeypatch: pytest.MonkeyPatch
) -> None:
    _, route_id = direct.route_in_agreement()
    route = direct.routes.route(route_id)
    path = f"/routes/{route_id}/commands/agree_route"
    headers = portal.headers(teacher_token(portal), "agree-slow")
    body = {"plan_hash": route.plan_hash}
    answer_in_time = direct.gateway.execute

    async def no_worker(*args: Any) -> int:
        await asyncio.sleep(60)
        raise AssertionError("not reached")

    monkeypatch.setattr(commands, "COMMAND_TIMEOUT", 0.1)
    monkeypatch.setattr(direct.gateway, "execute", no_worker)
    late = await direct.client.post(path, headers=headers, json=body)
    assert late.status_code == 504
    assert late.json()["type"] == "urn:iom:problem:timeout"
    monkeypatch.setattr(direct.gateway, "execute", answer_in_time)
    retried = await direct.client.post(path, headers=headers, json=body)
    assert retried.status_code == 200
    assert retried.json()["version"] == route.version + 1
