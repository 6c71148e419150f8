"""Checks at the edge, before any route: what no endpoint can take answers a problem at once.

A query parameter or path whose bytes are not valid percent-encoding, not UTF-8 (a lone
surrogate, `%ED%A0%80`, is not) or hold a control character (NUL and the other C0 and C1
controls) is a 422 naming the parameter (`path` for the path), rule `encoding` or
`control_character`: the stores cannot keep NUL, nor encode a surrogate. Request headers larger
than `max_header_bytes` together are a 431 (the server's own parser closes the connection only
past its larger limit: `iom api` sets it to `SERVER_HEADER_BYTES`).
"""

from __future__ import annotations

import re
import unicodedata
from urllib.parse import unquote_to_bytes

from starlette.types import ASGIApp, Receive, Scope, Send

from api.problems import Problem, problem, respond

MAX_HEADER_BYTES = 16 * 1024
"""The request headers the API takes, together (names and values)."""
SERVER_HEADER_BYTES = 64 * 1024
"""The request head uvicorn (h11) reads before it gives up with a plain 400 and closes."""
_BAD_ESCAPE = re.compile(rb"%(?![0-9A-Fa-f]{2})")


def text_problem(raw: bytes, field: str) -> Problem | None:
    """Why the percent-encoded `raw` is no text a parameter may hold, if it is not."""
    if _BAD_ESCAPE.search(raw):
        return _refusal(field, "encoding", "неверная %-кодировка")
    try:
        text = unquote_to_bytes(raw).decode("utf-8")
    except UnicodeDecodeError:
        return _refusal(field, "encoding", "значение не в кодировке UTF-8")
    if any(unicodedata.category(c) == "Cc" for c in text):
        return _refusal(field, "control_character", "управляющие символы (NUL и др.) недопустимы")
    return None


def _refusal(field: str, rule: str, detail: str) -> Problem:
    return problem(422, "invalid-request", f"{field}: {detail}", rule=rule, field=field)


def query_problem(query: bytes) -> Problem | None:
    """The first parameter of the query string that holds no acceptable text, as a problem."""
    for part in query.replace(b"+", b" ").split(b"&"):
        raw_name, _, raw_value = part.partition(b"=")
        found = text_problem(raw_name, "query")
        if found is not None:
            return found
        found = text_problem(raw_value, unquote_to_bytes(raw_name).decode())
        if found is not None:
            return found
    return None


def request_problem(scope: Scope, max_header_bytes: int) -> Problem | None:
    """Why the request is refused before any route, if it is."""
    size = sum(len(name) + len(value) for name, value in scope.get("headers", ()))
    if size > max_header_bytes:
        return problem(
            431,
            "headers-too-large",
            f"заголовки запроса больше {max_header_bytes} байт",
            rule="max_header_bytes",
        )
    raw_path = scope.get("raw_path") or scope["path"].encode("utf-8", "surrogatepass")
    return text_problem(raw_path, "path") or query_problem(scope.get("query_string", b""))


class EdgeChecks:
    """The ASGI middleware of the module's checks."""

    def __init__(self, app: ASGIApp, max_header_bytes: int = MAX_HEADER_BYTES) -> None:
        self.app = app
        self.max_header_bytes = max_header_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            found = request_problem(scope, self.max_header_bytes)
            if found is not None:
                await respond(found)(scope, receive, send)
                return
        await self.app(scope, receive, send)
