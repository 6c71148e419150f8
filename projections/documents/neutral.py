"""The neutral form of a regulation that names no forms of its own (`Profile.documents`):
the common core of every region's ИОМ (DOMAIN.md), titled from the route's own regulation and
region, so that no route is printed on another region's form."""

from __future__ import annotations

from aggregates.personal import PersonalRecord
from aggregates.profiles import Profile
from aggregates.route import Route
from projections.documents.appendix2 import mark
from projections.documents.model import Block, Cell, Document, Paragraph, Section, Table
from projections.documents.municipal import agreement_lines
from projections.documents.sakha import activity_cells, final_event_blocks
from projections.documents.sources import Options
from projections.documents.wording import DASH, numbered, period, route_footer, state_line, teacher

ACTIVITY_COLUMNS = (
    "№",
    "Мероприятие",
    "Компетенции",
    "Уровень",
    "Организатор",
    "Сроки",
    "Форма представления результата",
    "Отметка о выполнении",
)


def build_neutral(
    route: Route, profile: Profile, personal: PersonalRecord | None, options: Options
) -> Document:
    """Индивидуальный образовательный маршрут педагога по регламенту региона."""
    who = teacher(route, personal)
    plan = route.plan
    about = (
        ("ФИО педагога", who.full_name),
        ("Образовательная организация", who.school),
        ("Должность", who.position),
    )
    levels = tuple(
        (profile.competence_name(code), profile.level_name(level))
        for code, level in route.input_levels.items()
    )
    design = (
        (
            ("Тема ИОМ", plan.topic),
            ("Профессиональный запрос", plan.request),
            ("Цель", plan.goal),
            ("Задачи", numbered(plan.tasks)),
            ("Срок реализации", period(plan.starts_on, plan.ends_on)),
            ("Ожидаемые результаты", plan.expected_results),
        )
        if plan
        else (("Тема ИОМ", "ИОМ ещё не спроектирован"),)
    )
    activities = Table(
        widths=(0.5, 3.4, 2, 1.4, 1.8, 1.8, 2, 1.8),
        header=(tuple(map(Cell, ACTIVITY_COLUMNS)),),
        rows=tuple(
            (
                f"{n}.",
                *activity_cells(activity, profile),
                activity.result_form,
                mark(route.activities.get(activity.id))[0],
            )
            for n, activity in enumerate(plan.activities if plan else [], start=1)
        ),
    )
    results: list[Block] = list(final_event_blocks(route))
    if route.self_reflection:
        results.append(Paragraph(f"Саморефлексия: {route.self_reflection}"))
    if route.conclusions is not None:
        results.append(Paragraph(f"Выводы: {route.conclusions.text}"))
    return Document(
        title="Индивидуальный образовательный маршрут педагога",
        subtitle=(profile.region, f"по регламенту: {profile.regulation}", state_line(route)),
        sections=(
            Section("1. Сведения о педагоге", (Table(widths=(2, 3), rows=about, key_value=True),)),
            Section(
                "2. Результаты входной диагностики",
                (
                    Table(
                        widths=(3, 2),
                        header=((Cell("Компетенции"), Cell("Уровень")),),
                        rows=levels or ((DASH, DASH),),
                    ),
                ),
            ),
            Section("3. Проект ИОМ", (Table(widths=(2, 5), rows=design, key_value=True),)),
            Section("4. Мероприятия ИОМ", (activities,)),
            Section("5. Итоги", (*results, *agreement_lines(route, profile, personal, options))),
        ),
        footer=route_footer(route, options.generated_at),
        name="iom",
    )
