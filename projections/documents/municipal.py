"""The municipal formats: Balakhta's three-part ИОМ (приказ № 38 от 17.03.2025, the form at the
end of the Положение) and Sovetsky's one-table format (приказ № 731 от 01.09.2022, приложение)."""

from __future__ import annotations

from collections.abc import Collection, Mapping

from aggregates.personal import PersonalRecord
from aggregates.profiles import ACTION_TITLES, Profile
from aggregates.route import ActivityRecord, Route
from aggregates.values import ROLE_TITLES, Activity, Role
from projections.documents.model import Block, Cell, Document, Paragraph, Section, Signature, Table
from projections.documents.signatures import signature_for, signers
from projections.documents.sources import Options
from projections.documents.wording import (
    activity_level,
    capital,
    competences,
    day,
    numbered,
    period,
    route_footer,
    state_line,
    teacher,
)

# The seven rows of the «Дорожная карта ИОМ», as the Положение prints them; the codes are the
# balakhta profile's, so a route of that region falls into its rows.
BALAKHTA_DIRECTIONS = (
    ("self_education", "Самообразование и саморазвитие"),
    (
        "school_methodical_work",
        "Организационная и научно-методическая работа образовательной организации",
    ),
    ("mentor_support", "Методическая помощь наставника/куратора"),
    (
        "professional_communities",
        "Участие в деятельности профессиональных сообществ, проектных и рабочих групп (очное)",
    ),
    ("network_communities", "Участие в деятельности сетевых сообществ"),
    ("presenting_practice", "Представление своей профессиональной деятельности"),
    ("courses", "Курсы повышения квалификации, стажировки (по теме ИОМ)"),
)
OTHER_DIRECTION = "Иные мероприятия (направление не указано в форме)"
BALAKHTA_ACTIONS = {Role.MO_HEAD: "рассмотрено и утверждено"}
"""4.2.2: «Рассмотрение и утверждение ИОМ на школьном методическом объединении»."""


def agreement_lines(
    route: Route,
    profile: Profile,
    personal: PersonalRecord | None,
    options: Options,
    *,
    roles: Collection[Role] | None = None,
    actions: Mapping[Role, str] | None = None,
) -> tuple[Signature, ...]:
    """One line per party of the region's agreement (of `roles`, all if None): who answered,
    when, which revision; `actions` prints a party's act in its form's own words."""
    people = signers(route, personal, options)
    expected = {Role.METHODIST: route.methodist_id, Role.TEACHER: route.teacher_id}
    lines = []
    for step in profile.agreement:
        if roles is not None and step.role not in roles:
            continue
        action = (actions or {}).get(step.role, ACTION_TITLES[step.action])
        title = f"{capital(action)}: {ROLE_TITLES[step.role]}"
        signed = options.marks.agreed.get(step.role)
        lines.append(signature_for(title, signed, people, expected.get(step.role)))
    return tuple(lines)


def _items(texts: list[str]) -> str:
    """Several activities in one direction's cell, numbered so the columns can be matched."""
    if len(texts) == 1:
        return texts[0]
    return "\n".join(f"{n}) {text}" for n, text in enumerate(texts, start=1) if text)


def _content(activity: Activity) -> str:
    """«Содержание деятельности (мероприятие, тема, уровень, дата)»."""
    when = period(activity.starts_on, activity.ends_on)
    return f"{activity.title}; {activity_level(activity)}; {activity.organiser}; {when}"


def _assessment(record: ActivityRecord | None) -> str:
    if record is None or record.status == "planned":
        return ""
    if record.status == "not_done":
        return f"не выполнено: {record.reason}"
    parts = [f"Самооценка: {record.self_assessment}" if record.self_assessment else ""]
    parts.append(f"Оценка: {record.employer_assessment}" if record.employer_assessment else "")
    return "\n".join(p for p in parts if p) or f"выполнено {day(record.on)}"


def _product(activity: Activity, record: ActivityRecord | None) -> str:
    if record is not None and record.status == "done":
        return f"{record.product} ({day(record.on)})"
    return activity.result_form


def build_balakhta(
    route: Route, profile: Profile, personal: PersonalRecord | None, options: Options
) -> Document:
    """Индивидуальный образовательный маршрут педагога in three parts: персональные данные,
    пояснительная записка, дорожная карта with the seven organisational directions as rows."""
    who = teacher(route, personal)
    plan = route.plan
    personal_rows = (
        ("Ф.И.О.", who.full_name),
        ("Образовательная организация", who.school),
        ("Занимаемая должность", who.position),
        ("Преподаваемый предмет", who.subject),
        ("Образование", who.education),
        (
            "Управленческий стаж / Педагогический стаж",
            f"{who.management_experience} / {who.experience}",
        ),
        ("Квалификационная категория, дата присвоения", f"{who.category}, {who.category_date}"),
        ("Сведения о профессиональной переподготовке", who.retraining),
        ("Курсы повышения квалификации за последние 3 года", who.courses),
    )
    note = (
        (
            ("Тема ИОМ", plan.topic),
            ("Актуальность темы", plan.relevance),
            ("Цель разработки ИОМ", plan.goal),
            ("Задачи разработки ИОМ", numbered(plan.tasks)),
            ("Срок реализации ИОМ", period(plan.starts_on, plan.ends_on)),
            ("Ожидаемые результаты", plan.expected_results),
        )
        if plan
        else (("Тема ИОМ", "ИОМ ещё не спроектирован"),)
    )
    grouped: dict[str, list[Activity]] = {code: [] for code, _ in BALAKHTA_DIRECTIONS}
    others: list[Activity] = []
    for activity in plan.activities if plan else []:
        grouped.get(activity.direction or "", others).append(activity)
    rows = [(name, grouped[code]) for code, name in BALAKHTA_DIRECTIONS]
    if others:
        rows.append((OTHER_DIRECTION, others))
    roadmap = Table(
        widths=(2.6, 4.2, 2.6, 2.2),
        header=(
            (
                Cell("Организационные направления деятельности ИОМ"),
                Cell("Содержание деятельности (мероприятие, тема, уровень, дата)"),
                Cell("Самооценка/оценка эффективности"),
                Cell("Продукт (форма представления результата работы)"),
            ),
        ),
        rows=tuple(
            (
                name,
                _items([_content(a) for a in items]),
                _items([_assessment(route.activities.get(a.id)) for a in items]),
                _items([_product(a, route.activities.get(a.id)) for a in items]),
            )
            for name, items in rows
        ),
    )
    done = sum(1 for r in route.activities.values() if r.status == "done")
    actual: list[Block] = [Paragraph(f"Выполнено мероприятий: {done} из {len(route.activities)}.")]
    if route.self_reflection:
        actual.append(Paragraph(f"Итоговый отчёт педагога: {route.self_reflection}"))
    if route.conclusions is not None:
        actual.append(Paragraph(f"Выводы: {route.conclusions.text}"))
    return Document(
        title="Индивидуальный образовательный маршрут педагога",
        subtitle=(state_line(route),),
        sections=(
            Section(
                "1. Персональные данные педагогического работника",
                (Table(widths=(2, 3), rows=personal_rows, key_value=True),),
            ),
            Section("2. Пояснительная записка", (Table(widths=(2, 5), rows=note, key_value=True),)),
            Section("3. Дорожная карта ИОМ", (roadmap,)),
            Section(
                "Фактический результат ИОМ:",
                (
                    *actual,
                    *agreement_lines(route, profile, personal, options, actions=BALAKHTA_ACTIONS),
                ),
            ),
        ),
        footer=route_footer(route, options.generated_at),
        name="balakhta",
    )


def _deficit(route: Route, profile: Profile, code: str) -> str:
    """A competence with its input level and the difficulties its tasks showed."""
    level = route.input_levels.get(code)
    line = profile.competence_name(code) + (f": {profile.level_name(level)}" if level else "")
    tasks = route.input_diagnostic.tasks if route.input_diagnostic else []
    found = sorted({t.difficulties for t in tasks if code in t.competences and t.difficulties})
    return "\n".join([line, *found])


def build_sovetsky_table(
    route: Route, profile: Profile, personal: PersonalRecord | None, options: Options
) -> Document:
    """Индивидуальный образовательный маршрут in Sovetsky's one-table format: ФИО, организация,
    должность, then deficits, educational tasks, forms of work, dates and the form of result."""
    who = teacher(route, personal)
    plan = route.plan
    rows = []
    for activity in plan.activities if plan else []:
        record = route.activities.get(activity.id)
        direction = next((e.name for e in profile.directions if e.code == activity.direction), None)
        form = f"{activity.title} ({activity_level(activity)}; {activity.organiser})"
        result = activity.result_form
        if record is not None and record.status == "done":
            shown = f": {record.product}" if record.product != activity.result_form else ""
            result += f"\nпредъявлено {day(record.on)}{shown}"
        elif record is not None and record.status == "not_done":
            result += f"\nне выполнено: {record.reason}"
        rows.append(
            (
                "\n".join(_deficit(route, profile, c) for c in activity.competences),
                "Повысить уровень сформированности: "
                + competences(profile, activity.competences)
                + (f" (направление: {direction})" if direction else ""),
                form,
                period(activity.starts_on, activity.ends_on),
                result,
            )
        )
    table = Table(
        widths=(3, 3, 3.4, 1.8, 2.4),
        header=(
            (
                Cell("Профессиональные дефициты/задачи на предстоящий период"),
                Cell("Образовательные задачи"),
                Cell("Формы работы/взаимодействия по реализации образовательных задач"),
                Cell("Сроки реализации (указать дату)"),
                Cell("Форма предъявления результата"),
            ),
            tuple(Cell(str(n)) for n in range(1, 6)),
        ),
        rows=tuple(rows),
    )
    head = Table(
        widths=(1, 4),
        rows=(
            ("ФИО полностью", who.full_name),
            ("Организация", who.school),
            ("Должность", who.position),
        ),
        key_value=True,
    )
    blocks: list[Block] = [head]
    if plan:
        blocks.append(
            Paragraph(f"Тема ИОМ: {plan.topic}. Срок: {period(plan.starts_on, plan.ends_on)}")
        )
    blocks.append(table)
    if route.self_reflection:
        blocks.append(Paragraph(f"Саморефлексия: {route.self_reflection}"))
    if route.conclusions is not None and route.conclusions.recommendations:
        blocks.append(Paragraph(f"Рекомендации куратора: {route.conclusions.recommendations}"))
    blocks += agreement_lines(route, profile, personal, options)
    return Document(
        title="Индивидуальный образовательный маршрут",
        header_lines=("Формат представления индивидуального образовательного маршрута",),
        subtitle=(state_line(route),),
        sections=(Section(None, tuple(blocks)),),
        footer=route_footer(route, options.generated_at),
        name="sovetsky_table",
    )
