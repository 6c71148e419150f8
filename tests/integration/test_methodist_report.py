"""The methodists' report (Sakha актив 6.2): each methodist's routes, stages, activities done
and overdue, and dynamics, read from the monitoring projection, checked against the routes
themselves; as data, as DOCX and PDF, and made by the report calendar's firing."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from activities.calendars import CalendarActivities
from aggregates.application import Routes
from aggregates.commands import CompleteActivity
from aggregates.profiles import Stage
from aggregates.route import Route
from aggregates.values import Role
from projections.campaign import ProjectionNotReadyError
from projections.catalog import catch_up, open_projection
from projections.documents import render
from projections.documents.methodists import build_methodists_report
from projections.methodist_report import methodists_report
from tests.support.documents import TODAY, ticking_routes, word
from workers.demo import demo_routes
from workers.reports import methodist_reports, report_files
from workflows.contracts import CalendarFiring, CalendarInput

AS_OF = date(2026, 12, 1)
STAGES = [Stage.DESIGN, Stage.IMPLEMENTATION, Stage.IMPLEMENTATION, Stage.COMPLETED] * 2


@pytest.fixture
def app(sqlite_url: str) -> Routes:
    return ticking_routes(sqlite_url)


def scene(app: Routes) -> list[Route]:
    """Eight Sakha routes of three methodists at their stages, one activity done on two."""
    demos = list(demo_routes(app, "sakha", len(STAGES), seed=0, first=1))
    for demo, stage in zip(demos, STAGES, strict=True):
        demo.drive(stage)
    for demo in demos[1:3]:
        route = app.route(demo.route_id)
        assert route.plan is not None
        first = route.plan.activities[0]
        done = CompleteActivity(
            activity_id=first.id,
            completed_on=first.starts_on,
            result="Разработан банк заданий",
            product="банк заданий",
        )
        app.execute(demo.route_id, done, demo.actor(Role.TEACHER), f"{demo.key}:done")
    return [app.route(demo.route_id) for demo in demos]


def expected(routes: list[Route], methodist_id: str) -> dict[str, object]:
    """The methodist's figures counted from the routes' own state."""
    mine = [r for r in routes if r.methodist_id == methodist_id]
    records = [record for r in mine for record in r.activities.values()]
    changes = [
        r.final_levels[code] - level
        for r in mine
        for code, level in r.input_levels.items()
        if code in r.final_levels
    ]
    return {
        "routes": len(mine),
        "stages": dict(Counter(r.profile.stage_names[r.stage] for r in mine)),
        "activities": sum(len(r.plan.activities) for r in mine if r.plan),
        "done": sum(1 for record in records if record.status == "done"),
        "not_done": sum(1 for record in records if record.status == "not_done"),
        "overdue": sum(1 for record in records if record.status == "planned" and record.overdue),
        "compared": len(changes),
        "improved": sum(1 for change in changes if change > 0),
    }


def test_each_methodists_figures_match_their_routes(app: Routes) -> None:
    routes = scene(app)
    view = open_projection(app, "monitoring").view
    with pytest.raises(ProjectionNotReadyError):
        methodists_report(view, "sakha", AS_OF)
    position = catch_up(app, "monitoring")
    report = methodists_report(view, "sakha", AS_OF)
    assert report.position == position and report.period == "второе полугодие 2026 г."
    methodists = sorted({r.methodist_id for r in routes if r.methodist_id})
    assert [m.methodist_id for m in report.methodists] == methodists
    assert sum(m.compared for m in report.methodists) > 0  # the completed routes' dynamics
    for figures in report.methodists:
        shown = figures.model_dump(include=set(expected(routes, figures.methodist_id)))
        assert shown == expected(routes, figures.methodist_id)
        assert sorted(i.route_key for i in figures.items) == sorted(
            r.route_key for r in routes if r.methodist_id == figures.methodist_id
        )
    one = methodists_report(view, "sakha", AS_OF, methodists[0])
    assert [m.methodist_id for m in one.methodists] == methodists[:1]
    assert methodists_report(view, "balakhta", AS_OF).methodists == []


def test_the_report_as_documents(app: Routes) -> None:
    scene(app)
    catch_up(app, "monitoring")
    report = methodists_report(open_projection(app, "monitoring").view, "sakha", AS_OF)
    document = build_methodists_report(report, app.profiles.latest("sakha"), TODAY)
    tables, text = word(render(document, "docx"))
    assert "Информация о результатах деятельности методистов" in text
    assert "За второе полугодие 2026 г." in text
    summary = tables[0]
    assert [row[0] for row in summary[1:]] == [m.methodist_id for m in report.methodists]
    assert [int(row[4]) for row in summary[1:]] == [m.done for m in report.methodists]
    assert [int(row[6]) for row in summary[1:]] == [m.overdue for m in report.methodists]
    assert render(document, "pdf").startswith(b"%PDF")


def test_the_schedule_makes_the_report(app: Routes, tmp_path: Path) -> None:
    scene(app)
    catch_up(app, "monitoring")
    make = methodist_reports(app, tmp_path)
    calendars = CalendarActivities(app.profiles, ["webhook"], make)
    firing = CalendarFiring(
        request=CalendarInput(profile_id="sakha", kind="methodist_report"),
        fired_at=datetime(2026, 11, 30, 23, 0, tzinfo=UTC),  # 1 December 08:00 in Yakutsk
    )
    notice = calendars.calendar_notice(firing).notice
    files = report_files(tmp_path, "sakha", AS_OF)
    assert all(path.stat().st_size > 0 for path in files.values())
    assert "Отчёт методистов за второе полугодие 2026 г. сформирован: методистов 3, ИОМ 8" in (
        notice.text
    )
    assert "methodists-2026-12-01.docx" in notice.text
    _, text = word(files["docx"].read_bytes())
    assert "По состоянию на 01.12.2026" in text


def test_a_report_before_the_projection_says_so(app: Routes, tmp_path: Path) -> None:
    assert methodist_reports(app, tmp_path)("sakha", AS_OF).startswith("Отчёт не сформирован")
