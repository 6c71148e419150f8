"""Reading documents back in tests: a fixed, ticking clock for the routes they are made from,
the text and tables of a .docx (python-docx), the text of each page of a PDF (pypdf), and every
PDF page drawn to PNG (pypdfium2) under `var/test-artifacts/documents` (or
`$IOM_TEST_ARTIFACTS/documents`; the session's summary names the folder)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from io import BytesIO
from pathlib import Path
from typing import Any

import docx
import pypdfium2 as pdfium  # type: ignore[import-untyped]
from PIL import Image, ImageStat
from pypdf import PdfReader

from aggregates.application import Routes
from aggregates.profiles import ProfileCatalogue, load_profiles
from projections.documents import Document, render
from runtime.settings import store_env
from tests.support.artifacts import artifacts

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


def flat(text: str) -> str:
    """Whitespace folded: a cell's text wraps differently in each writer."""
    return " ".join(text.split())


def snapshot(data: bytes, name: str) -> list[Path]:
    """Draw every page to PNG in the documents' artefacts folder (the PDF beside them); each
    page must exist and show something."""
    folder = artifacts("documents")
    for stale in folder.glob(f"{name}-p*.png"):
        stale.unlink()
    (folder / f"{name}.pdf").write_bytes(data)
    pdf = pdfium.PdfDocument(data)
    paths = []
    try:
        for index in range(len(pdf)):
            page = pdf[index]
            bitmap = page.render(scale=1.2)
            path = folder / f"{name}-p{index + 1}.png"
            bitmap.to_pil().save(path)
            bitmap.close()
            page.close()
            paths.append(path)
    finally:
        pdf.close()
    for path in paths:
        with Image.open(path) as image:
            variance = ImageStat.Stat(image.convert("L")).var[0]
        assert variance > 50, f"{path.name} is blank"
    return paths


def pdf_fonts(data: bytes) -> set[str]:
    """The base names of the fonts a PDF uses, each marked if it is not embedded."""
    found = set()
    for page in PdfReader(BytesIO(data)).pages:
        fonts: Any = page["/Resources"]["/Font"]  # type: ignore[index]
        for ref in fonts.values():
            font = ref.get_object()
            descendant = font["/DescendantFonts"][0].get_object()
            embedded = "/FontFile2" in descendant["/FontDescriptor"].get_object()
            found.add(f"{str(font['/BaseFont']).split('+')[-1]}{'' if embedded else ' (absent)'}")
    return found


def both(document: Document, name: str) -> tuple[Tables, str, list[str]]:
    """The document written both ways: Word's tables and text, PDF's pages (drawn to PNG).
    The PDF's Cyrillic is drawn in the DejaVu fonts the package ships, embedded."""
    tables, text = word(render(document, "docx"))
    data = render(document, "pdf")
    snapshot(data, name)
    assert pdf_fonts(data) <= {"DejaVuSansBook", "DejaVuSansBold"}, pdf_fonts(data)
    return tables, text, pdf_pages(data)
