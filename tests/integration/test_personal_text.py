"""A teacher's sheet and an erasure's reason: text no store or document can hold is refused
when given, and a sheet the old code stored with it still reads (issue 23, defect 1)."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from adapters.personal import PersonalDataStore
from aggregates.personal import TeacherSheet
from aggregates.values import Actor, Role
from tests.integration.test_personal_data import make_sheet, make_store, recorder  # noqa: F401
from tests.integration.test_personal_data import pd as store_fixture

pd = store_fixture  # the fixture, under the name the tests ask for


def test_a_sheet_or_a_reason_with_a_control_character_is_refused(pd: PersonalDataStore) -> None:
    with pytest.raises(ValidationError) as caught:
        make_sheet(full_name="Ёлкина\x00Аглая")
    assert [(e["loc"], e["type"]) for e in caught.value.errors()] == [
        (("full_name",), "text_unprintable")
    ]
    with pytest.raises(ValidationError) as caught:
        make_sheet(attestation_date="0001-01-01")
    assert caught.value.errors()[0]["type"] == "date_implausible"
    with pytest.raises(ValidationError, match="text_unprintable"):
        pd.erase("teacher-0001", Actor(id="operator-1", role=Role.OPERATOR), "отзыв\x1b")
    assert pd.erasure("teacher-0001") is None


def test_a_sheet_stored_by_the_old_code_still_reads(pd: PersonalDataStore) -> None:
    old = make_sheet().model_copy(update={"full_name": "до\x00после", "extra": "e\u0301"})
    pd.put("teacher-0002", old)
    record = pd.get("teacher-0002")
    assert record.sheet is not None
    assert (record.sheet.full_name, record.sheet.extra) == ("до\x00после", "e\u0301")
    assert isinstance(record.sheet, TeacherSheet)
