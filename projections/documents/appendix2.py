"""Приложение 2 к Инструкции (Sakha): the corrections log and the monitoring of activities."""

from __future__ import annotations

from aggregates.personal import PersonalRecord
from aggregates.profiles import Profile
from aggregates.route import ActivityRecord, Route
from aggregates.values import Role
from projections.documents.model import Cell, Document, Paragraph, Section, Table
from projections.documents.sakha import (
    ACTIVITIES,
    ACTIVITY_COLUMNS,
    FINAL_EVENT,
    NO_PLAN,
    activities_table,
    activity_cells,
    closing_blocks,
    final_event_blocks,
    signatures,
)
from projections.documents.signatures import Signers, signature_for, signers
from projections.documents.sources import Options, Signed
from projections.documents.wording import day, route_footer, state_line, teacher


def build_corrections(
    route: Route, profile: Profile, personal: PersonalRecord | None, options: Options
) -> Document:
    """Сведения о корректировке индивидуального образовательного маршрута (приложение 2, п. 1),
    the log and then the activities as corrected."""
    who = teacher(route, personal)
    people = signers(route, personal, options)
    activities_by_id = {a.id: a.title for a in route.plan.activities} if route.plan else {}
    rows = []
    for correction in route.corrections:
        what = [
            f"{label}: " + ", ".join(f"«{activities_by_id.get(i, i)}»" for i in ids)
            for label, ids in (
                ("добавлено", correction.added),
                ("исключено", correction.removed),
                ("изменено", correction.changed),
            )
            if ids
        ]
        acknowledged = options.marks.corrections_acknowledged.get(correction.number)
        signed = options.marks.corrections_signed.get(correction.number, {})
        author = signed.get(correction.by.role)
        rows.append(
            (
                f"{correction.number}.",
                day(correction.on),
                "\n".join([correction.reason, *what]),
                signature_cell(people, author, correction.by.id),
                signature_cell(people, signed.get(Role.TEACHER), route.teacher_id),
                day(acknowledged) if correction.acknowledged else "",
                people.person(route.teacher_id).name if correction.acknowledged else "",
            )
        )
    log = Table(
        widths=(0.5, 1.6, 4.5, 1.8, 1.8, 1.3, 1.4),
        header=(
            (
                Cell("№", rowspan=2),
                Cell("Дата внесения изменения / дополнения в ИОМ", rowspan=2),
                Cell("Причины внесения изменения/дополнения в ИОМ", rowspan=2),
                Cell("Подпись регионального методиста", rowspan=2),
                Cell("Подпись педагогического работника", rowspan=2),
                Cell("Отметка об ознакомлении", colspan=2),
            ),
            (Cell("Дата"), Cell("Подпись")),
        ),
        rows=tuple(rows),
    )
    empty = () if rows else (Paragraph("Корректировки в ИОМ не вносились.", "note"),)
    current = activities_table(route, profile, "Форма представления результата")
    return Document(
        title="Сведения о корректировке индивидуального образовательного маршрута",
        header_lines=("Приложение 2 к Инструкции",),
        subtitle=(
            f"Педагог: {who.full_name}",
            state_line(route),
        ),
        sections=(
            Section(None, (log, *empty)),
            Section(
                None,
                (Paragraph("Перечень мероприятий ИОМ в действующей редакции", "strong"), current),
            ),
            Section(None, signatures(route, personal, options)),
        ),
        footer=route_footer(route, options.generated_at),
        name="corrections",
    )


def signature_cell(people: Signers, act: Signed | None, expected: str) -> str:
    """A «Подпись …» cell of the log: the signer's name and the day they signed; before they
    sign, the name of who is to sign by hand."""
    line = signature_for("", act, people, expected)
    return "\n".join(part for part in (line.name, line.on, line.revision) if part)


def mark(record: ActivityRecord | None) -> tuple[str, str, str]:
    """«Отметка о выполнении», «Причины невыполнения», «Результат / форма представления»."""
    if record is None or record.status == "planned":
        return ("срок истёк, отметки нет" if record and record.overdue else "", "", "")
    if record.status == "not_done":
        return ("не выполнено", record.reason, "")
    return (f"выполнено {day(record.on)}", "", f"{record.result} / {record.product}")


def build_monitoring(
    route: Route, profile: Profile, personal: PersonalRecord | None, options: Options
) -> Document:
    """Мониторинг реализации мероприятий индивидуального образовательного маршрута (приложение 2,
    п. 2 и 3): each activity's mark, the reason it was not done, its result."""
    plan = route.plan.activities if route.plan else []
    table = Table(
        widths=(0.5, 3.4, 1.9, 1.4, 1.8, 1.7, 1.5, 1.8, 2.6),
        header=(
            (
                Cell("№"),
                Cell(ACTIVITIES),
                *map(Cell, ACTIVITY_COLUMNS),
                Cell("Отметка о выполнении"),
                Cell("Причины невыполнения"),
                Cell("Результат / форма представления результата"),
            ),
        ),
        rows=tuple(
            (f"{n}.", *activity_cells(a, profile), *mark(route.activities.get(a.id)))
            for n, a in enumerate(plan, start=1)
        ),
    )
    interim = tuple(Paragraph(f"{day(r.on)}: {r.text}") for r in route.interim_results)
    sections = [Section(None, (table,) if plan else (table, Paragraph(NO_PLAN, "note")))]
    if interim:
        sections.append(Section("Промежуточные результаты прохождения ИОМ", interim))
    sections.append(
        Section(
            FINAL_EVENT,
            (*final_event_blocks(route), *closing_blocks(route, personal, options)),
        )
    )
    return Document(
        title="Мониторинг реализации мероприятий индивидуального образовательного маршрута",
        header_lines=("Приложение 2 к Инструкции",),
        subtitle=(
            f"Педагог: {teacher(route, personal).full_name}",
            state_line(route),
        ),
        sections=tuple(sections),
        footer=route_footer(route, options.generated_at),
        name="monitoring",
    )
