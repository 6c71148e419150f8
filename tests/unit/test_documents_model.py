"""The neutral document model and the shared wording: no store, no writer."""

from __future__ import annotations

from datetime import date

import pytest

from projections.documents.model import (
    Cell,
    Document,
    Paragraph,
    PlacedCell,
    Section,
    Signature,
    Table,
)
from projections.documents.wording import joined, long_date, plural, years

ACKNOWLEDGEMENT = (
    (
        Cell("№", rowspan=2),
        Cell("Дата", rowspan=2),
        Cell("Отметка об ознакомлении", colspan=2),
    ),
    (Cell("Дата"), Cell("Подпись")),
)


def test_merged_header_cells_find_their_place_in_the_grid() -> None:
    table = Table(widths=(1, 2, 1, 1), header=ACKNOWLEDGEMENT, rows=(("1.", "", "", ""),))
    assert [(p.row, p.column, p.cell.text) for p in table.header_grid()] == [
        (0, 0, "№"),
        (0, 1, "Дата"),
        (0, 2, "Отметка об ознакомлении"),
        (1, 2, "Дата"),
        (1, 3, "Подпись"),
    ]
    assert isinstance(table.header_grid()[0], PlacedCell)
    assert sum(table.fractions()) == pytest.approx(1)


@pytest.mark.parametrize(
    ("widths", "header", "rows"),
    [
        ((1, 1, 1), ACKNOWLEDGEMENT, ()),  # the header covers four columns
        ((1, 1), ((Cell("a", rowspan=2),),), ()),  # spans past the header
        ((1, 1), ((Cell("a"), Cell("b")),), (("only one",),)),  # a ragged row
    ],
)
def test_a_table_that_does_not_tile_is_refused(
    widths: tuple[float, ...],
    header: tuple[tuple[Cell, ...], ...],
    rows: tuple[tuple[str, ...], ...],
) -> None:
    with pytest.raises(ValueError, match=r"cover|spans|row has"):
        Table(widths=widths, header=header, rows=rows)


def test_a_wide_table_turns_the_document_to_landscape() -> None:
    narrow = Table(widths=(1, 1), rows=(("Тема ИОМ", "…"),), key_value=True)
    wide = Table(widths=(1,) * 7, rows=(("",) * 7,))
    portrait = Document("Т", (Section(None, (narrow,)),), footer=("ИОМ",))
    landscape = Document("Т", (Section("1.", (narrow, Paragraph("x"), wide)),), footer=())
    assert (portrait.landscape, landscape.landscape, wide.compact) == (False, True, True)
    assert landscape.tables == (narrow, wide)
    assert "Тема ИОМ" in portrait.text() and portrait.text().endswith("ИОМ")


def test_signature_lines_keep_blanks_for_the_hand() -> None:
    assert Signature("Региональный методист").line == (
        "Региональный методист __________ / __________ / __________"
    )
    assert Signature("Педагогический работник", "Иванова М. П.", "01.09.2026").line == (
        "Педагогический работник __________ / Иванова М. П. / 01.09.2026"
    )


def test_a_signed_line_names_position_revision_and_for_whom() -> None:
    line = Signature(
        "Руководитель ОО",
        "Сидоров С. С.",
        "02.10.2026",
        position="заместитель директора, МБОУ СОШ № 3",
        revision="редакция 2, хеш 1a2b3c4d5e6f",
        for_whom="Петров П. П. (директор, МБОУ СОШ № 3)",
    ).line
    assert line == (
        "Руководитель ОО __________ / Сидоров С. С., заместитель директора, МБОУ СОШ № 3,"
        " за Петров П. П. (директор, МБОУ СОШ № 3) / 02.10.2026 / редакция 2, хеш 1a2b3c4d5e6f"
    )


def test_russian_dates_and_numbers() -> None:
    assert long_date(date(2026, 3, 1)) == "« 01 » марта 2026 г."
    assert long_date(None) == "« ____ » __________ 20__ г."
    assert [years(n) for n in (1, 3, 5, 11, 21, 22, 112)] == [
        "1 год",
        "3 года",
        "5 лет",
        "11 лет",
        "21 год",
        "22 года",
        "112 лет",
    ]
    assert plural(2, "участник", "участника", "участников") == "2 участника"
    assert joined("высшая", "—") == "высшая" and joined("—", "—") == "—"
