"""The problems a portal may meet, said plainly: each carries `retryable`, decided in one place;
a closed route's refusal is final; the README's table of kinds is the code's own list, and
neither the README nor the OpenAPI examples name a kind or a rule no code produces (the rules
collected by a static scan of the calls that refuse)."""

from __future__ import annotations

import ast
import random
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from aggregates.checks import CHECKS
from aggregates.profiles import Stage
from aggregates.values import Role
from api.problems import DOMAIN_KINDS, TITLES, domain_problem, kinds_table, problem
from tests.api.conftest import Direct
from tests.api.support import Portal
from workers.demo import DemoRoute

ROOT = Path(__file__).resolve().parents[2]
SOURCES = (
    "aggregates",
    "adapters",
    "api",
    "runtime",
    "workers",
    "workflows",
    "activities",
    "projections",
)
ERRORS = {
    "DomainError",
    "InvalidCommandError",
    "StageError",
    "RoleError",
    "SeparationOfDutiesError",
    "RouteNotFoundError",
    "RouteExistsError",
    "ConflictError",
    "CommandReuseError",
    "AuthenticationError",
    "PydanticCustomError",
}
"""The refusals whose first argument is their rule."""


def called(node: ast.Call) -> str:
    func = node.func
    return func.id if isinstance(func, ast.Name) else getattr(func, "attr", "")


def text(node: ast.expr | None) -> str | None:
    return node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) else None


def calls() -> Iterator[ast.Call]:
    for package in SOURCES:
        for path in sorted((ROOT / package).rglob("*.py")):
            for node in ast.walk(ast.parse(path.read_text())):
                if isinstance(node, ast.Call):
                    yield node


def producible() -> tuple[set[str], set[str]]:
    """The rules and the kinds the code can produce, by a static scan of the calls that refuse:
    an error class's rule (its first argument), a `rule=` or `kind=` keyword, `problem` and
    `ProblemError`'s kind (their second argument), the query checks' `invalid(field, rule, …)`,
    the aggregates' `invalid(field, message)` (rule `content`); pydantic's checks (`CHECKS`)."""
    rules, kinds = set(CHECKS), {kind for _, _, kind in DOMAIN_KINDS} | {"refused"}
    for node in calls():
        name, args = called(node), node.args
        given = {k.arg: text(k.value) for k in node.keywords}
        if name in ERRORS and args and text(args[0]):
            rules.add(str(text(args[0])))
        if name in ("ProblemError", "problem") and len(args) > 1 and text(args[1]):
            kinds.add(str(text(args[1])))
        if name == "invalid":
            rules.add(str(text(args[1])) if len(args) >= 3 and text(args[1]) else "content")
        rules.update(v for k, v in given.items() if k == "rule" and v)
        kinds.update(v for k, v in given.items() if k == "kind" and v and v in TITLES)
    return rules, kinds


def referenced(kind: str) -> bool:
    """Whether `kind` is named in the API's code other than in the list of titles itself."""
    for path in sorted((ROOT / "api").rglob("*.py")):
        tree = ast.parse(path.read_text())
        titles = {
            id(key)
            for node in ast.walk(tree)
            if isinstance(node, ast.Assign)
            and any(isinstance(t, ast.Name) and t.id == "TITLES" for t in node.targets)
            and isinstance(node.value, ast.Dict)
            for key in node.value.keys
        }
        for node in ast.walk(tree):
            if isinstance(node, ast.Constant) and node.value == kind and id(node) not in titles:
                return True
    return False


def test_the_scan_finds_what_the_code_refuses_with() -> None:
    rules, kinds = producible()
    assert {"turn", "route_closed", "not_running", "unknown_parameter", "date_window"} <= rules
    assert {"content", "max_batch", "list_role", "teacher_binding", "string_too_short"} <= rules
    assert {"regulation-not-found", "webhook-not-found", "not-acceptable", "timeout"} <= kinds
    assert "separation_of_duties" in rules
    assert "agreement_order" not in rules


def test_every_kind_the_code_produces_is_listed_and_the_readme_table_is_the_list() -> None:
    _, kinds = producible()
    assert kinds <= set(TITLES), kinds - set(TITLES)
    assert all(referenced(kind) for kind in TITLES), [k for k in TITLES if not referenced(k)]
    readme = (ROOT / "README.md").read_text()
    assert kinds_table() in readme
    named = set(re.findall(r"urn:iom:problem:([a-z-]+)", readme))
    assert named <= kinds


def test_the_readme_names_no_rule_the_code_cannot_produce() -> None:
    rules, _ = producible()
    readme = (ROOT / "README.md").read_text()
    named = set(re.findall(r"(?:`rule` |rule |\b4\d\d )`([a-z_]+)`", readme))
    assert {"list_role", "max_batch", "route_closed", "unknown_parameter"} <= named
    assert named <= rules, named - rules


def problem_examples(node: Any, in_example: bool = False) -> Iterator[dict[str, Any]]:
    """Every example problem (or field problem) in the OpenAPI document."""
    if isinstance(node, dict):
        if in_example and "rule" in node and ("type" in node or "field" in node):
            yield node
        for key, value in node.items():
            yield from problem_examples(value, in_example or key in ("examples", "example"))
    elif isinstance(node, list):
        for value in node:
            yield from problem_examples(value, in_example)


def test_the_openapi_examples_name_only_what_the_code_produces(direct: Direct) -> None:
    rules, kinds = producible()
    examples = list(problem_examples(direct.app.openapi()))
    assert len(examples) >= 2
    for example in examples:
        if example.get("rule") is not None:
            assert example["rule"] in rules, example
        if "type" in example:
            assert example["type"].removeprefix("urn:iom:problem:") in kinds, example


def test_retryable_is_decided_by_kind_status_and_rule() -> None:
    assert problem(503, "unavailable", "-").retryable
    assert problem(504, "timeout", "-", rule="timeout").retryable
    assert problem(409, "conflict", "-", rule="conflict").retryable
    assert problem(409, "stage", "-", rule="not_running").retryable
    assert problem(409, "stage", "-", rule="paused").retryable
    for status, kind, rule in [
        (422, "invalid-request", "missing"),
        (403, "role", "turn"),
        (404, "not-found", "not_found"),
        (409, "stage", "stage"),
        (409, "stage", "route_closed"),
        (422, "invalid-command", "content"),
        (401, "unauthenticated", "missing"),
    ]:
        assert not problem(status, kind, "-", rule=rule).retryable, (kind, rule)


async def test_every_answered_problem_says_whether_to_retry(direct: Direct, portal: Portal) -> None:
    _, route_id = direct.route_in_agreement()
    headers = portal.headers(portal.token(Role.CENTRE_HEAD, "centre-head-sakha"), "k-1")
    path = f"/routes/{route_id}/commands/agree_route"
    answers = [
        await direct.client.get(f"/routes/{route_id}"),
        await direct.client.post(path, headers=headers, json={"plan_hash": 1}),
        await direct.client.post(path, headers=headers, json={"plan_hash": "0" * 64}),
        await direct.client.get("/routes/00000000-0000-0000-0000-000000000000", headers=headers),
    ]
    assert [a.status_code for a in answers] == [401, 422, 403, 404]
    assert [a.json()["retryable"] for a in answers] == [False] * 4


async def test_a_closed_route_is_final_an_open_one_without_its_process_is_not(
    direct: Direct,
) -> None:
    _, open_id = direct.route_in_agreement()
    profile = direct.routes.profiles.latest("sakha")
    today = direct.routes.clock().date()
    completed_id = DemoRoute(direct.routes, profile, 2, random.Random(2), today).drive()
    assert direct.routes.route(completed_id).stage is Stage.COMPLETED
    final = domain_problem(await direct.gateway.gone(completed_id))
    assert (final.status, final.rule, final.retryable) == (409, "route_closed", False)
    down = domain_problem(await direct.gateway.gone(open_id))
    assert (down.rule, down.retryable) == ("not_running", True)
