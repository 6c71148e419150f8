"""The Алгоритм's documents (seed 003, этап II): the individual educational programme
(«образовательные задачи, способы их реализации, процедуры проверки или самопроверки», the
activities by the three sources of growth, the groups of teachers) and the resource map
(«информационные, коммуникативные, деятельностные, социально-общественные» resources and
«собственные ресурсы педагогов» for horizontal learning, each with what it gives)."""

from __future__ import annotations

from aggregates.personal import PersonalRecord
from aggregates.profiles import Profile, Stage
from aggregates.route import Route
from aggregates.values import GROUP_KIND_TITLES, RESOURCE_KIND_TITLES, ResourceKind
from projections.documents.model import Block, Cell, Document, Paragraph, Section, Table
from projections.documents.municipal import agreement_lines
from projections.documents.sakha import final_event_blocks
from projections.documents.sources import Options
from projections.documents.wording import (
    DASH,
    activity_level,
    day,
    input_levels,
    period,
    route_footer,
    state_line,
    teacher,
)

TASK_COLUMNS = (
    "№",
    "Образовательная задача",
    "Способы реализации",
    "Процедуры проверки или самопроверки",
)
ACTIVITY_COLUMNS = (
    "№",
    "Мероприятие",
    "Направление",
    "Уровень, организатор",
    "Сроки",
    "Форма представления результата",
)
GROUP_COLUMNS = ("Группа", "Тема", "Участники (идентификаторы педагогов)")
RESOURCE_COLUMNS = ("Вид ресурсов", "Ресурс", "Что даёт для реализации задач")


def _lines(items: list[str]) -> str:
    return "\n".join(f"— {item}" for item in items) or DASH


def _tasks(route: Route) -> Table:
    """Each task of the plan with its ways and checks (blank where none are given yet)."""
    plan = route.plan
    entries = {entry.task: entry for entry in plan.programme} if plan else {}
    rows = []
    for number, task in enumerate(plan.tasks if plan else [], start=1):
        entry = entries.get(number)
        ways = _lines(entry.ways) if entry else DASH
        checks = _lines(entry.checks) if entry else DASH
        rows.append((f"{number}.", task, ways, checks))
    return Table(
        widths=(0.5, 3, 3.4, 3.4), header=(tuple(map(Cell, TASK_COLUMNS)),), rows=tuple(rows)
    )


def _activities(route: Route, profile: Profile) -> Table:
    plan = route.plan
    names = {entry.code: entry.name for entry in profile.directions}
    return Table(
        widths=(0.5, 3.4, 2.6, 2.2, 1.8, 2),
        header=(tuple(map(Cell, ACTIVITY_COLUMNS)),),
        rows=tuple(
            (
                f"{n}.",
                activity.title,
                names.get(activity.direction or "", DASH),
                f"{activity_level(activity)}; {activity.organiser}",
                period(activity.starts_on, activity.ends_on),
                activity.result_form,
            )
            for n, activity in enumerate(plan.activities if plan else [], start=1)
        ),
    )


def _groups(route: Route) -> Table:
    groups = route.plan.groups if route.plan else []
    return Table(
        widths=(2.2, 3.4, 3.4),
        header=(tuple(map(Cell, GROUP_COLUMNS)),),
        rows=tuple(
            (
                f"{GROUP_KIND_TITLES[group.kind].capitalize()} «{group.id}»",
                group.topic,
                ", ".join(group.members),
            )
            for group in groups
        ),
    )


def build_programme(
    route: Route, profile: Profile, personal: PersonalRecord | None, options: Options
) -> Document:
    """Индивидуальная образовательная программа педагога by the Алгоритм's three stages."""
    who = teacher(route, personal)
    plan = route.plan
    diagnostic = route.input_diagnostic
    found = (
        f"Диагностика от {day(diagnostic.taken_on)}, {diagnostic.platform}: "
        + input_levels(route, profile)
        if diagnostic
        else "Диагностика ещё не проведена."
    )
    about = Table(
        widths=(2, 3),
        rows=(
            ("ФИО педагога", who.full_name),
            ("Образовательная организация", who.school),
            ("Должность", who.position),
            ("Тема ИОМ", plan.topic if plan else DASH),
            ("Цель", plan.goal if plan else DASH),
            ("Срок реализации", period(plan.starts_on, plan.ends_on) if plan else DASH),
        ),
        key_value=True,
    )
    names = profile.stage_names
    reflection: list[Block] = list(final_event_blocks(route))
    if route.self_reflection:
        reflection.append(Paragraph(f"Рефлексивный отчёт: {route.self_reflection}"))
    if route.conclusions is not None:
        reflection.append(Paragraph(f"Выводы: {route.conclusions.text}"))
    return Document(
        title="Индивидуальная образовательная программа педагога",
        subtitle=(state_line(route),),
        sections=(
            Section(None, (about,)),
            Section(
                f"1. {names[Stage.DIAGNOSTIC]}",
                (
                    Paragraph(found),
                    Paragraph(f"Профессиональный запрос: {plan.request if plan else DASH}"),
                ),
            ),
            Section(
                f"2. {names[Stage.DESIGN]}: образовательные задачи, способы их реализации,"
                " процедуры проверки",
                (_tasks(route), Paragraph("Мероприятия", "strong"), _activities(route, profile)),
            ),
            Section("Группы педагогов", (_groups(route),)),
            Section(
                f"3. {names[Stage.FINAL]}",
                (*reflection, *agreement_lines(route, profile, personal, options)),
            ),
        ),
        footer=route_footer(route, options.generated_at),
        name="programme",
    )


def build_resource_map(
    route: Route, profile: Profile, personal: PersonalRecord | None, options: Options
) -> Document:
    """Ресурсная карта ИОМ: the resources by kind, each with what it gives; the teachers' own
    resources name who offers them (an id)."""
    resources = route.plan.resources if route.plan else []
    rows = []
    for kind in ResourceKind:
        for resource in (r for r in resources if r.kind is kind):
            title = resource.title + (f" (педагог {resource.holder})" if resource.holder else "")
            rows.append((RESOURCE_KIND_TITLES[kind], title, resource.gives))
    table = Table(
        widths=(2.4, 3.6, 4), header=(tuple(map(Cell, RESOURCE_COLUMNS)),), rows=tuple(rows)
    )
    empty = () if rows else (Paragraph("Ресурсная карта ещё не составлена.", "note"),)
    who = teacher(route, personal)
    topic = route.plan.topic if route.plan else DASH
    return Document(
        title="Ресурсная карта индивидуального образовательного маршрута педагога",
        subtitle=(f"Педагог: {who.full_name}", f"Тема ИОМ: {topic}", state_line(route)),
        sections=(
            Section(None, (table, *empty)),
            Section(
                "Группы педагогов",
                (_groups(route), *agreement_lines(route, profile, personal, options)),
            ),
        ),
        footer=route_footer(route, options.generated_at),
        name="resource_map",
    )
