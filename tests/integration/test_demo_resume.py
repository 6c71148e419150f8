"""`iom up --demo`'s load survives an interruption: the next load completes it, and `--reset`
deletes what a fresh start must not find."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from aggregates.application import route_id_for
from aggregates.profiles import Stage
from runtime.settings import Settings
from workers.context import build_routes
from workers.demo import demo_routes
from workers.showcase import SHOWCASE, showcase_ids, write_showcase
from workers.up import StartupError, reset_store, store_files


class InterruptedLoadError(Exception):
    """Ctrl-C, in the test's words."""


def test_an_interrupted_demo_load_is_completed_by_the_next(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path)
    routes = build_routes(settings)
    try:
        written = 0

        def interrupt_after_twelve() -> None:
            nonlocal written
            written += 1
            if written == 12:
                raise InterruptedLoadError

        with pytest.raises(InterruptedLoadError):
            write_showcase(routes, interrupt_after_twelve)
        # The thirteenth route half-written, with content drawn otherwise than the load draws it.
        region = routes.profiles.ids()[12 // len(SHOWCASE)]
        half = demo_routes(routes, region, 6, seed=7, first=1)[12 % len(SHOWCASE)]
        half.drive_to(Stage.DESIGN)
        assert len(list(routes.route_ids())) == 13

        write_showcase(routes)

        opened = Counter(routes.route_ids())
        assert sorted(opened) == sorted(showcase_ids(routes))
        assert len(opened) == len(routes.profiles.ids()) * len(SHOWCASE) == 35
        assert set(opened.values()) == {1}
        for region in routes.profiles.ids():
            for number, stage in enumerate(SHOWCASE, start=1):
                route = routes.route(route_id_for(region, f"demo-{region}-{number:05d}"))
                assert route.stage is stage, (region, number)
        tour = routes.route(route_id_for("sakha", "demo-sakha-00004"))
        assert tour.stage is Stage.AGREEMENT and tour.plan_hash
        assert routes.route(route_id_for("sakha", "demo-sakha-00005")).activities
    finally:
        routes.close()


def test_reset_deletes_the_sqlite_store_and_temporal_database(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path)
    routes = build_routes(settings)
    demo_routes(routes, "sakha", 1, seed=0, first=1)[0].drive_to(Stage.DIAGNOSTIC)
    routes.close()
    (tmp_path / "temporal.db").write_bytes(b"")
    (tmp_path / "logs").mkdir()

    deleted = reset_store(settings)

    assert tmp_path / "iom.sqlite3" in deleted and tmp_path / "temporal.db" in deleted
    assert not any(path.exists() for path in store_files(settings))
    assert (tmp_path / "logs").is_dir()  # the logs stay
    routes = build_routes(settings)
    try:
        assert not list(routes.route_ids())
    finally:
        routes.close()


def test_reset_leaves_a_postgresql_store_alone(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path, database_url="postgresql://postgres@127.0.0.1/iom")
    with pytest.raises(StartupError, match="PostgreSQL") as refused:
        reset_store(settings)
    assert refused.value.code == 2
