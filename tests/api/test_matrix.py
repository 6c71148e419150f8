"""The authorisation matrix: every operation of the OpenAPI document that takes a token × every
portal role × a target that is the caller's own, in another school of the caller's region, or
in another region.

The operations are read from the app's own document, and each must be classified in `TABLE`
(what it targets, which roles are refused at role level, whether it only reads), so a new
endpoint fails here until it is. The rules are the README's («Who sees what», «Lists», «The
information sheet», «Webhooks out»):

- out of reach: a route, a teacher's sheet or a subscription answers 404 (the same answer as an
  id that does not exist); a list answers 200 without the target's rows or 403 naming the
  filter; an opening for another teacher or school is 403 (`own_route`, `own_school`);
- a role refused at role level gets 403 before anything is looked up, the same answer whatever
  the target (the auditor's commands on one route are refused once the route is found: 403
  within reach, 404 beyond it);
- a refusal is problem details carrying none of the target's data: no id (route, teacher,
  school, methodist, subscription, delivery) the request did not itself name;
- within reach a reading operation is never 401, 403 or 404; a command may be the route's own
  refusal (its stage, its parties), never a refusal of reach.

The store: two Sakha demo routes in implementation (schools 02 and 03, methodists 02 and 03),
one of Balakhta, projected; a sheet for each teacher; two Sakha subscriptions and one of
Balakhta, each with deliveries. Each operation gets its own copy of that store.
"""

from __future__ import annotations

import json
import re
import shutil
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal
from uuid import UUID

import httpx
import pytest
import pytest_asyncio
from pydantic import SecretStr

from adapters.document_code import DocumentCode
from adapters.operation_store import operation_env
from adapters.personal import OfficialsStore, PersonalDataStore
from aggregates.application import Routes
from aggregates.campaign_commands import ORGANISERS, PlanCampaign
from aggregates.campaigns import Campaigns
from aggregates.operation import Operation, Operations
from aggregates.personal import OfficialCard, TeacherSheet
from aggregates.profiles import ProfileCatalogue, Stage
from aggregates.programmes.values import Programme
from aggregates.values import Actor, Role
from api.app import create_app
from api.auth import TokenVerifier
from api.glossary import EXAMPLES
from api.idempotency import IdempotencyStore
from api.limits import RateLimiter
from api.listings import LISTS
from api.portal_tokens import PORTAL_ROLES, SCHOOL_ROLES
from api.services import Services
from projections.catalog import PROJECTIONS, catch_up
from projections.subscriptions import Subscriptions
from runtime.settings import Settings, store_env
from tests.api.support import AUDIENCE, SECRET, DirectGateway, Portal
from workers.context import api_services
from workers.demo import write_demo

Case = Literal["own", "other_school", "other_region"]
CASES: tuple[Case, ...] = ("own", "other_school", "other_region")
Kind = Literal[
    "route",
    "diagnostics",
    "opening",
    "list",
    "teacher",
    "webhook",
    "webhooks",
    "region",
    "regulation",
    "official",
    "campaign",
    "campaigns",
]  # region: a report of the token's region, no target to name; regulation: open to everyone;
# official: a person in the registry of officials, kept by the managers for the whole portal;
# campaign: a diagnostic campaign, the region's (every school's people reach it); campaigns:
# the token's region's campaigns, no target to name

REGION_WIDE = frozenset({Role.CENTRE_HEAD, Role.AUDITOR, Role.OPERATOR})
MANAGERS = frozenset({Role.OPERATOR, Role.CENTRE_HEAD})
EVERYONE = frozenset(PORTAL_ROLES)


@dataclass(frozen=True)
class Rule:
    """How an operation is classified: what it targets, the roles it refuses at role level
    (`before`: before any lookup, the same 403 whatever the target; else once the route is
    found), and whether it only reads."""

    kind: Kind
    refused: frozenset[Role] = frozenset()
    before: bool = True
    reads: bool = False


COMMAND = Rule("route", frozenset({Role.AUDITOR}), before=False)  # the auditor only reads
READ_ROUTE = Rule("route", reads=True)
PER_ROUTE_LIST = Rule("list", reads=True)
WEBHOOK_ROLES = EVERYONE - MANAGERS

TABLE: dict[str, Rule] = {
    "open_route": Rule("opening", frozenset({Role.AUDITOR})),
    "open_routes": Rule("opening", frozenset({Role.AUDITOR})),
    "record_diagnostics": Rule("diagnostics", frozenset({Role.AUDITOR})),
    **{
        name: COMMAND
        for name in (
            "assign_methodist",
            "record_diagnostic",
            "design_route",
            "submit_route",
            "agree_route",
            "return_route",
            "complete_activity",
            "mark_activity_not_done",
            "record_interim_result",
            "correct_route",
            "agree_correction",
            "acknowledge_correction",
            "record_self_reflection",
            "hold_final_public_event",
            "record_final_diagnostic",
            "record_conclusions",
            "sign_conclusions",
            "acknowledge_conclusions",
            "issue_certificate",
            "cancel_route",
        )
    },
    "get_route": READ_ROUTE,
    "get_route_history": READ_ROUTE,
    "get_route_document": READ_ROUTE,
    "list_routes": PER_ROUTE_LIST,
    "list_activities": PER_ROUTE_LIST,
    "list_agreement": PER_ROUTE_LIST,
    "list_corrections": PER_ROUTE_LIST,
    "list_dynamics": PER_ROUTE_LIST,
    "list_audit": PER_ROUTE_LIST,
    "list_methodists": Rule("list", EVERYONE - REGION_WIDE - {Role.METHODIST}, reads=True),
    "list_deficits": Rule("list", EVERYONE - REGION_WIDE, reads=True),
    "list_dynamics-by-school": Rule(
        "list", EVERYONE - REGION_WIDE - {Role.SCHOOL_HEAD}, reads=True
    ),
    "list_dynamics-by-municipality": Rule("list", EVERYONE - REGION_WIDE, reads=True),
    "get_teacher_sheet": Rule(
        "teacher",
        frozenset({Role.DEPUTY_HEAD, Role.MO_HEAD, Role.AUDITOR, Role.OPERATOR}),
        reads=True,
    ),
    "get_campaign_report": Rule("region", EVERYONE - REGION_WIDE, reads=True),
    "list_charts": Rule("region", EVERYONE - REGION_WIDE, reads=True),
    "plan_campaign": Rule("campaigns", EVERYONE - set(ORGANISERS)),
    "list_campaigns": Rule("campaigns", frozenset({Role.TEACHER}), reads=True),
    "get_campaign": Rule("campaign", frozenset({Role.TEACHER}), reads=True),
    "list_campaign_participants": Rule("campaign", frozenset({Role.TEACHER}), reads=True),
    "campaign_orders": Rule("campaign", frozenset({Role.TEACHER}), reads=True),
    **{
        name: Rule("campaign", EVERYONE - set(ORGANISERS))
        for name in (
            "announce_campaign",
            "mark_campaign_attendance",
            "hold_campaign",
            "close_campaign",
            "remove_campaign_participants",
            "cancel_campaign",
            "import_campaign_results",
        )
    },
    "list_diagnostics": PER_ROUTE_LIST,
    "get_chart": Rule("region", EVERYONE - REGION_WIDE, reads=True),
    "replace_methodist": Rule("region", EVERYONE - MANAGERS),
    "migrate_route": Rule("route", EVERYONE - {Role.OPERATOR}),
    "list_webhooks": Rule("webhooks", WEBHOOK_ROLES, reads=True),
    "register_webhook": Rule("webhooks", WEBHOOK_ROLES),
    "delete_webhook": Rule("webhook", WEBHOOK_ROLES),
    "list_webhook_deliveries": Rule("webhook", WEBHOOK_ROLES, reads=True),
    "redeliver_webhook": Rule("webhook", WEBHOOK_ROLES),
    "list_regulations": Rule("regulation", reads=True),
    "get_regulation": Rule("regulation", reads=True),
    "get_command_form": Rule("regulation", reads=True),
    "preview_operation": Rule("region", EVERYONE - {Role.OPERATOR}),
    "run_operation": Rule("region", EVERYONE - {Role.OPERATOR}),
    "list_operations": Rule("region", EVERYONE - {Role.OPERATOR}, reads=True),
    "operation_status": Rule("region", EVERYONE - {Role.OPERATOR}, reads=True),
    "list_workflow_incidents": Rule("region", EVERYONE - {Role.OPERATOR}, reads=True),
    "find_routes": Rule("list", reads=True),  # by key: out of reach, no rows, as a list
    "list_tasks": Rule("list", reads=True),  # the token's own tasks, by route: none beyond
    "task_summary": Rule("list", reads=True),
    "put_official": Rule("official", EVERYONE - MANAGERS),
    "get_official": Rule("official", EVERYONE - MANAGERS, reads=True),
    "delete_official": Rule("official", EVERYONE - MANAGERS),
    "get_document_check": Rule("route", EVERYONE - REGION_WIDE, reads=True),
    "list_programmes": Rule("regulation", reads=True),  # the region's catalogue: everyone's
    "get_programme": Rule("regulation", reads=True),
    "put_programme": Rule("region", EVERYONE - {Role.CENTRE_HEAD}),
    "withdraw_programme": Rule("region", EVERYONE - {Role.CENTRE_HEAD}),
    "import_programmes": Rule("region", EVERYONE - {Role.CENTRE_HEAD}),
    "propose_programmes": Rule("region", EVERYONE - REGION_WIDE, reads=True),
    "suggest_route": READ_ROUTE,  # nothing saved: a read of the route in reach
    # the token's own report (a methodist's own, the region's for the region-wide roles): no
    # target to name, in reach whatever the case
    "get_methodists_report": Rule(
        "regulation", EVERYONE - REGION_WIDE - {Role.METHODIST}, reads=True
    ),
    "get_methodists_document": Rule(
        "regulation", EVERYONE - REGION_WIDE - {Role.METHODIST}, reads=True
    ),
}
"""Every operation that takes a token, classified (see the module's docstring)."""

SETTINGS = Settings(portal_jwt_secret=SecretStr(SECRET), portal_jwt_audience=AUDIENCE)
APP = create_app(SETTINGS, api_services(SETTINGS))
"""The app under test (the portal's HS256 tokens): its lifespan never runs (ASGITransport), its
services are set by `Api.fresh`."""
DOCUMENT = APP.openapi()
OPERATIONS: dict[str, tuple[str, str, dict[str, Any]]] = {
    op["operationId"]: (method.upper(), path, op)
    for path, ops in DOCUMENT["paths"].items()
    for method, op in ops.items()
    if op.get("security")
}
"""The operations that take a token, from the app's own OpenAPI document."""

UUID_PATTERN = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
SHEET = TeacherSheet.model_validate(EXAMPLES["TeacherSheet"])
CARD = EXAMPLES["OfficialCard"]
MISSING = "00000000-0000-4000-8000-000000000000"
PROGRAMME = Programme.model_validate(EXAMPLES["Programme"])
"""The one programme of Sakha's catalogue in the store."""


def example(op: dict[str, Any]) -> Any:
    """The operation's body, from its schema's example in the document."""
    body = op.get("requestBody")
    schema = body["content"].get("application/json", {}).get("schema", {}) if body else {}
    if "$ref" not in schema:  # no body, or a file (sent empty)
        return None
    ref = schema["$ref"].rsplit("/", 1)[1]
    return DOCUMENT["components"]["schemas"][ref]["examples"][0]


# The store: built once per session (and xdist worker), copied for each operation.


@dataclass(frozen=True)
class Target:
    """One case's target: a route and its people, and a subscription with a delivery."""

    route_id: str
    teacher_id: str
    school_id: str
    methodist_id: str
    municipality_id: str
    route_key: str
    plan_hash: str
    webhook_id: str
    delivery_id: str
    webhook_url: str
    operation_id: str  # a bulk operation of the token's region (Sakha), the same for every case
    campaign_id: str  # a diagnostic campaign of the case's region (Sakha's, Balakhta's)

    def secrets(self) -> list[str]:
        """What a refusal must not carry (unless the request itself named it)."""
        return [
            self.route_id,
            self.teacher_id,
            self.school_id,
            self.methodist_id,
            self.route_key,
            self.plan_hash,
            self.webhook_id,
            self.delivery_id,
            self.webhook_url,
            SHEET.full_name,
        ]


@dataclass(frozen=True)
class Template:
    """The built store's file and each case's target."""

    path: Path
    targets: dict[Case, Target] = field(default_factory=dict)


def build(path: Path, catalogue: ProfileCatalogue) -> Template:
    routes = Routes(store_env(f"sqlite:///{path}"), profiles=catalogue)
    try:
        subscriptions = Subscriptions(routes)
        hooks = [
            subscriptions.register(
                "sakha", "https://own.example/iom", SECRET, [], "operator-sakha"
            ),
            subscriptions.register(
                "sakha", "https://second.example/iom", SECRET, [], "centre-head-sakha"
            ),
            subscriptions.register(
                "balakhta", "https://foreign.example/iom", SECRET, [], "operator-balakhta"
            ),
        ]
        centre = Actor(id="centre-head-sakha", role=Role.CENTRE_HEAD)
        routes.catalogues.put(routes.profiles.latest("sakha"), [PROGRAMME], centre, "matrix")
        sakha = write_demo(routes, "sakha", 2, until=Stage.IMPLEMENTATION)
        balakhta = write_demo(routes, "balakhta", 1, until=Stage.IMPLEMENTATION)
        for name in PROJECTIONS:
            catch_up(routes, name)
        personal = PersonalDataStore.from_recorder(routes.recorder)
        personal.create_tables()
        operation_id = started_operation(path, sakha[0])
        campaigns = {region: planned_campaign(routes, region) for region in ("sakha", "balakhta")}
        officials = OfficialsStore.from_recorder(routes.recorder)
        officials.create_tables()
        targets: dict[Case, Target] = {}
        for case, route_id, hook in zip(CASES, [*sakha, *balakhta], hooks, strict=True):
            route = routes.route(route_id)
            personal.put(route.teacher_id, SHEET)
            assert route.methodist_id is not None and route.plan_hash is not None
            officials.put(route.methodist_id, OfficialCard.model_validate(CARD))
            delivery = subscriptions.deliveries(hook["subscription_id"], None, 1)[0]
            targets[case] = Target(
                route_id=str(route_id),
                teacher_id=route.teacher_id,
                school_id=route.school_id,
                methodist_id=route.methodist_id,
                municipality_id=route.municipality_id,
                route_key=route.route_key,
                plan_hash=route.plan_hash,
                webhook_id=str(hook["subscription_id"]),
                delivery_id=str(delivery["delivery_id"]),
                webhook_url=str(hook["url"]),
                operation_id=str(operation_id),
                campaign_id=campaigns[route.profile.id],
            )
    finally:
        routes.close()
    own, other = targets["own"], targets["other_school"]
    assert own.school_id != other.school_id and own.methodist_id != other.methodist_id
    return Template(path, targets)


def planned_campaign(routes: Routes, region: str) -> str:
    """A diagnostic campaign of the region, planned by its centre head (an instrument of 16
    tasks, a quarter of them methodical: within every region's rules); its id."""
    tasks = [
        {"number": n, "competences": ["methodical"], "focus": "methodical" if n <= 4 else "both"}
        for n in range(1, 17)
    ]
    plan = PlanCampaign.model_validate(
        EXAMPLES["PlanCampaign"] | {"instrument": EXAMPLES["Instrument"] | {"tasks": tasks}}
    )
    actor = Actor(id=f"centre-head-{region}", role=Role.CENTRE_HEAD)
    return str(Campaigns(routes).plan(region, plan, actor, f"matrix-{region}").campaign_id)


def started_operation(path: Path, route_id: UUID) -> UUID:
    """A bulk operation of Sakha on one route, on record in the store at `path`."""
    operations = Operations(operation_env(store_env(f"sqlite:///{path}")))
    try:
        operation = Operation(
            operation_id=uuid.uuid4(),
            action="pause",
            params={},
            query={"region": "sakha", "route_ids": [str(route_id)]},
            route_ids=[str(route_id)],
            operator_id="operator-sakha",
            reason="Каникулы",
            ticket="OPS-1",
        )
        return operations.start(operation).id
    finally:
        operations.close()


@pytest.fixture(scope="session")
def template(tmp_path_factory: pytest.TempPathFactory, catalogue: ProfileCatalogue) -> Template:
    return build(tmp_path_factory.mktemp("matrix") / "iom.sqlite3", catalogue)


class Api:
    """The app on a fresh copy of the template's store; `fresh()` moves it to a new copy (a
    command or a deletion within reach changes the store for the next role). One app serves
    every test: building one takes a quarter of a second, its services are swapped instead."""

    def __init__(self, template: Template, folder: Path, catalogue: ProfileCatalogue) -> None:
        self.template, self.folder, self.catalogue = template, folder, catalogue
        self.copies = 0
        self.routes: Routes | None = None
        self.operations: Operations | None = None
        self.client = httpx.AsyncClient(
            transport=httpx.ASGITransport(app=APP), base_url="http://api"
        )

    def fresh(self) -> httpx.AsyncClient:
        self.close_store()
        self.copies += 1
        copy = self.folder / f"iom-{self.copies}.sqlite3"
        shutil.copyfile(self.template.path, copy)
        self.routes = routes = Routes(store_env(f"sqlite:///{copy}"), profiles=self.catalogue)
        personal = PersonalDataStore.from_recorder(routes.recorder)
        officials = OfficialsStore.from_recorder(routes.recorder)
        answers = IdempotencyStore(routes)
        answers.create_table()
        verifier = TokenVerifier.from_settings(SETTINGS)
        self.operations = operations = Operations(operation_env(store_env(f"sqlite:///{copy}")))
        gateway = DirectGateway(routes)
        APP.state.services = Services(
            routes,
            gateway,
            verifier,
            answers,
            personal,
            operations=operations,
            officials=officials,
        )
        APP.state.limiter = RateLimiter(SETTINGS.api_rate_per_minute)
        return self.client

    def close_store(self) -> None:
        if self.operations is not None:
            self.operations.close()
            self.operations = None
        if self.routes is not None:
            self.routes.close()
            self.routes = None


@pytest_asyncio.fixture
async def api(
    template: Template, tmp_path: Path, catalogue: ProfileCatalogue
) -> AsyncIterator[Api]:
    found = Api(template, tmp_path, catalogue)
    found.fresh()
    yield found
    await found.client.aclose()
    found.close_store()


# The caller and the request.


def token(portal: Portal, role: Role, own: Target) -> str:
    """A Sakha token of `role` whose reach holds the `own` target: its teacher, its methodist,
    its school (the region-wide roles reach the whole region)."""
    claims: dict[str, Any] = {}
    subject = f"{role.value}-matrix-user"
    if role is Role.TEACHER:
        claims["teacher_id"] = own.teacher_id
    if role is Role.METHODIST:
        subject = own.methodist_id
    if role in SCHOOL_ROLES:
        claims["school"] = own.school_id
    return portal.token(role, subject, "sakha", **claims)


LIST_FILTERS = {
    "route_id": ("route", "route_id"),
    "school_id": ("school", "school_id"),
    "methodist_id": ("methodist", "methodist_id"),
    "municipality_id": ("municipality", "municipality_id"),
}


def list_filter(path: str, target: Target) -> dict[str, str]:
    """The narrowest filter the list takes, naming the target."""
    chosen = next(each for each in LISTS if each.path == path)
    for column, (parameter, attribute) in LIST_FILTERS.items():
        if column in chosen.listing.filters:
            return {parameter: getattr(target, attribute)}
    raise AssertionError(f"{path}: no filter names a target")


@dataclass
class Request:
    method: str
    path: str
    params: dict[str, str] = field(default_factory=dict)
    body: Any = None

    def text(self) -> str:
        return f"{self.path} {self.params} {self.body}"


def request_for(name: str, target: Target) -> Request:
    """The operation's request on the target: its path ids, its body (the document's example,
    the target's ids put in), its filter."""
    method, path, op = OPERATIONS[name]
    kind = TABLE[name].kind
    filled = (
        path.replace("{route_id}", target.route_id)
        .replace("{teacher_id}", target.teacher_id)
        .replace("{webhook_id}", target.webhook_id)
        .replace("{delivery_id}", target.delivery_id)
        .replace("{doc}", "karta")
        .replace("{profile_id}", "sakha")
        .replace("{version}", "1")
        .replace("{name}", "load" if path.startswith("/monitoring/charts") else "design_route")
        .replace("{methodist_id}", target.methodist_id)
        .replace("{operation_id}", target.operation_id)
        .replace("{official_id}", target.methodist_id)
        .replace("{code}", DocumentCode(uuid.UUID(target.route_id), 1, "0" * 10).text)
        .replace("{registry_number}", PROGRAMME.registry_number)
        .replace("{campaign_id}", target.campaign_id)
    )
    assert "{" not in filled, f"{name}: a path parameter the matrix does not fill: {filled}"
    asked = Request(method, filled, body=example(op))
    if kind == "list" and name in {"list_tasks", "task_summary"}:
        asked.params = {"route": target.route_id}
    elif kind == "list":
        by_key = name == "find_routes"
        asked.params = {"route_key": target.route_key} if by_key else list_filter(path, target)
    if kind == "opening":
        opening = {
            **example(OPERATIONS["open_route"][2]),
            "route_key": f"matrix-{uuid.uuid4().hex[:12]}",
            "teacher_id": target.teacher_id,
            "school_id": target.school_id,
            "municipality_id": target.municipality_id,
        }
        asked.body = {"items": [opening]} if name == "open_routes" else opening
    if name == "delete_official":
        asked.params = {"reason": "заявление № 1"}
    if kind == "diagnostics":
        item = asked.body["items"][0] | {"route_id": target.route_id}
        asked.body = {"items": [item]}
    return asked


async def send(
    client: httpx.AsyncClient, asked: Request, headers: dict[str, str]
) -> httpx.Response:
    return await client.request(
        asked.method,
        asked.path,
        params=asked.params,
        json=asked.body,
        headers=headers | {"Idempotency-Key": str(uuid.uuid4())},
    )


# What is expected.


def in_reach(name: str, role: Role, case: Case) -> bool:
    """Whether the case's target is within the role's reach, by the README's rules."""
    kind = TABLE[name].kind
    if kind == "opening":  # opened in the token's region: a teacher for themself, a school's
        if role is Role.TEACHER or role in SCHOOL_ROLES:  # people for their school
            return case == "own"
        return True
    # The registry of officials is the portal's, not a region's: no reach to hold.
    # No target: the region's own subscriptions, report or campaigns, always; regulations: public.
    if case == "other_region":
        return kind in {"webhooks", "region", "regulation", "official", "campaigns"}
    # A campaign is the region's: every school's people reach it.
    everyone = {"webhook", "webhooks", "regulation", "official", "campaign", "campaigns"}
    if case == "own" or kind in everyone:
        return True
    if kind == "teacher":
        return role is Role.CENTRE_HEAD
    return role in REGION_WIDE


@dataclass
class Answer:
    """What came back: a batch's first item stands for the batch."""

    status: int
    problem: dict[str, Any] | None
    text: str


def answer_of(name: str, got: httpx.Response) -> Answer:
    if name in {"open_routes", "record_diagnostics"} and got.status_code == 200:
        item = got.json()["items"][0]
        return Answer(item["status"], item["problem"], got.text)
    problem = None
    if got.headers.get("content-type") == "application/problem+json":
        problem = got.json()
    return Answer(got.status_code, problem, got.text)


def assert_discreet(answer: Answer, asked: Request, target: Target, where: str) -> None:
    """A refusal: problem details, nothing of the target the request did not name."""
    assert answer.problem is not None, f"{where}: not problem details: {answer.text}"
    sent = asked.text()
    for secret in target.secrets():
        if secret not in sent:
            assert secret not in answer.text, f"{where}: leaks {secret}: {answer.text}"
    foreign = set(UUID_PATTERN.findall(answer.text)) - set(UUID_PATTERN.findall(sent))
    assert not foreign, f"{where}: ids the request did not name: {foreign}: {answer.text}"


def same_refusal(answers: list[Answer]) -> set[tuple[Any, ...]]:
    return {
        (a.status, a.problem and a.problem["rule"], a.problem and a.problem["detail"])
        for a in answers
    }


def test_every_operation_with_a_token_is_classified() -> None:
    assert set(OPERATIONS) == set(TABLE), (
        f"unclassified: {sorted(set(OPERATIONS) - set(TABLE))};"
        f" gone: {sorted(set(TABLE) - set(OPERATIONS))}"
    )
    public = {
        op["operationId"]
        for ops in DOCUMENT["paths"].values()
        for op in ops.values()
        if not op.get("security")
    }
    assert all("health" in name for name in public), public


async def test_no_token_is_401_everywhere(api: Api, template: Template) -> None:
    client = api.client
    own = template.targets["own"]
    for name in OPERATIONS:
        asked = request_for(name, own)
        got = await send(client, asked, {})
        assert got.status_code == 401, f"{name}: {got.status_code} {got.text}"
        assert got.headers["content-type"] == "application/problem+json", name
        assert got.headers["www-authenticate"].lower().startswith("bearer"), name
        assert_discreet(answer_of(name, got), asked, own, name)


@pytest.mark.parametrize("name", sorted(TABLE))
async def test_the_matrix(name: str, api: Api, template: Template, portal: Portal) -> None:
    rule = TABLE[name]
    own = template.targets["own"]
    failures: list[str] = []
    client = api.client
    for index, role in enumerate(PORTAL_ROLES):
        if index and not rule.reads:  # what the role before changed is gone
            client = api.fresh()
        headers = portal.headers(token(portal, role, own))
        answers: dict[Case, Answer] = {}
        for case in CASES:
            target = template.targets[case]
            asked = request_for(name, target)
            answers[case] = answer = answer_of(name, await send(client, asked, headers))
            where = f"{name} {role.value} {case}: {answer.status}"
            try:
                check(
                    name,
                    rule=rule,
                    role=role,
                    case=case,
                    asked=asked,
                    answer=answer,
                    target=target,
                    where=where,
                )
            except AssertionError as error:
                failures.append(str(error))
        if role in rule.refused and rule.before and len(same_refusal([*answers.values()])) != 1:
            failures.append(f"{name} {role.value}: role-level refusal differs by target")
        if rule.kind in {"route", "teacher", "webhook"} and not (
            role in rule.refused and rule.before
        ):
            missing = await send(client, request_for(name, absent(own, rule.kind)), headers)
            beyond = answers["other_region"]
            got = answer_of(name, missing)
            if (got.status, got.problem and got.problem["type"]) != (
                beyond.status,
                beyond.problem and beyond.problem["type"],
            ):
                failures.append(
                    f"{name} {role.value}: another region's {beyond.status} differs from a"
                    f" missing target's {got.status}"
                )
    assert not failures, "\n".join(failures)


def absent(own: Target, kind: Kind) -> Target:
    """A target that does not exist."""
    if kind == "teacher":
        return Target(**(vars(own) | {"teacher_id": "teacher-nobody-00000"}))
    return Target(**(vars(own) | {"route_id": MISSING, "webhook_id": MISSING}))


def check(
    name: str,
    *,
    rule: Rule,
    role: Role,
    case: Case,
    asked: Request,
    answer: Answer,
    target: Target,
    where: str,
) -> None:
    """One cell of the matrix."""
    if role in rule.refused and (rule.before or in_reach(name, role, case)):
        assert answer.status == 403, f"{where}: a role-level refusal expected: {answer.text}"
        assert answer.problem is not None and answer.problem["type"] == "urn:iom:problem:role"
        assert_discreet(answer, asked, target, where)
        return
    if in_reach(name, role, case):
        assert answer.status != 401, f"{where}: {answer.text}"
        if rule.kind in {"webhooks", "region", "campaigns"} and case == "other_region":
            for secret in target.secrets():
                assert secret not in answer.text, f"{where}: leaks {secret}"
        if rule.reads:
            assert answer.status < 400, f"{where}: refused within reach: {answer.text}"
        elif answer.status in {403, 404}:  # the route's own refusal, never one of reach
            assert answer.problem is not None
            refusal = answer.problem["rule"]
            assert refusal not in {"not_found", "read_only", "own_route", "own_school"}, where
            assert answer.status == 403, f"{where}: {answer.text}"
        return
    if rule.kind == "list":
        assert answer.status in {200, 403}, f"{where}: {answer.text}"
        if answer.status == 403:
            assert answer.problem is not None and answer.problem["rule"] == "out_of_reach"
            assert_discreet(answer, asked, target, where)
        else:
            sent = asked.text()
            for secret in target.secrets():
                if secret not in sent:
                    assert secret not in answer.text, f"{where}: leaks {secret}"
            assert json.loads(answer.text)["items"] == [], (
                f"{where}: rows out of reach: {answer.text}"
            )
        return
    if rule.kind == "opening":
        assert answer.status == 403, f"{where}: {answer.text}"
        assert answer.problem is not None
        assert answer.problem["rule"] in {"own_route", "own_school"}, where
        assert_discreet(answer, asked, target, where)
        return
    assert answer.status == 404, f"{where}: out of reach must be 404: {answer.text}"
    assert_discreet(answer, asked, target, where)


async def test_a_bad_body_is_refused_alike_whatever_the_route(
    api: Api, template: Template, portal: Portal
) -> None:
    """A command's body is checked (422) before the route is looked up: the same answer for
    the caller's route, another region's and none, so it says nothing of the route either."""
    headers = portal.headers(token(portal, Role.CENTRE_HEAD, template.targets["own"]))
    headers["Idempotency-Key"] = "bad-body"
    checked = 0
    for name, rule in TABLE.items():
        if rule is not COMMAND:
            continue
        answers = set()
        for route_id in (
            template.targets["own"].route_id,
            template.targets["other_region"].route_id,
            MISSING,
        ):
            got = await api.client.post(
                f"/routes/{route_id}/commands/{name}", json={"unknown": 1}, headers=headers
            )
            answers.add((got.status_code, got.text.replace(route_id, "{route_id}")))
        assert len(answers) == 1, f"{name}: {answers}"
        checked += answers.pop()[0] == 422
    assert checked == len([r for r in TABLE.values() if r is COMMAND])
