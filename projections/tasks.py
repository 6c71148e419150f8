"""The tasks projection: every route's tasks (the inbox), and their changes as webhook events.

`iom_tasks` — one row per task a route ever had (`aggregates.tasks`): its kind, the command that
completes it, its assignee (a person id, or a role within a school or region), its due date and
state. A task that leaves the route's open set is kept, done (the event of its command came) or
cancelled (the route cancelled, returned, a round restarted, an activity removed), with when.

The route's tasks are derived after each of its events, one event at a time, with the
aggregate's own handlers (`projections.state.RouteState.advance`: the route alone, without the
monitoring's own facts): whatever the batches, the same rows follow, so a rebuild equals the
live table row for row. Each change of a task (created, due
soon, overdue, escalated, done, cancelled) is also a delivery to the region's webhook
subscriptions that want it, written in the same transaction as the rows and the position (the
outbox of `projections.webhooks`, its delivery id derived from the subscription, the route's
version and the task's change, so a rebuild derives the same ones and doubles none).
"""

# ruff: noqa: S608 - SQL built from declared table and column names; values are parameters

from __future__ import annotations

import json
import uuid
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, Any, ClassVar, NamedTuple
from uuid import UUID

from aggregates.campaign import CampaignEvent
from aggregates.campaign_tasks import KIND as CAMPAIGN_TASK
from aggregates.events import RouteEvent, RouteOpened
from aggregates.tasks import (
    STATE_TITLES,
    TITLES,
    Task,
    bears_on_tasks,
    completed_by,
    in_stage_order,
    soonest,
    tasks,
)
from aggregates.values import Role
from projections.batch import BatchProjection
from projections.feed import Item
from projections.incidents import PARKING
from projections.monitoring import Replay
from projections.profiles import PROFILES, ProfileBook
from projections.state import LruCache, RouteState, filters
from projections.tables import ASC, FILTER_COLUMNS, Column, Db, Filters, Listing, Row, Table
from projections.view import ProjectionView, ViewSpec, Write
from projections.webhooks import (
    CANCELLED,
    DELIVERIES,
    DELIVERY_NAMESPACE,
    PENDING,
    SUBSCRIPTIONS,
    Listener,
    listeners,
)

if TYPE_CHECKING:
    from projections.campaign_tasks import CampaignTasks

TASKS = Table(
    "iom_tasks",
    (
        Column("task_id", "uuid", "задача"),
        Column("route_id", "uuid", "ИОМ"),
        *FILTER_COLUMNS,
        Column("kind", "text", "вид"),
        Column("operation", "text", "команда"),
        Column("about", "text", "чего касается"),
        Column("round", "int", "круг"),
        Column("assignee_role", "text", "роль"),
        Column("assignee", "text", "исполнитель"),
        Column("scope", "text", "область"),
        Column("active", "bool", "открыта"),
        Column("state", "text", "состояние"),
        Column("due_on", "date", "срок"),
        Column("escalated_to", "text", "передана"),
        Column("reminded", "bool", "напомнено"),
        Column("opened_at", "time", "создана"),
        Column("closed_at", "time", "закрыта"),
        Column("version", "int", "версия"),
        Column("place", "text", "место"),
        Column("starts_at", "time", "начало"),
    ),
    key=("task_id",),
    indexes=(
        # The inbox: one assignee's open (or closed) tasks, the soonest due first.
        ("profile_id", "assignee_role", "assignee", "active", "due_on" + ASC, "task_id"),
        ("route_id",),
    ),
)

TASK_EVENTS = {
    "created": "TaskCreated",
    "due_soon": "TaskDueSoon",
    "overdue": "TaskOverdue",
    "escalated": "TaskEscalated",
    "done": "TaskDone",
    "cancelled": "TaskCancelled",
}
"""Each change of a task, as the webhook event type a subscription names."""

_INSERT_DELIVERY = DELIVERIES.insert() + " ON CONFLICT (delivery_id) DO NOTHING"
_KIND, _STATE, _OPENED_AT = (TASKS.names.index(c) for c in ("kind", "state", "opened_at"))
_FILTERS = slice(2, 2 + len(FILTER_COLUMNS))
"""Where a row holds the filter columns (region, municipality, school, …)."""


class Change(NamedTuple):
    """A task's change on one event of its route (or of its diagnostic campaign; a named
    tuple: made for every row)."""

    notification_id: int
    event: RouteEvent | CampaignEvent
    row: Row
    change: str
    task_id: str


class TaskRows:
    """The open tasks of one route (or diagnostic campaign) and the rows of every task it had;
    `follow` takes its tasks after an event and says which rows changed, and how."""

    __slots__ = ("open", "rows")

    def __init__(self) -> None:
        self.open: dict[str, Task] = {}
        self.rows: dict[str, Row] = {}

    def follow(
        self,
        now: dict[str, Task],
        event: RouteEvent | CampaignEvent,
        notification_id: int,
        changes: list[Change],
        *,
        version: int,
        columns: Callable[[Task], Sequence[Any]],
        closed: Callable[[Task], str],
    ) -> None:
        """Take `now`, the open tasks after `event` (their owner at `version`): a row for each
        task new or changed (with `columns`, its filter columns), and for each that left the
        open set, closed as `closed` says (done or cancelled), its filter columns as when it
        was last open; each change in `changes`."""
        previous = self.open
        changed = [task for task_id, task in now.items() if previous.get(task_id) != task]
        if len(changed) > 1:  # in the inbox's order, as `tasks` lists them
            changed.sort(key=soonest)
        for task in changed:
            task_id = task.id
            before = previous.get(task_id)
            known = self.rows.get(task_id)
            key = UUID(task_id) if known is None else known[0]  # parsed once a task
            opened = event.timestamp if before is None or known is None else known[_OPENED_AT]
            row = task_row(
                task, key, columns(task), state=task.state, opened_at=opened, version=version
            )
            self.rows[task_id] = row
            for change in task_changes(before, task):
                changes.append(Change(notification_id, event, row, change, task_id))
        for task_id, task in previous.items():
            if task_id in now:
                continue
            state = closed(task)
            old = self.rows[task_id]
            row = task_row(
                task,
                old[0],
                old[_FILTERS],
                state=state,
                opened_at=old[_OPENED_AT],
                closed_at=event.timestamp,
                version=version,
            )
            self.rows[task_id] = row
            changes.append(Change(notification_id, event, row, state, task_id))
        self.open = now


class _Entry(TaskRows):
    """A route's state, its open tasks and the rows of every task it had."""

    __slots__ = ("state",)

    def __init__(self, state: RouteState) -> None:
        super().__init__()
        self.state = state

    def apply(self, event: RouteEvent, notification_id: int, changes: list[Change]) -> None:
        """The route after `event`, its tasks' rows, and how each task changed."""
        route = self.state.advance(event)
        if not bears_on_tasks(event):
            return
        self.follow(
            {task.id: task for task in in_stage_order(route)},
            event,
            notification_id,
            changes,
            version=route.version,
            columns=self._columns,
            closed=lambda task: "done" if completed_by(task, event) else "cancelled",
        )

    def _columns(self, _task: Task) -> Sequence[Any]:
        """A route task's filter columns: the route's, as it stands."""
        return filters(self.state)


def task_changes(before: Task | None, task: Task) -> list[str]:
    """How a task changed since it was `before` (None: it is new), as `TASK_EVENTS` keys."""
    found = ["created"] if before is None else []
    if task.reminded and (before is None or not before.reminded) and task.state == "open":
        found.append("due_soon")
    if task.state != "open" and (before is None or before.state != task.state):
        found.append(task.state)
    return found


_VALUES = {role: role.value for role in Role}
"""Each role as the table writes it (read off a dict: an enum's `value` is a property)."""


def task_row(
    task: Task,
    key: UUID,
    columns: Sequence[Any],
    *,
    state: str,
    opened_at: datetime,
    closed_at: datetime | None = None,
    version: int,
) -> Row:
    """A task's row of `iom_tasks`, with its filter columns and how it stands."""
    who = task.assignee
    return (
        key,
        task.route_id,
        *columns,
        task.kind,
        task.operation,
        task.subject,
        task.round,
        _VALUES[who.role],
        who.scope_id,
        who.scope,
        closed_at is None,
        state,
        task.due_on,
        _VALUES[task.escalated_to] if task.escalated_to else None,
        task.reminded,
        opened_at,
        closed_at,
        version,
        task.place,
        task.starts_at,
    )


class TasksProjection(BatchProjection):
    """Every route's tasks (see the module's docstring)."""

    name = "tasks"
    tables: ClassVar[tuple[Table, ...]] = (TASKS,)
    follows_campaigns = True

    @classmethod
    def spec(cls, application_name: str) -> ViewSpec:
        """Own: the tasks; shared: the webhook subscriptions and their outbox."""
        shared = (PROFILES, *PARKING, SUBSCRIPTIONS, DELIVERIES)
        return ViewSpec(cls.name, cls.tables, shared, application_name)

    def __init__(
        self,
        view: ProjectionView,
        replay: Replay,
        campaigns: CampaignTasks,
        cache_size: int = 10_000,
    ) -> None:
        super().__init__(view)
        self._replay = replay
        self._campaigns = campaigns
        self._cache: LruCache[int, _Entry] = LruCache(cache_size)
        self._staged: dict[int, _Entry] = {}
        self._profiles = ProfileBook()

    def write(self, db: Db, batch: Sequence[Item]) -> None:
        """Apply the batch (see `prepared`)."""
        self.prepared(batch)(db)

    def prepared(self, batch: Sequence[Item]) -> Write:
        """Apply the batch event by event; the rows that changed and the webhook deliveries of
        the tasks' changes are written by the returned function."""
        by_route: defaultdict[int, list[tuple[int, RouteEvent]]] = defaultdict(list)
        for notification_id, event in batch:
            if event is not None:
                by_route[event.originator_id.int].append((notification_id, event))
        inserts: list[Row] = []
        upserts: list[Row] = []
        changes: list[Change] = []
        for key, events in by_route.items():
            entry = self._load(key, events[0][1])
            written = set(entry.rows) if entry else set()
            marks = len(changes)
            for notification_id, event in events:
                if isinstance(event, RouteOpened):
                    if entry is None:
                        profile = self._profiles.canonical(event.profile)
                        entry = _Entry(RouteState.opened(event, profile))
                        self._first(entry, event, notification_id, changes)
                    continue
                if entry is None or event.originator_version <= entry.state.route.version:
                    continue
                entry.apply(event, notification_id, changes)
            if entry is None:
                continue
            touched = {c.task_id for c in changes[marks:]}
            for task_id in touched:
                row = entry.rows[task_id]
                (upserts if task_id in written else inserts).append(row)
            self._staged[key] = entry

        def write(db: Db) -> None:
            db.write(TASKS, inserts, "insert")
            db.write(TASKS, upserts, "upsert")
            if changes:
                deliver_changes(db, changes)

        return write

    def _first(
        self, entry: _Entry, event: RouteOpened, notification_id: int, changes: list[Change]
    ) -> None:
        """The tasks of a route just opened."""
        route = entry.state.route
        columns = filters(entry.state)
        for task in tasks(route):
            row = task_row(
                task,
                UUID(task.id),
                columns,
                state=task.state,
                opened_at=event.timestamp,
                version=route.version,
            )
            entry.rows[task.id] = row
            entry.open[task.id] = task
            changes.append(Change(notification_id, event, row, "created", task.id))

    def prepared_campaigns(self, events: Sequence[tuple[int, CampaignEvent]]) -> Write:
        """The participants' tasks of the batch's diagnostic campaigns (`CampaignTasks`)."""
        return self._campaigns.prepared(events)

    def committed(self) -> None:
        """Cache the routes and campaigns the batch left."""
        for key, entry in self._staged.items():
            self._cache.put(key, entry)
        self._staged.clear()
        self._campaigns.committed()

    def forget(self) -> None:
        """Forget every cached route and campaign."""
        self._cache.clear()
        self._staged.clear()
        self._profiles.forget()
        self._campaigns.forget()

    def _load(self, key: int, first: RouteEvent) -> _Entry | None:
        """The route before the batch: cached, or replayed from the event store up to the
        version before its first event in the batch, its tasks derived event by event."""
        entry = self._staged.get(key) or self._cache.get(key)
        version = first.originator_version
        if entry is not None or version <= 1:
            return entry
        history = self._replay(first.originator_id, version - 1)
        if not history or not isinstance(history[0], RouteOpened):
            return None
        opened = history[0]
        entry = _Entry(RouteState.opened(opened, self._profiles.canonical(opened.profile)))
        self._first(entry, opened, 0, [])
        for event in history[1:]:
            entry.apply(event, 0, [])
        return entry


def deliver_changes(db: Db, changes: list[Change]) -> None:
    """A delivery row per (wanting subscription, task change), a route's or a campaign's."""
    wanted = listeners(db, changes[0].notification_id - 1)
    if not wanted:
        return
    now = datetime.now(UTC)
    rows: list[Row] = []
    for change in changes:
        kind = TASK_EVENTS[change.change]
        region = change.row[2]
        for listener in wanted:
            if not listener.wants(change.notification_id, region, kind):
                continue
            rows.append(_delivery(change, kind, listener, now))
    db.executemany(_INSERT_DELIVERY, rows)


def _delivery(change: Change, kind: str, listener: Listener, now: datetime) -> Row:
    row, event = change.row, change.event
    route_id, version = event.originator_id, event.originator_version
    subscription = listener.subscription_id
    delivery = uuid.uuid5(
        DELIVERY_NAMESPACE, f"{subscription}:{route_id}:{version}:{row[0]}:{change.change}"
    )
    body = {
        "delivery_id": str(delivery),
        "subscription_id": str(subscription),
        "event_type": kind,
        "route_id": str(row[1]),  # the task's route (a campaign's task: its participant's)
        "version": version,
        "region": row[2],
        "occurred_at": event.timestamp.astimezone(UTC).isoformat(),
        "actor": {"id": event.actor.id, "role": event.actor.role.value},
        "command_id": event.command_id,
        "summary": f"{TITLES[row[_KIND]]}: {STATE_TITLES[row[_STATE]]}",
        "data": task_json(row),
    }
    text = json.dumps(body, ensure_ascii=False, separators=(",", ":"))
    status = PENDING if listener.end_after is None else CANCELLED
    return (
        *(delivery, subscription, route_id, version, change.notification_id, kind, text),
        *(status, 0, now, None, None, now, None),
    )


def task_json(row: Row) -> dict[str, Any]:
    """A task's row as the portal reads it in a webhook's body."""
    names = TASKS.names
    data = dict(zip(names, row, strict=True))
    return {
        "task_id": str(data["task_id"]),
        "kind": data["kind"],
        "operation": data["operation"],
        "about": data["about"],
        "assignee": {
            "role": data["assignee_role"],
            "scope": data["scope"],
            "id": data["assignee"],
        },
        "due_on": data["due_on"].isoformat() if data["due_on"] else None,
        "state": data["state"],
        "escalated_to": data["escalated_to"],
    }


def endpoint_path(row: dict[str, Any]) -> str:
    """The API path of the command that completes a task's row: its route's command, or the
    attendance mark of the campaign a participant's task is about."""
    if row["kind"] == CAMPAIGN_TASK:
        return f"/campaigns/{row['about']}/attendance"
    return f"/routes/{row['route_id']}/commands/{row['operation']}"


ACTIVE_STATES = ("open", "overdue", "escalated")
"""The states of a task still waiting on its assignee."""


@dataclass(frozen=True)
class TaskFilters(Filters):
    """The inbox's filters: the assignee (a role and the person, school or region it is held
    in), a task kind, a state (by default the open ones: open, overdue, escalated), a latest
    due date (`due_before`, inclusive), and the route."""

    assignee_role: str | None = None
    assignee: str | None = None
    kind: str | None = None
    state: str | None = None
    due_before: date | None = None

    def where(self, allowed: Sequence[str], alias: str = "") -> tuple[str, list[Any]]:
        """The WHERE clause: equality on each filter given, `due_on <= due_before`, and
        `active` (whether the asked state is an open one)."""
        del allowed, alias  # the inbox's own columns: every filter applies
        return self.conditions(every_state=False)

    def conditions(self, *, every_state: bool) -> tuple[str, list[Any]]:
        """The WHERE clause, held to the open or closed tasks unless `every_state`."""
        clauses: list[str] = []
        params: list[Any] = []
        for column, value in self.given().items():
            clauses.append("due_on <= %s" if column == "due_before" else f"{column} = %s")
            params.append(value)
        if not every_state:
            clauses.append("active = %s")
            params.append(self.state is None or self.state in ACTIVE_STATES)
        return " WHERE " + " AND ".join(clauses), params


TASK_LIST = Listing(
    TASKS.name,
    TASKS.kinds,
    (),
    ("due_on",),
    (("due_on", False),),
    TASKS.key,
)
"""The inbox: one assignee's tasks, the soonest due first (those without a due date last)."""

STATE_ORDER = ("overdue", "escalated", "open", "done", "cancelled")
"""The summary's order of states: what is overdue first."""


def summary(db: Db, filters: TaskFilters) -> list[dict[str, Any]]:
    """How many of the assignee's tasks there are of each kind and state, overdue first."""
    where, params = filters.conditions(every_state=True)
    text = f"SELECT kind, state, COUNT(*) AS tasks FROM {TASKS.name}{where} GROUP BY kind, state"
    counts = db.fetchall(text, params)
    return sorted(
        ({"kind": r["kind"], "state": r["state"], "tasks": int(r["tasks"])} for r in counts),
        key=lambda r: (STATE_ORDER.index(r["state"]), r["kind"]),
    )
