"""Query parameters a GET does not take are refused, never silently ignored.

A portal that misspells a filter (`?route_key=` where the list takes `route`, `?limt=`) would
otherwise read the whole list and take it for the answer: every GET operation answers a query
parameter it does not declare with a 422 naming it (rule `unknown_parameter`). The parameters
an operation takes are read from its own declaration (a walk of a few nodes per request).
"""

from __future__ import annotations

from fastapi import Request
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute

from api.paging import invalid


def declared(route: APIRoute) -> frozenset[str]:
    """The query parameters `route` declares, its dependencies' included."""
    names: set[str] = set()
    pending: list[Dependant] = [route.dependant]
    while pending:
        dependant = pending.pop()
        names.update(field.alias for field in dependant.query_params)
        pending.extend(dependant.dependencies)
    return frozenset(names)


async def known_parameters(request: Request) -> None:
    """Refuse a GET's query parameter its operation does not declare (422 naming it)."""
    route = request.scope.get("route")
    if request.method != "GET" or not isinstance(route, APIRoute):
        return
    taken = declared(route)
    for name in request.query_params:
        if name not in taken:
            listed = ", ".join(sorted(taken)) or "нет"
            shown = name[:64].encode("unicode_escape").decode("ascii")  # as sent, shown safely
            raise invalid(
                shown,
                "unknown_parameter",
                f"параметра запроса «{shown}» у этого адреса нет; допустимые параметры: {listed}",
            )
