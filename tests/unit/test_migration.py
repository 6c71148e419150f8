"""Moving a running route to a new edition of its regulation: the mapping checked against the
route before anything is written, the route under the new edition after, its history."""

from __future__ import annotations

import random
import uuid
from types import SimpleNamespace
from typing import Any, cast

import pytest

from activities.bulk import ACTIONS, RouteHands, Stamp
from aggregates.application import Routes, project_route
from aggregates.commands import AgreeRoute, CancelRoute, MigrateRoute
from aggregates.deadlines import deadlines
from aggregates.errors import DomainError, InvalidCommandError, StageError
from aggregates.events import RegulationChanged
from aggregates.migration import EditionMapping, problems
from aggregates.profiles import Stage
from aggregates.summaries import describe
from aggregates.values import Actor, Role
from projections.documents.render import route_document
from tests.support.profiles import with_new_editions
from workers.demo import DemoRoute

OPERATOR = Actor(id="op-1", role=Role.OPERATOR)
MERGED = {"communicative": "psych_communicative", "psych_pedagogical": "psych_communicative"}
"""sakha@2 merges these two competences of sakha@1 into one."""


def demo(app: Routes, index: int = 1) -> DemoRoute:
    """A Sakha route to open under edition 1 (the newest the deployment knows so far)."""
    profile = app.profiles.edition("sakha", 1)
    return DemoRoute(app, profile, index, random.Random(index), app.clock().date())


def published(app: Routes) -> None:
    """The deployment learns sakha@2 (a new edition's file, then a restart)."""
    app.profiles = with_new_editions()


def signed_by_both(app: Routes) -> DemoRoute:
    """A sakha@1 route in its agreement, signed by methodist and teacher: waiting on round 2;
    sakha@2 published since."""
    route = demo(app)
    route.drive_to(Stage.AGREEMENT)
    plan_hash = app.route(route.route_id).plan_hash or ""
    for role in (Role.METHODIST, Role.TEACHER):
        route.run(AgreeRoute(plan_hash=plan_hash), role, f"agree-{role}")
    published(app)
    return route


def migrate(**given: Any) -> MigrateRoute:
    fields: dict[str, Any] = {
        "edition": "sakha@2",
        "mapping": {"competences": MERGED},
        "order": "Приказ № 01-03/0000",
        "reason": "Новая редакция положения",
        "ticket": "OPS-19",
    }
    return MigrateRoute.model_validate(fields | given)


def test_a_route_moves_to_the_new_edition_and_follows_it(app: Routes) -> None:
    route = signed_by_both(app)
    before = app.route(route.route_id)
    assert before.pending_parties() == [Role.CENTRE_HEAD]
    levels = before.input_levels

    receipt = app.execute(route.route_id, migrate(), OPERATOR, "migrate-1")

    assert receipt.events == ["RegulationChanged"]
    after = app.route(route.route_id)
    assert after.profile.key == "sakha@2"
    assert after.stage is Stage.AGREEMENT
    merged = min(levels["communicative"], levels["psych_pedagogical"])
    assert after.input_levels["psych_communicative"] == merged, "the lower level stands"
    assert "communicative" not in after.input_levels
    codes = {c for a in after.plan.activities for c in a.competences} if after.plan else set()
    assert codes <= {entry.code for entry in after.profile.competences}
    assert after.plan is not None
    assert after.plan_hash == after.plan.content_hash()
    # The new edition's agreement: the МО joins round 2, the centre head has 10 days, not 5.
    assert after.pending_parties() == [Role.MO_HEAD, Role.CENTRE_HEAD]
    assert after.round_started is not None
    due = {d.key: d.due_on for d in deadlines(after)}
    started = after.round_started.astimezone(app.clock().tzinfo).date()
    assert (due["agreement:centre_head"] - started).days >= 10
    assert "agreement:mo_head" in due

    [event] = app.history(route.route_id)[-1:]
    assert isinstance(event, RegulationChanged)
    assert (event.previous, event.profile.key, event.order) == (
        "sakha@1",
        "sakha@2",
        "Приказ № 01-03/0000",
    )
    assert event.mapping.competences == MERGED
    line = describe(event, after.profile)
    assert "с редакции sakha@1 на редакцию sakha@2" in line
    assert "Приказ № 01-03/0000" in line
    assert "OPS-19" in line
    assert after.profile.stage_names[Stage.IMPLEMENTATION] == "Практический этап ИОМ"


def test_the_moved_route_replays_from_its_events(app: Routes) -> None:
    route = signed_by_both(app)
    app.execute(route.route_id, migrate(), OPERATOR, "migrate-1")
    replayed = project_route(None, app.history(route.route_id))
    assert replayed is not None
    assert replayed.model_dump() == app.route(route.route_id).model_dump()


def test_a_retried_move_appends_nothing(app: Routes) -> None:
    route = signed_by_both(app)
    first = app.execute(route.route_id, migrate(), OPERATOR, "migrate-1")
    again = app.execute(route.route_id, migrate(), OPERATOR, "migrate-1")
    assert again.replayed
    assert again.version == first.version
    assert len(app.history(route.route_id)) == first.version


def test_a_route_that_cannot_move_is_left_as_it_was(app: Routes) -> None:
    route = signed_by_both(app)
    version = app.route(route.route_id).version
    with pytest.raises(InvalidCommandError) as refused:
        app.execute(route.route_id, migrate(mapping={}), OPERATOR, "migrate-1")
    assert refused.value.rule == "mapping_competence"
    assert refused.value.field == "mapping.competences.communicative"
    assert "«communicative» (входная диагностика)" in refused.value.message
    assert "«psych_pedagogical»" in refused.value.message
    assert "sakha@2" in refused.value.message
    assert app.route(route.route_id).version == version
    assert app.route(route.route_id).profile.key == "sakha@1"


def test_a_preview_decides_without_writing(app: Routes) -> None:
    route = signed_by_both(app)
    version = app.route(route.route_id).version
    decision = app.decide(route.route_id, migrate(), OPERATOR, "migrate-1")
    assert decision.route.profile.key == "sakha@2"
    assert app.route(route.route_id).version == version


def test_agreement_sent_back_to_design_starts_again(app: Routes) -> None:
    route = signed_by_both(app)
    mapping = {"competences": MERGED, "stages": {"agreement": "design"}}
    app.execute(route.route_id, migrate(mapping=mapping), OPERATOR, "migrate-1")
    after = app.route(route.route_id)
    assert (after.stage, after.agreements, after.round_started) == (Stage.DESIGN, [], None)


def refusal(app: Routes, route: DemoRoute, **given: Any) -> DomainError:
    with pytest.raises(DomainError) as refused:
        app.execute(route.route_id, migrate(**given), OPERATOR, "migrate-x")
    return refused.value


@pytest.mark.parametrize(
    ("given", "rule", "field", "words"),
    [
        ({"edition": "sakha@1"}, "edition_not_newer", "edition", "только на более новую"),
        ({"edition": "balakhta@1"}, "edition_region", "edition", "другого региона"),
        ({"edition": "sakha@9"}, "edition_unknown", "edition", "нет редакции 9"),
        ({"edition": "sakha"}, "edition_unknown", "edition", "ожидается id@версия"),
        (
            {"mapping": {"competences": MERGED | {"civic": "subject"}}},
            "mapping_unknown",
            "mapping.competences.civic",
            "«civic» нет в редакции sakha@1",
        ),
        (
            {"mapping": {"competences": {**MERGED, "ict": "digital"}}},
            "mapping_target",
            "mapping.competences.ict",
            "«ict» переводится в «digital», а его нет в редакции sakha@2",
        ),
        (
            {"mapping": {"competences": MERGED, "agreement": {"teacher": "deputy_head"}}},
            "mapping_target",
            "mapping.agreement.teacher",
            "участников согласования: «teacher» переводится в «deputy_head»",
        ),
        (
            {"mapping": {"competences": MERGED, "stages": {"agreement": "implementation"}}},
            "mapping_stage",
            "mapping.stages.agreement",
            "нельзя перевести в этап «Практический этап ИОМ»",
        ),
        (
            {"mapping": {"competences": MERGED, "stages": {"final": "completed"}}},
            "mapping_stage",
            "mapping.stages.final",
            "этап «Заключительный этап», нельзя перевести в этап «ИОМ завершён»",
        ),
    ],
)
def test_each_rule_names_its_item(
    app: Routes, given: dict[str, Any], rule: str, field: str, words: str
) -> None:
    route = signed_by_both(app)
    error = refusal(app, route, **given)
    assert (error.rule, error.field) == (rule, field)
    assert words in error.message
    assert app.route(route.route_id).profile.key == "sakha@1"


def test_a_party_that_answered_must_have_a_place_in_the_new_edition(app: Routes) -> None:
    route = signed_by_both(app)
    target = app.profiles.edition("sakha", 2)
    without_teacher = target.model_copy(
        update={"agreement": [s for s in target.agreement if s.role is not Role.TEACHER]}
    )
    found = problems(app.route(route.route_id), without_teacher, EditionMapping(competences=MERGED))
    assert [(p.rule, p.field) for p in found] == [("mapping_step", "mapping.agreement.teacher")]
    assert "(согласование)" in found[0].message


def test_a_term_outside_the_new_bounds_is_refused(app: Routes) -> None:
    route = signed_by_both(app)
    target = app.profiles.edition("sakha", 2).model_copy(update={"term_max_months": 3})
    found = problems(app.route(route.route_id), target, EditionMapping(competences=MERGED))
    assert [p.rule for p in found] == ["term"]
    assert "от 3 до 3 мес." in found[0].message


def test_a_closed_route_is_not_moved(app: Routes) -> None:
    route = demo(app, 2)
    route.drive(Stage.COMPLETED)
    published(app)
    with pytest.raises(StageError):
        app.execute(route.route_id, migrate(), OPERATOR, "migrate-1")


def test_only_an_operator_moves_a_route(app: Routes) -> None:
    route = signed_by_both(app)
    with pytest.raises(DomainError, match="оператор"):
        app.execute(route.route_id, migrate(), Actor(id="c-1", role=Role.CENTRE_HEAD), "m-1")


def test_documents_show_the_edition_the_route_follows(app: Routes) -> None:
    route = demo(app, 3)
    route.drive(Stage.IMPLEMENTATION)
    published(app)
    before = document_text(app, route)
    app.execute(route.route_id, migrate(), OPERATOR, "migrate-1")
    after = document_text(app, route)
    assert "этап «Этап реализации ИОМ»; регламент sakha@1" in before
    assert "этап «Практический этап ИОМ»; регламент sakha@2" in after
    assert "психолого-педагогические и коммуникативные компетенции" in after


def document_text(app: Routes, route: DemoRoute) -> str:
    """The Карта ИОМ of the route now, as its document model (whose repr holds every
    paragraph and cell)."""
    document = route_document(app, route.route_id, "karta")
    return repr(document)


async def test_the_bulk_migrate_action_checks_each_route_without_writing(app: Routes) -> None:
    action = ACTIONS["migrate"]
    assert set(action.params.model_fields) == {"edition", "mapping", "order"}  # the rest stamped
    closed = demo(app, 2)
    closed.drive_to(Stage.DESIGN)
    cancel = CancelRoute(reason="Увольнение педагога", ticket="OPS-18")
    closed.run(cancel, Role.OPERATOR, "cancel-2")
    movable = signed_by_both(app)
    given = action.params.model_validate(
        {"edition": "sakha@2", "mapping": {"competences": MERGED}, "order": "Приказ № 1"}
    )
    stamp = Stamp(uuid.uuid4(), "op-1", "Новая редакция положения", "OPS-19")
    hands = cast(RouteHands, SimpleNamespace(routes=app))
    versions = {r.route_id: app.route(r.route_id).version for r in (movable, closed)}
    assert await action.check(hands, movable.route_id, given, stamp) is None  # it would move
    skipped = await action.check(hands, closed.route_id, given, stamp)
    assert skipped is not None and (skipped.status, skipped.rule) == ("skipped", "route_closed")
    unmapped = action.params.model_validate({"edition": "sakha@2", "order": "Приказ № 1"})
    refused = await action.check(hands, movable.route_id, unmapped, stamp)
    assert refused is not None and refused.status == "refused"
    assert {r.route_id: app.route(r.route_id).version for r in (movable, closed)} == versions
