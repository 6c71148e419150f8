"""The personal-data store (152-ФЗ) on both event stores: encrypted per teacher, crypto-shredded.

Each scenario that takes `pd` runs on SQLite and on PostgreSQL (the conftest `store` fixture),
in the database of a real eventsourcing application recorder.
"""

from __future__ import annotations

import os
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING

import pytest
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from eventsourcing.persistence import InfrastructureFactory
from eventsourcing.utils import Environment
from pydantic import ValidationError

from adapters.personal import KEY_FORMAT_PLAIN, KEY_FORMAT_WRAPPED, PersonalDataStore
from aggregates.personal import (
    Erasure,
    PersonalDataErasedError,
    PersonalDataUnreadableError,
    PersonalRecord,
    TeacherSheet,
)
from aggregates.values import Actor, Role

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

    from eventsourcing.persistence import ApplicationRecorder

T1 = "teacher-0001"
T2 = "teacher-0002"
OPERATOR = Actor(id="op-17", role=Role.OPERATOR)
REASON = "Отзыв согласия на обработку персональных данных (заявление № 42)"
MOMENT = datetime(2025, 3, 14, 9, 30, tzinfo=UTC)


def make_sheet(**changes: object) -> TeacherSheet:
    """A full information sheet in Russian, with `changes` applied."""
    fields: dict[str, object] = {
        "full_name": "Ёлкина Аглая Вячеславовна",
        "school_name": "МБОУ «Балахтинская средняя общеобразовательная школа № 1»",
        "position": "учитель математики",
        "subject": "математика",
        "education": "высшее, КГПУ им. В. П. Астафьева, 2008, учитель математики и информатики",
        "teaching_experience_years": 16,
        "management_experience_years": 3,
        "category": "высшая",
        "category_date": date(2022, 12, 20),
        "attestation_date": date(2022, 12, 20),
        "retraining": ["«Менеджмент в образовании», 520 ч., 2019"],
        "courses": [
            "«Функциональная грамотность: математическая», 36 ч., 2023",
            "«Реализация требований обновлённых ФГОС ООО», 72 ч., 2024",
        ],
        "awards": ["Почётная грамота Министерства просвещения РФ, 2021"],
        "extra": "Руководитель ШМО учителей естественно-математического цикла.",
    }
    return TeacherSheet.model_validate(fields | changes)


class Clock:
    """A clock the test moves by hand."""

    def __init__(self, now: datetime = MOMENT) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def recorder(store: dict[str, str]) -> Iterator[ApplicationRecorder]:
    """An eventsourcing application recorder on the test's store (SQLite or PostgreSQL)."""
    factory = InfrastructureFactory.construct(Environment("PD", store))
    try:
        yield factory.application_recorder()
    finally:
        factory.close()


@pytest.fixture
def make_store(recorder: ApplicationRecorder) -> Callable[..., PersonalDataStore]:
    """Personal-data stores on the recorder's database, with their tables created."""

    def make(master_key: bytes | None = None, clock: Clock | None = None) -> PersonalDataStore:
        pd = PersonalDataStore.from_recorder(recorder, master_key=master_key)
        if clock is not None:
            pd.clock = clock
        pd.create_tables()
        return pd

    return make


@pytest.fixture
def pd(make_store: Callable[..., PersonalDataStore]) -> PersonalDataStore:
    """A personal-data store without a master key."""
    return make_store()


def raw(pd: PersonalDataStore, table: str) -> dict[str, dict[str, object]]:
    """Every row of one of the store's tables, read through the datastore, by teacher id."""
    with pd.datastore.transaction(commit=False) as cursor:
        cursor.execute(f"SELECT * FROM {table}", ())
        rows = cursor.fetchall()
    assert isinstance(rows, list)
    return {str(row["teacher_id"]): dict(row) for row in rows}


def as_bytes(value: object) -> bytes:
    assert isinstance(value, bytes | memoryview)
    return bytes(value)


def test_the_dialect_follows_the_recorder(pd: PersonalDataStore, store: dict[str, str]) -> None:
    expected = "sqlite" if store["PERSISTENCE_MODULE"].endswith("sqlite") else "postgres"
    assert pd.dialect == expected
    pd.create_tables()  # idempotent


def test_a_sheet_round_trips_with_every_field(pd: PersonalDataStore) -> None:
    sheet = make_sheet()
    pd.put(T1, sheet)

    record = pd.get(T1)

    assert record == PersonalRecord(teacher_id=T1, status="present", sheet=sheet)
    assert record.sheet is not None
    assert record.sheet.full_name == "Ёлкина Аглая Вячеславовна"
    assert record.sheet.courses[1] == "«Реализация требований обновлённых ФГОС ООО», 72 ч., 2024"
    assert record.sheet.category_date == date(2022, 12, 20)


def test_a_minimal_sheet_round_trips(pd: PersonalDataStore) -> None:
    sheet = TeacherSheet(
        full_name="Иванов Иван Иванович",
        school_name="МАОУ СОШ № 5",
        position="учитель",
        subject="история",
        education="высшее",
        teaching_experience_years=0,
    )
    pd.put(T1, sheet)

    record = pd.get(T1)

    assert record.sheet == sheet
    assert record.sheet.management_experience_years is None
    assert (record.sheet.category, record.sheet.extra, record.sheet.awards) == ("", "", [])


def test_a_second_put_replaces_the_sheet_with_a_fresh_nonce(pd: PersonalDataStore) -> None:
    pd.put(T1, make_sheet())
    first = raw(pd, pd.sheets_table)[T1]
    key = raw(pd, pd.keys_table)[T1]["wrapped_key"]

    changed = make_sheet(position="заместитель директора по УВР", teaching_experience_years=17)
    pd.put(T1, changed)

    assert pd.get(T1).sheet == changed
    second = raw(pd, pd.sheets_table)[T1]
    assert as_bytes(second["nonce"]) != as_bytes(first["nonce"])
    assert len(as_bytes(second["nonce"])) == 12
    assert raw(pd, pd.keys_table)[T1]["wrapped_key"] == key  # the teacher's key stays


def test_the_stored_ciphertext_holds_no_personal_data_in_clear(pd: PersonalDataStore) -> None:
    sheet = make_sheet()
    pd.put(T1, sheet)

    row = raw(pd, pd.sheets_table)[T1]
    stored = b"".join(as_bytes(row[column]) for column in ("nonce", "ciphertext"))

    for text in (sheet.full_name, "Ёлкина", sheet.school_name, "Почётная грамота"):
        assert text.encode() not in stored
        assert text.encode("utf-16-le") not in stored
    assert b"full_name" not in stored
    assert set(row) == {"teacher_id", "nonce", "ciphertext", "updated_at"}


def test_the_ciphertext_is_bound_to_its_teacher(pd: PersonalDataStore) -> None:
    pd.put(T1, make_sheet())
    row = raw(pd, pd.sheets_table)[T1]
    stored_key = as_bytes(raw(pd, pd.keys_table)[T1]["wrapped_key"])
    assert stored_key[0] == KEY_FORMAT_PLAIN
    aes = AESGCM(stored_key[1:])
    nonce, ciphertext = as_bytes(row["nonce"]), as_bytes(row["ciphertext"])

    assert TeacherSheet.model_validate_json(aes.decrypt(nonce, ciphertext, T1.encode()))
    with pytest.raises(InvalidTag):
        aes.decrypt(nonce, ciphertext, T2.encode())  # the teacher id is the associated data


def test_two_teachers_get_different_keys(pd: PersonalDataStore) -> None:
    sheet = make_sheet()
    pd.put(T1, sheet)
    pd.put(T2, sheet)

    keys = raw(pd, pd.keys_table)
    sheets = raw(pd, pd.sheets_table)

    assert set(keys) == {T1, T2}
    key1, key2 = as_bytes(keys[T1]["wrapped_key"]), as_bytes(keys[T2]["wrapped_key"])
    assert key1 != key2
    assert len(key1) == len(key2) == 1 + 32
    assert as_bytes(sheets[T1]["ciphertext"]) != as_bytes(sheets[T2]["ciphertext"])
    assert pd.get(T1).sheet == pd.get(T2).sheet == sheet


def test_a_master_key_wraps_each_teacher_key(
    make_store: Callable[..., PersonalDataStore],
) -> None:
    master = AESGCM.generate_key(bit_length=256)
    pd = make_store(master_key=master)
    sheet = make_sheet()
    pd.put(T1, sheet)

    stored = as_bytes(raw(pd, pd.keys_table)[T1]["wrapped_key"])
    assert stored[0] == KEY_FORMAT_WRAPPED
    nonce, wrapped = stored[1:13], stored[13:]
    key = AESGCM(master).decrypt(nonce, wrapped, b"iom_pd_keys:" + T1.encode())

    assert len(key) == 32
    assert key not in stored  # the stored key is not the raw key
    row = raw(pd, pd.sheets_table)[T1]
    plaintext = AESGCM(key).decrypt(
        as_bytes(row["nonce"]), as_bytes(row["ciphertext"]), T1.encode()
    )
    assert TeacherSheet.model_validate_json(plaintext) == sheet
    assert pd.get(T1).sheet == sheet


def test_a_wrong_or_missing_master_key_cannot_read(
    make_store: Callable[..., PersonalDataStore],
) -> None:
    pd = make_store(master_key=os.urandom(32))
    pd.put(T1, make_sheet())
    before = raw(pd, pd.sheets_table)[T1]

    wrong = make_store(master_key=os.urandom(32))
    with pytest.raises(PersonalDataUnreadableError, match="мастер-ключ не подходит"):
        wrong.get(T1)
    with pytest.raises(PersonalDataUnreadableError):
        wrong.put(T1, make_sheet(full_name="Подменный Пётр Петрович"))
    with pytest.raises(PersonalDataUnreadableError, match="мастер-ключ не задан"):
        make_store().get(T1)

    assert raw(pd, pd.sheets_table)[T1] == before  # the failed put wrote nothing
    assert pd.get(T1).sheet == make_sheet()


def test_a_master_key_has_32_bytes(recorder: ApplicationRecorder) -> None:
    with pytest.raises(ValueError, match="master_key"):
        PersonalDataStore.from_recorder(recorder, master_key=b"short")


def test_erase_destroys_the_key_and_the_sheet_and_records_who_and_why(
    make_store: Callable[..., PersonalDataStore],
) -> None:
    clock = Clock()
    pd = make_store(clock=clock)
    sheet = make_sheet()
    pd.put(T1, sheet)
    pd.put(T2, make_sheet(full_name="Петрова Мария Сергеевна"))
    clock.now = MOMENT + timedelta(days=3)

    erasure = pd.erase(T1, OPERATOR, REASON)

    assert erasure == Erasure(
        subject_id=T1, erased_at=MOMENT + timedelta(days=3), actor=OPERATOR, reason=REASON
    )
    assert pd.get(T1) == PersonalRecord(
        teacher_id=T1, status="erased", sheet=None, erased_at=MOMENT + timedelta(days=3)
    )
    assert T1 not in raw(pd, pd.keys_table)
    assert T1 not in raw(pd, pd.sheets_table)
    assert pd.erasure(T1) == erasure
    assert pd.erased_teachers() == {T1}

    row = raw(pd, pd.erasures_table)[T1]
    assert row == {
        "teacher_id": T1,
        "erased_at": (MOMENT + timedelta(days=3)).isoformat(),
        "actor_id": "op-17",
        "actor_role": "operator",
        "reason": REASON,
    }
    stored = " ".join(str(value) for value in row.values())
    for text in (sheet.full_name, "Ёлкина", sheet.school_name, sheet.position, sheet.education):
        assert text not in stored

    # The other teacher is untouched.
    assert pd.get(T2).status == "present"
    assert pd.erasure(T2) is None


def test_a_sheet_cannot_be_written_after_erasure(pd: PersonalDataStore) -> None:
    pd.put(T1, make_sheet())
    pd.erase(T1, OPERATOR, REASON)

    with pytest.raises(PersonalDataErasedError, match="152-ФЗ") as caught:
        pd.put(T1, make_sheet())

    assert caught.value.teacher_id == T1
    assert "уничтожены" in caught.value.message
    assert T1 not in raw(pd, pd.keys_table)  # no new key was left behind
    assert T1 not in raw(pd, pd.sheets_table)
    assert pd.get(T1).status == "erased"


def test_erasing_twice_returns_the_first_erasure_and_changes_nothing(
    make_store: Callable[..., PersonalDataStore],
) -> None:
    clock = Clock()
    pd = make_store(clock=clock)
    pd.put(T1, make_sheet())
    first = pd.erase(T1, OPERATOR, REASON)
    rows = raw(pd, pd.erasures_table)

    clock.now = MOMENT + timedelta(days=30)
    second = pd.erase(T1, Actor(id="op-99", role=Role.AUDITOR), "Повторное требование")

    assert second == first
    assert raw(pd, pd.erasures_table) == rows
    assert pd.get(T1).erased_at == MOMENT


def test_erasing_a_teacher_without_data_still_bars_the_id(pd: PersonalDataStore) -> None:
    erasure = pd.erase(T2, OPERATOR, REASON)

    assert pd.erasure(T2) == erasure
    assert pd.get(T2).status == "erased"
    with pytest.raises(PersonalDataErasedError):
        pd.put(T2, make_sheet())


def test_an_unknown_teacher_is_absent(pd: PersonalDataStore) -> None:
    assert pd.get("nobody") == PersonalRecord(teacher_id="nobody", status="absent")
    assert pd.erasure("nobody") is None
    assert pd.erased_teachers() == set()


def test_erasure_needs_a_reason(pd: PersonalDataStore) -> None:
    with pytest.raises(ValidationError, match="reason"):
        pd.erase(T1, OPERATOR, "   ")
    assert pd.erasure(T1) is None


def test_a_malformed_teacher_id_is_refused(pd: PersonalDataStore) -> None:
    with pytest.raises(ValidationError):
        pd.put("bad id; DROP TABLE iom_pd_keys", make_sheet())
    with pytest.raises(ValidationError):
        pd.get("")


def test_from_recorder_needs_a_sqlite_or_postgres_recorder() -> None:
    with pytest.raises(TypeError, match="SQLite or PostgreSQL"):
        PersonalDataStore.from_recorder(object())


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"teaching_experience_years": -1}, "teaching_experience_years"),
        ({"teaching_experience_years": 71}, "teaching_experience_years"),
        ({"management_experience_years": -2}, "management_experience_years"),
        ({"full_name": ""}, "full_name"),
        ({"full_name": "   "}, "full_name"),
        ({"school_name": ""}, "school_name"),
        ({"courses": [""]}, "courses"),
        ({"category": "", "category_date": date(2020, 1, 1)}, "category_date"),
        ({"nickname": "x"}, "nickname"),
    ],
)
def test_an_invalid_sheet_names_the_field(changes: dict[str, object], field: str) -> None:
    with pytest.raises(ValidationError) as caught:
        make_sheet(**changes)
    assert field in str(caught.value)


def test_every_sheet_field_has_a_russian_description() -> None:
    for name, info in TeacherSheet.model_fields.items():
        assert info.description, name
        assert any("а" <= ch <= "я" for ch in info.description.lower()), name
