"""The OpenAPI document a portal developer reads, and the health probes."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import TypeAdapter

import aggregates.campaign
import aggregates.campaign_commands
import aggregates.migration
import aggregates.personal
import aggregates.profiles
import aggregates.programmes.orders
import aggregates.programmes.suggestion
import aggregates.programmes.values
import aggregates.route
import aggregates.values
import api.campaign_models
import api.endpoints.catalogue
import api.endpoints.charts
import api.endpoints.health
import api.endpoints.migration
import api.endpoints.officials
import api.endpoints.operations
import api.endpoints.proofs
import api.endpoints.regulations
import api.endpoints.suggestions
import api.endpoints.tasks
import api.endpoints.teachers
import api.models
import api.problems
import api.webhook_models
import projections.charts
import projections.methodist_report
from aggregates.commands import COMMANDS, PERSON_COMMANDS
from api.listings import MODELS as LIST_MODELS
from tests.api.conftest import Direct

MODULES = (
    aggregates.values,
    aggregates.route,
    aggregates.profiles,
    aggregates.personal,
    aggregates.migration,
    api.models,
    api.problems,
    api.endpoints.charts,
    api.endpoints.teachers,
    api.endpoints.operations,
    api.endpoints.officials,
    api.endpoints.proofs,
    api.endpoints.regulations,
    api.endpoints.tasks,
    api.endpoints.migration,
    api.webhook_models,
    projections.charts,
    aggregates.campaign,
    aggregates.campaign_commands,
    api.campaign_models,
    aggregates.programmes.values,
    aggregates.programmes.suggestion,
    aggregates.programmes.orders,
    api.endpoints.catalogue,
    api.endpoints.suggestions,
    projections.methodist_report,
)


def model_named(name: str) -> Any:
    """The class behind a component schema."""
    by_command = {command.__name__: command for command in COMMANDS.values()}
    if name in by_command:
        return by_command[name]
    if name in LIST_MODELS:
        return LIST_MODELS[name]
    for module in (*MODULES, api.endpoints.health):  # a class: `Reason` is a text elsewhere
        if isinstance(getattr(module, name, None), type):
            return getattr(module, name)
    raise AssertionError(f"no model named {name}")


async def test_the_document_is_complete(direct: Direct) -> None:
    answer = await direct.client.get("/openapi.json")
    assert answer.status_code == 200
    doc = answer.json()
    assert doc["openapi"].startswith("3.1")
    assert "Idempotency-Key" in doc["info"]["description"]
    paths = doc["paths"]
    assert set(paths) >= {"/routes", "/routes/{route_id}", "/health/live", "/health/ready"}
    for name in PERSON_COMMANDS:
        operation = paths[f"/routes/{{route_id}}/commands/{name}"]["post"]
        assert operation["operationId"] == name
        assert operation["summary"] and operation["description"]
        assert operation["security"] == [{"portalToken": []}]
        key = next(p for p in operation["parameters"] if p["name"] == "Idempotency-Key")
        assert key["required"] is True
        problem = operation["responses"]["422"]["content"]["application/problem+json"]
        assert problem["schema"]["$ref"] == "#/components/schemas/Problem"
    schemas = doc["components"]["schemas"]
    assert "HTTPValidationError" not in schemas
    for name, schema in schemas.items():
        assert schema.get("description"), f"{name} has no description"
        assert schema.get("examples"), f"{name} has no example"
        for field, prop in schema.get("properties", {}).items():
            assert prop.get("description"), f"{name}.{field} has no description"
        for example in schema["examples"]:
            TypeAdapter(model_named(name)).validate_python(example)


def references(node: object) -> set[str]:
    """Every `$ref` anywhere in a JSON document."""
    if isinstance(node, dict):
        found = {node["$ref"]} if isinstance(node.get("$ref"), str) else set()
        return found.union(*(references(value) for value in node.values()))
    if isinstance(node, list):
        return set().union(*(references(value) for value in node))
    return set()


async def test_every_reference_resolves(direct: Direct) -> None:
    """A dangling `$ref` (the webhooks' 422 once named a removed schema) stops ReDoc."""
    doc = (await direct.client.get("/openapi.json")).json()
    schemas = doc["components"]["schemas"]
    found = references(doc)
    assert found
    assert {ref.removeprefix("#/components/schemas/") for ref in found} <= set(schemas)


@pytest.mark.parametrize("path", ["/health/live", "/health/ready"])
async def test_health_needs_no_token(direct: Direct, path: str) -> None:
    answer = await direct.client.get(path)
    if path == "/health/live":
        assert (answer.status_code, answer.json()["status"]) == (200, "ok")
        return
    # No Temporal behind the in-process app: not ready, and it says which part.
    assert answer.status_code == 503
    assert answer.json()["checks"]["store"] == "ok"
    assert answer.json()["checks"]["temporal"] != "ok"
