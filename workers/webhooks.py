"""The delivery loop of the portal's webhook subscriptions: it drains the outbox the `webhooks`
projection writes (`projections.subscriptions`).

It runs in the projector process (`iom projector` starts it beside the projections, as a
thread of its own): the process that writes the outbox drains it, operators run one kind of
read-side process beside the API, and on SQLite (one projector per store) no second process
contends for the database's single writer. It needs no lease: each delivery is claimed row by
row (`SKIP LOCKED` on PostgreSQL), so the loops of several projector processes share the work.

Each due delivery is POSTed signed like the notice channel (`activities.notify.webhook.post`:
HMAC-SHA256 over timestamp and body, `X-IOM-Delivery` the delivery id). A 2xx marks it
delivered; a 408/425/429/5xx or a network error is retried after `base · 2^(attempts−1)`
seconds, at most `cap`, until `max_attempts`; a redirect or another 4xx, or the last attempt,
marks it failed (the portal may ask for a re-delivery). Like the projector, the loop survives
a dropped connection: it logs, pauses and starts again from the table, so a restart resumes
every pending delivery.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from threading import Event, Thread

import structlog

from activities.notify.base import DeliveryError, PermanentDeliveryError
from activities.notify.webhook import post
from aggregates.application import Routes
from projections.subscriptions import Claimed, Subscriptions
from workers.settings import Settings


@dataclass(frozen=True)
class DeliveryPolicy:
    """How deliveries are retried and how often the outbox is looked at."""

    backoff_base: float = 10.0
    backoff_cap: float = 3600.0
    max_attempts: int = 12
    timeout: float = 10.0
    poll_interval: float = 0.5
    batch: int = 20

    @classmethod
    def from_settings(cls, settings: Settings) -> DeliveryPolicy:
        """The policy the settings give."""
        return cls(
            backoff_base=settings.webhook_backoff_base,
            backoff_cap=settings.webhook_backoff_cap,
            max_attempts=settings.webhook_max_attempts,
            timeout=settings.webhook_timeout,
        )

    @property
    def hold(self) -> float:
        """How long a claimed delivery is left alone (its send's longest time, and a margin)."""
        return self.timeout * 3

    def backoff(self, attempts: int) -> float:
        """Seconds before the next attempt after `attempts` failed ones."""
        return float(min(self.backoff_base * 2 ** max(attempts - 1, 0), self.backoff_cap))


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
        try:
            status = post(
                delivery.url,
                delivery.secret.encode(),
                delivery.body,
                delivery=str(delivery.delivery_id),
                event=delivery.event_type,
                timeout=self.policy.timeout,
            )
        except DeliveryError as error:
            attempts = delivery.attempts + 1
            final = isinstance(error, PermanentDeliveryError)
            final = final or attempts >= self.policy.max_attempts
            now = datetime.now(UTC)
            retry_at = None if final else now + timedelta(seconds=self.policy.backoff(attempts))
            store.attempt_failed(delivery.delivery_id, str(error), retry_at, None)
            log.warning("webhooks.attempt_failed", error=str(error), final=final)
            return
        store.delivered(delivery.delivery_id, status, datetime.now(UTC))
        log.info("webhooks.delivered", status=status)
