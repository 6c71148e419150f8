"""The operator's move of a route to a new edition of its regulation (`aggregates.migration`)."""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING, Annotated, ClassVar

from pydantic import Field, StringConstraints

from aggregates.commands.base import Change, Context
from aggregates.commands.operations import OperatorCommand
from aggregates.errors import InvalidCommandError
from aggregates.events import RegulationChanged
from aggregates.migration import EditionMapping, problems
from aggregates.profiles import Profile, ProfileCatalogue, UnknownProfileError
from aggregates.values import Ident, Name

if TYPE_CHECKING:
    from aggregates.route import Route

EditionKey = Annotated[
    str,
    # the version is checked as the edition is looked up (`edition_of`), to say what is missing
    StringConstraints(pattern=r"^[a-z][a-z0-9_]{0,63}(@[0-9]{1,6})?$"),
    Field(description="Редакция регламента: `id@версия`, например `sakha@2`."),
]


class MigrateRoute(OperatorCommand):
    """Перевести ИОМ на новую редакцию положения региона по приказу, изменившему его."""

    title: ClassVar[str] = "Перевод ИОМ на новую редакцию"

    edition: EditionKey
    mapping: EditionMapping = Field(
        default_factory=EditionMapping,
        description="Соответствие редакций: какой элемент прежней редакции становится каким"
        " в новой.",
    )
    order: Name  # приказ, которым утверждена новая редакция
    operation_id: Ident | None = Field(  # the bulk operation this move is part of
        default=None, description="Массовая операция, в которой переводится ИОМ (если есть)."
    )

    def decide(self, route: Route, context: Context) -> list[Change]:
        self.require_operator(route, context)
        target = edition_of(context.profiles, self.edition)
        found = problems(route, target, self.mapping)
        if found:
            raise InvalidCommandError(
                found[0].rule, "; ".join(p.message for p in found), found[0].field
            )
        changed = partial(
            RegulationChanged,
            previous=route.profile.key,
            profile=target,
            mapping=self.mapping,
            order=self.order,
            operation_id=self.operation_id,
            reason=self.reason,
            ticket=self.ticket,
        )
        return [changed]


def edition_of(profiles: ProfileCatalogue | None, key: str) -> Profile:
    """The edition `key` (`id@version`) names, as the deployment knows it, or a refusal naming
    the field `edition`."""
    profile_id, _, version = key.partition("@")
    try:
        if profiles is None or not version.isdigit():
            raise UnknownProfileError(
                f"нет редакции «{key}» (ожидается id@версия, например sakha@2)"
            )
        return profiles.edition(profile_id, int(version))
    except UnknownProfileError as error:
        raise InvalidCommandError("edition_unknown", str(error), "edition") from None
