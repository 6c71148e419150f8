"""The delivery loop of the portal's webhook subscriptions: it drains the outbox the `webhooks`
projection writes (`projections.subscriptions`).

It runs in the projector process (`iom projector` starts it beside the projections, as a
thread of its own): the process that writes the outbox drains it, operators run one kind of
read-side process beside the API, and on SQLite (one projector per store) no second process
contends for the database's single writer. It needs no lease: each delivery is claimed row by
row (`SKIP LOCKED` on PostgreSQL), so the loops of several projector processes share the work.

Each due delivery is POSTed signed like the notice channel (`activities.notify.webhook`:
HMAC-SHA256 over timestamp and body, `X-IOM-Delivery` the delivery id), to the address the URL
policy checked after resolving the name (`projections.url_policy`: the connection is pinned to
it, the name sent in `Host` and SNI, no proxy from the environment); a URL the policy refuses
is not sent to and the delivery fails at once. A 2xx marks it delivered; a 408/425/429/5xx or a
network error is retried after `base · 2^(attempts−1)` seconds, at most `cap`, until
`max_attempts`; a redirect or another 4xx, or the last attempt, marks it failed (the portal may
ask for a re-delivery). What is recorded is the status code and a short classified error in
Russian, never the answer's body, reason phrase or headers. Like the projector, the loop survives
a dropped connection: it logs, pauses and starts again from the table, so a restart resumes
every pending delivery.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from threading import Event, Thread

import httpx
import structlog

from activities.notify.base import DeliveryError, PermanentDeliveryError
from activities.notify.webhook import check, signed_headers, tls
from aggregates.application import Routes
from projections.subscriptions import Claimed, Subscriptions
from projections.url_policy import Pinned, UrlPolicy, UrlRefusedError
from runtime.settings import Settings


@dataclass(frozen=True)
class DeliveryPolicy:
    """How deliveries are retried and how often the outbox is looked at."""

    backoff_base: float = 10.0
    backoff_cap: float = 3600.0
    max_attempts: int = 12
    timeout: float = 10.0
    poll_interval: float = 0.5
    batch: int = 20
    targets: UrlPolicy = field(default_factory=UrlPolicy)

    @classmethod
    def from_settings(cls, settings: Settings) -> DeliveryPolicy:
        """The policy the settings give."""
        return cls(
            backoff_base=settings.webhook_backoff_base,
            backoff_cap=settings.webhook_backoff_cap,
            max_attempts=settings.webhook_max_attempts,
            timeout=settings.webhook_timeout,
            targets=settings.webhook_targets(),
        )

    @property
    def hold(self) -> float:
        """How long a claimed delivery is left alone (its send's longest time, and a margin)."""
        return self.timeout * 3

    def backoff(self, attempts: int) -> float:
        """Seconds before the next attempt after `attempts` failed ones."""
        return float(min(self.backoff_base * 2 ** max(attempts - 1, 0), self.backoff_cap))


@dataclass(frozen=True)
class Outcome:
    """What one attempt gave: the HTTP status (if any answer came) and, unless delivered, a
    short classified error and whether it is final."""

    status: int | None
    error: str | None = None
    final: bool = False


def post_pinned(
    pinned: Pinned, secret: bytes, body: bytes, *, delivery: str, event: str, timeout: float
) -> Outcome:
    """POST a signed `body` to the checked address, the name in `Host` and SNI; the answer's
    body is not read."""
    target = pinned.target
    headers = signed_headers(
        secret, body, delivery=delivery, event=event, timestamp=str(int(time.time()))
    ) | {"Host": target.host_header}
    sni = {"sni_hostname": target.host} if target.literal is None else {}
    try:
        with (
            httpx.Client(
                timeout=timeout, follow_redirects=False, verify=tls(), trust_env=False
            ) as client,
            client.stream(
                "POST", target.via(pinned.address), content=body, headers=headers, extensions=sni
            ) as response,
        ):
            status = response.status_code
            check(target.url, response)
    except httpx.TimeoutException:
        return Outcome(None, f"нет ответа за {timeout:g} с")
    except httpx.TransportError:
        return Outcome(None, "соединение не установлено")
    except DeliveryError as error:
        final = isinstance(error, PermanentDeliveryError)
        kind = "перенаправление не выполняется" if 300 <= status < 400 else "доставка не принята"
        return Outcome(status, f"адрес ответил HTTP {status}: {kind}", final)
    return Outcome(status)


class DeliveryLoop:
    """Sends due deliveries until stopped (see the module's docstring)."""

    def __init__(
        self, connect: Callable[[], Routes], stop: Event, policy: DeliveryPolicy | None = None
    ) -> None:
        self.connect = connect
        self.stop = stop
        self.policy = policy or DeliveryPolicy()
        self.failures = 0
        self.thread = Thread(target=self.run, name="webhook-deliveries", daemon=True)

    def run(self) -> None:
        """Loop until stopped: connect, drain, recover."""
        log = structlog.get_logger().bind(loop="webhooks")
        pause = self.policy.poll_interval
        while not self.stop.is_set():
            routes: Routes | None = None
            try:
                routes = self.connect()
                store = Subscriptions(routes)
                while not self.stop.is_set():
                    if not self.deliver_due(store):
                        self.stop.wait(self.policy.poll_interval)
                    pause = self.policy.poll_interval
            except Exception as error:  # supervise: start again from the table
                self.failures += 1
                log.error("webhooks.failed", error=f"{type(error).__name__}: {error}")
                self.stop.wait(pause)
                pause = min(pause * 2, 5.0)
            finally:
                if routes is not None:
                    routes.close()

    def deliver_due(self, store: Subscriptions) -> int:
        """Send what is due now; how many were sent (delivered or not)."""
        claimed = store.claim(datetime.now(UTC), self.policy.hold, self.policy.batch)
        for delivery in claimed:
            if self.stop.is_set():
                break
            self.send(store, delivery)
        return len(claimed)

    def send(self, store: Subscriptions, delivery: Claimed) -> None:
        """One attempt at one delivery, and its outcome recorded."""
        log = structlog.get_logger().bind(
            delivery_id=str(delivery.delivery_id), attempt=delivery.attempts + 1
        )
        policy = self.policy
        try:
            pinned = policy.targets.pin(delivery.url)
        except UrlRefusedError as error:
            outcome = Outcome(None, f"адрес запрещён: {error.detail}", final=True)
        else:
            outcome = post_pinned(
                pinned,
                delivery.secret.encode(),
                delivery.body,
                delivery=str(delivery.delivery_id),
                event=delivery.event_type,
                timeout=policy.timeout,
            )
        now = datetime.now(UTC)
        if outcome.error is None:
            assert outcome.status is not None
            store.delivered(delivery.delivery_id, outcome.status, now)
            log.info("webhooks.delivered", status=outcome.status)
            return
        attempts = delivery.attempts + 1
        final = outcome.final or attempts >= policy.max_attempts
        retry_at = None if final else now + timedelta(seconds=policy.backoff(attempts))
        store.attempt_failed(delivery.delivery_id, outcome.error, retry_at, outcome.status)
        log.warning(
            "webhooks.attempt_failed", error=outcome.error, status=outcome.status, final=final
        )
