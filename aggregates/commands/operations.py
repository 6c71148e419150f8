"""Operators' commands (each with a reason and a ticket) and the notices of the route's timers."""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING, ClassVar

from pydantic import Field

from aggregates.commands.base import Change, Command, Context, add_months, invalid
from aggregates.commands.duties import require_separate
from aggregates.commands.implementation import MarkActivityOverdue
from aggregates.commands.opening import LIVE
from aggregates.deadlines import deadlines, timers
from aggregates.errors import InvalidCommandError
from aggregates.events import (
    DeadlineExtended,
    MethodistAssigned,
    NoticeSent,
    RoutePaused,
    RouteResumed,
)
from aggregates.profiles.duties import Place
from aggregates.values import Day, Ident, Key, Name, Role, Text

if TYPE_CHECKING:
    from aggregates.route import Route


class OperatorCommand(Command):
    """An operator's intervention, with the reason and the ticket it answers."""

    allowed_when_paused: ClassVar[bool] = True
    by_person: ClassVar[bool] = False

    reason: Text
    ticket: Name

    def require_operator(self, route: Route, context: Context) -> None:
        """Refuse unless an operator acts on a live route."""
        self.require_stage(route, *LIVE)
        self.require_role(route, context.actor, (Role.OPERATOR,))


class ExtendDeadline(OperatorCommand):
    """Продлить срок: мероприятия, ответа стороны согласования или выводов."""

    title: ClassVar[str] = "Продление срока"

    deadline: Key = Field(  # a key of `aggregates.deadlines.deadlines(route)`
        description="Открытый срок ИОМ: `activity:<id>`, `agreement:<роль>`,"
        " `correction:<номер>:<роль>`, `conclusions`."
    )
    until: Day

    def decide(self, route: Route, context: Context) -> list[Change]:
        self.require_operator(route, context)
        current = {d.key: d for d in deadlines(route)}
        if self.deadline not in current:
            known = ", ".join(sorted(current)) or "нет открытых сроков"
            raise invalid("deadline", f"нет открытого срока «{self.deadline}»; открыты: {known}")
        if self.until <= current[self.deadline].due_on:
            due = current[self.deadline].due_on
            raise invalid("until", f"новый срок должен быть позже нынешнего ({due:%d.%m.%Y})")
        months = route.profile.term_max_months
        latest = add_months(context.today(route), months)
        if self.until > latest:
            raise InvalidCommandError(
                "date_window",
                f"новый срок не позднее {latest:%d.%m.%Y}: срок продлевается не более чем на"
                f" наибольший срок ИОМ ({months} мес.) от сегодняшнего дня",
                "until",
            )
        extended = partial(
            DeadlineExtended,
            deadline=self.deadline,
            until=self.until,
            reason=self.reason,
            ticket=self.ticket,
        )
        return [extended]


class ReassignMethodist(OperatorCommand):
    """Заменить закреплённого методиста по распорядительному акту."""

    title: ClassVar[str] = "Замена методиста"

    methodist_id: Ident = Field(description="Идентификатор нового методиста.")
    order: Name  # распорядительный акт

    def decide(self, route: Route, context: Context) -> list[Change]:
        self.require_operator(route, context)
        if self.methodist_id == route.methodist_id:
            raise invalid("methodist_id", "этот методист уже закреплён за ИОМ")
        require_separate(route, self.methodist_id, [Place.METHODIST], field="methodist_id")
        assigned = partial(
            MethodistAssigned,
            methodist_id=self.methodist_id,
            order=self.order,
            reason=self.reason,
            ticket=self.ticket,
        )
        return [assigned]


class PauseRoute(OperatorCommand):
    """Приостановить ИОМ: сроки и напоминания не идут, действуют только операторы."""

    title: ClassVar[str] = "Приостановка ИОМ"

    def decide(self, route: Route, context: Context) -> list[Change]:
        self.require_operator(route, context)
        if route.paused:
            raise invalid("route", "ИОМ уже приостановлен")
        return [partial(RoutePaused, reason=self.reason, ticket=self.ticket)]


class ResumeRoute(OperatorCommand):
    """Возобновить приостановленный ИОМ; наступившие за паузу сроки сработают сразу."""

    title: ClassVar[str] = "Возобновление ИОМ"

    def decide(self, route: Route, context: Context) -> list[Change]:
        self.require_operator(route, context)
        if not route.paused:
            raise invalid("route", "ИОМ не приостановлен")
        return [partial(RouteResumed, reason=self.reason, ticket=self.ticket)]


class ResendNotice(OperatorCommand):
    """Направить повторно уведомление, уже направленное по ИОМ."""

    title: ClassVar[str] = "Повторное уведомление"

    key: Key = Field(
        description="Ключ уведомления, уже направленного по ИОМ (например,"
        " `a1:methodist:reminder`)."
    )

    def decide(self, route: Route, context: Context) -> list[Change]:
        self.require_operator(route, context)
        sent = route.notices.get(self.key)
        if sent is None:
            known = ", ".join(route.notices) or "уведомлений ещё не было"
            raise invalid("key", f"уведомление «{self.key}» не направлялось; направлены: {known}")
        resent = partial(
            NoticeSent,
            key=self.key,
            kind=sent.kind,
            recipients=sent.recipients,
            due_on=sent.due_on,
            resent=True,
            reason=self.reason,
            ticket=self.ticket,
        )
        return [resent]


class SendNotice(Command):
    """A timer of the route came due: send its notice (an overdue activity also gets its mark)."""

    title: ClassVar[str] = "Уведомление по сроку"
    by_person: ClassVar[bool] = False

    key: Key

    def decide(self, route: Route, context: Context) -> list[Change]:
        self.require_role(route, context.actor, (Role.SYSTEM,))
        timer = next((t for t in timers(route) if t.key == self.key), None)
        if timer is None:
            raise invalid("key", f"уведомление «{self.key}» не ожидается или уже направлено")
        if timer.at > context.now:
            raise invalid("key", f"срок уведомления наступит {timer.at:%d.%m.%Y %H:%M} UTC")
        changes: list[Change] = []
        if timer.activity_id and not route.activities[timer.activity_id].overdue:
            changes += MarkActivityOverdue(activity_id=timer.activity_id).decide(route, context)
        sent = partial(
            NoticeSent,
            key=timer.key,
            kind=timer.kind,
            recipients=timer.recipients,
            due_on=timer.due_on,
        )
        return [*changes, sent]
