"""What the endpoints use, built once per app: the routes, the gateway to their workflows, the
token verifier and the kept answers; and the dependencies that hand them out."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from functools import cached_property
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from adapters.personal import OfficialsStore, PersonalDataStore
from aggregates.application import Routes
from aggregates.operation import Operations
from api.auth import AuthenticationError, Principal, TokenVerifier
from api.claims import TeacherBindings, check_claims, needs_check
from api.idempotency import IdempotencyStore
from projections.catalog import datastore_of, open_projection
from projections.view import ProjectionView
from runtime.gateway import RouteGateway


@dataclass
class Services:
    """The API's parts (built by the composition root, `workers.context.api_services`, when the
    app starts, or handed to `api.app.create_app` by tests)."""

    routes: Routes
    gateway: RouteGateway
    verifier: TokenVerifier
    answers: IdempotencyStore
    personal: PersonalDataStore | None = None
    """The teachers' information sheets (None: the API does not serve them)."""
    operations: Operations | None = None
    """The bulk operations (None: the API does not serve `/operations`)."""
    officials: OfficialsStore | None = None
    """The officials' cards (None: the API does not serve them; documents print «ФИО не
    указано»)."""

    @cached_property
    def monitoring(self) -> ProjectionView:
        """The monitoring tables (read only here: `iom projector` writes them)."""
        return open_projection(self.routes, "monitoring").view

    @cached_property
    def tasks(self) -> ProjectionView:
        """The tasks of every route, the inbox (read only here)."""
        return open_projection(self.routes, "tasks").view

    @cached_property
    def bindings(self) -> TeacherBindings:
        """The teachers' bindings to portal subjects (`api.claims`)."""
        return TeacherBindings(datastore_of(self.routes))

    @cached_property
    def audit(self) -> ProjectionView:
        """The audit trail (read only here)."""
        return open_projection(self.routes, "audit").view


# The dependencies are coroutines: FastAPI runs a plain function dependency on a worker thread,
# two thread hand-offs per request for what takes microseconds on the event loop.


async def services(request: Request) -> Services:
    """The app's services."""
    found: Services = request.app.state.services
    return found


bearer = HTTPBearer(
    auto_error=False,
    scheme_name="portalToken",
    bearerFormat="JWT",
    description="Короткоживущий JWT, который портал подписывает для каждого действия"
    " пользователя (HS256 общим секретом или RS256 ключом портала). Утверждения: `sub` —"
    " идентификатор пользователя портала; `role` — роль (teacher, methodist, deputy_head,"
    " mo_head, school_head, centre_head, auditor, operator); `region` — код регламента региона"
    " (`sakha`, …); `school` — идентификатор ОО (для ролей ОО); `teacher_id` — идентификатор"
    " педагога (для педагога); `aud`, `exp`, `iat`.",
)


async def principal(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
    parts: Annotated[Services, Depends(services)],
) -> Principal:
    """The person the request's bearer token names (a signature checked on the event loop: a
    fraction of a millisecond); 401 without a valid one, 403 for claims at odds with what the
    store knows (`api.claims`: a teacher's first binding, a school's region)."""
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise AuthenticationError("missing", "нужен заголовок Authorization: Bearer <токен>")
    found = parts.verifier.verify(credentials.credentials)
    if needs_check(found, parts.bindings):  # 403 for claims at odds with the store
        await asyncio.to_thread(check_claims, parts.bindings, parts.monitoring, found)
    request.app.state.limiter.charge(found)  # 429 past the user's rate (`api.limits`)
    return found


ServicesDep = Annotated[Services, Depends(services)]
PrincipalDep = Annotated[Principal, Depends(principal)]
