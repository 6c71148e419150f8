"""A ДПП (дополнительная профессиональная программа) as the catalogue holds it (the reference a
route's activity makes to one, `ProgrammeRef`, is a plan value: `aggregates.values`).

A programme names the competences it addresses and, for each, the levels of the region's scale
it is meant for (a course for those at «недостаточный» differs from one for «оптимальный»): the
suggestion (`aggregates.programmes.suggestion`) matches a teacher's deficit against them."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Final

from pydantic import Field, field_validator, model_validator

from aggregates.values import (
    ActivityLevel,
    Checked,
    Code,
    Day,
    Level,
    Name,
    RegistryNumber,
    Title,
    Value,
)


class ProgrammeFormat(StrEnum):
    """Форма обучения по программе."""

    IN_PERSON = "in_person"  # очно
    DISTANCE = "distance"  # дистанционно
    BLENDED = "blended"  # смешанно


FORMAT_TITLES: Final[dict[ProgrammeFormat, str]] = {
    ProgrammeFormat.IN_PERSON: "очно",
    ProgrammeFormat.DISTANCE: "дистанционно",
    ProgrammeFormat.BLENDED: "смешанно",
}


class Addressed(Value):
    """A competence a programme addresses, and the levels (1 the lowest) it is meant for."""

    competence: Code
    levels: Annotated[list[Level], Field(min_length=1, max_length=4)]


class Programme(Checked, Value):
    """Дополнительная профессиональная программа in the region's catalogue."""

    registry_number: RegistryNumber
    title: Title
    provider: Name  # организация, реализующая программу
    hours: Annotated[int, Field(ge=1, le=3000, description="Объём программы в часах.")]
    format: ProgrammeFormat
    starts_on: Day | None = None  # None: the programme is taken at any time (по мере набора)
    ends_on: Day | None = None
    level: ActivityLevel  # федеральный, региональный, муниципальный, уровень ОО
    addresses: Annotated[list[Addressed], Field(min_length=1, max_length=20)]

    @model_validator(mode="after")
    def _dated(self) -> Programme:
        if (self.starts_on is None) != (self.ends_on is None):
            raise ValueError("укажите обе даты программы (начало и окончание) или ни одной")
        if self.starts_on and self.ends_on and self.ends_on < self.starts_on:
            raise ValueError("программа заканчивается раньше, чем начинается")
        return self

    @field_validator("addresses")
    @classmethod
    def _once_each(cls, addresses: list[Addressed]) -> list[Addressed]:
        competences = [entry.competence for entry in addresses]
        if len(competences) != len(set(competences)):
            raise ValueError("компетенция указана в программе более одного раза")
        return addresses

    def answers(self, competence: str, level: int) -> bool:
        """Whether the programme is meant for `competence` at `level`."""
        return any(
            entry.competence == competence and level in entry.levels for entry in self.addresses
        )
