"""Routes suggested from the deficits: every deficit answered or named unanswered, the lowest
levels first where the regulation says so, and the plan accepted by `design_route` unchanged.
Mass deficits propose the ДПП a region should order (Sakha диагностика 7.2)."""

from __future__ import annotations

from datetime import date

import pytest

from aggregates.application import Routes
from aggregates.commands import DesignRoute
from aggregates.programmes.orders import count_deficits, propose_orders
from aggregates.programmes.suggestion import Suggestion, suggest
from aggregates.values import Actor, Role
from tests.support.programmes import designed_scene, programme

CENTRE = Actor(id="centre-head", role=Role.CENTRE_HEAD)
TODAY = date(2026, 6, 15)  # the unit tier's clock, in both regions
CHELYABINSK = {"subject": 2, "methodical": 1, "psych_pedagogical": 1, "communicative": 3}
SAKHA = {"subject": 2, "methodical": 1, "ict": 3, "functional_literacy": 1, "communicative": 4}


def accepted_unchanged(app: Routes, region: str, levels: dict[str, int]) -> Suggestion:
    """The suggestion for a route of `region` with `levels`, sent as `design_route` unchanged."""
    route_id, demo = designed_scene(app, region, levels)
    route = app.route(route_id)
    found = suggest(route, app.catalogues.catalogue(region), TODAY)
    assert found.plan is not None
    designer = demo.actor(route.profile.designers[0])
    receipt = app.execute(route_id, DesignRoute(plan=found.plan), designer, "suggested")
    assert receipt.events == ["RouteDesigned"]
    assert app.route(route_id).plan == found.plan
    assert app.route(route_id).plan_hash == found.plan.content_hash()
    return found


def test_chelyabinsk_lowest_levels_first_every_deficit_answered(app: Routes) -> None:
    profile = app.profiles.latest("chelyabinsk")
    catalogue = [
        # the methodical deficit's programme is held within the term, from September
        programme(
            "Ч-1",
            {"methodical": [1, 2]},
            starts_on=date(2026, 9, 1),
            ends_on=date(2026, 9, 30),
        ),
        programme("Ч-2", {"psych_pedagogical": [1], "subject": [2]}),  # answers two deficits
        programme("Ч-3", {"subject": [2]}, starts_on=date(2028, 1, 10), ends_on=date(2028, 2, 1)),
        programme("Ч-4", {"communicative": [4]}),  # for another level than the teacher's
    ]
    app.catalogues.put(profile, catalogue, CENTRE, "c1")
    found = accepted_unchanged(app, "chelyabinsk", CHELYABINSK)
    plan = found.plan
    assert plan is not None

    # lowest first: низкий (methodical, psych_pedagogical), then базовый, then повышенный
    assert [(d.competence, d.level) for d in found.deficits] == [
        ("methodical", 1),
        ("psych_pedagogical", 1),
        ("subject", 2),
        ("communicative", 3),
    ]
    assert found.unanswered == []
    first = min(plan.activities, key=lambda activity: activity.starts_on)
    assert set(first.competences) & {"methodical", "psych_pedagogical"}
    # each deficit answered by an activity that builds it, with its reason
    reasons = {reason.activity_id: reason for reason in found.reasons}
    for deficit in found.deficits:
        answering = [a for a in plan.activities if deficit.competence in a.competences]
        assert answering, deficit
        for activity in answering:
            assert f"дефицит: {deficit.name} — уровень «{deficit.level_name}»" in (
                reasons[activity.id].why
            )
    refs = {a.programme.registry_number: a for a in plan.activities if a.programme}
    assert set(refs) == {"Ч-1", "Ч-2"}  # Ч-3 lies outside the term, Ч-4 is for another level
    assert refs["Ч-2"].competences == ["psych_pedagogical", "subject"]  # one activity, two
    assert (refs["Ч-1"].starts_on, refs["Ч-1"].ends_on) == (date(2026, 9, 1), date(2026, 9, 30))
    assert all(a.programme.catalogue_version == 1 for a in refs.values() if a.programme)
    assert all(plan.starts_on <= a.starts_on <= a.ends_on <= plan.ends_on for a in plan.activities)
    assert plan.final_public_event is None  # Chelyabinsk does not require one


def test_sakha_in_the_regulations_order_with_its_final_event(app: Routes) -> None:
    profile = app.profiles.latest("sakha")
    app.catalogues.put(profile, [programme("С-1", {"functional_literacy": [1, 2]})], CENTRE, "c")
    found = accepted_unchanged(app, "sakha", SAKHA)
    plan = found.plan
    assert plan is not None
    # Sakha does not put the lowest first: the regulation's order of competences
    assert [d.competence for d in found.deficits] == [
        "subject",
        "methodical",
        "ict",
        "functional_literacy",
    ]
    assert found.unanswered == []
    assert {code for a in plan.activities for code in a.competences} == {
        "subject",
        "methodical",
        "ict",
        "functional_literacy",
    }
    assert [a.programme.registry_number for a in plan.activities if a.programme] == ["С-1"]
    event = plan.final_public_event
    assert event is not None and plan.starts_on <= event.starts_on <= plan.ends_on
    assert "затруднение methodical" in plan.request  # the diagnostic's own difficulties


def test_a_deficit_nothing_answers_is_named(app: Routes) -> None:
    """Balakhta's kinds of activity build no managerial competence: only the catalogue could."""
    profile = app.profiles.latest("balakhta")
    app.catalogues.put(profile, [programme("Б-1", {"subject": [1, 2]})], CENTRE, "c")
    route_id, _ = designed_scene(app, "balakhta", {"subject": 1, "managerial": 2})
    found = suggest(app.route(route_id), app.catalogues.catalogue("balakhta"), TODAY)
    assert [d.competence for d in found.unanswered] == ["managerial"]
    assert found.plan is not None
    assert {code for a in found.plan.activities for code in a.competences} == {"subject"}
    assert app.route(route_id).plan is None  # nothing saved


REGULATION_KINDS = {
    # Балахта, Положение 3.4, 4.2.3–4.2.4, 5.2: one kind per deficit, under its direction
    "balakhta": (
        {"methodical": 1, "psych_pedagogical": 2},
        {
            (
                "Профессиональное самообразование: изучение методической литературы",
                "self_education",
            ),
        },
    ),
    # Советский, Порядок II.3: the direction the kind is named in
    "sovetsky": (
        {"subject": 2, "psych_pedagogical": 1, "ict": 1},
        {
            ("Разработка рабочей программы", "professional"),
            (
                "Освоение приёмов и методов мотивации, создание безопасной образовательной среды",
                "psych_pedagogical",
            ),
            (
                "Внедрение в образовательный процесс современных информационных технологий",
                "informational",
            ),
        },
    ),
    # Алгоритм II.1–3 and the implementation's groups and trainings
    "algorithm": (
        {"ict": 1, "communicative": 2, "personal": 1},
        {
            ("Освоение цифровых ресурсов профессиональных сообществ", "self_development"),
            ("Работа в проблемной, творческой или проектной группе", "methodical_support"),
            ("Тренинги, коуч-сессии и фасилитационные сессии", "methodical_support"),
        },
    ),
}


@pytest.mark.parametrize("region", sorted(REGULATION_KINDS))
def test_the_regulations_kinds_of_activity_are_offered(app: Routes, region: str) -> None:
    """Balakhta, Sovetsky and the Algorithm name kinds of activity: with an empty catalogue each
    deficit is answered by one of them, under its roadmap direction. `design_route` accepts the
    plan unchanged, but the Algorithm's: it also asks for the teacher's own programme, resource
    map and groups (II.1, II.3), which no suggestion writes."""
    levels, expected = REGULATION_KINDS[region]
    if region == "algorithm":
        route_id, _ = designed_scene(app, region, levels)
        found = suggest(app.route(route_id), app.catalogues.catalogue(region), TODAY)
    else:
        found = accepted_unchanged(app, region, levels)
    assert found.plan is not None and found.unanswered == []
    offered = {(a.title.rsplit(" (", 1)[0], a.direction) for a in found.plan.activities}
    assert offered == expected
    reasons = {reason.activity_id: reason.why for reason in found.reasons}
    assert all("вид мероприятия по регламенту" in reasons[a.id] for a in found.plan.activities)


def test_a_programme_goes_under_the_regions_programme_direction(app: Routes) -> None:
    """Balakhta's roadmap puts ДПП under «Курсы повышения квалификации, стажировки»."""
    profile = app.profiles.latest("balakhta")
    app.catalogues.put(profile, [programme("Б-2", {"managerial": [1]})], CENTRE, "c")
    found = accepted_unchanged(app, "balakhta", {"managerial": 1})
    assert found.plan is not None and found.unanswered == []
    (activity,) = found.plan.activities
    assert activity.programme is not None and activity.direction == "courses"


def test_mass_deficits_propose_programmes_or_ask_for_new_ones(app: Routes) -> None:
    profile = app.profiles.latest("sakha")
    app.catalogues.put(profile, [programme("С-1", {"methodical": [1]})], CENTRE, "c")
    routes = []
    for index, levels in enumerate(
        [
            {"methodical": 1, "ict": 1, "subject": 3},
            {"methodical": 1, "ict": 2, "subject": 3},
            {"methodical": 1, "ict": 1, "subject": 1},
            {"methodical": 2, "ict": 4, "subject": 4},
        ]
    ):
        route_id, _ = designed_scene(app, "sakha", levels, index=index + 1)
        routes.append(app.route(route_id))
    counted, counts = count_deficits(routes)
    assert counted == 4
    proposal = propose_orders(profile, app.catalogues.catalogue("sakha"), counts, counted, 0.5)
    assert [(o.competence, o.lowest, o.share) for o in proposal.orders] == [
        ("methodical", 3, 0.75),
        ("ict", 2, 0.5),
    ]  # subject: 1 of 4 at the lowest level, not mass at a half
    methodical, ict = proposal.orders
    assert [p.registry_number for p in methodical.programmes] == ["С-1"]
    assert not methodical.to_develop
    assert ict.to_develop and "разработать ДПП" in ict.advice
