"""Each command's form under an edition (`GET /regulations/{id}/{version}/commands/{name}`):
every command the demo sends, in every region, validates against its form; and each of the
region's requirements the form folds in refuses what the route refuses, naming the same field."""

from __future__ import annotations

import copy
import random
import re
from typing import Any

import pytest
from jsonschema import Draft202012Validator

from aggregates.commands import COMMANDS, Command, OpenRoute
from aggregates.errors import InvalidCommandError
from aggregates.values import Role
from api.endpoints.forms import FORMS
from tests.api.conftest import Direct
from tests.api.support import Portal
from tests.support.profiles import REGIONS
from workers.demo import DemoRoute, Step

NAMES = {command: name for name, command in COMMANDS.items()} | {OpenRoute: "open_route"}


def dotted(path: list[Any]) -> str:
    """A JSON path as the engine names a field: `plan.activities[0].direction`."""
    found = ""
    for part in path:
        found += f"[{part}]" if isinstance(part, int) else (f".{part}" if found else str(part))
    return found


def refused_fields(validator: Draft202012Validator, payload: dict[str, Any]) -> set[str]:
    """The fields the form refuses in `payload` (a missing one named as the engine names it)."""
    fields = set()
    for error in validator.iter_errors(payload):
        path = list(error.absolute_path)
        if error.validator == "required":
            missing = re.match(r"'([^']+)' is a required property", error.message)
            assert missing is not None
            path.append(missing[1])
        fields.add(dotted(path))
    return fields


def body_of(command: Command) -> dict[str, Any]:
    """The body the portal sends for `command` (an opening's region is the token's)."""
    body = command.model_dump(mode="json")
    return (
        {k: v for k, v in body.items() if k != "region"} if isinstance(command, OpenRoute) else body
    )


def spoiled(body: dict[str, Any], path: str) -> tuple[dict[str, Any], str]:
    """`body` without the field at `path` (`[]`: in the first item); the field's concrete path."""
    changed = copy.deepcopy(body)
    node: Any = changed
    where: list[Any] = []
    *parents, last = path.split(".")
    for part in parents:
        node = node[part.removesuffix("[]")]
        where.append(part.removesuffix("[]"))
        if part.endswith("[]"):
            node, where = node[0], [*where, 0]
    node.pop(last, None)
    return changed, dotted([*where, last])


class Forms:
    """The forms of one edition, fetched once each over HTTP."""

    def __init__(self, direct: Direct, portal: Portal, edition: str) -> None:
        token = portal.token(Role.TEACHER, "portal-user-1", "balakhta", teacher_id="teacher-1")
        self.direct, self.headers, self.edition = direct, portal.headers(token), edition
        self.validators: dict[str, Draft202012Validator] = {}

    async def of(self, name: str) -> Draft202012Validator:
        if name not in self.validators:
            path = f"/regulations/{self.edition}/commands/{name}"
            answer = await self.direct.client.get(path, headers=self.headers)
            assert answer.status_code == 200, answer.text
            schema = answer.json()
            assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
            Draft202012Validator.check_schema(schema)
            self.validators[name] = Draft202012Validator(schema)
        return self.validators[name]


def refused_by_engine(demo: DemoRoute, step: Step, body: dict[str, Any]) -> str | None:
    """The field the route names refusing `body` as the step's command (decided, not saved)."""
    command = type(step.command).model_validate(body)
    try:
        demo.app.decide(demo.route_id, command, demo.actor(step.role), "form-check")
    except InvalidCommandError as error:
        return error.field
    return None


@pytest.mark.parametrize("region", REGIONS)
async def test_every_demo_command_fits_its_form_and_the_forms_refuse_as_the_route(
    direct: Direct, portal: Portal, region: str
) -> None:
    profile = direct.routes.profiles.latest(region)
    forms = Forms(direct, portal, f"{region}/{profile.version}")
    today = direct.routes.clock().date()
    demo = DemoRoute(direct.routes, profile, 1, random.Random(region), today)
    sent: set[str] = set()
    folded: set[tuple[str, str]] = set()
    for step in demo.steps():
        name = NAMES[type(step.command)]
        validator = await forms.of(name)
        body = body_of(step.command)
        assert refused_fields(validator, body) == set(), (name, body)
        sent.add(name)
        for path in type(step.command).required_by(profile):
            without, field = spoiled(body, path)
            assert refused_fields(validator, without) == {field}, (name, path)
            assert refused_by_engine(demo, step, without) == field, (name, path)
            folded.add((name, path))
        if name == "design_route":
            for changed, field in enums_broken(body, bool(profile.directions)):
                refused = refused_fields(validator, changed)  # an item's error names its index
                assert refused in ({field}, {f"{field}[0]"}), (name, field, refused)
                assert refused_by_engine(demo, step, changed) == field, (name, field)
        demo._take([step])
    assert {"open_route", "design_route", "complete_activity", "record_conclusions"} <= sent
    assert sent <= set(FORMS)
    declared = {(n, p) for n in sent for p in FORMS[n][1].required_by(profile)}
    assert folded == declared
    assert folded or region == "chelyabinsk"


def enums_broken(body: dict[str, Any], directions: bool) -> list[tuple[dict[str, Any], str]]:
    """A plan whose first activity names a competence the edition lacks, and one whose first
    activity names a direction the edition lacks (or any, where it has none)."""
    unknown = copy.deepcopy(body)
    unknown["plan"]["activities"][0]["competences"] = ["no_such_competence"]
    stray = copy.deepcopy(body)
    stray["plan"]["activities"][0]["direction"] = "no_such_direction" if directions else "any"
    return [
        (unknown, "plan.activities[0].competences"),
        (stray, "plan.activities[0].direction"),
    ]
