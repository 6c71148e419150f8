"""What every command shares: the context it is decided in, the guards, the changes it makes."""

from __future__ import annotations

import calendar
import hashlib
import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, ClassVar
from zoneinfo import ZoneInfo

from aggregates.commands.duties import require_separate
from aggregates.errors import InvalidCommandError, RoleError, StageError
from aggregates.profiles import Profile, ProfileCatalogue, Stage
from aggregates.profiles.duties import PARTY_PLACES, Place
from aggregates.values import (
    DELEGABLE,
    LEAD_MONTHS,
    ROLE_TITLES,
    Acting,
    Actor,
    Checked,
    ProgrammeRef,
    Role,
    Value,
)

if TYPE_CHECKING:
    from aggregates.events import RouteEvent
    from aggregates.programmes.values import Programme
    from aggregates.route import Route

Change = Callable[..., "RouteEvent"]
"""An event to append, given its own fields: `partial(RouteSubmitted, revision=…, plan_hash=…)`,
whose fields mypy checks against the event's (the pydantic plugin types its `__init__`). Saving
calls it with the metadata (who, when, which command, the version); the chain is added then."""


@dataclass(frozen=True)
class Context:
    """Who issues the command, and when."""

    actor: Actor
    now: datetime
    acting: Acting | None = None  # за руководителя: the head the actor acts for, by order
    profiles: ProfileCatalogue | None = None  # the editions the deployment knows (a migration)
    # the ДПП a plan's activity names, in its version of its region's catalogue (None: not
    # there); the application reads the catalogue, the aggregate stays without I/O
    programme: Callable[[str, ProgrammeRef], Programme | None] | None = None

    def today(self, route: Route) -> date:
        """Today in the route's region: a date deadline is a date in the region's own zone."""
        return self.now.astimezone(ZoneInfo(route.profile.time_zone)).date()

    def require_past(self, route: Route, day: date, field: str, what: str = "дата") -> None:
        """Refuse a date that has not yet come in the route's region, or that lies more than
        the longest term and `LEAD_MONTHS` before the route was opened (rule `date_window`)."""
        if day > self.today(route):
            raise invalid(field, f"{what} ещё не наступила")
        earliest = earliest_day(route)
        if day < earliest:
            raise InvalidCommandError(
                "date_window",
                f"{what} {day:%d.%m.%Y} раньше {earliest:%d.%m.%Y}: даты ИОМ — не ранее чем"
                f" за {lead_months(route)} мес. (наибольший срок ИОМ и ещё {LEAD_MONTHS} мес.)"
                " до его открытия",
                field,
            )


class Command(Checked, Value):
    """A request to change a route. `decide` refuses it or says which events it appends."""

    title: ClassVar[str]  # the command's name in Russian, for refusals and the audit trail
    by_person: ClassVar[bool] = True  # a person sends it (timers and operators have their own)
    allowed_when_paused: ClassVar[bool] = False  # a paused route takes only operators' commands

    def fingerprint(self, actor: Actor, acting: Acting | None = None) -> str:
        """A hash of what was asked and by whom (for whom): a command id reused for another ask
        is caught."""
        body = {"command": type(self).__name__, "actor": actor.model_dump(mode="json")}
        if acting is not None:
            body["acting_for"] = acting.model_dump(mode="json")
        body |= self.model_dump(mode="json")
        return hashlib.sha256(json.dumps(body, sort_keys=True).encode()).hexdigest()[:32]

    def decide(self, route: Route, context: Context) -> list[Change]:
        """The events this command appends to `route`, or a `DomainError` saying why not."""
        raise NotImplementedError

    @classmethod
    def required_by(cls, profile: Profile) -> dict[str, str]:  # noqa: ARG003 - none by default
        """The fields the regulation `profile` requires of this command beyond its model: each
        path (`product`, `plan.final_public_event`, `plan.activities[].direction`: `[]` is
        every item of a list) with the Russian refusal of a missing or blank value. One
        declaration read twice: by `require_fields` when the command is decided, and by the
        command's JSON Schema under that edition (`aggregates.forms`)."""
        return {}

    def require_fields(self, profile: Profile) -> None:
        """Refuse a field `required_by(profile)` that is missing or blank, naming it."""
        for path, message in self.required_by(profile).items():
            for where, value in values_at(self, path):
                if value is None or (isinstance(value, str) and not value.strip()):
                    raise invalid(where, message)

    # Guards shared by the commands.

    def require_running(self, route: Route) -> None:
        """Refuse while an operator has paused the route, unless the command may act then."""
        if route.paused and not self.allowed_when_paused:
            raise StageError(
                "paused",
                f"команда «{self.title}» невозможна: ИОМ приостановлен оператором до его"
                " возобновления",
            )

    def require_acting(self, route: Route, context: Context) -> None:
        """Refuse an act за руководителя outside its order: a role no head hands on, the head
        themself, a day outside the order's period in the route's region."""
        acting = context.acting
        if acting is None:
            return
        if context.actor.role not in DELEGABLE:
            heads = ", ".join(ROLE_TITLES[role] for role in sorted(DELEGABLE))
            raise RoleError(
                "acting_role", f"за руководителя действуют только в ролях: {heads}", "acting_for"
            )
        if acting.head_id == context.actor.id:
            raise invalid("acting_for.head_id", "руководитель не исполняет обязанности сам за себя")
        today = context.today(route)
        if not acting.starts_on <= today <= acting.ends_on:
            raise RoleError(
                "acting_period",
                f"полномочия за руководителя по приказу «{acting.order}» действуют с"
                f" {acting.starts_on:%d.%m.%Y} по {acting.ends_on:%d.%m.%Y}, а сегодня"
                f" {today:%d.%m.%Y}",
                "acting_for",
            )

    def require_stage(self, route: Route, *stages: Stage) -> None:
        """Refuse unless the route is in one of `stages`."""
        if route.stage not in stages:
            names = ", ".join(f"«{route.profile.stage_names[s]}»" for s in stages)
            raise StageError(
                "stage",
                f"команда «{self.title}» недопустима на этапе"
                f" «{route.profile.stage_names[route.stage]}»; возможна на этапе {names}",
            )

    def require_role(self, route: Route, actor: Actor, roles: Iterable[Role]) -> None:
        """Refuse unless the actor acts in one of `roles` and, if teacher or methodist, is the
        route's own teacher or its assigned methodist; and unless acting in that role keeps
        the route's separation of duties."""
        allowed = list(roles)
        if actor.role not in allowed:
            titles = ", ".join(ROLE_TITLES[r] for r in allowed)
            raise RoleError(
                "role", f"«{self.title}» выполняет {titles}, а не {ROLE_TITLES[actor.role]}"
            )
        if actor.role is Role.TEACHER and actor.id != route.teacher_id:
            raise RoleError("own_route", "педагог действует только по своему ИОМ")
        if actor.role is Role.METHODIST and route.methodist_id is None:
            raise RoleError("assigned_methodist", "за ИОМ ещё не закреплён методист")
        if actor.role is Role.METHODIST and route.methodist_id != actor.id:
            raise RoleError("assigned_methodist", "действует только закреплённый за ИОМ методист")
        if actor.role in PARTY_PLACES:
            require_separate(route, actor.id, [Place(actor.role)])


def values_at(model: object, path: str) -> list[tuple[str, object]]:
    """The values at `path` in `model` (`a.b[].c`: `c` of every item of `a.b`), each with its
    concrete path (`a.b[2].c`)."""
    found: list[tuple[str, object]] = [("", model)]
    for part in path.split("."):
        name, each = part.removesuffix("[]"), part.endswith("[]")
        step = [(f"{where}.{name}".lstrip("."), getattr(value, name)) for where, value in found]
        if each:
            step = [
                (f"{where}[{i}]", item) for where, items in step for i, item in enumerate(items)
            ]
        found = step
    return found


def invalid(field: str, message: str) -> InvalidCommandError:
    """An error about one field of the command's content."""
    return InvalidCommandError("content", message, field)


def lead_months(route: Route) -> int:
    """How many months before its opening a route's dates may lie: its longest term and more."""
    return route.profile.term_max_months + LEAD_MONTHS


def earliest_day(route: Route) -> date:
    """The earliest date a route records (`lead_months` before its opening, in its region)."""
    opened = route.created_on.astimezone(ZoneInfo(route.profile.time_zone)).date()
    return add_months(opened, -lead_months(route))


def add_months(day: date, months: int) -> date:
    """The same day `months` later (the month's last day where that month is shorter)."""
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def term_bounds(starts_on: date, min_months: int, max_months: int) -> tuple[date, date]:
    """The earliest and latest end dates of a term that starts on `starts_on`, inclusive."""
    one_day = timedelta(days=1)
    return add_months(starts_on, min_months) - one_day, add_months(starts_on, max_months) - one_day
