"""Officials by name on every signature line, and a printed page that proves itself.

The officials' registry (`adapters.personal.OfficialsStore`) is filled through the store and
the command line; the Sakha Карта, corrections log and Итоги are rendered from a demo route and
read back from Word (python-docx) and PDF (pypdf): names and positions of those who signed, a
deputy «за» the head, the Russian placeholder after an erasure and no id anywhere in the text.
Each document's code is held against the store (an old version's, the current one's, forged
ones) and read back from the QR code drawn on its first PDF page (zxing-cpp on the PNG).
"""

from __future__ import annotations

import json
import random
from datetime import timedelta
from uuid import UUID

import pypdfium2 as pdfium  # type: ignore[import-untyped]
import pytest
import zxingcpp
from typer.testing import CliRunner

from adapters.document_code import DocumentCode, verify_code
from adapters.personal import OfficialsStore, PersonalDataStore
from aggregates.application import Routes
from aggregates.commands import OpenRoute
from aggregates.personal import OfficialCard, PersonalDataErasedError
from aggregates.profiles import Stage
from aggregates.values import Acting, Actor, Role
from projections.documents import Document, render, route_document
from projections.documents.signatures import NAME_ERASED
from runtime.settings import Settings
from tests.integration.test_documents import SHEET
from tests.support.documents import TODAY, both, flat, pdf_pages, ticking_routes, word
from workers.cli import app as iom
from workers.context import build_officials
from workers.demo import DemoRoute

DEPUTY = Actor(id="deputy-school-sakha-07", role=Role.SCHOOL_HEAD)
CARDS = {
    "methodist-sakha-01": OfficialCard(
        full_name="Петрова Анна Сергеевна",
        position="региональный методист",
        organisation="ЦНППМ ИРОиПК",
    ),
    "centre-head-sakha": OfficialCard(
        full_name="Егорова Мария Николаевна",
        position="руководитель ЦНППМ",
        organisation="ИРОиПК им. С. Н. Донского-II",
    ),
    "school-head-school-sakha-07": OfficialCard(
        full_name="Николаев Иван Степанович", position="директор", organisation="МБОУ СОШ № 7"
    ),
    DEPUTY.id: OfficialCard(
        full_name="Слепцова Ольга Ивановна",
        position="заместитель директора по УВР",
        organisation="МБОУ СОШ № 7",
    ),
}
runner = CliRunner()


@pytest.fixture
def app(sqlite_url: str) -> Routes:
    return ticking_routes(sqlite_url)


@pytest.fixture
def registry(app: Routes) -> OfficialsStore:
    store = OfficialsStore.from_recorder(app.recorder)
    store.create_tables()
    return store


def delegated_route(app: Routes) -> UUID:
    """A Sakha demo route (index 6: corrected, completed) whose conclusions the school head's
    deputy signs «за» the head, by order."""
    demo = DemoRoute(app, app.profiles.latest("sakha"), 6, random.Random("sakha"), TODAY.date())
    head = demo.actor(Role.SCHOOL_HEAD).id
    acting = Acting(
        head_id=head,
        order="Приказ МБОУ СОШ № 7 № 88-к от 01.11.2026",
        starts_on=TODAY.date() - timedelta(days=400),
        ends_on=TODAY.date() + timedelta(days=400),
    )
    for step in demo.steps():
        command_id = demo.command_id(step.name)
        if isinstance(step.command, OpenRoute):
            app.open(step.command, demo.actor(step.role), command_id)
        elif step.name == f"sign-{Role.SCHOOL_HEAD}":
            app.execute(demo.route_id, step.command, DEPUTY, command_id, acting=acting)
        else:
            demo.run(step.command, step.role, step.name)
    assert app.route(demo.route_id).stage is Stage.COMPLETED
    return demo.route_id


def documents(
    app: Routes, route_id: UUID, registry: OfficialsStore, **point: int
) -> dict[str, Document]:
    personal = PersonalDataStore.from_recorder(app.recorder)
    personal.create_tables()
    teacher_id = app.route(route_id).teacher_id
    if personal.get(teacher_id).status == "absent":
        personal.put(teacher_id, SHEET)
    return {
        kind: route_document(
            app,
            route_id,
            kind,
            personal=personal.get(teacher_id),
            officials=registry.get,
            **point,  # type: ignore[arg-type]
        )
        for kind in ("karta", "corrections", "itogi")
    }


def texts(document: Document, name: str) -> tuple[str, str]:
    """The Word text (body, cells, footer) and the PDF text of every page, whitespace folded."""
    _, text, pages = both(document, name)
    return flat(text), flat(" ".join(pages))


def test_signature_lines_print_names_positions_dates_revisions_and_for_whom(
    app: Routes, registry: OfficialsStore
) -> None:
    route_id = delegated_route(app)
    for official_id, card in CARDS.items():
        registry.put(official_id, card)
    made = documents(app, route_id, registry)

    for docx_text, pdf_text in (texts(made[kind], f"officials-{kind}") for kind in made):
        for text in (docx_text, pdf_text):
            assert "Петрова А. С., региональный методист, ЦНППМ ИРОиПК" in text
            assert "Иванова М. П." in text  # the teacher's line, from the sheet
            assert "methodist-sakha-01" not in text and "teacher-sakha-00006" not in text
    karta_docx, karta_pdf = texts(made["karta"], "officials-karta")
    for text in (karta_docx, karta_pdf):
        assert "Региональный методист __________ / Петрова А. С., региональный методист," in text
        assert "/ редакция 1, хеш " in text
        assert "Педагогический работник __________ / Иванова М. П., учитель математики /" in text

    itogi_docx, itogi_pdf = texts(made["itogi"], "officials-itogi")
    for text in (itogi_docx, itogi_pdf):
        assert (
            "Руководитель образовательной организации __________ / Слепцова О. И., заместитель"
            " директора по УВР, МБОУ СОШ № 7, за Николаев И. С. (директор, МБОУ СОШ № 7) /"
        ) in text
        assert DEPUTY.id not in text and "school-head-school-sakha-07" not in text
        assert "С выводами ознакомлен(а) __________ / Иванова М. П., учитель математики /" in text

    certificate = route_document(app, route_id, "certificate", officials=registry.get).text()
    issued = app.route(route_id).certificate
    assert issued is not None
    assert (
        "Руководитель ЦНППМ __________ / Егорова М. Н., руководитель ЦНППМ, ИРОиПК им. С. Н."
        f" Донского-II / {issued.issued_on:%d.%m.%Y}"
    ) in certificate

    tables, _, _ = both(made["corrections"], "officials-corrections")
    methodist, teacher = tables[0][2][3:5]
    corrected = app.route(route_id).corrections[0].plan_hash[:12]
    assert methodist.startswith("Петрова А. С.\n") and f"хеш {corrected}" in methodist
    assert teacher == "Иванова М. П."  # the teacher's own signature line, to sign by hand
    assert tables[0][2][6] == "Иванова М. П."  # the acknowledgement's «Подпись»


def test_erasure_leaves_the_russian_placeholder_and_no_id(
    app: Routes, registry: OfficialsStore
) -> None:
    route_id = delegated_route(app)
    for official_id, card in CARDS.items():
        registry.put(official_id, card)
    operator = Actor(id="operator-sakha", role=Role.OPERATOR)
    erasure = registry.erase("methodist-sakha-01", operator, "заявление № 17 от 20.11.2026")
    assert erasure.subject_id == "methodist-sakha-01" and erasure.actor == operator
    assert registry.get("methodist-sakha-01").status == "erased"
    with pytest.raises(PersonalDataErasedError, match="должностного лица"):
        registry.put("methodist-sakha-01", CARDS["methodist-sakha-01"])
    # A teacher with the same id string is another namespace: untouched.
    teachers = PersonalDataStore.from_recorder(app.recorder)
    teachers.create_tables()
    assert teachers.erasure("methodist-sakha-01") is None

    for kind, document in documents(app, route_id, registry).items():
        for text in texts(document, f"officials-erased-{kind}"):
            assert f"Региональный методист __________ / {NAME_ERASED} /" in text
            assert "Петрова" not in text and "methodist-sakha-01" not in text
    # The other officials keep their names.
    itogi = route_document(app, route_id, "itogi", officials=registry.get).text()
    assert "Слепцова О. И." in itogi


def test_a_document_of_an_old_version_and_of_the_current_one_verify_by_their_codes(
    app: Routes, registry: OfficialsStore
) -> None:
    route_id = delegated_route(app)
    route = app.route(route_id)
    old = route_document(app, route_id, "karta", version=12)
    now = route_document(app, route_id, "karta")
    assert old.code != now.code
    assert f"Код проверки документа: {old.code}" in old.text()

    verdict = verify_code(app, DocumentCode.parse(old.code))
    assert verdict.matches and verdict.current_version == route.version
    assert verdict.message.startswith(f"документ соответствует версии 12 ИОМ {route_id}")
    assert f"текущая версия — {route.version}" in verdict.message
    verdict = verify_code(app, DocumentCode.parse(now.code.lower()))
    assert verdict.matches and f"версии {route.version}" in verdict.message

    wrong_head = DocumentCode(route_id, 12, "0" * 10)
    assert not verify_code(app, wrong_head).matches
    assert "не совпадает с хешем на документе" in verify_code(app, wrong_head).message
    later = DocumentCode(route_id, route.version + 1, route.chain_head[:10])
    assert f"нет версии {route.version + 1}" in verify_code(app, later).message
    unknown = DocumentCode(UUID(int=7), 1, route.chain_head[:10])
    assert "в хранилище нет" in verify_code(app, unknown).message


def test_the_qr_code_on_the_page_reads_as_the_documents_code(
    app: Routes, registry: OfficialsStore
) -> None:
    route_id = delegated_route(app)
    document = route_document(app, route_id, "itogi", version=20)
    data = render(document, "pdf")
    pdf = pdfium.PdfDocument(data)
    try:
        for index in range(len(pdf)):
            page = pdf[index]
            image = page.render(scale=4).to_pil()
            found = zxingcpp.read_barcodes(image)
            assert [r.text for r in found] == [document.code], f"page {index + 1}"
            page.close()
    finally:
        pdf.close()
    assert all(document.code in page for page in pdf_pages(data))
    _, text = word(render(document, "docx"))
    assert f"Код проверки документа: {document.code}" in text


def iom_run(*args: str, code: int = 0) -> str:
    """What `iom` said (its output and its refusals), the exit code as expected."""
    result = runner.invoke(iom, list(args))
    assert result.exit_code == code, result.output
    return result.output


def test_the_cli_sets_shows_erases_officials_and_verifies_documents(
    app: Routes, sqlite_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("IOM_DATABASE_URL", sqlite_url)
    said = iom_run(
        "officials",
        "set",
        "methodist-sakha-01",
        "--name",
        "Петрова Анна Сергеевна",
        "--position",
        "региональный методист",
        "--organisation",
        "ЦНППМ ИРОиПК",
    )
    assert "сведения о должностном лице methodist-sakha-01 сохранены" in said
    shown = json.loads(
        runner.invoke(iom, ["officials", "show", "methodist-sakha-01", "--json"]).stdout
    )
    assert shown["card"]["full_name"] == "Петрова Анна Сергеевна"
    assert "Фамилия, имя, отчество" in iom_run("officials", "show", "methodist-sakha-01")
    assert "не внесены" in iom_run("officials", "show", "nobody-01", code=1)
    blank = ("--name", " ", "--position", "директор", "--organisation", "МБОУ СОШ № 1")
    assert "сведения не приняты" in iom_run("officials", "set", "x-1", *blank, code=2)

    route_id = delegated_route(app)
    sealed = build_officials(app, Settings())  # under the master key the command line used
    document = route_document(app, route_id, "karta", officials=sealed.get)
    assert "Петрова А. С., региональный методист" in document.text()
    old = route_document(app, route_id, "karta", version=9)
    assert "СООТВЕТСТВУЕТ: документ соответствует версии 9" in iom_run(
        "audit", "verify-document", old.code
    )
    checked = json.loads(
        runner.invoke(iom, ["audit", "verify-document", document.code, "--json"]).stdout
    )
    assert checked["matches"] and checked["version"] == app.route(route_id).version
    forged = DocumentCode(route_id, 9, "f" * 10).text
    assert "НЕ СООТВЕТСТВУЕТ" in iom_run("audit", "verify-document", forged, code=1)
    typo = old.code[:-1] + ("0" if old.code[-1] != "0" else "1")
    assert "контрольным знаком" in iom_run("audit", "verify-document", typo, code=2)

    said = iom_run("officials", "erase", "methodist-sakha-01", "--reason", "заявление № 17")
    assert "персональные данные должностного лица methodist-sakha-01 уничтожены" in said
    assert "уничтожены" in iom_run("officials", "show", "methodist-sakha-01")
    document = route_document(app, route_id, "karta", officials=sealed.get)
    assert f"Региональный методист __________ / {NAME_ERASED} /" in document.text()
