"""Regulation profiles: each region's rules for a route, as versioned data files.

A profile is the regulation (`shared/seeds/`) turned into data: the level scale, the competences,
the roadmap directions, the agreement parties and their order, the term bounds, what the route must
end with, the calendars, the time zone and the methodist capacity. Adding a region is adding a YAML
file here (or in a folder named by the `IOM_PROFILES_DIR` setting), not code. A route copies the
whole profile into its opening event, so a later edit of the file never changes an existing route.
"""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml
from pydantic import (
    BeforeValidator,
    Field,
    ModelWrapValidatorHandler,
    StringConstraints,
    field_validator,
    model_validator,
)

from aggregates.profile_sources import SAFE_LOADER, profile_sources
from aggregates.profiles.documents import Documents, upcast_documents
from aggregates.profiles.duties import Place, Reagreement, Separation, upcast_reagreement
from aggregates.values import ActivityLevel, Code, Name, OptionalName, Role, Text, Value, checking


class Stage(StrEnum):
    """The stages every region shares, under regional names (see `Profile.stage_names`)."""

    OPENED = "opened"  # the route exists; its methodist is not yet assigned
    DIAGNOSTIC = "diagnostic"  # входная диагностика
    DESIGN = "design"  # проектирование
    AGREEMENT = "agreement"  # согласование и утверждение
    IMPLEMENTATION = "implementation"  # реализация
    FINAL = "final"  # итоговая диагностика, заключительное мероприятие, выводы
    COMPLETED = "completed"  # завершён
    CANCELLED = "cancelled"  # отменён


STAGE_TITLES: dict[Stage, str] = {
    Stage.OPENED: "открыт",
    Stage.DIAGNOSTIC: "входная диагностика",
    Stage.DESIGN: "проектирование",
    Stage.AGREEMENT: "согласование и утверждение",
    Stage.IMPLEMENTATION: "реализация",
    Stage.FINAL: "итоговый этап",
    Stage.COMPLETED: "завершён",
    Stage.CANCELLED: "отменён",
}
"""Each stage in Russian where no region's name for it applies (`Profile.stage_names`)."""


class Entry(Value):
    """A named item of a profile's list: a competence or a roadmap direction."""

    code: Code
    name: Name


AgreementAction = Literal["sign", "review", "agree", "approve"]

ACTION_TITLES: dict[str, str] = {
    "sign": "подписано",
    "review": "рассмотрено",
    "agree": "согласовано",
    "approve": "утверждено",
}


class AgreementStep(Value):
    """One party of the agreement (согласование): who, what they do, how long they have."""

    role: Role
    action: AgreementAction
    round: Annotated[
        int, Field(ge=1, le=10)
    ]  # parties of one round answer together, rounds in order
    days_to_answer: Annotated[int, Field(ge=1, le=90)]
    remind_days_before: Annotated[int, Field(ge=0, le=30)]
    escalate_to: Role | None = None


class Calendars(Value):
    """Recurring dates of the regulation (Sakha 5.1, 5.3, 6.2)."""

    diagnostics_per_year: Annotated[int, Field(ge=0, le=12)]
    diagnostic_notice_days: Annotated[int, Field(ge=0, le=60)]
    report_months: list[Annotated[int, Field(ge=1, le=12)]]
    # the clause a late announcement's refusal cites (editions stored before: none)
    notice_clause: OptionalName = ""


InstrumentRuleKind = Literal[
    "min_tasks", "min_methodical_share", "min_minutes", "max_minutes", "revision_days"
]
"""What a rule of the diagnostic instrument bounds: the number of tasks, the share of tasks on
methodical competences, the work's duration, the days allowed for its revision after expertise."""


class InstrumentRule(Value):
    """One rule the region's diagnostic instrument must keep (Sakha диагностика 4.6, 4.9), with
    the clause a refusal cites."""

    rule: InstrumentRuleKind
    value: Annotated[float, Field(ge=0, le=10_000)]
    clause: Name  # the regulation's clause, as a refusal cites it


class ActivityKind(Value):
    """A kind of activity the regulation names (вид мероприятия: открытый урок, мастер-класс,
    стажировка…): what a suggested route proposes beside the catalogue's ДПП."""

    title: Name
    competences: list[Code] = Field(default_factory=list)  # those it builds; empty: any
    level: ActivityLevel
    organiser: Name
    result_form: Name  # форма представления результата
    weeks: Annotated[int, Field(ge=1, le=52)] = 4  # how long it usually takes
    direction: Code | None = None  # the roadmap direction, where the region has them


class Profile(Value):
    """A region's regulation as data. `id` and `version` together name one edition."""

    id: Code
    version: Annotated[int, Field(ge=1)]
    region: Name  # the region or municipality, in Russian
    regulation: Text  # the document and its date, in Russian
    time_zone: Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_+/-]{1,64}$")]  # IANA
    levels: Annotated[list[Name], Field(min_length=4, max_length=4)]  # lowest first
    competences: Annotated[list[Entry], Field(min_length=1)]
    directions: list[Entry]  # roadmap directions; empty when the region does not group activities
    stage_names: dict[Stage, Name]
    designers: Annotated[list[Role], Field(min_length=1)]  # who designs and submits the plan
    methodist_assigned_by: list[Role]
    agreement: Annotated[list[AgreementStep], Field(min_length=1)]
    correctors: Annotated[list[Role], Field(min_length=1)]  # who makes a correction
    # who must agree a correction again, each for the parts of the plan their agreement covers
    correction_reagreement: Annotated[list[Reagreement], BeforeValidator(upcast_reagreement)]
    conclusions_by: Role
    conclusions_signers: list[Role]  # who signs the conclusions besides their author
    term_min_months: Annotated[int, Field(ge=1, le=120)]
    term_max_months: Annotated[int, Field(ge=1, le=120)]
    requires_final_public_event: bool
    requires_final_diagnostic: bool
    requires_certificate: bool
    requires_self_reflection: bool  # саморефлексия (Sovetsky, section 4)
    requires_recommendations: bool  # рекомендации куратора (Sovetsky, section 5)
    requires_assessment: bool  # самооценка и оценка работодателем of every activity done (Balakhta)
    lowest_levels_first: bool  # the route targets the lowest-level competences first (Chelyabinsk)
    calendars: Calendars
    methodist_capacity: Annotated[int, Field(ge=1)]  # teachers one methodist serves at most
    # places on one route the regulation gives to different people (editions stored before the
    # rule existed: none)
    separation_of_duties: list[Separation] = Field(default_factory=list)
    # the forms a route is printed on (editions stored before: `upcast_documents`)
    documents: Documents = Field(default_factory=Documents)
    # Алгоритм, этап II (editions stored before the rules existed: none of them)
    requires_programme: bool = False  # every task with its ways and checks
    requires_resource_map: bool = False  # a resource map with the four kinds of resources
    requires_groups: bool = False  # the route belongs to a problem, creative or project group
    # what a diagnostic campaign's instrument must hold (editions stored before: no rules)
    instrument_rules: list[InstrumentRule] = Field(default_factory=list)
    # the kinds of activity a suggested route proposes (none: the catalogue's ДПП only); left
    # out of the stored form when empty, so editions stored before keep their hash chains
    activity_kinds: list[ActivityKind] = Field(
        default_factory=list, exclude_if=lambda kinds: not kinds
    )
    # the roadmap direction a ДПП of the catalogue goes under in a suggested route, where the
    # region has directions
    programme_direction: Code | None = Field(default=None, exclude_if=lambda code: code is None)

    @property
    def key(self) -> str:
        """`id@version`, the name a route pins."""
        return f"{self.id}@{self.version}"

    @field_validator("time_zone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as error:
            raise ValueError(f"unknown time zone {value!r}") from error
        return value

    @model_validator(mode="wrap")
    @classmethod
    def _consistent(cls, data: Any, handler: ModelWrapValidatorHandler[Profile]) -> Profile:
        # An edition given as a Profile was checked when it was built, and it is frozen: every
        # opening event and route holding it would otherwise check it again.
        if isinstance(data, cls):
            return data
        return handler(upcast_documents(data))._checked()

    def _checked(self) -> Profile:
        if self.term_min_months > self.term_max_months:
            raise ValueError("term_min_months is greater than term_max_months")
        if set(self.stage_names) != set(Stage):
            raise ValueError("stage_names must name every stage: " + ", ".join(Stage))
        rounds = sorted({step.round for step in self.agreement})
        if rounds != list(range(1, len(rounds) + 1)):
            raise ValueError("agreement rounds must be numbered 1, 2, … without gaps")
        roles = [step.role for step in self.agreement]
        if len(roles) != len(set(roles)):
            raise ValueError("a role may appear only once in the agreement")
        parties = [party.role for party in self.correction_reagreement]
        if len(parties) != len(set(parties)):
            raise ValueError("a role may appear only once in correction_reagreement")
        for name, entries in (("competences", self.competences), ("directions", self.directions)):
            codes = [entry.code for entry in entries]
            if len(codes) != len(set(codes)):
                raise ValueError(f"{name} codes must be unique")
        kinds = [rule.rule for rule in self.instrument_rules]
        if len(kinds) != len(set(kinds)):
            raise ValueError("an instrument rule may appear only once in instrument_rules")
        known = {entry.code for entry in self.competences}
        directions = {entry.code for entry in self.directions}
        for kind in self.activity_kinds:
            if not set(kind.competences) <= known:
                raise ValueError(f"activity kind {kind.title!r} names an unknown competence")
            if kind.direction is not None and kind.direction not in directions:
                raise ValueError(f"activity kind {kind.title!r}: no direction {kind.direction!r}")
        if self.programme_direction is not None and self.programme_direction not in directions:
            raise ValueError("programme_direction must be one of the region's directions")
        return self

    def instrument_rule(self, kind: InstrumentRuleKind) -> InstrumentRule | None:
        """The region's rule of that kind for a diagnostic instrument, if it has one."""
        return next((rule for rule in self.instrument_rules if rule.rule == kind), None)

    def separates(self, one: Place, other: Place) -> bool:
        """Whether the regulation gives the places `one` and `other` to different people."""
        return any({one, other} <= set(rule.places) for rule in self.separation_of_duties)

    def level_name(self, level: int) -> str:
        """The region's own name of a level 1..4."""
        return self.levels[level - 1]

    def competence_name(self, code: str) -> str:
        """The Russian name of a competence code."""
        return next((entry.name for entry in self.competences if entry.code == code), code)


class UnknownProfileError(LookupError):
    """No profile with that id (and version)."""


class InvalidProfileError(ValueError):
    """A profile file that does not parse or breaks a rule; the message names the file and
    the field."""


def _parse(data: bytes, source: str) -> Profile:
    try:
        with checking():  # a profile file is input: its text is checked as a command's
            text = data.decode("utf-8")
            return Profile.model_validate(yaml.load(text, Loader=SAFE_LOADER))  # noqa: S506
    except (
        ValueError,
        yaml.YAMLError,
    ) as error:  # ValidationError, UnicodeDecodeError are ValueErrors
        raise InvalidProfileError(f"profile {source}: {error}") from error


def load_profiles(extra_dir: Path | None = None) -> dict[str, Profile]:
    """Every profile edition shipped with the package and in `extra_dir`, keyed `id@version`."""
    found: dict[str, Profile] = {}
    for name, text in profile_sources(extra_dir):
        profile = _parse(text, name)
        found[profile.key] = profile
    return found


class ProfileCatalogue:
    """The profiles a deployment knows; the newest edition of a region opens new routes."""

    def __init__(self, profiles: dict[str, Profile]) -> None:
        self._profiles = profiles

    @classmethod
    def load(cls, extra_dir: Path | None = None) -> ProfileCatalogue:
        """The shipped profiles and those in `extra_dir` (the IOM_PROFILES_DIR setting)."""
        return cls(load_profiles(extra_dir))

    def latest(self, profile_id: str) -> Profile:
        """The newest edition of a region's profile."""
        editions = [p for p in self._profiles.values() if p.id == profile_id]
        if not editions:
            known = ", ".join(sorted({p.id for p in self._profiles.values()}))
            raise UnknownProfileError(f"нет регламента «{profile_id}»; известны: {known}")
        return max(editions, key=lambda p: p.version)

    def ids(self) -> list[str]:
        """The region profile ids, sorted."""
        return sorted({p.id for p in self._profiles.values()})

    def editions(self) -> list[Profile]:
        """Every edition the deployment knows, by region id, oldest edition first."""
        return sorted(self._profiles.values(), key=lambda p: (p.id, p.version))

    def edition(self, profile_id: str, version: int) -> Profile:
        """One edition; `UnknownProfileError` when the deployment does not know it."""
        found = self._profiles.get(f"{profile_id}@{version}")
        if found is None:
            raise UnknownProfileError(f"нет редакции {version} регламента «{profile_id}»")
        return found
