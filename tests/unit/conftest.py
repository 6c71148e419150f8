"""Fixtures of the unit tier: a settable clock and the in-memory application (no servers)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from aggregates.application import Routes
from aggregates.profiles import ProfileCatalogue
from tests.support.profiles import shipped

START = datetime(2026, 6, 15, 9, 0, tzinfo=UTC)


class Clock:
    """A clock the test sets and moves: always an aware UTC moment."""

    def __init__(self, moment: datetime = START) -> None:
        self.now = moment

    def __call__(self) -> datetime:
        return self.now

    def set(self, moment: datetime) -> None:
        """Stand the clock at `moment` (aware)."""
        assert moment.tzinfo is not None, "the clock keeps aware moments only"
        self.now = moment.astimezone(UTC)

    def advance(self, delta: timedelta) -> None:
        """Move the clock forward by `delta`."""
        self.now += delta


@pytest.fixture
def clock() -> Clock:
    """The application's clock, at 2026-06-15 09:00 UTC until the test moves it."""
    return Clock()


@pytest.fixture(scope="session")
def profiles() -> ProfileCatalogue:
    """Every shipped regulation profile, read once per session (the catalogue is read only)."""
    return shipped()


@pytest.fixture
def app(clock: Clock, profiles: ProfileCatalogue) -> Routes:
    """The application on the in-memory event store, on the test's clock."""
    return Routes({"PERSISTENCE_MODULE": "eventsourcing.popo"}, profiles=profiles, clock=clock)
