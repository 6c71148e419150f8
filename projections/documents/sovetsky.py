"""Sovetsky's ИОМ in its five sections (Порядок, приказ № 731 от 01.09.2022, раздел II, п. 2):
общие сведения о педагоге, профессиональный запрос, дорожная карта по этапам ИОМ,
саморефлексия, рекомендации куратора. Its one-table appendix is `municipal.build_sovetsky`."""

from __future__ import annotations

from aggregates.personal import PersonalRecord
from aggregates.profiles import Profile, Stage
from aggregates.route import Route
from projections.documents.appendix2 import mark
from projections.documents.model import Block, Cell, Document, Paragraph, Section, Table
from projections.documents.municipal import agreement_lines
from projections.documents.sources import Options
from projections.documents.wording import (
    DASH,
    activity_level,
    competences,
    day,
    input_levels,
    period,
    route_footer,
    state_line,
    teacher,
)

ROADMAP_COLUMNS = (
    "Этап ИОМ",
    "Содержание деятельности (перечень мероприятий, направленных на устранение выявленных"
    " дефицитов)",
    "Формы и способы организации / технологии",
    "Сроки реализации",
    "Планируемые результаты работы",
)
"""II.2, третий раздел: «этапов ИОМ … а также содержания деятельности, форм и способов
организации/технологий, сроков реализации, планируемых результатов работы»."""


def _roadmap(route: Route, profile: Profile, options: Options) -> Table:
    """The roadmap by the Порядок's four stages: диагностико-мотивационный, проектировочный,
    реализационный (a row per activity), аналитический."""
    names = profile.stage_names
    plan = route.plan
    diagnostic = route.input_diagnostic
    rows: list[tuple[str, ...]] = [
        (
            names[Stage.DIAGNOSTIC],
            "Входная диагностика профессиональных дефицитов",
            f"Диагностическая работа: {diagnostic.platform}" if diagnostic else DASH,
            day(diagnostic.taken_on) if diagnostic else DASH,
            "Выявление профессиональных дефицитов: " + input_levels(route, profile)
            if diagnostic
            else "Диагностика ещё не проведена",
        ),
        (
            names[Stage.DESIGN],
            f"Разработка ИОМ «{plan.topic}»: {plan.goal}" if plan else "ИОМ ещё не спроектирован",
            "Разработка ИОМ с куратором, согласование",
            f"утверждён {day(options.marks.approved_on)}" if options.marks.approved_on else DASH,
            plan.expected_results if plan else DASH,
        ),
    ]
    for activity in plan.activities if plan else []:
        done, reason, result = mark(route.activities.get(activity.id))
        shown = "\n".join(part for part in (done, reason, result) if part)
        rows.append(
            (
                names[Stage.IMPLEMENTATION],
                f"{activity.title} ({competences(profile, activity.competences)})",
                f"{activity_level(activity)}; {activity.organiser}",
                period(activity.starts_on, activity.ends_on),
                activity.result_form + (f"\n{shown}" if shown else ""),
            )
        )
    final = route.final_diagnostic
    rows.append(
        (
            names[Stage.FINAL],
            "Итоговая диагностика, анализ результатов и эффективности ИОМ",
            f"Диагностическая работа: {final.platform}" if final else "Саморефлексия, анализ",
            day(final.taken_on) if final else (day(plan.ends_on) if plan else DASH),
            "Выводы куратора" + (f": {route.conclusions.text}" if route.conclusions else ""),
        )
    )
    return Table(
        widths=(1.8, 4, 2.6, 1.8, 2.8),
        header=(tuple(map(Cell, ROADMAP_COLUMNS)),),
        rows=tuple(rows),
    )


def build_sovetsky(
    route: Route, profile: Profile, personal: PersonalRecord | None, options: Options
) -> Document:
    """Индивидуальный образовательный маршрут педагога in the five sections of Порядок II.2."""
    who = teacher(route, personal)
    plan = route.plan
    general = (
        ("ФИО педагога", who.full_name),
        ("Место работы", who.school),
        ("Образование", who.education),
        ("Занимаемая должность", who.position),
        ("Преподаваемый предмет", who.subject),
        ("Педагогический стаж работы", who.experience),
        ("Квалификационная категория", who.category),
        ("Дата прохождения аттестации", who.attestation_date),
    )
    request: list[Block] = [
        Paragraph(plan.request if plan else "Профессиональный запрос ещё не сформулирован.")
    ]
    if plan:
        request.append(
            Paragraph(f"Тема ИОМ: {plan.topic}. Срок: {period(plan.starts_on, plan.ends_on)}")
        )
    reflection = route.self_reflection or "Заполняется педагогом по итогам прохождения ИОМ."
    conclusions = route.conclusions
    advice = (
        conclusions.recommendations
        if conclusions is not None and conclusions.recommendations
        else "Заполняется куратором по итогам прохождения ИОМ."
    )
    return Document(
        title="Индивидуальный образовательный маршрут педагога",
        subtitle=(state_line(route),),
        sections=(
            Section(
                "1. Общие сведения о педагоге",
                (Table(widths=(2, 3), rows=general, key_value=True),),
            ),
            Section(
                "2. Профессиональный запрос / затруднение / область затруднения", tuple(request)
            ),
            Section("3. Дорожная карта ИОМ", (_roadmap(route, profile, options),)),
            Section(
                "4. Саморефлексия профессионального пути и эффективности ИОМ",
                (Paragraph(reflection),),
            ),
            Section(
                "5. Рекомендации куратора",
                (Paragraph(advice), *agreement_lines(route, profile, personal, options)),
            ),
        ),
        footer=route_footer(route, options.generated_at),
        name="sovetsky",
    )
