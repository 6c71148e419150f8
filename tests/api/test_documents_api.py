"""A route's documents through the API: `GET /routes/{route_id}/documents/{doc}` answers the
file of `iom docs render` (DOCX or PDF by `Accept`), at a version or a moment as
`GET /routes/{id}` takes them, the teacher's sheet only for the roles entitled to it, the
152-ФЗ notice after erasure, 406 for a format neither, 404 beyond reach. And the campaign's
analytical report, `GET /reports/campaign`, from the monitoring projection, to the roles that plan
the region only."""

from __future__ import annotations

from pathlib import Path
from uuid import UUID

import httpx
import pytest

from adapters.personal import PersonalDataStore
from aggregates.application import Routes
from aggregates.personal import TeacherSheet
from aggregates.profiles import ProfileCatalogue, Stage
from aggregates.values import Actor, Role
from api.access import SHEET_ROLES
from api.endpoints.documents import DOCX, PDF, negotiate
from api.glossary import EXAMPLES
from api.portal_tokens import PORTAL_ROLES
from api.problems import MEDIA_TYPE, ProblemError
from runtime.settings import store_env
from tests.api.conftest import Region, direct_app, serving
from tests.api.support import Portal
from tests.api.test_access import token_for
from tests.integration.test_documents import ERASED
from tests.support.documents import flat, pdf_pages, word
from workers.demo import write_demo

SHEET = TeacherSheet.model_validate(EXAMPLES["TeacherSheet"])


def headers(portal: Portal, role: Role, region: Region, accept: str = DOCX) -> dict[str, str]:
    """A Sakha token of `role` whose reach holds the first Sakha route, and an `Accept`."""
    token = token_for(portal, role, "own", region.routes.route(region.sakha[0]))
    return portal.headers(token) | {"Accept": accept}


async def fetch(
    region: Region, asked: dict[str, str], doc: str = "karta", **params: str | int
) -> httpx.Response:
    return await region.client.get(
        f"/routes/{region.sakha[0]}/documents/{doc}", params=params, headers=asked
    )


def personal(region: Region) -> PersonalDataStore:
    found: PersonalDataStore | None = region.direct.app.state.services.personal
    assert found is not None
    return found


def provenance(route_id: UUID, version: int) -> str:
    return f"ИОМ {route_id} · версия {version}"


async def test_karta_as_pdf_and_as_docx(region: Region, portal: Portal) -> None:
    route_id = region.sakha[0]
    last = region.routes.route(route_id).version
    chain = region.routes.history(route_id)[-1].chain_hash
    pdf = await fetch(region, headers(portal, Role.CENTRE_HEAD, region, PDF))
    assert pdf.status_code == 200, pdf.text
    assert pdf.headers["content-type"] == PDF
    assert pdf.headers["content-disposition"] == (
        f'attachment; filename="karta-{route_id}-v{last}.pdf"'
    )
    assert pdf.headers["cache-control"] == "no-store"
    text = flat(" ".join(pdf_pages(pdf.content)))
    assert provenance(route_id, last) in text and chain in text
    assert "Карта" in text or "КАРТА" in text

    docx = await fetch(region, headers(portal, Role.CENTRE_HEAD, region, DOCX))
    assert docx.status_code == 200, docx.text
    assert docx.headers["content-type"] == DOCX
    assert docx.headers["content-disposition"] == (
        f'attachment; filename="karta-{route_id}-v{last}.docx"'
    )
    _, text = word(docx.content)
    assert provenance(route_id, last) in flat(text) and chain in text


@pytest.mark.parametrize(
    ("accept", "media_type"),
    [
        ("*/*", PDF),
        ("application/*", PDF),
        (f"{PDF};q=0.5, {DOCX}", DOCX),
        (f"text/html, {DOCX};q=0.9", DOCX),
        (f"{DOCX}, */*;q=0.1", DOCX),
        ("", PDF),
    ],
)
def test_the_format_follows_accept(accept: str, media_type: str) -> None:
    assert {"pdf": PDF, "docx": DOCX}[negotiate(accept)] == media_type


@pytest.mark.parametrize("accept", ["text/html", "application/json", f"{PDF};q=0, text/*"])
def test_no_acceptable_format(accept: str) -> None:
    with pytest.raises(ProblemError):
        negotiate(accept)


async def test_an_old_version_and_a_moment(region: Region, portal: Portal) -> None:
    route_id = region.sakha[0]
    history = region.routes.history(route_id)
    asked = headers(portal, Role.METHODIST, region)
    old = await fetch(region, asked, "karta", version=3)
    assert old.status_code == 200, old.text
    assert old.headers["content-disposition"].endswith('-v3.docx"')
    _, text = word(old.content)
    assert provenance(route_id, 3) in flat(text) and history[2].chain_hash in text
    assert provenance(route_id, len(history)) not in flat(text)

    moment = history[4].timestamp
    then = await fetch(region, asked, "monitoring", as_of=moment.isoformat())
    assert then.status_code == 200, then.text
    version = sum(1 for e in history if e.timestamp <= moment)
    assert then.headers["content-disposition"] == (
        f'attachment; filename="monitoring-{route_id}-v{version}.docx"'
    )
    _, text = word(then.content)
    assert provenance(route_id, version) in flat(text)

    for params, field in (
        ({"version": len(history) + 1}, "version"),
        ({"as_of": "2026-10-01T12:00:00"}, "as_of"),
    ):
        refused = await fetch(region, asked, "karta", **params)
        assert refused.status_code == 422, refused.text
        assert refused.json()["field"] == field


@pytest.mark.parametrize("role", PORTAL_ROLES)
async def test_personal_fields_only_for_the_roles_entitled(
    region: Region, portal: Portal, role: Role
) -> None:
    route = region.routes.route(region.sakha[0])
    personal(region).put(route.teacher_id, SHEET)
    answer = await fetch(region, headers(portal, role, region))
    assert answer.status_code == 200, answer.text
    _, text = word(answer.content)
    assert (SHEET.full_name in text) is (role in SHEET_ROLES), role
    assert (SHEET.education in flat(text)) is (role in SHEET_ROLES), role
    if role not in SHEET_ROLES:
        assert route.teacher_id in text  # the id: no personal data


async def test_personal_fields_erased(region: Region, portal: Portal) -> None:
    route = region.routes.route(region.sakha[0])
    store = personal(region)
    store.put(route.teacher_id, SHEET)
    centre = headers(portal, Role.CENTRE_HEAD, region, PDF)
    auditor = headers(portal, Role.AUDITOR, region, PDF)
    before = flat(" ".join(pdf_pages((await fetch(region, centre)).content)))
    assert SHEET.full_name in before and ERASED not in before
    hidden = flat(" ".join(pdf_pages((await fetch(region, auditor)).content)))
    assert SHEET.full_name not in hidden and ERASED not in hidden

    # What `iom pd erase TEACHER_ID --reason ...` does.
    store.erase(route.teacher_id, Actor(id="op-1", role=Role.OPERATOR), "заявление № 17")
    for doc in ("karta", "itogi", "monitoring"):
        answer = await fetch(region, centre, doc)
        assert answer.status_code == 200, answer.text
        after = flat(" ".join(pdf_pages(answer.content)))
        assert SHEET.full_name not in after and ERASED in after, doc
    hidden = flat(" ".join(pdf_pages((await fetch(region, auditor)).content)))
    assert SHEET.full_name not in hidden and ERASED not in hidden


async def test_406_names_the_header(region: Region, portal: Portal) -> None:
    answer = await fetch(region, headers(portal, Role.CENTRE_HEAD, region, "text/html"))
    assert answer.status_code == 406, answer.text
    assert answer.headers["content-type"] == MEDIA_TYPE
    problem = answer.json()
    assert (problem["type"], problem["field"], problem["rule"]) == (
        "urn:iom:problem:not-acceptable",
        "Accept",
        "not_acceptable",
    )
    assert str(region.sakha[0]) not in answer.text


async def test_another_regions_form_is_404_naming_the_regulations_forms(
    region: Region, portal: Portal
) -> None:
    answer = await fetch(region, headers(portal, Role.CENTRE_HEAD, region, PDF), "chelyabinsk")
    assert answer.status_code == 404, answer.text
    problem = answer.json()
    assert (problem["type"], problem["field"], problem["rule"]) == (
        "urn:iom:problem:form-not-in-regulation",
        "doc",
        "form_not_in_regulation",
    )
    assert "формы этого регламента: karta, corrections, monitoring, itogi" in problem["detail"]


async def test_404_beyond_reach(region: Region, portal: Portal) -> None:
    route = region.routes.route(region.sakha[0])
    token = token_for(portal, Role.SCHOOL_HEAD, "other_school", route)
    answer = await fetch(region, portal.headers(token) | {"Accept": PDF})
    assert answer.status_code == 404, answer.text
    assert answer.json()["type"] == "urn:iom:problem:not-found"
    # The route's school named with another region: the token itself is refused (api.claims).
    token = token_for(portal, Role.SCHOOL_HEAD, "other_region", route)
    answer = await fetch(region, portal.headers(token) | {"Accept": PDF})
    assert (answer.status_code, answer.json()["rule"]) == (403, "school_region"), answer.text
    balakhta = portal.headers(portal.token(Role.CENTRE_HEAD, "centre-head-balakhta", "balakhta"))
    answer = await fetch(region, balakhta)
    assert answer.status_code == 404, answer.text
    missing = await region.client.get(
        f"/routes/{UUID(int=7)}/documents/karta", headers=headers(portal, Role.CENTRE_HEAD, region)
    )
    assert missing.status_code == 404, missing.text
    unknown = await fetch(region, headers(portal, Role.CENTRE_HEAD, region), "passport")
    assert unknown.status_code == 422, unknown.text
    assert unknown.json()["field"] == "doc"


# The campaign's analytical report: `GET /reports/campaign`.

REPORT_ROLES = (Role.CENTRE_HEAD, Role.AUDITOR, Role.OPERATOR)


async def report(region: Region, asked: dict[str, str], **params: str) -> httpx.Response:
    return await region.client.get("/reports/campaign", params=params, headers=asked)


@pytest.mark.parametrize("role", REPORT_ROLES)
async def test_the_campaign_report_for_the_roles_that_plan_the_region(
    region: Region, portal: Portal, role: Role
) -> None:
    head = region.routes.recorder.max_notification_id()
    made = f"Отчёт по 8 ИОМ · проекция monitoring · позиция {head} из {head} событий хранилища"
    pdf = await report(region, headers(portal, role, region, PDF))
    assert pdf.status_code == 200, pdf.text
    assert pdf.headers["content-type"] == PDF
    assert pdf.headers["content-disposition"] == 'attachment; filename="campaign-sakha-input.pdf"'
    assert pdf.headers["cache-control"] == "no-store"
    pages = pdf_pages(pdf.content)
    assert all(made in page for page in pages)
    text = flat(" ".join(pages))
    assert "Аналитический отчёт по результатам диагностики" in text
    assert "Республика Саха (Якутия)" in text and "Балахт" not in text

    docx = await report(region, headers(portal, role, region, DOCX), **{"from": "2020-01-01"})
    assert docx.status_code == 200, docx.text
    assert docx.headers["content-disposition"] == (
        'attachment; filename="campaign-sakha-input-2020-01-01.docx"'
    )
    tables, text = word(docx.content)
    participants = tables[0]
    assert participants[-1][0] == "Итого" and participants[-1][2] == "8"
    schools = {region.routes.route(i).school_id for i in region.sakha}
    assert {row[1] for row in participants[1:-1]} == schools
    assert made in text and "Период: 01.01.2020 – по настоящее время" in text
    routes = [region.routes.route(i) for i in region.sakha]
    assert not any(r.teacher_id in text for r in routes)  # ids of places only, no teachers

    balakhta = portal.token(role, f"{role.value}-balakhta", "balakhta")
    other = await report(region, portal.headers(balakhta) | {"Accept": DOCX})
    assert other.status_code == 200, other.text
    tables, text = word(other.content)
    assert tables[0][-1][2] == "3" and "Балахтинский район" in text


@pytest.mark.parametrize("role", [r for r in PORTAL_ROLES if r not in REPORT_ROLES])
async def test_the_campaign_report_refused_to_other_roles(
    region: Region, portal: Portal, role: Role
) -> None:
    answer = await report(region, headers(portal, role, region, PDF))
    assert answer.status_code == 403, answer.text
    assert answer.headers["content-type"] == MEDIA_TYPE
    problem = answer.json()
    assert (problem["type"], problem["rule"]) == ("urn:iom:problem:role", "report_role")
    assert "руководителю ЦНППМ, аудитору и оператору" in problem["detail"]


async def test_the_campaign_report_period_format_and_projection(
    region: Region, portal: Portal, tmp_path: Path, catalogue: ProfileCatalogue
) -> None:
    centre = headers(portal, Role.CENTRE_HEAD, region, PDF)
    backwards = await report(region, centre, **{"from": "2026-12-01", "to": "2026-01-01"})
    assert backwards.status_code == 422, backwards.text
    assert (backwards.json()["field"], backwards.json()["rule"]) == ("to", "period")
    wrong = await report(region, centre, **{"from": "2026-13-01"})
    assert wrong.status_code == 422, wrong.text
    assert wrong.json()["field"] == "from"
    final = await report(region, centre, kind="final")
    assert final.status_code == 200, final.text
    assert "Участников: 0 педагогов" in flat(" ".join(pdf_pages(final.content)))
    refused = await report(region, headers(portal, Role.CENTRE_HEAD, region, "text/html"))
    assert refused.status_code == 406 and refused.json()["field"] == "Accept"

    # A store whose projection was never built: say so, and what to run.
    store = store_env(f"sqlite:///{tmp_path / 'unprojected.sqlite3'}")
    routes = Routes(store, profiles=catalogue)
    write_demo(routes, "sakha", 1, until=Stage.DESIGN)
    app, _ = direct_app(routes, portal)
    operator = portal.headers(portal.token(Role.OPERATOR, "operator-1")) | {"Accept": PDF}
    try:
        async with serving(app) as client:
            fresh = await client.get("/reports/campaign", headers=operator)
    finally:
        routes.close()
    assert fresh.status_code == 503, fresh.text
    problem = fresh.json()
    assert (problem["type"], problem["rule"]) == (
        "urn:iom:problem:unavailable",
        "projection_not_ready",
    )
    assert "iom projector" in problem["detail"]
    assert "iom projections rebuild monitoring" in problem["detail"]
