"""The ДПП catalogue, suggestions, mass deficits and the methodists' report over HTTP."""

from __future__ import annotations

from aggregates.values import Role
from tests.api.conftest import Direct, Region
from tests.api.support import Portal
from tests.support.programmes import ROWS, csv_file, designed_scene, programme, xlsx_file

PATH = "/catalogue/programmes"


def centre(portal: Portal, key: str | None = None) -> dict[str, str]:
    return portal.headers(portal.token(Role.CENTRE_HEAD, "centre-head-sakha"), key)


async def test_the_centre_head_imports_and_keeps_the_catalogue(
    direct: Direct, portal: Portal
) -> None:
    client = direct.client
    imported = await client.post(
        f"{PATH}/import", headers=centre(portal, "imp-1"), content=csv_file(ROWS)
    )
    assert imported.status_code == 200, imported.text
    assert imported.json() == {"region": "sakha", "version": 1, "programmes": 3}
    again = await client.post(
        f"{PATH}/import?filename=p.xlsx", headers=centre(portal, "imp-2"), content=xlsx_file(ROWS)
    )
    assert again.json()["version"] == 1  # the same programmes: nothing changed

    changed = programme("ДПП-003", {"methodical": [1, 2]}, hours=24)
    put = await client.post(
        PATH, headers=centre(portal, "put-1"), json=changed.model_dump(mode="json")
    )
    assert put.json()["version"] == 2
    withdrawn = await client.delete(f"{PATH}/ДПП-001", headers=centre(portal, "del-1"))
    assert withdrawn.json() == {"region": "sakha", "version": 3, "programmes": 2}

    teacher = portal.headers(portal.token(Role.METHODIST, "methodist-sakha-01"))
    now = (await client.get(PATH, headers=teacher)).json()
    first = (await client.get(f"{PATH}?version=1", headers=teacher)).json()
    assert now["version"] == 3 and len(now["programmes"]) == 2
    assert [p["registry_number"] for p in first["programmes"]] == ["ДПП-001", "ДПП-002", "ДПП-003"]
    old = await client.get(f"{PATH}/ДПП-003?version=1", headers=teacher)
    assert old.json()["hours"] == 18
    gone = await client.get(f"{PATH}/ДПП-001", headers=teacher)
    assert gone.status_code == 404 and gone.json()["type"] == "urn:iom:problem:programme-not-found"
    other = portal.headers(portal.token(Role.CENTRE_HEAD, "centre-head-b", region="balakhta"))
    assert (await client.get(PATH, headers=other)).json()["version"] == 0  # per region


async def test_a_bad_file_is_refused_whole_with_each_row(direct: Direct, portal: Portal) -> None:
    rows = [ROWS[0], [*ROWS[1][:3], "x", *ROWS[1][4:]], [*ROWS[2][:8], "astronomy: 1"]]
    refused = await direct.client.post(
        f"{PATH}/import", headers=centre(portal, "bad"), content=csv_file(rows)
    )
    assert refused.status_code == 422
    problem = refused.json()
    assert problem["type"] == "urn:iom:problem:invalid-file"
    assert [(e["field"], e["detail"].split(":")[0]) for e in problem["errors"]] == [
        ("Часы", "строка 3"),
        ("Компетенции", "строка 4"),
    ]
    assert direct.routes.catalogues.catalogue("sakha").version == 0


async def test_only_the_centre_head_changes_it(direct: Direct, portal: Portal) -> None:
    methodist = portal.headers(portal.token(Role.METHODIST, "methodist-sakha-01"), "m")
    refused = await direct.client.post(f"{PATH}/import", headers=methodist, content=csv_file(ROWS))
    assert refused.status_code == 403
    assert direct.routes.catalogues.catalogue("sakha").version == 0


async def test_a_suggestion_is_sent_back_as_the_design(direct: Direct, portal: Portal) -> None:
    routes = direct.routes
    profile = routes.profiles.latest("chelyabinsk")
    chel_centre = portal.token(Role.CENTRE_HEAD, "centre-head-chel", region="chelyabinsk")
    put = await direct.client.post(
        PATH,
        headers=portal.headers(chel_centre, "c-1"),
        json=programme("Ч-1", {"methodical": [1]}).model_dump(mode="json"),
    )
    assert put.status_code == 200, put.text
    route_id, demo = designed_scene(routes, "chelyabinsk", {"methodical": 1, "subject": 2})
    teacher_id = demo.actor(Role.TEACHER).id
    designer = portal.token(Role.TEACHER, "portal-t1", region="chelyabinsk", teacher_id=teacher_id)
    version = routes.route(route_id).version
    answer = await direct.client.post(
        f"/routes/{route_id}/suggestion", headers=portal.headers(designer)
    )
    assert answer.status_code == 200, answer.text
    found = answer.json()
    assert routes.route(route_id).version == version  # nothing saved
    assert [d["competence"] for d in found["deficits"]] == ["methodical", "subject"]
    assert found["unanswered"] == []
    assert all(reason["why"].startswith("дефицит: ") for reason in found["reasons"])
    assert profile.designers == [Role.TEACHER]
    designed = await direct.client.post(
        f"/routes/{route_id}/commands/design_route",
        headers=portal.headers(designer, "design-1"),
        json={"plan": found["plan"]},
    )
    assert designed.status_code == 200, designed.text
    plan = routes.route(route_id).plan
    assert plan is not None and plan.model_dump(mode="json") == found["plan"]
    stranger = portal.headers(portal.token(Role.METHODIST, "someone", region="chelyabinsk"))
    hidden = await direct.client.post(f"/routes/{route_id}/suggestion", headers=stranger)
    assert hidden.status_code == 404


async def test_mass_deficits_and_the_methodists_report(region: Region, portal: Portal) -> None:
    client = region.client
    head = centre(portal)
    proposal = await client.post("/catalogue/orders", headers=head, json={"mass_share": 0.2})
    assert proposal.status_code == 200, proposal.text
    found = proposal.json()
    assert found["region"] == "sakha" and found["routes"] == 8
    assert all(order["to_develop"] for order in found["orders"])  # the catalogue is empty
    listed = await client.post(
        "/catalogue/orders",
        headers=head,
        json={"route_ids": [str(i) for i in region.sakha[:2]], "mass_share": 0.2},
    )
    assert listed.json()["routes"] == 2
    methodist = portal.headers(portal.token(Role.METHODIST, "methodist-sakha-02"))
    refused = await client.post("/catalogue/orders", headers=methodist, json={})
    assert refused.status_code == 403

    report = (await client.get("/reports/methodists", headers=head)).json()
    assert sum(m["routes"] for m in report["methodists"]) == 8
    own = (await client.get("/reports/methodists", headers=methodist)).json()
    assert [m["methodist_id"] for m in own["methodists"]] == ["methodist-sakha-02"]
    other = await client.get(
        "/reports/methodists?methodist_id=methodist-sakha-01", headers=methodist
    )
    assert other.status_code == 403
    docx = await client.get(
        "/reports/methodists/document",
        headers=head
        | {"Accept": "application/vnd.openxmlformats-officedocument.wordprocessingml.document"},
    )
    assert docx.status_code == 200 and docx.content.startswith(b"PK")
