"""Text and dates through the API (issue 23, defects 1, 5 and 12): what no store or document can
hold, a text past its limit and an implausible date answer 422 naming the field and the
character or date, and nothing is written; what is accepted is stored normalised, and the
projections on PostgreSQL catch up with it."""

from __future__ import annotations

import asyncio
import json
import random
import uuid
from contextlib import AsyncExitStack
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

import pytest
from hypothesis import HealthCheck, given, settings

from aggregates.application import Routes
from aggregates.commands import PERSON_COMMANDS
from aggregates.profiles import ProfileCatalogue, Stage
from aggregates.values import Role
from projections.catalog import PROJECTIONS, catch_up
from runtime.settings import store_env
from tests.api.conftest import Direct, Region, direct_app, serving
from tests.api.support import Portal
from tests.support.text import free_text_fields, kept, minimal, put, texts
from workers.demo import DemoRoute

API_EXAMPLES = settings(
    max_examples=25,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


def today() -> str:
    """Today in UTC: every region is east of UTC, so never ahead of the region's today."""
    return datetime.now(UTC).date().isoformat()


def methodist_token(direct: Direct, route_id: UUID, portal: Portal) -> str:
    methodist = direct.routes.route(route_id).methodist_id
    assert methodist is not None
    return portal.token(Role.METHODIST, methodist)


def teacher_token(direct: Direct, route_id: UUID, portal: Portal) -> str:
    route = direct.routes.route(route_id)
    return portal.token(
        Role.TEACHER, "portal-teacher", school=route.school_id, teacher_id=route.teacher_id
    )


async def refused(
    direct: Direct, route_id: UUID, token: str, name: str, body: dict[str, Any]
) -> dict[str, Any]:
    """The problem a command answers with, having checked that nothing was written."""
    version = direct.routes.route(route_id).version
    answer = await direct.client.post(
        f"/routes/{route_id}/commands/{name}", headers=_headers(token), json=body
    )
    assert answer.status_code == 422, answer.text
    assert answer.headers["content-type"] == "application/problem+json"
    assert direct.routes.route(route_id).version == version
    assert direct.gateway.executed == []
    problem: dict[str, Any] = answer.json()
    return problem


def _headers(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}", "Idempotency-Key": uuid.uuid4().hex}


async def test_the_issues_examples_answer_422_naming_the_field(
    region: Region, portal: Portal
) -> None:
    route_id, direct = region.sakha[0], region.direct
    methodist = methodist_token(direct, route_id, portal)
    problem = await refused(
        direct,
        route_id,
        methodist,
        "record_interim_result",
        {"recorded_on": today(), "text": "до\u0000после"},
    )
    assert (problem["field"], problem["rule"]) == ("text", "text_unprintable")
    assert problem["errors"][0]["detail"] == "недопустимый символ U+0000 в позиции 3"
    assert "text: недопустимый символ U+0000 в позиции 3" in problem["detail"]

    teacher = teacher_token(direct, route_id, portal)
    problem = await refused(
        direct,
        route_id,
        teacher,
        "mark_activity_not_done",
        {"activity_id": "a1", "reason": "болезнь\x00"},
    )
    assert (problem["field"], problem["rule"]) == ("reason", "text_unprintable")

    body = {"activity_id": "a1", "completed_on": today(), "result": "Выполнено"}
    problem = await refused(
        direct, route_id, teacher, "complete_activity", body | {"product": "x" * 1_000_008}
    )
    assert (problem["field"], problem["rule"]) == ("product", "string_too_long")

    problem = await refused(
        direct,
        route_id,
        methodist,
        "record_interim_result",
        {"recorded_on": "0001-01-01", "text": "Итог"},
    )
    assert (problem["field"], problem["rule"]) == ("recorded_on", "date_implausible")
    assert "01.01.0001" in problem["errors"][0]["detail"]


@pytest.mark.parametrize(
    ("name", "path"),
    [
        pytest.param(name, field.path, id=f"{name}:{field.dotted}")
        for name, command in PERSON_COMMANDS.items()
        for field in free_text_fields(command)
    ],
)
async def test_every_text_field_of_every_command_refuses_nul(
    direct: Direct, portal: Portal, name: str, path: tuple[str | int, ...]
) -> None:
    _, route_id = direct.route_in_agreement()
    body = minimal(PERSON_COMMANDS[name])
    put(body, path, "до\x00после")
    token = methodist_token(direct, route_id, portal)
    problem = await refused(direct, route_id, token, name, body)
    field = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in path).lstrip(".")
    assert (problem["field"], problem["rule"]) == (field, "text_unprintable")


async def test_batch_items_refuse_text_naming_the_item(direct: Direct, portal: Portal) -> None:
    centre = portal.token(Role.CENTRE_HEAD, "centre-head-1")
    opening = {
        "route_key": "k-1",
        "teacher_id": "t-1",
        "school_id": "s-1",
        "municipality_id": "m-1",
        "subject": "мате\x1bматика",
    }
    answer = await direct.client.post(
        "/routes/batch", headers=_headers(centre), json={"items": [opening]}
    )
    assert answer.status_code == 422, answer.text
    assert (answer.json()["field"], answer.json()["rule"]) == (
        "items[0].subject",
        "text_unprintable",
    )
    single = await direct.client.post("/routes", headers=_headers(centre), json=opening)
    assert (single.json()["field"], single.json()["rule"]) == ("subject", "text_unprintable")
    assert list(direct.routes.route_ids()) == []


async def test_the_limits_and_the_date_window_are_documented(direct: Direct) -> None:
    schema = (await direct.client.get("/openapi.json")).json()["components"]["schemas"]
    completed = schema["CompleteActivity"]["properties"]
    for field in ("result", "product", "self_assessment", "employer_assessment"):
        assert completed[field]["maxLength"] == 4000
    assert "не ранее 01.01.2000" in completed["completed_on"]["description"]
    assert schema["RecordInterimResult"]["properties"]["text"]["x-iom-text"] == "lines"


def test_generated_text_is_refused_or_stored_and_projected_on_postgres(
    pg_url: str, portal: Portal, catalogue: ProfileCatalogue
) -> None:
    routes = Routes(store_env(pg_url), profiles=catalogue)
    loop = asyncio.new_event_loop()
    served = AsyncExitStack()
    try:
        profile = routes.profiles.latest("sakha")
        demo = DemoRoute(routes, profile, 1, random.Random(1), routes.clock().date())
        route_id = demo.drive(until=Stage.IMPLEMENTATION)
        for name in PROJECTIONS:
            catch_up(routes, name)
        app, _ = direct_app(routes, portal)
        client = loop.run_until_complete(served.enter_async_context(serving(app)))
        path = f"/routes/{route_id}/commands/record_interim_result"

        @API_EXAMPLES
        @given(text=texts(4000))
        def send(text: str) -> None:
            token = portal.token(Role.METHODIST, demo.actor(Role.METHODIST).id)
            version = routes.route(route_id).version
            # JSON escapes a lone surrogate as `\ud800`: a client may send one so.
            body = json.dumps({"recorded_on": today(), "text": text})
            headers = _headers(token) | {"Content-Type": "application/json"}
            answer = loop.run_until_complete(client.post(path, headers=headers, content=body))
            expected = kept(text, multiline=True)
            if answer.status_code == 422:
                assert answer.json()["field"] == "text", answer.text
                assert expected is None or not 1 <= len(expected) <= 4000
                assert routes.route(route_id).version == version
            else:
                assert answer.status_code == 200, answer.text
                assert routes.route(route_id).interim_results[-1].text == expected
            for name in PROJECTIONS:
                catch_up(routes, name)

        send()
    finally:
        loop.run_until_complete(served.aclose())
        loop.close()
        routes.close()
