#!/usr/bin/env python3
"""Проверка пакета аудита ИОМ (`iom audit export`): пересчёт цепочки хешей по самому пакету.

Нужен только Python 3.8 или новее, без сторонних библиотек и без доступа к сети:

    python3 verify.py              в распакованной папке пакета
    python3 verify.py ПАКЕТ.zip    или прямо по архиву
    python3 verify.py ПАПКА        или по папке, куда пакет распакован

Коды выхода: 0 цепочка цела и все файлы совпадают с манифестом; 1 найдено нарушение (названо
первое изменённое событие); 2 пакет не открывается или это не пакет аудита ИОМ.

This file is the engine's `adapters/bundle_verify.py`, copied into every bundle as
`verify.py`. It must stay standard-library only and run on Python 3.8+: it is the auditor's
own check, independent of the engine's code (which checks a bundle with
`iom audit verify-bundle`).
"""

from __future__ import annotations

import hashlib
import json
import sys
import zipfile
from pathlib import Path
from typing import Any

FORMAT = "iom-audit-bundle/1"
GENESIS = "0" * 64
INTACT, FINDING, UNUSABLE = 0, 1, 2


class UnusableError(Exception):
    """The bundle cannot be opened, or is not an ИОМ audit bundle."""


class BrokenLinkError(Exception):
    """The finding that names the first event whose hash does not come out."""


class Bundle:
    """The files of a bundle: a zip archive or the folder it was unpacked to."""

    def __init__(self, source: Path) -> None:
        self.files: dict[str, bytes] = {}
        self.archive = source.is_file()
        if source.is_dir():
            for path in sorted(source.rglob("*")):
                if path.is_file() and "__pycache__" not in path.parts:
                    self.files[path.relative_to(source).as_posix()] = path.read_bytes()
        elif source.is_file():
            try:
                with zipfile.ZipFile(source) as archive:
                    for info in archive.infolist():
                        if not info.is_dir():
                            self.files[info.filename] = archive.read(info)
            except (zipfile.BadZipFile, OSError) as error:
                raise UnusableError(f"{source}: не zip-архив ({error})") from None
        else:
            raise UnusableError(f"{source}: нет такого файла или папки")
        if "manifest.json" not in self.files:
            raise UnusableError(f"{source}: нет manifest.json — это не пакет аудита ИОМ")

    def json(self, name: str) -> Any:
        """A JSON file of the bundle, parsed."""
        return json.loads(self.files[name].decode("utf-8"))


def canonical(content: Any) -> bytes:
    """The byte form of an event's content that its hash covers (the engine's rule)."""
    text = json.dumps(content, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return text.encode("utf-8")


def link(previous: str, content: Any) -> str:
    """The hash of an event: sha256 of the previous hash, a newline, the canonical content."""
    return hashlib.sha256(previous.encode("utf-8") + b"\n" + canonical(content)).hexdigest()


def check(bundle: Bundle) -> tuple[dict[str, Any], list[str]]:
    """What the bundle holds, and every finding: the first broken link first."""
    try:
        manifest = bundle.json("manifest.json")
        if not isinstance(manifest, dict):
            raise TypeError("не объект JSON")
        route_id = str(manifest["route_id"])
    except (ValueError, KeyError, TypeError) as error:
        raise UnusableError(f"manifest.json не читается: {error}") from None
    if manifest.get("format") != FORMAT:
        raise UnusableError(f"формат «{manifest.get('format')}», ожидался «{FORMAT}»")
    findings: list[str] = []
    try:
        chain = bundle.json("chain.json")
    except (KeyError, ValueError) as error:
        chain = []
        findings.append(f"НАРУШЕН пакет: chain.json не читается ({error})")
    if not isinstance(chain, list):
        chain = []
        findings.append("НАРУШЕН пакет: chain.json не список")
    head, version = GENESIS, 0
    try:
        for entry in chain:
            head = check_link(bundle, route_id, version + 1, head, entry)
            version += 1
    except BrokenLinkError as error:
        findings.append(str(error))
    else:
        for field, expected in (
            ("events", version),
            ("head_version", version),
            ("head_chain_hash", head),
        ):
            if manifest.get(field) != expected:
                findings.append(
                    f"НЕ СОВПАДАЕТ манифест: {field} = {manifest.get(field)}, по цепочке {expected}"
                )
    findings.extend(check_files(bundle, manifest))
    summary = {"route_id": route_id, "events": len(chain), "head_version": version, "head": head}
    return summary, findings


def check_link(bundle: Bundle, route_id: str, version: int, previous: str, entry: Any) -> str:
    """The recomputed hash of one event; BrokenLinkError naming it when it does not match."""
    try:
        name = str(entry["file"])
        listed = int(entry["version"])
        stored_hash = str(entry["chain_hash"])
    except (KeyError, TypeError, ValueError):
        raise BrokenLinkError(
            f"НАРУШЕНА цепочка: событие {version} — запись в списке цепочки не читается"
        ) from None
    where = f"событие {version} ({name})"
    if listed != version:
        raise BrokenLinkError(
            f"НАРУШЕНА цепочка: {where} — в списке стоит версия {listed}, пропуск или повтор"
        )
    if name not in bundle.files:
        raise BrokenLinkError(f"НАРУШЕНА цепочка: {where} — файла нет в пакете")
    try:
        content = json.loads(bundle.files[name].decode("utf-8"))
    except ValueError as error:
        raise BrokenLinkError(
            f"НАРУШЕНА цепочка: {where} — событие не читается ({error})"
        ) from None
    if not isinstance(content, dict) or (
        str(content.get("originator_id")),
        content.get("originator_version"),
    ) != (route_id, version):
        raise BrokenLinkError(
            f"НАРУШЕНА цепочка: {where} — событие не этого ИОМ или не этой версии"
        )
    head = link(previous, content)
    if head != stored_hash:
        raise BrokenLinkError(f"НАРУШЕНА цепочка: {where} — содержимое не совпадает с хешем")
    return head


def check_files(bundle: Bundle, manifest: dict[str, Any]) -> list[str]:
    """Every file against the sha256 the manifest lists; files it does not list."""
    findings: list[str] = []
    listed = manifest.get("files")
    if not isinstance(listed, dict):
        return ["НАРУШЕН пакет: в манифесте нет списка файлов"]
    for name, expected in sorted(listed.items()):
        data = bundle.files.get(name)
        if data is None:
            findings.append(f"НЕТ файла {name}")
        elif hashlib.sha256(data).hexdigest() != expected:
            findings.append(f"НЕ СОВПАДАЕТ sha256 файла {name}")
    extra = sorted(set(bundle.files) - set(listed) - {"manifest.json"}) if bundle.archive else []
    findings.extend(f"ЛИШНИЙ файл {name}: его нет в манифесте" for name in extra)
    return findings


def main(argv: list[str]) -> int:
    """Check the bundle named on the command line, or the folder this file lies in."""
    if len(argv) > 1 or (argv and argv[0] in ("-h", "--help")):
        print(__doc__)
        return UNUSABLE if len(argv) > 1 else INTACT
    source = Path(argv[0]) if argv else Path(__file__).resolve().parent
    try:
        summary, findings = check(Bundle(source))
    except UnusableError as error:
        print(f"ошибка: {error}", file=sys.stderr)
        return UNUSABLE
    print(f"Пакет аудита ИОМ {summary['route_id']}: событий {summary['events']}")
    for finding in findings:
        print(finding)
    if findings:
        return FINDING
    print(f"ЦЕЛ: цепочка пересчитана, события 1–{summary['head_version']} не изменены")
    print(f"хеш головы: {summary['head']}")
    print("Сверьте хеш головы с полученным независимо (см. README.txt).")
    return INTACT


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
