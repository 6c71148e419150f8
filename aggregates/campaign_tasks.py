"""A diagnostic campaign's tasks: each announced participant's «пройти диагностику», derived
from the campaign's state alone, as the route's tasks are (`aggregates.tasks`, one `Task`).

A participant's task opens when they are announced (Sakha диагностика 5.3: told the place and
time), is assigned to the teacher in person, due on their group's day, with the group's place
and start. It is done when their attendance or their result is recorded, and cancelled when it
leaves the open set otherwise (marked absent, removed from the campaign, the campaign cancelled
or closed without them). Its id follows
from the campaign and the teacher, so every derivation names the same task.
"""

from __future__ import annotations

from zoneinfo import ZoneInfo

from aggregates.campaign import Campaign, Participant
from aggregates.tasks import Assignee, State, Task, task_id
from aggregates.values import Role

KIND = "attend_diagnostic"


def campaign_tasks(campaign: Campaign) -> list[Task]:
    """Every open task of the campaign: an announced participant's until their attendance or
    result is recorded, soonest group first, then by teacher."""
    if campaign.status in ("closed", "cancelled"):
        return []
    zone = ZoneInfo(campaign.profile.time_zone)
    found = []
    for participant in campaign.participants.values():
        if participant.recorded or participant.attendance != "expected":
            continue
        group = campaign.group(participant.group_id)
        if group is None:  # the announcement checks the group: never so
            continue
        found.append(
            Task(
                id=task_id(campaign.id, KIND, participant.teacher_id, 0),
                route_id=participant.route_id,
                kind=KIND,
                subject=str(campaign.id),
                round=0,
                assignee=Assignee(Role.TEACHER, "person", participant.teacher_id),
                due_on=group.starts_at.astimezone(zone).date(),
                since=participant.announced_at,
                place=group.place,
                starts_at=group.starts_at,
            )
        )
    return sorted(found, key=lambda task: (task.starts_at, task.assignee.scope_id))


def closed_as(campaign: Campaign, task: Task) -> State:
    """How a task that left the campaign's open set ended: done when the teacher's attendance
    or result is recorded, else cancelled."""
    participant: Participant | None = campaign.participants.get(task.assignee.scope_id)
    if participant is not None and (participant.recorded or participant.attendance == "attended"):
        return "done"
    return "cancelled"
