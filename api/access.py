"""Authorisation at object level: whom a route is shown to and who may command it.

The region is the tenant: a route of another region does not exist for the principal. Within
the region a teacher sees their own routes, a methodist the routes assigned to them, the
school's people (deputy head, МО head, school head) their school's, and the centre head, the
auditor and the operator the whole region. A route the principal may not see answers 404, the
same as a route that does not exist, so nothing about it leaks. Which role may issue which
command at which stage is the route's own rule (the aggregate refuses with `RoleError`): here
only who may reach the route at all, and that an auditor only reads.

The route's region, school, teacher and methodist are read from its state in the event store.
"""

from __future__ import annotations

import asyncio
from uuid import UUID

from aggregates.application import Routes
from aggregates.commands import OpenRoute
from aggregates.errors import RoleError, RouteNotFoundError
from aggregates.route import Route
from aggregates.values import Role
from api.auth import SCHOOL_ROLES, Principal

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


def not_found(route_id: UUID) -> RouteNotFoundError:
    """The answer for a route that does not exist or is out of reach: the same either way."""
    return RouteNotFoundError("not_found", f"ИОМ {route_id} не найден")


async def visible_route(routes: Routes, principal: Principal, route_id: UUID) -> Route:
    """The route now, if the principal may see it; else `RouteNotFoundError`."""
    try:
        route = await asyncio.to_thread(routes.route, route_id)
    except RouteNotFoundError:
        raise not_found(route_id) from None
    if not may_see(principal, route):
        raise not_found(route_id)
    return route


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
