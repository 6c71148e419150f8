"""Domain errors. Each names the rule it enforces and, where one is at fault, the field.

`message` is Russian: the portal shows it to methodists and teachers as it is.
"""

from __future__ import annotations


class DomainError(Exception):
    """A command the route refuses. Nothing was written."""

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


class StageError(DomainError):
    """The command does not belong to the route's current stage."""


class RoleError(DomainError):
    """The actor's role may not issue this command on this route."""


class SeparationOfDutiesError(RoleError):
    """One person would hold two places on a route that its regulation gives to different
    officials (rule `separation_of_duties`, `Profile.separation_of_duties`)."""


class RouteNotFoundError(DomainError):
    """No route with that id (or not at that version or moment)."""


class OperationNotFoundError(RouteNotFoundError):
    """No bulk operation under the id asked for (answered as any missing thing is: not found)."""


class RouteExistsError(DomainError):
    """A route with that portal key was opened by another command."""

    route_id: str | None = None
    """The route under the key, named only to a caller who may see it (the API decides)."""


class ConflictError(DomainError):
    """Another writer saved the route first; reload and decide again."""


class CommandReuseError(DomainError):
    """A command id that was already applied arrived with different content."""


class CampaignNotFoundError(DomainError):
    """No diagnostic campaign with that id (in the caller's region)."""
