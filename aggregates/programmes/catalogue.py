"""The region's ДПП catalogue as an event-sourced aggregate: one per region, not one per
programme.

Why one per region: the catalogue is versioned as a whole. An import of a file of 5,000
programmes is one decision (all of them or none, nothing written while any row is bad) and one
new version; a route's activity names a programme by its registry number *and the catalogue
version* the designer saw, and that version is the aggregate's version, read back as it was
(`repository.get(id, version=n)`). One aggregate per programme would make an import thousands
of saves and leave no single number for "the catalogue as the designer saw it". A version holds
only what changed: `ProgrammesPut` the programmes new or changed, `ProgrammesWithdrawn` those
taken out, so a re-import of the same file finds nothing to change and appends nothing.

The catalogue lives in the routes' event store (`aggregates.programmes.store`); the projections
skip its events (`projections.feed` reads route events only)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

from aggregates.errors import InvalidCommandError
from aggregates.profiles import Profile
from aggregates.programmes.values import Programme
from aggregates.values import Actor, Code

CATALOGUE_NAMESPACE = UUID("2c8e5f1a-7b3d-4e90-a6c4-5d1f0b9e8a73")


def catalogue_id_for(region: str) -> UUID:
    """The id of the region's catalogue (deterministic: a region has one)."""
    return uuid.uuid5(CATALOGUE_NAMESPACE, f"catalogue/{region}")


class Catalogue(BaseModel):
    """Каталог ДПП региона: the programmes in force, by registry number, at one version."""

    model_config = ConfigDict(extra="forbid")

    id: UUID
    region: Code
    version: int = 0
    modified_on: datetime
    programmes: dict[str, Programme] = Field(default_factory=dict)
    commands: dict[str, int] = Field(default_factory=dict)  # command id → the version it made

    def __deepcopy__(self, memo: dict[int, Any] | None = None) -> Catalogue:
        # The repository copies a cached aggregate for each reader; programmes are immutable.
        return self.model_copy(
            update={"programmes": dict(self.programmes), "commands": dict(self.commands)}
        )

    def listed(self) -> list[Programme]:
        """The programmes in force, by registry number."""
        return [self.programmes[number] for number in sorted(self.programmes)]


class CatalogueEvent(BaseModel):
    """What every event of a catalogue records: who changed it, by which command, when."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    originator_id: UUID
    originator_version: int
    timestamp: datetime
    region: Code
    actor: Actor
    command_id: str

    def mutate(self, catalogue: Catalogue | None) -> Catalogue:
        """The catalogue after this event (the repository's projector calls this)."""
        if catalogue is None:
            catalogue = Catalogue(
                id=self.originator_id, region=self.region, modified_on=self.timestamp
            )
        self.apply(catalogue)
        catalogue.version = self.originator_version
        catalogue.modified_on = self.timestamp
        catalogue.commands[self.command_id] = self.originator_version
        return catalogue

    def apply(self, catalogue: Catalogue) -> None:
        """The event's effect on the catalogue."""
        raise NotImplementedError


class ProgrammesPut(CatalogueEvent):
    """Программы внесены в каталог или изменены (new version of each named)."""

    programmes: list[Programme]

    def apply(self, catalogue: Catalogue) -> None:
        for programme in self.programmes:
            catalogue.programmes[programme.registry_number] = programme


class ProgrammesWithdrawn(CatalogueEvent):
    """Программы исключены из каталога (earlier versions still show them)."""

    registry_numbers: list[str]

    def apply(self, catalogue: Catalogue) -> None:
        for number in self.registry_numbers:
            catalogue.programmes.pop(number, None)


def project_catalogue(catalogue: Catalogue | None, events: Any) -> Catalogue | None:
    """The catalogue after `events`, from `catalogue` or from nothing."""
    for event in events:
        catalogue = event.mutate(catalogue)
    return catalogue


def check_programme(programme: Programme, profile: Profile, field: str) -> None:
    """A programme addresses the region's competences (`InvalidCommandError`); every region's
    scale has the four levels `Level` allows."""
    known = {entry.code for entry in profile.competences}
    for index, entry in enumerate(programme.addresses):
        if entry.competence not in known:
            raise InvalidCommandError(
                "content",
                f"компетенции «{entry.competence}» нет в регламенте: " + ", ".join(sorted(known)),
                f"{field}.addresses[{index}].competence",
            )


def changed(catalogue: Catalogue | None, programmes: list[Programme]) -> list[Programme]:
    """Those of `programmes` the catalogue does not already hold as they are."""
    held = catalogue.programmes if catalogue else {}
    return [p for p in programmes if held.get(p.registry_number) != p]
