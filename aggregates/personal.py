"""Personal data (152-ФЗ) as values: the teacher's information sheet, the card of an official
who signs (ФИО, должность, организация), what is held for each, the record of an erasure, and
the store's refusals. Neither goes into an event: events carry ids only; the store that keeps
them apart from the events, encrypted with a key per person, is `adapters.personal`.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal, Self

from pydantic import AwareDatetime, Field, model_validator

from aggregates.values import (
    Actor,
    Checked,
    Day,
    Ident,
    Name,
    OptionalText,
    Text,
    Value,
)

Years = Annotated[int, Field(ge=0, le=70)]
Items = Annotated[list[Text], Field(max_length=100)]

Status = Literal["present", "erased", "absent"]


class TeacherSheet(Checked, Value):
    """Информационная справка педагога (сведения об авторе ИОМ). Personal data: never in events."""

    full_name: Name = Field(description="Фамилия, имя, отчество")
    school_name: Text = Field(
        description="Образовательная организация (полное наименование, место работы)"
    )
    position: Name = Field(description="Должность")
    subject: Name = Field(description="Преподаваемый предмет")
    education: Text = Field(
        description="Образование (уровень, учебное заведение, год окончания, специальность)"
    )
    teaching_experience_years: Years = Field(description="Педагогический стаж, лет")
    management_experience_years: Years | None = Field(
        default=None, description="Управленческий стаж, лет (если есть)"
    )
    category: OptionalText = Field(
        default="", description="Квалификационная категория (пусто — без категории)"
    )
    category_date: Day | None = Field(
        default=None, description="Дата присвоения квалификационной категории"
    )
    attestation_date: Day | None = Field(default=None, description="Дата аттестации")
    retraining: Items = Field(default_factory=list, description="Профессиональная переподготовка")
    courses: Items = Field(
        default_factory=list,
        description="Курсы повышения квалификации за последние 3 года",
    )
    awards: Items = Field(default_factory=list, description="Звания, награды, поощрения")
    extra: OptionalText = Field(default="", description="Дополнительные сведения")

    @model_validator(mode="after")
    def _category_date_needs_category(self) -> Self:
        if self.category_date is not None and not self.category:
            raise ValueError(
                "category_date: дата присвоения указана, а квалификационная категория — нет"
            )
        return self


class PersonalRecord(Value):
    """What the store holds for a teacher: the sheet, the fact of its erasure, or nothing."""

    teacher_id: str = Field(description="Идентификатор педагога")
    status: Status = Field(
        description="present — сведения есть; erased — уничтожены (152-ФЗ); absent — не вносились"
    )
    sheet: TeacherSheet | None = Field(default=None, description="Информационная справка")
    erased_at: datetime | None = Field(default=None, description="Когда сведения уничтожены")

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        _check_held(self.status, "sheet", self.sheet, self.erased_at)
        return self


class OfficialCard(Checked, Value):
    """Сведения о должностном лице, которое подписывает документы ИОМ (методист, руководитель
    ОО, руководитель ЦНППМ, …), by their portal id. Personal data: never in events."""

    full_name: Name = Field(description="Фамилия, имя, отчество")
    position: Name = Field(description="Должность")
    organisation: Name = Field(description="Организация (краткое наименование)")


class OfficialRecord(Value):
    """What the store holds for an official: the card, the fact of its erasure, or nothing."""

    official_id: str = Field(description="Идентификатор должностного лица на портале")
    status: Status = Field(
        description="present — сведения есть; erased — уничтожены (152-ФЗ); absent — не вносились"
    )
    card: OfficialCard | None = Field(default=None, description="Сведения о должностном лице")
    erased_at: datetime | None = Field(default=None, description="Когда сведения уничтожены")

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        _check_held(self.status, "card", self.card, self.erased_at)
        return self


def _check_held(status: Status, name: str, card: object, erased_at: datetime | None) -> None:
    """A record holds its card if and only if present, its erasure time if and only if erased."""
    if (status == "present") != (card is not None):
        raise ValueError(f"{name}: the {name} is given if and only if the status is present")
    if (status == "erased") != (erased_at is not None):
        raise ValueError("erased_at: the time is given if and only if the status is erased")


class Erasure(Checked, Value):
    """The record of a person's personal data destroyed (a teacher's sheet or an official's
    card): whose, who, when and why. No personal data."""

    subject_id: Ident = Field(description="Идентификатор педагога или должностного лица")
    erased_at: AwareDatetime = Field(description="Когда сведения уничтожены")
    actor: Actor = Field(description="Кто уничтожил сведения")
    reason: Text = Field(
        description="Основание (например, отзыв согласия на обработку персональных данных)"
    )


TEACHER = "педагога"
OFFICIAL = "должностного лица"
"""Whose data an error names (genitive): a teacher's or an official's."""


class PersonalDataErasedError(Exception):
    """Data were written for a person whose personal data were destroyed (152-ФЗ)."""

    def __init__(self, teacher_id: str, whose: str = TEACHER) -> None:
        self.teacher_id = teacher_id
        self.message = (
            f"Персональные данные {whose} {teacher_id} уничтожены в соответствии с 152-ФЗ; "
            "повторно записать сведения под этим идентификатором нельзя."
        )
        super().__init__(self.message)


class PersonalDataUnreadableError(Exception):
    """The stored sheet or key cannot be decrypted.

    A wrong or missing master key, or a key row removed other than by `erase`.
    """

    def __init__(self, teacher_id: str, detail: str, whose: str = TEACHER) -> None:
        self.teacher_id = teacher_id
        self.message = f"Персональные данные {whose} {teacher_id} не удаётся расшифровать: {detail}"
        super().__init__(self.message)
