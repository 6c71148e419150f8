"""Draws a `Document` as PDF (fpdf2) with the DejaVu fonts shipped in the package: tables with
wrapped cells and header rows repeated on every page, the provenance footer on every page."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from importlib import resources
from io import BytesIO
from pathlib import Path

from fpdf import FPDF, FontFace
from fpdf.enums import XPos, YPos

from projections.documents.model import Document, Paragraph, Section, Signature, Table
from projections.documents.qr import QR_SIZE, qr_png

FAMILY = "DejaVu"
SIZES = {"body": 10, "note": 8, "strong": 10, "centered": 11, "large": 15}
FOOTER_LINE = 3.2  # mm per footer line
HEADING_FILL = (235, 235, 235)
KEEP_WITH_NEXT = 30  # mm: a heading with less room than this below it starts the next page
ALIGN = {"left": "L", "center": "C"}
PADDING = 1  # mm inside a table cell
CONTINUED = "(продолжение)"
TAB = "    "  # a tab drawn as four spaces


@contextmanager
def font_files() -> Iterator[tuple[Path, Path]]:
    """The regular and bold DejaVu Sans files shipped inside the package, as real files for
    as long as the PDF is being made (fpdf2 wants paths; a zipped install has none)."""
    fonts = resources.files("projections.documents") / "fonts"
    with (
        resources.as_file(fonts / "DejaVuSans.ttf") as regular,
        resources.as_file(fonts / "DejaVuSans-Bold.ttf") as bold,
    ):
        yield regular, bold


class _Pdf(FPDF):
    """A page with the document's provenance lines and the page number at its foot."""

    def __init__(self, document: Document, regular: Path, bold: Path) -> None:
        super().__init__(orientation="L" if document.landscape else "P", unit="mm", format="A4")
        self.footer_lines = document.footer
        self.qr = BytesIO(qr_png(document.code)) if document.code else None
        self.add_font(FAMILY, "", regular)
        self.add_font(FAMILY, "B", bold)
        self.set_margins(15, 12, 15)
        room = FOOTER_LINE * (len(document.footer) + 1) + (QR_SIZE + 1 if self.qr else 0)
        self.set_auto_page_break(True, margin=10 + room)
        self.set_title(document.title)
        self.set_creator("iom-engine")

    def footer(self) -> None:
        top = self.h - (6 + FOOTER_LINE * (len(self.footer_lines) + 1))
        if self.qr is not None:  # the QR code at the right, just above the lines
            left = self.w - self.r_margin - QR_SIZE
            self.image(self.qr, x=left, y=top - QR_SIZE - 1, w=QR_SIZE, h=QR_SIZE)
        self.set_y(top)
        self.set_font(FAMILY, "", 6.5)
        self.set_text_color(70, 70, 70)
        for line in self.footer_lines:
            self.cell(0, FOOTER_LINE, line, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.cell(0, FOOTER_LINE, f"Стр. {self.page_no()} из {{nb}}", align="R")
        self.set_text_color(0, 0, 0)


def write_pdf(document: Document) -> bytes:
    """The document as a PDF file's bytes."""
    with font_files() as (regular, bold):
        pdf = _Pdf(document, regular, bold)
        pdf.add_page()
        for line in document.header_lines:
            _line(pdf, line, 9, align="R")
        pdf.ln(1)
        _line(pdf, document.title, 13, bold=True, align="C")
        for line in document.subtitle:
            _line(pdf, line, 8, align="C")
        for section in document.sections:
            _section(pdf, section)
        return bytes(pdf.output())


def _line(pdf: FPDF, text: str, size: float, *, bold: bool = False, align: str = "L") -> None:
    pdf.set_font(FAMILY, "B" if bold else "", size)
    pdf.multi_cell(0, size * 0.5, _printed(text), align=align, new_x=XPos.LMARGIN, new_y=YPos.NEXT)


def _section(pdf: FPDF, section: Section) -> None:
    if section.heading:
        first = section.blocks[0] if section.blocks else None
        # A subheading right below keeps with what it heads too: room for both.
        subheaded = isinstance(first, Paragraph) and first.style == "strong"
        _keep_with_next(pdf, KEEP_WITH_NEXT * (2 if subheaded else 1))
        pdf.ln(2)
        _line(pdf, section.heading, 11, bold=True)
        pdf.ln(1)
    for block in section.blocks:
        if isinstance(block, Table):
            _table(pdf, block)
            pdf.ln(2)
        elif isinstance(block, Signature):
            pdf.ln(2)
            _line(pdf, block.line, 10)
        else:
            _paragraph(pdf, block)


def _keep_with_next(pdf: FPDF, room: float = KEEP_WITH_NEXT) -> None:
    """A heading never ends a page: what it heads follows it."""
    if pdf.will_page_break(room):
        pdf.add_page()


def _paragraph(pdf: FPDF, block: Paragraph) -> None:
    if block.style == "strong":
        _keep_with_next(pdf)
    if block.style == "large":
        pdf.ln(4)
    align = "C" if block.style in ("centered", "large") else "L"
    _line(pdf, block.text, SIZES[block.style], bold=block.style in ("strong", "large"), align=align)
    pdf.ln(1)


def _table(pdf: FPDF, table: Table) -> None:
    size = 7.5 if table.compact else 9
    pdf.set_font(FAMILY, "", size)
    widths = tuple(pdf.epw * share for share in table.fractions())
    heads = len(table.header)
    label = FontFace(emphasis="B")
    cells = _Measure(pdf, size * 0.48)
    room = pdf.page_break_trigger - pdf.t_margin - _header_height(cells, table, widths)
    with pdf.table(
        col_widths=widths,
        width=pdf.epw,
        first_row_as_headings=heads > 0,
        num_heading_rows=max(heads, 1),
        repeat_headings=1,  # on top of every page
        headings_style=FontFace(emphasis="B", fill_color=HEADING_FILL),
        line_height=cells.line_height,
        text_align="LEFT",
        v_align="TOP",
        padding=PADDING,
    ) as grid:
        for header_row in table.header:
            row = grid.row()
            for cell in header_row:
                row.cell(
                    _printed(cell.text),
                    align="C",
                    v_align="M",
                    colspan=cell.colspan,
                    rowspan=cell.rowspan,
                )
        for body_row in table.rows:
            for part in _fitted(cells, table, widths, body_row, room):
                row = grid.row()
                for column, text in enumerate(part):
                    style = label if table.key_value and column == 0 else None
                    row.cell(text, style=style, align=ALIGN[table.column_align(column)])


class _Measure:
    """The lines a table cell's text wraps into, as fpdf2's table draws the cell."""

    def __init__(self, pdf: FPDF, line_height: float) -> None:
        self.pdf = pdf
        self.line_height = line_height

    def lines(self, text: str, width: float, *, bold: bool = False) -> list[str]:
        if not text:
            return []
        pdf = self.pdf
        style = pdf.font_style
        pdf.set_font(style="B" if bold else "")
        lines = pdf.multi_cell(
            width,
            self.line_height,
            text,
            max_line_height=self.line_height,
            padding=PADDING,
            dry_run=True,
            output="LINES",
        )
        pdf.set_font(style=style)
        assert isinstance(lines, list)  # output="LINES": the lines, nothing else
        return lines

    def height(self, lines: int) -> float:
        """The height of a cell of that many lines."""
        return max(lines, 1) * self.line_height + 2 * PADDING


def _header_height(cells: _Measure, table: Table, widths: tuple[float, ...]) -> float:
    """How high the table's header rows stand (a cell spanning rows counted in its first, so
    never less than fpdf2 draws them)."""
    rows = [0.0] * len(table.header)
    for placed in table.header_grid():
        width = sum(widths[placed.column : placed.column + placed.cell.colspan])
        lines = cells.lines(_printed(placed.cell.text), width, bold=True)
        rows[placed.row] = max(rows[placed.row], cells.height(len(lines)))
    return sum(rows)


def _fitted(
    cells: _Measure,
    table: Table,
    widths: tuple[float, ...],
    row: tuple[str, ...],
    room: float,
) -> list[tuple[str, ...]]:
    """A body row as rows no taller than `room` (a page below the repeated header): a row too
    high for one page goes on in continuation rows, each cell's wrapped lines in turn, the key
    column (the first) repeated with «(продолжение)» once its own lines are done."""
    texts = [_printed(text) for text in row]
    wrapped = [
        cells.lines(text, width, bold=table.key_value and column == 0)
        for column, (text, width) in enumerate(zip(texts, widths, strict=True))
    ]
    tallest = max(len(lines) for lines in wrapped)
    if cells.height(tallest) <= room:
        return [tuple(texts)]
    # One line spare: fpdf2 rounds its heights, a part must never be too high for a page.
    per_part = max(int((room - 2 * PADDING) / cells.line_height) - 1, 1)
    key = f"{texts[0]} {CONTINUED}"
    if len(cells.lines(key, widths[0], bold=table.key_value)) > per_part:
        key = CONTINUED
    parts = []
    for start in range(0, tallest, per_part):
        part = ["\n".join(lines[start : start + per_part]) for lines in wrapped]
        if start and start >= len(wrapped[0]):
            part[0] = key
        parts.append(tuple(part))
    return parts


def _printed(text: str) -> str:
    """Text as the PDF draws it: a tab (which no font has a glyph for) as spaces."""
    return text.replace("\t", TAB)
