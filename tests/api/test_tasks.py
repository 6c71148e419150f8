"""The inbox over HTTP: each role sees exactly its own tasks (its person's, or its role's within
its school or region), never another school's or region's; the soonest due first, in pages; the
summary counts them; and each task names the endpoint that completes it."""

from __future__ import annotations

import random
from collections import Counter
from typing import Any
from uuid import UUID

import httpx
import pytest

from aggregates.profiles import Stage
from aggregates.tasks import Task, tasks
from aggregates.values import Role
from api.portal_tokens import SCHOOL_ROLES
from projections.catalog import catch_up
from tests.api.conftest import Direct
from tests.api.support import Portal
from workers.demo import DemoRoute, write_demo

SCHOOL = "school-sakha-03"  # the demo's school of routes 2 and 9
ROLES = (Role.TEACHER, Role.METHODIST, Role.SCHOOL_HEAD, Role.CENTRE_HEAD)


def people(role: Role) -> dict[str, Any]:
    """The claims of the demo person in `role` whose tasks the test reads."""
    if role is Role.TEACHER:
        return {"subject": "t-user", "teacher_id": "teacher-sakha-00002"}
    if role is Role.METHODIST:
        return {"subject": "methodist-sakha-03"}
    if role in SCHOOL_ROLES:
        return {"subject": f"{role.value}-user", "school": SCHOOL}
    return {"subject": f"{role.value}-user"}


def token(portal: Portal, role: Role, region: str = "sakha") -> dict[str, str]:
    claims = people(role)
    subject = claims.pop("subject")
    return portal.headers(portal.token(role, subject, region, **claims))


def mine(role: Role, task: Task, region: str = "sakha") -> bool:
    """Whether `task` of a `region` route is the demo person's in `role` (the rule written out
    here, not read from the code under test)."""
    who = task.assignee
    if region != "sakha" or who.role is not role:
        return False
    expected = {
        Role.TEACHER: "teacher-sakha-00002",
        Role.METHODIST: "methodist-sakha-03",
        Role.CENTRE_HEAD: "sakha",
    }.get(role, SCHOOL)
    return who.scope_id == expected


def populate(direct: Direct) -> list[UUID]:
    """Sakha routes in every stage with tasks, one school head's approval among them, and a
    Balakhta region alongside; all projected."""
    routes = direct.routes
    made = write_demo(routes, "sakha", 2, until=Stage.AGREEMENT)  # 1, 2: round 1
    made += write_demo(routes, "sakha", 2, until=Stage.IMPLEMENTATION, first=3)  # 3, 4
    made += write_demo(routes, "sakha", 1, until=Stage.OPENED, first=5)  # 5: to assign
    made += write_demo(routes, "sakha", 1, first=6)  # 6: completed
    today = routes.clock().date()
    demo = DemoRoute(routes, routes.profiles.latest("sakha"), 9, random.Random(9), today)
    demo.drive_to(Stage.AGREEMENT)  # 9: waits on the school head's approval
    for step in demo.steps(Stage.IMPLEMENTATION):
        if step.name == "agree-school_head":
            break
        if step.name.startswith("agree-"):
            demo.run(step.command, step.role, step.name)
    made.append(demo.route_id)
    made += write_demo(routes, "balakhta", 3, until=Stage.AGREEMENT)
    project(direct)
    return made


def project(direct: Direct) -> None:
    catch_up(direct.routes, "tasks")


async def walk(client: httpx.AsyncClient, headers: dict[str, str], **params: Any) -> list[Any]:
    rows: list[dict[str, Any]] = []
    cursor = None
    for _ in range(100):
        asked = params | ({"cursor": cursor} if cursor else {})
        answer = await client.get("/tasks", params=asked, headers=headers)
        assert answer.status_code == 200, answer.text
        rows += answer.json()["items"]
        cursor = answer.json()["next_cursor"]
        if cursor is None:
            return rows
    raise AssertionError("the pages never ended")


@pytest.mark.parametrize("role", ROLES)
async def test_each_role_reads_exactly_its_own_open_tasks_soonest_first(
    direct: Direct, portal: Portal, role: Role
) -> None:
    made = populate(direct)
    everyone = [t for i in made for t in tasks(direct.routes.route(i))]
    wanted = [t for t in everyone if mine(role, t, direct.routes.route(t.route_id).profile.id)]
    assert wanted, role  # every role waits on something in the demo
    rows = await walk(direct.client, token(portal, role), limit=2)
    assert [r["id"] for r in rows] == [
        t.id for t in sorted(wanted, key=lambda t: (t.due_on is None, t.due_on, t.id))
    ]
    for row in rows:
        assert row["endpoint"] == {
            "method": "POST",
            "path": f"/routes/{row['route_id']}/commands/{row['operation']}",
        }
        assert row["state"] == "open" and row["title"]
    # Another region's token of the same role and school reads none of these.
    others = await walk(direct.client, token(portal, role, "balakhta"))
    assert not {r["id"] for r in others} & {r["id"] for r in rows}
    assert all(r["assignee"]["role"] == role.value for r in others)


async def test_another_schools_head_never_sees_this_schools_tasks(
    direct: Direct, portal: Portal
) -> None:
    populate(direct)
    ours = await walk(direct.client, token(portal, Role.SCHOOL_HEAD))
    assert [r["kind"] for r in ours] == ["approve_route"]
    headers = portal.headers(portal.token(Role.SCHOOL_HEAD, "sh", "sakha", school="school-x"))
    assert await walk(direct.client, headers) == []


async def test_filters_summary_and_the_endpoint_that_completes_a_task(
    direct: Direct, portal: Portal
) -> None:
    made = populate(direct)
    client, teacher = direct.client, token(portal, Role.TEACHER)
    rows = await walk(client, teacher)
    assert {r["kind"] for r in rows} == {"sign_route"}  # route 2 waits on the teacher's sign
    assert await walk(client, teacher, kind="complete_activity") == []
    assert await walk(client, teacher, state="done") == []
    assert await walk(client, teacher, due_before="2000-01-01") == []
    route = rows[0]["route_id"]
    assert [r["id"] for r in await walk(client, teacher, route=route)] == [rows[0]["id"]]
    bad = await client.get("/tasks", params={"kind": "fly"}, headers=teacher)
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "kind"
    number = await client.get("/tasks", params={"due_before": "0.0"}, headers=teacher)
    assert number.status_code == 422  # a number is no date (pydantic would read a Unix time)
    assert number.json()["errors"][0]["field"] == "due_before"
    # The methodist's summary: counts by kind and state, overdue first.
    methodist = token(portal, Role.METHODIST)
    summary = (await client.get("/tasks/summary", headers=methodist)).json()
    everything = [t for i in made for t in tasks(direct.routes.route(i))]
    open_ = Counter(t.kind for t in everything if mine(Role.METHODIST, t))
    assert {(c["kind"], c["tasks"]) for c in summary["items"] if c["state"] == "open"} == set(
        open_.items()
    )
    assert summary["open"] == sum(open_.values()) and summary["overdue"] == 0
    # The teacher signs through the named endpoint: the task is done, the inbox empty of it.
    plan_hash = direct.routes.route(UUID(route)).plan_hash
    answer = await client.post(
        rows[0]["endpoint"]["path"],
        json={"plan_hash": plan_hash},
        headers=teacher | {"Idempotency-Key": "sign-1"},
    )
    assert answer.status_code == 200, answer.text
    project(direct)
    assert await walk(client, teacher, route=route) == []
    done = await walk(client, teacher, state="done")
    assert [(r["id"], r["state"]) for r in done] == [(rows[0]["id"], "done")]
    counted = (await client.get("/tasks/summary", headers=teacher)).json()["items"]
    assert {(c["kind"], c["state"], c["tasks"]) for c in counted} >= {("sign_route", "done", 1)}
