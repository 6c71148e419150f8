"""Typed models generated from `/openapi.json` by a stock generator (`datamodel-code-generator`)
carry a whole Sakha route over the in-process API, each step's body through its generated model
and each answer read back by one, with a token of the role the regulation names: a document the
generator cannot read, or models that do not carry a command's body, fail here.

(`openapi-python-client`, which also writes the HTTP calls, pins a typer older than the one the
command line's Russian words are written for; the calls here are plain httpx on the paths the
document names.)"""

from __future__ import annotations

import importlib.util
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

GENERATOR = Path(sys.executable).parent / "datamodel-codegen"


def generated(document: dict[str, Any], where: Path) -> ModuleType:
    """The pydantic models generated from `document` into `where`, imported."""
    source, target = where / "openapi.json", where / "portal_models.py"
    source.write_text(json.dumps(document, ensure_ascii=False))
    arguments = ["--input", str(source), "--input-file-type", "openapi", "--output", str(target)]
    arguments += ["--output-model-type", "pydantic_v2.BaseModel", "--use-annotated"]
    done = subprocess.run(
        [str(GENERATOR), *arguments], capture_output=True, text=True, check=False, timeout=300
    )
    assert done.returncode == 0, done.stdout + done.stderr
    spec = importlib.util.spec_from_file_location("portal_models", target)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["portal_models"] = module  # pydantic resolves the models' forward references
    try:
        spec.loader.exec_module(module)
    finally:
        del sys.modules["portal_models"]
    return module


def carried(models: ModuleType, name: str, body: dict[str, Any]) -> dict[str, Any]:
    """The body through its generated model and back: it must come back whole."""
    typed = getattr(models, name).model_validate(body)
    back: dict[str, Any] = typed.model_dump(mode="json", by_alias=True, exclude_unset=True)
    assert back == body, name
    return back


async def test_generated_models_carry_a_whole_sakha_route(
    direct: Direct, portal: Portal, tmp_path: Path
) -> None:
    document = direct.app.openapi()
    models = generated(document, tmp_path)
    paths = document["paths"]
    profile = direct.routes.profiles.latest("sakha")
    demo = DemoRoute(direct.routes, profile, 4, random.Random(4), direct.routes.clock().date())
    names = {command: name for name, command in COMMANDS.items()}
    for step in demo.steps():
        headers = token_headers(portal, demo, step.role) | {"Idempotency-Key": str(uuid.uuid4())}
        body = step.command.model_dump(mode="json")
        if isinstance(step.command, OpenRoute):
            del body["region"]  # the token's
            assert "post" in paths["/routes"]
            sent = await direct.client.post(
                "/routes", json=carried(models, "OpenRouteRequest", body), headers=headers
            )
            assert sent.status_code == 201, sent.text
        else:
            name = names[type(step.command)]
            path = f"/routes/{{route_id}}/commands/{name}"
            assert "post" in paths[path], name
            sent = await direct.client.post(
                path.format(route_id=demo.route_id),
                json=carried(models, type(step.command).__name__, body),
                headers=headers,
            )
            assert sent.status_code == 200, (name, sent.text)
        accepted = models.CommandAccepted.model_validate(sent.json())
        assert str(accepted.route_id) == str(demo.route_id)
    head = token_headers(portal, demo, Role.CENTRE_HEAD)
    route = models.RouteState.model_validate(
        (await direct.client.get(f"/routes/{demo.route_id}", headers=head)).json()
    )
    stage = getattr(route.stage, "value", route.stage)
    assert (stage, route.regulation) == (
        Stage.COMPLETED.value,
        f"/regulations/sakha/{profile.version}",
    )
    assert route.certificate is not None
    found = await direct.client.get("/routes", params={"route_key": demo.key}, headers=head)
    listed = models.FoundRoutes.model_validate(found.json())
    assert [str(r.id) for r in listed.items] == [str(demo.route_id)]
