"""A command's form under one edition of a region's regulation, as JSON Schema (2020-12).

The command's own model gives the shape; the edition folds in what the region requires: the
fields its regulation demands (`Command.required_by`, the declaration `decide` enforces too),
its competence codes and directions as enums (a region without directions takes none), its
term bounds and the date rules as descriptions. A portal renders its forms from it; a payload
the schema refuses for a folded-in requirement is refused by the command under that edition,
naming the same field.
"""

from __future__ import annotations

import copy
from typing import Any

from pydantic import BaseModel

from aggregates.profiles import Entry, Profile
from aggregates.values import LEAD_MONTHS

DIALECT = "https://json-schema.org/draft/2020-12/schema"
NOT_BLANK: dict[str, Any] = {"not": {"pattern": r"^\s*$"}}
"""A required text that is not blank (the engine strips it before it checks)."""

Schema = dict[str, Any]


def command_schema(model: type[BaseModel], required: dict[str, str], profile: Profile) -> Schema:
    """The JSON Schema of `model` (a command, or the body that carries one) under `profile`,
    with `required` (`Command.required_by(profile)`) folded in."""
    schema = copy.deepcopy(model.model_json_schema(mode="validation"))
    defs: dict[str, Schema] = schema.get("$defs", {})
    for node in (schema, *defs.values()):
        name_codes(node.get("properties", {}), profile)
    for path, message in required.items():
        require(schema, defs, path.split("."), message)
    if "Plan" in defs:
        describe_term(defs["Plan"], profile)
    zone = f"Даты — в часовом поясе региона ({profile.time_zone})."
    regulation = f"По регламенту «{profile.region}», редакция {profile.version}."
    return {
        "$schema": DIALECT,
        **schema,
        "description": f"{schema.get('description', '')}\n\n{regulation} {zone}".strip(),
    }


def listed(entries: list[Entry]) -> str:
    return "; ".join(f"{entry.code} — {entry.name}" for entry in entries)


def name_codes(properties: dict[str, Schema], profile: Profile) -> None:
    """The edition's competence codes and directions as enums where a field names them."""
    competences = properties.get("competences")
    if competences is not None and "items" in competences:
        competences["items"]["enum"] = [entry.code for entry in profile.competences]
        competences["description"] = "Компетенции по регламенту: " + listed(profile.competences)
    if "direction" in properties:
        if profile.directions:
            properties["direction"] = {
                "type": "string",
                "enum": [entry.code for entry in profile.directions],
                "description": "Направление дорожной карты: " + listed(profile.directions),
            }
        else:
            properties["direction"] = {
                "type": "null",
                "description": "Регламент не делит мероприятия по направлениям: не указывается.",
            }


def resolved(node: Schema, defs: dict[str, Schema]) -> Schema:
    """The object a property schema stands for: its `$ref`, or the non-null branch."""
    if "anyOf" in node:
        node = next(branch for branch in node["anyOf"] if branch.get("type") != "null")
    if "$ref" in node:
        return defs[node["$ref"].removeprefix("#/$defs/")]
    return node


def require(node: Schema, defs: dict[str, Schema], path: list[str], message: str) -> None:
    """Make the field at `path` required (and not null, not blank), saying why."""
    head, *rest = path
    name = head.removesuffix("[]")
    properties = node["properties"]
    if rest:
        inner = resolved(properties[name], defs)
        if head.endswith("[]"):
            inner = resolved(inner["items"], defs)
        require(inner, defs, rest, message)
        return
    field = properties[name]
    if "anyOf" in field:
        field = {
            **next(b for b in field["anyOf"] if b.get("type") != "null"),
            **{k: v for k, v in field.items() if k not in ("anyOf", "default")},
        }
    field = {k: v for k, v in field.items() if k != "default"}
    if field.get("type") == "string" and "enum" not in field:
        field |= NOT_BLANK
    if field.get("type") == "array":
        field["minItems"] = max(1, field.get("minItems", 0))
    note = f"Обязательно по регламенту региона: {message}."
    field["description"] = f"{field.get('description', '')} {note}".strip()
    properties[name] = field
    node["required"] = [*node.get("required", []), name]


def describe_term(plan: Schema, profile: Profile) -> None:
    """The term bounds and the date rules of a plan, said where its dates are."""
    properties = plan["properties"]
    lead = profile.term_max_months + LEAD_MONTHS
    properties["starts_on"]["description"] = (
        "Начало реализации ИОМ: не ранее чем за"
        f" {lead} мес. до открытия ИОМ (наибольший срок и ещё {LEAD_MONTHS} мес.) и не позднее"
        f" чем через {LEAD_MONTHS} мес. от сегодняшнего дня (правило date_window)."
    )
    properties["ends_on"]["description"] = (
        f"Завершение: срок реализации ИОМ от {profile.term_min_months} до"
        f" {profile.term_max_months} мес. — не ранее дня перед датой через"
        f" {profile.term_min_months} мес. от начала и не позднее дня перед датой через"
        f" {profile.term_max_months} мес."
    )
    properties["activities"]["description"] = (
        "Мероприятия: каждое начинается не раньше начала ИОМ, заканчивается не позже его"
        " завершения и не раньше своего начала; идентификаторы не повторяются; хотя бы одно"
        " направлено на дефициты входной диагностики"
        + (", первое — на компетенции низшего уровня." if profile.lowest_levels_first else ".")
    )
