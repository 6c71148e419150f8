"""A running route moved to a new edition of its regulation through its workflow: the move an
operator's signal, the workflow's timers from then on the new edition's (a party it added is
asked, the centre head's reminder comes by the new days), a route that cannot move refused and
left as it was; both workflows' histories replay, and the moved one is kept in `tests/replay/`.
"""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path
from uuid import UUID

from temporalio.client import WorkflowHistory

from aggregates.deadlines import deadlines
from aggregates.events import NoticeSent, RegulationChanged
from aggregates.migration import EditionMapping
from aggregates.values import Actor, Role
from runtime.migration import Migrations
from runtime.signals import refusal_of
from tests.support.profiles import EDITIONS, with_new_editions
from tests.support.waiting import eventually
from tests.workflows.conftest import Stack
from tests.workflows.test_agreement import designed_route, request
from tests.workflows.test_ops import run_iom, settings_env
from tests.workflows.test_replay import RECORDED, record, replayer

OPERATOR = Actor(id="op-1", role=Role.OPERATOR)
MERGED = EditionMapping(
    competences={"communicative": "psych_communicative", "psych_pedagogical": "psych_communicative"}
)


async def signed_by_both(stack: Stack, index: int) -> UUID:
    """A sakha@1 route whose methodist and teacher signed: its round 2 waits on the centre head."""
    demo, route_id = await designed_route(stack, "sakha", index)
    plan_hash = stack.routes.route(route_id).plan_hash
    for role in (Role.METHODIST, Role.TEACHER):
        asked = request(demo, role, f"agree-{role}", plan_hash=plan_hash)
        await stack.gateway.execute(route_id, "agree_route", asked)
    return route_id


def reminders(stack: Stack, route_id: UUID, role: Role) -> list[NoticeSent]:
    return [
        e
        for e in stack.routes.history(route_id)
        if isinstance(e, NoticeSent) and e.kind == "agreement_reminder" and e.recipients == [role]
    ]


async def move(stack: Stack, route_id: UUID, mapping: EditionMapping, step: str) -> str | None:
    """Move the route to sakha@2 by the operator's signal; the outcome's status."""
    result = await Migrations(stack.routes, stack.gateway).migrate_route(
        route_id,
        "sakha@2",
        mapping,
        OPERATOR,
        "Новая редакция положения",
        order="Приказ № 01-03/0000",
        ticket="OPS-19",
        command_id=step,
        wait=30,
    )
    return result.answer.status


async def test_a_moved_route_follows_the_new_edition_and_replays(stack: Stack) -> None:
    route_id = await signed_by_both(stack, 41)
    assert stack.routes.route(route_id).profile.key == "sakha@1"
    stack.routes.profiles = with_new_editions()  # the deployment learns sakha@2

    assert await move(stack, route_id, MERGED, "migrate-41") == "applied"
    route = stack.routes.route(route_id)
    assert route.profile.key == "sakha@2"
    [moved] = [e for e in stack.routes.history(route_id) if isinstance(e, RegulationChanged)]
    assert (moved.previous, moved.profile.key, moved.command_id) == (
        "sakha@1",
        "sakha@2",
        "migrate-41",
    )
    due = {d.key: d.due_on for d in deadlines(route)}

    # The party the new edition added to round 2 is asked at once.
    def asked_mo_head() -> bool:
        return any(
            isinstance(e, NoticeSent)
            and e.kind == "agreement_requested"
            and e.recipients == [Role.MO_HEAD]
            for e in stack.routes.history(route_id)
        )

    await eventually(asked_mo_head)
    # sakha@1 reminded the centre head 3 days into the round; sakha@2 gives 10 days and reminds
    # 3 days before the end.
    await stack.env.sleep(timedelta(days=4))
    assert reminders(stack, route_id, Role.CENTRE_HEAD) == []
    await stack.env.sleep(timedelta(days=5))
    await eventually(lambda: len(reminders(stack, route_id, Role.CENTRE_HEAD)) == 1)
    assert reminders(stack, route_id, Role.CENTRE_HEAD)[0].due_on == due["agreement:centre_head"]

    history = await stack.env.client.get_workflow_handle(f"route-{route_id}").fetch_history()
    await replayer().replay_workflow(history)
    record(history, "sakha-migrated")


async def test_a_route_that_cannot_move_is_refused_and_left_as_it_was(stack: Stack) -> None:
    route_id = await signed_by_both(stack, 42)
    stack.routes.profiles = with_new_editions()

    assert await move(stack, route_id, EditionMapping(), "migrate-42") == "refused"
    refusal = refusal_of(stack.routes, route_id, "migrate-42")
    assert refusal is not None
    assert refusal.rule == "mapping_competence"
    assert "«communicative»" in (refusal.message or "")
    assert stack.routes.route(route_id).profile.key == "sakha@1"
    assert not any(isinstance(e, RegulationChanged) for e in stack.routes.history(route_id))

    history = await stack.env.client.get_workflow_handle(f"route-{route_id}").fetch_history()
    await replayer().replay_workflow(history)


async def test_the_recorded_migrated_history_replays() -> None:
    file = RECORDED / "sakha-migrated-quiet.json"
    history = WorkflowHistory.from_json(f"route-{file.stem}", file.read_text())
    await replayer().replay_workflow(history)


async def test_iom_ops_migrate_moves_a_route_and_reports_a_refusal(
    stack: Stack, tmp_path: Path
) -> None:
    route_id = await signed_by_both(stack, 43)
    stack.routes.profiles = with_new_editions()
    env = settings_env(stack.env, stack.settings.database_url, stack.settings.task_queue)
    env |= {"IOM_PROFILES_DIR": str(EDITIONS)}
    mapping = tmp_path / "sakha-2.json"
    mapping.write_text(MERGED.model_dump_json(), encoding="utf-8")
    empty = tmp_path / "empty.json"
    empty.write_text("{}", encoding="utf-8")
    ask = ["ops", "migrate", str(route_id), "--to", "sakha@2", "--order", "Приказ № 01-03/0000"]
    ask += ["--operator", "op-1", "--reason", "Новая редакция", "--ticket", "OPS-19"]

    refused = await run_iom(env, *ask, "--mapping", str(empty), "--command-id", "m-1", code=1)
    assert "отклонено:" in refused.stdout
    assert "правило mapping_competence" in refused.stdout
    assert stack.routes.route(route_id).profile.key == "sakha@1"

    moved = await run_iom(env, *ask, "--mapping", str(mapping), "--command-id", "m-2", "--json")
    answer = json.loads(moved.stdout)
    assert (answer["status"], answer["signal"], answer["command_id"]) == (
        "applied",
        "migrate",
        "m-2",
    )
    assert stack.routes.route(route_id).profile.key == "sakha@2"
