"""A command as it is registered and as it crosses into the route's workflow: each registered
command speaks Russian (its title, its description, each field's), the workflow decodes an
update once into the command its name registers (refusing an unknown name or a bad field, the
field named), and a refusal crosses a process boundary as data and is its own error again."""

from __future__ import annotations

import re
from typing import Any

import pytest

from aggregates import errors
from aggregates.commands import (
    COMMANDS,
    OPERATIONS,
    PERSON_COMMANDS,
    AgreeRoute,
    Command,
    CompleteActivity,
)
from aggregates.errors import ERRORS, DomainError, InvalidCommandError, RoleError
from aggregates.values import Role
from workflows.contracts import (
    CommandInput,
    CommandRequest,
    Execution,
    Refusal,
)

RUSSIAN = re.compile("[а-яё]", re.IGNORECASE)
REGISTERED = sorted({*COMMANDS.values(), *OPERATIONS.values()}, key=lambda c: c.__name__)
PLAN_HASH = "9d2f5c0e8b7a4f1d3c6e9a2b5d8f0c1e4a7b3d6f9c2e5a8b1d4f7a0c3e6b9d2f"


def sent(payload: dict[str, Any], **given: Any) -> CommandRequest:
    """A request as a client sends it: a methodist's, with `payload` as the command."""
    fields = {"actor_id": "methodist-1", "role": "methodist", "command_id": "c-1"} | given
    return CommandRequest(payload=payload, **fields)


@pytest.mark.parametrize("command", REGISTERED, ids=lambda c: c.__name__)
def test_every_registered_command_is_described_in_russian(command: type[Command]) -> None:
    """A new command without its title, its description or a field's description fails here
    (they make the OpenAPI document, the forms and the refusals)."""
    assert RUSSIAN.search(command.title), command
    schema = command.model_json_schema()
    assert RUSSIAN.search(schema.get("description", "")), f"{command.__name__}: no description"
    for field, prop in schema.get("properties", {}).items():
        assert RUSSIAN.search(prop.get("description", "")), f"{command.__name__}.{field}"


def test_an_update_is_decoded_into_the_command_its_name_registers() -> None:
    request = sent({"plan_hash": PLAN_HASH}, acting_for=None)
    decoded = CommandInput.decode("agree_route", request)
    assert decoded.command == AgreeRoute(plan_hash=PLAN_HASH)
    assert (decoded.actor.id, decoded.actor.role) == ("methodist-1", Role.METHODIST)
    # As it crosses to the activity and back: the same command, of its own class.
    again = CommandInput.model_validate_json(decoded.model_dump_json())
    assert type(again.command) is AgreeRoute and again == decoded


@pytest.mark.parametrize(
    ("name", "request_", "field", "message"),
    [
        ("agree_rout", sent({}), "name", "нет команды «agree_rout»"),
        ("mark_activity_overdue", sent({"activity_id": "a1"}), "name", "нет команды"),
        ("agree_route", sent({}), "plan_hash", "обязательное поле не заполнено"),
        ("agree_route", sent({"plan_hash": PLAN_HASH, "x": 1}), "x", "такого поля у команды нет"),
        (
            "complete_activity",
            sent({"activity_id": "a1", "completed_on": "вчера", "result": "Готово"}),
            "completed_on",
            "поле «completed_on»",
        ),
        ("agree_route", sent({"plan_hash": PLAN_HASH}, role="rector"), "role", "неизвестная роль"),
        (
            "agree_route",
            sent({"plan_hash": PLAN_HASH}, acting_for={"head_id": "h-1"}),
            "acting_for.order",
            "обязательное поле не заполнено",
        ),
    ],
)
def test_a_command_is_refused_naming_its_field(
    name: str, request_: CommandRequest, field: str, message: str
) -> None:
    """Unknown to the typed union (its name, a field), or malformed: refused with the field named,
    in Russian; the workflow's validator answers with it as data."""
    with pytest.raises(InvalidCommandError) as refused:
        CommandInput.decode(name, request_)
    assert refused.value.field == field
    assert message in refused.value.message
    decoded = CommandInput.decoded(name, request_)
    assert decoded == Refusal(
        kind="invalid", rule=refused.value.rule, field=field, message=refused.value.message
    )


def test_every_person_command_is_decoded_and_no_other() -> None:
    """The union holds what a person sends; the timers' and operators' commands stay out."""
    assert PERSON_COMMANDS and set(PERSON_COMMANDS) < set(COMMANDS)
    for name in {**COMMANDS, **OPERATIONS}:
        decoded = CommandInput.decoded(name, sent({}))
        unknown = isinstance(decoded, Refusal) and decoded.field == "name"
        assert unknown is (name not in PERSON_COMMANDS), name


def test_an_activity_task_of_an_older_run_is_decoded_as_the_workflow_decodes_it() -> None:
    """Scheduled by a run from before the typed command: the request as sent, its name beside."""
    older = {
        "route_id": "6f1d3c8e-5a1b-4c1e-9d7a-1c0e5b2a9f40",
        "name": "complete_activity",
        "request": sent(
            {"activity_id": "a1", "completed_on": "2026-03-01", "result": "Готово"}
        ).model_dump(mode="json"),
        "causation_id": "route-x/run/update:complete_activity",
    }
    execution = Execution.model_validate(older)
    assert isinstance(execution.request.command, CompleteActivity)
    assert execution.request.name == "complete_activity" and execution.at is None


def domain_errors() -> list[type[DomainError]]:
    """Every error class the domain declares."""
    return [
        kind
        for kind in vars(errors).values()
        if isinstance(kind, type) and issubclass(kind, DomainError)
    ]


def test_each_error_kind_is_its_own_class() -> None:
    """A new error without its own kind would come back as another class across a boundary."""
    assert sorted(ERRORS.values(), key=str) == sorted(domain_errors(), key=str)
    assert all(ERRORS[kind.kind] is kind for kind in domain_errors())


def test_a_refusal_crosses_as_data_and_is_its_error_again() -> None:
    error = RoleError("turn", "сейчас ИОМ ждёт ответа: методист")
    crossed = Refusal.model_validate_json(Refusal.of(error).model_dump_json())
    again = crossed.error()
    assert type(again) is RoleError
    assert (again.rule, again.field, again.message) == (error.rule, None, error.message)
    # From a worker older than the kind: the general refusal, its rule and message kept.
    older = Refusal.model_validate({"rule": "turn", "field": None, "message": error.message})
    assert type(older.error()) is DomainError and older.error().rule == "turn"
