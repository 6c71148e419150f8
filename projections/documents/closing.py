"""The documents that close a route: Итоги прохождения ИОМ (Sakha Инструкция, приложение 3)
and the сертификат о прохождении ИОМ (Sakha, Положение об ИОМ 5.3.7)."""

from __future__ import annotations

from aggregates.personal import PersonalRecord
from aggregates.profiles import Profile
from aggregates.route import Conclusions, Route
from aggregates.values import Role
from projections.documents.model import Block, Cell, Document, Paragraph, Section, Table
from projections.documents.signatures import signature_for, signers
from projections.documents.sources import Options, Signed
from projections.documents.wording import (
    CHECK,
    DASH,
    capital,
    competences,
    day,
    long_date,
    period,
    route_footer,
    state_line,
    teacher,
)

CENTRES = {
    # Положение о региональном методическом активе, 3.1: the centre that issues the certificate.
    "sakha": "Центр непрерывного повышения профессионального мастерства АОУ РС(Я) ДПО "
    "«Институт развития образования и повышения квалификации имени С.Н.Донского-II»",
}


def _level_table(route: Route, profile: Profile) -> Table:
    final = route.final_diagnostic
    rows = []
    for n, task in enumerate(final.tasks if final else [], start=1):
        marks = tuple(CHECK if task.level == level else "" for level in range(1, 5))
        rows.append(
            (f"{n}.", f"Задание №{task.number}", competences(profile, task.competences), *marks)
        )
    return Table(
        widths=(0.6, 1.6, 3.2, 1.5, 1.5, 1.5, 1.5),
        align=("left", "left", "left", "center", "center", "center", "center"),
        header=(
            (
                Cell("№", rowspan=2),
                Cell("Задания", rowspan=2),
                Cell("Компетенции", rowspan=2),
                Cell("Уровень", colspan=4),
            ),
            tuple(Cell(capital(name)) for name in profile.levels),
        ),
        rows=tuple(rows),
    )


def _dynamics(route: Route, profile: Profile) -> Table:
    rows = []
    rank = {entry.code: index for index, entry in enumerate(profile.competences)}
    ranked = sorted(route.final_levels.items(), key=lambda item: rank.get(item[0], len(rank)))
    for code, final in ranked:
        start = route.input_levels.get(code)
        if start is None:
            change = "не измерялась на входе"
        elif final == start:
            change = "без изменений"
        else:
            change = f"{final - start:+d} ({'повышение' if final > start else 'снижение'})"
        before = profile.level_name(start) if start else DASH
        rows.append((profile.competence_name(code), before, profile.level_name(final), change))
    return Table(
        widths=(3, 2, 2, 2),
        header=(
            (
                Cell("Компетенции"),
                Cell("Входная диагностика"),
                Cell("Итоговая диагностика"),
                Cell("Динамика"),
            ),
        ),
        rows=tuple(rows),
    )


def _conclusions(route: Route) -> Conclusions | None:
    """The conclusions of the current term, or of the last term if it was prolonged."""
    if route.conclusions is not None:
        return route.conclusions
    return route.past_conclusions[-1] if route.past_conclusions else None


def build_itogi(
    route: Route, profile: Profile, personal: PersonalRecord | None, options: Options
) -> Document:
    """Итоги прохождения индивидуального образовательного маршрута (приложение 3 к Инструкции):
    the final diagnostic per task with the region's four levels, the dynamics, the conclusions
    and their signatures."""
    final = route.final_diagnostic
    results: list[Block] = [
        Paragraph(
            f"Диагностика от {day(final.taken_on)}, платформа: {final.platform}"
            if final
            else "Итоговая диагностика ещё не проведена.",
            "note",
        ),
        _level_table(route, profile),
    ]
    if route.final_levels:
        results += [
            Paragraph("Динамика по сравнению с входной диагностикой", "strong"),
            _dynamics(route, profile),
        ]
    conclusions = _conclusions(route)
    marks = options.marks
    if conclusions is None:
        summary: list[Block] = [Paragraph("Выводы ещё не сформулированы.", "note")]
        author: Signed | None = None
    else:
        outcome = (
            "ИОМ завершён успешно."
            if conclusions.outcome == "completed"
            else f"Пролонгация ИОМ до {day(conclusions.prolonged_until)}."
        )
        summary = [Paragraph(f"{outcome} {conclusions.text}")]
        if conclusions.recommendations:
            summary.append(Paragraph(f"Рекомендации: {conclusions.recommendations}"))
        author = marks.conclusions_signed.get(conclusions.author.role)
    who = teacher(route, personal)
    people = signers(route, personal, options)
    acknowledged = marks.conclusions_acknowledged_on
    summary += [
        Paragraph(long_date(author.on if author else None)),
        signature_for("Региональный методист", author, people, route.methodist_id),
        signature_for(
            "Руководитель образовательной организации",
            marks.conclusions_signed.get(Role.SCHOOL_HEAD),
            people,
        ),
        signature_for(
            "С выводами ознакомлен(а)",
            Signed(route.teacher_id, acknowledged) if acknowledged else None,
            people,
            route.teacher_id,
        ),
    ]
    return Document(
        title="Итоги прохождения индивидуального образовательного маршрута",
        header_lines=("Приложение 3 к Инструкции",),
        subtitle=(
            f"Педагог: {who.full_name}",
            state_line(route),
        ),
        sections=(
            Section(
                "1. Результаты итоговой диагностики профессиональных компетенций", tuple(results)
            ),
            Section("2. Выводы:", tuple(summary)),
        ),
        footer=route_footer(route, options.generated_at),
        name="itogi",
    )


def build_certificate(
    route: Route, profile: Profile, personal: PersonalRecord | None, options: Options
) -> Document:
    """Сертификат о прохождении ИОМ: number, date, teacher, the route's topic and term, the
    issuing centre."""
    centre = options.centre or CENTRES.get(
        profile.id,
        f"Центр непрерывного повышения профессионального мастерства педагогических работников"
        f" ({profile.region})",
    )
    who = teacher(route, personal)
    certificate = route.certificate
    blocks: list[Block] = [Paragraph(centre, "centered")]
    if certificate is None:
        why = (
            "регламент региона не предусматривает сертификат"
            if not profile.requires_certificate
            else f"ИОМ на этапе «{profile.stage_names[route.stage]}»"
        )
        blocks.append(Paragraph(f"Сертификат не выдан: {why}.", "centered"))
    else:
        blocks += [
            Paragraph(f"№ {certificate.number}", "large"),
            Paragraph(f"Дата выдачи: {long_date(certificate.issued_on)}", "centered"),
            Paragraph("Настоящий сертификат выдан", "centered"),
            Paragraph(who.full_name, "large"),
        ]
        if personal is not None and personal.sheet is not None:
            blocks.append(Paragraph(f"{who.position}, {who.school}", "centered"))
        plan = route.plan
        blocks += [
            Paragraph(
                "в том, что педагог прошёл(а) индивидуальный образовательный маршрут", "centered"
            ),
            Paragraph(f"«{plan.topic}»" if plan else DASH, "large"),
            Paragraph(
                f"Срок реализации ИОМ: {period(plan.starts_on, plan.ends_on)}" if plan else DASH,
                "centered",
            ),
            Paragraph(profile.region, "centered"),
        ]
    people = signers(route, personal, options)
    issuer = signature_for("Руководитель ЦНППМ", options.marks.certified, people)
    blocks += [issuer, Paragraph(state_line(route), "note")]
    return Document(
        title="Сертификат о прохождении ИОМ",
        sections=(Section(None, tuple(blocks)),),
        footer=route_footer(route, options.generated_at),
        name="certificate",
    )
