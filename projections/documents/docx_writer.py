"""Draws a `Document` as Word (python-docx): real tables with merged, repeated header rows,
landscape pages when a table is wide, the provenance lines in every page's footer."""

from __future__ import annotations

from io import BytesIO

import docx
from docx.document import Document as Docx
from docx.enum.section import WD_ORIENT
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Mm, Pt
from docx.table import Table as DocxTable
from docx.text.paragraph import Paragraph as DocxParagraph

from projections.documents.model import Document, Paragraph, Section, Signature, Table
from projections.documents.qr import QR_SIZE, qr_png

FONT = "Times New Roman"  # the type of Russian official papers; Word has it everywhere
SIZES = {"body": 11, "note": 9, "strong": 11, "centered": 12, "large": 16}
MARGIN = Cm(1.5)
ALIGN = {"left": WD_ALIGN_PARAGRAPH.LEFT, "center": WD_ALIGN_PARAGRAPH.CENTER}


def write_docx(document: Document) -> bytes:
    """The document as a .docx file's bytes."""
    word = docx.Document()
    _page(word, document)
    for line in document.header_lines:
        _text(word.add_paragraph(), line, 10, align=WD_ALIGN_PARAGRAPH.RIGHT)
    _text(word.add_paragraph(), document.title, 14, bold=True, align=WD_ALIGN_PARAGRAPH.CENTER)
    for line in document.subtitle:
        _text(word.add_paragraph(), line, 9, align=WD_ALIGN_PARAGRAPH.CENTER)
    for section in document.sections:
        _section(word, section)
    buffer = BytesIO()
    word.save(buffer)
    return buffer.getvalue()


def _page(word: Docx, document: Document) -> None:
    style = word.styles["Normal"]
    style.font.name = FONT
    style.font.size = Pt(11)
    # Word picks the Cyrillic face from the east-Asian/complex slots too unless they are set.
    fonts = style.element.get_or_add_rPr().get_or_add_rFonts()
    for slot in ("w:eastAsia", "w:cs"):
        fonts.set(qn(slot), FONT)
    section = word.sections[0]
    # The template is US Letter; Russian papers are A4.
    section.page_width, section.page_height = Mm(210), Mm(297)
    if document.landscape:
        section.orientation = WD_ORIENT.LANDSCAPE
        section.page_width, section.page_height = Mm(297), Mm(210)
    for side in ("left_margin", "right_margin", "top_margin", "bottom_margin"):
        setattr(section, side, MARGIN)
    footer = section.footer
    first = True
    for line in document.footer:
        paragraph = footer.paragraphs[0] if first else footer.add_paragraph()
        first = False
        _text(paragraph, line, 7)
    _page_number(footer.add_paragraph())
    if document.code:  # the QR code on every page, under the provenance lines, at the right
        picture = footer.add_paragraph()
        picture.alignment = WD_ALIGN_PARAGRAPH.RIGHT
        picture.add_run().add_picture(BytesIO(qr_png(document.code)), width=Mm(QR_SIZE))


def _page_number(paragraph: DocxParagraph) -> None:
    """«Стр. N из M» with Word's own fields, so every page shows its number."""
    _text(paragraph, "Стр. ", 7, align=WD_ALIGN_PARAGRAPH.RIGHT)
    for name, tail in (("PAGE", " из "), ("NUMPAGES", "")):
        field = OxmlElement("w:fldSimple")
        field.set(qn("w:instr"), name)
        run = OxmlElement("w:r")
        text = OxmlElement("w:t")
        text.text = "1"
        run.append(text)
        field.append(run)
        paragraph._p.append(field)
        if tail:
            _text(paragraph, tail, 7)


def _text(
    paragraph: DocxParagraph,
    text: str,
    size: float,
    *,
    bold: bool = False,
    align: WD_ALIGN_PARAGRAPH | None = None,
) -> None:
    run = paragraph.add_run(text)
    run.font.size = Pt(size)
    run.font.bold = bold or None
    if align is not None:
        paragraph.alignment = align
    paragraph.paragraph_format.space_after = Pt(2)


def _section(word: Docx, section: Section) -> None:
    if section.heading:
        heading = word.add_paragraph()
        heading.paragraph_format.keep_with_next = True  # a heading never ends a page
        _text(heading, section.heading, 12, bold=True)
    for block in section.blocks:
        if isinstance(block, Table):
            _table(word, block)
            word.add_paragraph().paragraph_format.space_after = Pt(0)
        elif isinstance(block, Signature):
            _text(word.add_paragraph(), block.line, 11)
        else:
            _paragraph(word, block)


def _paragraph(word: Docx, block: Paragraph) -> None:
    centred = block.style in ("centered", "large")
    paragraph = word.add_paragraph()
    paragraph.paragraph_format.keep_with_next = block.style == "strong"
    _text(
        paragraph,
        block.text,
        SIZES[block.style],
        bold=block.style in ("strong", "large"),
        align=WD_ALIGN_PARAGRAPH.CENTER if centred else None,
    )


def _table(word: Docx, table: Table) -> None:
    section = word.sections[-1]
    usable = section.page_width - section.left_margin - section.right_margin  # type: ignore[operator]
    widths = [int(usable * share) for share in table.fractions()]
    heads = len(table.header)
    grid = word.add_table(rows=heads + len(table.rows), cols=table.columns)
    grid.style = "Table Grid"
    grid.alignment = WD_TABLE_ALIGNMENT.CENTER
    grid.autofit = False
    size = 8 if table.compact else 10
    for index, column in enumerate(grid.columns):
        column.width = widths[index]
        for cell in column.cells:
            cell.width = widths[index]
    for placed in table.header_grid():
        cell = grid.cell(placed.row, placed.column)
        last_row = placed.row + placed.cell.rowspan - 1
        last_column = placed.column + placed.cell.colspan - 1
        if (last_row, last_column) != (placed.row, placed.column):
            cell = cell.merge(grid.cell(last_row, last_column))
        _text(
            cell.paragraphs[0], placed.cell.text, size, bold=True, align=WD_ALIGN_PARAGRAPH.CENTER
        )
    for row_index in range(heads):
        _repeat_as_header(grid, row_index)
    for row_index, row in enumerate(table.rows, start=heads):
        for column, text in enumerate(row):
            bold = table.key_value and column == 0
            align = ALIGN[table.column_align(column)]
            _text(grid.cell(row_index, column).paragraphs[0], text, size, bold=bold, align=align)


def _repeat_as_header(grid: DocxTable, row_index: int) -> None:
    """Mark a header row to repeat at the top of every page the table runs onto."""
    properties = grid.rows[row_index]._tr.get_or_add_trPr()
    flag = OxmlElement("w:tblHeader")
    flag.set(qn("w:val"), "true")
    properties.append(flag)
