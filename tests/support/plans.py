"""A route's plan for tests: the competences it targets, one activity per group of them in
sequence over the term, the final public event the region asks for, and the Алгоритм's
programme, resource map and group where the region requires them."""

from __future__ import annotations

from datetime import date, timedelta

from aggregates.commands.base import add_months
from aggregates.profiles import Profile
from aggregates.route import Route
from aggregates.values import (
    Activity,
    ActivityLevel,
    FinalPublicEvent,
    GroupKind,
    Plan,
    ProgrammeTask,
    Resource,
    ResourceKind,
    TeacherGroup,
)


def deficit_groups(route: Route, *, most: int | None = None) -> list[list[str]]:
    """The competences of a plan that keeps every region's rules: the weakest together first,
    then each other one lacking (at `most` of those)."""
    lacking = {code: level for code, level in route.input_levels.items() if level < 4}
    if not lacking:
        return [[route.profile.competences[0].code]]
    lowest = min(lacking.values())
    weakest = sorted(code for code, level in lacking.items() if level == lowest)
    rest = sorted(set(lacking) - set(weakest))[:most]
    return [weakest, *([code] for code in rest)]


REGION_DIRECTION = ""
"""`direction=` default: the region's first direction (None where it has none)."""


def build_plan(
    profile: Profile,
    groups: list[list[str]],
    *,
    starts_on: date = date(2026, 7, 1),
    months: int = 12,
    final: bool | None = None,
    topic: str = "Формирование функциональной грамотности обучающихся",
    direction: str | None = REGION_DIRECTION,
    teacher_id: str = "teacher-1",
) -> Plan:
    """A plan of one activity per competence group over `months` from `starts_on`; with the
    final public event if `final` (by default: if the region's profile requires one); with each
    task's ways and checks, a resource of each kind and a group of `teacher_id` and a colleague
    where the profile requires them."""
    ends_on = add_months(starts_on, months) - timedelta(days=1)
    span = max(1, (ends_on - starts_on).days // (len(groups) + 1))
    if direction == REGION_DIRECTION:
        direction = profile.directions[0].code if profile.directions else None
    activities = [
        Activity(
            id=f"a{number + 1}",
            title=f"Семинар-практикум № {number + 1} по теме ИОМ",
            competences=group,
            direction=direction,
            level=ActivityLevel.MUNICIPAL,
            organiser="муниципальный методический центр",
            starts_on=starts_on + timedelta(days=number * span),
            ends_on=starts_on + timedelta(days=(number + 1) * span - 1),
            result_form="открытый урок",
        )
        for number, group in enumerate(groups)
    ]
    with_final = profile.requires_final_public_event if final is None else final
    event = FinalPublicEvent(
        form="мастер-класс",
        title="Мастер-класс для педагогов района по теме ИОМ",
        level=ActivityLevel.MUNICIPAL,
        starts_on=ends_on - timedelta(days=20),
        ends_on=ends_on - timedelta(days=10),
    )
    tasks = ["Освоить приёмы", "Применить их на уроках"]
    programme = [
        ProgrammeTask(task=number, ways=["Семинар-практикум"], checks=["Самоанализ урока"])
        for number in range(1, len(tasks) + 1)
    ]
    resources = [
        Resource(kind=kind, title=f"Ресурс: {kind.value}", gives="материалы к задачам ИОМ")
        for kind in ResourceKind
    ]
    group = TeacherGroup(
        id="problem_1",
        kind=GroupKind.PROBLEM,
        topic="Функциональная грамотность",
        members=[teacher_id, "teacher-colleague"],
    )
    return Plan(
        topic=topic,
        relevance="Диагностика выявила затруднения в конструировании учебных заданий",
        goal="Преодоление профессиональных дефицитов, выявленных диагностикой",
        tasks=tasks,
        request="Затруднения в конструировании учебных заданий",
        expected_results="Повышение уровня сформированности компетенций",
        starts_on=starts_on,
        ends_on=ends_on,
        activities=activities,
        final_public_event=event if with_final else None,
        programme=programme if profile.requires_programme else [],
        resources=resources if profile.requires_resource_map else [],
        groups=[group] if profile.requires_groups else [],
    )
