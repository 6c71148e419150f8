"""The difference between two versions of a route: which fields of its state changed.

Both states are `RouteState` dumps (what `GET /routes/{id}?version=` answers). A field set or
cleared whole (the plan once designed) is one change; a field changed within is flattened to
paths (`plan.activities.2.title`, `agreements.0.role`), and a path present in one only, or
holding another value, is a change. Each is named by its top field's Russian description."""

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
    """What changed from `before` to `after`, in the order of the state's fields: a field set
    or cleared whole is one change (its value drawn as JSON), a field changed within, one
    change per changed leaf."""
    old = before.model_dump(mode="json", exclude=set(IGNORED))
    new = after.model_dump(mode="json", exclude=set(IGNORED))
    found: list[Change] = []
    for name in new:
        if old[name] == new[name]:
            continue
        if not old[name] or not new[name]:  # set or cleared whole
            found.append(Change(title(name), name, whole(old[name]), whole(new[name])))
            continue
        was, now = flatten(old[name], name), flatten(new[name], name)
        for path in dict.fromkeys([*was, *now]):
            if path in was and path in now and was[path] == now[path]:
                continue
            before_text = shown(was[path]) if path in was else None
            after_text = shown(now[path]) if path in now else None
            found.append(Change(title(path), path, before_text, after_text))
    return found


def whole(value: Any) -> str | None:
    """A field's whole value as a person reads it (None when it is empty)."""
    if value is None or value in ({}, []):
        return None
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False, indent=2)
    return shown(value)
