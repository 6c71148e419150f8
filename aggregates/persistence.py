"""How route events and snapshots are stored: pydantic to JSON (orjson), with the library's
optional compression and at-rest cipher applied (eventsourcing's aggregate7 pattern for 9.5)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, cast
from uuid import UUID

import orjson
from eventsourcing.domain import DomainEventProtocol
from eventsourcing.persistence import Mapper, StoredEvent, Transcoder
from eventsourcing.utils import get_topic, resolve_topic
from pydantic import BaseModel, ConfigDict

from aggregates.route import Route


class PydanticMapper(Mapper[UUID]):
    """Maps pydantic events to stored events and back."""

    def to_stored_event(self, domain_event: DomainEventProtocol[UUID]) -> StoredEvent:
        """The stored form: topic, and the event's JSON (compressed, encrypted if configured)."""
        state = self.transcoder.encode(cast(BaseModel, domain_event).model_dump(mode="json"))
        if self.compressor:
            state = self.compressor.compress(state)
        if self.cipher:
            state = self.cipher.encrypt(state)
        return StoredEvent(
            originator_id=domain_event.originator_id,
            originator_version=domain_event.originator_version,
            topic=get_topic(type(domain_event)),
            state=state,
        )

    def to_domain_event(self, stored_event: StoredEvent) -> DomainEventProtocol[UUID]:
        """The event again, validated by its pydantic class."""
        state = stored_event.state
        if self.cipher:
            state = self.cipher.decrypt(state)
        if self.compressor:
            state = self.compressor.decompress(state)
        event_class = resolve_topic(stored_event.topic)
        return cast(
            DomainEventProtocol[UUID], event_class.model_validate(self.transcoder.decode(state))
        )


class OrjsonTranscoder(Transcoder):
    """JSON bytes by orjson; pydantic has already made everything JSON-ready."""

    def encode(self, obj: Any) -> bytes:
        return orjson.dumps(obj)

    def decode(self, data: bytes) -> Any:
        return orjson.loads(data)


class RouteSnapshot(BaseModel):
    """A route's whole state at one version, so long routes load without replaying every event."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    originator_id: UUID
    originator_version: int
    timestamp: datetime
    topic: str
    state: dict[str, Any]

    @classmethod
    def take(cls, route: Route) -> RouteSnapshot:
        """The snapshot of `route` as it stands."""
        return cls(
            originator_id=route.id,
            originator_version=route.version,
            timestamp=route.modified_on,
            topic=get_topic(Route),
            state=route.model_dump(mode="json"),
        )

    def mutate(self, _: Route | None) -> Route:
        """The route the snapshot holds."""
        return Route.model_validate(self.state)
