"""The command line's tables at 80 columns: every id printed whole, headings and values in
Russian, the codes in JSON and CSV."""

from __future__ import annotations

import csv
import io
import json
import re

import pytest
from rich.console import Console
from typer.testing import CliRunner

from aggregates.application import route_id_for
from aggregates.commands import OpenRoute
from runtime.settings import Settings
from workers.cli import app
from workers.cli.output import emit_table
from workers.context import build_routes
from workers.demo import demo_routes

runner = CliRunner()
UUID_TEXT = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


@pytest.fixture(autouse=True)
def configured(sqlite_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("IOM_DATABASE_URL", sqlite_url)
    monkeypatch.setenv("IOM_LOG_FORMAT", "json")
    monkeypatch.setenv("COLUMNS", "80")


def iom(*args: str) -> str:
    result = runner.invoke(app, list(args))
    assert result.exit_code == 0, result.output
    return result.stdout


def test_a_table_wider_than_the_terminal_keeps_its_ids_whole() -> None:
    ids = [f"route-{n:03d}-{'x' * 30}" for n in range(3)]
    out = io.StringIO()
    emit_table(
        "ИОМ",
        ["ИОМ", "методист", "запись"],
        [
            (each, f"methodist-sakha-{n:02d}-{'y' * 20}", "длинная запись " * 8)
            for n, each in enumerate(ids)
        ],
        console=Console(file=out, width=80),
    )
    text = out.getvalue()
    for n, each in enumerate(ids):
        assert each in text
        assert f"methodist-sakha-{n:02d}-{'y' * 20}" in text


def test_monitor_and_audit_tables_at_80_columns_show_every_id_whole() -> None:
    ids = iom("demo", "--region", "sakha", "--routes", "2").split()
    iom("projector", "--once")

    for command in (["monitor", "routes"], ["monitor", "activities"], ["monitor", "audit"]):
        shown = iom(*command)
        assert set(UUID_TEXT.findall(shown)) == set(ids), command
        assert "…" not in shown, command

    history = iom("audit", "history", ids[0])
    assert ids[0] in history and "…" not in history
    assert "ЦНППМ" in history and "centre_head" not in history  # the role in words
    rows = json.loads(iom("audit", "history", ids[0], "--json"))
    assert rows[0]["role"] == "centre_head"  # the code kept
    table = list(csv.DictReader(io.StringIO(iom("audit", "history", ids[0], "--csv"))))
    assert [r["version"] for r in table] == [str(r["version"]) for r in rows]
    assert table[0]["role"] == "centre_head"

    activities = iom("monitor", "activities")
    assert (
        "региональный" in activities
        or "муниципальный" in activities
        or "федеральный" in (activities)
    )


def test_a_route_key_is_taken_wherever_a_route_id_is() -> None:
    ids = iom("demo", "--region", "sakha", "--routes", "1").split()
    iom("projector", "--once")
    assert json.loads(iom("audit", "show", "demo-sakha-00001", "--json"))["id"] == ids[0]
    [row] = json.loads(iom("monitor", "routes", "--route", "demo-sakha-00001", "--json"))
    assert row["route_id"] == ids[0]
    assert "Цепочки целы: 1" in iom("audit", "verify", "demo-sakha-00001")

    unknown = runner.invoke(app, ["audit", "history", "demo-sakha-09999"])
    assert unknown.exit_code == 2 and "ни ключ ИОМ" in unknown.output

    routes = build_routes(Settings())
    try:
        for region in ("sakha", "chelyabinsk"):
            demo = demo_routes(routes, region, 1, seed=0, first=1)[0]
            opening = next(demo.steps())
            shared = opening.command.model_copy(update={"route_key": "shared-1"})
            assert isinstance(shared, OpenRoute)
            routes.open(shared, demo.actor(opening.role), f"shared-{region}")
    finally:
        routes.close()
    ambiguous = runner.invoke(app, ["audit", "history", "shared-1"])
    assert ambiguous.exit_code == 2
    for region in ("sakha", "chelyabinsk"):
        assert str(route_id_for(region, "shared-1")) in ambiguous.output.replace("\n", "")
