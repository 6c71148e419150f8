"""The route's tasks, step by step through a whole route of each shipped profile: after every
step exactly the tasks the regulation names are open, with their assignee and due date, and the
ones that left the open set were completed by the step's own event."""

from __future__ import annotations

import random
import uuid
from datetime import date, timedelta

import pytest

from aggregates.application import Routes
from aggregates.commands import ExtendDeadline, OpenRoute, SendNotice
from aggregates.deadlines import deadlines, timers
from aggregates.events import RouteEvent
from aggregates.profiles import Stage
from aggregates.route import Route
from aggregates.tasks import (
    COMPLETED_BY,
    TASK_NAMESPACE,
    Task,
    bears_on_tasks,
    task_id,
    tasks,
)
from aggregates.values import Actor, Role
from tests.unit.conftest import Clock
from workers.demo import DemoRoute

T, M, S, D, MO, C = "teacher", "methodist", "school_head", "deputy_head", "mo_head", "centre_head"
ACTIVITIES = ("a1", "a2", "a3", "a4")

Expected = tuple[str, str, str]
"""(kind, role, due): `due` names a date of the route: `-` none, `answer` the round's days to
answer, `signatures` ten days after the conclusions, `a1`… the activity's end, `ends` the term's
end, `event` the final public event's end, `conclusions` two weeks after the term."""


def implementation() -> list[tuple[str, list[Expected], list[str]]]:
    """The steps from the correction's acknowledgement through the fourth activity: alike in
    every region."""
    return [
        ("correction-ack", [], ["acknowledge_correction"]),
        ("done-a1", [], ["complete_activity:a1"]),
        ("interim", [], []),
        ("done-a2", [], ["complete_activity:a2"]),
        ("done-a3", [], ["complete_activity:a3"]),
        ("done-a4", [], ["complete_activity:a4"]),
    ]


def started(*final: Expected, activities: tuple[str, ...] = ACTIVITIES) -> list[Expected]:
    """The tasks open once the route is approved."""
    return [
        *(("complete_activity", T, a) for a in activities),
        *final,
        ("record_conclusions", M, "conclusions"),
    ]


STEPS: dict[str, list[tuple[str, list[Expected], list[str]]]] = {
    # Sakha: ИОМ 3.2 the centre head assigns; Инструкция III the methodist and the teacher sign,
    # ИОМ 3.4 agreed by the centre head, approved by the school head; conclusions signed by the
    # school head (Инструкция III), the certificate (ИОМ 5.5, п. 5.3.7).
    "sakha": [
        ("open", [("assign_methodist", C, "-")], []),
        ("assign", [("record_diagnostic", M, "-")], ["assign_methodist"]),
        ("diagnostic", [("design_route", M, "-")], ["record_diagnostic"]),
        ("design", [("submit_route", M, "-")], ["design_route"]),
        ("submit", [("sign_route", M, "answer"), ("sign_route", T, "answer")], ["submit_route"]),
        ("agree-methodist", [], ["sign_route:methodist"]),
        ("agree-teacher", [("agree_route", C, "answer")], ["sign_route:teacher"]),
        ("agree-centre_head", [("approve_route", S, "answer")], ["agree_route:centre_head"]),
        (
            "agree-school_head",
            started(
                ("complete_activity", T, "a5"),
                ("hold_final_public_event", T, "event"),
                ("record_final_diagnostic", M, "ends"),
            ),
            ["approve_route:school_head"],
        ),
        # The demo's correction rewrites activities: the centre head agrees it again (ИОМ 3.4).
        (
            "correct",
            [("agree_correction", C, "answer"), ("acknowledge_correction", T, "-")],
            [],
        ),
        ("correction-agree-centre_head", [], ["agree_correction:centre_head"]),
        *implementation(),
        ("done-a5", [], ["complete_activity:a5"]),
        ("final-event", [], ["hold_final_public_event"]),
        ("final-diagnostic", [], ["record_final_diagnostic"]),
        (
            "conclusions",
            [("sign_conclusions", S, "signatures"), ("acknowledge_conclusions", T, "signatures")],
            ["record_conclusions"],
        ),
        ("sign-school_head", [], ["sign_conclusions:school_head"]),
        ("conclusions-ack", [("issue_certificate", C, "-")], ["acknowledge_conclusions"]),
        ("certificate", [], ["issue_certificate"]),
    ],
    # Balakhta: the school head assigns (first of methodist_assigned_by), the МО reviews (4.2.2),
    # then the methodist and the director agree; the МО sees a correction again.
    "balakhta": [
        ("open", [("assign_methodist", S, "-")], []),
        ("assign", [("record_diagnostic", M, "-")], ["assign_methodist"]),
        ("diagnostic", [("design_route", T, "-")], ["record_diagnostic"]),
        ("design", [("submit_route", T, "-")], ["design_route"]),
        ("submit", [("review_route", MO, "answer")], ["submit_route"]),
        ("agree-mo_head", [("agree_route", M, "answer")], ["review_route:mo_head"]),
        ("agree-methodist", [("agree_route", S, "answer")], ["agree_route:methodist"]),
        (
            "agree-school_head",
            started(("record_self_reflection", T, "ends")),
            ["agree_route:school_head"],
        ),
        (
            "correct",
            [("agree_correction", MO, "answer"), ("acknowledge_correction", T, "-")],
            [],
        ),
        ("correction-agree-mo_head", [], ["agree_correction:mo_head"]),
        *implementation(),
        ("reflection", [], ["record_self_reflection"]),
        ("final-diagnostic", [], []),
        ("conclusions", [("acknowledge_conclusions", T, "signatures")], ["record_conclusions"]),
        ("conclusions-ack", [], ["acknowledge_conclusions"]),
    ],
    # Chelyabinsk: the teacher designs, the methodist agrees, and agrees the teacher's correction.
    "chelyabinsk": [
        ("open", [("assign_methodist", C, "-")], []),
        ("assign", [("record_diagnostic", M, "-")], ["assign_methodist"]),
        ("diagnostic", [("design_route", T, "-")], ["record_diagnostic"]),
        ("design", [("submit_route", T, "-")], ["design_route"]),
        ("submit", [("agree_route", M, "answer")], ["submit_route"]),
        (
            "agree-methodist",
            started(("record_final_diagnostic", M, "ends")),
            ["agree_route:methodist"],
        ),
        (
            "correct",
            [("agree_correction", M, "answer"), ("acknowledge_correction", T, "-")],
            [],
        ),
        ("correction-agree-methodist", [], ["agree_correction:methodist"]),
        *implementation(),
        ("final-diagnostic", [], ["record_final_diagnostic"]),
        ("conclusions", [("acknowledge_conclusions", T, "signatures")], ["record_conclusions"]),
        ("conclusions-ack", [], ["acknowledge_conclusions"]),
    ],
    # Sovetsky: the deputy head reviews, the curator agrees; self-reflection (II.2).
    "sovetsky": [
        ("open", [("assign_methodist", C, "-")], []),
        ("assign", [("record_diagnostic", M, "-")], ["assign_methodist"]),
        ("diagnostic", [("design_route", T, "-")], ["record_diagnostic"]),
        ("design", [("submit_route", T, "-")], ["design_route"]),
        ("submit", [("review_route", D, "answer")], ["submit_route"]),
        ("agree-deputy_head", [("agree_route", M, "answer")], ["review_route:deputy_head"]),
        (
            "agree-methodist",
            started(("record_self_reflection", T, "ends")),
            ["agree_route:methodist"],
        ),
        ("correct", [("acknowledge_correction", T, "-")], []),
        *implementation(),
        ("reflection", [], ["record_self_reflection"]),
        ("final-diagnostic", [], []),
        ("conclusions", [("acknowledge_conclusions", T, "signatures")], ["record_conclusions"]),
        ("conclusions-ack", [], ["acknowledge_conclusions"]),
    ],
    # The algorithm: the deputy head assigns and approves, signs the conclusions.
    "algorithm": [
        ("open", [("assign_methodist", D, "-")], []),
        ("assign", [("record_diagnostic", M, "-")], ["assign_methodist"]),
        ("diagnostic", [("design_route", T, "-")], ["record_diagnostic"]),
        ("design", [("submit_route", T, "-")], ["design_route"]),
        ("submit", [("agree_route", M, "answer")], ["submit_route"]),
        ("agree-methodist", [("approve_route", D, "answer")], ["agree_route:methodist"]),
        (
            "agree-deputy_head",
            started(("hold_final_public_event", T, "event"), ("record_self_reflection", T, "ends")),
            ["approve_route:deputy_head"],
        ),
        ("correct", [("acknowledge_correction", T, "-")], []),
        *implementation(),
        ("reflection", [], ["record_self_reflection"]),
        ("final-event", [], ["hold_final_public_event"]),
        ("final-diagnostic", [], []),
        (
            "conclusions",
            [("sign_conclusions", D, "signatures"), ("acknowledge_conclusions", T, "signatures")],
            ["record_conclusions"],
        ),
        ("sign-deputy_head", [], ["sign_conclusions:deputy_head"]),
        ("conclusions-ack", [], ["acknowledge_conclusions"]),
    ],
}


def scope_of(demo: DemoRoute, role: Role) -> str:
    """Whom the test expects a task of `role` to name: the person, the school, the region."""
    if role in (Role.TEACHER, Role.METHODIST):
        return demo.actor(role).id
    if role is Role.CENTRE_HEAD:
        return demo.profile.id
    return demo.school


def due(route: Route, clock: Clock, token: str) -> date | None:
    plan = route.plan
    today = clock.now.date()
    if token == "-":
        return None
    if token in ("answer", "signatures"):
        return today + timedelta(days=5 if token == "answer" else 10)
    assert plan is not None
    if token == "ends":
        return plan.ends_on
    if token == "conclusions":
        return plan.ends_on + timedelta(days=14)
    if token == "event":
        assert plan.final_public_event is not None
        return plan.final_public_event.ends_on
    return next(a.ends_on for a in plan.activities if a.id == token)


def key_of(kind: str, role: str, token: str) -> str:
    """How `named` shows an expected task: a party's answer by its role, an activity by id."""
    if kind == "complete_activity":
        return f"{kind}:{token}"
    if kind.endswith("_route") and kind not in ("design_route", "submit_route"):
        return f"{kind}:{role}"
    return f"{kind}:{role}" if kind in ("sign_conclusions", "agree_correction") else kind


def shown(task: Task) -> tuple[str, str, str, date | None]:
    return (task.kind, task.assignee.role.value, task.assignee.scope_id, task.due_on)


def named(task: Task) -> str:
    return f"{task.kind}:{task.subject}" if task.subject else task.kind


@pytest.mark.parametrize("region", list(STEPS))
def test_a_whole_route_opens_and_completes_exactly_the_tasks_its_regulation_names(
    app: Routes, clock: Clock, region: str
) -> None:
    demo = DemoRoute(app, app.profiles.latest(region), 2, random.Random(region), clock.now.date())
    table = iter(STEPS[region])
    expected: dict[str, tuple[str, str, str, date | None]] = {}
    before: list[Task] = []
    for step in demo.steps():
        name, added, removed = next(table)
        assert step.name == name
        version = len(app.history(demo.route_id)) if before else 0
        if isinstance(step.command, OpenRoute):
            app.open(step.command, demo.actor(step.role), demo.command_id(step.name))
        else:
            demo.run(step.command, step.role, step.name)
        route = app.route(demo.route_id)
        for kind, role, token in added:
            expected[key_of(kind, role, token)] = (
                kind,
                role,
                scope_of(demo, Role(role)),
                due(route, clock, token),
            )
        for key in removed:
            del expected[key]
        now = tasks(route)
        assert sorted(map(shown, now)) == sorted(expected.values()), name
        assert sorted(map(named, now)) == sorted(expected), name
        # The tasks that left the open set were completed by the step's own events.
        appended: list[RouteEvent] = app.history(demo.route_id)[version:]
        left = [t for t in before if t.id not in {n.id for n in now}]
        assert sorted(map(named, left)) == sorted(removed), name
        for task in left:
            assert {type(e).__name__ for e in appended} & set(COMPLETED_BY[task.operation])
        if name == "conclusions":
            # One deadline: the signers in the profile's order, then the teacher's acknowledgement.
            signers = route.profile.conclusions_signers
            parties = {d.key: d.parties for d in deadlines(route)}["signatures"]
            assert parties == (*signers, Role.TEACHER)
        before = now
    assert next(table, None) is None
    assert tasks(app.route(demo.route_id)) == []


def test_a_task_keeps_its_id_and_its_deadline_is_the_operators_to_extend(
    app: Routes, clock: Clock
) -> None:
    demo = DemoRoute(app, app.profiles.latest("sakha"), 2, random.Random(2), clock.now.date())
    route_id = demo.drive_to(Stage.AGREEMENT)
    route = app.route(route_id)
    first = {t.kind + t.subject: t for t in tasks(route)}["sign_routeteacher"]
    assert first.id == task_id(route_id, "sign_route", "teacher", route.submissions)
    assert first.operation == "agree_route" and first.deadline == "agreement:teacher"
    operator = Actor(id="op-1", role=Role.OPERATOR)
    until = first.due_on + timedelta(days=7) if first.due_on else None
    assert until is not None
    extend = ExtendDeadline(deadline="agreement:teacher", until=until, reason="Болезнь", ticket="1")
    app.execute(route_id, extend, operator, "extend")
    moved = {t.id: t for t in tasks(app.route(route_id))}[first.id]
    assert moved.due_on == until
    assert {d.key: d.due_on for d in deadlines(app.route(route_id))}["agreement:teacher"] == until


def test_the_workflows_notices_mark_a_task_reminded_then_escalated(
    app: Routes, clock: Clock
) -> None:
    demo = DemoRoute(app, app.profiles.latest("sakha"), 2, random.Random(2), clock.now.date())
    route_id = demo.drive_to(Stage.AGREEMENT)
    system = Actor(id="route-workflow", role=Role.SYSTEM)

    def teachers() -> Task:
        found = [t for t in tasks(app.route(route_id)) if t.assignee.role is Role.TEACHER]
        return found[0]

    assert (teachers().state, teachers().reminded) == ("open", False)
    # A request changes no task: the tasks projection need not derive them again for it.
    before = tasks(app.route(route_id))
    request = next(t for t in timers(app.route(route_id)) if t.key.endswith("teacher:requested"))
    app.execute(route_id, SendNotice(key=request.key), system, f"timer:{request.key}")
    assert tasks(app.route(route_id)) == before
    assert not bears_on_tasks(app.history(route_id)[-1])
    for kind in ("reminder", "escalated"):
        timer = next(t for t in timers(app.route(route_id)) if kind in t.key and "teacher" in t.key)
        clock.set(timer.at)
        app.execute(route_id, SendNotice(key=timer.key), system, f"timer:{timer.key}")
        assert teachers().reminded
        assert bears_on_tasks(app.history(route_id)[-1])
    assert (teachers().state, teachers().escalated_to) == ("escalated", Role.CENTRE_HEAD)


def test_a_task_id_is_the_uuid5_of_its_route_kind_subject_and_round() -> None:
    """The ids the tasks table and the webhooks already hold: written out from the SHA-1 by
    hand, each is still exactly `uuid5` of its name (every variant nibble drawn)."""
    rng = random.Random(5)
    variants = set()
    for number in range(400):
        route_id = uuid.UUID(int=rng.getrandbits(128))
        kind, subject = rng.choice(sorted(COMPLETED_BY)), rng.choice(["", "teacher", f"a{number}"])
        name = f"{route_id}:{kind}:{subject}:{number % 7}"
        found = task_id(route_id, kind, subject, number % 7)
        assert found == str(uuid.uuid5(TASK_NAMESPACE, name))
        variants.add(found[19])
    assert variants == set("89ab")
