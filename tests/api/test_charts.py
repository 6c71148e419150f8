"""The region's charts over HTTP, in process over the demo region: the API's JSON for the
centre head, the auditor and the operator only; the console's page of every chart with its
figures as a table, and each chart downloaded as a PNG that decodes, an SVG that carries its
words as text, and a CSV a Russian Excel opens, all of the same figures as the JSON."""

from __future__ import annotations

import csv
import io
from zoneinfo import ZoneInfo

from PIL import Image

from aggregates.values import Role
from api.console import POLICY
from projections.charts import CHARTS, ChartName, Scene, read_chart
from tests.api.conftest import Region
from tests.api.support import Portal
from tests.api.test_console import signed_in


async def test_the_charts_are_served_as_data_to_the_regions_planners(
    region: Region, portal: Portal
) -> None:
    head = portal.headers(portal.token(Role.CENTRE_HEAD, "head-1"))
    listed = await region.client.get("/monitoring/charts", headers=head)
    assert listed.status_code == 200, listed.text
    assert [c["name"] for c in listed.json()] == [name.value for name in CHARTS]

    answer = await region.client.get("/monitoring/charts/load", headers=head)
    assert answer.status_code == 200, answer.text
    body = answer.json()
    profile = region.routes.profiles.latest("sakha")
    scene = Scene("sakha", ZoneInfo(profile.time_zone), region.routes.clock(), {})
    chart = read_chart(region.direct.app.state.services.monitoring, ChartName.LOAD, scene)
    assert body["categories"] == list(chart.categories)
    assert [s["values"] for s in body["series"]] == [list(s.values) for s in chart.series]
    assert sum(body["series"][0]["values"]) == len(region.sakha)  # every route is active
    assert body["region"] == "sakha" and body["position"] == chart.position


async def test_other_roles_and_unknown_charts_are_refused(region: Region, portal: Portal) -> None:
    methodist = portal.headers(portal.token(Role.METHODIST, "methodist-1"))
    refused = await region.client.get("/monitoring/charts/stages", headers=methodist)
    assert refused.status_code == 403
    assert refused.json()["detail"].startswith("график региона доступен руководителю ЦНППМ")
    head = portal.headers(portal.token(Role.OPERATOR, "operator-1"))
    unknown = await region.client.get("/monitoring/charts/weather", headers=head)
    assert unknown.status_code == 422
    assert unknown.json()["errors"][0]["field"] == "name"


async def test_the_console_draws_every_chart_and_offers_its_files(
    region: Region, portal: Portal
) -> None:
    client = region.client
    await signed_in(client, portal.token(Role.CENTRE_HEAD, "head-1"))
    page = await client.get("/console/charts")
    assert page.status_code == 200, page.text
    assert page.headers["content-security-policy"] == POLICY
    assert 'href="/console/charts"' in page.text  # the menu offers the charts
    for name, spec in CHARTS.items():
        assert spec.title in page.text
        assert f'src="/console/charts/{name.value}.png"' in page.text or "Нет данных" in page.text

    head = portal.headers(portal.token(Role.CENTRE_HEAD, "head-1"))
    data = (await client.get("/monitoring/charts/stages", headers=head)).json()
    png = await client.get("/console/charts/stages.png")
    assert png.headers["content-type"] == "image/png"
    assert Image.open(io.BytesIO(png.content)).size[0] > 500
    svg = await client.get("/console/charts/stages.svg")
    assert svg.headers["content-type"].startswith("image/svg+xml")
    assert data["title"] in svg.text and data["categories"][-1] in svg.text
    assert svg.content == (await client.get("/console/charts/stages.svg")).content
    table = await client.get("/console/charts/stages.csv")
    assert table.content.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(table.content.decode("utf-8-sig")), delimiter=";"))
    assert rows[0] == [data["category"], *(s["name"] for s in data["series"])]
    assert [row[0] for row in rows[1:]] == data["categories"]
    assert [[float(v) for v in row[1:]] for row in rows[1:]] == [
        [s["values"][i] for s in data["series"]] for i in range(len(data["categories"]))
    ]
    missing = await client.get("/console/charts/weather.png")
    assert missing.status_code == 404


async def test_the_console_keeps_the_charts_from_a_schools_people(
    region: Region, portal: Portal
) -> None:
    client = region.client
    await signed_in(client, portal.token(Role.SCHOOL_HEAD, "head-2", school="school-sakha-02"))
    assert 'href="/console/charts"' not in (await client.get("/console/routes")).text
    page = await client.get("/console/charts")
    assert page.status_code == 403
    assert "график региона доступен руководителю ЦНППМ" in page.text
    assert (await client.get("/console/charts/load.csv")).status_code == 403
