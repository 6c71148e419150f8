"""What a correction changes in the plan, derived from the old and the new plan (never taken
from the client): the parts each party's agreement covers (`Profile.correction_reagreement`)."""

from __future__ import annotations

from dataclasses import dataclass

from aggregates.profiles.duties import CorrectionPart
from aggregates.values import PROGRAMME_FIELDS, Activity, Plan

GOAL_FIELDS = ("topic", "relevance", "goal", "tasks", "request", "expected_results")
"""The plan's пояснительная записка: what the route is for."""
# The Алгоритм's programme of those tasks (ways, checks, resources, groups, `PROGRAMME_FIELDS`):
# a change of it is a change of the goals' part.
DATE_FIELDS = frozenset({"starts_on", "ends_on"})


@dataclass(frozen=True)
class PlanChange:
    """The activities added, removed and changed (ids, sorted) and the parts touched."""

    added: list[str]
    removed: list[str]
    changed: list[str]
    parts: list[CorrectionPart]

    @classmethod
    def between(cls, old: Plan, new: Plan) -> PlanChange:
        """The change from `old` to `new`."""
        before = {activity.id: activity for activity in old.activities}
        after = {activity.id: activity for activity in new.activities}
        changed = sorted(i for i in before.keys() & after.keys() if before[i] != after[i])
        removed, added = sorted(before.keys() - after.keys()), sorted(after.keys() - before.keys())
        parts: set[CorrectionPart] = set()
        if added:
            parts.add(CorrectionPart.ACTIVITIES_ADDED)
        if removed:
            parts.add(CorrectionPart.ACTIVITIES_REMOVED)
        for activity_id in changed:
            parts |= activity_parts(before[activity_id], after[activity_id])
        if (old.starts_on, old.ends_on) != (new.starts_on, new.ends_on):
            parts.add(CorrectionPart.TERM)
        if old.final_public_event != new.final_public_event:
            parts.add(CorrectionPart.FINAL_PUBLIC_EVENT)
        if any(getattr(old, n) != getattr(new, n) for n in (*GOAL_FIELDS, *PROGRAMME_FIELDS)):
            parts.add(CorrectionPart.GOALS)
        return cls(added, removed, changed, sorted(parts))


def activity_parts(old: Activity, new: Activity) -> set[CorrectionPart]:
    """The parts a changed activity touches: its dates, its result form, its content."""
    differ = {name for name in Activity.model_fields if getattr(old, name) != getattr(new, name)}
    parts: set[CorrectionPart] = set()
    if differ & DATE_FIELDS:
        parts.add(CorrectionPart.ACTIVITIES_MOVED)
    if "result_form" in differ:
        parts.add(CorrectionPart.RESULT_FORMS)
    if differ - DATE_FIELDS - {"result_form"}:
        parts.add(CorrectionPart.ACTIVITIES_REWRITTEN)
    return parts
