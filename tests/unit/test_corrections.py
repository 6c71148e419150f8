"""Re-approval by the parties a correction touches: what a correction changes is derived from
the old and the new plan, it waits for exactly the parties whose agreement covers a changed part
(its profile's data), with their deadlines and notices, and each answer names the corrected plan."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest

from aggregates.application import Routes
from aggregates.deadlines import CORRECTION_DAYS, deadlines, timers
from aggregates.errors import InvalidCommandError
from aggregates.events import CorrectionAgreed, RouteCorrected
from aggregates.profiles import Stage
from aggregates.profiles.duties import CorrectionPart
from aggregates.values import Plan, ProgrammeTask, Role
from tests.unit.test_route_rules import Scene, agree_correction, correction, scene_at, with_activity

Part = CorrectionPart


def moved(plan: Plan) -> Plan:
    last = plan.activities[-1]
    return with_activity(plan, -1, starts_on=last.starts_on + timedelta(days=1))


def added(plan: Plan) -> Plan:
    extra = plan.activities[-1].model_copy(update={"id": "a99", "title": "Стажировка"})
    return plan.model_copy(update={"activities": [*plan.activities, extra]})


def removed(plan: Plan) -> Plan:
    return plan.model_copy(update={"activities": plan.activities[:-1]})


def term(plan: Plan) -> Plan:
    return plan.model_copy(update={"ends_on": plan.ends_on + timedelta(days=1)})


def final_event(plan: Plan) -> Plan:
    event = plan.final_public_event
    assert event is not None
    return plan.model_copy(
        update={"final_public_event": event.model_copy(update={"title": "Мастер-класс"})}
    )


CHANGES: dict[Part, Callable[[Plan], Plan]] = {
    Part.RESULT_FORMS: lambda p: with_activity(p, -1, result_form="публикация в сборнике"),
    Part.ACTIVITIES_REWRITTEN: lambda p: with_activity(
        p, -1, organiser="Муниципальный методический центр"
    ),
    Part.ACTIVITIES_MOVED: moved,
    Part.ACTIVITIES_ADDED: added,
    Part.ACTIVITIES_REMOVED: removed,
    Part.TERM: term,
    Part.FINAL_PUBLIC_EVENT: final_event,
    Part.GOALS: lambda p: p.model_copy(
        update={
            "tasks": [*p.tasks, "Подготовить публикацию"],
            # under the Алгоритм a new task comes with its ways and checks
            "programme": [
                *p.programme,
                ProgrammeTask(task=len(p.tasks) + 1, ways=["Статья"], checks=["Рецензия"]),
            ]
            if p.programme
            else [],
        }
    ),
}

REGIONS = ("sakha", "balakhta", "chelyabinsk", "sovetsky", "algorithm")

# What the regulations say, written out (the profiles' data must give the same).
EXPECTED: dict[tuple[str, Part], list[Role]] = {
    ("sakha", Part.RESULT_FORMS): [],
    ("sakha", Part.GOALS): [],
    ("sakha", Part.ACTIVITIES_REWRITTEN): [Role.CENTRE_HEAD],
    ("sakha", Part.ACTIVITIES_ADDED): [Role.CENTRE_HEAD],
    ("sakha", Part.ACTIVITIES_REMOVED): [Role.CENTRE_HEAD],
    ("sakha", Part.ACTIVITIES_MOVED): [Role.SCHOOL_HEAD],
    ("sakha", Part.TERM): [Role.SCHOOL_HEAD],
    ("sakha", Part.FINAL_PUBLIC_EVENT): [Role.SCHOOL_HEAD],
    **{("balakhta", part): [Role.MO_HEAD] for part in Part if part is not Part.RESULT_FORMS},
    ("balakhta", Part.RESULT_FORMS): [],
    **{("chelyabinsk", part): [Role.METHODIST] for part in Part if part is not Part.RESULT_FORMS},
    ("chelyabinsk", Part.RESULT_FORMS): [],
    **{("sovetsky", part): [] for part in Part},
    **{("algorithm", part): [] for part in Part},
}


def corrector(s: Scene) -> Role:
    """Who corrects: the teacher where the regulation lets them (Chelyabinsk, Balakhta)."""
    return Role.TEACHER if Role.TEACHER in s.profile.correctors else s.profile.correctors[0]


CASES = [
    pytest.param(region, part, id=f"{region}-{part}")
    for region in REGIONS
    for part in Part
    if not (part is Part.FINAL_PUBLIC_EVENT and region in ("balakhta", "chelyabinsk", "sovetsky"))
]


@pytest.mark.parametrize(("region", "part"), CASES)
def test_each_kind_of_change_asks_exactly_the_parties_its_profile_names(
    app: Routes, region: str, part: Part
) -> None:
    s = scene_at(app, region, Stage.IMPLEMENTATION)
    if part is Part.FINAL_PUBLIC_EVENT and s.plan.final_public_event is None:
        pytest.skip("the demo plan of this route has no final public event")
    new_plan = CHANGES[part](s.plan)
    s.run(correction(s, new_plan), corrector(s))

    event = app.history(s.route_id)[-1]
    assert isinstance(event, RouteCorrected)
    assert event.parts == [part]
    made = s.route.corrections[-1]
    assert made.parts == [part]
    assert made.plan_hash == new_plan.content_hash() == s.route.plan_hash
    assert made.awaiting == EXPECTED[(region, part)]
    covering = [
        p.role
        for p in s.profile.correction_reagreement
        if part in p.covers and p.role is not corrector(s)
    ]
    assert made.awaiting == covering  # the profile's data, nothing else, decides
    # Each awaited party has its deadline and its request; nobody else has.
    keys = {d.key for d in deadlines(s.route) if d.key.startswith("correction:")}
    assert keys == {f"correction:{made.number}:{role}" for role in made.awaiting}
    requested = {tuple(t.recipients) for t in timers(s.route) if t.kind == "correction_requested"}
    assert requested == {(role,) for role in made.awaiting}


def test_a_corrected_plan_of_several_changes_asks_each_party_once(app: Routes) -> None:
    s = scene_at(app, "sakha", Stage.IMPLEMENTATION)
    new_plan = term(added(with_activity(s.plan, 0, result_form="эссе")))
    s.run(correction(s, new_plan), Role.METHODIST)
    made = s.route.corrections[-1]
    assert made.parts == [Part.ACTIVITIES_ADDED, Part.RESULT_FORMS, Part.TERM]
    assert made.added == ["a99"]
    assert made.changed == [s.plan.activities[0].id]
    assert made.awaiting == [Role.CENTRE_HEAD, Role.SCHOOL_HEAD]


def test_each_answer_is_bound_to_the_corrected_plan(app: Routes) -> None:
    s = scene_at(app, "sakha", Stage.IMPLEMENTATION)
    old_hash = s.route.plan_hash
    s.run(correction(s, term(s.plan)), Role.METHODIST)
    made = s.route.corrections[-1]
    assert made.awaiting == [Role.SCHOOL_HEAD]
    stale = agree_correction(s).model_copy(update={"plan_hash": old_hash})
    version = s.route.version
    with pytest.raises(InvalidCommandError) as refused:
        s.run(stale, Role.SCHOOL_HEAD)
    assert refused.value.field == "plan_hash"
    assert "не та редакция" in refused.value.message
    assert s.route.version == version
    s.run(agree_correction(s), Role.SCHOOL_HEAD)
    agreed = app.history(s.route_id)[-1]
    assert isinstance(agreed, CorrectionAgreed)
    assert agreed.plan_hash == made.plan_hash == s.route.plan_hash
    assert s.route.corrections[-1].awaiting == []
    assert not [d for d in deadlines(s.route) if d.key.startswith("correction:")]


def test_the_school_heads_deadline_is_the_agreement_steps(app: Routes) -> None:
    """A party of the agreement answers a correction in its step's days; the deadline is in
    the route's region, counted from the correction."""
    s = scene_at(app, "sakha", Stage.IMPLEMENTATION)
    s.run(correction(s, term(s.plan)), Role.METHODIST)
    [deadline] = [d for d in deadlines(s.route) if d.key.startswith("correction:")]
    step = next(st for st in s.profile.agreement if st.role is Role.SCHOOL_HEAD)
    assert step.days_to_answer != CORRECTION_DAYS
    assert deadline.due_on == s.today() + timedelta(days=step.days_to_answer)


def test_an_event_stored_before_parts_and_bound_answers_still_loads(app: Routes) -> None:
    s = scene_at(app, "balakhta", Stage.IMPLEMENTATION)
    s.run(correction(s), Role.TEACHER)
    s.run(agree_correction(s), Role.MO_HEAD)
    corrected, agreed = app.history(s.route_id)[-2:]
    old_corrected = corrected.model_dump(exclude={"parts"})
    old_agreed = agreed.model_dump(exclude={"plan_hash"})
    assert RouteCorrected.model_validate(old_corrected).parts == []
    assert CorrectionAgreed.model_validate(old_agreed).plan_hash == ""
