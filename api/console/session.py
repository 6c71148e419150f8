"""The console's sign-in: a portal token kept in a cookie, and the CSRF token of its forms.

The person pastes a token the portal issued (the same tokens and checks as the API's bearer:
`api.services.principal`); it is kept in an HttpOnly, SameSite=Strict cookie on `/console` that
expires with the token (Secure over https). Every form that changes something carries a CSRF
token bound to the session: an HMAC of the session's token with a key derived from the server's
(`CursorKey`), checked on every POST. The sign-in form itself has no session yet: it is refused
when its `Origin` is another site (and the cookie's SameSite=Strict keeps cross-site requests
unsigned). A missing, expired or refused session sends the browser to the sign-in page, with
the reason in Russian.
"""

from __future__ import annotations

import hashlib
import hmac
import time
from dataclasses import dataclass
from typing import Annotated, Literal
from urllib.parse import parse_qs, urlsplit

import jwt
from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials
from starlette.responses import Response

from aggregates.errors import RoleError
from api.auth import AuthenticationError, Principal, numeric_date
from api.services import ServicesDep, principal

COOKIE = "iom_console"
PATH = "/console"

Reason = Literal["signed_out", "expired", "invalid", "refused", "csrf"]
REASONS: dict[str, str] = {
    "signed_out": "Войдите в консоль: вставьте токен, выданный порталом.",
    "expired": "Срок действия токена истёк: войдите снова с новым токеном портала.",
    "invalid": "Токен не принят: войдите снова с токеном, выданным порталом.",
    "refused": "Токен не соответствует сведениям движка: вход отклонён.",
    "logged_out": "Вы вышли из консоли.",
}
"""The sign-in page's messages by the `reason` it is sent to with (never text from a request)."""


class SignedOutError(Exception):
    """No valid session: the browser goes to the sign-in page with `reason`."""

    def __init__(self, reason: Reason) -> None:
        super().__init__(reason)
        self.reason = reason


class CsrfError(Exception):
    """A form that changes something came without its session's CSRF token (403)."""


@dataclass(frozen=True)
class Session:
    """The person signed in: their principal, their token and their forms' CSRF token."""

    principal: Principal
    token: str
    csrf: str


def csrf_token(request: Request, token: str) -> str:
    """The CSRF token of the session holding `token`: an HMAC with a key of the server's."""
    server: bytes = request.app.state.cursor_key.key
    key = hmac.new(server, b"iom-console-csrf", hashlib.sha256).digest()
    return hmac.new(key, token.encode(), hashlib.sha256).hexdigest()


async def form_fields(request: Request) -> dict[str, str]:
    """The fields of an urlencoded form (the first value of each)."""
    body = (await request.body()).decode("utf-8", errors="replace")
    return {name: values[0] for name, values in parse_qs(body).items()}


async def principal_of(request: Request, parts: ServicesDep, token: str) -> Principal:
    """The principal `token` names, checked as the API checks a bearer token; else
    `SignedOutError` with the reason."""
    credentials = HTTPAuthorizationCredentials(scheme="Bearer", credentials=token)
    try:
        return await principal(request, credentials, parts)
    except AuthenticationError as error:
        raise SignedOutError("expired" if error.reason == "expired" else "invalid") from None
    except RoleError:
        raise SignedOutError("refused") from None


async def session(request: Request, parts: ServicesDep) -> Session:
    """The session the request's cookie holds; else `SignedOutError`."""
    token = request.cookies.get(COOKIE)
    if not token:
        raise SignedOutError("signed_out")
    found = await principal_of(request, parts, token)
    return Session(found, token, csrf_token(request, token))


async def changing(request: Request, signed_in: Annotated[Session, Depends(session)]) -> Session:
    """The session of a POST whose form carries the session's CSRF token; else `CsrfError`."""
    given = (await form_fields(request)).get("csrf", "")
    if not hmac.compare_digest(given.encode(), signed_in.csrf.encode()):
        raise CsrfError
    return signed_in


def same_site(request: Request) -> bool:
    """Whether a form came from this site (no `Origin`, or this host's)."""
    origin = request.headers.get("origin")
    return origin is None or urlsplit(origin).netloc == request.headers.get("host")


def keep(response: Response, request: Request, token: str) -> None:
    """Set the session cookie for as long as the token lives."""
    expires = int(numeric_date(jwt_claims(token), "exp") - time.time())
    response.set_cookie(
        COOKIE,
        token,
        max_age=max(expires, 1),
        path=PATH,
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
    )


def forget(response: Response, request: Request) -> None:
    """Clear the session cookie."""
    response.delete_cookie(
        COOKIE,
        path=PATH,
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
    )


def jwt_claims(token: str) -> dict[str, object]:
    """The claims of a token already verified (its `exp` for the cookie's lifetime)."""
    claims: dict[str, object] = jwt.decode(token, options={"verify_signature": False})
    return claims


SessionDep = Annotated[Session, Depends(session)]
