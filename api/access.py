"""Authorisation at object level: whom a route is shown to and who may command it.

The region is the tenant: a route of another region does not exist for the principal. Within
the region a teacher sees their own routes, a methodist the routes assigned to them, the
school's people (deputy head, МО head, school head) their school's, and the centre head, the
auditor and the operator the whole region. A route the principal may not see answers 404, the
same as a route that does not exist, so nothing about it leaks. Which role may issue which
command at which stage is the route's own rule (the aggregate refuses with `RoleError`): here
only who may reach the route at all, and that an auditor only reads.

The route's region, school, teacher and methodist are read from its state in the event store.
The lists (monitoring tables, the audit trail) are held to the same reach by their filter
columns (`list_scope`); the teacher's information sheet is for fewer roles still (`SHEET_ROLES`).
"""

from __future__ import annotations

import asyncio
from uuid import UUID

from aggregates.application import Routes
from aggregates.commands import OpenRoute
from aggregates.errors import RoleError, RouteExistsError, RouteNotFoundError
from aggregates.route import Route
from aggregates.values import Role
from api.auth import Principal
from api.portal_tokens import SCHOOL_ROLES
from projections.tasks import TaskFilters

REGION_ROLES = frozenset({Role.CENTRE_HEAD, Role.AUDITOR, Role.OPERATOR})
READ_ONLY = frozenset({Role.AUDITOR})


def may_see(principal: Principal, route: Route) -> bool:
    """Whether the route is within the principal's reach."""
    if route.profile.id != principal.region:
        return False
    role = principal.role
    if role is Role.TEACHER:
        return principal.teacher_id is not None and route.teacher_id == principal.teacher_id
    if role is Role.METHODIST:
        return route.methodist_id is not None and route.methodist_id == principal.subject
    if role in SCHOOL_ROLES:
        return principal.school is not None and route.school_id == principal.school
    return role in REGION_ROLES


def named_route(
    routes: Routes, principal: Principal, command: OpenRoute, error: RouteExistsError
) -> RouteExistsError:
    """The refusal of an opening under a key taken, naming the route under the key to a caller
    who may see it (blocking: it reads the store)."""
    route = routes.keyed_route(command.region, command.route_key)
    if route is None or not may_see(principal, route):
        return error
    named = RouteExistsError(error.rule, f"{error.message}: ИОМ {route.id}", error.field)
    named.route_id = str(route.id)
    return named


def not_found(route_id: UUID) -> RouteNotFoundError:
    """The answer for a route that does not exist or is out of reach: the same either way."""
    return RouteNotFoundError("not_found", f"ИОМ {route_id} не найден")


def reachable_route(routes: Routes, principal: Principal, route_id: UUID) -> Route:
    """The route now, if the principal may see it; else `RouteNotFoundError` (blocking: it
    reads the store)."""
    try:
        route = routes.route(route_id)
    except RouteNotFoundError:
        raise not_found(route_id) from None
    if not may_see(principal, route):
        raise not_found(route_id)
    return route


async def visible_route(routes: Routes, principal: Principal, route_id: UUID) -> Route:
    """The route now, if the principal may see it; else `RouteNotFoundError`."""
    return await asyncio.to_thread(reachable_route, routes, principal, route_id)


def require_writer(principal: Principal) -> None:
    """Refuse a command from a role that only reads."""
    if principal.role in READ_ONLY:
        raise RoleError("read_only", "аудитор только просматривает ИОМ и не отдаёт команд")


def require_may_open(principal: Principal, command: OpenRoute) -> None:
    """Refuse opening a route outside the principal's reach (the aggregate decides the role)."""
    require_writer(principal)
    if principal.role is Role.TEACHER and command.teacher_id != principal.teacher_id:
        raise RoleError("own_route", "педагог открывает только свой ИОМ", "teacher_id")
    if principal.role in SCHOOL_ROLES and command.school_id != principal.school:
        raise RoleError("own_school", "ИОМ открывается только для педагога своей ОО", "school_id")


SCOPE_FIELDS = {"school_id": "school", "methodist_id": "methodist", "teacher_id": "teacher"}
"""The query parameter of each column a scope fixes (none names the region: it is the token's)."""


def require_region_role(principal: Principal, what: str) -> None:
    """Refuse a role that does not plan region-wide (before anything is read); `what` names
    the region-wide read in the message."""
    if principal.role not in REGION_ROLES:
        raise RoleError("report_role", f"{what} доступен руководителю ЦНППМ, аудитору и оператору")


def list_scope(principal: Principal) -> dict[str, str]:
    """The columns every list read by the principal is held to: the region always; a teacher's
    own routes, a methodist's assigned ones, a school's people their school's."""
    scope = {"profile_id": principal.region}
    if principal.role is Role.TEACHER and principal.teacher_id is not None:
        scope["teacher_id"] = principal.teacher_id
    elif principal.role is Role.METHODIST:
        scope["methodist_id"] = principal.subject
    elif principal.role in SCHOOL_ROLES and principal.school is not None:
        scope["school_id"] = principal.school
    return scope


def task_scope(principal: Principal) -> TaskFilters:
    """Whose tasks are the principal's own: their region, their role, and the person (a
    teacher by their teacher id, anyone else acting as a person by their portal id), the
    school (a school's people) or the region (the centre head and the other regional roles)
    the role is held in. A token without the school or teacher id its role needs has none."""
    role = principal.role
    if role is Role.TEACHER:
        who = principal.teacher_id or ""
    elif role in SCHOOL_ROLES:
        who = principal.school or ""
    elif role in REGION_ROLES:
        who = principal.region
    else:
        who = principal.subject
    return TaskFilters(profile_id=principal.region, assignee_role=role.value, assignee=who)


SHEET_ROLES = frozenset({Role.TEACHER, Role.METHODIST, Role.SCHOOL_HEAD, Role.CENTRE_HEAD})
"""Who may read a teacher's information sheet (personal data, 152-ФЗ: least access): the
teacher, the methodist of one of their routes, the head of their route's school, the centre
head of the route's region. The deputy head and the МО head work with the route itself, the
auditor checks the record (events carry ids only), the operator runs processes: none of them
needs the teacher's name, education or awards."""


def require_sheet_role(principal: Principal) -> None:
    """Refuse a role never entitled to a teacher's sheet (before anything is looked up)."""
    if principal.role not in SHEET_ROLES:
        raise RoleError(
            "personal_data",
            "информационная справка педагога (персональные данные, 152-ФЗ) доступна только"
            " самому педагогу, его методисту, руководителю его ОО и руководителю ЦНППМ региона",
        )


def may_read_sheet(principal: Principal, teacher_id: str, routes: list[dict[str, str]]) -> bool:
    """Whether the principal may read the sheet of `teacher_id`, whose routes in the
    principal's region are `routes` (rows with `methodist_id` and `school_id`): a teacher
    without a route in the region is out of everyone's reach there, as a route of another
    region is."""
    role = principal.role
    if role is Role.TEACHER:
        return principal.teacher_id == teacher_id and bool(routes)
    if role is Role.METHODIST:
        return any(r["methodist_id"] == principal.subject for r in routes)
    if role is Role.SCHOOL_HEAD:
        return any(r["school_id"] == principal.school for r in routes)
    return role is Role.CENTRE_HEAD and bool(routes)


def may_read_route_sheet(principal: Principal, route: Route) -> bool:
    """Whether a document of `route` may show its teacher's sheet to the principal: the sheet's
    own rule (`SHEET_ROLES`, `may_read_sheet`), the route within reach being one of the
    teacher's routes in the principal's region."""
    if principal.role not in SHEET_ROLES or not may_see(principal, route):
        return False
    row = {"methodist_id": route.methodist_id or "", "school_id": route.school_id}
    return may_read_sheet(principal, route.teacher_id, [row])
