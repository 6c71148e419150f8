"""A diagnostic campaign over the API for 500 teachers of two schools: planned, announced (a
group announced too late refused naming the rule), results imported from CSV and from XLSX, a
file with bad rows refused whole with each row named, the same file sent again recording
nothing new; another region's campaign is not found. The ДПП to order for the mass deficits the
campaign found among its participants (Sakha диагностика 7.2)."""

from __future__ import annotations

import io
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

import httpx
import pytest_asyncio
from openpyxl import Workbook

from aggregates.application import Routes
from aggregates.profiles import ProfileCatalogue
from aggregates.values import Actor, Role
from bench.campaign_import import SCHOOLS, TASKS, Clock, levels, open_cohort, teacher
from projections.catalog import catch_up
from runtime.settings import store_env
from tests.api.conftest import direct_app, serving
from tests.api.support import DirectGateway, Portal
from tests.support.programmes import programme

TEACHERS = 500
CENTRE = Actor(id="centre-head-sakha", role=Role.CENTRE_HEAD)


@dataclass
class Stand:
    client: httpx.AsyncClient
    routes: Routes
    clock: Clock
    headers: dict[str, str]
    gateway: DirectGateway

    def keyed(self, key: str) -> dict[str, str]:
        return self.headers | {"Idempotency-Key": key}


@pytest_asyncio.fixture
async def stand(
    sqlite_url: str, portal: Portal, catalogue: ProfileCatalogue
) -> AsyncIterator[Stand]:
    clock = Clock()
    routes = Routes(store_env(sqlite_url), profiles=catalogue, clock=clock)
    open_cohort(routes, 0, TEACHERS)
    catch_up(routes, "monitoring")
    app, gateway = direct_app(routes, portal)
    token = portal.token(Role.CENTRE_HEAD, "centre-head-sakha", "sakha")
    try:
        async with serving(app) as client:
            yield Stand(client, routes, clock, {"Authorization": f"Bearer {token}"}, gateway)
    finally:
        routes.close()


def campaign_body() -> dict[str, Any]:
    tasks = [
        {
            "number": n,
            "competences": ["methodical" if n <= 4 else "subject"],
            "focus": "methodical" if n <= 4 else "subject",
        }
        for n in range(1, TASKS + 1)
    ]
    return {
        "campaign_key": "math-2026-input",
        "kind": "input",
        "name": "Входная диагностика учителей математики",
        "platform": "РАС «Ситуационный центр»",
        "instrument": {"title": "Комплексная работа", "minutes": 120, "tasks": tasks},
        "starts_on": "2026-06-16",
        "ends_on": "2026-06-30",
        "groups": [
            {"id": "g1", "place": "ИРО и ПК, ауд. 204", "starts_at": "2026-06-25T10:00:00+09:00"},
            {"id": "soon", "place": "ИРО и ПК, ауд. 101", "starts_at": "2026-06-16T10:00:00+09:00"},
        ],
    }


def csv_of(rows: list[list[Any]]) -> bytes:
    header = ["teacher_id", *(f"задание {t}" for t in range(1, TASKS + 1))]
    lines = [";".join(header), *(";".join(str(c) for c in row) for row in rows)]
    return ("\n".join(lines) + "\n").encode()


def xlsx_of(rows: list[list[Any]]) -> bytes:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["педагог", *range(1, TASKS + 1)])
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def school_rows(school: int) -> list[list[Any]]:
    return [[teacher(n), *levels(n)] for n in range(school, TEACHERS, 2)]


async def upload(stand: Stand, campaign_id: str, data: bytes, name: str) -> httpx.Response:
    return await stand.client.post(
        f"/campaigns/{campaign_id}/results",
        params={"filename": name},
        content=data,
        headers=stand.headers,
    )


def versions(routes: Routes) -> list[int]:
    return [routes.route(i).version for i in routes.route_ids()]


async def test_a_campaign_of_500_teachers_from_announcement_to_results(stand: Stand) -> None:
    planned = await stand.client.post("/campaigns", json=campaign_body(), headers=stand.keyed("p1"))
    assert planned.status_code == 201, planned.text
    campaign_id = planned.json()["campaign_id"]
    again = await stand.client.post("/campaigns", json=campaign_body(), headers=stand.keyed("p1"))
    assert again.json()["version"] == 1

    late = await stand.client.post(
        f"/campaigns/{campaign_id}/announce",
        json={"group_id": "soon", "school_ids": [SCHOOLS[1]]},
        headers=stand.keyed("a0"),
    )
    assert late.status_code == 422
    problem = late.json()
    assert problem["rule"] == "diagnostic_notice_days"
    assert "п. 5.3" in problem["detail"] and "за 3 дн." in problem["detail"]
    for n, school in enumerate(SCHOOLS):
        answer = await stand.client.post(
            f"/campaigns/{campaign_id}/announce",
            json={"group_id": "g1", "school_ids": [school]},
            headers=stand.keyed(f"a{n + 1}"),
        )
        assert answer.status_code == 200, answer.text
    participants = (
        await stand.client.get(f"/campaigns/{campaign_id}/participants", headers=stand.headers)
    ).json()
    assert len(participants) == TEACHERS
    assert {p["school_id"] for p in participants} == set(SCHOOLS)

    stand.clock.now = datetime(2026, 6, 26, 3, 0, tzinfo=UTC)
    before = versions(stand.routes)
    bad = school_rows(0)[:5]
    bad[1][3] = 5  # line 3: a level off the scale
    bad[2][0] = "teacher-99999"  # line 4: not a participant
    bad[3][5] = ""  # line 5: a level missing
    bad.append(list(bad[0]))  # line 7: the teacher of line 2 again
    refused = await upload(stand, campaign_id, csv_of(bad), "bad.csv")
    assert refused.status_code == 422
    named = [(e["field"], e["detail"]) for e in refused.json()["errors"]]
    assert [field for field, _ in named] == [
        "строка 3, столбец «задание 3»",
        "строка 4, столбец «teacher_id»",
        "строка 5, столбец «задание 5»",
        "строка 7, столбец «teacher_id»",
    ]
    assert "от 1 до 4" in named[0][1] and "не участник" in named[1][1]
    assert versions(stand.routes) == before  # nothing written

    from_csv = await upload(stand, campaign_id, csv_of(school_rows(0)), "school-1.csv")
    assert from_csv.status_code == 200, from_csv.text
    assert from_csv.json() | {"file_hash": ""} == {
        "campaign_id": campaign_id,
        "file_hash": "",
        "rows": 250,
        "recorded": 250,
        "unchanged": 0,
        "events": 250 + 2,  # a diagnostic per route, the campaign's note per 200 teachers
    }
    from_xlsx = await upload(stand, campaign_id, xlsx_of(school_rows(1)), "school-2.xlsx")
    assert from_xlsx.json()["recorded"] == 250
    resent = await upload(stand, campaign_id, csv_of(school_rows(0)), "school-1.csv")
    assert resent.json()["recorded"] == 0 and resent.json()["unchanged"] == 250
    assert resent.json()["events"] == 0

    route = stand.routes.keyed_route("sakha", "t-00007")
    assert route is not None and route.input_diagnostic is not None
    assert route.input_diagnostic.platform == "РАС «Ситуационный центр»"
    assert [t.level for t in route.input_diagnostic.tasks] == levels(7)
    shown = (await stand.client.get(f"/campaigns/{campaign_id}", headers=stand.headers)).json()
    assert shown["recorded_count"] == TEACHERS and shown["status"] == "results_recorded"


async def test_another_regions_campaign_is_not_found(stand: Stand, portal: Portal) -> None:
    planned = await stand.client.post("/campaigns", json=campaign_body(), headers=stand.keyed("p1"))
    campaign_id = planned.json()["campaign_id"]
    other = portal.token(Role.CENTRE_HEAD, "centre-head-balakhta", "balakhta")
    found = await stand.client.get(
        f"/campaigns/{campaign_id}", headers={"Authorization": f"Bearer {other}"}
    )
    assert found.status_code == 404
    listed = await stand.client.get("/campaigns", headers={"Authorization": f"Bearer {other}"})
    assert listed.json() == []


async def first_school_announced(stand: Stand) -> str:
    """The campaign planned (key `p`) and announced to the first school's teachers (key `a`):
    its id."""
    planned = await stand.client.post("/campaigns", json=campaign_body(), headers=stand.keyed("p"))
    campaign_id: str = planned.json()["campaign_id"]
    announced = await stand.client.post(
        f"/campaigns/{campaign_id}/announce",
        json={"group_id": "g1", "school_ids": [SCHOOLS[0]]},
        headers=stand.keyed("a"),
    )
    assert announced.status_code == 200, announced.text
    return campaign_id


async def test_a_campaigns_mass_deficits_propose_the_programmes_to_order(stand: Stand) -> None:
    """The first school's 250 teachers share a methodical deficit (the lowest level on every
    methodical task): the campaign proposes the catalogue's programme for it; the subject
    competence, at the lowest level for a quarter of them, is not mass at a half."""
    profile = stand.routes.profiles.latest("sakha")
    catalogue = [programme("ДПП-М1", {"methodical": [1]}), programme("ДПП-П1", {"subject": [1]})]
    stand.routes.catalogues.put(profile, catalogue, CENTRE, "catalogue-1")
    campaign_id = await first_school_announced(stand)
    orders = f"/campaigns/{campaign_id}/orders"
    before = await stand.client.get(orders, headers=stand.headers)
    assert before.status_code == 200, before.text
    assert before.json()["routes"] == 0 and before.json()["orders"] == []  # no results yet

    stand.clock.now = datetime(2026, 6, 26, 3, 0, tzinfo=UTC)
    subject = {n: 1 if n % 8 == 0 else 3 for n in range(0, TEACHERS, 2)}  # a quarter at 1
    rows = [[teacher(n), *[1] * 4, *[level] * (TASKS - 4)] for n, level in subject.items()]
    assert (await upload(stand, campaign_id, csv_of(rows), "school-1.csv")).status_code == 200
    found = await stand.client.get(orders, params={"mass_share": 0.5}, headers=stand.headers)
    assert found.status_code == 200, found.text
    proposal = found.json()
    assert proposal["routes"] == TEACHERS // 2 and proposal["mass_share"] == 0.5
    assert [(o["competence"], o["lowest"], o["share"]) for o in proposal["orders"]] == [
        ("methodical", TEACHERS // 2, 1.0)
    ]
    (order,) = proposal["orders"]
    assert [p["registry_number"] for p in order["programmes"]] == ["ДПП-М1"]
    assert not order["to_develop"]
    # at a quarter the subject competence is mass too
    lower = await stand.client.get(orders, params={"mass_share": 0.25}, headers=stand.headers)
    assert [o["competence"] for o in lower.json()["orders"]] == ["methodical", "subject"]
    refused = await stand.client.get(orders, params={"mass_share": 0}, headers=stand.headers)
    assert refused.status_code == 422
    assert "mass_share" in refused.text


async def test_a_participant_finds_the_diagnostic_in_their_inbox(
    stand: Stand, portal: Portal
) -> None:
    """Announced, a participant's inbox holds the task with the group's place and start, due
    on its day; a teacher of the school not announced has none."""
    campaign_id = await first_school_announced(stand)
    assert stand.gateway.announced == [(UUID(campaign_id), 2)]  # its notices' workflow
    again = await first_school_announced(stand)  # a retry: nothing appended, notices again
    assert (await stand.client.get(f"/campaigns/{again}", headers=stand.headers)).json()[
        "version"
    ] == 2
    assert stand.gateway.announced == [(UUID(campaign_id), 2)] * 2  # (the same workflow id)
    catch_up(stand.routes, "tasks")

    def inbox(n: int) -> dict[str, str]:
        given = portal.token(
            Role.TEACHER, f"user-{n}", "sakha", teacher_id=teacher(n), school=SCHOOLS[n % 2]
        )
        return portal.headers(given)

    found = await stand.client.get("/tasks", params={"kind": "attend_diagnostic"}, headers=inbox(2))
    assert found.status_code == 200, found.text
    (task,) = found.json()["items"]
    route = stand.routes.keyed_route("sakha", "t-00002")
    assert route is not None and task["route_id"] == str(route.id)
    assert task["title"] == "Пройти диагностику профессиональных дефицитов"
    assert task["about"] == campaign_id and task["state"] == "open"
    assert task["assignee"] == {"role": "teacher", "scope": "person", "id": teacher(2)}
    assert task["place"] == "ИРО и ПК, ауд. 204" and task["due_on"] == "2026-06-25"
    assert datetime.fromisoformat(task["starts_at"]) == datetime(2026, 6, 25, 1, tzinfo=UTC)
    assert task["endpoint"] == {"method": "POST", "path": f"/campaigns/{campaign_id}/attendance"}
    other = await stand.client.get("/tasks", params={"kind": "attend_diagnostic"}, headers=inbox(3))
    assert other.json()["items"] == []  # the second school was not announced
