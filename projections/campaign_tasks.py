"""The tasks projection's diagnostic campaigns: each participant's task
(`aggregates.campaign_tasks`) in `iom_tasks`, beside the routes' tasks, and its changes as
webhook deliveries.

A campaign's tasks are derived after each of its events, one event at a time, as a route's are:
the same rows follow whatever the batches, so a rebuild equals the live table. A row carries its
participant's route, school, municipality and subject (the inbox's filter columns), the group's
place and start; a change is delivered to the region's subscriptions in the batch's transaction,
its delivery id derived from the campaign's id and version and the task's change (as a route's).
A campaign not cached is replayed from the event store up to the version before its event.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from uuid import UUID

from aggregates.campaign import Campaign, CampaignEvent
from aggregates.campaign_tasks import campaign_tasks, closed_as
from aggregates.tasks import Task
from projections.state import LruCache
from projections.tables import Db, Row
from projections.tasks import TASKS, Change, TaskRows, deliver_changes
from projections.view import Write

CampaignReplay = Callable[[UUID, int], list[CampaignEvent]]
"""A campaign's events up to a version, oldest first, read from the event store."""


class _Entry(TaskRows):
    """A campaign's state, its open tasks and the rows of every task it had."""

    __slots__ = ("campaign",)

    def __init__(self, campaign: Campaign) -> None:
        super().__init__()
        self.campaign = campaign

    def apply(self, event: CampaignEvent, notification_id: int, changes: list[Change]) -> None:
        """The campaign after `event`, its tasks' rows, and how each task changed."""
        campaign = self.campaign = event.mutate(self.campaign)
        self.follow(
            {task.id: task for task in campaign_tasks(campaign)},
            event,
            notification_id,
            changes,
            version=campaign.version,
            columns=lambda task: _filters(campaign, task),
            closed=lambda task: closed_as(campaign, task),
        )


def _filters(campaign: Campaign, task: Task) -> tuple[str, str, str, str, None, str]:
    """The filter columns of a participant's task: their route's region, municipality, school
    and subject, and the teacher (no methodist: the campaign's task is the teacher's own)."""
    who = campaign.participants[task.assignee.scope_id]
    return (
        campaign.profile.id,
        who.municipality_id,
        who.school_id,
        who.subject,
        None,
        who.teacher_id,
    )


class CampaignTasks:
    """The campaigns' part of the tasks projection (see the module's docstring)."""

    def __init__(self, replay: CampaignReplay, cache_size: int = 100) -> None:
        self._replay = replay
        self._cache: LruCache[UUID, _Entry] = LruCache(cache_size)
        self._staged: dict[UUID, _Entry] = {}

    def prepared(self, events: Sequence[tuple[int, CampaignEvent]]) -> Write:
        """Apply the campaigns' events in order; the rows that changed and the deliveries of the
        tasks' changes are written by the returned function."""
        known: dict[UUID, set[str]] = {}  # the tasks each campaign had written before
        touched: dict[UUID, set[str]] = {}
        changes: list[Change] = []
        for notification_id, event in events:
            key = event.originator_id
            entry = self._load(event)
            known.setdefault(key, set(entry.rows) if entry else set())
            if entry is None:
                if event.originator_version != 1:
                    continue  # no history in the store to derive it from
                entry = _Entry(event.mutate(None))
            elif event.originator_version <= entry.campaign.version:
                continue  # applied already
            else:
                marks = len(changes)
                entry.apply(event, notification_id, changes)
                touched.setdefault(key, set()).update(c.task_id for c in changes[marks:])
            self._staged[key] = entry
        inserts: list[Row] = []
        upserts: list[Row] = []
        for key, task_ids in touched.items():
            rows = self._staged[key].rows
            for task_id in sorted(task_ids):
                (upserts if task_id in known[key] else inserts).append(rows[task_id])

        def write(db: Db) -> None:
            db.write(TASKS, inserts, "insert")
            db.write(TASKS, upserts, "upsert")
            if changes:
                deliver_changes(db, changes)

        return write

    def committed(self) -> None:
        """Cache the campaigns the batch left."""
        for key, entry in self._staged.items():
            self._cache.put(key, entry)
        self._staged.clear()

    def forget(self) -> None:
        """Forget every cached campaign."""
        self._cache.clear()
        self._staged.clear()

    def _load(self, event: CampaignEvent) -> _Entry | None:
        """The campaign before `event`: staged, cached, or replayed from the event store."""
        key = event.originator_id
        entry = self._staged.get(key) or self._cache.get(key)
        if entry is not None or event.originator_version <= 1:
            return entry
        history = self._replay(key, event.originator_version - 1)
        if not history:
            return None
        entry = _Entry(history[0].mutate(None))
        for earlier in history[1:]:
            entry.apply(earlier, 0, [])
        return entry
