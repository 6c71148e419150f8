"""`iom audit export`: a route's bundle checks out with nothing but Python, and with the engine;
one altered byte is named by both; a bundle rebuilt whole is caught against the store."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
import zipfile
from pathlib import Path
from uuid import UUID

import pytest
from typer.testing import CliRunner

from aggregates.chain import GENESIS, canonical, link
from aggregates.events import ActivityCompleted
from runtime.settings import Settings
from tests.integration.test_routes_store import tamper
from workers.cli import app
from workers.context import build_routes
from workers.demo import write_demo

runner = CliRunner()


@pytest.fixture(autouse=True)
def configured(sqlite_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("IOM_DATABASE_URL", sqlite_url)
    monkeypatch.setenv("IOM_LOG_FORMAT", "json")


@pytest.fixture
def route_id() -> UUID:
    routes = build_routes(Settings())
    (written,) = write_demo(routes, "sakha", 1)
    return written


def iom(*args: str, code: int = 0) -> str:
    result = runner.invoke(app, list(args))
    assert result.exit_code == code, result.output
    return result.stdout if code == 0 else result.output


def bare_python(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """Python isolated from the environment and from site-packages: the standard library only."""
    return subprocess.run(
        [sys.executable, "-I", "-S", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=60,
        check=False,
    )


def altered(bundle: Path, name: str, out: Path) -> Path:
    """A copy of the bundle with one byte of one file changed (the JSON stays readable)."""
    with zipfile.ZipFile(bundle) as source, zipfile.ZipFile(out, "w") as target:
        for info in source.infolist():
            data = source.read(info)
            if info.filename == name:
                at = data.index(b'"command_id":"') + len(b'"command_id":"')
                data = data[:at] + bytes([data[at] ^ 1]) + data[at + 1 :]
            target.writestr(info, data)
    return out


def test_the_bundle_checks_out_with_bare_python_and_with_the_engine(
    route_id: UUID, tmp_path: Path
) -> None:
    bundle = tmp_path / "route.zip"
    written = json.loads(iom("audit", "export", str(route_id), "-o", str(bundle), "--json"))
    history = json.loads(iom("audit", "history", str(route_id), "--json"))
    assert written["head_version"] == len(history) == written["store_version"]

    unpacked = tmp_path / "unpacked"
    with zipfile.ZipFile(bundle) as archive:
        archive.extractall(unpacked)
        names = set(archive.namelist())
    manifest = json.loads((unpacked / "manifest.json").read_text("utf-8"))
    assert manifest["route_id"] == str(route_id)
    assert manifest["head_version"] == manifest["events"] == len(history)
    assert manifest["head_chain_hash"] == written["head_chain_hash"]
    assert {"exported_at", "engine_version"} <= set(manifest)
    assert names == {"manifest.json", *manifest["files"]}
    for name, digest in manifest["files"].items():
        assert hashlib.sha256((unpacked / name).read_bytes()).hexdigest() == digest
    readme = (unpacked / "README.txt").read_text("utf-8")
    assert "python3 verify.py" in readme and "Персональных данных в пакете нет" in readme

    # Each event file is the exact bytes the chain hashes, and the engine's hashes follow.
    head = GENESIS
    for entry in json.loads((unpacked / "chain.json").read_text("utf-8")):
        data = (unpacked / entry["file"]).read_bytes()
        assert canonical(json.loads(data)) == data
        head = link(head, json.loads(data))
        assert head == entry["chain_hash"]
    assert head == manifest["head_chain_hash"]

    checked = bare_python("verify.py", cwd=unpacked)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "ЦЕЛ" in checked.stdout and manifest["head_chain_hash"] in checked.stdout
    assert bare_python(str(unpacked / "verify.py"), str(bundle), cwd=tmp_path).returncode == 0

    report = json.loads(iom("audit", "verify-bundle", str(bundle), "--against-store", "--json"))
    assert report["intact"] and report["store"]["matches"]
    assert report["head_version"] == len(history) and report["broken_at"] is None


def test_one_altered_byte_is_named_by_both_verifiers(route_id: UUID, tmp_path: Path) -> None:
    bundle = tmp_path / "route.zip"
    iom("audit", "export", str(route_id), "-o", str(bundle))
    forged = altered(bundle, "events/000005.json", tmp_path / "forged.zip")
    with zipfile.ZipFile(bundle) as archive:
        archive.extract("verify.py", tmp_path)

    checked = bare_python("verify.py", str(forged), cwd=tmp_path)
    assert checked.returncode == 1, checked.stdout + checked.stderr
    assert "НАРУШЕНА цепочка: событие 5 (events/000005.json)" in checked.stdout
    assert "НЕ СОВПАДАЕТ sha256 файла events/000005.json" in checked.stdout
    assert "ЦЕЛ" not in checked.stdout

    output = iom("audit", "verify-bundle", str(forged), code=1)
    assert "НАРУШЕНА цепочка: событие 5 — содержимое не совпадает с хешем" in output
    report = json.loads(iom("audit", "verify-bundle", str(forged), "--json", code=1))
    assert (report["intact"], report["broken_at"]) == (False, 5)


def test_a_bundle_rebuilt_whole_passes_alone_but_not_against_the_store(
    route_id: UUID, tmp_path: Path
) -> None:
    bundle = tmp_path / "route.zip"
    iom("audit", "export", str(route_id), "-o", str(bundle))
    with zipfile.ZipFile(bundle) as archive:
        files = {name: archive.read(name) for name in archive.namelist()}
    chain = json.loads(files["chain.json"])
    head = GENESIS
    for entry in chain:  # a forger who knows the rule: one event changed, every hash redone
        content = json.loads(files[entry["file"]])
        if entry["version"] == 3:
            content["command_id"] = "подлог"
        files[entry["file"]] = canonical(content)
        head = entry["chain_hash"] = link(head, content)
    files["chain.json"] = json.dumps(chain).encode()
    manifest = json.loads(files.pop("manifest.json"))
    manifest["head_chain_hash"] = head
    manifest["files"] = {n: hashlib.sha256(d).hexdigest() for n, d in files.items()}
    forged = tmp_path / "forged.zip"
    with zipfile.ZipFile(forged, "w") as archive:
        archive.writestr("manifest.json", json.dumps(manifest))
        for name, data in files.items():
            archive.writestr(name, data)

    assert "ЦЕЛ" in iom("audit", "verify-bundle", str(forged))
    output = iom("audit", "verify-bundle", str(forged), "--against-store", code=1)
    assert "НЕ СОВПАДАЕТ с хранилищем" in output


def test_an_export_at_a_version_ends_there(route_id: UUID, tmp_path: Path) -> None:
    bundle = tmp_path / "v5.zip"
    iom("audit", "export", str(route_id), "-o", str(bundle), "--version", "5")
    with zipfile.ZipFile(bundle) as archive:
        manifest = json.loads(archive.read("manifest.json"))
        events = sorted(n for n in archive.namelist() if n.startswith("events/"))
        chain = json.loads(archive.read("chain.json"))
    assert (manifest["head_version"], manifest["events"]) == (5, 5)
    assert events == [f"events/{v:06d}.json" for v in range(1, 6)]
    assert [e["version"] for e in chain] == [1, 2, 3, 4, 5]
    shown = json.loads(iom("audit", "show", str(route_id), "--version", "5", "--json"))
    assert manifest["head_chain_hash"] == shown["chain_head"]
    assert "совпадает с хранилищем" in iom("audit", "verify-bundle", str(bundle), "--against-store")

    assert "нет версии 999" in iom(
        "audit", "export", str(route_id), "-o", str(tmp_path / "x.zip"), "--version", "999", code=1
    )
    assert not (tmp_path / "x.zip").exists()


def test_an_unknown_route_or_file_says_so(tmp_path: Path) -> None:
    unknown = "00000000-0000-0000-0000-000000000001"
    output = iom("audit", "export", unknown, "-o", str(tmp_path / "x.zip"), code=1)
    assert f"ИОМ {unknown} не найден" in output
    assert not (tmp_path / "x.zip").exists()
    (tmp_path / "not.zip").write_text("не архив", encoding="utf-8")
    assert "не zip-архив" in iom("audit", "verify-bundle", str(tmp_path / "not.zip"), code=2)


def test_a_broken_stored_chain_is_exported_as_evidence(route_id: UUID, tmp_path: Path) -> None:
    routes = build_routes(Settings())
    done = next(e for e in routes.history(route_id) if isinstance(e, ActivityCompleted))
    tamper(routes, route_id, done.originator_version, done.result.encode(), "Подделка".encode())
    bundle = tmp_path / "route.zip"
    output = iom("audit", "export", str(route_id), "-o", str(bundle), code=1)
    assert f"НАРУШЕНА цепочка ИОМ {route_id}: событие {done.originator_version}" in output
    with zipfile.ZipFile(bundle) as archive:
        archive.extract("verify.py", tmp_path)
    checked = bare_python("verify.py", str(bundle), cwd=tmp_path)
    assert checked.returncode == 1
    assert f"НАРУШЕНА цепочка: событие {done.originator_version} " in checked.stdout


def test_no_personal_data_goes_into_a_bundle(route_id: UUID, tmp_path: Path) -> None:
    teacher = json.loads(iom("audit", "show", str(route_id), "--json"))["teacher_id"]
    sheet = {
        "full_name": "Егорова Сардана Ивановна",
        "school_name": "МБОУ «Чурапчинская СОШ»",
        "position": "учитель математики",
        "subject": "математика",
        "education": "высшее, СВФУ, 2011",
        "teaching_experience_years": 12,
    }
    (tmp_path / "sheet.json").write_text(json.dumps(sheet, ensure_ascii=False), encoding="utf-8")
    iom("pd", "put", teacher, str(tmp_path / "sheet.json"))
    bundle = tmp_path / "route.zip"
    iom("audit", "export", str(route_id), "-o", str(bundle))
    with zipfile.ZipFile(bundle) as archive:
        text = "".join(archive.read(name).decode("utf-8") for name in archive.namelist())
    assert teacher in text
    assert not [value for value in ("Егорова", "Чурапчинская", "СВФУ") if value in text]
