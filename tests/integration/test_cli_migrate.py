"""`iom ops migrate --dry-run`: the mapping file checked against a route of the store, nothing
written; a route that cannot move named item by item (exit 1), a malformed file refused (exit 2).
(The move itself goes through the route's workflow: tests/workflows/test_migration.py.)"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.integration.test_cli import configured, iom
from tests.support.profiles import EDITIONS

__all__ = ["configured"]  # the store of the CLI's tests, for every test here
TERMS = ["--order", "Приказ № 01-03/0000", "--operator", "op-1", "--reason", "Новая редакция"]


def test_a_dry_run_checks_the_mapping_and_writes_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    [route_id] = iom(
        "demo", "--region", "sakha", "--routes", "1", "--until", "implementation"
    ).split()
    history = json.loads(iom("audit", "history", route_id, "--json"))
    monkeypatch.setenv("IOM_PROFILES_DIR", str(EDITIONS))  # sakha@2 published since
    mapping = tmp_path / "sakha-2.yaml"
    mapping.write_text(
        "competences:\n  communicative: psych_communicative\n"
        "  psych_pedagogical: psych_communicative\n",
        encoding="utf-8",
    )
    ask = ["ops", "migrate", route_id, "--to", "sakha@2", *TERMS, "--ticket", "OPS-19"]

    said = iom(*ask, "--mapping", str(mapping), "--dry-run")
    assert "можно перевести" in said
    assert "этап «Практический этап ИОМ»" in said
    assert "срок activity:" in said

    empty = tmp_path / "empty.yaml"
    empty.write_text("{}\n", encoding="utf-8")
    refused = json.loads(iom(*ask, "--mapping", str(empty), "--dry-run", "--json", code=1))
    assert refused["movable"] is False
    assert {p["rule"] for p in refused["problems"]} == {"mapping_competence"}
    assert "«communicative» (входная диагностика)" in refused["problems"][0]["message"]

    bad = tmp_path / "bad.yaml"
    bad.write_text("competences:\n  Communicative: x\n", encoding="utf-8")
    assert "--mapping" in iom(*ask, "--mapping", str(bad), "--dry-run", code=2)
    assert json.loads(iom("audit", "history", route_id, "--json")) == history
