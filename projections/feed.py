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
diagnostic campaigns and ДПП catalogues, which share the store, are skipped without one, but a
campaign's events are decoded for the projections that follow campaigns (`Decoder.campaigns`:
the tasks projection keeps each participant's task).
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

FedItem = tuple[int, RouteEvent | CampaignEvent | None]
"""What a feed hands over: a notification id and its route's event, or its diagnostic campaign's
where the projections fed follow campaigns, or None (an event they do not apply)."""


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
    state = _plain(mapper, stored)
    if cls is RouteOpened:
        return _opened(state)
    event: RouteEvent = cls.model_validate_json(state)
    return event


@cache
def campaign_event_class(topic: str) -> type[CampaignEvent] | None:
    """The diagnostic campaign's event type a topic names; None when it names none."""
    try:
        cls = resolve_topic(topic)
    except TopicError:
        return None
    return cls if isinstance(cls, type) and issubclass(cls, CampaignEvent) else None


def read_campaign_event(mapper: Mapper[Any], stored: StoredEvent) -> CampaignEvent | None:
    """A stored event as a diagnostic campaign's event, or None when it is not one."""
    cls = campaign_event_class(stored.topic)
    return None if cls is None else cls.model_validate_json(_plain(mapper, stored))


def _plain(mapper: Mapper[Any], stored: StoredEvent) -> bytes:
    """The stored event's state, decrypted and decompressed as the mapper stored it."""
    state = stored.state
    if mapper.cipher:
        state = mapper.cipher.decrypt(state)
    if mapper.compressor:
        state = mapper.compressor.decompress(state)
    return state


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
    """Notifications as items of a projection (named in the warnings about unknown types); a
    diagnostic campaign's events decoded too where `campaigns` (else passed over as None)."""

    mapper: Mapper[Any]
    projection: str
    campaigns: bool = False

    def __call__(self, notification: Notification) -> FedItem:
        """The notification's id and event (None when it is not one the projection applies:
        with a warning when its type is unknown)."""
        event = read_event(self.mapper, notification)
        if event is not None:
            return notification.id, event
        if self.campaigns and (found := read_campaign_event(self.mapper, notification)):
            return notification.id, found
        if not other_aggregates_event(notification.topic):
            structlog.get_logger().warning(
                "projection.event_skipped",
                projection=self.projection,
                notification_id=notification.id,
                topic=notification.topic,
                reason="unknown event type",
            )
        return notification.id, None


class Feed(Protocol):
    """Batches of decoded notifications after a position."""

    def next_batch(self, size: int, timeout: float) -> Sequence[FedItem]:
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

    def next_batch(self, size: int, timeout: float) -> Sequence[FedItem]:
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
        self._queue: Queue[FedItem | BaseException] = Queue(maxsize=5000)
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

    def _put(self, item: FedItem | BaseException) -> None:
        while not self._closed.is_set():
            try:
                self._queue.put(item, timeout=0.2)
            except Full:
                continue
            return

    def next_batch(self, size: int, timeout: float) -> Sequence[FedItem]:
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
        batch: list[FedItem] = []
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
        self._queue: Queue[Sequence[FedItem] | BaseException] = Queue(maxsize=1)
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

    def _put(self, item: Sequence[FedItem] | BaseException) -> None:
        while not self._closed.is_set():
            try:
                self._queue.put(item, timeout=0.2)
            except Full:
                continue
            return

    def next_batch(self, size: int, timeout: float) -> Sequence[FedItem]:  # noqa: ARG002
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
