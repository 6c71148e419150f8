"""Who may hold which place on one route, and what each party's agreement covers: the parts of
a regulation that name people, as data of a profile (`Profile.separation_of_duties`,
`Profile.correction_reagreement`)."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Any

from pydantic import AfterValidator, Field, field_validator

from aggregates.values import Role, Text, Value


class Place(StrEnum):
    """A place a person holds on one route: a party's role, or an act the regulation gives to
    someone other than whoever holds another place."""

    TEACHER = "teacher"  # the route's teacher
    METHODIST = "methodist"  # the assigned methodist (and whoever acted as one on the route)
    DEPUTY_HEAD = "deputy_head"
    MO_HEAD = "mo_head"
    SCHOOL_HEAD = "school_head"
    CENTRE_HEAD = "centre_head"
    EMPLOYER_ASSESSMENT = "employer_assessment"  # оценка работодателем of an activity done
    CORRECTOR = "corrector"  # the author of a correction (of that correction only)
    CORRECTION_AGREEMENT = "correction_agreement"  # an agreement of that correction


PLACE_TITLES: dict[Place, str] = {
    Place.TEACHER: "педагогический работник",
    Place.METHODIST: "методист",
    Place.DEPUTY_HEAD: "заместитель руководителя ОО",
    Place.MO_HEAD: "руководитель методического объединения",
    Place.SCHOOL_HEAD: "руководитель ОО",
    Place.CENTRE_HEAD: "руководитель ЦНППМ",
    Place.EMPLOYER_ASSESSMENT: "оценка результата работодателем",
    Place.CORRECTOR: "автор корректировки",
    Place.CORRECTION_AGREEMENT: "согласование корректировки",
}

PARTY_PLACES: frozenset[str] = frozenset(
    {Place.TEACHER, Place.METHODIST, Place.DEPUTY_HEAD, Place.MO_HEAD}
    | {Place.SCHOOL_HEAD, Place.CENTRE_HEAD}
)
"""The places that are a party's role: a person acting in that role on a route holds it."""


def _distinct(places: list[Place]) -> list[Place]:
    if len(places) != len(set(places)):
        raise ValueError("places must be distinct")
    return places


class Separation(Value):
    """Places of one route the regulation gives to different officials: one person holds at
    most one of them (rule `separation_of_duties`)."""

    places: Annotated[list[Place], Field(min_length=2), AfterValidator(_distinct)]
    clause: Text  # the clause of the regulation that names the officials, in Russian


class CorrectionPart(StrEnum):
    """What a correction may change in the plan (derived from the old and the new plan)."""

    ACTIVITIES_ADDED = "activities_added"
    ACTIVITIES_REMOVED = "activities_removed"
    ACTIVITIES_MOVED = "activities_moved"  # an activity's dates (сроки проведения)
    ACTIVITIES_REWRITTEN = "activities_rewritten"  # title, competences, level, organiser
    RESULT_FORMS = "result_forms"  # only an activity's форма представления результата
    TERM = "term"  # начало или завершение работы по реализации ИОМ
    FINAL_PUBLIC_EVENT = "final_public_event"  # заключительное публичное мероприятие
    GOALS = "goals"  # тема, актуальность, цель, задачи, запрос, ожидаемые результаты


PART_TITLES: dict[CorrectionPart, str] = {
    CorrectionPart.ACTIVITIES_ADDED: "добавлены мероприятия",
    CorrectionPart.ACTIVITIES_REMOVED: "исключены мероприятия",
    CorrectionPart.ACTIVITIES_MOVED: "перенесены сроки мероприятий",
    CorrectionPart.ACTIVITIES_REWRITTEN: "изменено содержание мероприятий",
    CorrectionPart.RESULT_FORMS: "изменены формы представления результата",
    CorrectionPart.TERM: "изменён срок реализации ИОМ",
    CorrectionPart.FINAL_PUBLIC_EVENT: "изменено заключительное публичное мероприятие",
    CorrectionPart.GOALS: "изменены тема, цель, задачи или ожидаемые результаты",
}


class Reagreement(Value):
    """A party whose agreement covers some parts of the plan: a correction that changes one of
    them waits for that party's agreement again."""

    role: Role
    covers: Annotated[list[CorrectionPart], Field(min_length=1)]
    clause: Text | None = None  # the clause that gives the party these parts (older editions: none)

    @field_validator("covers")
    @classmethod
    def _distinct_parts(cls, parts: list[CorrectionPart]) -> list[CorrectionPart]:
        if len(parts) != len(set(parts)):
            raise ValueError("covered parts must be distinct")
        return parts


def upcast_reagreement(value: Any) -> Any:
    """Profiles stored before parties named the parts they cover listed roles only: each such
    party agreed every correction again, so it covers every part."""
    if not isinstance(value, list):
        return value
    return [
        {"role": item, "covers": list(CorrectionPart)} if isinstance(item, str) else item
        for item in value
    ]
