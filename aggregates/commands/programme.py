"""The Алгоритм's substance of a plan (seed 003, этап II): the individual educational programme
(each task's ways of reaching it and how it is checked), the resource map and the groups of
teachers the route belongs to. Any plan may carry them; a regulation that requires them says so
(`Profile.requires_programme`, `requires_resource_map`, `requires_groups`)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from aggregates.commands.base import invalid
from aggregates.profiles import Profile
from aggregates.values import RESOURCE_KIND_TITLES, Plan, ResourceKind

if TYPE_CHECKING:
    from aggregates.route import Route

MAPPED_KINDS = (
    ResourceKind.INFORMATION,
    ResourceKind.COMMUNICATIVE,
    ResourceKind.ACTIVITY,
    ResourceKind.SOCIAL,
)
"""The four kinds a required resource map holds (the teachers' own resources are optional)."""


def programme_required(profile: Profile) -> dict[str, str]:
    """What the regulation requires of a plan's programme, resource map and groups."""
    required: dict[str, str] = {}
    if profile.requires_programme:
        required["plan.programme"] = "у каждой задачи ИОМ — способы реализации и процедуры проверки"
    if profile.requires_resource_map:
        required["plan.resources"] = "ресурсная карта с ресурсами четырёх видов: " + ", ".join(
            RESOURCE_KIND_TITLES[kind].lower() for kind in MAPPED_KINDS
        )
    if profile.requires_groups:
        required["plan.groups"] = (
            "ИОМ входит в группу педагогов (проблемную, творческую, проектную)"
        )
    return required


def check_programme(plan: Plan, route: Route, field: str) -> None:
    """Each programme entry names a task of the plan once; the map and the groups are complete
    where the regulation requires them; a group the route belongs to has its teacher."""
    profile = route.profile
    numbers = [entry.task for entry in plan.programme]
    for index, number in enumerate(numbers):
        if number > len(plan.tasks):
            raise invalid(
                f"{field}.programme[{index}].task",
                f"задачи № {number} нет: в ИОМ задач {len(plan.tasks)}",
            )
    if len(numbers) != len(set(numbers)):
        raise invalid(f"{field}.programme", "задача описана в программе дважды")
    missing = sorted(set(range(1, len(plan.tasks) + 1)) - set(numbers))
    if profile.requires_programme and missing:
        raise invalid(
            f"{field}.programme",
            "не указаны способы реализации и процедуры проверки задач № "
            + ", ".join(map(str, missing)),
        )
    for index, resource in enumerate(plan.resources):
        if resource.holder is not None and resource.kind is not ResourceKind.OWN:
            raise invalid(
                f"{field}.resources[{index}].holder",
                "педагог указывается только у собственного ресурса педагогов",
            )
    kinds = {resource.kind for resource in plan.resources}
    absent = [kind for kind in MAPPED_KINDS if kind not in kinds]
    if profile.requires_resource_map and absent:
        raise invalid(
            f"{field}.resources",
            "в ресурсной карте нет ресурсов вида: "
            + ", ".join(RESOURCE_KIND_TITLES[kind].lower() for kind in absent),
        )
    ids = [group.id for group in plan.groups]
    if len(ids) != len(set(ids)):
        raise invalid(f"{field}.groups", "идентификаторы групп повторяются")
    for index, group in enumerate(plan.groups):
        if route.teacher_id not in group.members:
            raise invalid(
                f"{field}.groups[{index}].members",
                f"педагог ИОМ ({route.teacher_id}) не входит в группу «{group.id}»",
            )
    if profile.requires_groups and not plan.groups:
        raise invalid(f"{field}.groups", "ИОМ не входит ни в одну группу педагогов")
