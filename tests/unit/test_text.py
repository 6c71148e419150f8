"""The text the engine accepts is exactly what the shipped fonts print (aggregates/text.py)."""

from __future__ import annotations

import unicodedata
from pathlib import Path

import pytest
from fontTools.ttLib import TTFont
from pydantic_core import PydanticCustomError

from aggregates.text import PRINTABLE, SHAPED, accepted, printable

FONTS = Path(__file__).parents[2] / "projections" / "documents" / "fonts"
REFUSED_CATEGORIES = {"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"}
RIGHT_TO_LEFT = {"R", "AL", "AN"}


def font_points(name: str) -> set[int]:
    return set(TTFont(FONTS / name).getBestCmap())


def test_printable_is_what_both_fonts_print_left_to_right() -> None:
    common = font_points("DejaVuSans.ttf") & font_points("DejaVuSans-Bold.ttf")
    derived = {
        point
        for point in common
        if point >= 0x20
        and unicodedata.category(chr(point)) not in REFUSED_CATEGORIES
        and unicodedata.bidirectional(chr(point)) not in RIGHT_TO_LEFT
        and not any(low <= point <= high for low, high in SHAPED)
    }
    listed = {point for low, high in PRINTABLE for point in range(low, high + 1)}
    assert listed == derived
    assert all(printable(chr(point)) for point in derived)


@pytest.mark.parametrize(
    "text",
    ["Педагог ҕ ҥ ө һ ү", "Ärger — «цитата» № 5 ≤ 7 → ✓", "Ελληνικά Հայերեն ქართული"],
)
def test_the_republics_and_neighbours_scripts_are_accepted(text: str) -> None:
    assert accepted(text, multiline=False) == text


@pytest.mark.parametrize(
    ("text", "point"),
    [
        ("до\x00после", "U+0000"),
        ("a\ud800b", "U+D800"),
        ("x\u200by", "U+200B"),
        ("x\u202ey", "U+202E"),
        ("漢字", "U+6F22"),
        ("नमस्ते", "U+0928"),
        ("مرحبا", "U+0645"),
        ("ok \U0001f680", "U+1F680"),
        ("a\ue000", "U+E000"),
        ("שָׁ", "U+05E9"),
        ("a\u064b", "U+064B"),
        ("ສະບາຍດີ", "U+0EAA"),
        ("a\tb", "U+0009"),
    ],
)
def test_what_no_store_or_document_keeps_is_refused_by_its_code_point(
    text: str, point: str
) -> None:
    with pytest.raises(PydanticCustomError) as refused:
        accepted(text, multiline=False)
    assert refused.value.type == "text_unprintable"
    assert point in str(refused.value)


def test_text_is_normalised_to_its_composed_form_and_line_ends_to_line_feeds() -> None:
    assert accepted("e\u0301", multiline=False) == "\u00e9"
    assert accepted("один\r\nдва\rтри\tчетыре", multiline=True) == "один\nдва\nтри\tчетыре"
    with pytest.raises(PydanticCustomError):
        accepted("один\nдва", multiline=False)
