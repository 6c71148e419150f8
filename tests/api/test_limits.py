"""The API's limits: a body too large (413), too many requests of one user (429 with
Retry-After), a page too large (422); and the metrics that move with requests and refusals."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest

from aggregates.application import Routes
from aggregates.values import Role
from api.app import create_app
from api.auth import TokenVerifier
from api.idempotency import IdempotencyStore
from api.limits import RateLimiter
from api.services import Services
from tests.api.conftest import Direct, serving
from tests.api.support import DirectGateway, Portal

PROBLEM = "application/problem+json"


async def limited(
    routes: Routes, portal: Portal, **settings: Any
) -> AsyncIterator[httpx.AsyncClient]:
    given = portal.settings(**settings)
    services = Services(
        routes, DirectGateway(routes), TokenVerifier.from_settings(given), IdempotencyStore(routes)
    )
    async with serving(create_app(given, services)) as client:
        yield client


def teacher(portal: Portal) -> dict[str, str]:
    token = portal.token(
        Role.TEACHER, "portal-user-1", school="school-sakha-02", teacher_id="teacher-sakha-00001"
    )
    return portal.headers(token, "key-1")


async def test_a_body_over_the_limit_is_refused(direct: Direct, portal: Portal) -> None:
    async for client in limited(direct.routes, portal, api_max_body_bytes=1024):
        body = {"route_key": "k" * 2000, "teacher_id": "t", "school_id": "s"}
        answer = await client.post("/routes", headers=teacher(portal), json=body)
        assert answer.status_code == 413
        assert answer.headers["content-type"] == PROBLEM
        found = answer.json()
        assert (found["type"], found["rule"]) == (
            "urn:iom:problem:payload-too-large",
            "max_body_bytes",
        )
        assert "1024" in found["detail"]

        # Streamed without a length: refused as soon as it passes the limit.
        async def chunks() -> AsyncIterator[bytes]:
            for _ in range(4):
                yield b" " * 512

        streamed = await client.post("/routes", headers=teacher(portal), content=chunks())
        assert streamed.status_code == 413
        assert streamed.json()["type"] == "urn:iom:problem:payload-too-large"
        # Within the limit: read as usual (here refused on its content).
        small = await client.post("/routes", headers=teacher(portal), json={})
        assert small.status_code == 422


async def test_too_many_requests_of_one_user(direct: Direct, portal: Portal) -> None:
    _, route_id = direct.route_in_agreement()
    async for client in limited(direct.routes, portal, api_rate_per_minute=3):
        path = f"/routes/{route_id}"
        for _ in range(3):
            assert (await client.get(path, headers=teacher(portal))).status_code == 200
        refused = await client.get(path, headers=teacher(portal))
        assert refused.status_code == 429
        assert refused.headers["content-type"] == PROBLEM
        assert refused.json()["type"] == "urn:iom:problem:rate-limited"
        assert 1 <= int(refused.headers["Retry-After"]) <= 20
        # Another user of the portal has a bucket of their own; health needs no token at all.
        centre_head = portal.token(Role.CENTRE_HEAD, "portal-user-2")
        other = await client.get(path, headers=portal.headers(centre_head))
        assert other.status_code == 200
        assert (await client.get("/health/live")).status_code == 200


def test_the_bucket_refills_evenly() -> None:
    limiter = RateLimiter(60)  # one a second
    key = ("sakha", "user")
    assert all(limiter.take(key, now=100.0) == 0 for _ in range(60))
    assert limiter.take(key, now=100.0) == pytest.approx(1.0)
    assert limiter.take(key, now=100.5) == pytest.approx(0.5)
    assert limiter.take(key, now=101.0) == 0
    assert RateLimiter(0).take(key) == 0  # off


def samples(text: str, name: str) -> Iterator[tuple[dict[str, str], float]]:
    for line in text.splitlines():
        if line.startswith(name + "{"):
            labels, value = line[len(name) + 1 :].rsplit("} ", 1)
            yield dict(re.findall(r'(\w+)="([^"]*)"', labels)), float(value)


def value(text: str, name: str, **labels: str) -> float:
    return sum(v for found, v in samples(text, name) if labels.items() <= found.items())


async def test_metrics_move_with_requests_and_refusals(direct: Direct, portal: Portal) -> None:
    _, route_id = direct.route_in_agreement()
    before = (await direct.client.get("/metrics")).text
    path = f"/routes/{route_id}"
    assert (await direct.client.get(path, headers=teacher(portal))).status_code == 200
    refused = await direct.client.post(
        f"{path}/commands/submit_route", headers=teacher(portal), json={}
    )
    assert refused.status_code == 409
    after = (await direct.client.get("/metrics")).text
    template = "/routes/{route_id}"
    asked = {"method": "GET", "route": template, "status": "200"}
    assert (
        value(after, "iom_api_requests_total", **asked)
        == value(before, "iom_api_requests_total", **asked) + 1
    )
    assert value(after, "iom_api_request_seconds_count", method="GET", route=template) >= 1
    refusal = {"command": "submit_route", "kind": "stage", "rule": "stage"}
    assert value(after, "iom_api_refusals_total", **refusal) == 1, after
    assert str(route_id) not in after  # ids never become labels
    lags = dict((labels["projection"], v) for labels, v in samples(after, "iom_projection_lag"))
    assert set(lags) == {"monitoring", "audit", "webhooks", "tasks"}
    assert lags["audit"] == direct.routes.recorder.max_notification_id()


async def test_refusals_count_the_rules_refusals_only(direct: Direct, portal: Portal) -> None:
    """A refusal by a rule moves `iom_api_refusals_total` once (not again when replayed); a
    request refused before any rule (401, 413, 400, 422 of its shape, 429) does not."""
    _, route_id = direct.route_in_agreement()
    path = f"/routes/{route_id}/commands/submit_route"

    async def refusals() -> float:
        return value((await direct.client.get("/metrics")).text, "iom_api_refusals_total")

    async for client in limited(direct.routes, portal, api_max_body_bytes=1024):
        assert (await client.post(path, json={})).status_code == 401
        bad = {"Authorization": "Bearer not-a-token", "Idempotency-Key": "k-401"}
        assert (await client.post(path, headers=bad, json={})).status_code == 401
        big = {"comment": "x" * 2000}
        assert (await client.post(path, headers=teacher(portal), json=big)).status_code == 413
        keyless = teacher(portal) | {"Idempotency-Key": " "}
        assert (await client.post(path, headers=keyless, json={})).status_code == 400
        opened = await client.post("/routes", headers=teacher(portal), json={"route_key": 1})
        assert opened.status_code == 422
        metrics = (await client.get("/metrics")).text
        assert value(metrics, "iom_api_refusals_total") == 0, metrics
    async for client in limited(direct.routes, portal, api_rate_per_minute=1):
        await client.get(f"/routes/{route_id}", headers=teacher(portal))
        assert (await client.post(path, headers=teacher(portal), json={})).status_code == 429
        assert value((await client.get("/metrics")).text, "iom_api_refusals_total") == 0

    assert await refusals() == 0
    refused = await direct.client.post(path, headers=teacher(portal), json={})
    assert refused.status_code == 409
    replayed = await direct.client.post(path, headers=teacher(portal), json={})
    assert replayed.headers["Idempotent-Replayed"] == "true"
    auditor = portal.headers(portal.token(Role.AUDITOR, "auditor-1"), "audit-1")
    read_only = await direct.client.post(path, headers=auditor, json={})
    assert read_only.status_code == 403
    text = (await direct.client.get("/metrics")).text
    counted = {
        (labels["command"], labels["kind"], labels["rule"]): v
        for labels, v in samples(text, "iom_api_refusals_total")
    }
    assert counted == {
        ("submit_route", "stage", "stage"): 1.0,
        ("submit_route", "role", "read_only"): 1.0,
    }
