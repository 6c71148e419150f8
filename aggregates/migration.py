"""Moving a running route to a new edition of its region's regulation (переход на новую
редакцию положения).

A region that amends its order publishes a new edition of its profile (`sakha@2`); routes
opened before keep the edition they copied at opening unless an operator moves them. The move
names a mapping (`EditionMapping`): which stages, competences, roadmap directions and agreement
parties of the old edition become which of the new. Anything not named keeps its code, which
must then exist in the new edition. `problems` checks the mapping against one route before
anything is written and names every item that cannot move, with its rule; `carried` is the
route's state under the new edition (the `RegulationChanged` event applies it). Deadlines are
not carried: they follow from the route's profile (`aggregates.deadlines`), so once the route
holds the new edition its agreement days, reminders and term follow the new rules.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from pydantic import ConfigDict, Field

from aggregates.profiles import Entry, Profile, Stage
from aggregates.values import Activity, Code, Diagnostic, Plan, Role, Value

if TYPE_CHECKING:
    from aggregates.route import Route

KINDS = {
    "stages": "этапов",
    "competences": "компетенций",
    "directions": "направлений",
    "agreement": "участников согласования",
}
"""Each part of a mapping, as the refusals name it («соответствие компетенций»)."""

RESTARTS = {Stage.AGREEMENT: Stage.DESIGN}
"""The only stage a route may be sent back to by a mapping: a route in agreement goes back to
design, its agreement to start again under the new edition's parties. Every other stage stays
where the route stands: a mapping never skips a step the regulation requires."""


class EditionMapping(Value):
    """Соответствие редакций: which item of the old edition becomes which of the new one."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "competences": {
                        "communicative": "psych_communicative",
                        "psych_pedagogical": "psych_communicative",
                    }
                }
            ]
        }
    )

    stages: dict[Stage, Stage] = Field(
        default_factory=dict,
        description="Этап старой редакции → этап новой; допустим только тот же этап или"
        " «согласование» → «проектирование» (согласование заново).",
    )
    competences: dict[Code, Code] = Field(
        default_factory=dict,
        description="Код компетенции старой редакции → код новой (две старые в одну: объединение).",
    )
    directions: dict[Code, Code] = Field(
        default_factory=dict, description="Код направления старой редакции → код новой."
    )
    agreement: dict[Role, Role] = Field(
        default_factory=dict,
        description="Роль участника согласования старой редакции → роль участника новой.",
    )

    def competence(self, code: str) -> str:
        """The new code of an old competence."""
        return self.competences.get(code, code)

    def direction(self, code: str | None) -> str | None:
        """The new code of an old direction (none stays none)."""
        return None if code is None else self.directions.get(code, code)

    def party(self, role: Role) -> Role:
        """The new agreement party of an old one."""
        return self.agreement.get(role, role)


@dataclass(frozen=True)
class Obstacle:
    """What keeps a route from moving: the rule, the field of the mapping, the Russian reason."""

    rule: str
    field: str
    message: str


def problems(route: Route, target: Profile, mapping: EditionMapping) -> list[Obstacle]:
    """Everything that keeps `route` from moving to `target` under `mapping` (none: it moves)."""
    source = route.profile
    if route.closed:
        stage = source.stage_names[route.stage]
        return [
            Obstacle(
                "stage",
                "route",
                f"ИОМ на этапе «{stage}»: завершённый или отменённый ИОМ не переводится",
            )
        ]
    found = _edition_problems(source, target)
    if found:
        return found
    found += _mapping_problems(source, target, mapping)
    for before, after in mapping.stages.items():
        if after is not before and RESTARTS.get(before) is not after:
            where = "на котором ИОМ, " if before is route.stage else ""
            found.append(
                Obstacle(
                    "mapping_stage",
                    f"mapping.stages.{before.value}",
                    f"этап «{source.stage_names[before]}», {where}нельзя перевести в этап"
                    f" «{target.stage_names[after]}»: этап сохраняется, лишь с согласования ИОМ"
                    " можно вернуть на разработку (согласование заново по новой редакции)",
                )
            )
    stage = mapping.stages.get(route.stage, route.stage)
    found += _used_problems(
        "competences",
        used_competences(route),
        mapping.competence,
        {entry.code for entry in target.competences},
        target,
        rule="mapping_competence",
    )
    directions = {a.direction for a in route.plan.activities} if route.plan else set()
    found += _used_problems(
        "directions",
        {d: "перечень мероприятий" for d in directions if d is not None},
        lambda code: mapping.direction(code) or code,
        {entry.code for entry in target.directions},
        target,
        rule="mapping_direction",
    )
    if target.directions and None in directions:
        found.append(
            Obstacle(
                "mapping_direction",
                "mapping.directions",
                f"в редакции {target.key} каждое мероприятие относится к направлению, а у"
                " мероприятий ИОМ направление не указано",
            )
        )
    if stage is route.stage:
        parties = {a.role: "согласование" for a in route.agreements}
        parties |= {r: "согласование корректировки" for c in route.corrections for r in c.awaiting}
        found += _used_problems(
            "agreement",
            {role.value: where for role, where in parties.items()},
            lambda role: mapping.party(Role(role)).value,
            _roles(target),
            target,
            rule="mapping_step",
        )
    return found + _term_problems(route, target)


def used_competences(route: Route) -> dict[str, str]:
    """Each competence code the route uses, with where it is used first (in Russian)."""
    used: dict[str, str] = {}
    for where, codes in (
        ("входная диагностика", _diagnostic_codes(route.input_diagnostic, route.input_levels)),
        ("перечень мероприятий", [c for a in _activities(route.plan) for c in a.competences]),
        ("итоговая диагностика", _diagnostic_codes(route.final_diagnostic, route.final_levels)),
    ):
        for code in codes:
            used.setdefault(code, where)
    return used


def carried(route: Route, target: Profile, mapping: EditionMapping) -> None:
    """Put `route` under `target`: its codes and parties mapped, its stage as mapped."""
    route.profile = target
    route.input_diagnostic = _diagnostic(route.input_diagnostic, mapping)
    route.input_levels = _levels(route.input_levels, mapping)
    route.final_diagnostic = _diagnostic(route.final_diagnostic, mapping)
    route.final_levels = _levels(route.final_levels, mapping)
    if route.plan is not None:
        plan = _plan(route.plan, mapping)
        if plan != route.plan:
            route.plan = plan
            route.plan_hash = plan.content_hash()
    route.agreements = [
        a.model_copy(update={"role": mapping.party(a.role)}) for a in route.agreements
    ]
    route.corrections = [
        c.model_copy(update={"awaiting": [mapping.party(r) for r in c.awaiting]})
        for c in route.corrections
    ]
    stage = mapping.stages.get(route.stage, route.stage)
    if stage is not route.stage:  # back to design (`RESTARTS`): the agreement starts again
        route.stage = stage
        route.agreements = []
        route.round_started = None


# The checks.


def _edition_problems(source: Profile, target: Profile) -> list[Obstacle]:
    if target.id != source.id:
        return [
            Obstacle(
                "edition_region",
                "edition",
                f"редакция {target.key} — регламент другого региона: ИОМ следует регламенту"
                f" «{source.id}»",
            )
        ]
    if target.version <= source.version:
        return [
            Obstacle(
                "edition_not_newer",
                "edition",
                f"ИОМ следует редакции {source.key}: перевести можно только на более новую",
            )
        ]
    return []


def _mapping_problems(source: Profile, target: Profile, mapping: EditionMapping) -> list[Obstacle]:
    """Each mapped item must be one of the old edition and map to one of the new."""
    found = []
    for kind, given, old, new in (
        (
            "competences",
            mapping.competences,
            _codes(source.competences),
            _codes(target.competences),
        ),
        ("directions", mapping.directions, _codes(source.directions), _codes(target.directions)),
        ("agreement", mapping.agreement, _roles(source), _roles(target)),
    ):
        for before, after in given.items():
            if str(before) not in old:
                found.append(
                    Obstacle(
                        "mapping_unknown",
                        f"mapping.{kind}.{before}",
                        f"соответствие {KINDS[kind]}: «{before}» нет в редакции {source.key}",
                    )
                )
            if str(after) not in new:
                found.append(
                    Obstacle(
                        "mapping_target",
                        f"mapping.{kind}.{before}",
                        f"соответствие {KINDS[kind]}: «{before}» переводится в «{after}», а его"
                        f" нет в редакции {target.key}",
                    )
                )
    return found


def _used_problems(
    kind: str,
    used: dict[str, str],
    mapped: Callable[[str], str],
    known: set[str],
    target: Profile,
    *,
    rule: str,
) -> list[Obstacle]:
    """Each item the route uses must map to one the new edition has (else refused on `rule`)."""
    found = []
    for code, where in sorted(used.items()):
        after = mapped(code)
        if after not in known:
            found.append(
                Obstacle(
                    rule,
                    f"mapping.{kind}.{code}",
                    f"«{code}» ({where}) не переходит в редакцию {target.key}: в ней нет"
                    f" «{after}», и соответствие {KINDS[kind]} не называет замену",
                )
            )
    return found


def _term_problems(route: Route, target: Profile) -> list[Obstacle]:
    """The plan's term must fit the new edition's bounds."""
    plan = route.plan
    if plan is None:
        return []
    from aggregates.commands.base import term_bounds  # noqa: PLC0415 - commands import this module

    shortest, longest = term_bounds(plan.starts_on, target.term_min_months, target.term_max_months)
    if shortest <= plan.ends_on <= longest:
        return []
    return [
        Obstacle(
            "term",
            "edition",
            f"срок ИОМ {plan.starts_on:%d.%m.%Y}–{plan.ends_on:%d.%m.%Y} вне сроков редакции"
            f" {target.key}: от {target.term_min_months} до {target.term_max_months} мес.",
        )
    ]


# The mapping applied.


def _plan(plan: Plan, mapping: EditionMapping) -> Plan:
    activities = [
        a.model_copy(
            update={
                "competences": _unique(mapping.competence(c) for c in a.competences),
                "direction": mapping.direction(a.direction),
            }
        )
        for a in plan.activities
    ]
    return plan.model_copy(update={"activities": activities})


def _diagnostic(diagnostic: Diagnostic | None, mapping: EditionMapping) -> Diagnostic | None:
    if diagnostic is None:
        return None
    tasks = [
        t.model_copy(update={"competences": _unique(mapping.competence(c) for c in t.competences)})
        for t in diagnostic.tasks
    ]
    return diagnostic.model_copy(update={"tasks": tasks})


def _levels(levels: dict[str, int], mapping: EditionMapping) -> dict[str, int]:
    """Levels under the new codes; merged competences keep the lower level (the deficit)."""
    merged: dict[str, int] = {}
    for code, level in levels.items():
        new = mapping.competence(code)
        merged[new] = min(merged.get(new, level), level)
    return merged


def _diagnostic_codes(diagnostic: Diagnostic | None, levels: dict[str, int]) -> list[str]:
    tasks = diagnostic.tasks if diagnostic else []
    return [*levels, *(c for t in tasks for c in t.competences)]


def _activities(plan: Plan | None) -> list[Activity]:
    return list(plan.activities) if plan else []


def _unique(codes: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(codes))


def _codes(entries: Iterable[Entry]) -> set[str]:
    return {entry.code for entry in entries}


def _roles(profile: Profile) -> set[str]:
    return {step.role.value for step in profile.agreement} | {
        party.role.value for party in profile.correction_reagreement
    }
