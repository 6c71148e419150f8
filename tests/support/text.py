"""Generators for the text a client may send, and the free-text fields of an input model.

`texts` draws what a hostile or careless client sends: every Unicode category, control
characters, NUL, lone surrogates, decomposed letters, line ends of every kind, and lengths up to
and past a field's limit. `free_text_fields` finds, from a model's JSON schema, every string a
person writes (a string with no pattern, enum or format), with its path and its limit;
`minimal` builds the smallest body a schema accepts, to put one generated value into.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from functools import cache
from typing import Any

from hypothesis import strategies as st
from pydantic import BaseModel

from aggregates.text import printable
from aggregates.values import DIGEST_PATTERN, TEXT_KIND

SPECIALS = ["\x00", "\x1b", "\r\n", "\r", "\n", "\t", "\ud800", "\udfff", "\u200b", "\u202e"]
"""Characters the stores or documents cannot hold, and the line ends and tabs some may."""
DECOMPOSED = ["e\u0301", "\u0418\u0306", "\u212b"]
"""Text NFC composes (é, Й, the Ångström sign)."""
WORDS = st.text(st.sampled_from("абвгдеёжзийклмнопрстуфхцчшщъыьэюя ҕҥөһүABCxyz0123 .,-«»№"))


@cache  # one strategy per limit: a new one is validated again at every draw
def texts(limit: int) -> st.SearchStrategy[str]:
    """Text for a field of at most `limit` characters: any code point at all, mixed with
    Russian words, specials and decomposed letters, or a run up to and past the limit."""
    anything = st.characters(exclude_categories=())
    pieces = st.one_of(
        st.text(anything, max_size=8),
        WORDS,
        st.sampled_from(SPECIALS),
        st.sampled_from(DECOMPOSED),
    )
    mixed = st.lists(pieces, max_size=12).map("".join)
    runs = st.builds(
        lambda char, size, tail: char * size + tail,
        st.sampled_from(["ж", "x", " "]),
        st.integers(max(limit - 2, 0), limit + 2),
        st.sampled_from(["", "\x00", "ё"]),
    )
    return st.one_of(mixed, mixed, runs)


@dataclass(frozen=True)
class TextField:
    """One free-text field of a model: where it is in a body, its limits, and whether it may
    hold several lines (its description says so)."""

    path: tuple[str | int, ...]
    min_length: int
    max_length: int | None
    multiline: bool

    @property
    def dotted(self) -> str:
        """The path as the API's problems name a field: `plan.activities[0].title`."""
        text = ""
        for part in self.path:
            text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else part)
        return text


def _resolve(schema: dict[str, Any], defs: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        schema = defs[schema["$ref"].rsplit("/", 1)[-1]]
    if "anyOf" in schema:  # `X | None`: the X
        schema = next(s for s in schema["anyOf"] if s.get("type") != "null")
        return _resolve(schema, defs)
    return schema


def _walk(
    schema: dict[str, Any], defs: dict[str, Any], path: tuple[str | int, ...]
) -> list[tuple[tuple[str | int, ...], dict[str, Any]]]:
    schema = _resolve(schema, defs)
    if schema.get("type") == "object" and "properties" in schema:
        return [
            leaf
            for name, sub in schema["properties"].items()
            for leaf in _walk(sub, defs, (*path, name))
        ]
    if schema.get("type") == "array":
        return _walk(schema["items"], defs, (*path, 0))
    return [(path, schema)]


def string_leaves(model: type[BaseModel]) -> list[tuple[tuple[str | int, ...], dict[str, Any]]]:
    """Every string in the model's body (lists by their first item), with its schema."""
    schema = model.model_json_schema()
    leaves = _walk(schema, schema.get("$defs", {}), ())
    return [(path, sub) for path, sub in leaves if sub.get("type") == "string"]


def free_text_fields(model: type[BaseModel]) -> list[TextField]:
    """The strings of the model a person writes freely: no pattern, enum or format."""
    return [
        TextField(
            path,
            sub.get("minLength", 0),
            sub.get("maxLength"),
            sub.get(TEXT_KIND) == "lines",
        )
        for path, sub in string_leaves(model)
        if not {"pattern", "enum", "format", "const"} & sub.keys()
    ]


SCALARS: dict[str, Any] = {
    "boolean": False,
    "date": "2026-06-01",
    "date-time": "2026-06-01T09:00:00Z",
    "uuid": "3f1c9a52-7d7e-5b1a-9c55-0e6a1f0a2b11",
    "pattern": "a1",  # fits every identifier pattern of the engine (a digest aside)
    "string": "Текст",
}


def minimal(model: type[BaseModel]) -> dict[str, Any]:
    """The smallest body the model's schema describes: required fields, nested objects and
    lists (of one item each)."""
    schema = model.model_json_schema()
    defs = schema.get("$defs", {})

    def build(sub: dict[str, Any]) -> Any:
        sub = _resolve(sub, defs)
        if "enum" in sub or "const" in sub:
            return sub.get("enum", [sub.get("const")])[0]
        kind = sub.get("type")
        if kind == "object":
            required = sub.get("required", [])
            return {
                name: build(s)
                for name, s in sub.get("properties", {}).items()
                if name in required or {"properties", "items"} & _resolve(s, defs).keys()
            }
        if kind == "array":
            return [build(sub["items"])] * max(sub.get("minItems", 1), 1)
        if kind == "integer":
            return max(sub.get("minimum", 1), 1)
        if sub.get("pattern") == DIGEST_PATTERN:
            return "0" * 64  # a plan's hash: of the right form, the route says if it is stale
        return SCALARS[sub.get("format") or ("pattern" if "pattern" in sub else str(kind))]

    body = build(schema)
    assert isinstance(body, dict)
    return body


def put(body: Any, path: tuple[str | int, ...], value: Any) -> None:
    """Set the value at `path` in `body` (which has every container on the way)."""
    for part in path[:-1]:
        body = body[part]
    body[path[-1]] = value


def get(body: Any, path: tuple[str | int, ...]) -> Any:
    """The value at `path` in `body` (a dict, or a model dumped to one)."""
    for part in path:
        body = body[part]
    return body


def kept(text: str, *, multiline: bool) -> str | None:
    """What the engine should keep of `text` in a field, or None where it must refuse it:
    line ends as `\\n` (several lines only), NFC, trimmed; refused if a character then is
    neither printable nor, in several lines, a line feed or a tab."""
    if multiline:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = unicodedata.normalize("NFC", text)
    layout = "\n\t" if multiline else ""
    if all(printable(char) or char in layout for char in set(text)):  # each character once
        return text.strip()
    return None
