"""Every text a client sends is refused or kept as the engine can hold and print it, in every
command, API input, sheet and profile; every free-text field has a documented limit; identifiers
keep to their patterns (issue 23, defects 1, 5 and 11)."""

from __future__ import annotations

import copy
from functools import cache
from typing import Any

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st
from pydantic import BaseModel, TypeAdapter, ValidationError

from aggregates.commands import COMMANDS, OPERATIONS, OpenRoute
from aggregates.personal import Erasure, TeacherSheet
from aggregates.profiles import Profile, load_profiles
from aggregates.values import TEXT_KIND, Checked, Code, Ident, Key, checking
from api.models import DiagnosticItem, OpenRouteRequest
from tests.support.profiles import shipped_profiles
from tests.support.text import (
    TextField,
    free_text_fields,
    get,
    kept,
    minimal,
    put,
    string_leaves,
    texts,
)

INPUTS: dict[str, type[BaseModel]] = {
    **COMMANDS,
    **{f"operation:{name}": command for name, command in OPERATIONS.items()},
    "open_route": OpenRoute,
    "api:open_route": OpenRouteRequest,
    "api:diagnostic_item": DiagnosticItem,
    "teacher_sheet": TeacherSheet,
    "erasure": Erasure,
    "profile": Profile,
}
"""Every model a client's or an operator's input is read by."""
FIELDS = [
    pytest.param(name, field, id=f"{name}:{field.dotted}")
    for name, model in INPUTS.items()
    for field in free_text_fields(model)
]


@cache
def _base(name: str) -> dict[str, Any]:
    if name == "profile":
        entry = {"code": "d1", "name": "Направление"}
        return shipped_profiles()["sakha@1"].model_dump(mode="json") | {"directions": [entry]}
    return minimal(INPUTS[name])


def base(name: str) -> dict[str, Any]:
    """A body the model accepts, to put one generated value into (a fresh copy)."""
    return copy.deepcopy(_base(name))


def test_every_input_model_accepts_its_base_body() -> None:
    for name, model in INPUTS.items():
        model.model_validate(base(name))


def test_every_input_but_a_profile_file_is_checked_whoever_reads_it() -> None:
    """A command, an API body, a sheet is checked by its class; a profile by its loader
    (`test_a_profile_with_text_no_document_prints_is_refused`)."""
    assert [name for name, model in INPUTS.items() if not issubclass(model, Checked)] == ["profile"]


def test_every_string_a_client_writes_is_limited_and_checked() -> None:
    """Each string in every input is an identifier (a pattern), a choice (an enum), a date,
    or a person's text: then its limit and its kind (one line or several) are in the schema."""
    for name, model in INPUTS.items():
        for path, schema in string_leaves(model):
            if {"pattern", "enum", "format", "const"} & schema.keys():
                continue
            assert "maxLength" in schema, (name, path)
            assert schema.get(TEXT_KIND) in {"line", "lines"}, (name, path)
    assert len(FIELDS) > 60


def test_long_texts_of_an_activity_have_their_limits() -> None:
    schema = COMMANDS["complete_activity"].model_json_schema()["properties"]
    for field in ("result", "product", "self_assessment", "employer_assessment"):
        assert schema[field]["maxLength"] == 4000
        assert "4000 символов" in schema[field]["description"]


@pytest.mark.parametrize(("name", "field"), FIELDS)
@given(data=st.data())
def test_every_text_field_keeps_or_refuses_what_it_is_sent(
    name: str, field: TextField, data: st.DataObject
) -> None:
    text = data.draw(texts(field.max_length or 4000), label="text")
    body = base(name)
    put(body, field.path, text)
    expected = kept(text, multiline=field.multiline)
    try:
        with checking():  # as the edge reads it (a profile's loader says so itself)
            value = INPUTS[name].model_validate(body)
    except ValidationError as error:
        problems = error.errors()
        assert [p["loc"] for p in problems] == [field.path], problems
        if expected is None:
            assert problems[0]["type"] == "text_unprintable"
            assert "U+" in problems[0]["msg"] or "«" in problems[0]["msg"]
        else:
            assert problems[0]["type"] in {"string_too_long", "string_too_short"}
            assert not field.min_length <= len(expected) <= (field.max_length or 4000)
        return
    assert expected is not None, "a character no store or font keeps was accepted"
    assert get(value.model_dump(mode="json"), field.path) == expected


@pytest.mark.parametrize("adapter", [TypeAdapter(Ident), TypeAdapter(Code), TypeAdapter(Key)])
@pytest.mark.parametrize("bad", ["a1\n", "a1\x00", "a1 ", "\na1", "a1\r\n"])
def test_identifiers_refuse_a_trailing_newline_and_controls(
    adapter: TypeAdapter[str], bad: str
) -> None:
    # Python's `$` would match before a final "\n"; pydantic's Rust regex does not.
    assert adapter.validate_python("a1") == "a1"
    with pytest.raises(ValidationError, match="string_pattern_mismatch"):
        adapter.validate_python(bad)


def test_the_issues_examples_are_refused_naming_the_field() -> None:
    cases = [
        ("record_interim_result", {"recorded_on": "2026-06-01", "text": "до\x00после"}, "text"),
        ("mark_activity_not_done", {"activity_id": "a1", "reason": "нет\x00"}, "reason"),
        (
            "complete_activity",
            {"activity_id": "a1", "completed_on": "2026-06-01", "result": "ok"}
            | {"product": "x" * 1_000_008},
            "product",
        ),
    ]
    for name, body, field in cases:
        with pytest.raises(ValidationError) as caught:
            COMMANDS[name].model_validate(body)
        assert [e["loc"] for e in caught.value.errors()] == [(field,)]
    with pytest.raises(ValidationError) as caught:
        COMMANDS["record_interim_result"].model_validate(
            {"recorded_on": "2026-06-01", "text": "до\x00после"}
        )
    assert caught.value.errors()[0]["msg"] == "недопустимый символ U+0000 в позиции 3"


def test_a_profile_with_text_no_document_prints_is_refused(tmp_path: Any) -> None:
    shipped = shipped_profiles()["sakha@1"].model_dump(mode="json")
    broken = shipped | {"id": "broken", "region": "Якутия\x07"}

    (tmp_path / "broken.yaml").write_text(yaml.safe_dump(broken, allow_unicode=True), "utf-8")
    with pytest.raises(ValueError, match=r"region[\s\S]*U\+0007"):
        load_profiles(tmp_path)
