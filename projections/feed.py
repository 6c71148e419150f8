"""Where a projection's events come from: the store's notification log, in order, in batches.

On PostgreSQL the runner follows the store by subscription: the library's LISTEN/NOTIFY
subscription (`recorder.subscribe(gt=position)`) pulls what is already recorded, then wakes on
each commit. SQLite has no subscriptions, so there the runner polls the log from the last
tracked position. Either way a batch is whatever is available, up to a size.

Events are read here rather than by the library's `ApplicationSubscription` so that an event
type the projections do not know (a topic that no longer resolves, or a class of another
aggregate) is skipped with a warning instead of stopping the projection.
"""

from __future__ import annotations

import inspect
from collections.abc import Sequence
from functools import cache
from queue import Empty, Full, Queue
from threading import Event, Thread
from typing import Any, Protocol

import structlog
from eventsourcing.persistence import (
    ApplicationRecorder,
    Mapper,
    Notification,
    StoredEvent,
    Subscription,
)
from eventsourcing.utils import TopicError, resolve_topic

from aggregates import events
from aggregates.events import RouteEvent


@cache
def known_events() -> frozenset[type[RouteEvent]]:
    """Every event type of a route."""
    return frozenset(
        cls
        for _, cls in inspect.getmembers(events, inspect.isclass)
        if issubclass(cls, RouteEvent) and cls is not RouteEvent
    )


def decode(mapper: Mapper[Any], notification: Notification, projection: str) -> RouteEvent | None:
    """The notification's event, or None (with a warning) when its type is unknown."""
    event = read_event(mapper, notification)
    if event is None:
        structlog.get_logger().warning(
            "projection.event_skipped",
            projection=projection,
            notification_id=notification.id,
            topic=notification.topic,
            reason="unknown event type",
        )
    return event


def read_event(mapper: Mapper[Any], stored: StoredEvent) -> RouteEvent | None:
    """A stored event as its route event, or None when its type is unknown."""
    try:
        cls = resolve_topic(stored.topic)
    except TopicError:
        return None
    if cls not in known_events():
        return None
    state = stored.state
    if mapper.cipher:
        state = mapper.cipher.decrypt(state)
    if mapper.compressor:
        state = mapper.compressor.decompress(state)
    event: RouteEvent = cls.model_validate_json(state)
    return event


class Feed(Protocol):
    """Batches of notifications after a position."""

    def next_batch(self, size: int, timeout: float) -> Sequence[Notification]:
        """Up to `size` notifications, waiting at most `timeout` seconds for the first."""

    def close(self) -> None:
        """Stop reading."""


class PollingFeed:
    """Reads the log after the last position; waits `interval` between empty looks."""

    def __init__(self, recorder: ApplicationRecorder, position: int, interval: float) -> None:
        self.recorder = recorder
        self.position = position
        self.interval = interval
        self._closed = Event()

    def next_batch(self, size: int, timeout: float) -> Sequence[Notification]:
        """Up to `size` notifications after the position; none when nothing came in `timeout`."""
        waited = 0.0
        while True:
            page = self.recorder.select_notifications(
                start=self.position, limit=size, inclusive_of_start=False
            )
            if page:
                self.position = page[-1].id
                return page
            if waited >= timeout or self._closed.wait(min(self.interval, timeout - waited)):
                return []
            waited += self.interval

    def close(self) -> None:
        """Stop waiting."""
        self._closed.set()


class SubscriptionFeed:
    """The library's subscription (LISTEN/NOTIFY on PostgreSQL), drained a batch at a time.

    A pump thread moves notifications from the subscription's iterator into a bounded queue, so
    a batch takes whatever is there without blocking once it has one. A failure of the
    subscription (a dropped connection) is raised by the next `next_batch`.
    """

    def __init__(self, recorder: ApplicationRecorder, position: int) -> None:
        self._subscription: Subscription[ApplicationRecorder] = recorder.subscribe(gt=position)
        self._subscription.__enter__()
        self._queue: Queue[Notification | BaseException] = Queue(maxsize=5000)
        self._closed = Event()
        self._error: BaseException | None = None
        self._pump = Thread(target=self._run, name="projection-subscription", daemon=True)
        self._pump.start()

    def _run(self) -> None:
        try:
            for notification in self._subscription:
                self._put(notification)
            if not self._closed.is_set():
                self._put(ConnectionError("the subscription stopped"))
        except Exception as error:  # handed to the runner, which decides
            self._put(error)

    def _put(self, item: Notification | BaseException) -> None:
        while not self._closed.is_set():
            try:
                self._queue.put(item, timeout=0.2)
            except Full:
                continue
            return

    def next_batch(self, size: int, timeout: float) -> Sequence[Notification]:
        """Up to `size` notifications, waiting at most `timeout` seconds for the first."""
        if self._error is not None:
            raise self._error
        try:
            items = [self._queue.get(timeout=timeout)]
        except Empty:
            return []
        while len(items) < size:
            try:
                items.append(self._queue.get_nowait())
            except Empty:
                break
        batch: list[Notification] = []
        for item in items:
            if isinstance(item, BaseException):
                self._error = item
                break
            batch.append(item)
        if not batch and self._error is not None:
            raise self._error
        return batch

    def close(self) -> None:
        """Stop the subscription and its threads."""
        self._closed.set()
        try:
            self._subscription.__exit__(None, None, None)
        finally:
            self._pump.join(timeout=5)
