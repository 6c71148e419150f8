"""The console's HTTP rules, in process over the demo region: its security headers on every
response, the sign-in cookie, the CSRF check of the forms that change something, the sign-in
page for a missing or expired session, the reach of the search and of a route's pages."""

from __future__ import annotations

import io
import re
import zipfile
from uuid import UUID

import httpx

from aggregates.application import Routes
from aggregates.profiles import Stage
from aggregates.values import Role
from api.app import create_app
from api.console import POLICY
from api.console.session import COOKIE
from projections.checkpoints import write_checkpoint
from tests.api.conftest import Region, serving
from tests.api.support import Portal
from tests.integration.test_audit_truncation import delete_last, execute, rehash_last


async def signed_in(client: httpx.AsyncClient, token: str) -> str:
    """Sign in with `token`; the CSRF token of the session's forms."""
    answer = await client.post("/console/login", data={"token": token})
    assert answer.status_code == 303, answer.text
    assert answer.headers["location"] == "/console/routes"
    page = await client.get("/console/routes")
    assert page.status_code == 200, page.text
    found = re.search(r'name="csrf" value="([0-9a-f]+)"', page.text)
    assert found is not None
    return found.group(1)


def route_links(html: str) -> set[str]:
    """The route ids a search page links to."""
    return set(re.findall(r'href="/console/routes/([0-9a-f-]{36})"', html))


async def test_every_console_response_carries_the_policy(region: Region, portal: Portal) -> None:
    client = region.client
    answers = [
        await client.get("/console"),
        await client.get("/console/login"),
        await client.get("/console/static/console.css"),
        await client.get("/console/routes"),  # no session: a redirect
        await client.post("/console/logout"),  # no session: a redirect
    ]
    await signed_in(client, portal.token(Role.AUDITOR, "auditor-1"))
    route = region.sakha[0]
    answers += [
        await client.get("/console/routes"),
        await client.get(f"/console/routes/{route}"),
        await client.get(f"/console/routes/{route}/state?version=2"),
        await client.get(f"/console/routes/{route}/diff?since=1&until=3"),
        await client.get(f"/console/routes/{route}/verify"),
        await client.get(f"/console/routes/{route}/refusals"),
        await client.get(f"/console/routes/{route}/export"),
        await client.get(f"/console/routes/{region.balakhta[0]}"),  # 404 page
        await client.get(f"/console/routes/{route}/state?version=999"),  # 422 page
        await client.post("/console/logout"),  # 403: no CSRF token
    ]
    for answer in answers:
        assert answer.headers["content-security-policy"] == POLICY, answer.url
        assert answer.headers["x-content-type-options"] == "nosniff"
        assert answer.headers["referrer-policy"] == "same-origin"
    assert [a.status_code for a in answers[-4:]] == [200, 404, 422, 403]
    assert "content-security-policy" not in (await client.get("/health/live")).headers
    for answer in answers:
        if answer.headers.get("content-type", "").startswith("text/html"):
            assert "<script" not in answer.text and "style=" not in answer.text
            assert "<style" not in answer.text


async def test_the_session_cookie_is_strict_and_lives_as_the_token(
    region: Region, portal: Portal
) -> None:
    answer = await region.client.post(
        "/console/login", data={"token": portal.token(Role.AUDITOR, "auditor-1", lifetime=600)}
    )
    cookie = answer.headers["set-cookie"]
    assert cookie.startswith(f"{COOKIE}=")
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie and "Path=/console" in cookie
    age = int(re.search(r"Max-Age=(\d+)", cookie).group(1))  # type: ignore[union-attr]
    assert 590 <= age <= 600
    assert "Secure" not in cookie  # served over http here
    transport = httpx.ASGITransport(app=region.direct.app)
    async with httpx.AsyncClient(transport=transport, base_url="https://api") as secure:
        answer = await secure.post(
            "/console/login", data={"token": portal.token(Role.AUDITOR, "auditor-1")}
        )
    assert answer.status_code == 303
    assert "Secure" in answer.headers["set-cookie"]  # over https, never sent in the clear


async def test_without_a_valid_session_the_login_page_says_why(
    region: Region, portal: Portal
) -> None:
    client = region.client
    answer = await client.get(f"/console/routes/{region.sakha[0]}")
    assert answer.status_code == 303
    assert answer.headers["location"] == "/console/login?reason=signed_out"
    expired = portal.token(Role.AUDITOR, "auditor-1", exp=1_700_000_000, iat=1_699_999_700)
    client.cookies.set(COOKIE, expired, path="/console")
    answer = await client.get("/console/routes")
    assert answer.headers["location"] == "/console/login?reason=expired"
    page = await client.get(answer.headers["location"])
    assert "Срок действия токена истёк" in page.text
    client.cookies.set(COOKIE, "not-a-token", path="/console")
    answer = await client.get("/console/routes")
    assert answer.headers["location"] == "/console/login?reason=invalid"
    refused = await client.post("/console/login", data={"token": expired})
    assert refused.status_code == 401
    assert "Срок действия токена истёк" in refused.text


async def test_a_form_without_its_csrf_token_is_refused_and_changes_nothing(
    region: Region, portal: Portal
) -> None:
    client = region.client
    csrf = await signed_in(client, portal.token(Role.AUDITOR, "auditor-1"))
    for data in ({}, {"csrf": "0" * 64}, {"csrf": csrf[:-1] + ("0" if csrf[-1] != "0" else "1")}):
        answer = await client.post("/console/logout", data=data)
        assert answer.status_code == 403, data
        assert "set-cookie" not in answer.headers
        assert (await client.get("/console/routes")).status_code == 200  # still signed in
    transport = httpx.ASGITransport(app=region.direct.app)
    async with httpx.AsyncClient(transport=transport, base_url="http://api") as other:
        other_csrf = await signed_in(other, portal.token(Role.AUDITOR, "auditor-2"))
    assert other_csrf != csrf
    answer = await client.post("/console/logout", data={"csrf": other_csrf})
    assert answer.status_code == 403  # bound to its own session
    answer = await client.post("/console/logout", data={"csrf": csrf})
    assert answer.status_code == 303
    assert answer.headers["location"] == "/console/login?reason=logged_out"
    assert 'iom_console=""' in answer.headers["set-cookie"]
    client.cookies.clear()
    assert (await client.get("/console/routes")).status_code == 303


async def test_a_login_posted_from_another_site_is_refused(region: Region, portal: Portal) -> None:
    answer = await region.client.post(
        "/console/login",
        data={"token": portal.token(Role.AUDITOR, "auditor-1")},
        headers={"Origin": "https://elsewhere.example"},
    )
    assert answer.status_code == 403
    assert "set-cookie" not in answer.headers


async def test_the_search_holds_to_the_region_and_narrows(region: Region, portal: Portal) -> None:
    client = region.client
    await signed_in(client, portal.token(Role.AUDITOR, "auditor-1"))
    page = await client.get("/console/routes")
    assert route_links(page.text) == {str(i) for i in region.sakha}
    teacher = region.routes.route(region.sakha[2]).teacher_id
    page = await client.get("/console/routes", params={"teacher": teacher})
    assert route_links(page.text) == {str(region.sakha[2])}
    page = await client.get("/console/routes", params={"stage": Stage.DESIGN.value})
    assert route_links(page.text) == set()
    page = await client.get("/console/routes", params={"stage": Stage.IMPLEMENTATION.value})
    assert route_links(page.text) == {str(i) for i in region.sakha}
    page = await client.get("/console/routes", params={"opened_from": "2000-01-01"})
    assert route_links(page.text) == {str(i) for i in region.sakha}
    page = await client.get("/console/routes", params={"opened_to": "2000-01-01"})
    assert route_links(page.text) == set()
    bad = await client.get("/console/routes", params={"opened_to": "вчера"})
    assert bad.status_code == 422 and "открыт по" in bad.text
    route = region.sakha[0]
    for path, field in (
        ("/state?version=0", "поле «версия»"),
        ("/state?version=abc", "поле «версия»"),
        ("/diff?since=1&until=x", "поле «с версией»"),
        ("/diff?since=1", "укажите обе версии"),
        ("/state?at=вчера", "поле «момент»"),
    ):
        bad = await client.get(f"/console/routes/{route}{path}")
        assert bad.status_code == 422, path
        assert bad.headers["content-type"].startswith("text/html") and field in bad.text
    bad = await client.get(f"/console/routes/{route}/state?version=999")
    assert bad.status_code == 422 and "версия ИОМ — от 1 до" in bad.text  # the API's own rule
    balakhta_teacher = region.routes.route(region.balakhta[0]).teacher_id
    page = await client.get("/console/routes", params={"teacher": balakhta_teacher})
    assert route_links(page.text) == set()
    for path in ("", "/state", "/verify", "/refusals", "/export", "/diff?since=1&until=2"):
        answer = await client.get(f"/console/routes/{region.balakhta[0]}{path}")
        assert answer.status_code == 404, path
        assert f"ИОМ {region.balakhta[0]} не найден" in answer.text


async def test_a_school_head_searches_only_their_school(region: Region, portal: Portal) -> None:
    client = region.client
    token = portal.token(Role.SCHOOL_HEAD, "head-2", school="school-sakha-02")
    await signed_in(client, token)
    page = await client.get("/console/routes")
    wanted = {str(i) for i in region.sakha if region.routes.route(i).school_id == "school-sakha-02"}
    assert wanted and route_links(page.text) == wanted
    beyond = await client.get("/console/routes", params={"school": "school-sakha-03"})
    assert beyond.status_code == 403


async def test_the_export_is_the_routes_verifiable_bundle(region: Region, portal: Portal) -> None:
    client = region.client
    await signed_in(client, portal.token(Role.AUDITOR, "auditor-1"))
    route = region.sakha[0]
    answer = await client.get(f"/console/routes/{route}/export")
    assert answer.status_code == 200
    assert answer.headers["content-type"] == "application/zip"
    assert f"iom-{route}-v" in answer.headers["content-disposition"]
    names = zipfile.ZipFile(io.BytesIO(answer.content)).namelist()
    assert "verify.py" in names and "manifest.json" in names


def alter_last(routes: Routes, route_id: UUID) -> int:
    """Change the route's last event in the store without hashing it again; its version."""
    last = routes.history(route_id)[-1]
    stored = routes.mapper.to_stored_event(last.model_copy(update={"command_id": "changed"}))
    table = routes.recorder.events_table_name  # type: ignore[attr-defined]
    execute(
        routes,
        f"UPDATE {table} SET state = %s WHERE originator_id = %s AND originator_version = %s",
        (stored.state, route_id, last.originator_version),
    )
    return last.originator_version


async def test_the_verdict_names_a_tampered_chain(region: Region, portal: Portal) -> None:
    client = region.client
    await signed_in(client, portal.token(Role.AUDITOR, "auditor-1"))
    kept, forged, cut, altered = region.sakha[:4]
    rehash_last(region.routes, forged)
    delete_last(region.routes, cut)
    version = alter_last(region.routes, altered)
    page = await client.get(f"/console/routes/{kept}/verify")
    assert "Цепочка цела" in page.text and "НАРУШЕНА" not in page.text
    page = await client.get(f"/console/routes/{forged}/verify")
    assert "ЦЕПОЧКА НАРУШЕНА" in page.text and "изменено и перехешировано" in page.text
    page = await client.get(f"/console/routes/{cut}/verify")
    assert "ЦЕПОЧКА НАРУШЕНА" in page.text and "события удалены" in page.text
    page = await client.get(f"/console/routes/{altered}/verify")
    assert "ЦЕПОЧКА НАРУШЕНА" in page.text
    assert f"событие {version}: содержимое не совпадает с хешем" in page.text


async def test_the_search_pages_through_the_routes(region: Region, portal: Portal) -> None:
    settings = portal.settings(api_default_page=3)
    app = create_app(settings, region.direct.app.state.services)
    async with serving(app) as client:
        await signed_in(client, portal.token(Role.AUDITOR, "auditor-1"))
        for params in ({}, {"stage": Stage.IMPLEMENTATION.value}):
            seen: list[str] = []
            page = await client.get("/console/routes", params=params)
            while True:
                links = route_links(page.text)
                assert 1 <= len(links) <= 3
                seen += links
                found = re.search(r'href="(/console/routes\?[^"]*cursor=[^"]+)"', page.text)
                if found is None:
                    break
                page = await client.get(found.group(1).replace("&amp;", "&"))
                assert page.status_code == 200, page.text
            assert sorted(seen) == sorted(str(i) for i in region.sakha)
        first = await client.get("/console/routes", params={"stage": Stage.IMPLEMENTATION.value})
        found_cursor = re.search(r"cursor=([^\"&]+)", first.text)
        assert found_cursor is not None
        moved = await client.get("/console/routes", params={"cursor": found_cursor.group(1)})
        assert moved.status_code == 422  # a cursor moves only within its own narrowing


async def test_the_verdict_checks_the_checkpoints_signature_with_the_audit_key(
    region: Region, portal: Portal
) -> None:
    with region.direct.app.state.services.audit.transaction(commit=True) as db:
        write_checkpoint(db, b"the-key-that-signed")
    route = region.sakha[0]
    for key, verdict in (
        (None, "Подпись контрольной точки 1 не проверена"),
        ("the-key-that-signed", "Цепочка цела"),
        ("another-key", "не сходится подпись контрольной точки 1"),
    ):
        app = create_app(portal.settings(audit_key=key), region.direct.app.state.services)
        async with serving(app) as client:
            await signed_in(client, portal.token(Role.AUDITOR, "auditor-1"))
            page = await client.get(f"/console/routes/{route}/verify")
        assert verdict in page.text, key
        assert ("ЦЕПОЧКА НАРУШЕНА" in page.text) == (key == "another-key")
