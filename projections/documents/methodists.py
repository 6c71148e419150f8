"""The methodists' report to the centre (Sakha актив 6.2, June and December) as a document:
a summary line per methodist, then each methodist's routes with their stage, activities done,
not done and overdue, and the dynamics of the competences tested twice. Made from the figures
`projections.methodist_report` reads at one projection position, which the footer names."""

from __future__ import annotations

from datetime import UTC, datetime

from aggregates.profiles import Profile
from projections.campaign import PROJECTION
from projections.documents.model import Block, Cell, Document, Paragraph, Section, Table
from projections.documents.wording import day, plural
from projections.methodist_report import MethodistFigures, MethodistsReport


def _mean(value: float | None) -> str:
    return "—" if value is None else f"{value:+.2f}".replace(".", ",")


def _summary(report: MethodistsReport) -> Table:
    rows = [
        (
            m.methodist_id,
            str(m.routes),
            "; ".join(f"{stage}: {count}" for stage, count in m.stages.items()),
            str(m.activities),
            str(m.done),
            str(m.not_done),
            str(m.overdue),
            f"{m.improved} из {m.compared}",
            _mean(m.mean_change),
        )
        for m in report.methodists
    ]
    return Table(
        widths=(2.2, 1, 3.2, 1.2, 1.2, 1.2, 1.2, 1.4, 1.2),
        align=(
            "left",
            "center",
            "left",
            "center",
            "center",
            "center",
            "center",
            "center",
            "center",
        ),
        header=(
            (
                Cell("Методист (id)"),
                Cell("ИОМ"),
                Cell("Этапы"),
                Cell("Мероприятий"),
                Cell("Выполнено"),
                Cell("Не выполнено"),
                Cell("Просрочено"),
                Cell("Рост уровня (компетенций)"),
                Cell("Средний прирост"),
            ),
        ),
        rows=tuple(rows),
    )


def _routes(figures: MethodistFigures) -> Table:
    return Table(
        widths=(2.4, 2, 2.6, 1.2, 1.2, 1.2, 1.2, 1.4),
        align=("left", "left", "left", "center", "center", "center", "center", "center"),
        header=(
            (
                Cell("ИОМ (ключ)"),
                Cell("ОО"),
                Cell("Этап"),
                Cell("Мероприятий"),
                Cell("Выполнено"),
                Cell("Не выполнено"),
                Cell("Просрочено"),
                Cell("Рост уровня"),
            ),
        ),
        rows=tuple(
            (
                item.route_key,
                item.school_id,
                item.stage_name,
                str(item.activities),
                str(item.done),
                str(item.not_done),
                str(item.overdue),
                f"{item.improved} из {item.compared}" if item.compared else "—",
            )
            for item in figures.items
        ),
    )


def build_methodists_report(
    report: MethodistsReport, profile: Profile, generated_at: datetime | None = None
) -> Document:
    """Отчёт методистов о сопровождении ИОМ за полугодие, from the report's figures."""
    routes = sum(m.routes for m in report.methodists)
    overview: list[Block] = [
        Paragraph(
            f"Методистов: {len(report.methodists)}; сопровождается "
            f"{plural(routes, 'ИОМ', 'ИОМ', 'ИОМ')} педагогов на {day(report.as_of)}."
        )
    ]
    if report.methodists:
        overview.append(_summary(report))
    else:
        overview.append(Paragraph("За методистами не закреплено ни одного ИОМ.", "note"))
    sections = [Section("1. Сводные результаты деятельности методистов", tuple(overview))]
    for number, figures in enumerate(report.methodists, start=2):
        sections.append(Section(f"{number}. Методист {figures.methodist_id}", (_routes(figures),)))
    made = generated_at or datetime.now(UTC)
    return Document(
        title="Информация о результатах деятельности методистов по сопровождению ИОМ"
        " педагогических работников",
        subtitle=(profile.region, f"За {report.period}", f"По состоянию на {day(report.as_of)}"),
        sections=tuple(sections),
        footer=(
            f"Проекция {PROJECTION} · позиция {report.position} · сформировано"
            f" {made.astimezone(UTC):%d.%m.%Y %H:%M} UTC",
            f"Регламент: {profile.regulation}",
        ),
        name="methodists",
    )
