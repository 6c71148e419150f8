"""A route's audit bundle: a self-contained, verifiable zip of its events and hash chain.

The bundle holds, for each stored event up to a version, the exact bytes its chain hash is taken
over (`aggregates.chain.canonical` of the event's content, standard-library JSON) and that hash;
a manifest with the sha256 of every other file; a README for the auditor, in Russian; and
`verify.py` (`adapters/bundle_verify.py`), which recomputes the chain from the bundle alone
with nothing but Python. `check_bundle` does the same with the engine's own code. Events carry
ids only: no personal data goes into a bundle.
"""

from __future__ import annotations

import hashlib
import io
import json
import zipfile
from dataclasses import dataclass, field
from datetime import date, datetime
from importlib import metadata, resources
from pathlib import Path
from typing import Any
from uuid import UUID

from aggregates.application import Routes
from aggregates.chain import GENESIS, canonical, link
from aggregates.errors import RouteNotFoundError
from aggregates.events import RouteEvent
from aggregates.timeline import fact_line, route_on

FORMAT = "iom-audit-bundle/1"
MANIFEST = "manifest.json"
CHAIN = "chain.json"
AS_OF_DATE = "as_of_date.json"


class BundleError(Exception):
    """A bundle cannot be made (an unreadable stored event) or read (not a bundle). Russian."""


@dataclass(frozen=True)
class Exported:
    """A bundle as made: the zip's bytes and what it ends at."""

    data: bytes
    route_id: UUID
    head_version: int
    head: str
    store_version: int
    broken_at: int | None  # the first stored event whose hash did not come out, if any


@dataclass(frozen=True)
class BundleReport:
    """A bundle as checked: its route, its recomputed head, and what does not match."""

    route_id: str
    head_version: int
    head: str
    broken_at: int | None = None
    reason: str = ""
    problems: tuple[str, ...] = field(default_factory=tuple)

    @property
    def intact(self) -> bool:
        """Every event's hash recomputes and every file matches the manifest."""
        return self.broken_at is None and not self.problems


def event_file(version: int) -> str:
    """The bundle's file of the event at `version`."""
    return f"events/{version:06d}.json"


def engine_version() -> str:
    """The installed engine's version, as a bundle's manifest names it."""
    try:
        return metadata.version("iom-engine")
    except metadata.PackageNotFoundError:
        return "unknown"


def export_route(
    app: Routes,
    route_id: UUID,
    *,
    version: int | None,
    engine_version: str,
    exported_at: datetime,
    as_of_date: date | None = None,
) -> Exported:
    """The route's bundle up to `version` (its last event by default); with `as_of_date`, it
    also holds the route as of that business date made of its events (`AS_OF_DATE`: the
    state, the facts recorded after the date, those left out). RouteNotFoundError when there
    is no such route or version, or the route was not open on the date; BundleError when a
    stored event cannot be read."""
    stored = app.recorder.select_events(route_id, lte=version)
    latest = app.recorder.select_events(route_id, desc=True, limit=1)
    if not stored:
        raise RouteNotFoundError("not_found", f"ИОМ {route_id} не найден")
    store_version = latest[0].originator_version
    if version is not None and stored[-1].originator_version != version:
        raise RouteNotFoundError(
            "not_found", f"у ИОМ {route_id} нет версии {version}: последняя {store_version}"
        )
    files: dict[str, bytes] = {}
    events: list[RouteEvent] = []
    chain: list[dict[str, Any]] = []
    head, broken_at = GENESIS, None
    for record in stored:
        at = record.originator_version
        try:
            event = app.mapper.to_domain_event(record)
        except Exception as error:
            raise BundleError(
                f"событие {at} ИОМ {route_id} не читается ({error}): iom audit verify {route_id}"
            ) from None
        assert isinstance(event, RouteEvent)
        events.append(event)
        name = event_file(at)
        files[name] = canonical(event.content())
        kind = type(event).__name__
        chain.append({"version": at, "type": kind, "file": name, "chain_hash": event.chain_hash})
        head = link(head, event.content())
        if broken_at is None and head != event.chain_hash:
            broken_at = at
    last = stored[-1].originator_version
    last_hash = str(chain[-1]["chain_hash"])
    files[CHAIN] = _json(chain)
    note = ""
    if as_of_date is not None:
        files[AS_OF_DATE] = _json(dated_state(route_id, events, as_of_date))
        note = README_AS_OF_DATE.format(day=f"{as_of_date:%d.%m.%Y}")
    files["README.txt"] = (readme(route_id, last, last_hash, len(chain)) + note).encode()
    files["verify.py"] = resources.files("adapters").joinpath("bundle_verify.py").read_bytes()
    manifest = {
        "format": FORMAT,
        "route_id": str(route_id),
        "head_version": last,
        "head_chain_hash": last_hash,
        "events": len(chain),
        "store_version": store_version,
        "exported_at": exported_at.isoformat(timespec="seconds"),
        "engine_version": engine_version,
        "chain": {
            "genesis": GENESIS,
            "hash": "sha256(previous_hash + '\\n' + canonical(event))",
            "canonical": "json.dumps(event, sort_keys=True, ensure_ascii=False,"
            " separators=(',', ':')), UTF-8",
        },
        "files": {name: hashlib.sha256(data).hexdigest() for name, data in sorted(files.items())},
    }
    buffer = io.BytesIO()
    stamp = exported_at.timetuple()[:6]
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in [(MANIFEST, _json(manifest)), *sorted(files.items())]:
            info = zipfile.ZipInfo(name, date_time=stamp)
            info.external_attr = 0o644 << 16  # readable once unpacked (unzip keeps the mode)
            archive.writestr(info, data, zipfile.ZIP_DEFLATED)
    return Exported(buffer.getvalue(), route_id, last, last_hash, store_version, broken_at)


def check_bundle(source: Path | bytes) -> BundleReport:
    """Recompute the bundle's chain with the engine's own hashing, check every file's sha256.
    BundleError when it is not a zip or not an ИОМ audit bundle."""
    try:
        with zipfile.ZipFile(io.BytesIO(source) if isinstance(source, bytes) else source) as zf:
            files = {i.filename: zf.read(i) for i in zf.infolist() if not i.is_dir()}
        manifest = json.loads(files[MANIFEST])
        route_id = str(manifest["route_id"])
        listed = dict(manifest["files"])
    except (zipfile.BadZipFile, OSError) as error:
        raise BundleError(f"не zip-архив: {error}") from None
    except (KeyError, TypeError, ValueError) as error:
        raise BundleError(f"не пакет аудита ИОМ: manifest.json не читается ({error})") from None
    if manifest.get("format") != FORMAT:
        raise BundleError(f"формат «{manifest.get('format')}», ожидался «{FORMAT}»")
    problems = [
        f"НЕ СОВПАДАЕТ sha256 файла {name}" if name in files else f"НЕТ файла {name}"
        for name, expected in sorted(listed.items())
        if name not in files or hashlib.sha256(files[name]).hexdigest() != expected
    ]
    problems += [
        f"ЛИШНИЙ файл {name}: его нет в манифесте"
        for name in sorted(set(files) - set(listed) - {MANIFEST})
    ]
    try:
        chain = json.loads(files[CHAIN])
    except (KeyError, ValueError):
        chain = None
    if not isinstance(chain, list):
        return BundleReport(route_id, 0, GENESIS, problems=(*problems, "chain.json не читается"))
    head, version = GENESIS, 0
    for entry in chain:
        try:
            head = _next_head(files, route_id, version + 1, head, entry)
        except _BrokenLinkError as broken:
            return BundleReport(route_id, version + 1, head, version + 1, str(broken), (*problems,))
        version += 1
    for name, expected in (
        ("events", version),
        ("head_version", version),
        ("head_chain_hash", head),
    ):
        if manifest.get(name) != expected:
            problems.append(
                f"НЕ СОВПАДАЕТ манифест: {name} = {manifest.get(name)}, по цепочке {expected}"
            )
    return BundleReport(route_id, version, head, problems=tuple(problems))


class _BrokenLinkError(Exception):
    """Why the event at a version does not hash to its listed chain hash."""


def _next_head(
    files: dict[str, bytes], route_id: str, version: int, previous: str, entry: Any
) -> str:
    """The chain hash of the entry at `version`, recomputed; _BrokenLinkError when it is not
    the one listed."""
    try:
        name, listed, expected = entry["file"], entry["version"], entry["chain_hash"]
        if listed != version:
            raise _BrokenLinkError(f"в chain.json стоит версия {listed}: пропуск или повтор")
        if name not in files:
            raise _BrokenLinkError(f"файла {name} нет в пакете")
        content = json.loads(files[name])
    except (KeyError, TypeError, ValueError) as error:
        raise _BrokenLinkError(f"событие не читается: {error}") from None
    if not isinstance(content, dict) or (
        content.get("originator_id"),
        content.get("originator_version"),
    ) != (route_id, version):
        raise _BrokenLinkError("событие не этого ИОМ или не этой версии")
    head = link(previous, content)
    if head != expected:
        raise _BrokenLinkError("содержимое не совпадает с хешем")
    return head


def stored_head(app: Routes, route_id: UUID, version: int) -> str | None:
    """The chain hash the store holds for the route's event at `version`, if it has one."""
    found = app.recorder.select_events(route_id, gt=version - 1, lte=version)
    if not found:
        return None
    event = app.mapper.to_domain_event(found[0])
    assert isinstance(event, RouteEvent)
    return event.chain_hash


def dated_state(route_id: UUID, events: list[RouteEvent], day: date) -> dict[str, Any]:
    """The route as of `day` made of `events`, and the facts recorded after the day ended (and
    those left out), as JSON-ready data."""
    dated = route_on(events, day)
    if dated is None:
        raise RouteNotFoundError(
            "not_found", f"ИОМ {route_id} на {day.isoformat()} ещё не был открыт"
        )

    def facts(chosen: list[RouteEvent]) -> list[dict[str, Any]]:
        return [
            fact
            | {
                "occurred_on": fact["occurred_on"].isoformat(),
                "recorded_at": fact["recorded_at"].isoformat(),
                "line": fact_line(fact),
            }
            for fact in dated.facts(chosen)
        ]

    return {
        "as_of_date": day.isoformat(),
        "route": dated.route.summary(),
        "recorded_later": facts(dated.late),
        "not_applied": facts(dated.unfit),
    }


def readme(route_id: UUID, version: int, head: str, count: int) -> str:
    """The auditor's note, in Russian."""
    return README.format(route_id=route_id, version=version, head=head, count=count)


def _json(data: Any) -> bytes:
    return json.dumps(data, ensure_ascii=False, indent=1).encode() + b"\n"


README = """\
ПАКЕТ АУДИТА ИОМ
================

Индивидуальный образовательный маршрут (ИОМ): {route_id}
События: 1–{version} (всего {count})
Хеш цепочки последнего события (голова): {head}

Что это
-------
Выгрузка событий одного ИОМ из хранилища событий движка ИОМ (команда iom audit export) вместе
с их цепочкой хешей. Каждое событие — факт: кто (идентификатор и роль), когда, по какой команде
и что сделал. Хеш каждого события вычисляется по его содержимому и хешу предыдущего события,
поэтому изменение любого события, его удаление или перестановка обнаруживаются.

Персональных данных в пакете нет: события содержат только идентификаторы (педагога, методиста,
ОО, муниципалитета). Сведения о педагоге хранятся отдельно и в пакет не выгружаются.

Состав
------
  manifest.json      — ИОМ, последняя версия, хеш головы, число событий, время выгрузки, версия
                       движка и sha256 каждого файла пакета
  chain.json         — по порядку: версия, тип события, файл, хеш цепочки
  events/NNNNNN.json — событие версии NNNNNN ровно в тех байтах, по которым берётся хеш
  verify.py          — программа проверки (только стандартная библиотека Python 3.8+)
  README.txt         — этот файл
  as_of_date.json    — только в пакете на дату (iom audit export --as-of-date): см. ниже

Как проверить
-------------
1. Распакуйте архив в пустую папку и выполните в ней:

       python3 verify.py

   (в Windows: py verify.py). Можно и без распаковки: python3 verify.py ПАКЕТ.zip
   Ничего устанавливать не нужно, сеть не нужна.

   Код выхода 0 и строка «ЦЕЛ» — цепочка пересчитана и совпадает, файлы совпадают с манифестом.
   Код выхода 1 — найдено нарушение; первой названа версия первого изменённого события.
   Код выхода 2 — архив не открывается или это не пакет аудита ИОМ.

2. Сверьте хеш головы (выше и в manifest.json) с полученным независимо от того, кто передал
   пакет: у оператора движка — командой

       iom audit verify-bundle ПАКЕТ.zip --against-store

   или iom audit show {route_id} --version {version}
   (строка «хеш цепочки»). Пакет, целиком пересобранный с подделанными событиями, проходит
   шаг 1, но не шаг 2: его голова не совпадёт с хранилищем.

Правило цепочки (чтобы проверить и другими средствами)
------------------------------------------------------
  канон(событие) = JSON события с ключами по алфавиту, без пробелов (разделители «,» и «:»),
                   кириллица как есть, в UTF-8 — это в точности байты файла events/NNNNNN.json
  хеш(1) = sha256( "0"×64 + "\\n" + канон(событие 1) )   — в шестнадцатеричной записи
  хеш(N) = sha256( хеш(N−1) + "\\n" + канон(событие N) )
"""

README_AS_OF_DATE = """
ИОМ на дату {day}
----------------------
as_of_date.json — каким ИОМ был {day}, собранный из событий этого пакета: учтены факты,
относящиеся к этой дате и ранее (мероприятие выполнено {day}, отмечено позже — учтено).
  route          — состояние ИОМ на эту дату
  recorded_later — факты этой даты и ранее, внесённые после её окончания: в них ответ «каким
                   ИОМ был» расходится с тем, что было известно на конец дня
  not_applied    — факты этой даты и ранее, которые к ИОМ на эту дату не применимы (не учтены)
Файл входит в манифест и проверяется verify.py, как и события.
"""
