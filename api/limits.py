"""The API's limits: the size of a request body, the requests per minute of one user, the size
of a page.

- A body over `IOM_API_MAX_BODY_BYTES` is refused with 413 before it is read whole: at once
  when its `Content-Length` says so, or as soon as a streamed body passes the limit.
- Each token subject (the portal's user, within the token's region) has a bucket of
  `IOM_API_RATE_PER_MINUTE` requests, refilled evenly over the minute; an empty bucket answers
  429 with `Retry-After` (seconds until a request is allowed again). The buckets live in the
  memory of each API process: behind N processes a user gets up to N times the rate, and a
  restart refills them (enough to keep one user or a runaway portal job from crowding out the
  rest; a shared limit belongs to the gateway in front).
- A list endpoint answers at most `IOM_API_MAX_PAGE` rows (`page_limit`).
"""

from __future__ import annotations

import math
import time
from collections import OrderedDict
from threading import Lock

from starlette.datastructures import Headers
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.auth import Principal
from api.problems import ProblemError, problem, respond
from runtime.settings import Settings

TOO_LARGE = "тело запроса больше допустимого ({limit} байт)"


class BodyLimit:
    """ASGI middleware: refuse a request body over `limit` bytes (413, problem details)."""

    def __init__(self, app: ASGIApp, limit: int) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        length = Headers(scope=scope).get("content-length")
        if length is not None and length.isdigit() and int(length) > self.limit:
            found = problem(413, "payload-too-large", TOO_LARGE.format(limit=self.limit))
            await respond(found.model_copy(update={"rule": "max_body_bytes"}))(scope, receive, send)
            return
        seen = 0

        async def counted() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.limit:
                    raise HTTPException(413, TOO_LARGE.format(limit=self.limit))
            return message

        await self.app(scope, counted, send)


class RateLimiter:
    """A token bucket per subject, in this process's memory (see the module's docstring)."""

    def __init__(self, per_minute: int, most_subjects: int = 100_000) -> None:
        self.capacity = float(per_minute)
        self.per_second = per_minute / 60.0
        self.most_subjects = most_subjects
        self._buckets: OrderedDict[tuple[str, str], tuple[float, float]] = OrderedDict()
        self._lock = Lock()

    def take(self, key: tuple[str, str], now: float | None = None) -> float:
        """Take one request from the subject's bucket: 0 when allowed, else the seconds until
        one is."""
        if self.capacity <= 0:
            return 0.0
        now = time.monotonic() if now is None else now
        with self._lock:
            tokens, then = self._buckets.pop(key, (self.capacity, now))
            tokens = min(self.capacity, tokens + (now - then) * self.per_second)
            wait = 0.0 if tokens >= 1 else (1 - tokens) / self.per_second
            self._buckets[key] = (tokens - 1 if wait == 0 else tokens, now)
            while len(self._buckets) > self.most_subjects:  # the longest idle go first
                self._buckets.popitem(last=False)
        return wait

    def charge(self, principal: Principal) -> None:
        """Count a request of the principal; 429 when their bucket is empty."""
        wait = self.take((principal.region, principal.subject))
        if wait > 0:
            raise ProblemError(
                429,
                "rate-limited",
                "слишком много запросов от пользователя; повторите позже",
                rule="rate_per_minute",
                headers={"Retry-After": str(max(1, math.ceil(wait)))},
            )


def page_limit(limit: int | None, settings: Settings) -> int:
    """The rows a list answers: `limit`, or the default; outside 1…the largest page, 422."""
    if limit is None:
        return min(settings.api_default_page, settings.api_max_page)
    if not 1 <= limit <= settings.api_max_page:
        raise ProblemError(
            422,
            "invalid-request",
            f"размер страницы — от 1 до {settings.api_max_page} строк",
            rule="page_size",
            field="limit",
        )
    return limit
