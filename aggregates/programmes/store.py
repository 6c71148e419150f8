"""`Catalogues`: the regions' ДПП catalogues kept in the routes' event store, changed all or
nothing, read at any version.

A change is decided against the catalogue as it stands and the region's newest regulation (its
competences and level scale); only what differs is saved, so sending the same programmes again
(a re-imported file, a retried request) appends nothing. A command id already applied answers
with the version it made."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError, Application
from eventsourcing.persistence import IntegrityError

from aggregates.errors import ConflictError, InvalidCommandError
from aggregates.profiles import Profile
from aggregates.programmes.catalogue import (
    Catalogue,
    CatalogueEvent,
    ProgrammesPut,
    ProgrammesWithdrawn,
    catalogue_id_for,
    changed,
    check_programme,
    project_catalogue,
)
from aggregates.programmes.values import Programme
from aggregates.values import Actor, ProgrammeRef


class Catalogues:
    """The ДПП catalogues of every region, in `app`'s event store."""

    def __init__(self, app: Application[UUID], clock: Callable[[], datetime]) -> None:
        self.app = app
        self.clock = clock

    def catalogue(self, region: str, version: int | None = None) -> Catalogue:
        """The region's catalogue now, or as it was at `version` (empty, version 0, before its
        first programme)."""
        catalogue_id = catalogue_id_for(region)
        try:
            found: Catalogue = self.app.repository.get(
                catalogue_id, version=version, projector_func=project_catalogue
            )
        except AggregateNotFoundError:
            if version:
                raise InvalidCommandError(
                    "content", f"версии {version} каталога ДПП нет", "catalogue_version"
                ) from None
            return Catalogue(id=catalogue_id, region=region, modified_on=self.clock())
        if version is not None and found.version != version:
            raise InvalidCommandError(
                "content",
                f"версии {version} каталога ДПП нет: последняя — {found.version}",
                "catalogue_version",
            )
        return found

    def programme(self, region: str, ref: ProgrammeRef) -> Programme | None:
        """The programme `ref` names in its version of the region's catalogue, if it is there."""
        try:
            catalogue = self.catalogue(region, ref.catalogue_version)
        except InvalidCommandError:
            return None
        return catalogue.programmes.get(ref.registry_number)

    def put(
        self,
        profile: Profile,
        programmes: list[Programme],
        actor: Actor,
        command_id: str,
        field: str = "programmes",
    ) -> int:
        """Add or change `programmes` in the region's catalogue, all or none; the version that
        holds them. Nothing new to hold: the version as it stands, nothing appended."""
        numbers = [p.registry_number for p in programmes]
        for index, programme in enumerate(programmes):
            if numbers.index(programme.registry_number) != index:
                raise InvalidCommandError(
                    "content",
                    f"программа № {programme.registry_number} указана более одного раза",
                    f"{field}[{index}].registry_number",
                )
            check_programme(programme, profile, f"{field}[{index}]")
        current = self.catalogue(profile.id)
        if command_id in current.commands:
            return current.commands[command_id]
        new = changed(current, programmes)
        if not new:
            return current.version
        return self._save(current, ProgrammesPut, actor, command_id, programmes=new)

    def withdraw(self, region: str, numbers: list[str], actor: Actor, command_id: str) -> int:
        """Take programmes out of the region's catalogue (each must be in it); the version."""
        current = self.catalogue(region)
        if command_id in current.commands:
            return current.commands[command_id]
        missing = [number for number in numbers if number not in current.programmes]
        if missing:
            raise InvalidCommandError(
                "content",
                f"программы № {', '.join(missing)} нет в каталоге ДПП",
                "registry_number",
            )
        return self._save(current, ProgrammesWithdrawn, actor, command_id, registry_numbers=numbers)

    def _save(
        self,
        current: Catalogue,
        event_class: type[CatalogueEvent],
        actor: Actor,
        command_id: str,
        **fields: Any,
    ) -> int:
        event = event_class(
            originator_id=current.id,
            originator_version=current.version + 1,
            timestamp=self.clock(),
            region=current.region,
            actor=actor,
            command_id=command_id,
            **fields,
        )
        try:
            self.app.save(event)
        except IntegrityError:
            raise ConflictError(
                "conflict", "каталог ДПП изменён параллельно другой командой; повторите"
            ) from None
        return event.originator_version
