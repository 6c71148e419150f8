"""The region is the tenant of every key (issue 23, defects 3 and 8): an `Idempotency-Key`'s
answer and command id, and a route's key, are the region's own. The same operator id and key in
another region is another command; another region's route key is free here and never revealed;
a route opened before keys were regional (its id from the key alone) is still found by its own
region, and a retry in flight under a legacy command id still replays."""

from __future__ import annotations

import itertools
import string
from typing import Any
from uuid import UUID

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from aggregates.application import Routes, legacy_route_id_for, route_id_for
from aggregates.commands import AgreeRoute, OpenRoute
from aggregates.events import RouteEvent
from aggregates.profiles import Stage
from aggregates.values import Actor, Role
from api.idempotency import legacy_command_id_for
from tests.api.conftest import Direct
from tests.api.support import Portal
from tests.support.profiles import REGIONS
from workers.demo import write_demo

SECRET = "a-webhook-secret-of-32-characters"
EXAMPLES = itertools.count()


def opening(route_key: str, region: str = "sakha") -> dict[str, Any]:
    """The body of `POST /routes` for `route_key` (the teacher and school of `region`)."""
    return {
        "route_key": route_key,
        "teacher_id": f"teacher-{route_key}",
        "school_id": f"school-{region}-01",
        "municipality_id": f"mun-{region}-01",
        "subject": "математика",
    }


def headers(portal: Portal, role: Role, subject: str, region: str, key: str) -> dict[str, str]:
    """A token of `subject` in `role` of `region`, with the key."""
    return portal.headers(portal.token(role, subject, region), key)


def operator(portal: Portal, region: str, key: str, subject: str = "operator-1") -> dict[str, str]:
    """The operator `subject` of `region` (one id in every region, as the issue's example)."""
    return headers(portal, Role.OPERATOR, subject, region, key)


def centre_head(portal: Portal, region: str, key: str) -> dict[str, str]:
    return headers(portal, Role.CENTRE_HEAD, f"centre-head-{region}", region, key)


async def test_one_operator_id_and_key_register_a_webhook_in_each_region(
    direct: Direct, portal: Portal
) -> None:
    body = {"url": "https://portal.example/iom/sakha", "secret": SECRET, "event_types": []}
    sakha = await direct.client.post(
        "/webhooks", headers=operator(portal, "sakha", "k1"), json=body
    )
    assert sakha.status_code == 201, sakha.text
    other = body | {"url": "https://portal.example/iom/balakhta"}
    balakhta = await direct.client.post(
        "/webhooks", headers=operator(portal, "balakhta", "k1"), json=other
    )
    assert balakhta.status_code == 201, balakhta.text
    assert "Idempotent-Replayed" not in balakhta.headers
    assert balakhta.json()["id"] != sakha.json()["id"]
    assert "/iom/sakha" not in balakhta.text
    assert balakhta.json()["url"] == "https://portal.example/iom/balakhta"
    # The very same body in a third region: still its own subscription, not Sakha's answer.
    third = await direct.client.post(
        "/webhooks", headers=operator(portal, "sovetsky", "k1"), json=body
    )
    assert third.status_code == 201 and third.json()["id"] not in {sakha.json()["id"]}
    listed = await direct.client.get("/webhooks", headers=operator(portal, "balakhta", "list"))
    assert [w["id"] for w in listed.json()] == [balakhta.json()["id"]]


async def test_one_operator_id_and_key_open_a_route_in_each_region(
    direct: Direct, portal: Portal
) -> None:
    body = opening("portal-route-1")
    sakha = await direct.client.post("/routes", headers=operator(portal, "sakha", "k2"), json=body)
    balakhta = await direct.client.post(
        "/routes", headers=operator(portal, "balakhta", "k2"), json=opening("portal-route-1")
    )
    assert (sakha.status_code, balakhta.status_code) == (201, 201), balakhta.text
    assert "Idempotent-Replayed" not in balakhta.headers
    assert sakha.json()["route_id"] not in balakhta.text
    assert balakhta.json()["command_id"] != sakha.json()["command_id"]
    route = direct.routes.route(UUID(balakhta.json()["route_id"]))
    assert route.profile.id == "balakhta"


async def test_another_regions_route_key_is_free_and_unrevealed(
    direct: Direct, portal: Portal
) -> None:
    (sakha_id,) = write_demo(direct.routes, "sakha", 1, until=Stage.OPENED, first=4)
    opened = await direct.client.post(
        "/routes", headers=centre_head(portal, "balakhta", "k3"), json=opening("demo-sakha-00004")
    )
    assert opened.status_code == 201, opened.text  # not 409: the key is Balakhta's to take
    assert opened.json()["route_id"] == str(route_id_for("balakhta", "demo-sakha-00004"))
    assert opened.json()["route_id"] != str(sakha_id)
    assert direct.routes.route(sakha_id).version == 1  # Sakha's route untouched


async def test_a_batch_of_another_region_opens_its_own_routes(
    direct: Direct, portal: Portal
) -> None:
    sakha = await direct.client.post(
        "/routes", headers=centre_head(portal, "sakha", "k4"), json=opening("demo-sakha-00099")
    )
    assert sakha.status_code == 201, sakha.text
    items = [opening("demo-sakha-00099", "balakhta"), opening("demo-sakha-00100", "balakhta")]
    batch = await direct.client.post(
        "/routes/batch", headers=centre_head(portal, "balakhta", "k4"), json={"items": items}
    )
    assert batch.status_code == 200, batch.text
    answered = batch.json()["items"]
    assert [item["status"] for item in answered] == [201, 201]
    assert answered[0]["route_id"] == str(route_id_for("balakhta", "demo-sakha-00099"))
    assert sakha.json()["route_id"] not in batch.text
    # Sakha's key stays Sakha's: its own batch meets its route (409), not Balakhta's.
    again = await direct.client.post(
        "/routes/batch",
        headers=centre_head(portal, "sakha", "k5"),
        json={"items": [opening("demo-sakha-00099")]},
    )
    (item,) = again.json()["items"]
    assert item["status"] == 409 and item["problem"]["field"] == "items[0].route_key"


def open_legacy(routes: Routes, route_key: str, actor: Actor, command_id: str) -> UUID:
    """A Sakha route opened as before route ids were regional: through the application, its
    events saved under the id derived from the key alone (`legacy_route_id_for`)."""
    command = OpenRoute.model_validate({"region": "sakha", **opening(route_key)})
    decision = routes.decide_open(command, actor, command_id)
    legacy = legacy_route_id_for(route_key)
    events: list[RouteEvent] = [
        e.model_copy(update={"originator_id": legacy}) for e in decision.events
    ]
    routes.save(*events)
    return legacy


async def test_a_legacy_route_is_found_by_its_own_region_only(
    direct: Direct, portal: Portal
) -> None:
    actor = Actor(id="operator-1", role=Role.OPERATOR)
    legacy = open_legacy(
        direct.routes, "portal-legacy-1", actor, legacy_command_id_for(actor.id, "k6")
    )
    # A retry in flight (its answer kept before answers were regional, or never kept) finds it.
    retried = await direct.client.post(
        "/routes", headers=operator(portal, "sakha", "k6"), json=opening("portal-legacy-1")
    )
    assert retried.status_code == 201, retried.text
    assert (retried.json()["route_id"], retried.json()["version"]) == (str(legacy), 1)
    # Another command for its key meets it.
    exists = await direct.client.post(
        "/routes", headers=operator(portal, "sakha", "k7"), json=opening("portal-legacy-1")
    )
    assert exists.status_code == 409 and exists.json()["field"] == "route_key"
    # Another region: the key is free, the legacy route unseen; one command or in a batch.
    theirs = await direct.client.post(
        "/routes", headers=operator(portal, "balakhta", "k6"), json=opening("portal-legacy-1")
    )
    assert theirs.status_code == 201, theirs.text
    assert theirs.json()["route_id"] == str(route_id_for("balakhta", "portal-legacy-1"))
    body = {"items": [opening("portal-legacy-1", "sovetsky")]}
    batch = await direct.client.post(
        "/routes/batch", headers=operator(portal, "sovetsky", "k6"), json=body
    )
    (item,) = batch.json()["items"]
    assert item["status"] == 201 and item["route_id"] != str(legacy)
    assert direct.routes.route(legacy).version == 1


async def test_a_command_retried_across_the_change_is_applied_once(
    direct: Direct, portal: Portal
) -> None:
    demo, route_id = direct.route_in_agreement()
    route = direct.routes.route(route_id)
    teacher = demo.actor(Role.TEACHER)  # a teacher acts under their teacher id
    assert route.plan_hash is not None
    sent = AgreeRoute(plan_hash=route.plan_hash)
    before = direct.routes.execute(route_id, sent, teacher, legacy_command_id_for(teacher.id, "k8"))
    token = portal.token(Role.TEACHER, "portal-user-1", school=demo.school, teacher_id=teacher.id)
    retried = await direct.client.post(
        f"/routes/{route_id}/commands/agree_route",
        headers=portal.headers(token, "k8"),
        json={"plan_hash": route.plan_hash},
    )
    assert retried.status_code == 200, retried.text
    assert retried.json()["version"] == before.version
    assert direct.routes.route(route_id).version == before.version


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    regions=st.permutations(REGIONS).map(lambda r: r[:2]),
    actor=st.from_regex(r"\A[A-Za-z0-9][A-Za-z0-9._:-]{0,30}\Z"),
    key=st.text(alphabet=string.ascii_letters + string.digits + "-_.:~", min_size=1, max_size=40),
)
async def test_answers_never_cross_regions(
    direct: Direct, portal: Portal, regions: tuple[str, ...], actor: str, key: str
) -> None:
    """The same operator id, key and body in two regions: two routes, each of its region."""
    first, second = regions
    example = next(EXAMPLES)  # the store is shared by the examples: fresh route key and key
    body, key = opening(f"property-{example}"), f"{key}.{example}"
    answers = [
        await direct.client.post("/routes", headers=operator(portal, r, key, actor), json=body)
        for r in (first, second, first)
    ]
    assert [a.status_code for a in answers] == [201, 201, 201], answers[-1].text
    assert "Idempotent-Replayed" not in answers[1].headers
    assert answers[2].headers["Idempotent-Replayed"] == "true"  # its own region's answer
    ids = [UUID(a.json()["route_id"]) for a in answers]
    assert ids[0] == ids[2] != ids[1]
    assert str(ids[0]) not in answers[1].text
    for region, route_id in zip((first, second), ids, strict=False):
        assert direct.routes.route(route_id).profile.id == region
