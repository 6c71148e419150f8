"""Batches on the in-process API: a diagnostic campaign of fifty teachers opened and diagnosed in
two requests, each item answered on its own (its refusal naming `items[i]…`, nothing written
for it), the whole batch once under its `Idempotency-Key`, each item held to the sender's
reach, the accepted items saved many routes per transaction."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any
from uuid import UUID

import httpx
import pytest
import pytest_asyncio

from adapters.personal import OfficialsStore, PersonalDataStore
from aggregates.application import Decision, Routes
from aggregates.commands import AssignMethodist, OpenRoute
from aggregates.errors import ConflictError
from aggregates.profiles import ProfileCatalogue, Stage
from aggregates.values import Actor, Role
from api.app import create_app
from api.auth import TokenVerifier
from api.idempotency import IdempotencyStore
from api.services import Services
from projections.refusals import query_refusals
from projections.tables import Filters
from projections.view import transaction_on
from runtime.settings import store_env
from tests.api.conftest import serving
from tests.api.support import DirectGateway, Portal

SCHOOL = "school-sakha-01"
METHODIST = "methodist-sakha-01"
OPERATOR = Actor(id="operator-1", role=Role.OPERATOR)


@dataclass
class Batches:
    """The API on a fresh SQLite store, with the gateway and the portal's tokens."""

    client: httpx.AsyncClient
    routes: Routes
    gateway: DirectGateway
    portal: Portal

    def headers(self, role: Role, subject: str, key: str, **claims: Any) -> dict[str, str]:
        return self.portal.headers(self.portal.token(role, subject, **claims), key)

    def centre(self, key: str) -> dict[str, str]:
        return self.headers(Role.CENTRE_HEAD, "centre-head-1", key)

    def methodist(self, key: str, subject: str = METHODIST) -> dict[str, str]:
        return self.headers(Role.METHODIST, subject, key)


def batch_services(routes: Routes, portal: Portal) -> tuple[Services, DirectGateway]:
    gateway = DirectGateway(routes)
    verifier = TokenVerifier.from_settings(portal.settings())
    personal = PersonalDataStore.from_recorder(routes.recorder)
    personal.create_tables()
    officials = OfficialsStore.from_recorder(routes.recorder)
    officials.create_tables()
    answers = IdempotencyStore(routes)
    return Services(routes, gateway, verifier, answers, personal, officials=officials), gateway


@pytest_asyncio.fixture
async def batches(
    database_url: str, portal: Portal, catalogue: ProfileCatalogue
) -> AsyncIterator[Batches]:
    """The API on each backend: the batch's transactions are the store's own."""
    routes = Routes(store_env(database_url), profiles=catalogue)
    services, gateway = batch_services(routes, portal)
    settings = portal.settings(api_max_batch=60, api_batch_transaction=20)
    async with serving(create_app(settings, services)) as client:
        yield Batches(client, routes, gateway, portal)
    routes.close()


def refusals(metrics: httpx.Response) -> dict[str, float]:
    """The samples of `iom_api_refusals_total`, by their labels."""
    name = "iom_api_refusals_total{"
    lines = [line for line in metrics.text.splitlines() if line.startswith(name)]
    return dict(
        (labels, float(count))
        for labels, count in (line.removeprefix(name).rsplit("} ", 1) for line in lines)
    )


def opening(number: int, school: str = SCHOOL) -> dict[str, str]:
    return {
        "route_key": f"campaign-2026-{number:04d}",
        "teacher_id": f"teacher-sakha-{number:05d}",
        "school_id": school,
        "municipality_id": "mun-sakha-yakutsk",
        "subject": "математика",
    }


def diagnostic(routes: Routes, **changes: Any) -> dict[str, Any]:
    yesterday = routes.clock().date() - timedelta(days=1)
    return {
        "taken_on": yesterday.isoformat(),
        "platform": "ЦНППМ РС(Я)",
        "tasks": [
            {"number": 1, "competences": ["subject"], "level": 2},
            {"number": 2, "competences": ["methodical", "ict"], "level": 3},
        ],
    } | changes


async def open_and_assign(batches: Batches, count: int, start: int = 1) -> list[UUID]:
    """Routes opened by one batch, a methodist assigned to each (the next person's step)."""
    body = {"items": [opening(n) for n in range(start, start + count)]}
    answer = await batches.client.post(
        "/routes/batch", headers=batches.centre(f"open-{start}"), json=body
    )
    assert answer.status_code == 200, answer.text
    ids = [UUID(item["route_id"]) for item in answer.json()["items"]]
    assign = AssignMethodist(methodist_id=METHODIST, order="Приказ № 12 от 01.09.2026")
    for number, route_id in enumerate(ids):
        batches.routes.execute(route_id, assign, OPERATOR, f"assign-{start}-{number}")
    return ids


def count_transactions(monkeypatch: pytest.MonkeyPatch, routes: Routes) -> list[int]:
    """The routes saved by each of the batch's transactions."""
    sizes: list[int] = []
    save = routes.save_decisions

    def counted(decisions: Sequence[Decision]) -> None:
        sizes.append(len(decisions))
        save(decisions)

    monkeypatch.setattr(routes, "save_decisions", counted)
    return sizes


async def test_a_campaign_of_fifty_teachers_in_two_requests(
    batches: Batches, monkeypatch: pytest.MonkeyPatch
) -> None:
    sizes = count_transactions(monkeypatch, batches.routes)
    body: dict[str, Any] = {"items": [opening(n) for n in range(1, 51)]}
    opened = await batches.client.post("/routes/batch", headers=batches.centre("open"), json=body)
    assert opened.status_code == 200, opened.text
    answer = opened.json()
    assert (answer["command"], answer["accepted"], answer["refused"]) == ("open_route", 50, 0)
    assert [i["index"] for i in answer["items"]] == list(range(50))
    assert {(i["status"], i["version"], i["problem"]) for i in answer["items"]} == {(201, 1, None)}
    ids = [UUID(item["route_id"]) for item in answer["items"]]
    assert sorted(batches.gateway.started) == sorted(ids)  # each route's workflow started
    assert sizes == [20, 20, 10]  # IOM_API_BATCH_TRANSACTION routes per transaction

    assign = AssignMethodist(methodist_id=METHODIST, order="Приказ № 12 от 01.09.2026")
    for number, route_id in enumerate(ids):
        batches.routes.execute(route_id, assign, OPERATOR, f"assign-{number}")
    sizes.clear()
    body = {
        "items": [
            {"route_id": str(route_id), "diagnostic": diagnostic(batches.routes)}
            for route_id in ids
        ]
    }
    diagnosed = await batches.client.post(
        "/diagnostics/batch", headers=batches.methodist("campaign"), json=body
    )
    assert diagnosed.status_code == 200, diagnosed.text
    answer = diagnosed.json()
    assert (answer["accepted"], answer["refused"]) == (50, 0)
    assert {(i["status"], i["version"]) for i in answer["items"]} == {(200, 3)}
    assert sizes == [20, 20, 10]
    for route_id in ids:
        route = batches.routes.route(route_id)
        assert route.stage is Stage.DESIGN
        assert route.input_levels == {"ict": 3, "methodical": 3, "subject": 2}


async def test_each_item_is_refused_on_its_own_naming_its_index(batches: Batches) -> None:
    ids = await open_and_assign(batches, 5)
    foreign = await open_and_assign(batches, 1, start=100)  # then given to another methodist
    other = AssignMethodist(methodist_id="methodist-sakha-09", order="Приказ № 13", reason="отпуск")
    batches.routes.execute(foreign[0], other, OPERATOR, "reassign")
    batches.routes.execute(ids[4], other, OPERATOR, "reassign-4")
    future = (batches.routes.clock().date() + timedelta(days=30)).isoformat()
    unknown = [{"number": 1, "competences": ["astrology"], "level": 2}]
    items = [
        {"route_id": str(ids[0]), "diagnostic": diagnostic(batches.routes)},
        {"route_id": str(ids[1]), "diagnostic": diagnostic(batches.routes, tasks=unknown)},
        {"route_id": str(foreign[0]), "diagnostic": diagnostic(batches.routes)},
        {"route_id": str(ids[2]), "diagnostic": diagnostic(batches.routes, taken_on=future)},
        {"route_id": str(ids[0]), "diagnostic": diagnostic(batches.routes)},
        {
            "route_id": "00000000-0000-4000-8000-000000000000",
            "diagnostic": diagnostic(batches.routes),
        },
        {"route_id": str(ids[3]), "diagnostic": diagnostic(batches.routes)},
    ]
    versions = {route_id: batches.routes.route(route_id).version for route_id in [*ids, *foreign]}
    sent = await batches.client.post(
        "/diagnostics/batch", headers=batches.methodist("mixed"), json={"items": items}
    )
    assert sent.status_code == 200, sent.text
    answer = sent.json()
    assert (answer["accepted"], answer["refused"]) == (2, 5)
    found = {
        i["index"]: (i["status"], i["problem"] and (i["problem"]["rule"], i["problem"]["field"]))
        for i in answer["items"]
    }
    assert found == {
        0: (200, None),
        1: (422, ("content", "items[1].diagnostic.tasks[0].competences")),
        2: (404, ("not_found", "items[2].route_id")),  # out of the methodist's reach
        3: (422, ("content", "items[3].diagnostic.taken_on")),
        4: (422, ("duplicate", "items[4].route_id")),
        5: (404, ("not_found", "items[5].route_id")),
        6: (200, None),
    }
    assert answer["items"][1]["problem"]["type"] == "urn:iom:problem:invalid-command"
    # Nothing written for the refused items; one event for each accepted one.
    for route_id in (ids[1], ids[2], foreign[0]):
        assert batches.routes.route(route_id).version == versions[route_id]
    for route_id in (ids[0], ids[3]):
        assert batches.routes.route(route_id).version == versions[route_id] + 1
    # Each item a route refused is recorded once, as its single command's refusal would be,
    # naming the command's own field (the routes out of reach are not the sender's to record).
    datastore = getattr(batches.routes.recorder, "datastore")  # noqa: B009
    with transaction_on(datastore, commit=False) as db:
        rows = query_refusals(db, Filters(), None)
    recorded = [
        (r["route_id"], r["command"], r["field"], r["command_id"].rsplit(".", 1)[1]) for r in rows
    ]
    assert sorted(recorded) == sorted(
        [
            (str(ids[1]), "record_diagnostic", "diagnostic.tasks[0].competences", "1"),
            (str(ids[2]), "record_diagnostic", "diagnostic.taken_on", "3"),
        ]
    )
    # Each item refused by a rule is a refusal of the batch's command (the duplicate is not).
    assert refusals(await batches.client.get("/metrics")) == {
        'command="record_diagnostics",kind="invalid-command",rule="content"': 2.0,
        'command="record_diagnostics",kind="not-found",rule="not_found"': 2.0,
    }

    # A body not of the batch's shape is refused whole, naming the item's field.
    nine = [{"number": 1, "competences": ["subject"], "level": 9}]
    bad = {
        "items": [
            {"route_id": str(ids[4]), "diagnostic": diagnostic(batches.routes)},
            {"route_id": str(ids[3]), "diagnostic": diagnostic(batches.routes, tasks=nine)},
        ]
    }
    whole = await batches.client.post(
        "/diagnostics/batch", headers=batches.methodist("shape"), json=bad
    )
    assert whole.status_code == 422
    assert whole.json()["field"] == "items[1].diagnostic.tasks[0].level"
    assert whole.headers["content-type"] == "application/problem+json"


async def test_a_batch_retried_answers_once(batches: Batches) -> None:
    body = {"items": [opening(n) for n in range(1, 4)] + [opening(1) | {"subject": "физика"}]}
    first = await batches.client.post("/routes/batch", headers=batches.centre("k-1"), json=body)
    assert first.status_code == 200, first.text
    assert [i["status"] for i in first.json()["items"]] == [201, 201, 201, 422]
    again = await batches.client.post("/routes/batch", headers=batches.centre("k-1"), json=body)
    assert (again.status_code, again.json()) == (200, first.json())
    assert again.headers["Idempotent-Replayed"] == "true"
    assert len(list(batches.routes.route_ids())) == 3
    other = await batches.client.post(
        "/routes/batch", headers=batches.centre("k-1"), json={"items": body["items"][:2]}
    )
    assert other.status_code == 422
    assert other.json()["type"] == "urn:iom:problem:idempotency-key-reuse"
    # A new key for routes opened already by another command: each item refused, nothing new.
    fresh = await batches.client.post("/routes/batch", headers=batches.centre("k-2"), json=body)
    assert {(i["status"], i["problem"]["rule"]) for i in fresh.json()["items"]} == {
        (409, "route_key"),
        (422, "duplicate"),
    }
    assert len(list(batches.routes.route_ids())) == 3
    # Each key taken names the route under it, as `POST /routes` does, to whom may see it.
    opened = {i["index"]: i["route_id"] for i in first.json()["items"] if i["status"] == 201}
    taken = [i for i in fresh.json()["items"] if i["status"] == 409]
    assert [i["problem"]["existing_route"] for i in taken] == [opened[i["index"]] for i in taken]
    assert all(opened[i["index"]] in i["problem"]["detail"] for i in taken)


async def test_each_opening_is_held_to_the_senders_school(batches: Batches) -> None:
    head = batches.headers(Role.SCHOOL_HEAD, "head-1", "heads", school=SCHOOL)
    body = {"items": [opening(1), opening(2, "school-sakha-02"), opening(3)]}
    sent = await batches.client.post("/routes/batch", headers=head, json=body)
    assert sent.status_code == 200, sent.text
    items = sent.json()["items"]
    assert [i["status"] for i in items] == [201, 403, 201]
    assert (items[1]["problem"]["rule"], items[1]["problem"]["field"]) == (
        "own_school",
        "items[1].school_id",
    )
    opened = {batches.routes.route(r).school_id for r in batches.routes.route_ids()}
    assert opened == {SCHOOL}
    assert len(batches.gateway.started) == 2
    # A teacher opens only their own route; an auditor sends no batch at all.
    teacher = batches.headers(
        Role.TEACHER, "user-7", "mine", school=SCHOOL, teacher_id="teacher-sakha-00007"
    )
    mine = await batches.client.post(
        "/routes/batch", headers=teacher, json={"items": [opening(7), opening(8)]}
    )
    assert [i["status"] for i in mine.json()["items"]] == [201, 403]
    auditor = batches.headers(Role.AUDITOR, "auditor-1", "look")
    refused = await batches.client.post("/routes/batch", headers=auditor, json=body)
    assert (refused.status_code, refused.json()["rule"]) == (403, "read_only")


async def test_batch_size_is_bounded(batches: Batches) -> None:
    body = {"items": [opening(n) for n in range(1, 62)]}
    sent = await batches.client.post("/routes/batch", headers=batches.centre("big"), json=body)
    assert sent.status_code == 422
    assert (sent.json()["rule"], sent.json()["field"]) == ("max_batch", "items")
    empty = await batches.client.post(
        "/routes/batch", headers=batches.centre("empty"), json={"items": []}
    )
    assert (empty.status_code, empty.json()["field"]) == (422, "items")
    assert list(batches.routes.route_ids()) == []


async def test_a_transaction_that_loses_a_race_is_saved_item_by_item(
    batches: Batches, monkeypatch: pytest.MonkeyPatch
) -> None:
    ids = await open_and_assign(batches, 3)
    save = batches.routes.save_decisions

    def racing(decisions: Sequence[Decision]) -> None:
        if len(decisions) > 1:  # another writer got to one of the routes first
            raise ConflictError("conflict", "ИОМ изменён параллельно")
        save(decisions)

    monkeypatch.setattr(batches.routes, "save_decisions", racing)
    body = {"items": [{"route_id": str(r), "diagnostic": diagnostic(batches.routes)} for r in ids]}
    sent = await batches.client.post(
        "/diagnostics/batch", headers=batches.methodist("race"), json=body
    )
    assert sent.status_code == 200, sent.text
    assert [(i["status"], i["version"]) for i in sent.json()["items"]] == [(200, 3)] * 3


def test_a_transaction_saves_every_route_or_none(
    store: dict[str, str], catalogue: ProfileCatalogue
) -> None:
    routes = Routes(store, profiles=catalogue)
    head = Actor(id="centre-head-1", role=Role.CENTRE_HEAD)
    first, second = (OpenRoute(region="sakha", **opening(n)) for n in (1, 2))
    decided = [routes.decide_open(first, head, "c-1"), routes.decide_open(second, head, "c-2")]
    routes.open(second, head, "c-other")  # another writer opens the second route first
    with pytest.raises(ConflictError):
        routes.save_decisions(decided)
    assert list(routes.route_ids()) == [decided[1].receipt.route_id]  # the first not saved
    routes.save_decisions(decided[:1])
    assert routes.route(decided[0].receipt.route_id).version == 1
    routes.close()
