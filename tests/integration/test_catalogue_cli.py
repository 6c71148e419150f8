"""`iom catalogue import|list|orders` and `iom routes suggest` on a SQLite store."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest
from typer.testing import CliRunner

from aggregates.application import Routes
from aggregates.profiles import Stage
from runtime.settings import store_env
from tests.support.profiles import shipped
from tests.support.programmes import ROWS, csv_file
from workers.cli import app as iom
from workers.demo import DemoRoute

runner = CliRunner()


@pytest.fixture
def store(sqlite_url: str, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("IOM_DATABASE_URL", sqlite_url)
    monkeypatch.setenv("IOM_LOG_FORMAT", "json")
    return sqlite_url


def test_import_list_and_a_bad_file(store: str, tmp_path: Path) -> None:
    good, bad = tmp_path / "programmes.csv", tmp_path / "bad.csv"
    good.write_bytes(csv_file(ROWS))
    bad.write_bytes(csv_file([ROWS[0], [*ROWS[1][:3], "x", *ROWS[1][4:]]]))
    args = ["--region", "sakha", "--centre-head", "centre-head-sakha"]

    refused = runner.invoke(iom, ["catalogue", "import", str(bad), *args])
    assert refused.exit_code == 2
    assert "строка 3, «Часы»: ожидается целое число" in refused.stderr
    assert "ничего не записано" in refused.stderr

    first = runner.invoke(iom, ["catalogue", "import", str(good), *args])
    assert first.exit_code == 0, first.output
    assert "версия 1, программ в файле 3" in first.stdout
    again = runner.invoke(iom, ["catalogue", "import", str(good), *args])
    assert "Каталог не изменился: версия 1" in again.stdout

    listed = runner.invoke(iom, ["catalogue", "list", "--region", "sakha", "--json"])
    assert [p["registry_number"] for p in json.loads(listed.stdout)] == [
        "ДПП-001",
        "ДПП-002",
        "ДПП-003",
    ]
    missing = runner.invoke(iom, ["catalogue", "list", "--region", "sakha", "--version", "5"])
    assert missing.exit_code == 2 and "версии 5 каталога ДПП нет" in missing.stderr


def test_a_route_suggested_and_the_orders(store: str, tmp_path: Path) -> None:
    routes = Routes(store_env(store), profiles=shipped())
    try:
        profile = routes.profiles.latest("sakha")
        demo = DemoRoute(routes, profile, 3, random.Random(3), routes.clock().date())
        route_id = demo.drive(Stage.DESIGN)
    finally:
        routes.close()
    suggested = runner.invoke(iom, ["routes", "suggest", demo.key, "--json"])
    assert suggested.exit_code == 0, suggested.output
    found = json.loads(suggested.stdout)
    assert found["route_id"] == str(route_id) and found["plan"]["activities"]
    shown = runner.invoke(iom, ["routes", "suggest", str(route_id)])
    assert "почему предложено" in shown.stdout
    orders = runner.invoke(iom, ["catalogue", "orders", "--region", "sakha", "--json"])
    assert orders.exit_code == 0, orders.output
    assert json.loads(orders.stdout)["routes"] == 1
