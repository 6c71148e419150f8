"""A route suggested from the teacher's deficits (ИОМ предлагается по дефицитам): a draft plan
the designer edits and sends as `design_route`; nothing is saved here.

Each deficit of the input diagnostic (a competence below the scale's top) is answered by the
catalogue's programmes meant for that competence at that level and by the regulation's kinds of
activity that build it (`Profile.activity_kinds`), each activity with the deficits it answers
(«почему предложено»). Where the regulation says the route targets the lowest levels first
(Chelyabinsk: «в первую очередь направлено на повышение сформированности компетенций,
находящихся на низком уровне»), the deficits go lowest first and the route starts with them.
The term starts today in the region and lasts a year within the regulation's bounds; each
deficit has its stretch of it in turn, and a programme with dates outside the term is not
proposed. A deficit nothing answers is named as such.

The plan is built as a `design_route` would be checked: its texts and dates pass the same
models and rules, so a suggestion with every deficit answered is accepted unchanged.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Final
from uuid import UUID

from aggregates.commands.base import add_months
from aggregates.profiles import ActivityKind, Profile
from aggregates.programmes.catalogue import Catalogue
from aggregates.programmes.values import FORMAT_TITLES, Programme
from aggregates.route import Route
from aggregates.values import (
    Activity,
    ActivityLevel,
    Code,
    FinalPublicEvent,
    Plan,
    ProgrammeRef,
    Value,
)

TERM_MONTHS: Final = 12
"""A suggested route's term, within the regulation's bounds."""
PROGRAMMES_PER_DEFICIT: Final = 1
KINDS_PER_DEFICIT: Final = 1
PROGRAMME_RESULT: Final = "Удостоверение о повышении квалификации"
FINAL_EVENT_DAYS: Final = 14
"""The final public event is suggested this many days before the term's end."""


class Deficit(Value):
    """A competence the input diagnostic found below the scale's top."""

    competence: Code
    name: str
    level: int
    level_name: str


class Reason(Value):
    """Почему предложено: the deficits an activity answers, in words."""

    activity_id: Code
    competences: list[Code]
    why: str


class Suggestion(Value):
    """A draft plan from the deficits; not saved. `plan` is None when no deficit is answered."""

    route_id: UUID
    catalogue_version: int
    deficits: list[Deficit]
    plan: Plan | None
    reasons: list[Reason]
    unanswered: list[Deficit]


@dataclass
class _Draft:
    """An activity being suggested, before it becomes the plan's `Activity`."""

    title: str
    competences: list[str]
    level: ActivityLevel
    organiser: str
    starts_on: date
    ends_on: date
    result_form: str
    why: list[str]
    direction: str | None = None
    programme: ProgrammeRef | None = None
    number: str = field(default="")


def deficits_of(route: Route) -> list[Deficit]:
    """The route's deficits, in the order the route takes them: lowest level first where the
    regulation says so, else in the regulation's order of competences."""
    profile = route.profile
    order = {entry.code: index for index, entry in enumerate(profile.competences)}
    lacking = [code for code, level in route.input_levels.items() if level < len(profile.levels)]

    def rank(code: str) -> tuple[int, int]:
        first = route.input_levels[code] if profile.lowest_levels_first else 0
        return first, order.get(code, len(order))

    return [
        Deficit(
            competence=code,
            name=profile.competence_name(code),
            level=route.input_levels[code],
            level_name=profile.level_name(route.input_levels[code]),
        )
        for code in sorted(lacking, key=rank)
    ]


def suggest(route: Route, catalogue: Catalogue, today: date) -> Suggestion:
    """The plan suggested for `route` from `catalogue` (the region's, at its version), its
    term starting `today` (a date in the region)."""
    profile = route.profile
    deficits = deficits_of(route)
    months = min(max(TERM_MONTHS, profile.term_min_months), profile.term_max_months)
    starts_on, ends_on = today, add_months(today, months) - timedelta(days=1)
    drafts: list[_Draft] = []
    unanswered: list[Deficit] = []
    stretch = (ends_on - starts_on) // max(len(deficits), 1)
    weakest = deficits[0].level if deficits else 0
    earliest_weakest: date | None = None
    programmes = catalogue.listed()
    for index, deficit in enumerate(deficits):
        opens = starts_on + stretch * index
        first_level = profile.lowest_levels_first and deficit.level == weakest
        not_before = None if first_level else earliest_weakest
        found = _programmes(
            deficit,
            programmes=programmes,
            drafts=drafts,
            version=catalogue.version,
            profile=profile,
            opens=opens,
            term=(starts_on, ends_on),
            not_before=not_before,
        )
        found += _kinds(deficit, profile, opens, ends_on)
        if not found and not any(deficit.competence in d.competences for d in drafts):
            unanswered.append(deficit)
        drafts.extend(found)
        if first_level and found:
            first = min(draft.starts_on for draft in found)
            earliest_weakest = first if earliest_weakest is None else min(earliest_weakest, first)
    answered = [d for d in deficits if d not in unanswered]
    plan = _plan(route, answered, drafts, starts_on, ends_on) if drafts else None
    reasons = [
        Reason(activity_id=f"a{number}", competences=draft.competences, why="; ".join(draft.why))
        for number, draft in enumerate(drafts, start=1)
    ]
    return Suggestion(
        route_id=route.id,
        catalogue_version=catalogue.version,
        deficits=deficits,
        plan=plan,
        reasons=reasons,
        unanswered=unanswered,
    )


def _why(deficit: Deficit) -> str:
    return f"дефицит: {deficit.name} — уровень «{deficit.level_name}» по входной диагностике"


def _programmes(
    deficit: Deficit,
    *,
    programmes: list[Programme],
    drafts: list[_Draft],
    version: int,
    profile: Profile,
    opens: date,
    term: tuple[date, date],
    not_before: date | None,
) -> list[_Draft]:
    """The catalogue's programmes for the deficit (one already proposed for another deficit
    answers this one too: it is noted on it, not proposed twice)."""
    found: list[_Draft] = []
    for programme in programmes:
        if len(found) == PROGRAMMES_PER_DEFICIT:
            break
        if not programme.answers(deficit.competence, deficit.level):
            continue
        why = f"{_why(deficit)}; программа ДПП № {programme.registry_number} предназначена для него"
        taken = next((d for d in drafts if d.number == programme.registry_number), None)
        if taken is not None:
            taken.competences.append(deficit.competence)
            taken.why.append(why)
            found.append(taken)
            continue
        dates = _programme_dates(programme, opens, term)
        if dates is None or (not_before is not None and dates[0] < not_before):
            continue
        found.append(
            _Draft(
                title=f"Обучение по ДПП «{programme.title}» ({programme.hours} ч,"
                f" {FORMAT_TITLES[programme.format]})",
                competences=[deficit.competence],
                level=programme.level,
                organiser=programme.provider,
                starts_on=dates[0],
                ends_on=dates[1],
                result_form=PROGRAMME_RESULT,
                why=[why],
                direction=profile.programme_direction,
                programme=ProgrammeRef(
                    registry_number=programme.registry_number, catalogue_version=version
                ),
                number=programme.registry_number,
            )
        )
    return [draft for draft in found if draft.number not in {d.number for d in drafts}]


def _programme_dates(
    programme: Programme, opens: date, term: tuple[date, date]
) -> tuple[date, date] | None:
    """The programme's own dates where it has them (None when they fall outside the term),
    else a stretch of four weeks from `opens`."""
    if programme.starts_on is None or programme.ends_on is None:
        return opens, min(opens + timedelta(weeks=4), term[1])
    if programme.starts_on < term[0] or programme.ends_on > term[1]:
        return None
    return programme.starts_on, programme.ends_on


def _kinds(deficit: Deficit, profile: Profile, opens: date, closes: date) -> list[_Draft]:
    """The regulation's kinds of activity that build the deficit's competence (those naming it
    before those for any competence)."""
    fitting = [k for k in profile.activity_kinds if deficit.competence in k.competences]
    fitting += [k for k in profile.activity_kinds if not k.competences]
    return [_kind_draft(kind, deficit, opens, closes) for kind in fitting[:KINDS_PER_DEFICIT]]


def _kind_draft(kind: ActivityKind, deficit: Deficit, opens: date, closes: date) -> _Draft:
    return _Draft(
        title=f"{kind.title} ({deficit.name})",
        competences=[deficit.competence],
        level=kind.level,
        organiser=kind.organiser,
        starts_on=opens,
        ends_on=min(opens + timedelta(weeks=kind.weeks), closes),
        result_form=kind.result_form,
        why=[f"{_why(deficit)}; вид мероприятия по регламенту: {kind.title}"],
        direction=kind.direction,
    )


def _plan(
    route: Route, deficits: list[Deficit], drafts: list[_Draft], starts_on: date, ends_on: date
) -> Plan:
    profile = route.profile
    names = ", ".join(deficit.name for deficit in deficits)
    diagnostic = route.input_diagnostic
    found = "; ".join(f"{d.name} — уровень «{d.level_name}»" for d in deficits)
    taken = f" {diagnostic.taken_on:%d.%m.%Y} ({diagnostic.platform})" if diagnostic else ""
    codes = {deficit.competence for deficit in deficits}
    difficulties = sorted(
        {
            task.difficulties
            for task in (diagnostic.tasks if diagnostic else [])
            if task.difficulties and codes & set(task.competences)
        }
    )
    goal = "Повысить уровень сформированности компетенций, в которых выявлены дефициты"
    if profile.lowest_levels_first:
        goal += f", в первую очередь находящихся на уровне «{profile.level_name(1)}»"
    final_on = max(starts_on, ends_on - timedelta(days=FINAL_EVENT_DAYS))
    final = FinalPublicEvent(
        form="Мастер-класс",
        title="Представление результатов ИОМ педагогическому сообществу",
        level=ActivityLevel.SCHOOL,
        starts_on=final_on,
        ends_on=final_on,
    )
    forms = sorted({draft.result_form for draft in drafts})
    return Plan(
        topic=f"Преодоление профессиональных дефицитов: {names}",
        relevance=f"Входная диагностика{taken} выявила профессиональные дефициты: {found}.",
        goal=goal + ".",
        tasks=[f"Повысить уровень: {d.name} (сейчас «{d.level_name}»)." for d in deficits][:30],
        request="; ".join(difficulties) or f"Затруднения в компетенциях: {names}.",
        expected_results=f"Повышение уровня компетенций ({names}) по итоговой диагностике;"
        f" продукты: {', '.join(forms)}.",
        starts_on=starts_on,
        ends_on=ends_on,
        activities=[
            Activity(
                id=f"a{number}",
                title=draft.title,
                competences=draft.competences,
                direction=draft.direction,
                level=draft.level,
                organiser=draft.organiser,
                starts_on=draft.starts_on,
                ends_on=draft.ends_on,
                result_form=draft.result_form,
                programme=draft.programme,
            )
            for number, draft in enumerate(drafts, start=1)
        ],
        final_public_event=final if profile.requires_final_public_event else None,
    )
