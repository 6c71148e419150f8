"""Designing the plan and the agreement of the parties the regulation names."""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING, ClassVar

from pydantic import Field

from aggregates.commands.base import (
    Change,
    Command,
    Context,
    add_months,
    earliest_day,
    invalid,
    lead_months,
    term_bounds,
)
from aggregates.commands.programme import check_programme, programme_required
from aggregates.errors import InvalidCommandError, RoleError, StageError
from aggregates.events import (
    AgreementGiven,
    RouteApproved,
    RouteDesigned,
    RouteReturned,
    RouteSubmitted,
)
from aggregates.profiles import AgreementStep, Profile, Stage
from aggregates.values import (
    LEAD_MONTHS,
    ROLE_TITLES,
    Activity,
    Digest,
    OptionalText,
    Plan,
    Text,
)

if TYPE_CHECKING:
    from aggregates.route import Route


def plan_required(profile: Profile) -> dict[str, str]:
    """What a region requires of a command's `plan` (designed or corrected) beyond its model
    (`Command.required_by`)."""
    required: dict[str, str] = {}
    if profile.directions:
        names = ", ".join(sorted(entry.code for entry in profile.directions))
        required["plan.activities[].direction"] = f"укажите направление дорожной карты: {names}"
    if profile.requires_final_public_event:
        required["plan.final_public_event"] = (
            "регламент требует заключительное публичное мероприятие"
        )
    return required | programme_required(profile)


def check_plan(plan: Plan, route: Route, context: Context, field: str = "plan") -> None:
    """Every rule a plan (designed or corrected) must keep under the route's regulation."""
    profile = route.profile
    check_start(plan, route, context, field)
    earliest, latest = term_bounds(plan.starts_on, profile.term_min_months, profile.term_max_months)
    if plan.ends_on < earliest:
        raise invalid(
            f"{field}.ends_on",
            f"срок реализации ИОМ не менее {profile.term_min_months} мес.: завершение не ранее"
            f" {earliest:%d.%m.%Y}",
        )
    if plan.ends_on > latest:
        raise invalid(
            f"{field}.ends_on",
            f"срок реализации ИОМ не более {profile.term_max_months} мес.: завершение не позднее"
            f" {latest:%d.%m.%Y}",
        )
    known = {entry.code for entry in profile.competences}
    directions = {entry.code for entry in profile.directions}
    ids = [activity.id for activity in plan.activities]
    if len(ids) != len(set(ids)):
        raise invalid(f"{field}.activities", "идентификаторы мероприятий повторяются")
    for index, activity in enumerate(plan.activities):
        where = f"{field}.activities[{index}]"
        if activity.ends_on < activity.starts_on:
            raise invalid(f"{where}.ends_on", "мероприятие заканчивается раньше, чем начинается")
        if activity.starts_on < plan.starts_on:
            raise invalid(
                f"{where}.starts_on", "мероприятие начинается раньше срока реализации ИОМ"
            )
        if activity.ends_on > plan.ends_on:
            raise invalid(
                f"{where}.ends_on", "мероприятие заканчивается позже срока реализации ИОМ"
            )
        unknown = sorted(set(activity.competences) - known)
        if unknown:
            raise invalid(
                f"{where}.competences", f"компетенций {', '.join(unknown)} нет в регламенте"
            )
        if directions and activity.direction not in directions:
            raise invalid(
                f"{where}.direction",
                f"направления «{activity.direction}» нет в регламенте: "
                + ", ".join(sorted(directions)),
            )
        if not directions and activity.direction is not None:
            raise invalid(f"{where}.direction", "регламент не делит мероприятия по направлениям")
        if activity.programme is not None:
            check_programme_ref(activity, route, context, where)
    check_final_event(plan, field)
    check_deficits(plan, route, field)
    check_programme(plan, route, field)


def check_programme_ref(activity: Activity, route: Route, context: Context, where: str) -> None:
    """An activity's ДПП is in the version of the region's catalogue it names, and addresses
    a competence the activity builds."""
    ref = activity.programme
    assert ref is not None
    found = context.programme(route.profile.id, ref) if context.programme else None
    if found is None:
        raise invalid(
            f"{where}.programme",
            f"программы ДПП № {ref.registry_number} нет в каталоге региона версии"
            f" {ref.catalogue_version}",
        )
    addressed = {entry.competence for entry in found.addresses}
    if not addressed & set(activity.competences):
        raise invalid(
            f"{where}.programme",
            f"программа ДПП № {ref.registry_number} не направлена на компетенции мероприятия",
        )


def check_start(plan: Plan, route: Route, context: Context, field: str) -> None:
    """A plan starts at most `lead_months` before the route's opening and `LEAD_MONTHS` after
    today (rule `date_window`); its activities and events then lie within its term."""
    earliest = earliest_day(route)
    latest = add_months(context.today(route), LEAD_MONTHS)
    if not earliest <= plan.starts_on <= latest:
        raise InvalidCommandError(
            "date_window",
            f"начало реализации ИОМ {plan.starts_on:%d.%m.%Y} вне окна {earliest:%d.%m.%Y}"
            f" – {latest:%d.%m.%Y}: не ранее чем за {lead_months(route)} мес. до открытия ИОМ"
            f" и не позднее чем через {LEAD_MONTHS} мес. от сегодняшнего дня",
            f"{field}.starts_on",
        )


def check_final_event(plan: Plan, field: str) -> None:
    """The final public event, where one is planned, lies within the term."""
    event = plan.final_public_event
    if event is None:  # a region that requires one said so first (`plan_required`)
        return
    where = f"{field}.final_public_event"
    if event.ends_on < event.starts_on:
        raise invalid(f"{where}.ends_on", "мероприятие заканчивается раньше, чем начинается")
    if event.starts_on < plan.starts_on:
        raise invalid(f"{where}.starts_on", "мероприятие начинается раньше срока реализации ИОМ")
    if event.ends_on > plan.ends_on:
        raise invalid(f"{where}.ends_on", "мероприятие заканчивается позже срока реализации ИОМ")


def check_deficits(plan: Plan, route: Route, field: str) -> None:
    """The plan builds competences the diagnostic found lacking; lowest first where required."""
    levels = route.input_levels
    lacking = {code for code, level in levels.items() if level < len(route.profile.levels)}
    built = {code for activity in plan.activities for code in activity.competences}
    if lacking and not built & lacking:
        raise invalid(
            f"{field}.activities",
            "ни одно мероприятие не направлено на дефициты, выявленные входной диагностикой",
        )
    if not route.profile.lowest_levels_first or not lacking:
        return
    lowest = min(levels[code] for code in lacking)
    weakest = {code for code in lacking if levels[code] == lowest}
    name = route.profile.level_name(lowest)
    uncovered = sorted(weakest - built)
    if uncovered:
        names = ", ".join(route.profile.competence_name(code) for code in uncovered)
        raise invalid(
            f"{field}.activities",
            f"не запланированы мероприятия по компетенциям уровня «{name}»: {names}",
        )
    first = min(plan.activities, key=lambda activity: activity.starts_on)
    if not set(first.competences) & weakest:
        raise invalid(
            f"{field}.activities",
            f"маршрут начинается с компетенций уровня «{name}»: первое мероприятие должно"
            " быть направлено на них",
        )


class DesignRoute(Command):
    """Спроектировать ИОМ (Карта ИОМ): тема, цель, задачи, срок, мероприятия, заключительное
    публичное мероприятие."""

    title: ClassVar[str] = "Проектирование ИОМ"

    plan: Plan = Field(description="План ИОМ.")

    @classmethod
    def required_by(cls, profile: Profile) -> dict[str, str]:
        return plan_required(profile)

    def decide(self, route: Route, context: Context) -> list[Change]:
        self.require_stage(route, Stage.DESIGN)
        self.require_role(route, context.actor, route.profile.designers)
        if route.input_diagnostic is None:
            raise StageError("diagnostic_first", "сначала внесите результаты входной диагностики")
        self.require_fields(route.profile)
        check_plan(self.plan, route, context)
        plan_hash = self.plan.content_hash()
        if plan_hash == route.plan_hash:
            raise invalid("plan", "эта редакция ИОМ уже сохранена")
        revision = route.revision + 1
        return [partial(RouteDesigned, revision=revision, plan=self.plan, plan_hash=plan_hash)]


class SubmitRoute(Command):
    """Передать спроектированный ИОМ на согласование: начинается новый круг согласования. Тело —
    пустой объект `{}`."""

    title: ClassVar[str] = "Передача ИОМ на согласование"

    def decide(self, route: Route, context: Context) -> list[Change]:
        self.require_stage(route, Stage.DESIGN)
        self.require_role(route, context.actor, route.profile.designers)
        if route.plan is None or route.plan_hash is None:
            raise StageError("plan_first", "ИОМ ещё не спроектирован")
        if route.returns and route.returns[-1].revision == route.revision:
            raise invalid(
                "plan", "ИОМ возвращён с замечаниями: внесите изменения перед повторной передачей"
            )
        return [partial(RouteSubmitted, revision=route.revision, plan_hash=route.plan_hash)]


class AgreeRoute(Command):
    """Подписать, рассмотреть, согласовать или утвердить ИОМ — ту редакцию, чей хеш указан
    (`plan_hash`)."""

    title: ClassVar[str] = "Согласование ИОМ"

    plan_hash: Digest = Field(
        description="Хэш редакции плана, которую подтверждает сторона (из `GET /routes/{id}`)."
    )
    comment: OptionalText = ""

    def decide(self, route: Route, context: Context) -> list[Change]:
        step = self.party_step(route, context)
        if self.plan_hash != route.plan_hash:
            raise invalid("plan_hash", "согласуется не та редакция ИОМ: обновите и проверьте текст")
        agreed = partial(
            AgreementGiven,
            role=step.role,
            action=step.action,
            revision=route.revision,
            plan_hash=self.plan_hash,  # the route's, checked above
            comment=self.comment,
        )
        changes: list[Change] = [agreed]
        if route.pending_parties() == [step.role] and step.round == max(
            s.round for s in route.profile.agreement
        ):
            changes.append(
                partial(RouteApproved, revision=route.revision, plan_hash=self.plan_hash)
            )
        return changes

    def party_step(self, route: Route, context: Context) -> AgreementStep:
        """The actor's step in the agreement, if it is their turn."""
        self.require_stage(route, Stage.AGREEMENT)
        pending = route.pending_parties()
        self.require_role(route, context.actor, [s.role for s in route.profile.agreement])
        if context.actor.role not in pending:
            waiting = ", ".join(ROLE_TITLES[role] for role in pending)
            raise RoleError("turn", f"сейчас ИОМ ждёт ответа: {waiting}")
        return next(s for s in route.profile.agreement if s.role is context.actor.role)


class ReturnRoute(AgreeRoute):
    """Вернуть ИОМ на доработку с замечаниями."""

    title: ClassVar[str] = "Возврат ИОМ на доработку"

    plan_hash: Digest = Field(
        default="", description="Хэш редакции плана, которая возвращается (необязательно)."
    )
    comments: Text

    def decide(self, route: Route, context: Context) -> list[Change]:
        step = self.party_step(route, context)
        returned = partial(
            RouteReturned, role=step.role, revision=route.revision, comments=self.comments
        )
        return [returned]
