"""`iom tasks`: an assignee's tasks from the tasks projection, ids whole at 80 columns, headings
and values in Russian, the codes in JSON and CSV; an unknown kind refused with the known ones."""

from __future__ import annotations

import csv
import io
import json
from uuid import UUID

import pytest
from typer.testing import CliRunner

from aggregates.tasks import tasks
from runtime.settings import Settings
from workers.cli import app
from workers.context import build_routes

runner = CliRunner()


@pytest.fixture(autouse=True)
def configured(sqlite_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("IOM_DATABASE_URL", sqlite_url)
    monkeypatch.setenv("IOM_LOG_FORMAT", "json")
    monkeypatch.setenv("COLUMNS", "80")


def iom(*args: str, code: int = 0) -> str:
    result = runner.invoke(app, list(args))
    assert result.exit_code == code, result.output
    return result.stdout if code == 0 else result.output


def test_an_assignees_tasks_as_a_table_json_and_csv() -> None:
    ids = iom("demo", "--region", "sakha", "--routes", "3", "--until", "implementation").split()
    iom("projector", "--once")
    routes = build_routes(Settings())
    try:
        wanted = [
            t
            for route_id in ids
            for t in tasks(routes.route(UUID(route_id)))
            if t.assignee.role.value == "teacher"
        ]
    finally:
        routes.close()
    teacher = wanted[0].assignee.scope_id
    mine = sorted(
        (t for t in wanted if t.assignee.scope_id == teacher),
        key=lambda t: (t.due_on is None, t.due_on, t.id),
    )
    asked = ("--region", "sakha", "--role", "teacher", "--assignee", teacher)
    table = iom("tasks", "list", *asked)
    assert f"Задачи: {len(mine)}" in table
    for task in mine:
        assert task.id in table and str(task.route_id) in table
    assert "педагогический" in table and "ожидает" in table and mine[0].operation in table
    rows = json.loads(iom("tasks", "list", *asked, "--json"))
    assert [r["task_id"] for r in rows] == [t.id for t in mine]
    assert rows[0]["endpoint"] == f"POST /routes/{mine[0].route_id}/commands/{mine[0].operation}"
    listed = list(csv.DictReader(io.StringIO(iom("tasks", "list", *asked, "--csv"))))
    assert [r["task_id"] for r in listed] == [t.id for t in mine]
    counts = json.loads(iom("tasks", "summary", *asked, "--json"))
    assert sum(c["tasks"] for c in counts if c["state"] == "open") == len(mine)
    assert "Сводка задач" in iom("tasks", "summary", *asked)
    refused = iom("tasks", "list", "--region", "sakha", "--kind", "fly", code=2)
    assert "нет вида задачи «fly»" in refused and "approve_route" in refused
