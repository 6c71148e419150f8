"""Where a projection's events come from: the store's notification log, in order, in batches of
decoded events.

On PostgreSQL the runner follows the store by subscription: the library's LISTEN/NOTIFY
subscription (`recorder.subscribe(gt=position)`) pulls what is already recorded, then wakes on
each commit. SQLite has no subscriptions, so there the runner polls the log from the last
tracked position. Either way a batch is whatever is available, up to a size. Catching up to a
known notification (a rebuild, `iom projector --once`), a thread reads and decodes the next batch
while the projection writes the current one (`ReadAheadFeed`): reading and decoding then fill
the time the projection waits for the database.

Events are read here rather than by the library's `ApplicationSubscription` so that an event
type the projections do not know (a topic that no longer resolves, or a class of another
aggregate) is skipped with a warning instead of stopping the projection; the events of
diagnostic campaigns and ДПП catalogues, which share the store, are skipped without one.
"""

from __future__ import annotations

import inspect
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from queue import Empty, Full, Queue
from threading import Event, Thread
from typing import Any, Protocol

import orjson
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
from aggregates.campaign import CampaignEvent
from aggregates.events import RouteEvent, RouteOpened
from aggregates.profiles import Profile
from aggregates.programmes.catalogue import CatalogueEvent

Item = tuple[int, RouteEvent | None]
"""A notification id and its event (None when the event's type is unknown)."""


@cache
def known_events() -> frozenset[type[RouteEvent]]:
    """Every event type of a route."""
    return frozenset(
        cls
        for _, cls in inspect.getmembers(events, inspect.isclass)
        if issubclass(cls, RouteEvent) and cls is not RouteEvent
    )


@cache
def event_class(topic: str) -> type[RouteEvent] | None:
    """The route event type a topic names; None when it names none (any longer)."""
    try:
        cls = resolve_topic(topic)
    except TopicError:
        return None
    return cls if cls in known_events() else None


OTHER_AGGREGATES = (CampaignEvent, CatalogueEvent)
"""The events of the store's other aggregates: diagnostic campaigns and ДПП catalogues."""


@cache
def other_aggregates_event(topic: str) -> bool:
    """The topic names an event of one of the store's other aggregates: not a route's, so no
    projection of routes applies it, and it is skipped without a warning."""
    try:
        cls = resolve_topic(topic)
    except TopicError:
        return False
    return isinstance(cls, type) and issubclass(cls, OTHER_AGGREGATES)


def read_event(mapper: Mapper[Any], stored: StoredEvent) -> RouteEvent | None:
    """A stored event as its route event, or None when its type is unknown."""
    cls = event_class(stored.topic)
    if cls is None:
        return None
    state = stored.state
    if mapper.cipher:
        state = mapper.cipher.decrypt(state)
    if mapper.compressor:
        state = mapper.compressor.decompress(state)
    if cls is RouteOpened:
        return _opened(state)
    event: RouteEvent = cls.model_validate_json(state)
    return event


_EDITIONS: dict[tuple[str, int], Profile] = {}
"""The regulation editions met in opening events, each validated once: an edition never changes,
yet every route's opening event carries a whole copy of its edition (most of the event)."""


def _opened(state: bytes) -> RouteOpened:
    """An opening event, its edition validated only when first met."""
    data = orjson.loads(state)
    given = data["profile"]
    edition = _EDITIONS.get((given["id"], given["version"]))
    if edition is None:
        edition = _EDITIONS.setdefault(
            (given["id"], given["version"]), Profile.model_validate(given)
        )
    data["profile"] = edition
    return RouteOpened.model_validate(data)


@dataclass(frozen=True)
class Decoder:
    """Notifications as items of a projection (named in the warnings about unknown types)."""

    mapper: Mapper[Any]
    projection: str

    def __call__(self, notification: Notification) -> Item:
        """The notification's id and event (None when it is not a route's: with a warning when
        its type is unknown)."""
        event = read_event(self.mapper, notification)
        if event is None and not other_aggregates_event(notification.topic):
            structlog.get_logger().warning(
                "projection.event_skipped",
                projection=self.projection,
                notification_id=notification.id,
                topic=notification.topic,
                reason="unknown event type",
            )
        return notification.id, event


class Feed(Protocol):
    """Batches of decoded notifications after a position."""

    def next_batch(self, size: int, timeout: float) -> Sequence[Item]:
        """Up to `size` items, waiting at most `timeout` seconds for the first."""

    def close(self) -> None:
        """Stop reading."""


class PollingFeed:
    """Reads the log after the last position; waits `interval` between empty looks."""

    def __init__(
        self, recorder: ApplicationRecorder, decoder: Decoder, position: int, interval: float
    ) -> None:
        self.recorder = recorder
        self.decoder = decoder
        self.position = position
        self.interval = interval
        self._closed = Event()

    def next_batch(self, size: int, timeout: float) -> Sequence[Item]:
        """Up to `size` items after the position; none when nothing came in `timeout`."""
        waited = 0.0
        while True:
            page = self.recorder.select_notifications(
                start=self.position, limit=size, inclusive_of_start=False
            )
            if page:
                self.position = page[-1].id
                return [self.decoder(n) for n in page]
            if waited >= timeout or self._closed.wait(min(self.interval, timeout - waited)):
                return []
            waited += self.interval

    def close(self) -> None:
        """Stop waiting."""
        self._closed.set()


class SubscriptionFeed:
    """The library's subscription (LISTEN/NOTIFY on PostgreSQL), drained a batch at a time.

    A pump thread decodes the notifications from the subscription's iterator into a bounded
    queue, so a batch takes whatever is there without blocking once it has one. A failure of the
    subscription (a dropped connection) is raised by the next `next_batch`.
    """

    def __init__(self, recorder: ApplicationRecorder, decoder: Decoder, position: int) -> None:
        self._subscription: Subscription[ApplicationRecorder] = recorder.subscribe(gt=position)
        self._subscription.__enter__()
        self._decoder = decoder
        self._queue: Queue[Item | BaseException] = Queue(maxsize=5000)
        self._closed = Event()
        self._error: BaseException | None = None
        self._pump = Thread(target=self._run, name="projection-subscription", daemon=True)
        self._pump.start()

    def _run(self) -> None:
        try:
            for notification in self._subscription:
                self._put(self._decoder(notification))
            if not self._closed.is_set():
                self._put(ConnectionError("the subscription stopped"))
        except Exception as error:  # handed to the runner, which decides
            self._put(error)

    def _put(self, item: Item | BaseException) -> None:
        while not self._closed.is_set():
            try:
                self._queue.put(item, timeout=0.2)
            except Full:
                continue
            return

    def next_batch(self, size: int, timeout: float) -> Sequence[Item]:
        """Up to `size` items, waiting at most `timeout` seconds for the first."""
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
        batch: list[Item] = []
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


class ReadAheadFeed:
    """Catching up: the log after a position up to a last notification (`until`), read and
    decoded by a thread of its own a batch ahead of the projection, so that reading and decoding
    overlap the projection's writes. After `until` (or the log's end) a batch is empty; a failure
    of the reading is raised by the next `next_batch`."""

    def __init__(
        self, recorder: ApplicationRecorder, decoder: Decoder, position: int, until: int, size: int
    ) -> None:
        self._queue: Queue[Sequence[Item] | BaseException] = Queue(maxsize=1)
        self._closed = Event()
        self._ended = False
        self._reader = Thread(
            target=self._run,
            args=(recorder, decoder, position, until, size),
            name="projection-read-ahead",
            daemon=True,
        )
        self._reader.start()

    def _run(
        self, recorder: ApplicationRecorder, decoder: Decoder, position: int, until: int, size: int
    ) -> None:
        try:
            while position < until and not self._closed.is_set():
                # Bounded by a count, not `stop=until`: with it PostgreSQL sorts on disk.
                page = recorder.select_notifications(
                    start=position, limit=min(size, until - position), inclusive_of_start=False
                )
                if not page:
                    break
                self._put([decoder(n) for n in page])
                position = page[-1].id
            self._put([])
        except Exception as error:  # handed to the runner, which decides
            self._put(error)

    def _put(self, item: Sequence[Item] | BaseException) -> None:
        while not self._closed.is_set():
            try:
                self._queue.put(item, timeout=0.2)
            except Full:
                continue
            return

    def next_batch(self, size: int, timeout: float) -> Sequence[Item]:  # noqa: ARG002
        """The next batch read ahead (of the feed's own size), once it is decoded."""
        while not self._ended:
            try:
                item = self._queue.get(timeout=0.2)
            except Empty:
                if not self._reader.is_alive():
                    raise ConnectionError("the read-ahead stopped") from None
                continue
            if isinstance(item, BaseException):
                raise item
            self._ended = not item
            return item
        return []

    def close(self) -> None:
        """Stop the reading thread."""
        self._closed.set()
        self._reader.join(timeout=5)
