"""The tasks projection on both stores: its open rows are the routes' own tasks, those that left
the open set are kept done or cancelled, a rebuild in other batches gives the same rows, and each
task's change reaches the webhook subscriptions that want it, once."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from uuid import UUID

import pytest

from aggregates.application import Routes
from aggregates.commands import CancelRoute, ReturnRoute
from aggregates.profiles import ProfileCatalogue, Stage, load_profiles
from aggregates.tasks import tasks
from aggregates.values import Actor, Role
from projections.catalog import catch_up, open_projection, rebuild
from projections.runner import RunnerOptions
from projections.subscriptions import Subscriptions
from projections.tables import normalise_row
from projections.tasks import TASKS
from runtime.settings import store_env
from workers.demo import write_demo

REGIONS = ("sakha", "balakhta", "sovetsky", "chelyabinsk", "algorithm")


@pytest.fixture
def app(database_url: str) -> Iterator[Routes]:
    application = Routes(store_env(database_url), profiles=ProfileCatalogue(load_profiles()))
    yield application
    application.close()


def rows(app: Routes) -> list[dict[str, Any]]:
    with open_projection(app, "tasks").view.transaction(commit=False) as db:
        found = db.fetchall(f"SELECT * FROM {TASKS.name} ORDER BY task_id")
    return [normalise_row(TASKS.kinds, row) for row in found]


def head(app: Routes) -> int:
    return app.recorder.max_notification_id() or 0


def drive(app: Routes) -> dict[str, UUID]:
    """Sakha routes: completed, awaiting agreement, returned, cancelled in design."""
    (completed,) = write_demo(app, "sakha", 1, first=1)
    (waiting,) = write_demo(app, "sakha", 1, until=Stage.AGREEMENT, first=2)
    (returned,) = write_demo(app, "sakha", 1, until=Stage.AGREEMENT, first=3)
    teacher = Actor(id=app.route(returned).teacher_id, role=Role.TEACHER)
    back = ReturnRoute(comments="Уточнить сроки мероприятий")
    app.execute(returned, back, teacher, "return")
    (cancelled,) = write_demo(app, "sakha", 1, until=Stage.DESIGN, first=4)
    methodist = Actor(id=app.route(cancelled).methodist_id or "", role=Role.METHODIST)
    app.execute(cancelled, CancelRoute(reason="Педагог уволился"), methodist, "cancel")
    return {
        "completed": completed,
        "waiting": waiting,
        "returned": returned,
        "cancelled": cancelled,
    }


def test_open_rows_are_the_routes_tasks_and_closed_ones_say_how_they_closed(app: Routes) -> None:
    made = drive(app)
    for region in REGIONS[1:]:
        write_demo(app, region, 2)
    assert catch_up(app, "tasks", options=RunnerOptions(batch_size=7)) == head(app)
    found = rows(app)
    for route_id in {UUID(r["route_id"]) for r in found}:
        route = app.route(route_id)
        open_rows = {
            (r["task_id"], r["kind"], r["assignee"], r["due_on"], r["state"])
            for r in found
            if r["route_id"] == str(route_id) and r["active"]
        }
        assert open_rows == {
            (t.id, t.kind, t.assignee.scope_id, t.due_on.isoformat() if t.due_on else None, t.state)
            for t in tasks(route)
        }
    of = {name: [r for r in found if r["route_id"] == str(rid)] for name, rid in made.items()}
    # A whole route: every task it had is done, none open, none cancelled.
    assert {r["state"] for r in of["completed"]} == {"done"}
    kinds = {r["kind"] for r in of["completed"]}
    assert {"assign_methodist", "sign_route", "approve_route", "issue_certificate"} <= kinds
    # Returned by the teacher: the teacher's answer is done, the methodist's cancelled, and a
    # new design task is open.
    returned = {(r["kind"], r["assignee_role"]): r for r in of["returned"]}
    assert returned["sign_route", "teacher"]["state"] == "done"
    assert returned["sign_route", "methodist"]["state"] == "cancelled"
    assert returned["design_route", "methodist"]["active"]
    assert returned["sign_route", "methodist"]["closed_at"] is not None
    # Cancelled in design: the design task is cancelled.
    assert {(r["kind"], r["state"]) for r in of["cancelled"] if not r["active"]} >= {
        ("design_route", "cancelled")
    }
    assert not any(r["active"] for r in of["cancelled"])
    waiting = [r for r in of["waiting"] if r["active"]]
    assert {(r["kind"], r["assignee_role"], r["scope"]) for r in waiting} == {
        ("sign_route", "methodist", "person"),
        ("sign_route", "teacher", "person"),
    }


def test_a_rebuild_in_other_batches_gives_the_same_rows(app: Routes) -> None:
    drive(app)
    write_demo(app, "balakhta", 2)
    assert catch_up(app, "tasks", options=RunnerOptions(batch_size=1)) == head(app)
    live = rows(app)
    assert rebuild(app, "tasks", options=RunnerOptions(batch_size=1000)) == head(app)
    assert rows(app) == live


def test_each_change_of_a_task_is_delivered_once_to_the_subscriptions_wanting_it(
    app: Routes,
) -> None:
    subscriptions = Subscriptions(app)
    wanted = ["TaskCreated", "TaskDone", "TaskCancelled"]
    every = subscriptions.register("sakha", "https://portal.example.ru/a", "s" * 16, [], "op")
    some = subscriptions.register("sakha", "https://portal.example.ru/b", "s" * 16, wanted, "op")
    other = subscriptions.register("balakhta", "https://portal.example.ru/c", "s" * 16, [], "op")
    made = drive(app)
    write_demo(app, "balakhta", 1)
    for name in ("tasks", "webhooks"):
        catch_up(app, name, options=RunnerOptions(batch_size=5))
    task_rows = rows(app)
    changes = {(r["route_id"], "TaskCreated") for r in task_rows if r["profile_id"] == "sakha"}
    mine = subscriptions.deliveries(UUID(every["subscription_id"]), None, 10_000)
    task_events = [d for d in mine if d["event_type"].startswith("Task")]
    assert {(d["route_id"], d["event_type"]) for d in task_events} >= changes
    assert {d["event_type"] for d in task_events} == {"TaskCreated", "TaskDone", "TaskCancelled"}
    assert len({d["delivery_id"] for d in task_events}) == len(task_events)
    created = [d for d in task_events if d["event_type"] == "TaskCreated"]
    assert len(created) == sum(1 for r in task_rows if r["profile_id"] == "sakha")
    chosen = subscriptions.deliveries(UUID(some["subscription_id"]), None, 10_000)
    assert {d["event_type"] for d in chosen} == set(wanted)
    balakhta = subscriptions.deliveries(UUID(other["subscription_id"]), None, 10_000)
    assert str(made["completed"]) not in {d["route_id"] for d in balakhta}
    # A rebuild derives the same deliveries and doubles none.
    rebuild(app, "tasks")
    assert len(subscriptions.deliveries(UUID(every["subscription_id"]), None, 10_000)) == len(mine)
