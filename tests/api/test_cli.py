"""`iom api` as an operator runs it: refuses to start without the portal's key, and serves the
API (health, OpenAPI, 401s) on the configured store while Temporal is still down."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.api.support import SECRET
from tests.support.browser import rendered_dom
from tests.support.servers import free_port

IOM = Path(sys.executable).parent / "iom"


@pytest.fixture
def environment(tmp_path: Path) -> dict[str, str]:
    """The process environment: a SQLite store of its own, Temporal on a port nobody serves."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("IOM_")}
    env |= {
        "IOM_DATABASE_URL": f"sqlite:///{tmp_path / 'iom.sqlite3'}",
        "IOM_TEMPORAL_ADDRESS": f"127.0.0.1:{free_port()}",
        "IOM_LOG_FORMAT": "json",
    }
    return env


def test_it_will_not_start_without_the_portals_key(environment: dict[str, str]) -> None:
    done = subprocess.run(
        [str(IOM), "api"], env=environment, capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == 2
    assert "IOM_PORTAL_JWT_SECRET" in done.stderr


def test_on_postgresql_it_will_not_start_without_the_master_key(
    environment: dict[str, str], pg_url: str
) -> None:
    environment |= {"IOM_PORTAL_JWT_SECRET": SECRET, "IOM_DATABASE_URL": pg_url}
    done = subprocess.run(
        [str(IOM), "api"], env=environment, capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == 2
    assert "IOM_PD_MASTER_KEY не задан" in done.stderr
    assert "Traceback" not in done.stderr


@pytest.fixture
def served(environment: dict[str, str], tmp_path: Path) -> Iterator[str]:
    """`iom api` on a free port; its base URL once it answers."""
    port = free_port()
    environment["IOM_PORTAL_JWT_SECRET"] = SECRET
    with (tmp_path / "api.log").open("wb") as log:
        process = subprocess.Popen(
            [str(IOM), "api", "--port", str(port)], env=environment, stdout=log, stderr=log
        )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(600):
            assert process.poll() is None, (tmp_path / "api.log").read_text()
            try:
                httpx.get(f"{base}/health/live", timeout=1)
                break
            except httpx.TransportError:
                time.sleep(0.1)  # the server is still starting
        yield base
    finally:
        process.terminate()
        # uvicorn shuts down gracefully, then re-raises SIGTERM to end the process by it.
        assert process.wait(timeout=30) in (0, -15)


def test_it_serves_the_api(served: str) -> None:
    assert httpx.get(f"{served}/health/live").json()["status"] == "ok"
    ready = httpx.get(f"{served}/health/ready", timeout=10)
    assert ready.status_code == 503
    assert ready.json()["checks"]["store"] == "ok"
    assert httpx.get(f"{served}/openapi.json").json()["openapi"].startswith("3.1")
    refused = httpx.get(f"{served}/routes/3f1c9a52-7d7e-5b1a-9c55-0e6a1f0a2b11")
    assert refused.status_code == 401
    assert refused.headers["content-type"] == "application/problem+json"


def test_the_documentation_renders_with_the_network_off(served: str) -> None:
    """Swagger UI and ReDoc load their scripts from the API itself, not a CDN."""
    swagger = rendered_dom(f"{served}/docs")
    assert 'data-path="/routes/{route_id}/commands/agree_route"' in swagger
    assert "opblock-summary-method" in swagger
    redoc = rendered_dom(f"{served}/redoc")
    assert "/routes/{route_id}/commands/agree_route" in redoc
    assert 'class="api-content"' in redoc or "api-content" in redoc
