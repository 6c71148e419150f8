"""Demo routes driven to a stage once per test session, then copied into each test's store.

Driving a demo route is most of a rule test's time (every step decided and saved): the unit
tier drives the same region's route to the same stage for many tests. The first test drives
it in a store of its own; every test then gets the events it wrote, inserted into the test's
own in-memory store as they were stored, and a `DemoRoute` whose random draws continue where
the drive left them: the same route a drive in the test's store would have written, as a
drive's events depend only on the profile, the route's index and the clock's moment.
"""

from __future__ import annotations

import copy
import random
from dataclasses import dataclass
from datetime import datetime

from eventsourcing.persistence import StoredEvent
from eventsourcing.popo import POPOApplicationRecorder

from aggregates.application import Routes
from aggregates.profiles import Profile, ProfileCatalogue, Stage
from workers.demo import DemoRoute

POPO = {"PERSISTENCE_MODULE": "eventsourcing.popo"}


@dataclass(frozen=True)
class _Drive:
    catalogue: ProfileCatalogue  # the very objects the drive ran on: a test's own
    profile: Profile  # catalogue, or its own edition, is another drive
    events: list[StoredEvent]
    rng: random.Random  # as the drive left it


_DRIVES: dict[tuple[str, int, Stage, datetime], _Drive] = {}


def driven(app: Routes, profile: Profile, index: int, until: Stage) -> DemoRoute:
    """The demo route `index` of `profile`, driven up to `until` in `app`: copied when `app`
    is an empty in-memory store (nothing else, a ДПП catalogue say, could change the drive),
    driven there step by step otherwise."""
    now = app.clock()
    demo = DemoRoute(app, profile, index, random.Random(index), now.date())
    recorder = app.recorder
    if not isinstance(recorder, POPOApplicationRecorder) or recorder.max_notification_id():
        demo.drive(until)
        return demo
    key = (profile.id, index, until, now)
    drive = _DRIVES.get(key)
    if drive is None or drive.catalogue is not app.profiles or drive.profile is not profile:
        alone = Routes(POPO, profiles=app.profiles, clock=lambda: now)
        template = DemoRoute(alone, profile, index, random.Random(index), now.date())
        template.drive(until)
        notifications = alone.recorder.select_notifications(None, 1_000_000)
        events = [
            StoredEvent(n.originator_id, n.originator_version, n.topic, n.state)
            for n in notifications
        ]
        drive = _DRIVES[key] = _Drive(app.profiles, profile, events, template.rng)
    recorder.insert_events(drive.events)
    demo.rng = copy.deepcopy(drive.rng)
    return demo
