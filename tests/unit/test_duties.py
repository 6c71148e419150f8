"""Separation of duties: every rule of every shipped profile refuses one person in two of its
places, with the rule's clause and the places named in Russian, and appends nothing; distinct
people pass (the demo routes of every region, driven to the end elsewhere, are that case)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from aggregates.application import Routes
from aggregates.commands import (
    AgreeRoute,
    AssignMethodist,
    Command,
    RecordConclusions,
    SignConclusions,
)
from aggregates.errors import SeparationOfDutiesError
from aggregates.profiles import Profile, ProfileCatalogue, Stage, load_profiles
from aggregates.profiles.duties import PLACE_TITLES, Place, Separation
from aggregates.values import Actor, Role
from tests.unit.test_route_rules import (
    Scene,
    agree_correction,
    correction,
    done,
    final_steps,
    scene_at,
)

SHIPPED = ProfileCatalogue(load_profiles())
IMPL = Stage.IMPLEMENTATION


def refused(s: Scene, command: Command, actor: Actor, rule: Separation, *places: Place) -> None:
    """`command` by `actor` is refused under `rule`, naming `places`; nothing is appended."""
    before = s.route
    with pytest.raises(SeparationOfDutiesError) as caught:
        s.run(command, actor)
    error = caught.value
    assert error.rule == "separation_of_duties"
    assert rule.clause in error.message, error.message
    for place in places:
        assert f"«{PLACE_TITLES[place]}»" in error.message, error.message
    after = s.route
    assert after.version == before.version
    assert after.model_dump() == before.model_dump()


def holder(s: Scene, place: Place) -> str:
    """The person who holds `place` on the scene's route."""
    return s.route.holders[place][0]


def methodist_taking_another_place(s: Scene, rule: Separation) -> int:
    """The methodist replaced by someone who already holds another place of `rule`."""
    others = [p for p in rule.places if p is not Place.METHODIST and p in s.route.holders]
    assert others, "the demo route holds none of the rule's other places"
    for place in others:
        replace = AssignMethodist(
            methodist_id=holder(s, place), order="Приказ № 7 от 01.06.2026", reason="Отпуск"
        )
        refused(s, replace, s.actor(Role.OPERATOR), rule, Place.METHODIST, place)
    return len(others)


def teacher_assessing_as_employer(s: Scene, rule: Separation) -> int:
    teacher = s.actor(Role.TEACHER)
    refused(s, done(s), teacher, rule, Place.TEACHER, Place.EMPLOYER_ASSESSMENT)
    s.run(done(s), Role.DEPUTY_HEAD)  # the employer assesses: accepted
    assert s.route.activities["a1"].employer_assessment
    return 1


def corrector_agreeing(s: Scene, rule: Separation) -> int:
    """The author of a correction answers it in a party's role they also hold in life (the
    teacher who heads the school's МО)."""
    assert Role.TEACHER in s.profile.correctors
    author = Role.TEACHER
    s.run(correction(s), author)
    awaiting = s.route.corrections[-1].awaiting
    assert awaiting
    same_person = Actor(id=s.actor(author).id, role=awaiting[0])
    refused(s, agree_correction(s), same_person, rule, Place.CORRECTOR, Place.CORRECTION_AGREEMENT)
    s.run(agree_correction(s), awaiting[0])  # the party itself: accepted
    return 1


Scenario = Callable[[Scene, Separation], int]


def scenario(rule: Separation) -> Scenario:
    """The way to breach `rule` on a route in implementation."""
    places = set(rule.places)
    if Place.METHODIST in places:
        return methodist_taking_another_place
    if places == {Place.TEACHER, Place.EMPLOYER_ASSESSMENT}:
        return teacher_assessing_as_employer
    if places == {Place.CORRECTOR, Place.CORRECTION_AGREEMENT}:
        return corrector_agreeing
    raise AssertionError(f"no scenario breaches {rule}")


RULES = [
    pytest.param(profile.id, index, id=f"{profile.id}-{index}")
    for profile in SHIPPED.editions()
    for index, _ in enumerate(profile.separation_of_duties)
]


def test_the_regulations_that_name_different_officials_have_rules() -> None:
    ruled = {p.id for p in SHIPPED.editions() if p.separation_of_duties}
    assert ruled == {"sakha", "balakhta", "chelyabinsk", "sovetsky"}
    sakha = SHIPPED.latest("sakha")
    assert sakha.separates(Place.METHODIST, Place.CENTRE_HEAD)
    assert sakha.separates(Place.CENTRE_HEAD, Place.SCHOOL_HEAD)
    assert SHIPPED.latest("balakhta").separates(Place.TEACHER, Place.EMPLOYER_ASSESSMENT)
    assert not SHIPPED.latest("sakha").separates(Place.TEACHER, Place.EMPLOYER_ASSESSMENT)
    # The Алгоритм lets the deputy head or the МО head take the methodist's place (I).
    assert not SHIPPED.latest("algorithm").separation_of_duties


@pytest.mark.parametrize(("region", "index"), RULES)
def test_each_rule_of_each_profile_is_refused_with_its_clause(
    app: Routes, region: str, index: int
) -> None:
    s = scene_at(app, region, IMPL)
    rule = s.profile.separation_of_duties[index]
    assert scenario(rule)(s, rule) >= 1


def test_sakha_agreement_parties_are_different_people(app: Routes) -> None:
    s = scene_at(app, "sakha", Stage.AGREEMENT)
    rule = s.profile.separation_of_duties[0]
    plan_hash = s.route.plan_hash or ""
    s.run(AgreeRoute(plan_hash=plan_hash), Role.METHODIST)
    s.run(AgreeRoute(plan_hash=plan_hash), Role.TEACHER)
    methodist = s.actor(Role.METHODIST).id
    as_centre_head = Actor(id=methodist, role=Role.CENTRE_HEAD)
    refused(s, AgreeRoute(plan_hash=plan_hash), as_centre_head, rule, Place.METHODIST)
    s.run(AgreeRoute(plan_hash=plan_hash), Role.CENTRE_HEAD)
    centre_head = s.actor(Role.CENTRE_HEAD).id
    as_school_head = Actor(id=centre_head, role=Role.SCHOOL_HEAD)
    refused(
        s, AgreeRoute(plan_hash=plan_hash), as_school_head, rule, Place.CENTRE_HEAD,
        Place.SCHOOL_HEAD,
    )  # fmt: skip
    s.run(AgreeRoute(plan_hash=plan_hash), Role.SCHOOL_HEAD)
    assert s.route.stage is IMPL


def test_sakha_conclusions_are_signed_by_another_person_than_their_author(app: Routes) -> None:
    s = scene_at(app, "sakha", Stage.FINAL)
    rule = s.profile.separation_of_duties[0]
    final_steps(s)
    s.run(RecordConclusions(outcome="completed", text="ИОМ пройден успешно"), Role.METHODIST)
    methodist_signing = Actor(id=s.actor(Role.METHODIST).id, role=Role.SCHOOL_HEAD)
    refused(s, SignConclusions(), methodist_signing, rule, Place.METHODIST, Place.SCHOOL_HEAD)
    s.run(SignConclusions(), Role.SCHOOL_HEAD)
    assert s.route.conclusions is not None and not s.route.conclusions.awaiting


def test_a_profile_rule_names_distinct_places_and_its_clause() -> None:
    edition: dict[str, Any] = SHIPPED.latest("sakha").model_dump(mode="json")
    edition["separation_of_duties"] = [{"places": ["methodist", "methodist"], "clause": "3.4"}]
    with pytest.raises(ValueError, match="distinct"):
        Profile.model_validate(edition)
    edition["separation_of_duties"] = [{"places": ["methodist", "school_head"]}]
    with pytest.raises(ValueError, match="clause"):
        Profile.model_validate(edition)


def test_an_edition_stored_before_the_rules_loads_without_them() -> None:
    """A route opened by older code copied a profile with no rules and roles only for the
    correction's parties: it loads, keeps no rule, and each such party covers every part."""
    edition: dict[str, Any] = SHIPPED.latest("balakhta").model_dump(mode="json")
    del edition["separation_of_duties"]
    edition["correction_reagreement"] = ["mo_head"]
    old = Profile.model_validate(edition)
    assert old.separation_of_duties == []
    [party] = old.correction_reagreement
    assert party.role is Role.MO_HEAD
    assert len(party.covers) == len(set(party.covers)) == 8
