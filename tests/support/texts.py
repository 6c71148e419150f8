"""Demo routes whose free text is chosen by the test: every command of a demo route (workers/demo)
taken as it is, except that each free-text value, however deep in the command (a plan's
activities, a diagnostic's tasks), is replaced by what `Fill` answers for it. The replaced
command is validated again, so a route holds only text the engine accepts.

A free-text field is a string field with a length limit and no pattern (`Text`, `Name`, a task's
difficulties), or one of the string fields that have no limit yet (`UNBOUNDED`), given the
documented limit of free text."""

from __future__ import annotations

import random
import typing
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any, TypeVar
from uuid import UUID

from pydantic import BaseModel, StringConstraints
from pydantic.fields import FieldInfo

from aggregates.application import Routes
from aggregates.commands import OpenRoute
from aggregates.profiles import Stage
from aggregates.text import PRINTABLE
from workers.demo import DemoRoute

TEXT_LIMIT = 4000
"""The documented limit of a free-text field (issue 23, `Text`)."""
UNBOUNDED = frozenset(
    {"comment", "product", "self_assessment", "employer_assessment", "recommendations", "reason"}
)
"""String fields without a limit of their own that hold a person's text."""
MULTILINE = 2000
"""Fields allowed this many characters or more hold text of several lines (`Text`, a task's
difficulties); shorter ones (`Name`) one line."""

Model = TypeVar("Model", bound=BaseModel)


@dataclass(frozen=True)
class Field:
    """A free-text field: where it is (`Activity.title`), its limit, whether it may break lines,
    and the value the demo gives it."""

    owner: str
    name: str
    limit: int
    multiline: bool
    value: str


Fill = Callable[[Field], str | None]
"""The text a field gets, or None to keep the demo's."""


def _limit(name: str, info: FieldInfo) -> int | None:
    """A free-text field's limit, or None if the field is not free text."""
    for item in info.metadata:
        if isinstance(item, StringConstraints):
            return None if item.pattern else item.max_length
    return TEXT_LIMIT if name in UNBOUNDED and info.annotation is str else None


def filled(model: Model, fill: Fill) -> Model:
    """`model` with each free-text value (in it and in the models it holds) as `fill` says,
    validated again."""
    owner = type(model).__name__
    values = {
        name: _filled(getattr(model, name), owner, name, info, fill)
        for name, info in type(model).model_fields.items()
    }
    return type(model).model_validate(values)


def _filled(value: Any, owner: str, name: str, info: FieldInfo, fill: Fill) -> Any:
    if isinstance(value, BaseModel):
        return filled(value, fill)
    if isinstance(value, list):
        items = typing.get_args(info.annotation)
        item = FieldInfo.from_annotation(items[0]) if items else FieldInfo()
        return [_filled(v, owner, name, item, fill) for v in value]
    limit = _limit(name, info) if isinstance(value, str) else None
    if limit is None:
        return value
    chosen = fill(Field(owner, name, limit, limit >= MULTILINE, value))
    return value if chosen is None else chosen


def drive_filled(
    app: Routes,
    region: str,
    fill: Fill,
    *,
    index: int = 6,
    today: date,
    until: Stage = Stage.COMPLETED,
) -> UUID:
    """Drive demo route `index` of `region` (index 6: a corrected plan, the last activity not
    done) with its free text as `fill` says; its id."""
    demo = DemoRoute(app, app.profiles.latest(region), index, random.Random(region), today)
    for step in demo.steps(until):
        command = filled(step.command, fill)
        actor, command_id = demo.actor(step.role), demo.command_id(step.name)
        if isinstance(command, OpenRoute):
            app.open(command, actor, command_id)
        else:
            app.execute(demo.route_id, command, actor, command_id)
    return demo.route_id


ALPHABET = tuple(chr(point) for low, high in PRINTABLE for point in range(low, high + 1))
"""Every character the engine accepts on a line."""


def printable_text(
    rng: random.Random, field: Field, alphabet: list[str], *, spaces: float, breaks: float
) -> str:
    """A text of exactly the field's limit drawn from `alphabet` (characters of `PRINTABLE`): a
    space with probability `spaces`, in a multi-line field a line feed or a tab with probability
    `breaks`, never starting or ending with white space (the engine strips it)."""
    layout = ("\n", "\t") if field.multiline else ()
    characters = []
    for _ in range(field.limit):
        roll = rng.random()
        if layout and roll < breaks:
            characters.append(rng.choice(layout))
        elif roll < breaks + spaces:
            characters.append(" ")
        else:
            characters.append(rng.choice(alphabet))
    edge = rng.choice([c for c in alphabet if not c.isspace()] or ["x"])
    return edge + "".join(characters[1:-1]) + edge
