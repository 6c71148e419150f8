"""Who a signature line names (`projections.documents.signatures`): the official's name and
position from the registry, the teacher's from their sheet, a deputy «за» the head, the plan's
revision signed; a Russian placeholder, never an id, where a name is unknown, withheld or
erased."""

from __future__ import annotations

from datetime import UTC, date, datetime

from aggregates.personal import OfficialCard, OfficialRecord, PersonalRecord, TeacherSheet
from projections.documents.signatures import (
    NAME_ERASED,
    NAME_UNKNOWN,
    NAME_WITHHELD,
    Signers,
    signature_for,
)
from projections.documents.sources import Signed

ERASED_AT = datetime(2026, 11, 20, tzinfo=UTC)
HEAD = OfficialRecord(
    official_id="school-head-03",
    status="present",
    card=OfficialCard(
        full_name="Петров Пётр Петрович", position="директор", organisation="МБОУ СОШ № 3"
    ),
)
DEPUTY = OfficialRecord(
    official_id="deputy-03",
    status="present",
    card=OfficialCard(
        full_name="Сидорова Светлана Игоревна",
        position="заместитель директора по УВР",
        organisation="МБОУ СОШ № 3",
    ),
)
GONE = OfficialRecord(official_id="methodist-01", status="erased", erased_at=ERASED_AT)
SHEET = TeacherSheet(
    full_name="Иванова Мария Петровна",
    school_name="МБОУ СОШ № 3",
    position="учитель математики",
    subject="математика",
    education="высшее",
    teaching_experience_years=14,
)
PEOPLE = Signers(
    "teacher-0001",
    PersonalRecord(teacher_id="teacher-0001", status="present", sheet=SHEET),
    {r.official_id: r for r in (HEAD, DEPUTY, GONE)},
)
ON = date(2026, 10, 2)


def test_an_official_signs_with_name_position_date_and_revision() -> None:
    act = Signed("school-head-03", ON, 2, "1a2b3c4d5e6f7a8b9c0d")
    line = signature_for("Руководитель ОО", act, PEOPLE).line
    assert line == (
        "Руководитель ОО __________ / Петров П. П., директор, МБОУ СОШ № 3 / 02.10.2026"
        " / редакция 2, хеш 1a2b3c4d5e6f"
    )


def test_a_deputy_signs_for_the_head() -> None:
    act = Signed("deputy-03", ON, 2, "ab" * 32, acting_for="school-head-03")
    line = signature_for("Руководитель ОО", act, PEOPLE).line
    assert "Сидорова С. И., заместитель директора по УВР, МБОУ СОШ № 3, за Петров П. П." in line
    assert "(директор, МБОУ СОШ № 3)" in line


def test_the_teacher_signs_by_their_sheet() -> None:
    act = Signed("teacher-0001", ON, 1, "cd" * 32)
    line = signature_for("Педагогический работник", act, PEOPLE).line
    assert "/ Иванова М. П., учитель математики / 02.10.2026 / редакция 1" in line


def test_unknown_erased_and_withheld_names_never_print_an_id() -> None:
    withheld = Signers("teacher-0001", None, {})
    lines = [
        signature_for("Методист", Signed("methodist-01", ON, 1, "ef" * 32), PEOPLE).line,
        signature_for("Методист", Signed("nobody-09", ON, 1, "ef" * 32), PEOPLE).line,
        signature_for("Педагог", Signed("teacher-0001", ON), withheld).line,
        signature_for("Педагог", None, withheld, "teacher-0001").line,
        signature_for(
            "Руководитель ОО",
            Signed("deputy-03", ON, acting_for="methodist-01"),
            PEOPLE,
        ).line,
    ]
    assert f"/ {NAME_ERASED} /" in lines[0]
    assert f"/ {NAME_UNKNOWN} /" in lines[1]
    assert f"/ {NAME_WITHHELD} / 02.10.2026" in lines[2]
    assert lines[3] == f"Педагог __________ / {NAME_WITHHELD} / __________"
    assert f"за {NAME_ERASED}" in lines[4]
    for line in lines:
        assert not any(i in line for i in ("methodist-01", "nobody-09", "teacher-0001"))


def test_before_anyone_signs_the_expected_signer_is_named_and_the_rest_is_blank() -> None:
    line = signature_for("Руководитель ОО", None, PEOPLE, "school-head-03").line
    assert line == "Руководитель ОО __________ / Петров П. П., директор, МБОУ СОШ № 3 / __________"
    assert signature_for("Руководитель ЦНППМ", None, PEOPLE).line == (
        "Руководитель ЦНППМ __________ / __________ / __________"
    )
