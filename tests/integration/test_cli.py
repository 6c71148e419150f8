"""The `iom` command line, run as a user would, on both stores."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from uuid import UUID

import pytest
from typer.testing import CliRunner

from aggregates.events import ActivityCompleted
from runtime.settings import Settings
from tests.integration.test_routes_store import tamper
from workers.cli import app
from workers.context import build_routes

runner = CliRunner()


@pytest.fixture(autouse=True)
def configured(database_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("IOM_DATABASE_URL", database_url)
    monkeypatch.setenv("IOM_LOG_FORMAT", "json")
    monkeypatch.setenv("IOM_PD_MASTER_KEY", base64.b64encode(bytes(range(32))).decode())


def iom(*args: str, code: int = 0) -> str:
    result = runner.invoke(app, list(args))
    assert result.exit_code == code, result.output
    return result.stdout if code == 0 else result.output


def test_demo_routes_replay_for_the_auditor_at_any_version() -> None:
    ids = iom("demo", "--region", "sakha", "--routes", "2").split()
    assert len(ids) == 2 and all(UUID(i) for i in ids)
    history = json.loads(iom("audit", "history", ids[0], "--json"))
    assert [row["version"] for row in history] == list(range(1, len(history) + 1))
    assert history[0]["type"] == "RouteOpened" and "ИОМ открыт" in history[0]["summary"]
    assert history[-1]["type"] == "CertificateIssued"
    then = json.loads(iom("audit", "show", ids[0], "--version", "3", "--json"))
    assert (then["version"], then["stage"]) == (3, "design")
    now = json.loads(iom("audit", "show", ids[0], "--json"))
    assert now["stage_name"] == "ИОМ завершён"
    assert "ещё не был открыт" in iom(
        "audit", "show", ids[0], "--as-of", "2000-01-01T00:00:00+00:00", code=1
    )
    assert "часовой пояс" in iom("audit", "show", ids[0], "--as-of", "2026-01-01T00:00:00", code=2)


def test_verify_finds_the_altered_event_and_the_digest_kept_outside() -> None:
    ids = iom("demo", "--region", "chelyabinsk", "--routes", "2").split()
    assert "Цепочки целы: 2" in iom("audit", "verify", "--all")
    kept = iom("audit", "digest").strip()
    assert json.loads(iom("audit", "verify", "--all", "--digest", kept, "--json"))["digest_matches"]

    routes = build_routes(Settings())
    done = next(e for e in routes.history(UUID(ids[1])) if isinstance(e, ActivityCompleted))
    tamper(routes, UUID(ids[1]), done.originator_version, done.result.encode(), "Подделка".encode())
    output = iom("audit", "verify", "--all", "--digest", kept, code=1)
    assert f"НАРУШЕНА цепочка ИОМ {ids[1]}: событие {done.originator_version}" in output
    assert "НЕ СОВПАДАЕТ дайджест" in output
    iom("audit", "verify", ids[0])
    assert "нарушены" in iom("audit", "digest", code=1)


def test_erasing_personal_data_leaves_routes_intact_and_anonymous(tmp_path: Path) -> None:
    (route_id,) = iom("demo", "--region", "balakhta").split()
    teacher = json.loads(iom("audit", "show", route_id, "--json"))["teacher_id"]
    sheet = {
        "full_name": "Иванова Мария Петровна",
        "school_name": "МБОУ «Балахтинская СОШ № 1»",
        "position": "учитель математики",
        "subject": "математика",
        "education": "высшее, КГПУ им. В.П. Астафьева, 2009",
        "teaching_experience_years": 14,
    }
    (tmp_path / "sheet.json").write_text(json.dumps(sheet, ensure_ascii=False), encoding="utf-8")
    iom("pd", "put", teacher, str(tmp_path / "sheet.json"))
    shown = json.loads(iom("audit", "show", route_id, "--json"))["teacher"]
    assert shown == {"status": "present", "shown_as": "Иванова Мария Петровна"}
    assert "Иванова" not in iom("audit", "history", route_id, "--json")

    iom("pd", "erase", teacher, "--reason", "заявление № 17 от 20.11.2026")
    assert json.loads(iom("pd", "show", teacher, "--json"))["status"] == "erased"
    shown = json.loads(iom("audit", "show", route_id, "--json"))["teacher"]
    assert shown["status"] == "erased" and "152-ФЗ" in shown["shown_as"]
    assert "Цепочки целы: 1" in iom("audit", "verify", "--all")
    assert "152-ФЗ" in iom("pd", "put", teacher, str(tmp_path / "sheet.json"), code=1)


def test_usage_errors_say_what_to_do() -> None:
    assert "известны: algorithm, balakhta" in iom("demo", "--region", "moscow", code=2)
    assert "--all" in iom("audit", "verify", code=2)
