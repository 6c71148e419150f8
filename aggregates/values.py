"""Value objects of a route: roles, actors, levels, the plan and its activities."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from contextvars import ContextVar
from datetime import UTC, date, datetime
from enum import StrEnum
from typing import Annotated, Any, Final, Literal, Self

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ModelWrapValidatorHandler,
    StringConstraints,
    model_validator,
)
from pydantic_core import PydanticCustomError

from aggregates.text import accepted

Mode = Literal["input", "stored"]
_MODE: ContextVar[Mode | None] = ContextVar("iom_validation_mode", default=None)


@contextmanager
def _validating(mode: Mode) -> Iterator[None]:
    token = _MODE.set(mode)
    try:
        yield
    finally:
        _MODE.reset(token)


def checking() -> AbstractContextManager[None]:
    """Validate input: a person's text (`aggregates.text.accepted`) and dates (`Day`) are
    checked. Every `Checked` model is validated so; a loader of input calls this itself."""
    return _validating("input")


def as_stored() -> AbstractContextManager[None]:
    """Validate what a store already holds, even as a `Checked` model: text and dates are taken
    as they were written (what older code stored before a rule existed still loads; an event,
    a sheet is never rewritten). Every other check still applies.

    Values decoded outside either (events, snapshots, the projections' feed) are not checked
    at all: the check costs more than the rest of their validation, and the store holds only
    what was checked as input."""
    return _validating("stored")


class Checked(BaseModel):
    """A model of input (a command, an API body, a teacher's sheet): validated `checking`,
    unless its caller says it decodes stored data (`as_stored`)."""

    @model_validator(mode="wrap")
    @classmethod
    def _checked(cls, data: Any, handler: ModelWrapValidatorHandler[Self]) -> Self:
        if _MODE.get() is not None:
            return handler(data)
        with checking():
            return handler(data)


def _checking_input() -> bool:
    return _MODE.get() == "input"


def _text_check(*, multiline: bool) -> Callable[[Any], Any]:
    def check(value: Any) -> Any:
        if not isinstance(value, str) or not _checking_input():
            return value
        return accepted(value, multiline=multiline)

    return check


_LINE = BeforeValidator(_text_check(multiline=False))
_LINES = BeforeValidator(_text_check(multiline=True))
TEXT_KIND = "x-iom-text"
"""The OpenAPI mark of a person's text: `line` (one line) or `lines` (line feeds and tabs too)."""
_ONE: dict[str, Any] = {TEXT_KIND: "line"}
_SEVERAL: dict[str, Any] = {TEXT_KIND: "lines"}
_ACCEPTED = (
    " Текст приводится к Unicode NFC; не принимаются управляющие, невидимые и служебные символы"
    " и символы, которых нет в шрифтах документов (принимаются латиница, кириллица с буквами"
    " языков республик, греческий, армянский и грузинский алфавиты, знаки и цифры)"
)

Text = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=4000),
    _LINES,
    Field(
        description="Текст до 4000 символов в одну или несколько строк." + _ACCEPTED + ".",
        json_schema_extra=_SEVERAL,
    ),
]
"""A person's text of several lines: a result, a reason, a comment."""
OptionalText = Annotated[
    str,
    StringConstraints(strip_whitespace=True, max_length=4000),
    _LINES,
    Field(
        description="Текст до 4000 символов в одну или несколько строк (может быть пустым)."
        + _ACCEPTED
        + ".",
        json_schema_extra=_SEVERAL,
    ),
]
"""A person's text of several lines that may be left empty."""
Title = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=4000),
    _LINE,
    Field(description="Одна строка до 4000 символов." + _ACCEPTED + ".", json_schema_extra=_ONE),
]
"""A title or a topic: one line."""
Name = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=300),
    _LINE,
    Field(description="Одна строка до 300 символов." + _ACCEPTED + ".", json_schema_extra=_ONE),
]
"""A name, an organiser, a form, a document's number: one short line."""
OptionalName = Annotated[
    str,
    StringConstraints(strip_whitespace=True, max_length=300),
    _LINE,
    Field(
        description="Одна строка до 300 символов (может быть пустой)." + _ACCEPTED + ".",
        json_schema_extra=_ONE,
    ),
]
"""A short line that may be left empty (an operator's ticket)."""
Code = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]{0,63}$")]
Ident = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$")]
Key = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.:-]{0,255}$")]
"""A key the engine itself made and a client quotes back: a deadline's, a notice's."""
DIGEST_PATTERN: Final = r"^(?:[0-9a-f]{64})?$"
Digest = Annotated[str, StringConstraints(pattern=DIGEST_PATTERN)]
"""A digest the engine gave and a client quotes back (a plan's SHA-256 hash, 64 lower-case hex
digits, or empty where it is optional): one of another form is a 422; a stale one is the
route's refusal, which says what to do."""
# pydantic matches patterns with Rust's regex: `$` is the end of the text, so a trailing
# newline is refused (tests/unit/test_input_text.py).

EARLIEST_DAY: Final = date(2000, 1, 1)
"""No date a route records lies before this day."""
HORIZON_YEARS: Final = 10
"""No date a route records lies more than this many years after today (a term is at most 10)."""
LEAD_MONTHS: Final = 12
"""How far a route's dates may lie beyond its term (rule `date_window`, `aggregates.commands`):
before its opening by the region's longest term and this (a route begun on paper moves in when
it is under way, its diagnostic taken before it began), after today by this for a plan's start."""


def latest_day() -> date:
    """The last plausible date today: `HORIZON_YEARS` from now (the 28th for 29 February)."""
    today = datetime.now(UTC).date()
    leap_day = (today.month, today.day) == (2, 29)
    return today.replace(year=today.year + HORIZON_YEARS, day=28 if leap_day else today.day)


def _plausible(day: date) -> date:
    if not _checking_input() or EARLIEST_DAY <= day <= latest_day():
        return day
    raise PydanticCustomError(
        "date_implausible",
        "дата {day} вне допустимого окна: не ранее {earliest} и не позднее {latest}",
        {
            "day": f"{day.day:02d}.{day.month:02d}.{day.year:04d}",  # %Y drops a year's zeros
            "earliest": f"{EARLIEST_DAY:%d.%m.%Y}",
            "latest": f"{latest_day():%d.%m.%Y}",
        },
    )


Day = Annotated[
    date,
    AfterValidator(_plausible),
    Field(
        description=(
            f"Дата ГГГГ-ММ-ДД не ранее {EARLIEST_DAY:%d.%m.%Y} и не позднее чем через"
            f" {HORIZON_YEARS} лет от сегодняшнего дня (правило date_implausible). Даты ИОМ,"
            " кроме того (правило date_window): не ранее чем за наибольший срок ИОМ по"
            f" регламенту и ещё {LEAD_MONTHS} мес. до открытия ИОМ; дата того, что уже"
            " произошло (диагностика, выполнение, промежуточный результат, корректировка,"
            " мероприятие, выдача сертификата), — не позднее сегодняшнего дня в часовом поясе"
            f" региона; начало реализации ИОМ — не позднее чем через {LEAD_MONTHS} мес.; новый"
            " срок при продлении — не позднее наибольшего срока ИОМ от сегодняшнего дня;"
            " мероприятия — в сроке реализации ИОМ."
        )
    ),
]
"""A date a person gives: within the plausible window (rule `date_implausible`)."""


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


class Acting(Value):
    """Исполнение обязанностей руководителя: whose tasks the actor takes on, by which order,
    for which days (the days in the route's region, both included)."""

    head_id: Ident  # the head (руководитель ОО или ЦНППМ) the actor acts for
    order: Name  # приказ: номер и дата
    starts_on: Day
    ends_on: Day


DELEGABLE: Final = frozenset({Role.SCHOOL_HEAD, Role.CENTRE_HEAD})
"""The roles whose holder may hand their tasks to an acting official for a period."""


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
    difficulties: Annotated[
        str,
        StringConstraints(strip_whitespace=True, max_length=2000),
        _LINES,
        Field(
            description="Затруднения: текст до 2000 символов в одну или несколько строк"
            " (может быть пустым).",
            json_schema_extra=_SEVERAL,
        ),
    ] = ""


class Diagnostic(Value):
    """A diagnostic work's result (входная или итоговая диагностика)."""

    taken_on: Day
    platform: Name
    tasks: Annotated[list[TaskResult], Field(min_length=1, max_length=500)]

    def competence_levels(self) -> dict[str, int]:
        """The competence profile: each competence at the lowest level any of its tasks showed."""
        levels: dict[str, int] = {}
        for task in self.tasks:
            for competence in task.competences:
                levels[competence] = min(levels.get(competence, task.level), task.level)
        return dict(sorted(levels.items()))


RegistryNumber = Annotated[
    str,
    StringConstraints(
        strip_whitespace=True, pattern=r"^[0-9A-Za-zА-Яа-яЁё][0-9A-Za-zА-Яа-яЁё._/-]{0,63}$"
    ),
    Field(
        description="Реестровый номер программы ДПП: до 64 знаков — буквы, цифры, «.», «_», «/»,"
        " «-»."
    ),
]
"""A programme's number in the register of ДПП (реестровый номер)."""


CATALOGUE_VERSIONS: Final = 1_000_000
"""The most versions a region's ДПП catalogue is read at (a bound for what a client asks)."""


class ProgrammeRef(Value):
    """An activity's ДПП: its registry number in a version of the region's catalogue (the
    version the designer saw: a later change of the catalogue does not change the plan)."""

    registry_number: RegistryNumber
    catalogue_version: Annotated[
        int, Field(ge=1, le=CATALOGUE_VERSIONS, description="Версия каталога ДПП региона.")
    ]


class Activity(Value):
    """One planned activity (мероприятие) of the route."""

    id: Code
    title: Title
    competences: Annotated[list[Code], Field(min_length=1, max_length=10)]
    direction: Code | None = None  # организационное направление (Balakhta, Sovetsky)
    level: ActivityLevel
    organiser: Name
    starts_on: Day
    ends_on: Day
    result_form: Name  # форма представления результата
    # the ДПП the activity is (checked against the catalogue when designed); left out of the
    # stored form when absent, so plans designed before it keep their hash
    programme: ProgrammeRef | None = Field(default=None, exclude_if=lambda value: value is None)


class FinalPublicEvent(Value):
    """Заключительное публичное мероприятие."""

    form: Name
    title: Title
    level: ActivityLevel
    starts_on: Day
    ends_on: Day


class ProgrammeTask(Value):
    """A task of the individual educational programme (Алгоритм, этап II): how the teacher
    reaches it (способы реализации) and how it is checked (процедуры проверки или самопроверки)."""

    task: Annotated[int, Field(ge=1, le=30)]  # the number of the plan's task (1 is the first)
    ways: Annotated[list[Text], Field(min_length=1, max_length=20)]
    checks: Annotated[list[Text], Field(min_length=1, max_length=20)]


class ResourceKind(StrEnum):
    """A kind of the resource map (ресурсная карта, Алгоритм, этап II)."""

    INFORMATION = "information"  # информационные (в том числе цифровые, профессиональных сообществ)
    COMMUNICATIVE = "communicative"  # коммуникативные (форматы коммуникации по проблеме)
    ACTIVITY = "activity"  # деятельностные (форматы проб, освоения действий)
    SOCIAL = "social"  # социально-общественные (форматы неформального образования)
    OWN = "own"  # собственные ресурсы педагогов (для горизонтального обучения)


RESOURCE_KIND_TITLES: dict[ResourceKind, str] = {
    ResourceKind.INFORMATION: "Информационные ресурсы",
    ResourceKind.COMMUNICATIVE: "Коммуникативные ресурсы",
    ResourceKind.ACTIVITY: "Деятельностные ресурсы",
    ResourceKind.SOCIAL: "Социально-общественные ресурсы",
    ResourceKind.OWN: "Собственные ресурсы педагогов (горизонтальное обучение)",
}


class Resource(Value):
    """One resource of the route's resource map and what it gives the teacher."""

    kind: ResourceKind
    title: Name
    gives: Text  # what the resource gives for the programme's tasks
    holder: Ident | None = None  # for an own resource: the teacher who offers it (an id)


class GroupKind(StrEnum):
    """A group of teachers formed during implementation (Алгоритм, этап II)."""

    PROBLEM = "problem"  # проблемная группа
    CREATIVE = "creative"  # творческая группа
    PROJECT = "project"  # проектная группа


GROUP_KIND_TITLES: dict[GroupKind, str] = {
    GroupKind.PROBLEM: "проблемная группа",
    GroupKind.CREATIVE: "творческая группа",
    GroupKind.PROJECT: "проектная группа",
}


class TeacherGroup(Value):
    """A group of teachers the route belongs to: its topic and members (teachers' ids only)."""

    id: Code
    kind: GroupKind
    topic: Title
    members: Annotated[list[Ident], Field(min_length=1, max_length=200)]


PROGRAMME_FIELDS: Final = ("programme", "resources", "groups")
"""Plan fields added after plans were stored: left out of the hash while empty, so a stored
plan keeps the hash its parties agreed to."""


class Plan(Value):
    """The designed route (Карта ИОМ / пояснительная записка и дорожная карта)."""

    topic: Title
    relevance: Text
    goal: Text
    tasks: Annotated[list[Text], Field(min_length=1, max_length=30)]
    request: Text  # профессиональный запрос / затруднение
    expected_results: Text
    starts_on: Day
    ends_on: Day
    activities: Annotated[list[Activity], Field(min_length=1, max_length=200)]
    final_public_event: FinalPublicEvent | None = None
    # the individual educational programme: each task's ways and checks (Алгоритм, этап II)
    programme: list[ProgrammeTask] = Field(default_factory=list, max_length=30)
    resources: list[Resource] = Field(default_factory=list, max_length=200)  # ресурсная карта
    groups: list[TeacherGroup] = Field(default_factory=list, max_length=20)  # группы педагогов

    def content_hash(self) -> str:
        """The hash that binds each party's agreement to this exact revision of the plan."""
        dumped = self.model_dump(mode="json")
        for name in PROGRAMME_FIELDS:
            if not dumped[name]:
                del dumped[name]
        body = json.dumps(dumped, sort_keys=True, ensure_ascii=False)
        return hashlib.sha256(body.encode()).hexdigest()


Outcome = Literal["completed", "prolonged"]
