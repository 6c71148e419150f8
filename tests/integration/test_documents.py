"""The documents people sign and keep, made from demo routes of each region at chosen versions:
read back from Word with python-docx and from PDF with pypdf, every PDF page drawn to PNG and
kept under `var/test-artifacts/documents` (or `$IOM_TEST_ARTIFACTS/documents`; the session's
summary names the folder). The campaign report is read from the monitoring projection, built
here by the projector on SQLite and on PostgreSQL."""

from __future__ import annotations

import json
import random
from collections import Counter
from collections.abc import Iterator
from datetime import timedelta
from io import BytesIO
from pathlib import Path
from uuid import UUID
from zoneinfo import ZoneInfo

import docx
import pytest
from eventsourcing.postgres import PostgresApplicationRecorder
from typer.testing import CliRunner

from adapters.personal import PersonalDataStore
from aggregates import events as ev
from aggregates.application import Routes
from aggregates.audit import verify_route
from aggregates.personal import PersonalRecord, TeacherSheet
from aggregates.profiles import ProfileCatalogue, Stage
from aggregates.route import Route
from aggregates.values import Actor, Role
from projections.campaign import ProjectionNotReadyError
from projections.catalog import catch_up
from projections.documents import (
    ROUTE_DOCUMENTS,
    CampaignOptions,
    FormNotOfferedError,
    RouteDocKind,
    campaign_document,
    forms_of,
    render,
    route_document,
)
from projections.documents.signatures import NAME_UNKNOWN, NAME_WITHHELD
from tests.support.documents import (
    TODAY,
    both,
    flat,
    pdf_pages,
    snapshot,
    ticking_routes,
    word,
)
from workers.cli import app as iom
from workers.cli.docs import DocKind
from workers.demo import DemoRoute, write_demo

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


@pytest.fixture
def app(sqlite_url: str) -> Routes:
    return ticking_routes(sqlite_url)


def drive(app: Routes, region: str, until: Stage = Stage.COMPLETED) -> UUID:
    """Index 6: the demo corrects the plan (even index) and leaves the last activity not done."""
    profile = app.profiles.latest(region)
    return DemoRoute(app, profile, 6, random.Random(region), TODAY.date()).drive(until)


def version_of(app: Routes, route_id: UUID, kind: type[ev.RouteEvent]) -> int:
    """The version of the route's first event of that kind."""
    return next(e.originator_version for e in app.history(route_id) if isinstance(e, kind))


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
    assert final[0] == [
        "Мероприятие, демонстрирующее повышение уровня профессиональных компетенций",
        "Уровень проведения",
        "Сроки проведения",
    ]
    event = route.plan.final_public_event
    assert event is not None
    assert final[1][0] == f"{event.form}: «{event.title}»"
    assert final[1][2] == f"{event.starts_on:%d.%m.%Y} – {event.ends_on:%d.%m.%Y}"
    assert f"Начало работы по реализации ИОМ - « {route.plan.starts_on:%d} »" in text
    assert "Завершение работы по реализации ИОМ - « " in text
    # Without the registry and the sheet the lines say so, never an id (tests/integration/
    # test_officials.py fills them).
    assert f"Региональный методист __________ / {NAME_UNKNOWN} / " in text
    assert f"Педагогический работник __________ / {NAME_WITHHELD} / " in text
    assert "methodist-sakha-01" not in text
    assert "1. Информационная справка о педагоге" in text
    assert "2. Результаты входной диагностики профессиональных дефицитов" in text
    assert "4. Заключительное публичное мероприятие" in text
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
    # The methodist signed with the correction, the teacher's line is theirs to sign (their
    # name withheld here: no sheet passed); the acknowledgement has columns of its own.
    name, signed_on, revision = methodist.split("\n")
    assert name == NAME_UNKNOWN and len(signed_on) == len("01.01.2026")
    assert revision.startswith("редакция ")
    assert teacher_sign == NAME_WITHHELD
    acknowledged = next(
        e for e in app.history(route_id) if isinstance(e, ev.CorrectionAcknowledged)
    )
    yakutsk = acknowledged.timestamp.astimezone(ZoneInfo("Asia/Yakutsk"))
    assert (ack_on, ack) == (f"{yakutsk:%d.%m.%Y}", NAME_WITHHELD)
    assert activities[0][-1] == "Форма представления результата"
    assert "Изменение графика курсов у организатора" in flat(" ".join(pages))

    tables, _, _ = both(
        route_document(app, route_id, "corrections", version=acknowledged.originator_version - 1),
        "corrections-unacknowledged",
    )
    assert tables[0][2][4:] == [NAME_WITHHELD, "", ""]


def test_monitoring_marks_each_activity_as_of_any_moment(app: Routes) -> None:
    route_id = drive(app, "sakha")
    route = app.route(route_id)
    tables, _, pages = both(route_document(app, route_id, "monitoring"), "monitoring-sakha")
    table = tables[0]
    assert table[0] == [
        "№",
        "Мероприятия, обеспечивающие повышение уровня профессиональных компетенций",
        "Формируемые компетенции",
        "Уровень мероприятия",
        "Организатор мероприятия",
        "Сроки проведения",
        "Отметка о выполнении",
        "Причины невыполнения",
        "Результат / форма представления результата",
    ]
    assert route.plan is not None
    assert [row[1] for row in table[1:]] == [a.title for a in route.plan.activities]
    assert tables[1][0] == [  # приложение 2, п. 3: the final public event, its mark
        "Мероприятие, демонстрирующее повышение уровня профессиональных компетенций",
        "Уровень проведения",
        "Сроки проведения",
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
    assert route.final_event is not None
    held = f"Отметка о выполнении: проведено {route.final_event.on:%d.%m.%Y}"
    pdf = flat(" ".join(pages))
    assert held in pdf
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
    assert [row[0] for row in authors] == [  # the Положение's form, part 1
        "Ф.И.О.",
        "Образовательная организация",
        "Занимаемая должность",
        "Преподаваемый предмет",
        "Образование",
        "Управленческий стаж / Педагогический стаж",
        "Квалификационная категория, дата присвоения",
        "Сведения о профессиональной переподготовке",
        "Курсы повышения квалификации за последние 3 года",
    ]
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
    # The seven organisational directions, as the Положение's form prints them, in its order.
    assert [row[0] for row in roadmap[1:]] == [
        "Самообразование и саморазвитие",
        "Организационная и научно-методическая работа образовательной организации",
        "Методическая помощь наставника/куратора",
        "Участие в деятельности профессиональных сообществ, проектных и рабочих групп (очное)",
        "Участие в деятельности сетевых сообществ",
        "Представление своей профессиональной деятельности",
        "Курсы повышения квалификации, стажировки (по теме ИОМ)",
    ]
    for row in roadmap[1:]:  # each activity in the row of its own direction
        direction = next(d.code for d in route.profile.directions if d.name == row[0])
        titles = [a.title for a in route.plan.activities if a.direction == direction]
        assert all(title in row[1] for title in titles), row[0]
    contents = "\n".join(row[1] for row in roadmap[1:])
    assert all(a.title in contents for a in route.plan.activities)
    assert "Самооценка: Цель мероприятия достигнута" in roadmap[1][2]
    for heading in (
        "1. Персональные данные педагогического работника",
        "2. Пояснительная записка",
        "3. Дорожная карта ИОМ",
    ):
        assert heading in text and heading in flat(" ".join(pages))
    # 4.2.2: «Рассмотрение и утверждение ИОМ на школьном методическом объединении».
    assert "Рассмотрено и утверждено: руководитель методического объединения" in text
    with pytest.raises(FormNotOfferedError, match="формы этого регламента: balakhta"):
        route_document(app, route_id, "itogi")  # Sakha's appendix 3 is not Balakhta's form


def test_sovetsky_one_table_format(app: Routes) -> None:
    route_id = drive(app, "sovetsky")
    route = app.route(route_id)
    assert route.plan is not None and route.conclusions is not None
    tables, text, pages = both(route_document(app, route_id, "sovetsky_table"), "sovetsky-table")
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

    # A form of another region is refused: a Sovetsky route never shows a Sakha platform.
    with pytest.raises(FormNotOfferedError, match="sovetsky, sovetsky_table"):
        route_document(app, route_id, "karta")


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


@pytest.fixture
def any_store(database_url: str) -> Iterator[Routes]:
    """A store on SQLite, then on PostgreSQL, with the ticking clock."""
    application = ticking_routes(database_url)
    yield application
    application.close()


def head_of(app: Routes) -> int:
    return app.recorder.max_notification_id() or 0


def level_counts(routes: list[Route], code: str, final: bool = False) -> list[int]:
    """How many of the routes have the competence at each of the four levels."""
    levels = [(r.final_levels if final else r.input_levels).get(code) for r in routes]
    return [sum(1 for level in levels if level == n) for n in range(1, 5)]


def counted(row: list[str]) -> list[int]:
    """«2 (67 %)» cells as their counts."""
    return [int(cell.split()[0]) for cell in row]


def test_campaign_report_is_read_from_the_monitoring_projection(
    any_store: Routes, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = any_store
    ids = write_demo(app, "sakha", 4, until=Stage.DESIGN)
    drive(app, "balakhta", Stage.DESIGN)  # another region: not in the report
    routes = [app.route(i) for i in ids]
    options = CampaignOptions(mass_share=0.5, generated_at=TODAY)

    with pytest.raises(ProjectionNotReadyError) as refused:
        campaign_document(app, "sakha", options)
    assert "iom projector" in refused.value.message
    assert "iom projections rebuild monitoring" in refused.value.message

    position = catch_up(app, "monitoring")
    assert position == head_of(app)
    # The report never replays a route: every figure comes from the projection's tables.
    with monkeypatch.context() as patched:
        patched.setattr(Routes, "route", lambda *_, **__: pytest.fail("a route was replayed"))
        patched.setattr(Routes, "history", lambda *_, **__: pytest.fail("a route was replayed"))
        document = campaign_document(app, "sakha", options)
    store = "postgres" if isinstance(app.recorder, PostgresApplicationRecorder) else "sqlite"
    tables, text, pages = both(document, f"campaign-{store}")
    profile = app.profiles.latest("sakha")
    names = [e.name for e in profile.competences]
    municipalities = sorted({r.municipality_id for r in routes})
    subjects = sorted({r.subject for r in routes})
    participants, overall, *groups = tables
    sources = groups.pop()
    mass = {
        profile.competence_name(code)
        for code in routes[0].input_levels
        if level_counts(routes, code)[0] / len(routes) >= 0.5
    }
    deficits = groups.pop() if mass else None
    by_municipality, by_subject = groups[: len(municipalities)], groups[len(municipalities) :]

    # 1. Participants: one row per school, the total last.
    schools = Counter((r.municipality_id, r.school_id) for r in routes)
    assert participants[0] == ["Муниципалитет", "Образовательная организация", "Участников"]
    assert participants[1:-1] == [[m, s, str(n)] for (m, s), n in sorted(schools.items())]
    assert participants[-1] == ["Итого", f"ОО: {len(schools)}", "4"]
    taken = sorted({r.input_diagnostic.taken_on for r in routes if r.input_diagnostic})
    assert f"Даты проведения: {', '.join(f'{d:%d.%m.%Y}' for d in taken)}" in text
    assert "Платформа: РАС «Ситуационный центр»" in text
    # 2. Levels overall: the region's four level names, each competence's counts.
    assert header(overall) == ["Компетенции", "Уровень (число педагогов, доля)", "Всего"]
    assert overall[1][1:5] == ["Недостаточный", "Достаточный", "Оптимальный", "Высокий"]
    assert [row[0] for row in overall[2:]] == names
    for row, entry in zip(overall[2:], profile.competences, strict=True):
        assert counted(row[1:5]) == level_counts(routes, entry.code) and row[5] == "4"
    # 3 and 4. By municipality and by subject: the same counts within each group.
    assert len(by_municipality) == len(municipalities) and len(by_subject) == len(subjects)
    pairs = [*zip(municipalities, by_municipality, strict=True)]
    for group, table in [*pairs, *zip(subjects, by_subject, strict=True)]:
        members = [r for r in routes if group in (r.municipality_id, r.subject)]
        for row, entry in zip(table[2:], profile.competences, strict=True):
            assert counted(row[1:5]) == level_counts(members, entry.code), (group, entry.code)
        assert f"{group}: {len(members)} участник" in text
    # 5. Mass deficits: at the lowest level in at least half of the participants.
    assert deficits is None or {row[0] for row in deficits[1:]} == mass
    assert ("Массовых дефицитов не выявлено." in text) is (deficits is None)
    # Where it came from: the projection, its position, the store's head, the time made.
    assert dict(row[:2] for row in sources) == {
        "Проекция": "monitoring (мониторинг: динамика компетенций)",
        "Позиция проекции": str(position),
        "Событий в хранилище": str(position),
        "Сформировано": "23.11.2026 09:00 UTC",
        "Проверка": "iom projections status; iom audit verify --all",
    }
    line = f"Отчёт по 4 ИОМ · проекция monitoring · позиция {position} из {position} событий"
    assert all(line in page for page in pages), "the provenance on every page"
    assert line in text
    pdf = flat(" ".join(pages))
    for heading in (
        "Аналитический отчёт по результатам диагностики",
        "1. Сроки проведения и участники диагностики",
        "2. Уровень сформированности профессиональных компетенций",
        "3. Уровень сформированности компетенций по муниципалитетам",
        "4. Уровень сформированности компетенций по предметам",
        "5. Массовые дефициты",
    ):
        assert heading in pdf and heading in text

    # A route recorded after the projection's position is not in the report until projected;
    # the report says how far the projection trails the store.
    routes += [app.route(i) for i in write_demo(app, "sakha", 1, until=Stage.DESIGN, first=9)]
    trailing = campaign_document(app, "sakha", options)
    lag = head_of(app) - position
    assert f"позиция {position} из {head_of(app)} событий хранилища (отставание {lag})" in (
        trailing.text()
    )
    assert "Участников: 4 педагога" in trailing.text()
    assert catch_up(app, "monitoring") == head_of(app)
    assert "Участников: 5 педагогов" in campaign_document(app, "sakha", options).text()

    # The period: none taken after the last day; an empty report still renders.
    later = CampaignOptions(starts_on=taken[-1] + timedelta(days=1))
    empty = campaign_document(app, "sakha", later)
    assert "Участников: 0 педагогов" in empty.text()
    assert "диагностика в периоде не проводилась" in empty.text()
    assert render(empty, "pdf").startswith(b"%PDF")
    assert render(empty, "docx").startswith(b"PK")
    only_first = CampaignOptions(starts_on=taken[0], ends_on=taken[0])
    first_day = sum(
        1 for r in routes if r.input_diagnostic and r.input_diagnostic.taken_on == taken[0]
    )
    assert f"Отчёт по {first_day} ИОМ" in campaign_document(app, "sakha", only_first).text()


def test_campaign_report_of_final_diagnostics(app: Routes) -> None:
    done = [drive(app, "sakha"), *write_demo(app, "sakha", 1, until=Stage.DESIGN, first=3)][:1]
    catch_up(app, "monitoring")
    route = app.route(done[0])
    assert route.final_diagnostic is not None
    document = campaign_document(app, "sakha", CampaignOptions(kind="final"))
    tables, text, _ = both(document, "campaign-final")
    assert "Итоговая диагностика" in text and "Участников: 1 педагог " in text
    overall = tables[1]
    profile = app.profiles.latest("sakha")
    for row in overall[2:]:
        code = next(e.code for e in profile.competences if e.name == row[0])
        assert counted(row[1:5]) == level_counts([route], code, final=True)
    assert f"Даты проведения: {route.final_diagnostic.taken_on:%d.%m.%Y}" in text


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

    for kind in ("karta", "corrections", "monitoring", "itogi", "certificate"):
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
    assert "сведения не внесены" in route_document(app, route_id, "karta", personal=absent).text()


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


@pytest.mark.parametrize(
    ("region", "kind"),
    [(p.id, kind) for p in ProfileCatalogue.load().editions() for kind in forms_of(p)],
)
def test_every_form_renders_a_route_just_opened(
    app: Routes, region: str, kind: RouteDocKind
) -> None:
    route_id = drive(app, region, Stage.OPENED)
    route = app.route(route_id)
    document = route_document(app, route_id, kind)
    _, text, pages = both(document, f"{region}-{kind}-opened")
    provenance = f"ИОМ {route_id} · версия 1 · хеш цепочки {route.chain_head}"
    assert provenance in text and all(provenance in page for page in pages)

    # And at the route's end, every page of the file names that version and its hash.
    finished = drive(app, region)
    last = app.route(finished)
    data = render(route_document(app, finished, kind), "pdf")
    provenance = f"ИОМ {finished} · версия {last.version} · хеш цепочки {last.chain_head}"
    assert all(provenance in page for page in pdf_pages(data))


runner = CliRunner()


def test_the_cli_offers_every_form() -> None:
    assert {kind.value for kind in DocKind} == set(ROUTE_DOCUMENTS)


def iom_docs(*args: str, code: int = 0) -> str:
    result = runner.invoke(iom, ["docs", *args])  # through `iom`: its log goes to stderr
    assert result.exit_code == code, result.output
    return result.stdout if code == 0 else result.stderr  # a refusal is said on stderr


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
    foreign = tmp_path / "balakhta.pdf"
    refused = iom_docs(
        "render", str(route_id), "--doc", "balakhta", "--format", "pdf", "-o", str(foreign), code=2
    )
    assert "форма «balakhta» не предусмотрена регламентом" in refused and not foreign.exists()

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
    campaign = ("campaign", "--region", "sakha", "--format", "docx", "-o", str(out))
    period = ("--from", "2025-01-01", "--to", "2026-12-31")
    assert "iom projections rebuild monitoring" in flat(iom_docs(*campaign, *period, code=1))
    assert not out.exists()
    catch_up(app, "monitoring")
    said = iom_docs(*campaign, *period)
    assert f"Отчёт по 1 ИОМ · проекция monitoring · позиция {head_of(app)}" in said
    assert "Участников: 1" in word(out.read_bytes())[1]
    backwards = ("--from", "2026-12-31", "--to", "2026-01-01")
    assert "--from позже --to" in iom_docs(*campaign, *backwards, code=2)

    usage = ("render", str(route_id), "--doc", "karta", "--format", "pdf", "-o", str(out))
    assert "не оба" in iom_docs(*usage, "--version", "3", "--as-of", moment, code=2)
    assert "часовой пояс" in iom_docs(*usage, "--as-of", "2026-01-01T00:00:00", code=2)
    assert "версии 999 нет" in iom_docs(*usage, "--version", "999", code=1)
    assert "не найден" in iom_docs(*usage[:1], str(UUID(int=1)), *usage[2:], code=1)
    assert "известны" in iom_docs(
        "campaign", "--region", "moscow", "--format", "pdf", "-o", str(out), code=2
    )
