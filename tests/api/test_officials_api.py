"""The officials' registry and the documents' proofs through the API: `PUT/GET/DELETE
/officials/{id}` for the operator and the centre head, the names on the route's documents, the
erasure recorded and the placeholder after it; and `GET /audit/documents/{code}` for the roles
that check the region's records."""

from __future__ import annotations

from uuid import UUID

import pytest

from adapters.document_code import DocumentCode
from aggregates.values import Role
from api.portal_tokens import PORTAL_ROLES, SCHOOL_ROLES
from projections.documents import route_document
from projections.documents.signatures import NAME_ERASED
from tests.api.conftest import Region
from tests.api.support import Portal
from tests.support.documents import flat, pdf_pages

CARD = {
    "full_name": "Петрова Анна Сергеевна",
    "position": "региональный методист",
    "organisation": "ЦНППМ ИРОиПК",
}


def as_role(portal: Portal, role: Role, subject: str = "") -> dict[str, str]:
    """A Sakha token of `role` (a school's role names a school)."""
    school = "school-sakha-02" if role in SCHOOL_ROLES else None
    teacher = "teacher-sakha-00001" if role is Role.TEACHER else None
    token = portal.token(
        role, subject or f"{role.value}-1", "sakha", school=school, teacher_id=teacher
    )
    return portal.headers(token)


async def test_the_registry_is_kept_by_the_operator_and_the_centre_head(
    region: Region, portal: Portal
) -> None:
    route = region.routes.route(region.sakha[0])
    methodist = route.methodist_id
    assert methodist is not None
    operator = as_role(portal, Role.OPERATOR)
    put = await region.client.put(f"/officials/{methodist}", json=CARD, headers=operator)
    assert put.status_code == 200, put.text
    assert put.json() == {"official_id": methodist, "card": CARD}
    assert put.headers["cache-control"] == "no-store"
    again = await region.client.put(f"/officials/{methodist}", json=CARD, headers=operator)
    assert again.json() == put.json()  # a retried write changes nothing

    for role in PORTAL_ROLES:
        got = await region.client.get(f"/officials/{methodist}", headers=as_role(portal, role))
        allowed = role in (Role.OPERATOR, Role.CENTRE_HEAD)
        assert got.status_code == (200 if allowed else 403), (role, got.text)
        if not allowed:
            assert "ведут оператор и руководитель ЦНППМ" in got.json()["detail"]
    refused = await region.client.put(
        f"/officials/{methodist}", json=CARD, headers=as_role(portal, Role.METHODIST, methodist)
    )
    assert refused.status_code == 403
    bad = await region.client.put(
        f"/officials/{methodist}", json={**CARD, "full_name": ""}, headers=operator
    )
    assert bad.status_code == 422 and "full_name" in bad.text
    missing = await region.client.get("/officials/nobody-1", headers=operator)
    assert missing.status_code == 404

    # The route's documents print the name; never the id.
    centre = as_role(portal, Role.CENTRE_HEAD)
    karta = await region.client.get(
        f"/routes/{route.id}/documents/karta", headers=centre | {"Accept": "application/pdf"}
    )
    text = flat(" ".join(pdf_pages(karta.content)))
    assert "Петрова А. С., региональный методист, ЦНППМ ИРОиПК" in text
    assert methodist not in text

    unprintable = await region.client.delete(
        f"/officials/{methodist}", params={"reason": "\u058b"}, headers=centre
    )
    assert unprintable.status_code == 422, unprintable.text
    assert (unprintable.json()["field"], unprintable.json()["rule"]) == (
        "reason",
        "text_unprintable",
    )
    still = await region.client.get(f"/officials/{methodist}", headers=operator)
    assert still.status_code == 200  # nothing erased
    erased = await region.client.delete(
        f"/officials/{methodist}", params={"reason": "заявление № 17"}, headers=centre
    )
    assert erased.status_code == 200, erased.text
    record = erased.json()
    assert record["subject_id"] == methodist and record["actor"] == {
        "id": "centre_head-1",
        "role": "centre_head",
    }
    assert record["reason"] == "заявление № 17"
    gone = await region.client.get(f"/officials/{methodist}", headers=operator)
    assert gone.status_code == 410 and "152-ФЗ" in gone.json()["detail"]
    rewrite = await region.client.put(f"/officials/{methodist}", json=CARD, headers=operator)
    assert rewrite.status_code == 410
    karta = await region.client.get(
        f"/routes/{route.id}/documents/karta", headers=centre | {"Accept": "application/pdf"}
    )
    text = flat(" ".join(pdf_pages(karta.content)))
    assert f"Региональный методист __________ / {NAME_ERASED} /" in text
    assert "Петрова" not in text and methodist not in text


@pytest.mark.parametrize("role", PORTAL_ROLES)
async def test_auditors_check_a_paper_by_its_code(
    region: Region, portal: Portal, role: Role
) -> None:
    route_id = region.sakha[0]
    route = region.routes.route(route_id)
    old = route_document(region.routes, route_id, "karta", version=5)
    answer = await region.client.get(f"/audit/documents/{old.code}", headers=as_role(portal, role))
    if role not in (Role.AUDITOR, Role.OPERATOR, Role.CENTRE_HEAD):
        assert answer.status_code == 403
        return
    assert answer.status_code == 200, answer.text
    found = answer.json()
    assert (found["matches"], found["version"], found["current_version"]) == (
        True,
        5,
        route.version,
    )
    assert found["message"].startswith(f"документ соответствует версии 5 ИОМ {route_id}")

    forged = DocumentCode(route_id, 5, "0" * 10).text
    answer = await region.client.get(f"/audit/documents/{forged}", headers=as_role(portal, role))
    assert answer.status_code == 200 and answer.json()["matches"] is False
    assert "не совпадает" in answer.json()["message"]
    typo = old.code[:-1] + ("0" if old.code[-1] != "0" else "1")
    answer = await region.client.get(f"/audit/documents/{typo}", headers=as_role(portal, role))
    assert answer.status_code == 422 and answer.json()["field"] == "code"
    # Another region's route answers as a route that does not exist: 404, naming none.
    other = region.balakhta[0]
    elsewhere = route_document(region.routes, other, "balakhta").code
    nowhere = DocumentCode(UUID(int=7), 1, "0" * 10).text
    for code in (elsewhere, nowhere):
        answer = await region.client.get(f"/audit/documents/{code}", headers=as_role(portal, role))
        assert answer.status_code == 404 and str(other) not in answer.text
