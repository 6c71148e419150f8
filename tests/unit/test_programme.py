"""The Алгоритм's substance of a plan (seed 003, этап II): each task's ways and checks, the
resource map, the groups of teachers. The Алгоритм's profile requires them; other regions' plans
may carry them; a refusal names the field and the rule in Russian and writes nothing. Editions
and plans stored before they existed read as they were: their forms, their plans' hashes."""

from __future__ import annotations

import hashlib
import json
from typing import Any

import pytest

from aggregates.application import Routes
from aggregates.commands import DesignRoute
from aggregates.errors import InvalidCommandError
from aggregates.forms import command_schema
from aggregates.profiles import Profile, ProfileCatalogue, Stage
from aggregates.profiles.documents import STORED_FORMS
from aggregates.values import GroupKind, Plan, ProgrammeTask, Resource, ResourceKind, TeacherGroup
from tests.support.plans import build_plan, deficit_groups
from tests.unit.test_route_rules import Scene, scene_at


def designed(s: Scene, **changes: Any) -> Plan:
    plan = build_plan(s.profile, deficit_groups(s.route), teacher_id=s.route.teacher_id)
    return plan.model_copy(update=changes)


def refused(s: Scene, plan: Plan, field: str, words: str) -> None:
    version = s.route.version
    with pytest.raises(InvalidCommandError, match=words) as error:
        s.run(DesignRoute(plan=plan), s.profile.designers[0])
    assert error.value.field == field
    assert s.route.version == version  # nothing written


def test_the_algorithm_requires_its_programme_resource_map_and_group(app: Routes) -> None:
    s = scene_at(app, "algorithm", Stage.DESIGN)
    refused(
        s,
        designed(s, programme=designed(s).programme[:1]),
        "plan.programme",
        "не указаны способы реализации и процедуры проверки задач № 2",
    )
    social = [r for r in designed(s).resources if r.kind is not ResourceKind.SOCIAL]
    refused(s, designed(s, resources=social), "plan.resources", "социально-общественные")
    refused(s, designed(s, groups=[]), "plan.groups", "ни в одну группу")
    s.run(DesignRoute(plan=designed(s)), s.profile.designers[0])
    plan = s.route.plan
    assert plan is not None and len(plan.programme) == len(plan.tasks)
    assert s.route.teacher_id in plan.groups[0].members


def test_a_programme_names_real_tasks_and_a_group_has_the_routes_teacher(app: Routes) -> None:
    s = scene_at(app, "algorithm", Stage.DESIGN)
    extra = ProgrammeTask(task=3, ways=["Курсы"], checks=["Тест"])
    refused(
        s,
        designed(s, programme=[*designed(s).programme, extra]),
        "plan.programme[2].task",
        "задачи № 3 нет",
    )
    twice = designed(s).programme[0]
    refused(s, designed(s, programme=[twice, twice]), "plan.programme", "дважды")
    group = designed(s).groups[0].model_copy(update={"members": ["teacher-other"]})
    refused(s, designed(s, groups=[group]), "plan.groups[0].members", "не входит в группу")
    held = Resource(
        kind=ResourceKind.INFORMATION, title="Сайт", gives="материалы", holder="teacher-1"
    )
    resources = [*designed(s).resources, held]
    refused(s, designed(s, resources=resources), "plan.resources[5].holder", "собственного")


def test_other_regions_may_carry_the_programme_without_being_required_to(app: Routes) -> None:
    s = scene_at(app, "chelyabinsk", Stage.DESIGN)
    assert not s.profile.requires_programme
    s.run(DesignRoute(plan=designed(s)), s.profile.designers[0])  # none of it
    group = TeacherGroup(
        id="project_1", kind=GroupKind.PROJECT, topic="Проект", members=[s.route.teacher_id]
    )
    s.run(DesignRoute(plan=designed(s, groups=[group])), s.profile.designers[0])
    assert s.route.plan is not None and s.route.plan.groups == [group]


def test_the_algorithm_schema_requires_what_its_profile_requires(
    profiles: ProfileCatalogue,
) -> None:
    schema = command_schema(
        DesignRoute,
        DesignRoute.required_by(profiles.latest("algorithm")),
        profiles.latest("algorithm"),
    )
    plan = schema["$defs"]["Plan"]
    assert {"programme", "resources", "groups"} <= set(plan["required"])
    assert plan["properties"]["groups"]["minItems"] == 1
    other = command_schema(DesignRoute, {}, profiles.latest("sakha"))["$defs"]["Plan"]
    assert "programme" not in other.get("required", [])


def test_a_plan_stored_before_the_programme_keeps_its_hash() -> None:
    plan = build_plan(ProfileCatalogue.load().latest("sakha"), [["subject"]])
    stored = plan.model_dump(mode="json")
    for name in ("programme", "resources", "groups"):
        del stored[name]  # as older code wrote it
    again = Plan.model_validate(stored)
    assert again == plan and again.content_hash() == plan.content_hash()
    old_way = json.dumps(stored, sort_keys=True, ensure_ascii=False)
    assert plan.content_hash() == hashlib.sha256(old_way.encode()).hexdigest()


def test_an_edition_stored_before_profiles_named_forms_reads_with_its_regions_forms(
    profiles: ProfileCatalogue,
) -> None:
    for edition in profiles.editions():
        stored = edition.model_dump(mode="json")
        del stored["documents"]
        assert Profile.model_validate(stored).documents.forms == STORED_FORMS[edition.id]
        assert edition.documents.forms == STORED_FORMS[edition.id]  # the files name the same
    stored = profiles.latest("chelyabinsk").model_dump(mode="json") | {"id": "tomsk"}
    del stored["documents"]
    assert Profile.model_validate(stored).documents.offered() == ("iom",)
