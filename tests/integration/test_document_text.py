"""Every document prints every text the engine accepts (issue 23, defects 5 and 11): values at
their length limits split across pages rather than failing, and every character of
`aggregates.text.PRINTABLE` drawn in the PDF, none dropped for want of a glyph."""

from __future__ import annotations

import logging
import random
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from itertools import count
from typing import cast

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from aggregates.application import Routes
from aggregates.profiles import ProfileCatalogue, load_profiles
from projections.catalog import catch_up
from projections.documents import (
    CampaignOptions,
    Cell,
    Document,
    Paragraph,
    RouteDocKind,
    Section,
    Table,
    campaign_document,
    forms_of,
    render,
    route_document,
)
from tests.support.documents import TODAY, pdf_pages, ticking_routes, word
from tests.support.texts import ALPHABET, Field, drive_filled, printable_text

REGIONS = ("sakha", "balakhta", "sovetsky")
REASON = " ".join(f"причина{n:04d}" for n in range(1, 400))[:4000].rsplit(" ", 1)[0]
"""A not-done reason near the 4,000-character limit, its words numbered so their order shows."""
SHOWS_REASON = ("monitoring", "balakhta", "sovetsky")
GLYPH_MISSING = "is missing the following glyphs"  # fpdf2 logs it (fpdf.output) as it saves


@pytest.fixture
def app(sqlite_url: str) -> Iterator[Routes]:
    application = ticking_routes(sqlite_url)
    yield application
    application.close()


def squeezed(text: str) -> str:
    """Text without white space: each writer breaks lines in its own places."""
    return "".join(text.split())


def in_order(words: list[str], text: str) -> list[str]:
    """The words not found in `text` one after another (white space aside): a PDF goes on with a
    long cell on the next page, after the repeated header and the row's «(продолжение)»."""
    flat, start, missing = squeezed(text), 0, []
    for w in words:
        found = flat.find(w, start)
        if found < 0:
            missing.append(w)
        else:
            start = found + len(w)
    return missing


def reason_only(field: Field) -> str | None:
    return REASON if (field.owner, field.name) == ("MarkActivityNotDone", "reason") else None


@pytest.mark.parametrize("region", REGIONS)
def test_the_longest_reason_an_activity_was_not_done_prints_whole_in_every_document(
    app: Routes, region: str, caplog: pytest.LogCaptureFixture
) -> None:
    assert 3900 < len(REASON) <= 4000
    route_id = drive_filled(app, region, reason_only, today=TODAY.date())
    assert REASON in [r.reason for r in app.route(route_id).activities.values()]
    for kind in forms_of(app.route(route_id).profile):
        document = route_document(app, route_id, kind)
        pdf = "\n".join(pdf_pages(render(document, "pdf")))
        _, docx = word(render(document, "docx"))
        if kind in SHOWS_REASON:
            assert in_order(REASON.split(), pdf) == [], kind
            assert squeezed(REASON) in squeezed(docx), kind
            # The row goes on page after page, its number repeated.
            assert "(продолжение)" in squeezed(pdf), kind
    assert GLYPH_MISSING not in caplog.text


routes = count(1)


PLACES = [
    (region, kind)
    for region in REGIONS
    for kind in (*forms_of(ProfileCatalogue(load_profiles()).latest(region)), "campaign")
]
"""Each region with each of its own forms (`documents.forms`), and its campaign report."""


@dataclass(frozen=True)
class Draw:
    """One example: the route's region, the document, the characters its texts are made of and
    how they are laid out (`printable_text`)."""

    region: str
    kind: str
    alphabet: list[str]
    seed: int
    spaces: float
    breaks: float


@settings(
    max_examples=15,
    deadline=None,
    phases=[Phase.explicit, Phase.reuse, Phase.generate],  # each example takes seconds
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    draw=st.builds(
        lambda place, **rest: Draw(*place, **rest),
        place=st.sampled_from(PLACES),
        alphabet=st.lists(st.sampled_from(ALPHABET), min_size=8, max_size=60, unique=True),
        seed=st.integers(min_value=0, max_value=2**32 - 1),
        spaces=st.sampled_from([0.0, 0.02, 0.2]),
        breaks=st.sampled_from([0.0, 0.01, 0.2]),
    )
)
def test_every_document_prints_every_free_text_at_its_limit(
    app: Routes, caplog: pytest.LogCaptureFixture, draw: Draw
) -> None:
    """Each free-text value of a route (plan, activities, diagnostics, marks, corrections,
    conclusions, the subject the campaign groups by) as long as allowed, of characters drawn
    from `PRINTABLE` (a few dozen of them in each example: `test_every_character_…` prints all of
    them): one word over a whole cell, or words, with line feeds and tabs where the field has
    lines; each example one of the route's documents or the region's campaign report, both
    ways."""
    rng = random.Random(draw.seed)
    chosen: dict[tuple[str, str, str], str] = {}

    def longest(field: Field) -> str | None:
        # A step that repeats a value of the route (the final diagnostic's platform, the
        # corrected plan) keeps it; the same demo value gets the same text.
        if field.value in chosen.values():
            return None
        key = (field.owner, field.name, field.value)
        if key not in chosen:
            chosen[key] = printable_text(
                rng, field, draw.alphabet, spaces=draw.spaces, breaks=draw.breaks
            )
        return chosen[key]

    caplog.clear()
    route_id = drive_filled(app, draw.region, longest, index=6 * next(routes), today=TODAY.date())
    if draw.kind == "campaign":
        catch_up(app, "monitoring")
        document = campaign_document(app, draw.region, CampaignOptions())
    else:
        document = route_document(app, route_id, cast(RouteDocKind, draw.kind))
    assert render(document, "pdf").startswith(b"%PDF")
    assert render(document, "docx").startswith(b"PK")
    assert GLYPH_MISSING not in caplog.text


def test_every_character_the_engine_accepts_is_drawn_in_the_pdf(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Every character of `PRINTABLE` (Latin and its extensions, IPA, Greek, Cyrillic with the
    letters of Yakut, Tatar and Bashkir, Armenian, Georgian, punctuation, mathematics, arrows,
    box drawing, dingbats…) in the regular face (a table's body, a paragraph) and in the bold
    (a table's labels, a subheading) is read back from the PDF, and fpdf2 reports
    no glyph missing."""
    sample = [c for c in ALPHABET if not c.isspace()]
    assert {*"ҕҥөһүәӊҡғҙҫҳ"} <= {*sample}
    text = " ".join(sample)
    lines = [" ".join(sample[i : i + 400]) for i in range(0, len(sample), 400)]
    document = Document(
        title="Все символы",
        sections=(
            Section(
                "Таблица",
                (
                    Table(
                        widths=(1, 1),
                        header=((Cell("Поле"), Cell("Значение")),),
                        rows=tuple((line, line) for line in lines),
                        key_value=True,
                    ),
                    Paragraph(text, "strong"),
                    Paragraph(text),
                ),
            ),
        ),
        footer=("Проверка символов",),
    )
    with caplog.at_level(logging.WARNING, logger="fpdf"):
        data = render(document, "pdf")
    assert GLYPH_MISSING not in caplog.text
    printed = Counter("".join(pdf_pages(data)))
    placed = Counter(c for c in document.text() if not c.isspace())
    short = {f"U+{ord(c):04X}": printed[c] for c, n in placed.items() if printed[c] < n}
    assert short == {}, f"drawn fewer times than placed: {short}"
