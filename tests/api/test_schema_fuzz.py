"""The API against its own OpenAPI document (schemathesis): for every operation, requests
generated from the schema, valid and invalid, sent to the app in process (the direct gateway,
a SQLite store with demo routes, a centre head's token). No answer is a 5xx, and every answer
conforms to the document: its status documented, its body of its schema, errors as problem
details. Beside them, the malformed requests a portal's bug could send, stated outright."""

from __future__ import annotations

from collections import Counter
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import schemathesis
from fastapi import FastAPI
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis.checks import not_a_server_error
from schemathesis.config import SchemathesisConfig
from schemathesis.generation import GenerationMode
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from aggregates.application import Routes
from aggregates.profiles import ProfileCatalogue, Stage, load_profiles
from aggregates.values import Role
from api.app import create_app
from api.problems import MEDIA_TYPE
from projections.catalog import catch_up
from runtime.settings import store_env
from tests.api.conftest import Direct
from tests.api.support import Portal
from tests.api.test_batch import batch_services
from workers.demo import write_demo

EXAMPLES = 50
"""Generated requests per operation and generation mode (a few thousand in all, well under a
minute on two cores)."""
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    negative_data_rejection,
]
MAX_BODY = 64 * 1024
"""A small body limit, so that generated bodies past it meet the 413 too."""
REJECTED = ["400", "401", "403", "404", "409", "413", "422"]
"""The answers a request that does not fit the document may get (413: a body over the limit)."""
UNFUZZED = {"GET /health/ready"}
"""Its 503 is the designed answer here: the direct gateway has no Temporal to reach."""


@pytest.fixture(scope="module")
def fuzzed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[FastAPI, str, Routes]]:
    """The app on a store with a few demo routes, a portal and a centre head's token."""
    folder: Path = tmp_path_factory.mktemp("fuzz")
    routes = Routes(
        store_env(f"sqlite:///{folder / 'iom.sqlite3'}"),
        profiles=ProfileCatalogue(load_profiles()),
    )
    write_demo(routes, "sakha", 3, until=Stage.IMPLEMENTATION)
    catch_up(routes, "monitoring")  # the lists and the campaign report read it
    portal = Portal()
    services, _ = batch_services(routes, portal)
    app = create_app(portal.settings(api_rate_per_minute=0, api_max_body_bytes=MAX_BODY), services)
    token = portal.token(Role.CENTRE_HEAD, "centre-head-1", lifetime=900)
    yield app, token, routes
    routes.close()


@pytest.fixture(scope="module")
def api_schema(fuzzed: tuple[FastAPI, str, Routes]) -> Any:
    app, _, _ = fuzzed
    config = SchemathesisConfig.from_dict(
        {"checks": {"negative_data_rejection": {"expected-statuses": REJECTED}}}
    )
    return schemathesis.openapi.from_asgi("/openapi.json", app, config=config)


def fuzz(operation: Any, mode: GenerationMode, headers: dict[str, str]) -> int:
    """Send the operation's generated requests, checking each answer; how many were sent."""
    sent = 0
    known = {parameter.name for parameter in operation.query}

    def asks_known(case: Any) -> bool:
        # The API ignores a query parameter it does not know, as HTTP APIs do; schemathesis
        # takes the query for a closed set, so such a request is no breach of the document.
        # A query string holds only text: a "wrong type" that serialises to text a string
        # parameter accepts (`[true]` becomes `?municipality=true`) is no breach either.
        query = case.query or {}
        return set(query) <= known and not any(
            isinstance(value, (list, dict, bool)) or value is None for value in query.values()
        )

    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        suppress_health_check=list(HealthCheck),
        derandomize=True,
        database=None,
    )
    @given(case=operation.as_strategy(generation_mode=mode).filter(asks_known))
    def send(case: Any) -> None:
        nonlocal sent
        sent += 1
        case.call_and_validate(headers=headers, checks=CHECKS)

    send()
    return sent


@pytest.mark.parametrize("mode", list(GenerationMode))
def test_every_answer_conforms_to_the_document(
    api_schema: Any, fuzzed: tuple[FastAPI, str, Routes], mode: GenerationMode
) -> None:
    _, token, _ = fuzzed
    headers = {"Authorization": f"Bearer {token}"}
    sent: Counter[str] = Counter()
    failures: list[str] = []
    for result in api_schema.get_all_operations():
        operation = result.ok()
        if operation.label in UNFUZZED:
            continue
        try:
            sent[operation.label] = fuzz(operation, mode, headers)
        except BaseExceptionGroup as found:  # schemathesis's failures: each operation's reported
            failures.append(f"{operation.label}: {found}")
        except Unsatisfiable:  # nothing to send that breaks the schema (no parameters, no body)
            assert mode is GenerationMode.NEGATIVE
    assert not failures, "\n\n".join(failures)
    print(f"{mode}: {sum(sent.values())} requests over {len(sent)} operations")
    assert sum(sent.values()) >= 1000, sent


def centre(portal: Portal, key: str) -> dict[str, str]:
    return portal.headers(portal.token(Role.CENTRE_HEAD, "centre-head-1"), key)


def problem_of(answer: httpx.Response, status: int) -> dict[str, Any]:
    assert answer.status_code == status, answer.text
    assert answer.headers["content-type"] == MEDIA_TYPE
    found: dict[str, Any] = answer.json()
    assert found["status"] == status
    return found


async def test_malformed_json_is_a_problem(direct: Direct, portal: Portal) -> None:
    headers = centre(portal, "broken-1") | {"Content-Type": "application/json"}
    sent = await direct.client.post("/routes", content=b'{"route_key": ', headers=headers)
    assert problem_of(sent, 422)["rule"] == "json_invalid"
    sent = await direct.client.post("/routes/batch", content=b"\xff\xfe", headers=headers)
    assert problem_of(sent, 422)["type"] == "urn:iom:problem:invalid-request"
    for path in ("/routes/batch", "/webhooks"):  # bytes that are not UTF-8: unreadable, not a 400
        sent = await direct.client.post(path, content=b"a\x80\x81", headers=headers)
        assert (problem_of(sent, 422)["rule"], problem_of(sent, 422)["field"]) == (
            "json_invalid",
            "body",
        )


async def test_wrong_types_name_the_field(direct: Direct, portal: Portal) -> None:
    headers = centre(portal, "types-1")
    body = {"items": [{"route_id": "not-a-uuid", "diagnostic": {"tasks": "many"}}]}
    found = problem_of(
        await direct.client.post("/diagnostics/batch", json=body, headers=headers), 422
    )
    fields = {e["field"] for e in found["errors"]}
    assert {
        "items[0].route_id",
        "items[0].diagnostic.tasks",
        "items[0].diagnostic.taken_on",
    } <= fields
    found = problem_of(await direct.client.post("/routes/batch", json=[1, 2], headers=headers), 422)
    assert found["field"] == "body"
    listed = await direct.client.get("/monitoring/routes?limit=many", headers=headers)
    assert problem_of(listed, 422)["field"] == "limit"


async def test_unknown_fields_are_refused(direct: Direct, portal: Portal) -> None:
    headers = centre(portal, "unknown-1")
    body = {
        "route_key": "k-1",
        "teacher_id": "t-1",
        "school_id": "s-1",
        "municipality_id": "m-1",
        "subject": "физика",
        "salary": 1,
    }
    found = problem_of(await direct.client.post("/routes", json=body, headers=headers), 422)
    assert (found["field"], found["rule"]) == ("salary", "extra_forbidden")
    sent = await direct.client.post("/routes/batch", json={"items": [body]}, headers=headers)
    assert problem_of(sent, 422)["field"] == "items[0].salary"
    assert list(direct.routes.route_ids()) == []


async def test_huge_bodies_are_refused_unread(direct: Direct, portal: Portal) -> None:
    headers = centre(portal, "huge-1") | {"Content-Type": "application/json"}
    limit = direct.app.state.settings.api_max_body_bytes
    huge = b'{"items": [' + b'{"a": 1},' * (limit // 8) + b'{"a": 1}]}'
    sent = await direct.client.post("/routes/batch", content=huge, headers=headers)
    assert problem_of(sent, 413)["rule"] == "max_body_bytes"

    async def streamed() -> AsyncIterator[bytes]:
        for start in range(0, len(huge), 65536):
            yield huge[start : start + 65536]

    sent = await direct.client.post("/diagnostics/batch", content=streamed(), headers=headers)
    assert problem_of(sent, 413)["rule"] == "max_body_bytes"
