"""Opening a route, assigning its methodist, the input diagnostic, cancellation."""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING, ClassVar

from pydantic import Field

from aggregates.commands.base import Change, Command, Context, invalid
from aggregates.commands.duties import require_separate
from aggregates.errors import RoleError
from aggregates.events import DiagnosticRecorded, MethodistAssigned, RouteCancelled, RouteOpened
from aggregates.profiles import Profile, Stage
from aggregates.profiles.duties import Place
from aggregates.values import Code, Diagnostic, Ident, Name, OptionalName, OptionalText, Role, Text

if TYPE_CHECKING:
    from aggregates.route import Route

OPENERS = (
    Role.TEACHER,
    Role.METHODIST,
    Role.DEPUTY_HEAD,
    Role.SCHOOL_HEAD,
    Role.CENTRE_HEAD,
    Role.OPERATOR,
    Role.SYSTEM,
)
LIVE = (
    Stage.OPENED,
    Stage.DIAGNOSTIC,
    Stage.DESIGN,
    Stage.AGREEMENT,
    Stage.IMPLEMENTATION,
    Stage.FINAL,
)


class OpenRoute(Command):
    """Открыть ИОМ педагога под регламентом региона. The route id follows from `route_key`."""

    title: ClassVar[str] = "Открытие ИОМ"

    route_key: Ident  # the portal's own key of this route
    region: Code  # the regulation profile id, e.g. `sakha`
    teacher_id: Ident
    school_id: Ident
    municipality_id: Ident
    subject: Name  # преподаваемый предмет

    def decide_open(self, profile: Profile, context: Context) -> list[Change]:
        """The opening event, under the profile's current edition copied in whole."""
        actor = context.actor
        if actor.role not in OPENERS:
            raise RoleError("role", "открыть ИОМ может педагог, методист или руководитель")
        if actor.role is Role.TEACHER and actor.id != self.teacher_id:
            raise RoleError("own_route", "педагог открывает только свой ИОМ")
        return [
            partial(
                RouteOpened,
                route_key=self.route_key,
                profile=profile,
                teacher_id=self.teacher_id,
                school_id=self.school_id,
                municipality_id=self.municipality_id,
                subject=self.subject,
            )
        ]


class AssignMethodist(Command):
    """Закрепить (или заменить) методиста распорядительным актом."""

    title: ClassVar[str] = "Закрепление методиста"

    methodist_id: Ident = Field(description="Идентификатор закрепляемого методиста.")
    order: Name  # распорядительный акт: номер и дата
    reason: OptionalText = ""

    def decide(self, route: Route, context: Context) -> list[Change]:
        self.require_stage(route, *LIVE)
        self.require_role(
            route, context.actor, [*route.profile.methodist_assigned_by, Role.OPERATOR]
        )
        if self.methodist_id == route.methodist_id:
            raise invalid("methodist_id", "этот методист уже закреплён за ИОМ")
        if route.methodist_id is not None and not self.reason.strip():
            raise invalid("reason", "при замене методиста укажите причину")
        require_separate(route, self.methodist_id, [Place.METHODIST], field="methodist_id")
        assigned = partial(
            MethodistAssigned, methodist_id=self.methodist_id, order=self.order, reason=self.reason
        )
        return [assigned]


class RecordDiagnostic(Command):
    """Внести результаты входной диагностики профессиональных дефицитов."""

    title: ClassVar[str] = "Результаты входной диагностики"

    diagnostic: Diagnostic = Field(description="Результаты диагностической работы.")

    def decide(self, route: Route, context: Context) -> list[Change]:
        self.require_stage(route, Stage.DIAGNOSTIC, Stage.DESIGN)
        self.require_role(route, context.actor, [Role.METHODIST, Role.SYSTEM])
        if route.plan is not None:
            raise invalid("diagnostic", "ИОМ уже спроектирован по прежней диагностике")
        check_diagnostic(self.diagnostic, route, context, "diagnostic")
        levels = self.diagnostic.competence_levels()
        return [partial(DiagnosticRecorded, diagnostic=self.diagnostic, levels=levels)]


def check_diagnostic(diagnostic: Diagnostic, route: Route, context: Context, field: str) -> None:
    """A diagnostic names known competences, unique tasks, and no date ahead of today."""
    known = {entry.code for entry in route.profile.competences}
    numbers = [task.number for task in diagnostic.tasks]
    if len(numbers) != len(set(numbers)):
        raise invalid(f"{field}.tasks", "номера заданий повторяются")
    for index, task in enumerate(diagnostic.tasks):
        unknown = sorted(set(task.competences) - known)
        if unknown:
            raise invalid(
                f"{field}.tasks[{index}].competences",
                f"компетенции {', '.join(unknown)} нет в регламенте;"
                f" известны: {', '.join(sorted(known))}",
            )
    context.require_past(route, diagnostic.taken_on, f"{field}.taken_on", "дата диагностики")


def against_input(route: Route, levels: dict[str, int]) -> dict[str, int]:
    """A later diagnostic's dynamics: its level minus the input level, per competence tested
    both times."""
    return {c: levels[c] - route.input_levels[c] for c in levels if c in route.input_levels}


class CancelRoute(Command):
    """Отменить ИОМ с указанием причины."""

    title: ClassVar[str] = "Отмена ИОМ"
    allowed_when_paused: ClassVar[bool] = True

    reason: Text
    ticket: OptionalName = ""  # an operator cancels under a ticket

    def decide(self, route: Route, context: Context) -> list[Change]:
        self.require_stage(route, *LIVE)
        self.require_role(route, context.actor, [Role.CENTRE_HEAD, Role.OPERATOR, Role.METHODIST])
        if context.actor.role is Role.OPERATOR and not self.ticket.strip():
            raise invalid("ticket", "оператор отменяет ИОМ по заявке: укажите её номер")
        return [partial(RouteCancelled, reason=self.reason, ticket=self.ticket)]
