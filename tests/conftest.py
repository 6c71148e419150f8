"""Fixtures shared by every tier: the two event stores, each fresh for the test that asks."""

from __future__ import annotations

import os
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from hypothesis import HealthCheck, settings

from runtime.settings import store_env
from tests.support.artifacts import ARTIFACTS, made_since
from tests.support.servers import Receiver, Smtp, start_receiver, start_smtp

settings.register_profile(
    "ci",
    max_examples=40,
    stateful_step_count=30,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.large_base_example],
)
settings.register_profile("dev", settings.get_profile("ci"), max_examples=4, stateful_step_count=12)
settings.load_profile(os.environ.get("IOM_HYPOTHESIS_PROFILE", "dev"))
"""Property tests draw few examples by default (`dev`: the unit tier in seconds) and the full
count in CI (`.ci/run` sets IOM_HYPOTHESIS_PROFILE=ci); a test that sets its own count keeps it."""

PG_ADMIN_URL = os.environ.get(
    "IOM_TEST_PG_ADMIN_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
)


@pytest.fixture(scope="session")
def pg_database() -> Iterator[str]:
    """A fresh PostgreSQL database for this test session (and this xdist worker); its URL."""
    name = f"iom_test_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    yield PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def pg_url(pg_database: str) -> Iterator[str]:
    """The session's PostgreSQL database, emptied of the engine's tables after the test."""
    yield pg_database
    with psycopg.connect(pg_database, autocommit=True) as conn:
        conn.execute("DROP SCHEMA public CASCADE; CREATE SCHEMA public")


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    """A SQLite event store in a file of its own."""
    return f"sqlite:///{tmp_path / 'iom.sqlite3'}"


@pytest.fixture(params=["sqlite", "postgres"])
def database_url(request: pytest.FixtureRequest) -> str:
    """Each scenario that takes this runs once on SQLite and once on PostgreSQL."""
    fixture = "sqlite_url" if request.param == "sqlite" else "pg_url"
    return str(request.getfixturevalue(fixture))


@pytest.fixture
def store(database_url: str) -> dict[str, str]:
    """The eventsourcing environment for `database_url`."""
    return store_env(database_url)


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    """A real webhook receiver on 127.0.0.1 and a free port, for one test."""
    yield from start_receiver()


@pytest.fixture
def smtp() -> Iterator[Smtp]:
    """A real SMTP server (aiosmtpd) on 127.0.0.1 that accepts everything, for one test."""
    yield from start_smtp()


_STARTED = time.time()


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """Name the folder of the artefacts this run made (the documents' pages as PNG), so a CI
    log says where to find them."""
    made = made_since(_STARTED)
    if made:
        folders = sorted({str(path.parent) for path in made})
        terminalreporter.write_sep("-", "test artefacts")
        terminalreporter.write_line(f"{len(made)} files under {ARTIFACTS}:")
        for folder in folders:
            count = sum(1 for path in made if str(path.parent) == folder)
            terminalreporter.write_line(f"  {folder} ({count})")
