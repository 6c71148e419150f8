"""Chelyabinsk's технологическая карта формирования и реализации ИОМ педагога (протокол № 4 от
24.06.2022, Справка): «этапы формирования и реализации ИОМ через описание форм работы,
содержания деятельности педагога и сопровождающей организации и результата», after the
teacher's competence profile (four levels, the lowest first) and before the activities."""

from __future__ import annotations

from aggregates.personal import PersonalRecord
from aggregates.profiles import Profile, Stage
from aggregates.route import Route
from projections.documents.appendix2 import mark
from projections.documents.model import Cell, Document, Paragraph, Section, Table
from projections.documents.municipal import agreement_lines
from projections.documents.sources import Options
from projections.documents.wording import (
    DASH,
    activity_level,
    competences,
    day,
    period,
    route_footer,
    state_line,
    teacher,
)

CARD_COLUMNS = (
    "Этап",
    "Формы работы",
    "Содержание деятельности педагога",
    "Содержание деятельности сопровождающей организации",
    "Результат",
)
PROFILE_COLUMNS = (
    "Компетенции",
    "Уровень по итогам диагностики",
    "Уровень по итогам повторной диагностики",
)
ACTIVITY_COLUMNS = (
    "№",
    "Мероприятие ИОМ (ДПП, неформальное образование)",
    "Компетенции",
    "Уровень",
    "Организатор",
    "Сроки",
    "Отметка о выполнении",
)


def _competence_profile(route: Route, profile: Profile) -> Table:
    """The competence profile, the lowest levels first: the route targets them first."""
    ranked = sorted(route.input_levels.items(), key=lambda item: (item[1], item[0]))
    rows = tuple(
        (
            profile.competence_name(code),
            profile.level_name(level),
            profile.level_name(route.final_levels[code]) if code in route.final_levels else DASH,
        )
        for code, level in ranked
    )
    return Table(widths=(3, 2, 2), header=(tuple(map(Cell, PROFILE_COLUMNS)),), rows=rows)


def _card(route: Route, profile: Profile, options: Options) -> Table:
    """The four stages of the Справка, each with what this route did in it."""
    names = profile.stage_names
    plan = route.plan
    diagnostic, final = route.input_diagnostic, route.final_diagnostic
    records = route.activities.values()
    done = sum(1 for record in records if record.status == "done")
    approved = options.marks.approved_on
    rows = (
        (
            names[Stage.DIAGNOSTIC],
            "Оценка профессиональных компетенций"
            + (f" ({diagnostic.platform}, {day(diagnostic.taken_on)})" if diagnostic else ""),
            "Прохождение диагностики профессиональных дефицитов",
            "Проведение оценки профессиональных компетенций, выявление дефицитов",
            "Компетентностный профиль педагога" if diagnostic else "Диагностика не проведена",
        ),
        (
            names[Stage.DESIGN],
            "Конструирование ИОМ в личном кабинете педагога",
            f"Тема ИОМ: {plan.topic}; цель: {plan.goal}" if plan else "ИОМ не спроектирован",
            "Формирование ИОМ на основе выявленных дефицитов, подбор ДПП и мероприятий",
            f"ИОМ согласован {day(approved)}" if approved else "ИОМ не согласован",
        ),
        (
            names[Stage.IMPLEMENTATION],
            "Обучение по ДПП, мероприятия неформального образования, стажировки",
            f"Выполнено мероприятий: {done} из {len(route.activities)}",
            f"Сопровождение тьютором; корректировок ИОМ: {len(route.corrections)}",
            "Реализация ИОМ, отслеживание динамики профессионального развития",
        ),
        (
            names[Stage.FINAL],
            "Повторная диагностика, рефлексия динамики профессионального развития",
            f"Повторная диагностика {day(final.taken_on)}" if final else "Не проведена",
            "Оценка эффективности построения и реализации ИОМ"
            + (f": {route.conclusions.text}" if route.conclusions else ""),
            "Динамика уровней компетенций" if final else DASH,
        ),
    )
    return Table(widths=(1.8, 2.6, 3, 3, 2.4), header=(tuple(map(Cell, CARD_COLUMNS)),), rows=rows)


def build_chelyabinsk(
    route: Route, profile: Profile, personal: PersonalRecord | None, options: Options
) -> Document:
    """Технологическая карта формирования и реализации ИОМ педагога."""
    who = teacher(route, personal)
    plan = route.plan
    head = Table(
        widths=(2, 3),
        rows=(
            ("ФИО педагога", who.full_name),
            ("Образовательная организация", who.school),
            ("Должность", who.position),
            ("Срок реализации ИОМ", period(plan.starts_on, plan.ends_on) if plan else DASH),
        ),
        key_value=True,
    )
    activities = Table(
        widths=(0.5, 3.6, 2.2, 1.5, 2, 1.8, 1.8),
        header=(tuple(map(Cell, ACTIVITY_COLUMNS)),),
        rows=tuple(
            (
                f"{n}.",
                activity.title,
                competences(profile, activity.competences),
                activity_level(activity),
                activity.organiser,
                period(activity.starts_on, activity.ends_on),
                mark(route.activities.get(activity.id))[0],
            )
            for n, activity in enumerate(plan.activities if plan else [], start=1)
        ),
    )
    return Document(
        title="Технологическая карта формирования и реализации индивидуального"
        " образовательного маршрута педагога",
        subtitle=(state_line(route),),
        sections=(
            Section(None, (head,)),
            Section(
                "1. Компетентностный профиль педагога",
                (
                    Paragraph("Уровни: " + ", ".join(profile.levels), "note"),
                    _competence_profile(route, profile),
                ),
            ),
            Section("2. Этапы формирования и реализации ИОМ", (_card(route, profile, options),)),
            Section(
                "3. Мероприятия ИОМ",
                (activities, *agreement_lines(route, profile, personal, options)),
            ),
        ),
        footer=route_footer(route, options.generated_at),
        name="chelyabinsk",
    )
