"""Webhooks out against a real local receiver: registration, signed deliveries of the region's
events only, retries with back-off, re-delivery, a delivery loop that dies and one that takes
over, and a replayed projection that doubles nothing."""

from __future__ import annotations

import base64
import json
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from functools import partial
from threading import Event
from typing import Any
from uuid import UUID, uuid4

import pytest
import pytest_asyncio

from activities.notify import verify
from aggregates.application import Routes
from aggregates.campaign_commands import AnnounceCampaign, MarkAttendance
from aggregates.campaigns import Campaigns
from aggregates.profiles import ProfileCatalogue, Stage
from aggregates.values import Role
from api.idempotency import TABLE
from api.webhook_models import WebhookEvent
from projections.catalog import catch_up, open_projection, rebuild
from projections.runner import RunnerOptions
from projections.subscriptions import Subscriptions
from projections.url_policy import UrlPolicy
from projections.view import transaction_on
from runtime.settings import Settings, store_env
from tests.api.conftest import Direct, direct_on
from tests.api.support import Portal
from tests.support.campaigns import participants, planned_soon
from tests.support.servers import Receiver
from tests.unit.test_campaigns import CENTRE
from workers.demo import write_demo
from workers.projector import Projector
from workers.webhooks import DeliveryLoop, DeliveryPolicy

SECRET = "portal-webhook-secret-0001"
LOCAL: dict[str, Any] = {
    "webhook_allow_http": True,
    "webhook_ports": ",".join(str(port) for port in range(1, 65536)),
    "webhook_allow_hosts": "127.0.0.1",
}
"""The receivers run on 127.0.0.1 (any port, plain HTTP): allowed as a portal on an
internal network is, by the settings."""
LOCAL_TARGETS = Settings(**LOCAL).webhook_targets()


@pytest_asyncio.fixture
async def direct(
    database_url: str, portal: Portal, catalogue: ProfileCatalogue
) -> AsyncIterator[Direct]:
    """The API in process, on each store in turn (the outbox's claims differ between them)."""
    async with direct_on(database_url, portal, catalogue) as found:
        found.app.state.settings = portal.settings(**LOCAL)
        yield found


QUICK = DeliveryPolicy(
    backoff_base=0.2, backoff_cap=1.0, max_attempts=5, timeout=5.0, targets=LOCAL_TARGETS
)


def operator(portal: Portal, region: str = "sakha", key: str | None = None) -> dict[str, str]:
    return portal.headers(portal.token(Role.OPERATOR, f"operator-{region}", region), key)


async def register(direct: Direct, portal: Portal, url: str, **body: Any) -> dict[str, Any]:
    answer = await direct.client.post(
        "/webhooks",
        headers=operator(portal, key=str(uuid4())),
        json={"url": url, "secret": SECRET} | body,
    )
    assert answer.status_code == 201, answer.text
    found: dict[str, Any] = answer.json()
    return found


def drain(routes: Routes, policy: DeliveryPolicy = QUICK) -> int:
    """Project what is new, and send what is due, once."""
    catch_up(routes, "webhooks")
    return DeliveryLoop(lambda: routes, Event(), policy).deliver_due(Subscriptions(routes))


def wait_for(check: Callable[[], bool], seconds: float = 15.0) -> None:
    deadline = time.monotonic() + seconds
    while not check():
        assert time.monotonic() < deadline, "condition not reached in time"
        time.sleep(0.02)


def drained(store: Subscriptions, subscription: UUID) -> bool:
    rows = store.deliveries(subscription, None, 1000)
    return bool(rows) and {r["status"] for r in rows} == {"delivered"}


def signed(receiver: Receiver) -> list[dict[str, Any]]:
    """Every body received, each checked against its signature."""
    bodies = []
    for request in receiver.requests:
        headers = {k.lower(): v for k, v in request.headers.items()}
        assert verify(
            SECRET.encode(),
            headers["x-iom-timestamp"],
            request.body,
            headers["x-iom-signature"],
            now=time.time(),
        )
        body = json.loads(request.body)
        assert headers["x-iom-delivery"] == body["delivery_id"]
        assert headers["x-iom-event"] == body["event_type"]
        WebhookEvent.model_validate(body)  # as the OpenAPI document describes it
        bodies.append(body)
    return bodies


async def test_registration_is_for_managers_of_the_region(direct: Direct, portal: Portal) -> None:
    made = await register(direct, portal, "https://portal.example/iom", event_types=["RouteOpened"])
    assert made["region"] == "sakha" and made["event_types"] == ["RouteOpened"]
    assert "secret" not in made
    listed = await direct.client.get("/webhooks", headers=operator(portal))
    assert [w["id"] for w in listed.json()] == [made["id"]]
    # The centre head manages them too; a methodist does not; another region sees nothing.
    head = portal.headers(portal.token(Role.CENTRE_HEAD, "centre-head-sakha"))
    assert (await direct.client.get("/webhooks", headers=head)).status_code == 200
    methodist = portal.headers(portal.token(Role.METHODIST, "methodist-sakha-01"))
    refused = await direct.client.get("/webhooks", headers=methodist)
    assert refused.status_code == 403
    assert refused.headers["content-type"] == "application/problem+json"
    assert refused.json()["rule"] == "manage_webhooks"
    other = operator(portal, "balakhta")
    assert (await direct.client.get("/webhooks", headers=other)).json() == []
    path = f"/webhooks/{made['id']}"
    assert (await direct.client.delete(path, headers=other)).status_code == 404
    assert (await direct.client.get(f"{path}/deliveries", headers=other)).status_code == 404
    # Bad input: named fields, in Russian.
    bad = await direct.client.post(
        "/webhooks",
        headers=operator(portal, key="bad-1"),
        json={"url": "ftp://x", "secret": "short", "event_types": ["RouteRenamed"]},
    )
    assert bad.status_code == 422
    assert {e["field"] for e in bad.json()["errors"]} == {"url", "secret", "event_types"}
    assert (await direct.client.delete(path, headers=operator(portal))).status_code == 204
    assert (await direct.client.get("/webhooks", headers=operator(portal))).json() == []


async def test_registration_is_answered_once_per_idempotency_key(
    direct: Direct, portal: Portal
) -> None:
    body = {"url": "https://portal.example/iom", "secret": SECRET, "event_types": ["RouteOpened"]}
    missing = await direct.client.post("/webhooks", headers=operator(portal), json=body)
    assert missing.status_code == 400
    assert missing.json()["type"] == "urn:iom:problem:idempotency-key-missing"
    first = await direct.client.post("/webhooks", headers=operator(portal, key="reg-1"), json=body)
    assert first.status_code == 201, first.text
    again = await direct.client.post("/webhooks", headers=operator(portal, key="reg-1"), json=body)
    assert again.status_code == 201
    assert again.json() == first.json()
    assert again.headers["Idempotent-Replayed"] == "true"
    other = body | {"event_types": ["RouteApproved"]}
    reused = await direct.client.post(
        "/webhooks", headers=operator(portal, key="reg-1"), json=other
    )
    assert reused.status_code == 422
    assert reused.json()["type"] == "urn:iom:problem:idempotency-key-reuse"
    listed = (await direct.client.get("/webhooks", headers=operator(portal))).json()
    assert [w["id"] for w in listed] == [first.json()["id"]]  # one subscription, not two
    # The same key of another user, or a new key: a subscription of its own.
    head = portal.headers(portal.token(Role.CENTRE_HEAD, "centre-head-sakha"), "reg-1")
    theirs = await direct.client.post("/webhooks", headers=head, json=body)
    assert theirs.status_code == 201 and theirs.json()["id"] != first.json()["id"]
    listed = (await direct.client.get("/webhooks", headers=operator(portal))).json()
    assert len(listed) == 2


def forget_answers(direct: Direct) -> None:
    """Delete every kept answer."""
    with transaction_on(direct.app.state.services.answers.datastore, commit=True) as db:
        db.execute(f"DELETE FROM {TABLE}")


async def test_a_key_registers_one_subscription_even_when_its_answer_is_lost(
    direct: Direct, portal: Portal
) -> None:
    """Requests racing with one key (or one retried after its answer expired) reach the store
    under one subscription id: the same body finds the subscription, another is refused."""
    body = {"url": "https://portal.example/iom", "secret": SECRET, "event_types": []}
    first = await direct.client.post("/webhooks", headers=operator(portal, key="reg-2"), json=body)
    assert first.status_code == 201
    forget_answers(direct)  # as if the kept answer had expired
    again = await direct.client.post("/webhooks", headers=operator(portal, key="reg-2"), json=body)
    assert again.status_code == 201 and again.json()["id"] == first.json()["id"]
    assert "Idempotent-Replayed" not in again.headers
    forget_answers(direct)
    other = body | {"url": "https://portal.example/other"}
    refused = await direct.client.post(
        "/webhooks", headers=operator(portal, key="reg-2"), json=other
    )
    assert refused.status_code == 422
    assert refused.json()["type"] == "urn:iom:problem:idempotency-key-reuse"
    listed = (await direct.client.get("/webhooks", headers=operator(portal))).json()
    assert [w["id"] for w in listed] == [first.json()["id"]]


async def test_a_failing_endpoint_is_retried_with_back_off(
    direct: Direct, portal: Portal, receiver: Receiver
) -> None:
    made = await register(direct, portal, receiver.url, event_types=["RouteOpened"])
    write_demo(direct.routes, "sakha", 1, until=Stage.DESIGN, first=6)
    receiver.answer(503, 503)  # two failures, then taken
    sent_at = []
    while len(receiver.requests) < 3:
        if drain(direct.routes):
            sent_at.append(time.monotonic())
        else:
            time.sleep(0.01)
    # The pause doubles: the base, then twice the base.
    assert sent_at[1] - sent_at[0] >= QUICK.backoff_base * 0.9
    assert sent_at[2] - sent_at[1] >= QUICK.backoff_base * 2 * 0.9
    assert [QUICK.backoff(n) for n in (1, 2, 3, 4, 5)] == [0.2, 0.4, 0.8, 1.0, 1.0]
    ids = {json.loads(r.body)["delivery_id"] for r in receiver.requests}
    assert len(ids) == 1  # one delivery, under one id every time
    path = f"/webhooks/{made['id']}/deliveries"
    (row,) = (await direct.client.get(path, headers=operator(portal))).json()
    assert (row["status"], row["attempts"], row["last_status"]) == ("delivered", 3, 200)
    assert row["delivered_at"] is not None and row["last_error"] is None


async def test_the_regions_events_arrive_signed(
    direct: Direct, portal: Portal, receiver: Receiver
) -> None:
    routes = direct.routes
    (before,) = write_demo(routes, "sakha", 1, until=Stage.DIAGNOSTIC, first=1)
    made = await register(direct, portal, receiver.url)
    (sakha,) = write_demo(routes, "sakha", 1, until=Stage.DESIGN, first=2)
    write_demo(routes, "balakhta", 1, until=Stage.DESIGN, first=3)
    wait_for(lambda: drain(routes) == 0)
    path = f"/webhooks/{made['id']}/deliveries"
    rows = (await direct.client.get(path, headers=operator(portal))).json()
    version = routes.route(sakha).version
    assert len(rows) == version  # every event of the route opened after registering
    assert {r["route_id"] for r in rows} == {str(sakha)}
    assert {r["status"] for r in rows} == {"delivered"}
    first = next(r for r in rows if r["version"] == 1)
    bodies = signed(receiver)
    assert {b["route_id"] for b in bodies} == {str(sakha)} and str(before) not in str(bodies)
    opened = bodies[0]
    assert opened["event_type"] == "RouteOpened" and opened["version"] == 1
    assert opened["region"] == "sakha" and opened["summary"].startswith("ИОМ открыт")
    assert opened["data"]["profile"].startswith("sakha@")  # the edition, not its copy
    assert opened["actor"]["role"] and opened["occurred_at"]
    # Asked again: the same delivery id, sent at once, counted afresh.
    again = await direct.client.post(f"{path}/{first['id']}/redeliver", headers=operator(portal))
    assert again.status_code == 202
    assert (again.json()["status"], again.json()["attempts"]) == ("pending", 0)
    count = len(receiver.requests)
    assert drain(routes) == 1
    assert json.loads(receiver.requests[count].body)["delivery_id"] == first["id"]
    missing = await direct.client.post(f"{path}/{UUID(int=1)}/redeliver", headers=operator(portal))
    assert missing.status_code == 404
    # Replayed from the first event: not one row more, delivered ones stay delivered.
    rebuild(routes, "webhooks")
    replayed = (await direct.client.get(path, headers=operator(portal))).json()
    assert sorted(r["id"] for r in replayed) == sorted(r["id"] for r in rows)
    assert {r["status"] for r in replayed} == {"delivered"}
    assert drain(routes) == 0


async def test_a_delivery_given_up_and_filtered(
    direct: Direct, portal: Portal, receiver: Receiver
) -> None:
    made = await register(direct, portal, receiver.url, event_types=["RouteOpened"])
    write_demo(direct.routes, "sakha", 1, until=Stage.DESIGN, first=4)
    receiver.answer(410)  # gone: not retried
    assert drain(direct.routes) == 1
    path = f"/webhooks/{made['id']}/deliveries"
    (row,) = (await direct.client.get(path, headers=operator(portal))).json()
    assert (row["status"], row["attempts"], row["event_type"]) == ("failed", 1, "RouteOpened")
    assert row["last_status"] == 410 and "410" in row["last_error"]
    failed = await direct.client.get(f"{path}?status=failed", headers=operator(portal))
    assert [r["id"] for r in failed.json()] == [row["id"]]
    too_many = await direct.client.get(f"{path}?limit=100000", headers=operator(portal))
    assert too_many.status_code == 422 and too_many.json()["rule"] == "page_size"
    # Deleted: what is recorded afterwards is not sent.
    gone = await direct.client.delete(f"/webhooks/{made['id']}", headers=operator(portal))
    assert gone.status_code == 204
    write_demo(direct.routes, "sakha", 1, until=Stage.DIAGNOSTIC, first=7)
    assert drain(direct.routes) == 0
    assert len(receiver.requests) == 1


@pytest.mark.timeout(60)
async def test_the_projector_resumes_what_a_dead_delivery_loop_left(
    direct: Direct,
    portal: Portal,
    receiver: Receiver,
    database_url: str,
    catalogue: ProfileCatalogue,
) -> None:
    made = await register(direct, portal, receiver.url)
    write_demo(direct.routes, "sakha", 1, until=Stage.DIAGNOSTIC, first=5)
    catch_up(direct.routes, "webhooks")
    store = Subscriptions(direct.routes)
    # A loop claims two deliveries and dies before sending them; the others it never reached.
    policy = DeliveryPolicy(
        backoff_base=0.1, timeout=0.2, poll_interval=0.05, targets=LOCAL_TARGETS
    )
    dead = store.claim(datetime.now(UTC), policy.hold, 2)
    assert len(dead) == 2 and receiver.requests == []
    # Meanwhile another route opens; `iom projector` projects it and sends everything.
    (later,) = write_demo(direct.routes, "sakha", 1, until=Stage.DIAGNOSTIC, first=6)
    connect = partial(Routes, store_env(database_url), profiles=catalogue)
    options = RunnerOptions(batch_size=5, poll_interval=0.02, heartbeat=0.1)
    with Projector(connect, ["webhooks"], options=options, delivery=policy) as projector:
        assert projector.deliveries is not None
        head = direct.routes.recorder.max_notification_id()
        position = open_projection(direct.routes, "webhooks").view.position
        wait_for(lambda: position() == head and drained(store, UUID(made["id"])))
    ids = [json.loads(r.body)["delivery_id"] for r in receiver.requests]
    total = len(store.deliveries(UUID(made["id"]), None, 100))
    assert len(ids) == len(set(ids)) == total
    assert {json.loads(r.body)["route_id"] for r in receiver.requests} >= {str(later)}
    assert {str(c.delivery_id) for c in dead} <= set(ids)


async def test_the_document_describes_what_a_subscription_receives(direct: Direct) -> None:
    doc = (await direct.client.get("/openapi.json")).json()
    operation = doc["webhooks"]["route-event"]["post"]
    body = operation["requestBody"]["content"]["application/json"]["schema"]
    assert body["$ref"] == "#/components/schemas/WebhookEvent"
    assert "X-IOM-Signature" in operation["description"]
    assert {"/webhooks", "/webhooks/{webhook_id}/deliveries"} <= set(doc["paths"])


def test_secrets_are_sealed_under_the_stores_key(
    database_url: str, catalogue: ProfileCatalogue
) -> None:
    key = base64.b64encode(bytes(range(32))).decode()
    routes = Routes(store_env(database_url, key), profiles=catalogue)
    try:
        store = Subscriptions(routes)
        made = store.register("sakha", "http://127.0.0.1:9/x", SECRET, [], "operator-1")
        with store.view.transaction(commit=False) as db:
            (row,) = db.fetchall("SELECT secret FROM iom_webhook_subscriptions")
        assert SECRET not in str(row["secret"]) and "secret" not in made
        write_demo(routes, "sakha", 1, until=Stage.OPENED, first=8)
        catch_up(routes, "webhooks")
        (claimed,) = store.claim(datetime.now(UTC), 1.0, 10)
        assert claimed.secret == SECRET
    finally:
        routes.close()


async def test_a_failed_delivery_keeps_its_status_not_the_answer(
    direct: Direct, portal: Portal, receiver: Receiver
) -> None:
    made = await register(direct, portal, receiver.url, event_types=["RouteOpened"])
    write_demo(direct.routes, "sakha", 1, until=Stage.DESIGN, first=9)
    receiver.answer(405)
    assert drain(direct.routes) == 1
    path = f"/webhooks/{made['id']}/deliveries"
    (row,) = (await direct.client.get(path, headers=operator(portal))).json()
    assert (row["status"], row["last_status"]) == ("failed", 405)
    assert row["last_error"] == "адрес ответил HTTP 405: доставка не принята"
    assert "Method" not in row["last_error"]  # the server's own words are not kept


REFUSED = [
    ("http://127.0.0.1:5432/", "url_address"),
    ("http://[::1]:22/", "url_address"),
    ("http://127.0.0.1:8000/metrics", "url_address"),
    ("http://localhost:8000/metrics", "url_address"),
    ("http://2130706433:8000/", "url_host"),
    ("http://0x7f000001:8000/", "url_host"),
    ("http://[::ffff:127.0.0.1]:8000/", "url_host"),
    ("http://169.254.169.254/latest/meta-data", "url_address"),
    ("http://operator:hunter2-password@portal.example/", "url_credentials"),
    ("http://portal.example/\r\nX-Injected: 1", "url_characters"),
]


@pytest.mark.parametrize(("url", "rule"), REFUSED)
async def test_internal_and_malformed_urls_are_refused(
    direct: Direct, portal: Portal, url: str, rule: str
) -> None:
    """Without the allow-list (any port, plain HTTP allowed: only the address rules apply)."""
    direct.app.state.settings = portal.settings(**LOCAL | {"webhook_allow_hosts": ""})
    answer = await direct.client.post(
        "/webhooks", headers=operator(portal, key=str(uuid4())), json={"url": url, "secret": SECRET}
    )
    assert answer.status_code == 422
    assert answer.headers["content-type"] == "application/problem+json"
    assert (answer.json()["field"], answer.json()["rule"]) == ("url", rule)
    assert "hunter2" not in answer.text
    assert (await direct.client.get("/webhooks", headers=operator(portal))).json() == []


async def test_the_defaults_take_only_https_on_443(direct: Direct, portal: Portal) -> None:
    direct.app.state.settings = portal.settings()
    for url, rule in [
        ("http://portal.example/iom", "url_scheme"),
        ("https://portal.example:8443/iom", "url_port"),
    ]:
        answer = await direct.client.post(
            "/webhooks",
            headers=operator(portal, key=str(uuid4())),
            json={"url": url, "secret": SECRET},
        )
        assert (answer.status_code, answer.json()["rule"]) == (422, rule)
    await register(direct, portal, "https://portal.example/iom")


def resolving(port: int, allow: str, answers: dict[str, list[str]]) -> DeliveryPolicy:
    """A delivery policy whose resolver answers from `answers` (a name server we control)."""
    rules = UrlPolicy.parse(allow_http=True, ports=str(port), allow_hosts=allow)
    return replace(QUICK, targets=replace(rules, resolve=lambda host, _: answers[host]))


async def test_a_name_that_resolves_inward_at_delivery_is_refused(
    direct: Direct, portal: Portal, receiver: Receiver
) -> None:
    """Registered while the name pointed outward; rebound to 127.0.0.1 before the delivery."""
    port = receiver.server.server_address[1]
    made = await register(
        direct, portal, f"http://portal.test:{port}/iom", event_types=["RouteOpened"]
    )
    write_demo(direct.routes, "sakha", 1, until=Stage.DESIGN, first=10)
    answers = {"portal.test": ["127.0.0.1"]}
    assert drain(direct.routes, resolving(port, "", answers)) == 1
    assert receiver.requests == []  # nothing sent inward
    path = f"/webhooks/{made['id']}/deliveries"
    (row,) = (await direct.client.get(path, headers=operator(portal))).json()
    assert (row["status"], row["attempts"], row["last_status"]) == ("failed", 1, None)
    assert row["last_error"] == ("адрес запрещён: имя portal.test указывает на внутренний адрес")


async def test_a_delivery_goes_to_the_address_checked(
    direct: Direct, portal: Portal, receiver: Receiver
) -> None:
    """The name is resolved once, by the policy's resolver, and the connection made to that
    address (the system's resolver knows no `portal.test`), the name sent as `Host`."""
    port = receiver.server.server_address[1]
    await register(direct, portal, f"http://portal.test:{port}/iom", event_types=["RouteOpened"])
    write_demo(direct.routes, "sakha", 1, until=Stage.DESIGN, first=11)
    answers = {"portal.test": ["127.0.0.1"]}
    assert drain(direct.routes, resolving(port, "127.0.0.0/8", answers)) == 1
    (request,) = receiver.requests
    assert request.path == "/iom" and request.headers["Host"] == f"portal.test:{port}"


async def test_a_tasks_changes_arrive_signed_beside_the_route_events(
    direct: Direct, portal: Portal, receiver: Receiver
) -> None:
    routes = direct.routes
    wanted = ["TaskCreated", "TaskDone", "RouteSubmitted"]
    made = await register(direct, portal, receiver.url, event_types=wanted)
    refused = await direct.client.post(
        "/webhooks",
        headers=operator(portal, key=str(uuid4())),
        json={"url": receiver.url, "secret": SECRET, "event_types": ["TaskLost"]},
    )
    assert refused.status_code == 422
    assert refused.json()["errors"][0]["field"] == "event_types"
    (route_id,) = write_demo(routes, "sakha", 1, until=Stage.AGREEMENT, first=7)
    catch_up(routes, "tasks")
    wait_for(lambda: drain(routes) == 0)
    bodies = signed(receiver)
    kinds = [(b["event_type"], b["data"].get("kind")) for b in bodies]
    assert ("RouteSubmitted", None) in kinds
    assert ("TaskDone", "submit_route") in kinds and ("TaskCreated", "sign_route") in kinds
    assert {b["event_type"] for b in bodies} == set(wanted)
    for body in bodies:
        WebhookEvent.model_validate(body)  # the payload the OpenAPI document describes
        assert body["route_id"] == str(route_id)
    created = [b for b in bodies if b["event_type"] == "TaskCreated"]
    assert {b["data"]["assignee"]["role"] for b in created} >= {"methodist", "teacher"}
    assert all(b["summary"] for b in created)
    path = f"/webhooks/{made['id']}/deliveries"
    rows = (await direct.client.get(path, headers=operator(portal))).json()
    assert len(rows) == len(bodies) == len({r["id"] for r in rows})


async def test_a_diagnostic_participants_task_arrives_signed(
    direct: Direct, portal: Portal, receiver: Receiver
) -> None:
    """Announced, each participant's task reaches the region's subscription as TaskCreated,
    on the participant's route; marked present, as TaskDone."""
    routes = direct.routes
    await register(direct, portal, receiver.url, event_types=["TaskCreated", "TaskDone"])
    route_ids = write_demo(routes, "sakha", 2, until=Stage.DIAGNOSTIC, first=3)
    now = datetime.now(UTC)
    campaigns = Campaigns(routes)
    campaign_id = campaigns.plan("sakha", planned_soon(now), CENTRE, "plan").campaign_id
    teachers = []
    for participant in participants(routes, route_ids, ["g1"]):  # one announcement each
        teachers.append(participant.teacher_id)
        announce = AnnounceCampaign(participants=[participant])
        campaigns.execute(campaign_id, announce, CENTRE, f"announce-{participant.route_id}")
    catch_up(routes, "tasks")
    wait_for(lambda: drain(routes) == 0)
    ours = [b for b in signed(receiver) if b["data"]["kind"] == "attend_diagnostic"]
    assert sorted((b["event_type"], b["route_id"]) for b in ours) == sorted(
        ("TaskCreated", str(route_id)) for route_id in route_ids
    )
    assert {b["data"]["assignee"]["id"] for b in ours} == set(teachers)
    assert {b["data"]["about"] for b in ours} == {str(campaign_id)}
    assert ours[0]["summary"] == "Пройти диагностику профессиональных дефицитов: ожидает"
    receiver.requests.clear()
    marks = MarkAttendance(attended=[teachers[0]])
    campaigns.execute(campaign_id, marks, CENTRE, "marks", now=now + timedelta(days=11))
    catch_up(routes, "tasks")
    wait_for(lambda: drain(routes) == 0)
    done = [b for b in signed(receiver) if b["data"]["kind"] == "attend_diagnostic"]
    assert [(b["event_type"], b["data"]["assignee"]["id"]) for b in done] == [
        ("TaskDone", teachers[0])
    ]
