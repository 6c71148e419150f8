"""The documents people sign and keep, made from demo routes of each region at chosen versions:
read back from Word with python-docx and from PDF with pypdf, every PDF page drawn to PNG."""

from __future__ import annotations

import json
import random
from datetime import UTC, datetime, timedelta
from io import BytesIO
from pathlib import Path
from uuid import UUID
from zoneinfo import ZoneInfo

import docx
import pypdfium2 as pdfium  # type: ignore[import-untyped]
import pytest
from PIL import Image, ImageStat
from pypdf import PdfReader
from typer.testing import CliRunner

from activities.documents import (
    ROUTE_DOCUMENTS,
    CampaignOptions,
    Document,
    RouteDocKind,
    campaign_document,
    render,
    route_document,
)
from aggregates import events as ev
from aggregates.application import Routes
from aggregates.audit import verify_route
from aggregates.personal import PersonalDataStore, PersonalRecord, TeacherSheet
from aggregates.profiles import ProfileCatalogue, Stage, load_profiles
from aggregates.values import Actor, Role
from workers.cli.docs import docs
from workers.demo import DemoRoute, write_demo
from workers.settings import store_env

TODAY = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
ARTIFACTS = Path(__file__).resolve().parents[2] / "var" / "test-artifacts" / "documents"
ERASED = "персональные данные уничтожены (152-ФЗ)"
SHEET = TeacherSheet(
    full_name="Иванова Мария Петровна",
    school_name="МБОУ «Средняя общеобразовательная школа № 2»",
    position="учитель математики",
    subject="математика",
    education="высшее, СВФУ им. М. К. Аммосова, 2009",
    teaching_experience_years=14,
    category="первая",
    courses=["«Функциональная грамотность», 36 ч., 2024"],
)
Tables = list[list[list[str]]]


class Ticking:
    """A fixed clock that moves one minute per reading: each command has its own moment."""

    def __init__(self) -> None:
        self.now = TODAY

    def __call__(self) -> datetime:
        self.now += timedelta(minutes=1)
        return self.now


@pytest.fixture
def app(sqlite_url: str) -> Routes:
    return Routes(
        store_env(sqlite_url), profiles=ProfileCatalogue(load_profiles()), clock=Ticking()
    )


def drive(app: Routes, region: str, until: Stage = Stage.COMPLETED) -> UUID:
    """Index 6: the demo corrects the plan (even index) and leaves the last activity not done."""
    profile = app.profiles.latest(region)
    return DemoRoute(app, profile, 6, random.Random(region), TODAY.date()).drive(until)


def version_of(app: Routes, route_id: UUID, kind: type[ev.RouteEvent]) -> int:
    """The version of the route's first event of that kind."""
    return next(e.originator_version for e in app.history(route_id) if isinstance(e, kind))


def flat(text: str) -> str:
    """Whitespace folded: a cell's text wraps differently in each writer."""
    return " ".join(text.split())


def word(data: bytes) -> tuple[Tables, str]:
    """The tables (rows of cell texts; a merged cell repeats) and all the text of a .docx."""
    document = docx.Document(BytesIO(data))
    tables = [[[c.text for c in row.cells] for row in t.rows] for t in document.tables]
    footer = [p.text for p in document.sections[0].footer.paragraphs]
    cells = [text for table in tables for row in table for text in row]
    body = [p.text for p in document.paragraphs]
    return tables, "\n".join([*body, *cells, *footer])


def pdf_pages(data: bytes) -> list[str]:
    """The text of each page of a PDF."""
    return [page.extract_text() for page in PdfReader(BytesIO(data)).pages]


def snapshot(data: bytes, name: str) -> list[Path]:
    """Draw every page to PNG under var/test-artifacts; each must exist and show something."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    for stale in ARTIFACTS.glob(f"{name}-p*.png"):
        stale.unlink()
    pdf = pdfium.PdfDocument(data)
    paths = []
    try:
        for index in range(len(pdf)):
            page = pdf[index]
            bitmap = page.render(scale=1.2)
            path = ARTIFACTS / f"{name}-p{index + 1}.png"
            bitmap.to_pil().save(path)
            bitmap.close()
            page.close()
            paths.append(path)
    finally:
        pdf.close()
    for path in paths:
        with Image.open(path) as image:
            variance = ImageStat.Stat(image.convert("L")).var[0]
        assert variance > 50, f"{path.name} is blank"
    return paths


def both(document: Document, name: str) -> tuple[Tables, str, list[str]]:
    """The document written both ways: Word's tables and text, PDF's pages (drawn to PNG)."""
    tables, text = word(render(document, "docx"))
    data = render(document, "pdf")
    snapshot(data, name)
    return tables, text, pdf_pages(data)


def header(table: list[list[str]], row: int = 0) -> list[str]:
    """A header row's texts, each merged cell once."""
    return list(dict.fromkeys(table[row]))


def test_karta_lists_the_plan_as_it_stood_at_each_version(app: Routes) -> None:
    route_id = drive(app, "sakha")
    route = app.route(route_id)
    assert route.plan is not None
    tables, text, pages = both(route_document(app, route_id, "karta"), "karta-sakha")
    info, tasks, activities, final = tables
    assert [row[0] for row in info] == [
        "Название ОО",
        "ФИО педагога",
        "занимаемая должность",
        "Образование",
        "Педагогический стаж",
        "Квалификационная категория",
        "Дата аттестации",
        "Курсы повышения квалификации (за последние 3 года)",
        "Звание, награды, поощрения",
        "Дополнительные сведения",
        "Год реализации ИОМ",
    ]
    assert tasks[0] == ["№", "Задания", "Затруднения"]
    assert tasks[1][1].startswith("Задание №1\n")
    assert activities[0] == [
        "№",
        "Мероприятия, обеспечивающие повышение уровня профессиональных компетенций",
        "Формируемые компетенции",
        "Уровень мероприятия",
        "Организатор мероприятия",
        "Сроки проведения",
        "Форма представления результатов",
    ]
    assert [row[1] for row in activities[1:]] == [a.title for a in route.plan.activities]
    assert [row[4] for row in activities[1:]] == [a.organiser for a in route.plan.activities]
    assert activities[-1][4] == "ЦНППМ (перенос по графику)"
    assert final[0][0].startswith("Мероприятие, демонстрирующее повышение")
    assert "Региональный методист" in text and "Педагогический работник" in text
    pdf = flat(" ".join(pages))
    for expected in (
        "Карта индивидуального образовательного маршрута педагога",
        "Приложение 1 к Инструкции",
        "ЦНППМ (перенос по графику)",
        *(a.title for a in route.plan.activities),
    ):
        assert flat(expected) in pdf

    corrected = version_of(app, route_id, ev.RouteCorrected)
    before = app.route(route_id, version=corrected - 1)
    assert before.plan is not None
    tables, text, pages = both(
        route_document(app, route_id, "karta", version=corrected - 1), "karta-sakha-before"
    )
    organisers = [row[4] for row in tables[2][1:]]
    assert organisers == [a.organiser for a in before.plan.activities]
    assert "ЦНППМ (перенос по графику)" not in text + "".join(pages)
    assert f"версия {corrected - 1} ·" in text and f"версия {corrected - 1} ·" in pages[0]


def test_corrections_log_shows_reason_signatures_and_acknowledgement(app: Routes) -> None:
    route_id = drive(app, "sakha")
    tables, _, pages = both(route_document(app, route_id, "corrections"), "corrections-sakha")
    log, activities = tables
    assert header(log) == [
        "№",
        "Дата внесения изменения / дополнения в ИОМ",
        "Причины внесения изменения/дополнения в ИОМ",
        "Подпись регионального методиста",
        "Подпись педагогического работника",
        "Отметка об ознакомлении",
    ]
    assert log[1][5:] == ["Дата", "Подпись"]
    correction = app.route(route_id).corrections[0]
    number, on, reason, methodist, teacher_sign, ack_on, ack = log[2]
    assert (number, on) == ("1.", f"{correction.on:%d.%m.%Y}")
    assert reason.startswith("Изменение графика курсов у организатора\nизменено: «")
    assert (methodist, teacher_sign) == ("methodist-sakha-01", "teacher-sakha-00006")
    acknowledged = next(
        e for e in app.history(route_id) if isinstance(e, ev.CorrectionAcknowledged)
    )
    yakutsk = acknowledged.timestamp.astimezone(ZoneInfo("Asia/Yakutsk"))
    assert (ack_on, ack) == (f"{yakutsk:%d.%m.%Y}", "ознакомлен(а)")
    assert activities[0][-1] == "Форма представления результата"
    assert "Изменение графика курсов у организатора" in flat(" ".join(pages))

    tables, _, _ = both(
        route_document(app, route_id, "corrections", version=acknowledged.originator_version - 1),
        "corrections-unacknowledged",
    )
    assert tables[0][2][4:] == ["", "", ""]


def test_monitoring_marks_each_activity_as_of_any_moment(app: Routes) -> None:
    route_id = drive(app, "sakha")
    route = app.route(route_id)
    tables, _, pages = both(route_document(app, route_id, "monitoring"), "monitoring-sakha")
    table = tables[0]
    assert table[0][6:] == [
        "Отметка о выполнении",
        "Причины невыполнения",
        "Результат / форма представления результата",
    ]
    assert table[1][6].startswith("выполнено ")
    assert table[-1][6:8] == [
        "не выполнено",
        "Курсы перенесены организатором на следующий учебный год",
    ]
    assert route.plan is not None
    first = route.plan.activities[0]
    record = route.activities[first.id]
    assert table[1][8] == f"{record.result} / {record.product}"
    pdf = flat(" ".join(pages))
    assert "Курсы перенесены организатором на следующий учебный год" in pdf
    assert "Мониторинг реализации мероприятий индивидуального образовательного маршрута" in pdf

    done = next(e for e in app.history(route_id) if isinstance(e, ev.ActivityCompleted))
    tables, _, _ = both(
        route_document(app, route_id, "monitoring", version=done.originator_version - 1),
        "monitoring-before",
    )
    assert all(row[6:] == ["", "", ""] for row in tables[0][1:])
    tables, _, pages = both(
        route_document(app, route_id, "monitoring", as_of=done.timestamp), "monitoring-as-of"
    )
    assert tables[0][1][6].startswith("выполнено ") and tables[0][2][6] == ""
    assert f"версия {done.originator_version} ·" in pages[0]


def test_itogi_marks_the_final_level_of_each_task_in_the_regions_columns(app: Routes) -> None:
    route_id = drive(app, "sakha")
    route = app.route(route_id)
    assert route.final_diagnostic is not None and route.conclusions is not None
    tables, text, pages = both(route_document(app, route_id, "itogi"), "itogi-sakha")
    levels, dynamics = tables
    assert header(levels) == ["№", "Задания", "Компетенции", "Уровень"]
    assert levels[1][3:] == ["Недостаточный", "Достаточный", "Оптимальный", "Высокий"]
    for row, task in zip(levels[2:], route.final_diagnostic.tasks, strict=True):
        assert row[1] == f"Задание №{task.number}"
        assert row[3:] == ["✓" if level == task.level else "" for level in range(1, 5)]
    assert dynamics[0] == ["Компетенции", "Входная диагностика", "Итоговая диагностика", "Динамика"]
    assert {row[0] for row in dynamics[1:]} == {
        route.profile.competence_name(code) for code in route.final_levels
    }
    assert all(row[3] in ("+1 (повышение)", "без изменений") for row in dynamics[1:])
    assert route.conclusions.text in text
    for line in (
        "Региональный методист",
        "Руководитель образовательной организации",
        "С выводами ознакомлен(а)",
    ):
        assert line in text and line in flat(" ".join(pages))
    assert "Итоги прохождения индивидуального образовательного маршрута" in pages[0]
    assert "Недостаточный" in pages[0] and "Оптимальный" in pages[0]

    signed = version_of(app, route_id, ev.ConclusionsSigned)
    _, text, _ = both(route_document(app, route_id, "itogi", version=signed - 1), "itogi-unsigned")
    assert "Руководитель образовательной организации __________ / __________ /" in text


def test_balakhta_three_parts_with_the_seven_directions_and_its_own_levels(app: Routes) -> None:
    route_id = drive(app, "balakhta")
    route = app.route(route_id)
    assert route.plan is not None
    tables, text, pages = both(route_document(app, route_id, "balakhta"), "balakhta")
    authors, note, roadmap = tables
    assert authors[0] == ["Ф.И.О.", "teacher-balakhta-00006"]
    assert [row[0] for row in note] == [
        "Тема ИОМ",
        "Актуальность темы",
        "Цель разработки ИОМ",
        "Задачи разработки ИОМ",
        "Срок реализации ИОМ",
        "Ожидаемые результаты",
    ]
    assert note[0][1] == route.plan.topic
    assert roadmap[0] == [
        "Организационные направления деятельности ИОМ",
        "Содержание деятельности (мероприятие, тема, уровень, дата)",
        "Самооценка/оценка эффективности",
        "Продукт (форма представления результата работы)",
    ]
    assert [row[0] for row in roadmap[1:]] == [d.name for d in route.profile.directions]
    contents = "\n".join(row[1] for row in roadmap[1:])
    assert all(a.title in contents for a in route.plan.activities)
    assert "Самооценка: Цель мероприятия достигнута" in roadmap[1][2]
    for heading in (
        "1. Персональные данные педагогического работника",
        "2. Пояснительная записка",
        "3. Дорожная карта ИОМ",
    ):
        assert heading in text and heading in flat(" ".join(pages))
    assert "Рассмотрено: руководитель методического объединения" in text

    tables, _, pages = both(route_document(app, route_id, "itogi"), "itogi-balakhta")
    assert tables[0][1][3:] == ["Низкий", "Базовый", "Повышенный", "Высокий"]
    assert "Повышенный" in pages[0]


def test_sovetsky_one_table_format(app: Routes) -> None:
    route_id = drive(app, "sovetsky")
    route = app.route(route_id)
    assert route.plan is not None and route.conclusions is not None
    tables, text, pages = both(route_document(app, route_id, "sovetsky"), "sovetsky")
    head, table = tables
    assert [row[0] for row in head] == ["ФИО полностью", "Организация", "Должность"]
    assert table[0] == [
        "Профессиональные дефициты/задачи на предстоящий период",
        "Образовательные задачи",
        "Формы работы/взаимодействия по реализации образовательных задач",
        "Сроки реализации (указать дату)",
        "Форма предъявления результата",
    ]
    assert table[1] == ["1", "2", "3", "4", "5"]
    assert len(table) == 2 + len(route.plan.activities)
    for row, activity in zip(table[2:], route.plan.activities, strict=True):
        assert row[2].startswith(activity.title)
        assert row[4].startswith(activity.result_form)
    assert f"Рекомендации куратора: {route.conclusions.recommendations}" in text
    pdf = flat(" ".join(pages))
    assert "Форма предъявления результата" in pdf and flat(route.plan.activities[0].title) in pdf

    # A form of another region still renders, under its own regulation's title.
    _, text, _ = both(route_document(app, route_id, "karta"), "karta-sovetsky")
    assert "Карта индивидуального образовательного маршрута педагога" in text
    assert "Форма: Республика Саха (Якутия)" in text


def test_certificate_names_number_date_topic_term_and_centre(app: Routes) -> None:
    route_id = drive(app, "sakha")
    route = app.route(route_id)
    assert route.certificate is not None and route.plan is not None
    _, text, pages = both(route_document(app, route_id, "certificate"), "certificate")
    pdf = flat(" ".join(pages))
    issued = route.certificate.issued_on
    for expected in (
        "Сертификат о прохождении ИОМ",
        "№ ИОМ-SAKHA-00006",
        f"« {issued:%d} » сентября {issued:%Y} г.",
        f"«{route.plan.topic}»",
        f"{route.plan.starts_on:%d.%m.%Y} – {route.plan.ends_on:%d.%m.%Y}",
        "Центр непрерывного повышения профессионального мастерства",
    ):
        assert expected in text and flat(expected) in pdf
    earlier = version_of(app, route_id, ev.CertificateIssued) - 1
    _, text, _ = both(route_document(app, route_id, "certificate", version=earlier), "cert-before")
    assert "Сертификат не выдан" in text and "ИОМ-SAKHA-00006" not in text


def test_campaign_report_counts_participants_levels_and_mass_deficits(app: Routes) -> None:
    ids = write_demo(app, "sakha", 3, until=Stage.DESIGN)
    drive(app, "balakhta", Stage.DESIGN)  # another region: not in the report
    routes = [app.route(i) for i in ids]
    document = campaign_document(app, "sakha", CampaignOptions(mass_share=0.5))
    tables, text, pages = both(document, "campaign")
    participants, overall, *groups, sources = tables
    assert participants[-1] == ["Итого", "ОО: 3", "3"]
    assert overall[1][1:5] == ["Недостаточный", "Достаточный", "Оптимальный", "Высокий"]
    profile = app.profiles.latest("sakha")
    assert [row[0] for row in overall[2:]] == [e.name for e in profile.competences]
    for row, entry in zip(overall[2:], profile.competences, strict=True):
        counts = [sum(1 for r in routes if r.input_levels[entry.code] == n) for n in range(1, 5)]
        assert [int(cell.split()[0]) for cell in row[1:5]] == counts and row[5] == "3"
    mass = {
        profile.competence_name(code)
        for code in routes[0].input_levels
        if sum(1 for r in routes if r.input_levels[code] == 1) / 3 >= 0.5
    }
    deficits = groups.pop() if mass else None
    assert deficits is None or {row[0] for row in deficits[1:]} == mass
    assert len(groups) == len({r.municipality_id for r in routes})
    assert sorted(row[1] for row in sources[1:]) == sorted(str(i) for i in ids)
    assert "Участников: 3" in text and "4. Массовые дефициты" in text
    pdf = flat(" ".join(pages))
    assert "Аналитический отчёт по результатам диагностики" in pdf
    assert "Отчёт по 3 ИОМ · дайджест" in pages[-1]

    empty = campaign_document(
        app, "sakha", CampaignOptions(starts_on=TODAY.date() + timedelta(days=1))
    )
    assert "Участников: 0" in empty.text()
    assert render(empty, "pdf").startswith(b"%PDF")


def test_personal_data_only_when_passed_and_never_after_erasure(app: Routes) -> None:
    route_id = drive(app, "sakha")
    teacher_id = app.route(route_id).teacher_id
    store = PersonalDataStore.from_recorder(app.recorder)
    store.create_tables()
    store.put(teacher_id, SHEET)

    shown = route_document(app, route_id, "karta", personal=store.get(teacher_id))
    tables, text, pages = both(shown, "karta-personal")
    info = dict(row[:2] for row in tables[0])
    assert info["ФИО педагога"] == "Иванова Мария Петровна"
    assert info["Название ОО"] == SHEET.school_name
    assert info["Педагогический стаж"] == "14 лет"
    assert "Иванова Мария Петровна" in flat(" ".join(pages))
    assert "Иванова М. П." in text  # the signature line

    for kind in ("karta", "balakhta", "sovetsky", "itogi", "certificate"):
        hidden = route_document(app, route_id, kind)
        _, text, pages = both(hidden, f"{kind}-anonymous")
        assert "Иванова" not in text + "".join(pages)
        assert teacher_id in text

    store.erase(teacher_id, Actor(id="op-1", role=Role.OPERATOR), "заявление № 17")
    erased = store.get(teacher_id)
    assert erased.status == "erased"
    tables, text, pages = both(
        route_document(app, route_id, "karta", personal=erased), "karta-erased"
    )
    assert dict(row[:2] for row in tables[0])["ФИО педагога"] == ERASED
    assert "Иванова" not in text + "".join(pages)
    assert ERASED in flat(" ".join(pages))
    absent = PersonalRecord(teacher_id=teacher_id, status="absent")
    assert (
        "сведения не внесены" in route_document(app, route_id, "balakhta", personal=absent).text()
    )


def test_every_page_names_the_route_version_and_chain_hash_of_the_store(app: Routes) -> None:
    route_id = drive(app, "sakha")
    route = app.route(route_id)
    assert verify_route(app, route_id).head == route.chain_head
    provenance = f"ИОМ {route_id} · версия {route.version} · хеш цепочки {route.chain_head}"
    check = f"Проверка: iom audit verify {route_id}"
    for kind in ("karta", "itogi"):
        document = route_document(app, route_id, kind)
        data = render(document, "pdf")
        pages = pdf_pages(data)
        assert len(pages) > 1
        assert all(provenance in page and check in page for page in pages)
        footer = [
            p.text
            for p in docx.Document(BytesIO(render(document, "docx"))).sections[0].footer.paragraphs
        ]
        assert footer[:2] == [provenance, check]
    old = app.route(route_id, version=5)
    pages = pdf_pages(render(route_document(app, route_id, "karta", version=5), "pdf"))
    assert f"версия 5 · хеш цепочки {old.chain_head}" in pages[0]


@pytest.mark.parametrize("kind", list(ROUTE_DOCUMENTS))
def test_every_form_renders_a_route_just_opened(app: Routes, kind: RouteDocKind) -> None:
    route_id = drive(app, "sakha", Stage.OPENED)
    document = route_document(app, route_id, kind)
    _, text, pages = both(document, f"{kind}-opened")
    assert f"ИОМ {route_id} · версия 1 ·" in text and f"ИОМ {route_id} · версия 1 ·" in pages[0]


runner = CliRunner()


def iom_docs(*args: str, code: int = 0) -> str:
    result = runner.invoke(docs, list(args))
    assert result.exit_code == code, result.output
    return result.output


def test_cli_renders_route_documents_and_campaigns(
    app: Routes, sqlite_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("IOM_DATABASE_URL", sqlite_url)
    route_id = drive(app, "sakha")
    route = app.route(route_id)
    store = PersonalDataStore.from_recorder(app.recorder)
    store.create_tables()
    store.put(route.teacher_id, SHEET)

    out = tmp_path / "karta.pdf"
    said = iom_docs("render", str(route_id), "--doc", "karta", "--format", "pdf", "-o", str(out))
    assert f"версия {route.version}" in said and out.read_bytes().startswith(b"%PDF")
    snapshot(out.read_bytes(), "cli-karta")
    assert "Иванова" not in "".join(pdf_pages(out.read_bytes()))

    out = tmp_path / "itogi.docx"
    written = json.loads(
        iom_docs(
            "render",
            str(route_id),
            "--doc",
            "itogi",
            "--format",
            "docx",
            "-o",
            str(out),
            "--with-personal-data",
            "--version",
            "10",
            "--json",
        )
    )
    assert written["provenance"][0].startswith(f"ИОМ {route_id} · версия 10 ·")
    assert "Иванова" in word(out.read_bytes())[1]

    moment = app.history(route_id)[7].timestamp.isoformat()
    out = tmp_path / "monitoring.pdf"
    iom_docs(
        "render",
        str(route_id),
        "--doc",
        "monitoring",
        "--as-of",
        moment,
        "--format",
        "pdf",
        "-o",
        str(out),
    )
    assert "версия 8 ·" in pdf_pages(out.read_bytes())[0]

    out = tmp_path / "campaign.docx"
    iom_docs(
        "campaign",
        "--region",
        "sakha",
        "--from",
        "2025-01-01",
        "--to",
        "2026-12-31",
        "--format",
        "docx",
        "-o",
        str(out),
    )
    assert "Участников: 1" in word(out.read_bytes())[1]

    usage = ("render", str(route_id), "--doc", "karta", "--format", "pdf", "-o", str(out))
    assert "не оба" in iom_docs(*usage, "--version", "3", "--as-of", moment, code=2)
    assert "часовой пояс" in iom_docs(*usage, "--as-of", "2026-01-01T00:00:00", code=2)
    assert "версии 999 нет" in iom_docs(*usage, "--version", "999", code=1)
    assert "не найден" in iom_docs(*usage[:1], str(UUID(int=1)), *usage[2:], code=1)
    assert "известны" in iom_docs(
        "campaign", "--region", "moscow", "--format", "pdf", "-o", str(out), code=2
    )
