"""The catch-up's speed-ups change nothing in the tables: rows derived once per route per batch
equal rows derived after every event, a rebuild of every projection in one pass equals one
projection after the other (also while a projector runs them), reading ahead stops where asked
and hands a failure on, and an opening event decoded with its
regulation edition validated once equals the event validated whole. The benchmark's profile of a
catch-up sees the read-ahead thread too."""

from __future__ import annotations

import cProfile
from collections.abc import Iterator, Sequence
from typing import Any, cast

import pytest
from eventsourcing.persistence import ApplicationRecorder, OperationalError
from eventsourcing.postgres import PostgresApplicationRecorder

from aggregates.application import Routes
from aggregates.events import RouteOpened
from aggregates.profiles import Stage
from bench.projections import catch_up as timed_catch_up
from bench.projections import where_time_goes
from projections.batch import BatchProjection, Commit
from projections.catalog import PROJECTIONS, catch_up, open_projection, rebuild, rebuild_all
from projections.feed import Decoder, FedItem, ReadAheadFeed, read_event
from projections.runner import Runner, RunnerOptions
from tests.integration.test_projections import (
    FAST,
    caught_up,
    eventually,
    head,
    make_routes,
    snapshot,
)
from tests.support.profiles import REGIONS
from workers.demo import write_demo
from workers.projector import Projector


@pytest.fixture
def app(database_url: str) -> Iterator[Routes]:
    application = make_routes(database_url)
    for region in REGIONS:
        write_demo(application, region, 3)
    write_demo(application, "sakha", 2, until=Stage.AGREEMENT, first=4)
    yield application
    application.close()


def test_rows_derived_once_per_batch_equal_rows_derived_after_every_event(app: Routes) -> None:
    for name in PROJECTIONS:
        assert rebuild(app, name, options=RunnerOptions(batch_size=1)) == head(app)
    after_every_event = snapshot(app)
    for name in PROJECTIONS:
        assert rebuild(app, name) == head(app)  # the whole log in one batch
    assert snapshot(app) == after_every_event
    assert len(after_every_event["iom_audit"]) == head(app)


def test_a_rebuild_in_one_pass_equals_one_projection_after_the_other(app: Routes) -> None:
    for name in PROJECTIONS:
        rebuild(app, name)
    one_after_the_other = snapshot(app)
    told: dict[str, int] = {}
    reached = rebuild_all(app, list(PROJECTIONS), on_batch=told.__setitem__)
    assert reached == told == dict.fromkeys(PROJECTIONS, head(app))
    assert snapshot(app) == one_after_the_other


def test_a_rebuild_in_one_pass_under_a_running_projector_ends_as_it_was(
    database_url: str, app: Routes
) -> None:
    quick = RunnerOptions(batch_size=7, poll_interval=0.02, heartbeat=0.1)
    with Projector(lambda: make_routes(database_url), options=quick, supervision=FAST):
        eventually(lambda: caught_up(app), what="the live projections")
        live = snapshot(app)
        # On PostgreSQL the projector holds the leases: this call resets the tables under it
        # and follows. On SQLite both apply the log until one of them finds its position moved.
        reached = rebuild_all(app, list(PROJECTIONS), wait=0.02)
        assert reached == dict.fromkeys(PROJECTIONS, head(app))
        eventually(lambda: caught_up(app), what="the projector after the reset")
        assert snapshot(app) == live


def test_a_catch_up_reads_ahead_no_further_than_asked(app: Routes) -> None:
    middle = head(app) // 2
    for name in PROJECTIONS:
        assert catch_up(app, name, until=middle) == middle
    assert len(snapshot(app)["iom_audit"]) == middle


class _FailingThird:
    """A projection whose third batch's transaction fails (its connection lost), while the
    fourth batch is being prepared."""

    def __init__(self, projection: BatchProjection) -> None:
        self.projection = projection
        self.name = projection.name
        self.follows_campaigns = projection.follows_campaigns
        self.commits = 0
        self.forgotten = 0

    def position(self) -> int:
        return self.projection.position()

    def prepare(self, batch: Sequence[FedItem]) -> Commit:
        commit = self.projection.prepare(batch)

        def failing(expected: int | None) -> None:
            self.commits += 1
            if self.commits == 3:
                raise OperationalError("the server closed the connection")
            commit(expected)

        return failing

    def committed(self) -> None:
        self.projection.committed()

    def forget(self) -> None:
        self.forgotten += 1
        self.projection.forget()

    def settle(self, batch: Sequence[FedItem], expected: int) -> None:
        self.projection.settle(batch, expected)


def test_a_failed_transaction_leaves_the_position_of_the_last_committed_batch(
    app: Routes,
) -> None:
    for name in PROJECTIONS:
        rebuild(app, name)
    whole = snapshot(app)
    for name in PROJECTIONS:
        projection = open_projection(app, name)
        projection.view.reset()
        failing = _FailingThird(projection)
        with pytest.raises(OperationalError):
            Runner(app, failing, options=RunnerOptions(batch_size=7)).run(until=head(app))
        assert projection.position() == 14 and failing.forgotten == 1
        assert catch_up(app, name, options=RunnerOptions(batch_size=7)) == head(app)
    assert snapshot(app) == whole


class _Unreachable:
    """A recorder whose database went away."""

    def select_notifications(self, *args: Any, **kwargs: Any) -> None:
        raise OperationalError("the server closed the connection")


def test_reading_ahead_hands_a_failure_on(app: Routes) -> None:
    recorder = cast(ApplicationRecorder, _Unreachable())
    feed = ReadAheadFeed(recorder, Decoder(app.mapper, "audit"), 0, head(app), 10)
    try:
        with pytest.raises(OperationalError, match="closed the connection"):
            feed.next_batch(10, timeout=0.0)
    finally:
        feed.close()


def test_an_opening_event_decodes_as_if_validated_whole(app: Routes) -> None:
    notifications = app.recorder.select_notifications(0, head(app))
    opened = [n for n in notifications if n.topic.endswith(":RouteOpened")]
    decoded = [read_event(app.mapper, n) for n in opened]
    assert decoded == [RouteOpened.model_validate_json(n.state) for n in opened]
    first, second = decoded[:2]
    assert isinstance(first, RouteOpened) and isinstance(second, RouteOpened)
    assert first.profile is second.profile  # both of sakha's edition: validated once


def test_the_benchmark_profiles_the_read_ahead_thread_too(app: Routes) -> None:
    profiles: list[cProfile.Profile] = []
    rate = timed_catch_up(app, "audit", profiles)
    assert rate.events == head(app) and rate.cpu > 0
    on_postgres = isinstance(app.recorder, PostgresApplicationRecorder)
    assert len(profiles) == (3 if on_postgres else 2)  # the runner's, read-ahead (and writer)
    shares = where_time_goes(profiles)
    assert shares["decoding"] > 0 and shares["projection"] > 0
    assert sum(shares.values()) == pytest.approx(1.0)
