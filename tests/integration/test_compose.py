"""The single-host stack (docker-compose.yml, Dockerfile) holds together: every name in it is a
real service, setting, database, port or `iom` command. No Docker engine runs here, so the file
is read with PyYAML (and given to `docker compose config` where that command exists)."""

from __future__ import annotations

import json
import re
import shlex
import shutil
import subprocess
import tomllib
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import yaml
from typer.main import get_command
from typer.testing import CliRunner

from runtime.settings import Settings
from workers.cli import app

ROOT = Path(__file__).resolve().parents[2]
COMPOSE = ROOT / "docker-compose.yml"
DOCKERFILE = ROOT / "Dockerfile"
ENGINE = ("api", "worker", "projector")
SECRET = "a-secret-shared-with-the-portal"

Service = dict[str, Any]


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    loaded = yaml.safe_load(COMPOSE.read_text(encoding="utf-8"))
    assert isinstance(loaded, dict)
    return loaded


@pytest.fixture(scope="module")
def services(compose: dict[str, Any]) -> dict[str, Service]:
    return dict(compose["services"])


def interpolate(value: str, env: dict[str, str] | None = None) -> str:
    """`value` as compose would pass it: `${VAR}`, `${VAR:-default}`, `${VAR:?error}` filled
    from `env`, the default, or (for a required one) a placeholder; `$$` is a dollar."""
    given = env or {}

    def fill(match: re.Match[str]) -> str:
        name, operator, rest = match.group(1), match.group(2), match.group(3)
        if given.get(name):
            return given[name]
        if operator == "?":
            return f"<{name}>"
        return rest or ""

    filled = re.sub(r"\$\{([A-Za-z0-9_]+)(?::?([-?])([^}]*))?\}", fill, value)
    return filled.replace("$$", "$")


def environment(service: Service) -> dict[str, str]:
    """A service's environment as a mapping, interpolated (defaults taken)."""
    raw = service.get("environment") or {}
    if isinstance(raw, list):
        raw = dict(item.split("=", 1) for item in raw)
    return {str(k): interpolate(str(v)) for k, v in raw.items()}


def command_of(service: Service) -> list[str]:
    raw = service["command"]
    return shlex.split(raw) if isinstance(raw, str) else [str(part) for part in raw]


def healthcheck_of(service: Service) -> list[str]:
    test = service["healthcheck"]["test"]
    return shlex.split(test) if isinstance(test, str) else [str(part) for part in test]


def published(service: Service) -> list[tuple[str | None, int, int]]:
    """(host address, host port, container port) of each `ports` entry."""
    found = []
    for entry in service.get("ports", []):
        *address, host, container = str(entry).split(":")
        found.append((address[0] if address else None, int(host), int(container)))
    return found


def dockerfile_instruction(name: str) -> list[str]:
    """The exec-form (JSON) arguments of the Dockerfile's last `name` instruction."""
    lines = [line for line in DOCKERFILE.read_text().splitlines() if line.startswith(f"{name} ")]
    assert lines, f"the Dockerfile has no {name}"
    parsed = json.loads(lines[-1].removeprefix(f"{name} "))
    assert isinstance(parsed, list)
    return [str(part) for part in parsed]


def parse_iom(args: list[str]) -> None:
    """Parse `iom ARGS` as the command line would (a UsageError on an unknown command, option
    or value), without running it; and `iom SUBCOMMAND --help` exits 0."""
    group: Any = get_command(app)  # typer's own (vendored) click group
    with group.make_context("iom", list(args), resilient_parsing=False) as ctx:
        name, sub, rest = group.resolve_command(ctx, list(args))
        assert name is not None and sub is not None, args
        sub.make_context(name, rest, parent=ctx)
    assert CliRunner().invoke(app, [args[0], "--help"]).exit_code == 0


def test_the_file_parses_and_every_service_has_an_image_or_a_build(
    services: dict[str, Service],
) -> None:
    assert set(services) == {"postgres", "temporal", "temporal-ui", *ENGINE}
    for name, service in services.items():
        assert "image" in service or "build" in service, name
        assert service.get("restart") in ("unless-stopped", "always"), name


def test_the_engine_services_share_the_x_engine_anchor_and_build_from_the_dockerfile(
    compose: dict[str, Any], services: dict[str, Service]
) -> None:
    assert "x-engine" in compose
    text = COMPOSE.read_text(encoding="utf-8")
    assert text.count("<<: *engine") == len(ENGINE)
    for name in ENGINE:
        service = services[name]
        assert service["environment"] == compose["x-engine"]["environment"], name
        build = service["build"]
        context = ROOT / (build if isinstance(build, str) else build.get("context", "."))
        dockerfile = (
            "Dockerfile" if isinstance(build, str) else build.get("dockerfile", "Dockerfile")
        )
        assert (context / dockerfile).is_file(), name
        assert "healthcheck" in service, name


def test_every_dependency_is_a_service_with_the_health_check_its_condition_needs(
    services: dict[str, Service],
) -> None:
    for name, service in services.items():
        depends = service.get("depends_on", {})
        if isinstance(depends, list):
            depends = {each: {"condition": "service_started"} for each in depends}
        for other, how in depends.items():
            assert other in services, f"{name} depends on an unknown service {other}"
            assert other != name
            if how.get("condition") == "service_healthy":
                assert "healthcheck" in services[other], f"{name} waits for {other}'s health"
    assert services["api"]["depends_on"]["temporal"]["condition"] == "service_healthy"
    assert services["worker"]["depends_on"]["postgres"]["condition"] == "service_healthy"


def test_every_iom_variable_is_a_setting_and_the_values_are_valid(
    services: dict[str, Service], monkeypatch: pytest.MonkeyPatch
) -> None:
    fields = {f"IOM_{name.upper()}" for name in Settings.model_fields}
    named = set(re.findall(r"\bIOM_[A-Z0-9_]+", COMPOSE.read_text(encoding="utf-8")))
    assert named and named <= fields, f"not settings: {sorted(named - fields)}"
    env = environment(services["api"])
    assert set(env) <= fields
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    settings = Settings(_env_file=None)
    assert settings.log_format == "json"
    assert settings.portal_jwt_secret is not None


REQUIRED = ("IOM_PORTAL_JWT_SECRET", "IOM_PD_MASTER_KEY", "IOM_AUDIT_KEY")
"""The secrets compose will not start without: the portal's, and the two that must outlive a
container (a master key or checkpoint key made inside one would be lost with it)."""


@pytest.mark.parametrize("name", REQUIRED)
def test_compose_refuses_to_start_without_its_secrets(
    services: dict[str, Service], name: str
) -> None:
    raw = services["api"]["environment"][name]
    assert re.fullmatch(rf"\$\{{{name}:\?[^}}]+\}}", raw)
    assert environment(services["api"])[name] == f"<{name}>"


def test_the_database_url_names_the_postgres_service_and_a_database_it_creates(
    compose: dict[str, Any], services: dict[str, Service]
) -> None:
    postgres = services["postgres"]
    data = [v for v in postgres["volumes"] if v.endswith(":/var/lib/postgresql/data")]
    assert data and data[0].split(":")[0] in compose["volumes"], "the data live in a volume"
    created = {environment(postgres)["POSTGRES_DB"]}
    init = [v for v in postgres["volumes"] if ":/docker-entrypoint-initdb.d/" in v]
    assert init, "an init script creates the databases"
    for mount in init:
        source = ROOT / mount.split(":")[0]
        assert source.is_file(), mount
        created |= set(re.findall(r"CREATE DATABASE (\w+)", source.read_text(encoding="utf-8")))
    url = urlsplit(environment(services["api"])["IOM_DATABASE_URL"])
    assert url.scheme == "postgresql"
    assert url.hostname == "postgres" and (url.port or 5432) == 5432
    assert url.path.removeprefix("/") in created
    assert url.username == environment(postgres)["POSTGRES_USER"]
    assert url.password == environment(postgres)["POSTGRES_PASSWORD"]

    temporal = environment(services["temporal"])
    assert temporal["DB"] == "postgres12" and temporal["POSTGRES_SEEDS"] == "postgres"
    assert int(temporal["DB_PORT"]) == 5432
    assert {temporal["DBNAME"], temporal["VISIBILITY_DBNAME"]} <= created
    assert url.path.removeprefix("/") not in (temporal["DBNAME"], temporal["VISIBILITY_DBNAME"])
    assert temporal["POSTGRES_USER"] == url.username
    assert temporal["POSTGRES_PWD"] == url.password


def test_temporal_address_names_the_temporal_service_and_its_port(
    services: dict[str, Service],
) -> None:
    address = environment(services["api"])["IOM_TEMPORAL_ADDRESS"]
    host, port = address.rsplit(":", 1)
    assert host == "temporal" and int(port) == 7233
    assert environment(services["temporal"])["TEMPORAL_ADDRESS"] == address
    assert environment(services["temporal-ui"])["TEMPORAL_ADDRESS"] == address
    for bound, _, container in published(services["temporal"]):
        assert container == 7233 and bound == "127.0.0.1", "Temporal is not for the network"
    assert published(services["temporal-ui"]) == [("127.0.0.1", 8233, 8080)]
    assert not published(services["postgres"]), "PostgreSQL is not published"


def test_the_api_listens_on_the_port_it_publishes_and_checks(services: dict[str, Service]) -> None:
    api = services["api"]
    command = command_of(api)
    assert command[0] == "api"
    port = int(command[command.index("--port") + 1])
    assert command[command.index("--host") + 1] == "0.0.0.0"
    assert [(host, container) for _, host, container in published(api)] == [(8000, port)]
    probe = " ".join(healthcheck_of(api))
    assert f"http://127.0.0.1:{port}/health/ready" in probe


def test_the_entrypoint_is_the_iom_script_and_every_command_is_an_iom_command(
    services: dict[str, Service],
) -> None:
    scripts = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["scripts"]
    assert dockerfile_instruction("ENTRYPOINT") == ["iom"]
    assert scripts["iom"] == "workers.cli:main"
    default = dockerfile_instruction("CMD")
    assert default == command_of(services["api"])
    parse_iom(default)
    for name in ENGINE:
        parse_iom(command_of(services[name]))
        probe = healthcheck_of(services[name])
        if probe[:2] == ["CMD", "iom"]:
            parse_iom(probe[2:])
    assert healthcheck_of(services["worker"])[2:5] == ["health", "--only", "worker"]
    assert healthcheck_of(services["projector"])[2:5] == ["health", "--only", "projections"]


def test_the_image_runs_as_a_user_and_leaves_the_clutter_out() -> None:
    text = DOCKERFILE.read_text()
    lines = text.splitlines()
    assert [line for line in lines if line.startswith("FROM ")] == ["FROM python:3.11-slim"]
    assert "RUN pip install /tmp/src" in text
    users = [line.split()[1] for line in lines if line.startswith("USER ")]
    assert users and users[-1] not in ("root", "0")
    assert "EXPOSE 8000" in text
    lines = (ROOT / ".dockerignore").read_text().splitlines()
    ignored = {line.strip() for line in lines if line.strip() and not line.startswith("#")}
    assert {".venv", "var", ".env", "tests", ".git"} <= ignored
    assert "README.md" not in ignored, "pyproject.toml's readme is part of the build"


@pytest.mark.skipif(
    shutil.which("docker") is None
    or subprocess.run(["docker", "compose", "version"], capture_output=True).returncode != 0,  # noqa: PLW1510
    reason="the docker compose plugin is not installed here",
)
def test_docker_compose_accepts_the_file() -> None:
    env = {name: SECRET for name in REQUIRED} | {"PATH": "/usr/bin:/bin:/usr/local/bin"}
    done = subprocess.run(
        ["docker", "compose", "-f", str(COMPOSE), "config", "--quiet"],
        capture_output=True,
        env=env,
        check=False,
    )
    assert done.returncode == 0, done.stderr.decode()
    refused = subprocess.run(
        ["docker", "compose", "-f", str(COMPOSE), "config", "--quiet"],
        capture_output=True,
        env={"PATH": env["PATH"]},
        check=False,
    )
    assert refused.returncode != 0 and b"IOM_PORTAL_JWT_SECRET" in refused.stderr
