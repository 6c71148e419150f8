"""A client generated from `/openapi.json` by a stock generator (`openapi-python-client`)
drives a whole Sakha route over the in-process API, each step with its typed model and a token
of the role the regulation names: a document the generator cannot read, or typed models that
do not carry a command's body, fail here."""

from __future__ import annotations

import importlib
import json
import random
import subprocess
import sys
import uuid
from pathlib import Path
from types import ModuleType
from typing import Any

from aggregates.commands import COMMANDS, OpenRoute
from aggregates.profiles import Stage
from aggregates.values import Role
from tests.api.conftest import Direct
from tests.api.support import Portal
from tests.api.test_whole_routes import token_headers
from workers.demo import DemoRoute

GENERATOR = Path(sys.executable).parent / "openapi-python-client"
PACKAGE = "iom_portal_client"


def generated(document: dict[str, Any], where: Path) -> ModuleType:
    """The client package generated from `document` into `where`, imported."""
    source = where / "openapi.json"
    source.write_text(json.dumps(document, ensure_ascii=False))
    arguments = ["--path", str(source), "--meta", "none", "--output-path", str(where / PACKAGE)]
    done = subprocess.run(
        [str(GENERATOR), "generate", *arguments],
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    sys.path.insert(0, str(where))
    try:
        return importlib.import_module(PACKAGE)
    finally:
        sys.path.remove(str(where))


def operation(name: str, tag: str) -> Any:
    return importlib.import_module(f"{PACKAGE}.api.{tag}.{name}")


def model(name: str) -> Any:
    return getattr(importlib.import_module(f"{PACKAGE}.models"), name)


async def test_a_generated_client_drives_a_whole_sakha_route(
    direct: Direct, portal: Portal, tmp_path: Path
) -> None:
    client_package = generated(direct.app.openapi(), tmp_path)
    client = client_package.Client(base_url="http://api").set_async_httpx_client(direct.client)
    profile = direct.routes.profiles.latest("sakha")
    demo = DemoRoute(direct.routes, profile, 4, random.Random(4), direct.routes.clock().date())
    names = {command: name for name, command in COMMANDS.items()}
    for step in demo.steps():
        headers = token_headers(portal, demo, step.role)
        direct.client.headers["Authorization"] = headers["Authorization"]
        key = str(uuid.uuid4())
        body = step.command.model_dump(mode="json")
        if isinstance(step.command, OpenRoute):
            del body["region"]  # the token's
            sent = await operation("open_route", "команды").asyncio_detailed(
                client=client, body=model("OpenRouteRequest").from_dict(body), idempotency_key=key
            )
            assert sent.status_code == 201, sent.content
        else:
            name = names[type(step.command)]
            typed = model(type(step.command).__name__).from_dict(body)
            assert typed.to_dict() == body  # the typed model carries the body whole
            sent = await operation(name, "команды").asyncio_detailed(
                route_id=demo.route_id, client=client, body=typed, idempotency_key=key
            )
            assert sent.status_code == 200, (name, sent.content)
        assert isinstance(sent.parsed, model("CommandAccepted"))
        assert sent.parsed.route_id == demo.route_id
    head = token_headers(portal, demo, Role.CENTRE_HEAD)
    direct.client.headers["Authorization"] = head["Authorization"]
    route = await operation("get_route", "запросы").asyncio(route_id=demo.route_id, client=client)
    assert isinstance(route, model("RouteState"))
    regulation = f"/regulations/sakha/{profile.version}"
    assert (route.stage.value, route.regulation) == (Stage.COMPLETED.value, regulation)
    assert route.certificate is not None
    found = await operation("find_routes", "запросы").asyncio(client=client, route_key=demo.key)
    assert [r.id for r in found.items] == [demo.route_id]
