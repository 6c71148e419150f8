"""A person's command refused through the route's workflow, recorded exactly once wherever it
was refused: by the workflow's validator (the typed union refuses an unknown command or field,
the field named; nothing runs, so the gateway records it) and by the aggregate in the activity
(the activity records it; the gateway, seeing the activity's refusal, does not). Sent again
under the same command id, a refusal is not recorded twice. The batch path's is in
`tests/api/test_batch.py`."""

from __future__ import annotations

from uuid import UUID

import pytest

from aggregates.errors import DomainError, InvalidCommandError, RoleError
from aggregates.values import Role
from tests.workflows.conftest import Stack
from tests.workflows.test_agreement import designed_route, request
from tests.workflows.test_operators import refusals


def recorded(stack: Stack, route_id: UUID, command_id: str) -> list[tuple[str, str, str | None]]:
    """The refusals recorded under `command_id`: (command, rule, field)."""
    rows = refusals(stack, route_id)
    return [(r["command"], r["rule"], r["field"]) for r in rows if r["command_id"] == command_id]


async def test_a_refusal_is_recorded_once_by_whoever_refused_it(stack: Stack) -> None:
    demo, rid = await designed_route(stack, "sakha", 41)
    plan_hash = stack.routes.route(rid).plan_hash
    cases: list[tuple[str, dict[str, object], type[DomainError], str, str | None]] = [
        # The typed union: a command it does not hold, a field its command does not have.
        ("agree_rout", {"plan_hash": plan_hash}, InvalidCommandError, "command", "name"),
        ("agree_route", {"plan_hash": plan_hash, "x": 1}, InvalidCommandError, "content", "x"),
        ("agree_route", {}, InvalidCommandError, "content", "plan_hash"),
        # The aggregate: the school head's turn has not come.
        ("agree_route", {"plan_hash": plan_hash}, RoleError, "turn", None),
    ]
    for index, (name, payload, error, rule, field) in enumerate(cases):
        asked = request(demo, Role.SCHOOL_HEAD, f"refused-{index}", **payload)
        for _ in range(2):  # the portal sends it again under the same id
            with pytest.raises(error) as refused:
                await stack.gateway.execute(rid, name, asked)
            assert (refused.value.rule, refused.value.field) == (rule, field)
        assert recorded(stack, rid, asked.command_id) == [(name, rule, field)]
    refused_ids = {f"{demo.key}:refused-{index}" for index in range(len(cases))}
    assert not [e for e in stack.routes.history(rid) if e.command_id in refused_ids]
