"""The teachers' keys are never stored in the clear: the embedded run keeps a master key in its
data folder, production refuses to open personal data without one, raw keys of an older store
are wrapped (`iom pd protect`), and `iom health` says when keys are unprotected."""

from __future__ import annotations

import base64
import os
import sqlite3
from pathlib import Path

import psycopg
import pytest
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from typer.testing import CliRunner

from adapters.personal import PersonalDataStore
from aggregates.personal import TeacherSheet
from runtime.settings import Settings
from workers.cli import app
from workers.context import build_personal_data, build_routes
from workers.pd_master import MASTER_FILE, MasterKeyError

runner = CliRunner()
NAME = "Иванова Мария Петровна"
SHEET = TeacherSheet(
    full_name=NAME,
    school_name="МБОУ «Балахтинская СОШ № 1»",
    position="учитель математики",
    subject="математика",
    education="высшее",
    teaching_experience_years=14,
)
MASTER = base64.b64encode(os.urandom(32)).decode()


def readable_with_the_stored_key(key: bytes, nonce: bytes, ciphertext: bytes) -> bool:
    """Whether the stored key row, taken as a raw key, opens the sheet (the old default)."""
    try:
        AESGCM(key[1:33]).decrypt(nonce, ciphertext, b"teacher-0001")
    except (InvalidTag, ValueError):
        return False
    return True


def test_the_embedded_default_keeps_keys_wrapped(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path)
    routes = build_routes(settings)
    try:
        build_personal_data(routes, settings).put("teacher-0001", SHEET)
    finally:
        routes.close()
    kept = tmp_path / MASTER_FILE
    assert kept.stat().st_mode & 0o777 == 0o600
    with sqlite3.connect(tmp_path / "iom.sqlite3") as db:
        (key,) = db.execute("SELECT wrapped_key FROM iom_pd_keys").fetchone()
        nonce, ciphertext = db.execute("SELECT nonce, ciphertext FROM iom_pd_sheets").fetchone()
    assert key[0] == 0x01  # wrapped, not the raw key
    assert not readable_with_the_stored_key(key, nonce, ciphertext)
    again = build_routes(settings)  # the same kept key next time: still readable
    try:
        record = build_personal_data(again, settings).get("teacher-0001")
    finally:
        again.close()
    assert record.sheet is not None and record.sheet.full_name == NAME


def test_production_refuses_without_a_master_key(
    pg_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = Settings(database_url=pg_url)
    routes = build_routes(settings)
    try:
        with pytest.raises(MasterKeyError, match="IOM_PD_MASTER_KEY"):
            build_personal_data(routes, settings)
    finally:
        routes.close()
    monkeypatch.setenv("IOM_DATABASE_URL", pg_url)
    refused = runner.invoke(app, ["pd", "show", "teacher-0001"])
    assert refused.exit_code == 2 and "IOM_PD_MASTER_KEY не задан" in refused.output
    unhealthy = runner.invoke(app, ["health", "--only", "personal"])
    assert unhealthy.exit_code == 1 and "мастер-ключ не задан" in unhealthy.output


def test_raw_keys_are_wrapped_once_and_stay_readable(
    pg_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = Settings(database_url=pg_url)
    routes = build_routes(settings)
    try:
        old = PersonalDataStore.from_recorder(routes.recorder)  # as the old default did
        old.create_tables()
        old.put("teacher-0001", SHEET)
    finally:
        routes.close()
    monkeypatch.setenv("IOM_DATABASE_URL", pg_url)
    monkeypatch.setenv("IOM_PD_MASTER_KEY", MASTER)
    raw = runner.invoke(app, ["health", "--only", "personal"])
    assert raw.exit_code == 1 and "iom pd protect" in raw.output
    done = runner.invoke(app, ["pd", "protect"])
    assert done.exit_code == 0 and done.output.strip().endswith(": 1")
    assert runner.invoke(app, ["pd", "protect"]).output.strip().endswith(": 0")
    assert runner.invoke(app, ["health", "--only", "personal"]).exit_code == 0
    with psycopg.connect(pg_url) as db:
        (key,) = db.execute("SELECT wrapped_key FROM iom_pd_keys").fetchall()[0]
        nonce, ciphertext = db.execute("SELECT nonce, ciphertext FROM iom_pd_sheets").fetchall()[0]
    assert bytes(key)[0] == 0x01
    assert not readable_with_the_stored_key(bytes(key), bytes(nonce), bytes(ciphertext))
    shown = runner.invoke(app, ["pd", "show", "teacher-0001", "--json"])
    assert shown.exit_code == 0 and NAME in shown.stdout
