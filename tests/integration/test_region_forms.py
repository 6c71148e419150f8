"""Every form of every region, looked at: a demo route of the region driven to its end, each of
its regulation's forms rendered both ways, every PDF page drawn to PNG (the documents'
artefacts), and the title, sections, table columns and signature lines read back from the DOCX
XML and the PDF text against the form's list taken from its seed (`forms/<form>.yaml`)."""

from __future__ import annotations

import random
from io import BytesIO
from pathlib import Path
from typing import Any
from uuid import UUID

import docx
import pytest
import yaml
from docx.oxml.ns import qn

from aggregates.application import Routes
from aggregates.profiles import Profile, ProfileCatalogue, Stage
from aggregates.values import RESOURCE_KIND_TITLES
from projections.documents import (
    Document,
    FormNotOfferedError,
    RouteDocKind,
    forms_of,
    render,
    route_document,
)
from runtime.settings import store_env
from tests.support.documents import TODAY, Ticking, both, flat, ticking_routes
from workers.demo import DemoRoute

FORMS = Path(__file__).parent / "forms"
SHIPPED = [(p.id, kind) for p in ProfileCatalogue.load().editions() for kind in forms_of(p)]


def spec(kind: str) -> dict[str, Any]:
    """What the form must show, from its seed (`forms/README.md`)."""
    found: dict[str, Any] = yaml.safe_load((FORMS / f"{kind}.yaml").read_text(encoding="utf-8"))
    return found


def drive(app: Routes, profile: Profile, until: Stage = Stage.COMPLETED) -> UUID:
    return DemoRoute(app, profile, 6, random.Random(profile.id), TODAY.date()).drive(until)


def docx_body(data: bytes) -> list[str | list[list[str]]]:
    """The body of a .docx as its XML holds it, in order: a paragraph's text, or a table's rows
    of cell texts (a merged cell repeats)."""
    document = docx.Document(BytesIO(data))
    body: list[str | list[list[str]]] = []
    tables = iter(document.tables)
    for element in document.element.body.iterchildren():
        if element.tag == qn("w:p"):
            body.append("".join(t.text or "" for t in element.iter(qn("w:t"))))
        elif element.tag == qn("w:tbl"):
            body.append([[cell.text for cell in row.cells] for row in next(tables).rows])
    return body


def in_order(found: list[str], wanted: list[str]) -> bool:
    """Whether `wanted` appear in `found` in this order (others may lie between)."""
    rest = iter(found)
    return all(any(item == want for item in rest) for want in wanted)


def check_form(document: Document, kind: str, name: str) -> str:
    """Read the document back both ways and hold it against its seed's list; the PDF's text."""
    expected = spec(kind)
    _, _, pages = both(document, name)  # every page drawn to PNG, fonts embedded
    body = docx_body(render(document, "docx"))
    paragraphs = [block for block in body if isinstance(block, str)]
    tables = [block for block in body if isinstance(block, list)]
    pdf = flat(" ".join(pages))

    assert expected["title"] in paragraphs and flat(expected["title"]) in pdf
    assert in_order(paragraphs, expected["sections"]), (paragraphs, expected["sections"])
    assert all(flat(heading) in pdf for heading in expected["sections"])

    remaining = iter(tables)
    for table in expected["tables"]:
        match = next((t for t in remaining if _matches(t, table)), None)
        assert match is not None, f"{kind}: no table {table} in order among {tables}"
        if "rows" in table:
            assert list(dict.fromkeys(row[0] for row in match[1:])) == table["rows"]
        for label in table.get("columns", table.get("labels", [])):
            # a narrow cell wraps its heading over lines: each of its words is on the page
            assert all(word in pdf for word in label.split()), label

    lines = [p for p in paragraphs if "__________" in p]
    starts = [line.split(" __________")[0] for line in lines]
    assert in_order(starts, expected["signatures"]), (starts, expected["signatures"])
    assert all(flat(title) in pdf for title in expected["signatures"])
    return pdf


def _matches(table: list[list[str]], wanted: dict[str, Any]) -> bool:
    if "columns" in wanted:
        return bool(table) and list(dict.fromkeys(table[0])) == wanted["columns"]
    labels: list[str] = wanted["labels"]
    return [row[0] for row in table] == labels


@pytest.fixture
def app(sqlite_url: str) -> Routes:
    return ticking_routes(sqlite_url)


@pytest.mark.parametrize(("region", "kind"), SHIPPED)
def test_every_form_of_every_region_matches_its_seed(
    app: Routes, region: str, kind: RouteDocKind
) -> None:
    profile = app.profiles.latest(region)
    assert spec(kind)["region"] == region  # the seed's form is this region's own
    route_id = drive(app, profile)
    check_form(route_document(app, route_id, kind), kind, f"form-{region}-{kind}")


def test_each_region_prints_only_its_own_forms(app: Routes) -> None:
    offered = {p.id: forms_of(p) for p in app.profiles.editions()}
    assert offered == {
        "sakha": ("karta", "corrections", "monitoring", "itogi", "certificate"),
        "balakhta": ("balakhta",),
        "sovetsky": ("sovetsky", "sovetsky_table"),
        "chelyabinsk": ("chelyabinsk",),
        "algorithm": ("programme", "resource_map"),
    }
    for region in ("chelyabinsk", "algorithm"):
        route_id = drive(app, app.profiles.latest(region), Stage.DESIGN)
        with pytest.raises(FormNotOfferedError, match="не предусмотрена регламентом"):
            route_document(app, route_id, "karta")  # never a Sakha platform on their routes


def test_the_algorithm_programme_and_resource_map_show_its_substance(app: Routes) -> None:
    route_id = drive(app, app.profiles.latest("algorithm"))
    plan = app.route(route_id).plan
    assert plan is not None and plan.programme and plan.resources and plan.groups
    document = route_document(app, route_id, "programme")
    pdf = check_form(document, "programme", "algorithm-programme")
    body = docx_body(render(document, "docx"))
    tasks = next(b for b in body if isinstance(b, list) and b[0][1] == "Образовательная задача")
    for row, entry in zip(tasks[1:], plan.programme, strict=True):
        assert row[1] == plan.tasks[entry.task - 1]
        assert all(way in row[2] for way in entry.ways)
        assert all(check in row[3] for check in entry.checks)
    group = plan.groups[0]
    groups = next(b for b in body if isinstance(b, list) and b[0][0] == "Группа")
    assert groups[1][1] == group.topic and all(m in groups[1][2] for m in group.members)
    assert flat(group.topic) in pdf

    document = route_document(app, route_id, "resource_map")
    pdf = check_form(document, "resource_map", "algorithm-resource-map")
    body = docx_body(render(document, "docx"))
    resources = next(b for b in body if isinstance(b, list) and b[0][0] == "Вид ресурсов")
    for row, resource in zip(resources[1:], plan.resources, strict=True):
        assert row[0] == RESOURCE_KIND_TITLES[resource.kind]
        assert row[1].startswith(resource.title) and row[2] == resource.gives
    own = plan.resources[-1]
    assert own.holder is not None and f"педагог {own.holder}" in resources[-1][1]


NEW_REGION = """
id: tomsk
version: 1
region: Томская область
regulation: Положение об индивидуальном образовательном маршруте педагога, приказ № 7 от 10.01.2026
"""


def test_a_new_region_without_forms_prints_the_neutral_form_of_its_own_regulation(
    sqlite_url: str, tmp_path: Path
) -> None:
    # A copy of a shipped regulation under a new region's name that names no forms.
    base = (Path(__file__).parents[2] / "aggregates/profiles/chelyabinsk-2022.yaml").read_text(
        encoding="utf-8"
    )
    data = yaml.safe_load(base) | yaml.safe_load(NEW_REGION)
    del data["documents"]
    folder = tmp_path / "profiles"
    folder.mkdir()
    (folder / "tomsk-2026.yaml").write_text(yaml.safe_dump(data, allow_unicode=True), "utf-8")
    app = Routes(store_env(sqlite_url), profiles=ProfileCatalogue.load(folder), clock=Ticking())
    profile = app.profiles.latest("tomsk")
    assert forms_of(profile) == ("iom",)
    route_id = drive(app, profile)
    document = route_document(app, route_id, "iom")
    pdf = check_form(document, "iom", "tomsk-iom")
    assert "Томская область" in document.subtitle
    assert flat(f"по регламенту: {profile.regulation}") in pdf
    for foreign in ("Саха", "Челябинск", "Балахт", "Советск", "Алгоритм"):
        assert foreign not in document.text()
    with pytest.raises(FormNotOfferedError, match="формы этого регламента: iom"):
        route_document(app, route_id, "karta")
