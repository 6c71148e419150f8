"""The Карта ИОМ (Sakha Инструкция, приказ 01-03/1018 от 22.05.2024, приложение 1) and the parts
it shares with приложение 2: the activities table, the final public event, the signatures."""

from __future__ import annotations

from aggregates.personal import PersonalRecord
from aggregates.profiles import Profile
from aggregates.route import Route
from aggregates.values import Activity, Role
from projections.documents.model import Block, Cell, Document, Paragraph, Section, Table
from projections.documents.municipal import agreement_lines
from projections.documents.signatures import signature_for, signers
from projections.documents.sources import Options
from projections.documents.wording import (
    DASH,
    activity_level,
    competences,
    day,
    input_levels,
    long_date,
    period,
    route_footer,
    state_line,
    teacher,
)

ACTIVITIES = "Мероприятия, обеспечивающие повышение уровня профессиональных компетенций"
ACTIVITY_COLUMNS = (
    "Формируемые компетенции",
    "Уровень мероприятия",
    "Организатор мероприятия",
    "Сроки проведения",
)
FINAL_EVENT = "Заключительное публичное мероприятие"
NO_PLAN = "Мероприятия ещё не запланированы."
APPROVERS = (Role.CENTRE_HEAD, Role.SCHOOL_HEAD)
"""ИОМ 3.4: «согласовывается с руководителем ЦНППМ и утверждается руководителем ОО»."""


def activity_cells(activity: Activity, profile: Profile) -> tuple[str, ...]:
    """The five cells every Sakha activity table shares, after «№»."""
    return (
        activity.title,
        competences(profile, activity.competences),
        activity_level(activity),
        activity.organiser,
        period(activity.starts_on, activity.ends_on),
    )


def activities_table(route: Route, profile: Profile, result_heading: str) -> Table:
    """«№ | Мероприятия… | Формируемые компетенции | … | Форма представления результат(ов)»."""
    plan = route.plan.activities if route.plan else []
    return Table(
        widths=(0.5, 4, 2.2, 1.5, 2, 1.8, 2),
        header=((Cell("№"), Cell(ACTIVITIES), *map(Cell, ACTIVITY_COLUMNS), Cell(result_heading)),),
        rows=tuple(
            (f"{n}.", *activity_cells(a, profile), a.result_form)
            for n, a in enumerate(plan, start=1)
        ),
    )


def final_event_blocks(route: Route) -> tuple[Block, ...]:
    """«Заключительное публичное мероприятие»: the table, then the mark of it being held."""
    event = route.plan.final_public_event if route.plan else None
    rows: tuple[tuple[str, ...], ...] = ()
    if event is not None:
        when = period(event.starts_on, event.ends_on)
        rows = ((f"{event.form}: «{event.title}»", activity_level(event), when),)
    table = Table(
        widths=(5, 2, 2),
        header=(
            (
                Cell("Мероприятие, демонстрирующее повышение уровня профессиональных компетенций"),
                Cell("Уровень проведения"),
                Cell("Сроки проведения"),
            ),
        ),
        rows=rows,
    )
    if route.final_event is not None:
        held = f"Отметка о выполнении: проведено {day(route.final_event.on)}"
        return table, Paragraph(f"{held}; {route.final_event.result}")
    return table, Paragraph("Отметка о выполнении: не проведено" if event else "Не планируется.")


def signatures(
    route: Route, personal: PersonalRecord | None, options: Options
) -> tuple[Block, ...]:
    """«Региональный методист» and «Педагогический работник»: who signed the approved plan,
    when and which revision (the assigned methodist and the teacher, before they sign)."""
    people = signers(route, personal, options)
    agreed = options.marks.agreed
    return (
        signature_for(
            "Региональный методист", agreed.get(Role.METHODIST), people, route.methodist_id
        ),
        signature_for(
            "Педагогический работник", agreed.get(Role.TEACHER), people, route.teacher_id
        ),
    )


def closing_blocks(
    route: Route, personal: PersonalRecord | None, options: Options
) -> tuple[Block, ...]:
    """The start and end marks, then the signatures of the methodist and the teacher."""
    started = route.plan.starts_on if route.plan and route.approved_revision is not None else None
    return (
        Paragraph(f"Начало работы по реализации ИОМ - {long_date(started)}"),
        Paragraph(f"Завершение работы по реализации ИОМ - {long_date(options.marks.completed_on)}"),
        *signatures(route, personal, options),
    )


def build_karta(
    route: Route, profile: Profile, personal: PersonalRecord | None, options: Options
) -> Document:
    """Карта индивидуального образовательного маршрута педагога (приложение 1 к Инструкции)."""
    who = teacher(route, personal)
    plan = route.plan
    year = f"{plan.starts_on.year}–{plan.ends_on.year}" if plan else DASH
    info = (
        ("Название ОО", who.school),
        ("ФИО педагога", who.full_name),
        ("занимаемая должность", who.position),
        ("Образование", who.education),
        ("Педагогический стаж", who.experience),
        ("Квалификационная категория", who.category),
        ("Дата аттестации", who.attestation_date),
        ("Курсы повышения квалификации (за последние 3 года)", who.courses),
        ("Звание, награды, поощрения", who.awards),
        ("Дополнительные сведения", who.extra),
        ("Год реализации ИОМ", year),
    )
    diagnostic = route.input_diagnostic
    tasks = diagnostic.tasks if diagnostic else []
    task_rows = tuple(
        (
            f"{n}.",
            f"Задание №{task.number}\n{competences(profile, task.competences)}: "
            f"{profile.level_name(task.level)}",
            task.difficulties or DASH,
        )
        for n, task in enumerate(tasks, start=1)
    )
    taken = (
        f"Диагностика от {day(diagnostic.taken_on)}, платформа: {diagnostic.platform}. "
        "Уровень сформированности компетенций: " + input_levels(route, profile)
        if diagnostic
        else "Входная диагностика ещё не проведена."
    )
    activities: tuple[Block, ...] = (
        activities_table(route, profile, "Форма представления результатов"),
    )
    sections = (
        Section(
            "1. Информационная справка о педагоге",
            (Table(widths=(2, 3), rows=info, key_value=True),),
        ),
        Section(
            "2. Результаты входной диагностики профессиональных дефицитов",
            (
                Paragraph(taken, "note"),
                Table(
                    widths=(0.6, 4, 5),
                    header=((Cell("№"), Cell("Задания"), Cell("Затруднения")),),
                    rows=task_rows,
                ),
            ),
        ),
        Section(
            "3. Перечень мероприятий, обеспечивающих повышение уровня профессиональных компетенций",
            activities if plan else (*activities, Paragraph(NO_PLAN, "note")),
        ),
        Section(
            f"4. {FINAL_EVENT}",
            (
                *final_event_blocks(route),
                *closing_blocks(route, personal, options),
                *agreement_lines(route, profile, personal, options, roles=APPROVERS),
            ),
        ),
    )
    return Document(
        title="Карта индивидуального образовательного маршрута педагога",
        header_lines=("Приложение 1 к Инструкции",),
        subtitle=(state_line(route),),
        sections=sections,
        footer=route_footer(route, options.generated_at),
        name="karta",
    )
