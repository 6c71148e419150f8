"""The methodists' report made by the schedule (Sakha актив 6.2, June and December): when the
region's `methodist_report` calendar fires, the report is read from the monitoring projection
and written as DOCX and PDF under `IOM_DATA_DIR/reports/<region>/`, one pair per date (a retried
activity writes the same files again); the notice says what was made and where.

Built here, in the composition root, because it joins the projections (the figures and the
document) to the calendar activity, which does not import them."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from activities.calendars import ReportMaker
from aggregates.application import Routes
from projections.campaign import ProjectionNotReadyError
from projections.catalog import open_projection
from projections.documents import Format, render
from projections.documents.methodists import build_methodists_report
from projections.methodist_report import methodists_report

FORMATS: tuple[Format, ...] = ("docx", "pdf")


def report_files(folder: Path, region: str, as_of: date) -> dict[Format, Path]:
    """Where the report of `region` as of `as_of` is written, by format."""
    stem = folder / "reports" / region / f"methodists-{as_of.isoformat()}"
    return {fmt: stem.with_suffix(f".{fmt}") for fmt in FORMATS}


def methodist_reports(routes: Routes, folder: Path) -> ReportMaker:
    """The report maker of the worker: its files under `folder`."""

    def make(region: str, as_of: date) -> str:
        view = open_projection(routes, "monitoring").view
        try:
            report = methodists_report(view, region, as_of)
        except ProjectionNotReadyError as error:
            return f"Отчёт не сформирован: {error.message}"
        document = build_methodists_report(report, routes.profiles.latest(region), routes.clock())
        files = report_files(folder, region, as_of)
        for fmt, path in files.items():
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(render(document, fmt))
        routes_count = sum(m.routes for m in report.methodists)
        done = sum(m.done for m in report.methodists)
        overdue = sum(m.overdue for m in report.methodists)
        return (
            f"Отчёт методистов за {report.period} сформирован: методистов"
            f" {len(report.methodists)}, ИОМ {routes_count}, мероприятий выполнено {done},"
            f" просрочено {overdue}. Файлы: {files['docx'].name}, {files['pdf'].name}; он же —"
            " GET /reports/methodists/document."
        )

    return make
