"""Domain errors. Each names the rule it enforces and, where one is at fault, the field.

`message` is Russian: the portal shows it to methodists and teachers as it is.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import ClassVar, Literal

from pydantic import ValidationError

ErrorKind = Literal[
    "refused",
    "invalid",
    "stage",
    "role",
    "separation_of_duties",
    "not_found",
    "operation_not_found",
    "exists",
    "conflict",
    "command_reuse",
    "campaign_not_found",
]
"""Which error refused a command, as data: a refusal crosses a process boundary (an activity's
failure, a workflow's update) by this kind, and is the same error class again on the other side
(`ERRORS`)."""


class DomainError(Exception):
    """A command the route refuses. Nothing was written."""

    kind: ClassVar[ErrorKind] = "refused"

    def __init__(self, rule: str, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.rule = rule
        self.message = message
        self.field = field

    def __str__(self) -> str:
        where = f" [{self.field}]" if self.field else ""
        return f"{self.rule}{where}: {self.message}"


class InvalidCommandError(DomainError):
    """The command's content is malformed or out of range."""

    kind: ClassVar[ErrorKind] = "invalid"


class StageError(DomainError):
    """The command does not belong to the route's current stage."""

    kind: ClassVar[ErrorKind] = "stage"


class RoleError(DomainError):
    """The actor's role may not issue this command on this route."""

    kind: ClassVar[ErrorKind] = "role"


class SeparationOfDutiesError(RoleError):
    """One person would hold two places on a route that its regulation gives to different
    officials (rule `separation_of_duties`, `Profile.separation_of_duties`)."""

    kind: ClassVar[ErrorKind] = "separation_of_duties"


class RouteNotFoundError(DomainError):
    """No route with that id (or not at that version or moment)."""

    kind: ClassVar[ErrorKind] = "not_found"


class OperationNotFoundError(RouteNotFoundError):
    """No bulk operation under the id asked for (answered as any missing thing is: not found)."""

    kind: ClassVar[ErrorKind] = "operation_not_found"


class RouteExistsError(DomainError):
    """A route with that portal key was opened by another command."""

    kind: ClassVar[ErrorKind] = "exists"

    route_id: str | None = None
    """The route under the key, named only to a caller who may see it (the API decides)."""


class ConflictError(DomainError):
    """Another writer saved the route first; reload and decide again."""

    kind: ClassVar[ErrorKind] = "conflict"


class CommandReuseError(DomainError):
    """A command id that was already applied arrived with different content."""

    kind: ClassVar[ErrorKind] = "command_reuse"


class CampaignNotFoundError(DomainError):
    """No diagnostic campaign with that id (in the caller's region)."""

    kind: ClassVar[ErrorKind] = "campaign_not_found"


ERRORS: Mapping[ErrorKind, type[DomainError]] = MappingProxyType(
    {
        error.kind: error
        for error in (
            DomainError,
            InvalidCommandError,
            StageError,
            RoleError,
            SeparationOfDutiesError,
            RouteNotFoundError,
            OperationNotFoundError,
            RouteExistsError,
            ConflictError,
            CommandReuseError,
            CampaignNotFoundError,
        )
    }
)
"""Every error by its kind (a unit test holds each kind to its own class)."""

PYDANTIC_MESSAGES = {
    "missing": "обязательное поле не заполнено",
    "extra_forbidden": "такого поля у команды нет",
    "string_too_short": "значение слишком короткое",
    "string_too_long": "значение слишком длинное",
    "date_from_datetime_parsing": "ожидается дата ГГГГ-ММ-ДД",
    "date_parsing": "ожидается дата ГГГГ-ММ-ДД",
    "int_parsing": "ожидается целое число",
}


def invalid_content(error: ValidationError, within: str = "") -> InvalidCommandError:
    """The first problem of a malformed command, naming its field (inside `within`, where the
    command's part sits in a larger input), in Russian where known."""
    first = error.errors()[0]
    field = ".".join([within, *(str(part) for part in first["loc"])]).strip(".") or "payload"
    message = PYDANTIC_MESSAGES.get(first["type"], first["msg"])
    return InvalidCommandError("content", f"поле «{field}»: {message}", field)
