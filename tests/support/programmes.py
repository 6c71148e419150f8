"""ДПП for tests: programmes of a region's catalogue and the files they are imported from."""

from __future__ import annotations

import csv
import io
import json
import random
from datetime import date
from typing import Any
from uuid import UUID

from openpyxl import Workbook

from adapters.programmes import COLUMNS
from aggregates.application import Routes
from aggregates.commands import RecordDiagnostic
from aggregates.profiles import Stage
from aggregates.programmes.values import Programme
from aggregates.values import Diagnostic, Role, TaskResult
from workers.demo import DemoRoute


def programme(number: str, addresses: dict[str, list[int]], **fields: Any) -> Programme:
    """A programme addressing `addresses` (competence → levels), undated unless given dates."""
    body: dict[str, Any] = {
        "registry_number": number,
        "title": f"Программа {number}",
        "provider": "ЦНППМ",
        "hours": 36,
        "format": "blended",
        "level": "regional",
        "addresses": [{"competence": c, "levels": levels} for c, levels in addresses.items()],
    }
    return Programme.model_validate(body | fields)


HEADER = list(COLUMNS.values())
ROWS = [
    [
        "ДПП-001",
        "Предметная подготовка",
        "ИРОиПК",
        "36",
        "очно",
        "01.09.2026",
        "30.09.2026",
        "региональный",
        "subject: 1, 2",
    ],
    [
        "ДПП-002",
        "Психология урока",
        "ИРОиПК",
        "72",
        "дистанционно",
        "",
        "",
        "федеральный",
        "психолого-педагогические компетенции: недостаточный; communicative: 1",
    ],
    [
        "ДПП-003",
        "Методика",
        "Муниципальная методическая служба",
        "18",
        "смешанно",
        "",
        "",
        "муниципальный",
        "methodical: 2, 3",
    ],
]
"""Three programmes of Sakha's catalogue as a platform exports them."""


def csv_file(rows: list[list[str]]) -> bytes:
    """The rows under the header, as a Russian Excel saves CSV (semicolons, UTF-8 with BOM)."""
    text = io.StringIO()
    csv.writer(text, delimiter=";").writerows([HEADER, *rows])
    return text.getvalue().encode("utf-8-sig")


def xlsx_file(rows: list[list[str]]) -> bytes:
    """The rows under the header as a workbook; numbers as numbers, dates as dates."""
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(HEADER)
    for row in rows:
        cells: list[Any] = list(row)
        cells[3] = int(row[3]) if row[3].isdigit() else row[3]
        for index in (5, 6):
            if row[index]:
                day, month, year = map(int, row[index].split("."))
                cells[index] = date(year, month, day)
        sheet.append(cells)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def json_file(programmes: list[Programme]) -> bytes:
    """The programmes as the API's JSON."""
    body = {"programmes": [p.model_dump(mode="json") for p in programmes]}
    return json.dumps(body, ensure_ascii=False).encode()


def designed_scene(
    app: Routes, region: str, levels: dict[str, int], index: int = 1
) -> tuple[UUID, DemoRoute]:
    """A route of `region` at its design stage whose input diagnostic found `levels`."""
    profile = app.profiles.latest(region)
    demo = DemoRoute(app, profile, index, random.Random(index), app.clock().date())
    route_id = demo.drive_to(Stage.DIAGNOSTIC)
    tasks = [
        TaskResult(number=n, competences=[code], level=level, difficulties=f"затруднение {code}")
        for n, (code, level) in enumerate(levels.items(), start=1)
    ]
    diagnostic = Diagnostic(taken_on=date(2026, 6, 1), platform="РАС", tasks=tasks)
    app.execute(route_id, RecordDiagnostic(diagnostic=diagnostic), demo.actor(Role.METHODIST), "d")
    assert app.route(route_id).stage is Stage.DESIGN
    return route_id, demo
