"""The webhook channel: a notice POSTed as JSON, signed with HMAC-SHA256 over its timestamp.

The receiver checks `X-IOM-Signature` with `verify` (same secret), drops requests whose
`X-IOM-Timestamp` is too far from its clock, and drops repeats by `X-IOM-Delivery`.
"""

from __future__ import annotations

import hashlib
import hmac
import ssl
import time
from functools import cache
from urllib.parse import urlsplit, urlunsplit

import certifi
import httpx

from activities.notify.base import DeliveryError, PermanentDeliveryError
from workflows.contracts import Notice

SIGNATURE_VERSION = "v1"
RETRYABLE_4XX = frozenset({408, 425, 429})


def sign(secret: bytes, timestamp: str, body: bytes) -> str:
    """`v1=` and the hex HMAC-SHA256 of `<timestamp>.<body>` under `secret`."""
    digest = hmac.new(secret, timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    return f"{SIGNATURE_VERSION}={digest}"


def verify(
    secret: bytes,
    timestamp: str,
    body: bytes,
    signature: str,
    *,
    now: float,
    tolerance: int = 300,
) -> bool:
    """Whether `signature` signs `body` at `timestamp` under `secret`, and `timestamp` (unix
    seconds) is within `tolerance` seconds of `now` either way. Compares in constant time."""
    try:
        moment = int(timestamp)
    except ValueError:
        return False
    if abs(now - moment) > tolerance:
        return False
    expected = sign(secret, timestamp, body)
    return hmac.compare_digest(expected.encode(), signature.encode())


def redacted(url: str) -> str:
    """`url` without its user and password, fit for an error message or a log."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    netloc = f"[{host}]" if ":" in host else host
    try:
        port = parts.port
    except ValueError:
        port = None
    if port is not None:
        netloc += f":{port}"
    return urlunsplit((parts.scheme, netloc, parts.path, parts.query, ""))


def check_url(url: str) -> None:
    """Raise `ValueError` unless `url` is `http(s)://host[:port]/…` (the message redacted)."""
    parts = urlsplit(url)
    try:
        parts.port  # noqa: B018 - a port that is not a number raises here, not at send
    except ValueError as error:
        raise ValueError(f"webhook URL has a bad port: {redacted(url)!r}") from error
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"webhook URL must be http(s)://host/…, got {redacted(url)!r}")


def signed_headers(
    secret: bytes, body: bytes, *, delivery: str, event: str, timestamp: str
) -> dict[str, str]:
    """A delivery's headers: content type, delivery id, event kind, timestamp, signature."""
    return {
        "Content-Type": "application/json",
        "User-Agent": "iom-engine",
        "X-IOM-Delivery": delivery,
        "X-IOM-Event": event,
        "X-IOM-Timestamp": timestamp,
        "X-IOM-Signature": sign(secret, timestamp, body),
    }


@cache
def tls() -> ssl.SSLContext:
    """The TLS context of every delivery, built once: building one loads the CA bundle (tens of
    milliseconds of CPU), which a client per delivery would otherwise pay each time."""
    return ssl.create_default_context(cafile=certifi.where())


def post(url: str, secret: bytes, body: bytes, *, delivery: str, event: str, timeout: float) -> int:
    """POST a signed JSON `body` to `url`; its 2xx status, or `DeliveryError` (retry) /
    `PermanentDeliveryError` (give up) as `check` decides."""
    headers = signed_headers(
        secret, body, delivery=delivery, event=event, timestamp=str(int(time.time()))
    )
    try:
        with httpx.Client(timeout=timeout, follow_redirects=False, verify=tls()) as client:
            response = client.post(url, content=body, headers=headers)
    except httpx.UnsupportedProtocol as error:
        raise PermanentDeliveryError(
            f"webhook {redacted(url)}: unsupported URL ({error})"
        ) from error
    except httpx.TimeoutException as error:
        raise DeliveryError(f"webhook {redacted(url)}: timed out after {timeout:g} s") from error
    except httpx.TransportError as error:
        raise DeliveryError(f"webhook {redacted(url)}: {type(error).__name__}: {error}") from error
    check(url, response)
    return response.status_code


def check(url: str, response: httpx.Response) -> None:
    """Return on 2xx; raise `DeliveryError` on 408/425/429/5xx, `PermanentDeliveryError` on a
    redirect or any other 4xx."""
    status = response.status_code
    where = f"webhook {redacted(url)}"
    if 200 <= status < 300:
        return
    if 300 <= status < 400:
        location = response.headers.get("Location", "(none)")
        raise PermanentDeliveryError(f"{where}: HTTP {status} redirect to {location} not followed")
    if 400 <= status < 500 and status not in RETRYABLE_4XX:
        raise PermanentDeliveryError(f"{where}: HTTP {status} {response.reason_phrase}")
    raise DeliveryError(f"{where}: HTTP {status} {response.reason_phrase}")


class WebhookChannel:
    """POSTs each notice to one URL, signed with a shared secret."""

    name = "webhook"

    def __init__(self, url: str, secret: bytes, timeout: float = 10.0) -> None:
        check_url(url)
        if not secret:
            raise ValueError("webhook secret must not be empty")
        self.url = url
        self.secret = secret
        self.timeout = timeout

    def send(self, notice: Notice) -> None:
        """POST `notice` as JSON; return on 2xx, raise otherwise (see `check`)."""
        body = notice.model_dump_json().encode()
        post(
            self.url, self.secret, body, delivery=notice.id, event=notice.kind, timeout=self.timeout
        )

    def headers(self, notice: Notice, body: bytes, timestamp: str) -> dict[str, str]:
        """The request's headers: content type, delivery id, event kind, timestamp, signature."""
        return signed_headers(
            self.secret, body, delivery=notice.id, event=notice.kind, timestamp=timestamp
        )

    def check(self, response: httpx.Response) -> None:
        """Return on 2xx; raise on anything else (see the module's `check`)."""
        check(self.url, response)
