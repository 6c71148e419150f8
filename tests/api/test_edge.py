"""What a client controls never answers 500 nor resets the connection: a query or path
parameter of any text or bytes, a forged or foreign cursor, a token of any size, headers of any
size each get a 4xx problem, on a real uvicorn server whose keep-alive connection stays usable."""

from __future__ import annotations

import base64
import hashlib
import json
import threading
import time
import uuid
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote_from_bytes

import httpx
import pytest
import uvicorn
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import SecretStr

from adapters.personal import PersonalDataStore
from aggregates.application import Routes
from aggregates.profiles import ProfileCatalogue
from aggregates.values import Role
from api.app import create_app
from api.auth import TokenVerifier
from api.edge import SERVER_HEADER_BYTES
from api.idempotency import IdempotencyStore
from api.services import Services
from runtime.settings import Settings, store_env
from tests.api.conftest import Region
from tests.api.support import DirectGateway, Portal
from tests.support.servers import free_port
from workers.context import api_services

PROBLEM = "application/problem+json"
PATH_VALUES = {
    "route_id": "3f1c9a52-7d7e-5b1a-9c55-0e6a1f0a2b11",
    "doc": "monitoring",
    "teacher_id": "teacher-sakha-00001",
    "webhook_id": "3f1c9a52-7d7e-5b1a-9c55-0e6a1f0a2b12",
}


@pytest.fixture
def served(pg_url: str, portal: Portal, catalogue: ProfileCatalogue) -> Iterator[str]:
    """The API on a real uvicorn server (127.0.0.1, a free port, as `iom api` runs it) over a
    PostgreSQL store (which keeps no NUL), commands decided at once; its base URL."""
    routes = Routes(store_env(pg_url), profiles=catalogue)
    given = portal.settings(api_rate_per_minute=0)
    personal = PersonalDataStore.from_recorder(routes.recorder)
    personal.create_tables()
    verifier = TokenVerifier.from_settings(given)
    services = Services(routes, DirectGateway(routes), verifier, IdempotencyStore(routes), personal)
    port = free_port()
    config = uvicorn.Config(
        create_app(given, services),
        host="127.0.0.1",
        port=port,
        log_config=None,
        access_log=False,
        h11_max_incomplete_event_size=SERVER_HEADER_BYTES,
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        assert time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=30)
        routes.close()


def get_operations() -> list[tuple[str, str, str]]:
    """(path template, location, name) of every parameter of every GET operation."""
    settings = Settings(portal_jwt_secret=SecretStr("s" * 32))
    document = create_app(settings, api_services(settings)).openapi()
    return [
        (path, parameter["in"], parameter["name"])
        for path, operations in document["paths"].items()
        if "get" in operations
        for parameter in operations["get"].get("parameters", [])
    ]


OPERATIONS = get_operations()

raw_text = st.lists(
    st.characters() | st.sampled_from(["\x00", "\ud800", "\udfff", "\x1b", "%", "&", "="]),
    max_size=12,
).map(lambda chars: quote_from_bytes("".join(chars).encode("utf-8", "surrogatepass"), safe=""))
raw_value = raw_text | st.sampled_from(["%", "%zz", "%E0%A4", "%ED%A0%80", "%00", "%C0%80"])


def url_of(path: str, location: str, name: str, value: str) -> httpx.URL:
    filled = path
    for key, fitting in PATH_VALUES.items():
        filled = filled.replace(
            f"{{{key}}}", value if (location, name) == ("path", key) else fitting
        )
    query = f"{quote_from_bytes(name.encode())}={value}" if location == "query" else ""
    return httpx.URL(filled, query=query.encode("ascii"))


def centre_head(portal: Portal) -> dict[str, str]:
    return portal.headers(portal.token(Role.CENTRE_HEAD, "centre-1", lifetime=600))


@settings(
    max_examples=300,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(operation=st.sampled_from(OPERATIONS), value=raw_value)
def test_any_parameter_of_any_get_is_answered_below_500(
    served: str, portal: Portal, operation: tuple[str, str, str], value: str
) -> None:
    with httpx.Client(base_url=served, headers=centre_head(portal)) as client:
        answer = client.get(url_of(*operation, value))
    assert answer.status_code < 500, (operation, value, answer.text)
    if answer.status_code >= 400:
        assert answer.headers["content-type"] == PROBLEM, (operation, value)


@pytest.mark.parametrize("value", ["%00", "a%00b", "%ED%A0%80", "%zz", "%E0%A4", "%1B"])
@pytest.mark.parametrize("name", ["school", "subject", "municipality", "methodist", "sort"])
async def test_a_nul_or_lone_surrogate_in_a_filter_is_a_422_naming_it(
    region: Region, portal: Portal, name: str, value: str
) -> None:
    url = httpx.URL("/monitoring/routes", query=f"{name}={value}".encode())
    answer = await region.client.get(url, headers=centre_head(portal))
    assert answer.status_code == 422, answer.text
    assert answer.headers["content-type"] == PROBLEM
    assert answer.json()["field"] == name
    assert answer.json()["rule"] in {"encoding", "control_character"}


@pytest.mark.parametrize("value", ["3.74371420443915e-245", "0", "1700000000", "2026-13-01x"])
async def test_a_number_is_not_taken_for_a_date_or_a_moment(
    region: Region, portal: Portal, value: str
) -> None:
    """pydantic reads a number as a Unix time; a query's date or moment is its ISO text only."""
    asked = [
        ("/reports/campaign", {"from": value}, "from"),
        (f"/routes/{region.sakha[0]}", {"as_of": value}, "as_of"),
    ]
    for path, params, field in asked:
        answer = await region.client.get(path, params=params, headers=centre_head(portal))
        assert answer.status_code == 422, (path, answer.text)
        assert answer.json()["field"] == field


def signed_cursor_of_old(document: dict[str, Any]) -> str:
    """A cursor as anyone could forge one before cursors were keyed (an unkeyed digest)."""
    payload = json.dumps(document, separators=(",", ":")).encode()
    digest = hashlib.sha256(b"iom-cursor:" + payload).digest()[:8]
    return base64.urlsafe_b64encode(payload + digest).decode().rstrip("=")


async def test_a_forged_cursor_is_a_422(region: Region, portal: Portal) -> None:
    auditor = portal.headers(portal.token(Role.AUDITOR, "auditor-1"))
    forgeries = [
        signed_cursor_of_old({"l": "routes", "s": [], "p": [float("inf"), None]}),
        base64.urlsafe_b64encode(b'{"s":[],"p":[Infinity,NaN]}' + b"\0" * 16).decode(),
        signed_cursor_of_old({"l": "routes", "s": [["next_deadline", False]], "p": [1e308]}),
    ]
    for cursor in forgeries:
        answer = await region.client.get(
            "/monitoring/routes", params={"cursor": cursor}, headers=auditor
        )
        assert answer.status_code == 422, answer.text
        assert (answer.json()["field"], answer.json()["rule"]) == ("cursor", "cursor")


async def test_a_cursor_of_one_region_is_refused_in_another(region: Region, portal: Portal) -> None:
    def auditor(of: str) -> dict[str, str]:
        return portal.headers(portal.token(Role.AUDITOR, f"auditor-{of}", of))

    page = await region.client.get(
        "/monitoring/routes", params={"limit": 1}, headers=auditor("sakha")
    )
    cursor = page.json()["next_cursor"]
    same = await region.client.get(
        "/monitoring/routes", params={"limit": 1, "cursor": cursor}, headers=auditor("sakha")
    )
    assert same.status_code == 200
    foreign = await region.client.get(
        "/monitoring/routes", params={"limit": 1, "cursor": cursor}, headers=auditor("balakhta")
    )
    assert foreign.status_code == 422, foreign.text
    assert (foreign.json()["field"], foreign.json()["rule"]) == ("cursor", "cursor")


def test_the_connection_outlives_every_refusal(served: str, portal: Portal) -> None:
    good = centre_head(portal)
    huge_token = portal.token(Role.CENTRE_HEAD, "centre-1", padding="x" * 9000)
    string_exp = portal.token(Role.CENTRE_HEAD, "centre-1", exp="never")
    refusals: list[tuple[dict[str, Any], int, str | None]] = [
        ({"url": httpx.URL("/monitoring/routes", query=b"school=%00")}, 422, "control_character"),
        ({"url": httpx.URL("/monitoring/routes", query=b"subject=%ED%A0%80")}, 422, "encoding"),
        (
            {"url": "/monitoring/routes", "params": {"cursor": "eyJwIjpbSW5maW5pdHldfQ"}},
            422,
            "cursor",
        ),
        ({"url": "/monitoring/routes", "headers": portal.headers(string_exp)}, 401, "claims"),
        ({"url": "/monitoring/routes", "headers": portal.headers(huge_token)}, 401, "too_large"),
        (
            {"url": "/monitoring/routes", "headers": {"X-Filler": "y" * 20_000}},
            431,
            "max_header_bytes",
        ),
        ({"url": f"/routes/{uuid.uuid4()}"}, 404, "not_found"),
    ]
    with httpx.Client(base_url=served, headers=good) as client:
        first = client.get("/monitoring/routes")
        assert first.status_code == 200
        address = first.extensions["network_stream"].get_extra_info("client_addr")
        for request, status, rule in refusals:
            answer = client.get(**request)
            assert answer.status_code == status, (request, answer.text)
            assert answer.headers["content-type"] == PROBLEM
            assert answer.json()["rule"] == rule
            again = client.get("/monitoring/routes")
            assert again.status_code == 200
            # The same connection all along: none was reset or closed.
            assert again.extensions["network_stream"].get_extra_info("client_addr") == address
