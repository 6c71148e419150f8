"""The neutral document model: what a document says and how it is divided, not how it is drawn.

A builder (one per document family) turns a route into a `Document`; a writer (DOCX, PDF) draws
any `Document`. Everything both writers need to agree on — column proportions, merged header
cells, which table is wide, the footer lines — is decided here, once.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

ParagraphStyle = Literal["body", "note", "strong", "centered", "large"]
Align = Literal["left", "center"]
"""body: ordinary text; note: small print; strong: bold; centered: centred text (certificate);
large: centred large bold text (the certificate's key lines)."""

WIDE_COLUMNS = 5
"""A table with this many columns or more is drawn on a landscape page."""

COMPACT_COLUMNS = 7
"""A table with this many columns or more is drawn in a smaller type so its cells stay readable."""


@dataclass(frozen=True)
class Cell:
    """A header cell; `colspan`/`rowspan` merge it with its neighbours as in HTML."""

    text: str
    colspan: int = 1
    rowspan: int = 1


@dataclass(frozen=True)
class PlacedCell:
    """A header cell with its position in the header grid (row and column of its top-left)."""

    row: int
    column: int
    cell: Cell


@dataclass(frozen=True)
class Table:
    """A table: header rows (HTML-like: a position covered by a span from above is omitted),
    body rows of plain text (`\\n` breaks a line), and relative column widths."""

    widths: tuple[float, ...]
    header: tuple[tuple[Cell, ...], ...] = ()
    rows: tuple[tuple[str, ...], ...] = ()
    key_value: bool = False  # a two-column «поле — значение» table: the first column is a label
    align: tuple[Align, ...] = ()  # per column of the body; left where not given

    def __post_init__(self) -> None:
        # Validated once here so that neither writer has to cope with a ragged table.
        for row in self.rows:
            if len(row) != self.columns:
                raise ValueError(f"a row has {len(row)} cells, the table {self.columns} columns")
        self.header_grid()

    @property
    def columns(self) -> int:
        """How many columns the table has."""
        return len(self.widths)

    @property
    def wide(self) -> bool:
        """Too many columns for a portrait page."""
        return self.columns >= WIDE_COLUMNS

    @property
    def compact(self) -> bool:
        """So many columns that a smaller type is needed."""
        return self.columns >= COMPACT_COLUMNS

    def column_align(self, column: int) -> Align:
        """How the body cells of a column are aligned."""
        return self.align[column] if column < len(self.align) else "left"

    def fractions(self) -> tuple[float, ...]:
        """Each column's share of the table's width (they add up to 1)."""
        total = sum(self.widths)
        return tuple(width / total for width in self.widths)

    def header_grid(self) -> list[PlacedCell]:
        """The header cells with their grid positions; refuses a header that does not tile."""
        taken: set[tuple[int, int]] = set()
        placed: list[PlacedCell] = []
        for row_index, row in enumerate(self.header):
            column = 0
            for cell in row:
                while (row_index, column) in taken:
                    column += 1
                if row_index + cell.rowspan > len(self.header):
                    raise ValueError(f"header cell «{cell.text}» spans past the header")
                placed.append(PlacedCell(row_index, column, cell))
                for r in range(row_index, row_index + cell.rowspan):
                    for c in range(column, column + cell.colspan):
                        taken.add((r, c))
                column += cell.colspan
        expected = {(r, c) for r in range(len(self.header)) for c in range(self.columns)}
        if taken != expected:
            raise ValueError("the header cells do not cover the table's columns exactly")
        return placed


@dataclass(frozen=True)
class Paragraph:
    """A paragraph of text (`\\n` breaks a line)."""

    text: str
    style: ParagraphStyle = "body"


@dataclass(frozen=True)
class Signature:
    """A signature line as the regulations print it: «Должность _____ / расшифровка / дата»,
    the расшифровка with the signer's position and, for a deputy, «за» whom; then the plan's
    revision the signer signed (`projections.documents.signatures` fills it)."""

    title: str
    name: str = ""
    on: str = ""
    position: str = ""  # «методист, ЦНППМ»: the signer's position and organisation
    revision: str = ""  # «редакция 2, хеш 1a2b3c4d5e6f»
    for_whom: str = ""  # the head a deputy signed for: «Петров П. П. (директор, МБОУ СОШ № 3)»

    @property
    def line(self) -> str:
        """The line as printed; blanks stay blanks to be filled in by hand."""
        who = ", ".join(part for part in (self.name or "__________", self.position) if part)
        if self.for_whom:
            who = f"{who}, за {self.for_whom}"
        on = self.on or "__________"
        signed = f" / {self.revision}" if self.revision else ""
        return f"{self.title} __________ / {who} / {on}{signed}"


Block = Paragraph | Table | Signature


@dataclass(frozen=True)
class Section:
    """A numbered part of a form («1. Информационная справка о педагоге») and its blocks."""

    heading: str | None
    blocks: tuple[Block, ...]


@dataclass(frozen=True)
class Document:
    """A whole document: what it is, its parts, and where it came from (the footer)."""

    title: str
    sections: tuple[Section, ...]
    footer: tuple[str, ...]
    header_lines: tuple[str, ...] = ()  # right-aligned above the title: «Приложение 1 к Инструкции»
    subtitle: tuple[str, ...] = ()  # centred under the title
    name: str = "document"  # a file-name stem: karta, itogi, …
    code: str = ""  # the check code (`adapters.document_code`): each page draws it as a QR code
    tables: tuple[Table, ...] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        found = tuple(b for s in self.sections for b in s.blocks if isinstance(b, Table))
        object.__setattr__(self, "tables", found)

    @property
    def landscape(self) -> bool:
        """Drawn on landscape pages when any of its tables is wide."""
        return any(table.wide for table in self.tables)

    def text(self) -> str:
        """Every word of the document in reading order (for search and for tests)."""
        parts: list[str] = [*self.header_lines, self.title, *self.subtitle]
        for section in self.sections:
            if section.heading:
                parts.append(section.heading)
            for block in section.blocks:
                if isinstance(block, Paragraph):
                    parts.append(block.text)
                elif isinstance(block, Signature):
                    parts.append(block.line)
                else:
                    parts.extend(cell.text for row in block.header for cell in row)
                    parts.extend(text for row in block.rows for text in row)
        return "\n".join([*parts, *self.footer])
