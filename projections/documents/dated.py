"""A route's document as of a business date (as it was: `aggregates.timeline`): its form shows
the route as it stood on the date, and a closing section lists the facts of the date or
earlier recorded after the date ended — where it differs from what was known at the end of
that day — and the facts of the date left out because they do not apply to the route then."""

from __future__ import annotations

from dataclasses import replace
from typing import Any
from zoneinfo import ZoneInfo

from aggregates.timeline import Dated
from projections.documents.model import Block, Cell, Document, Paragraph, Section, Table

HEADER = ((Cell("Версия"), Cell("Относится к"), Cell("Внесено"), Cell("Факт")),)
WIDTHS = (1.0, 1.6, 2.2, 6.0)


def as_of_date(document: Document, dated: Dated) -> Document:
    """The document of `dated.route` marked as of `dated.day`, with the facts recorded later."""
    day = f"{dated.day:%d.%m.%Y}"
    zone = ZoneInfo(dated.route.profile.time_zone)
    blocks: list[Block] = [
        Paragraph(
            f"Документ показывает ИОМ на {day}: учтены факты, относящиеся к этой дате и ранее,"
            " в том числе внесённые позже."
        )
    ]
    late = dated.facts(dated.late)
    if late:
        blocks.append(Paragraph(f"Внесены после {day} (на конец того дня не были известны):"))
        blocks.append(_table(late, zone))
    else:
        blocks.append(
            Paragraph(f"Фактов, внесённых после {day}, нет: известное на конец дня то же.")
        )
    unfit = dated.facts(dated.unfit)
    if unfit:
        blocks.append(Paragraph("Не учтены: к ИОМ на эту дату не применимы:"))
        blocks.append(_table(unfit, zone))
    section = Section(f"Состояние на {day} и факты, внесённые позже", tuple(blocks))
    return replace(
        document,
        subtitle=(*document.subtitle, f"по состоянию на {day}"),
        sections=(*document.sections, section),
    )


def _table(facts: list[dict[str, Any]], zone: ZoneInfo) -> Table:
    rows = tuple(
        (
            str(fact["version"]),
            f"{fact['occurred_on']:%d.%m.%Y}",
            f"{fact['recorded_at'].astimezone(zone):%d.%m.%Y %H:%M}",
            str(fact["summary"]),
        )
        for fact in facts
    )
    return Table(widths=WIDTHS, header=HEADER, rows=rows)
