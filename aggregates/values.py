"""Value objects of a route: roles, actors, levels, the plan and its activities."""

from __future__ import annotations

import hashlib
import json
from datetime import date
from enum import StrEnum
from typing import Annotated, Any, Literal, Self

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=4000)]
Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=300)]
Code = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]{0,63}$")]
Ident = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$")]


class Value(BaseModel):
    """An immutable value that refuses unknown fields."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    def __deepcopy__(self, memo: dict[int, Any] | None = None) -> Self:
        # Immutable: a copy of a route (the repository copies cached routes for each command)
        # shares its values instead of copying them, which keeps commands cheap on long routes.
        return self


class Role(StrEnum):
    """Who acts on a route (DOMAIN.md, «People and roles»)."""

    TEACHER = "teacher"  # педагогический работник
    METHODIST = "methodist"  # региональный / муниципальный методист, куратор, тьютор
    DEPUTY_HEAD = "deputy_head"  # заместитель руководителя ОО
    MO_HEAD = "mo_head"  # руководитель методического объединения
    SCHOOL_HEAD = "school_head"  # руководитель ОО
    CENTRE_HEAD = "centre_head"  # руководитель ЦНППМ
    AUDITOR = "auditor"
    OPERATOR = "operator"
    SYSTEM = "system"  # deadlines and timers of the route's workflow


ROLE_TITLES: dict[Role, str] = {
    Role.TEACHER: "педагогический работник",
    Role.METHODIST: "методист",
    Role.DEPUTY_HEAD: "заместитель руководителя ОО",
    Role.MO_HEAD: "руководитель методического объединения",
    Role.SCHOOL_HEAD: "руководитель ОО",
    Role.CENTRE_HEAD: "руководитель ЦНППМ",
    Role.AUDITOR: "аудитор",
    Role.OPERATOR: "оператор",
    Role.SYSTEM: "система",
}


class Actor(Value):
    """Who issued a command: the portal's user id and the role they act in."""

    id: Ident
    role: Role


class ActivityLevel(StrEnum):
    """Уровень мероприятия."""

    FEDERAL = "federal"  # федеральный
    REGIONAL = "regional"  # региональный
    MUNICIPAL = "municipal"  # муниципальный
    SCHOOL = "school"  # уровень ОО


ACTIVITY_LEVEL_TITLES: dict[ActivityLevel, str] = {
    ActivityLevel.FEDERAL: "федеральный",
    ActivityLevel.REGIONAL: "региональный",
    ActivityLevel.MUNICIPAL: "муниципальный",
    ActivityLevel.SCHOOL: "уровень ОО",
}

Level = Annotated[int, Field(ge=1, le=4)]
"""A level on the region's 4-step scale: 1 is the lowest (недостаточный / низкий)."""


class TaskResult(Value):
    """One task (задание) of a diagnostic work: what it tests and what it showed."""

    number: Annotated[int, Field(ge=1, le=500)]
    competences: Annotated[list[Code], Field(min_length=1, max_length=10)]
    level: Level
    difficulties: Annotated[str, StringConstraints(strip_whitespace=True, max_length=2000)] = ""


class Diagnostic(Value):
    """A diagnostic work's result (входная или итоговая диагностика)."""

    taken_on: date
    platform: Name
    tasks: Annotated[list[TaskResult], Field(min_length=1, max_length=500)]

    def competence_levels(self) -> dict[str, int]:
        """The competence profile: each competence at the lowest level any of its tasks showed."""
        levels: dict[str, int] = {}
        for task in self.tasks:
            for competence in task.competences:
                levels[competence] = min(levels.get(competence, task.level), task.level)
        return dict(sorted(levels.items()))


class Activity(Value):
    """One planned activity (мероприятие) of the route."""

    id: Code
    title: Text
    competences: Annotated[list[Code], Field(min_length=1, max_length=10)]
    direction: Code | None = None  # организационное направление (Balakhta, Sovetsky)
    level: ActivityLevel
    organiser: Name
    starts_on: date
    ends_on: date
    result_form: Name  # форма представления результата


class FinalPublicEvent(Value):
    """Заключительное публичное мероприятие."""

    form: Name
    title: Text
    level: ActivityLevel
    starts_on: date
    ends_on: date


class Plan(Value):
    """The designed route (Карта ИОМ / пояснительная записка и дорожная карта)."""

    topic: Text
    relevance: Text
    goal: Text
    tasks: Annotated[list[Text], Field(min_length=1, max_length=30)]
    request: Text  # профессиональный запрос / затруднение
    expected_results: Text
    starts_on: date
    ends_on: date
    activities: Annotated[list[Activity], Field(min_length=1, max_length=200)]
    final_public_event: FinalPublicEvent | None = None

    def content_hash(self) -> str:
        """The hash that binds each party's agreement to this exact revision of the plan."""
        body = json.dumps(self.model_dump(mode="json"), sort_keys=True, ensure_ascii=False)
        return hashlib.sha256(body.encode()).hexdigest()


Outcome = Literal["completed", "prolonged"]
