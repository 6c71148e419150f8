"""Reading documents back in tests: a fixed, ticking clock for the routes they are made from,
the text and tables of a .docx (python-docx) and the text of each page of a PDF (pypdf)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from io import BytesIO

import docx
from pypdf import PdfReader

from aggregates.application import Routes
from aggregates.profiles import ProfileCatalogue, load_profiles
from runtime.settings import store_env

TODAY = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
Tables = list[list[list[str]]]


class Ticking:
    """A fixed clock that moves one minute per reading: each command has its own moment."""

    def __init__(self) -> None:
        self.now = TODAY

    def __call__(self) -> datetime:
        self.now += timedelta(minutes=1)
        return self.now


def ticking_routes(url: str) -> Routes:
    """The routes application on the store at `url`, with the regions' profiles and a ticking
    clock."""
    return Routes(store_env(url), profiles=ProfileCatalogue(load_profiles()), clock=Ticking())


def word(data: bytes) -> tuple[Tables, str]:
    """The tables (rows of cell texts; a merged cell repeats) and all the text of a .docx."""
    document = docx.Document(BytesIO(data))
    tables = [[[c.text for c in row.cells] for row in t.rows] for t in document.tables]
    footer = [p.text for p in document.sections[0].footer.paragraphs]
    cells = [text for table in tables for row in table for text in row]
    body = [p.text for p in document.paragraphs]
    return tables, "\n".join([*body, *cells, *footer])


def pdf_pages(data: bytes) -> list[str]:
    """The text of each page of a PDF."""
    return [page.extract_text() for page in PdfReader(BytesIO(data)).pages]
