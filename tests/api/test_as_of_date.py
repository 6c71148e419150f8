"""As it was, and as it was known (issue 19, point 5): an activity done on a date but recorded
ten days later counts for that date (`as_of_date`), and is unknown at the end of that date
(`as_of`); the answer for the date names it as recorded later. The API, `iom audit show` and
the route's documents and the audit bundle (`iom audit export`) ask both questions."""

from __future__ import annotations

import json
import zipfile
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any
from uuid import UUID
from zoneinfo import ZoneInfo

import pytest
from typer.testing import CliRunner

from adapters.bundle import check_bundle
from aggregates.commands import CompleteActivity
from aggregates.profiles import Stage
from aggregates.values import Actor, Role
from tests.api.conftest import Direct
from tests.api.support import Portal
from tests.support.documents import word
from workers.cli import app as iom
from workers.demo import write_demo

runner = CliRunner()
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


@pytest.fixture
def on_the_store(sqlite_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """`iom`, run in process, on the test's store (the one `direct` writes to)."""
    monkeypatch.setenv("IOM_DATABASE_URL", sqlite_url)
    monkeypatch.setenv("IOM_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("COLUMNS", "250")


def centre_head(portal: Portal) -> dict[str, str]:
    return portal.headers(portal.token(Role.CENTRE_HEAD, "centre-head-sakha", "sakha"))


def completed_late(direct: Direct) -> tuple[UUID, str, date, datetime]:
    """A Sakha route in implementation whose first activity is marked done on a date `day`,
    ten days after it: the route, the activity, the day and the end of the day (in Yakutsk)."""
    routes = direct.routes
    (route_id,) = write_demo(routes, "sakha", 1, until=Stage.IMPLEMENTATION)
    route = routes.route(route_id)
    assert route.plan is not None
    activity = route.plan.activities[0]
    zone = ZoneInfo(route.profile.time_zone)
    day = max(activity.starts_on, route.modified_on.astimezone(zone).date())
    recorded = datetime.combine(day + timedelta(days=10), time(12), zone)
    done = CompleteActivity(
        activity_id=activity.id,
        completed_on=day,
        result="Проведён открытый урок",
        product="Открытый урок",
        self_assessment="Цель достигнута",
        employer_assessment="Урок проведён на хорошем уровне",
    )
    teacher = Actor(id=route.teacher_id, role=Role.TEACHER)
    routes.execute(route_id, done, teacher, f"{route_id}:late", now=recorded)
    end_of_day = datetime.combine(day + timedelta(days=1), time(0), zone) - timedelta(seconds=1)
    return route_id, activity.id, day, end_of_day


async def test_a_late_recorded_completion_answers_the_two_questions_differently(
    direct: Direct, portal: Portal
) -> None:
    route_id, activity, day, end_of_day = completed_late(direct)
    headers = centre_head(portal)

    async def state(**params: str) -> dict[str, Any]:
        answer = await direct.client.get(f"/routes/{route_id}", params=params, headers=headers)
        assert answer.status_code == 200, answer.text
        found: dict[str, Any] = answer.json()
        return found

    as_it_was = await state(as_of_date=day.isoformat())
    as_it_was_known = await state(as_of=end_of_day.isoformat())
    known_then_of_that_day = await state(as_of_date=day.isoformat(), as_of=end_of_day.isoformat())

    assert as_it_was["activities"][activity]["status"] == "done"
    assert as_it_was["activities"][activity]["on"] == day.isoformat()
    assert as_it_was_known["activities"][activity]["status"] == "planned"
    assert known_then_of_that_day["activities"][activity]["status"] == "planned"
    (late,) = as_it_was["recorded_later"]
    assert late["event_type"] == "ActivityCompleted"
    assert late["occurred_on"] == day.isoformat()
    assert late["version"] == direct.routes.route(route_id).version
    assert as_it_was["as_of_date"] == day.isoformat()
    assert known_then_of_that_day["recorded_later"] == []
    assert as_it_was_known["recorded_later"] == [] and as_it_was_known["as_of_date"] is None


@pytest.mark.parametrize(
    ("params", "field", "rule"),
    [
        ({"version": 2, "as_of_date": "2026-12-30"}, "as_of_date", "one_of"),
        ({"as_of_date": "30.12.2026"}, "as_of_date", "date_from_datetime_parsing"),
        ({"as_of_date": "2026-12-30", "as_of": "2026-12-30T12:00:00"}, "as_of", "timezone"),
    ],
)
async def test_a_bad_date_is_a_problem_naming_the_field(
    direct: Direct, portal: Portal, params: dict[str, str], field: str, rule: str
) -> None:
    (route_id,) = write_demo(direct.routes, "sakha", 1, until=Stage.DESIGN)
    answer = await direct.client.get(
        f"/routes/{route_id}", params=params, headers=centre_head(portal)
    )
    assert answer.status_code == 422, answer.text
    assert (answer.json()["field"], answer.json()["rule"]) == (field, rule)


async def test_a_date_before_the_opening_is_not_found(direct: Direct, portal: Portal) -> None:
    (route_id,) = write_demo(direct.routes, "sakha", 1, until=Stage.DESIGN)
    opened = direct.routes.route(route_id).created_on.date()
    answer = await direct.client.get(
        f"/routes/{route_id}",
        params={"as_of_date": (opened - timedelta(days=2)).isoformat()},
        headers=centre_head(portal),
    )
    assert answer.status_code == 404, answer.text


@pytest.mark.usefixtures("on_the_store")
async def test_audit_show_answers_both_and_names_the_late_fact(direct: Direct) -> None:
    route_id, activity, day, end_of_day = completed_late(direct)

    def show(*args: str) -> str:
        result = runner.invoke(iom, ["audit", "show", str(route_id), *args])
        assert result.exit_code == 0, result.output
        return result.stdout

    on_day = json.loads(show("--as-of-date", day.isoformat(), "--json"))
    known = json.loads(show("--as-of", end_of_day.isoformat(), "--json"))
    assert on_day["activities"][activity]["status"] == "done"
    assert known["activities"][activity]["status"] == "planned"
    assert [f["event_type"] for f in on_day["recorded_later"]] == ["ActivityCompleted"]
    table = show("--as-of-date", day.isoformat())
    assert "внесено позже" in table and f"относится к {day:%d.%m.%Y}" in table
    refused = runner.invoke(
        iom, ["audit", "show", str(route_id), "--version", "2", "--as-of-date", day.isoformat()]
    )
    assert refused.exit_code == 2


async def test_a_document_shows_the_route_as_of_the_date(direct: Direct, portal: Portal) -> None:
    route_id, _, day, end_of_day = completed_late(direct)
    last = direct.routes.route(route_id).version
    headers = centre_head(portal) | {"Accept": DOCX}
    late = f"{day:%d.%m.%Y}"
    texts = {}
    for params, shown in (
        ({"as_of_date": day.isoformat()}, last),  # the late completion counts for its date
        ({"as_of": end_of_day.isoformat()}, last - 1),  # and was unknown at the day's end
    ):
        answer = await direct.client.get(
            f"/routes/{route_id}/documents/monitoring", params=params, headers=headers
        )
        assert answer.status_code == 200, answer.text
        assert f"-v{shown}.docx" in answer.headers["content-disposition"]
        texts[shown] = word(answer.content)
    # As of the date, the document lists the fact recorded later (its version, its date);
    # as known at the day's end, it has no such section.
    tables, text = texts[last]
    assert f"по состоянию на {late}" in text and f"Внесены после {late}" in text
    (row,) = [row for table in tables for row in table if row[0] == str(last)]
    assert row[1] == late and "выполнено" in row[3].lower()
    assert "Внесены после" not in texts[last - 1][1]


@pytest.mark.usefixtures("on_the_store")
async def test_the_documents_command_lists_the_late_fact(direct: Direct, tmp_path: Path) -> None:
    route_id, _, day, end_of_day = completed_late(direct)

    def rendered(*args: str) -> str:
        output = tmp_path / f"monitoring-{len(args)}.docx"
        render = ["docs", "render", str(route_id), "--doc", "monitoring", "--format", "docx"]
        result = runner.invoke(iom, [*render, "-o", str(output), *args])
        assert result.exit_code == 0, result.output
        return word(output.read_bytes())[1]

    on_day = rendered("--as-of-date", day.isoformat())
    known_then = rendered("--as-of-date", day.isoformat(), "--as-of", end_of_day.isoformat())
    assert f"Внесены после {day:%d.%m.%Y}" in on_day
    assert f"Фактов, внесённых после {day:%d.%m.%Y}, нет" in known_then


@pytest.mark.usefixtures("on_the_store")
async def test_the_audit_bundle_holds_the_route_as_of_the_date(
    direct: Direct, tmp_path: Path
) -> None:
    route_id, activity, day, _ = completed_late(direct)
    last = direct.routes.route(route_id).version

    def exported(*args: str) -> dict[str, Any]:
        bundle = tmp_path / f"route-{len(args)}.zip"
        given = ["audit", "export", str(route_id), "-o", str(bundle), *args]
        result = runner.invoke(iom, [*given, "--as-of-date", day.isoformat()])
        assert result.exit_code == 0, result.output
        assert check_bundle(bundle).intact  # the added file is in the manifest, and checks out
        with zipfile.ZipFile(bundle) as archive:
            assert "as_of_date.json" in archive.read("README.txt").decode()
            found: dict[str, Any] = json.loads(archive.read("as_of_date.json"))
        return found

    # The whole history: the completion recorded later counts for its date, and is named.
    on_day = exported()
    assert on_day["as_of_date"] == day.isoformat()
    assert on_day["route"]["activities"][activity]["status"] == "done"
    (late,) = on_day["recorded_later"]
    assert (late["version"], late["event_type"]) == (last, "ActivityCompleted")
    assert late["occurred_on"] == day.isoformat() and "относится к" in late["line"]
    # The history as known before it was recorded: the same date, another answer.
    known = exported("--version", str(last - 1))
    assert known["route"]["activities"][activity]["status"] == "planned"
    assert known["recorded_later"] == []
    opened = direct.routes.route(route_id).created_on.date()
    early = (opened - timedelta(days=2)).isoformat()
    given = ["audit", "export", str(route_id), "-o", str(tmp_path / "x.zip"), "--as-of-date", early]
    before = runner.invoke(iom, given)
    assert before.exit_code == 1 and "ещё не был открыт" in before.output
