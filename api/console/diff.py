"""The difference between two versions of a route: which fields of its state changed.

Both states are `RouteState` dumps (what `GET /routes/{id}?version=` answers), flattened to
paths (`plan.activities.2.title`, `agreements.0.role`); a path present in one only, or holding
another value, is a change. Each is named by its top field's Russian description."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from api.models import RouteState

IGNORED = frozenset({"version", "modified_on", "chain_head"})
"""Fields that change with every event: the difference shows what the events did."""


@dataclass(frozen=True)
class Change:
    """One changed path: its top field's title, the path, the value before and after."""

    title: str
    path: str
    before: str | None
    after: str | None


def flatten(value: Any, path: str = "") -> dict[str, Any]:
    """The leaves of a JSON value by their dotted paths (an empty list or object is a leaf)."""
    if isinstance(value, dict) and value:
        items: list[tuple[str, Any]] = list(value.items())
    elif isinstance(value, list) and value:
        items = [(str(index), item) for index, item in enumerate(value)]
    else:
        return {path: value}
    leaves: dict[str, Any] = {}
    for name, item in items:
        leaves.update(flatten(item, f"{path}.{name}" if path else name))
    return leaves


def shown(value: Any) -> str:
    """A leaf as a person reads it."""
    if value is None:
        return "—"
    if isinstance(value, bool):
        return "да" if value else "нет"
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False)


def title(path: str) -> str:
    """The Russian description of the path's top field."""
    field = RouteState.model_fields.get(path.split(".", 1)[0])
    return (field.description or path) if field is not None else path


def changes(before: RouteState, after: RouteState) -> list[Change]:
    """What changed from `before` to `after`, in the order of the state's fields."""
    old = flatten(before.model_dump(mode="json", exclude=set(IGNORED)))
    new = flatten(after.model_dump(mode="json", exclude=set(IGNORED)))
    found = []
    for path in dict.fromkeys([*old, *new]):
        if path in old and path in new and old[path] == new[path]:
            continue
        was = shown(old[path]) if path in old else None
        now = shown(new[path]) if path in new else None
        found.append(Change(title(path), path, was, now))
    return found
