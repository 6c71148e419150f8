"""The regulations over HTTP: the editions a deployment knows, and one edition whole, as the
route pinning it holds it."""

from __future__ import annotations

import pytest

from aggregates.profiles import Profile, ProfileCatalogue, Stage
from aggregates.values import Role
from tests.api.conftest import Direct
from tests.api.support import Portal
from tests.support.profiles import REGIONS


def teacher(portal: Portal) -> dict[str, str]:
    """Any portal user may read the regulations: a teacher of another region, say."""
    token = portal.token(Role.TEACHER, "portal-user-1", "balakhta", teacher_id="teacher-1")
    return portal.headers(token)


async def test_every_edition_the_deployment_knows_is_listed(
    direct: Direct, portal: Portal, catalogue: ProfileCatalogue
) -> None:
    answer = await direct.client.get("/regulations", headers=teacher(portal))
    assert answer.status_code == 200, answer.text
    listed = {(item["id"], item["version"]): item for item in answer.json()["items"]}
    assert set(listed) == {(p.id, p.version) for p in catalogue.editions()}
    sakha = catalogue.latest("sakha")
    assert listed[("sakha", sakha.version)]["href"] == f"/regulations/sakha/{sakha.version}"
    assert listed[("sakha", sakha.version)]["region"] == sakha.region


@pytest.mark.parametrize("region", REGIONS)
async def test_an_edition_is_the_profile_a_route_pins(
    direct: Direct, portal: Portal, catalogue: ProfileCatalogue, region: str
) -> None:
    edition = catalogue.latest(region)
    answer = await direct.client.get(edition_path(edition), headers=teacher(portal))
    assert answer.status_code == 200, answer.text
    assert Profile.model_validate(answer.json()) == edition
    assert answer.json()["stage_names"]["agreement"] == edition.stage_names[Stage.AGREEMENT]


def edition_path(edition: Profile) -> str:
    return f"/regulations/{edition.id}/{edition.version}"


async def test_an_unchanged_edition_answers_not_modified(
    direct: Direct, portal: Portal, catalogue: ProfileCatalogue
) -> None:
    headers = teacher(portal)
    sakha, balakhta = catalogue.latest("sakha"), catalogue.latest("balakhta")
    first = await direct.client.get(edition_path(sakha), headers=headers)
    tag = first.headers["ETag"]
    again = await direct.client.get(edition_path(sakha), headers={**headers, "If-None-Match": tag})
    assert (again.status_code, again.content, again.headers["ETag"]) == (304, b"", tag)
    other = await direct.client.get(
        edition_path(balakhta), headers={**headers, "If-None-Match": tag}
    )
    assert other.status_code == 200
    assert other.headers["ETag"] != tag


async def test_an_unknown_edition_is_a_problem_and_a_token_is_needed(
    direct: Direct, portal: Portal
) -> None:
    missing = await direct.client.get("/regulations/sakha/999", headers=teacher(portal))
    assert missing.status_code == 404
    assert missing.headers["content-type"] == "application/problem+json"
    assert "999" in missing.json()["detail"]
    anonymous = await direct.client.get("/regulations")
    assert anonymous.status_code == 401


async def test_a_routes_answer_links_the_edition_it_follows(direct: Direct, portal: Portal) -> None:
    _, route_id = direct.route_in_agreement()
    pinned = direct.routes.route(route_id).profile
    headers = portal.headers(portal.token(Role.CENTRE_HEAD, "centre-head-sakha", "sakha"))
    route = await direct.client.get(f"/routes/{route_id}", headers=headers)
    assert route.status_code == 200, route.text
    assert route.json()["regulation"] == edition_path(pinned)
    edition = await direct.client.get(route.json()["regulation"], headers=teacher(portal))
    assert Profile.model_validate(edition.json()) == pinned
