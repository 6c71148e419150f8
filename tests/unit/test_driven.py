"""A demo route driven once and copied into a test's store is the route a drive there writes."""

from __future__ import annotations

import random

import pytest

from aggregates.application import Routes
from aggregates.profiles import ProfileCatalogue, Stage
from tests.support.driven import POPO, driven
from tests.unit.conftest import Clock
from workers.demo import DemoRoute


def stored(app: Routes) -> list[tuple[object, ...]]:
    """Every event the store holds, as stored."""
    return [
        (n.originator_id, n.originator_version, n.topic, n.state)
        for n in app.recorder.select_notifications(None, 1_000_000)
    ]


@pytest.mark.parametrize("until", [Stage.AGREEMENT, Stage.FINAL])
def test_a_copied_drive_writes_what_a_drive_writes(
    profiles: ProfileCatalogue, clock: Clock, until: Stage
) -> None:
    profile = profiles.latest("balakhta")
    by_hand = Routes(POPO, profiles=profiles, clock=clock)
    demo = DemoRoute(by_hand, profile, 7, random.Random(7), clock().date())
    demo.drive(until)
    for _ in range(2):  # the first drives it alone and copies; the second only copies
        app = Routes(POPO, profiles=profiles, clock=clock)
        copied = driven(app, profile, 7, until)
        assert stored(app) == stored(by_hand)
        assert app.route(copied.route_id).model_dump() == by_hand.route(demo.route_id).model_dump()
        assert copied.rng.getstate() == demo.rng.getstate()  # its draws go on as the drive's


def test_a_store_with_events_is_driven_there(profiles: ProfileCatalogue, clock: Clock) -> None:
    app = Routes(POPO, profiles=profiles, clock=clock)
    first = driven(app, profiles.latest("sakha"), 1, Stage.DESIGN)
    second = driven(app, profiles.latest("sakha"), 2, Stage.DESIGN)
    assert app.route(first.route_id).route_key != app.route(second.route_id).route_key
    assert len(list(app.route_ids())) == 2
