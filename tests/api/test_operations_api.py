"""`/operations` over HTTP on the real stack (PostgreSQL, the Temporal dev server, a worker in
process): an operator previews a pause of the region's routes in agreement, runs it, follows it
to its report; a retried run under the same key finds the same operation and changes nothing
twice; bad parameters are named; only an operator may act; no workflow incident is listed, and
a route of another region without a workflow is listed to that region's operator alone."""

from __future__ import annotations

import asyncio
import random
import uuid
from datetime import date
from typing import Any
from uuid import UUID

from aggregates.operation import command_id
from aggregates.profiles import Stage
from aggregates.values import Role
from api.app import create_app
from api.auth import TokenVerifier
from api.idempotency import IdempotencyStore
from api.services import Services
from projections.catalog import catch_up
from tests.api.conftest import serving
from tests.api.support import Portal
from tests.workflows.conftest import Stack
from tests.workflows.test_operators import events_named
from tests.workflows.test_ops import submitted_route
from workers.demo import DemoRoute

BODY: dict[str, Any] = {
    "action": "pause",
    "query": {"stage": "agreement"},
    "reason": "Каникулы педагогов",
    "ticket": "OPS-50",
}


async def test_an_operator_previews_runs_and_follows_an_operation(
    dev_stack: Stack, portal: Portal
) -> None:
    stack = dev_stack
    route_ids = [(await submitted_route(stack, index))[1] for index in (101, 102)]
    catch_up(stack.routes, "monitoring")
    answers = IdempotencyStore(stack.routes)
    answers.create_table()
    verifier = TokenVerifier.from_settings(portal.settings())
    services = Services(stack.routes, stack.gateway, verifier, answers, operations=stack.operations)
    operator = portal.token(Role.OPERATOR, "operator-sakha", "sakha")
    head = portal.token(Role.CENTRE_HEAD, "centre-head-sakha", "sakha")

    async with serving(create_app(portal.settings(), services)) as client:
        preview = await client.post(
            "/operations/preview", json=BODY, headers=portal.headers(operator)
        )
        assert preview.status_code == 200, preview.text
        assert preview.json()["count"] == 2
        assert {r["status"] for r in preview.json()["sample"]} == {"would_apply"}

        key = str(uuid.uuid4())
        run = await client.post("/operations", json=BODY, headers=portal.headers(operator, key))
        assert run.status_code == 202, run.text
        operation_id = run.json()["operation_id"]
        assert run.json()["count"] == preview.json()["count"]

        async def report() -> dict[str, Any]:
            got = await client.get(f"/operations/{operation_id}", headers=portal.headers(operator))
            assert got.status_code == 200, got.text
            return dict(got.json())

        for _ in range(300):
            if (found := await report())["left"] == 0:
                break
            await asyncio.sleep(0.1)
        assert (found["done"], found["refused"], found["left"]) == (2, 0, 0)
        assert found["finished_at"] is not None
        assert found["query"]["region"] == "sakha"
        for route_id in route_ids:
            cid = command_id(UUID(operation_id), route_id)
            paused = events_named(stack, route_id, "RoutePaused")
            assert [e.command_id for e in paused] == [cid]

        again = await client.post("/operations", json=BODY, headers=portal.headers(operator, key))
        assert again.json()["operation_id"] == operation_id
        assert all(len(events_named(stack, r, "RoutePaused")) == 1 for r in route_ids)

        listed = await client.get("/operations", headers=portal.headers(operator))
        assert [o["operation_id"] for o in listed.json()] == [operation_id]
        incidents = await client.get("/operations/incidents", headers=portal.headers(operator))
        assert incidents.status_code == 200 and incidents.json() == []
        # A Balakhta route whose workflow never started: an incident of Balakhta's operator only.
        profile = stack.routes.profiles.latest("balakhta")
        demo = DemoRoute(stack.routes, profile, 103, random.Random(103), date.today())
        theirs = demo.drive(Stage.AGREEMENT)
        catch_up(stack.routes, "monitoring")
        mine = await client.get("/operations/incidents", headers=portal.headers(operator))
        assert mine.json() == []
        elsewhere = portal.token(Role.OPERATOR, "operator-balakhta", "balakhta")
        listed = await client.get("/operations/incidents", headers=portal.headers(elsewhere))
        assert [(i["route_id"], i["kind"]) for i in listed.json()] == [(str(theirs), "not_running")]

        bad = BODY | {"action": "extend_deadline", "params": {"deadline": "x", "until": "завтра"}}
        refused = await client.post(
            "/operations/preview", json=bad, headers=portal.headers(operator)
        )
        assert refused.status_code in {400, 422}, refused.text
        assert refused.json()["field"] == "params.until"
        forbidden = await client.post(
            "/operations/preview", json=BODY, headers=portal.headers(head)
        )
        assert forbidden.status_code == 403
        assert forbidden.json()["type"] == "urn:iom:problem:role"
