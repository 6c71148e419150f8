"""The console in a real browser (Debian's chromium under Playwright, the network cut to
127.0.0.1) over the API on PostgreSQL with demo routes of two regions: an auditor signs in with
a portal token, finds a route, reads its timeline, picks a version and a moment, compares two
versions, verifies the chain and downloads the bundle; another region's route never appears;
the main pages pass axe-core's accessibility rules. Screenshots are kept as test artefacts."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from uuid import UUID
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import Page, expect

from adapters.bundle import check_bundle
from aggregates.application import Routes
from aggregates.profiles import ProfileCatalogue, Stage
from aggregates.values import Role
from projections.catalog import PROJECTIONS, catch_up
from projections.refusals import record_refusal
from runtime.settings import store_env
from tests.api.conftest import direct_app
from tests.api.support import Portal
from tests.support.accessibility import violations
from tests.support.artifacts import artifacts
from tests.support.console import offline_browser, served, shot, sign_in, watched
from workers.demo import write_demo


@dataclass
class Console:
    """The console served over demo routes: three of Sakha, two of Balakhta."""

    base: str
    routes: Routes
    sakha: list[UUID]
    balakhta: list[UUID]


@pytest.fixture
def console(pg_url: str, portal: Portal, catalogue: ProfileCatalogue) -> Iterator[Console]:
    routes = Routes(store_env(pg_url), profiles=catalogue)
    try:
        sakha = write_demo(routes, "sakha", 3, until=Stage.IMPLEMENTATION)
        balakhta = write_demo(routes, "balakhta", 2, until=Stage.IMPLEMENTATION)
        record_refusal(
            routes,
            route_id=sakha[0],
            refused_at=datetime.now(UTC),
            actor_id="teacher-x",
            role=Role.TEACHER.value,
            command="approve_route",
            rule="role",
            message="утверждает ИОМ руководитель ЦНППМ",
            command_id="cmd-refused-1",
        )
        for name in PROJECTIONS:
            catch_up(routes, name)
        app, _ = direct_app(routes, portal)
        with served(app) as base:
            yield Console(base, routes, sakha, balakhta)
    finally:
        routes.close()


@pytest.fixture
def page(console: Console) -> Iterator[Page]:
    """A fresh page of the offline browser; no page may break the CSP or leave the server."""
    with offline_browser() as browser, watched(browser, console.base) as opened:
        yield opened


def test_an_auditor_finds_reads_verifies_and_exports_a_route(
    console: Console, page: Page, portal: Portal
) -> None:
    sign_in(page, console.base, portal.token(Role.AUDITOR, "auditor-1"))
    links = page.locator("a[href^='/console/routes/']")
    expect(links).to_have_count(3)
    shot(page, "02-search")

    chosen = console.routes.route(console.sakha[1])
    page.get_by_label("Педагог (идентификатор)").fill(chosen.teacher_id)
    page.get_by_role("button", name="Найти").click()
    expect(links).to_have_count(1)
    links.first.click()
    expect(page).to_have_url(f"{console.base}/console/routes/{chosen.id}")
    expect(page.get_by_role("heading", level=1)).to_contain_text(str(chosen.id))
    rows = page.locator("table.timeline tbody tr")
    expect(rows).to_have_count(chosen.version)
    expect(rows.first).to_contain_text("ИОМ открыт")
    zone = ZoneInfo(chosen.profile.time_zone)
    opened = chosen.created_on.astimezone(zone).strftime("%d.%m.%Y %H:%M")
    expect(rows.first).to_contain_text(opened)  # the time in the region
    history = console.routes.history(chosen.id)
    expect(rows.first).to_contain_text(history[0].command_id)
    shot(page, "03-timeline")

    page.get_by_label(re.compile("^Версия")).fill("3")
    page.get_by_role("button", name="Показать ИОМ в этой версии").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("версия 3")
    expect(page.get_by_role("status")).to_contain_text("ИОМ в версии 3")
    shot(page, "04-state-at-version")

    page.go_back()
    moment = history[1].timestamp.replace(microsecond=0) + timedelta(seconds=1)  # the picker's
    then = sum(event.timestamp <= moment for event in history)  # events up to that second
    page.get_by_label(re.compile("^Момент")).fill(f"{moment.astimezone(zone):%Y-%m-%dT%H:%M:%S}")
    page.get_by_role("button", name="Показать ИОМ на этот момент").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(f"версия {then}")
    expect(page.get_by_role("status")).to_contain_text("ИОМ на момент")

    page.go_back()
    page.get_by_label("Сравнить версию").fill("1")
    page.get_by_label("с версией").fill(str(chosen.version))
    page.get_by_role("button", name="Сравнить").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(
        f"версия 1 против версии {chosen.version}"
    )
    changed = page.locator("tbody tr")
    expect(changed.filter(has_text="Этап ИОМ")).to_have_count(1)
    expect(changed.filter(has_text="Закреплённый методист")).to_have_count(1)
    shot(page, "05-diff")

    page.get_by_role("link", name="Проверка цепочки").click()
    expect(page.get_by_role("status")).to_contain_text(f"Цепочка цела: {chosen.version} событий")
    shot(page, "06-verify")

    with page.expect_download() as waiting:
        page.get_by_role("link", name="Выгрузить пакет (.zip)").click()
    download = waiting.value
    kept = artifacts("console") / download.suggested_filename
    download.save_as(kept)
    report = check_bundle(kept)
    assert report.intact and report.route_id == str(chosen.id)
    assert report.head_version == chosen.version

    page.goto(f"{console.base}/console/routes/{console.sakha[0]}/refusals")
    expect(page.locator("tbody tr")).to_have_count(1)
    expect(page.locator("tbody tr")).to_contain_text("утверждает ИОМ руководитель ЦНППМ")
    shot(page, "07-refusals")


def test_another_regions_route_never_appears(console: Console, page: Page, portal: Portal) -> None:
    sign_in(page, console.base, portal.token(Role.AUDITOR, "auditor-1"))
    hidden = console.routes.route(console.balakhta[0])
    for found in page.locator("a[href^='/console/routes/']").all():
        assert str(hidden.id) not in (found.get_attribute("href") or "")
    page.get_by_label("Педагог (идентификатор)").fill(hidden.teacher_id)
    page.get_by_role("button", name="Найти").click()
    expect(page.get_by_text("Ни одного ИОМ не найдено.")).to_be_visible()
    answer = page.goto(f"{console.base}/console/routes/{hidden.id}")
    assert answer is not None and answer.status == 404
    expect(page.get_by_role("alert")).to_have_text(f"ИОМ {hidden.id} не найден")
    shot(page, "08-other-region")
    answer = page.goto(f"{console.base}/console/routes/{hidden.id}/export")
    assert answer is not None and answer.status == 404


def test_the_main_pages_pass_the_accessibility_check(
    console: Console, page: Page, portal: Portal
) -> None:
    route = console.sakha[0]
    page.goto(f"{console.base}/console/login")
    pages = {"login": page.url}
    sign_in(page, console.base, portal.token(Role.AUDITOR, "auditor-1"))
    last = console.routes.route(route).version
    pages |= {
        "search": f"{console.base}/console/routes",
        "timeline": f"{console.base}/console/routes/{route}",
        "state": f"{console.base}/console/routes/{route}/state?version=2",
        "diff": f"{console.base}/console/routes/{route}/diff?since=1&until={last}",
        "verify": f"{console.base}/console/routes/{route}/verify",
        "refusals": f"{console.base}/console/routes/{route}/refusals",
        "not-found": f"{console.base}/console/routes/{console.balakhta[0]}",
        "charts": f"{console.base}/console/charts",
    }
    found = {}
    for name, url in pages.items():
        page.goto(url)
        assert page.locator("html").get_attribute("lang") == "ru", name
        found[name] = violations(page)
    assert found == {name: [] for name in pages}


def test_the_centre_head_sees_the_regions_charts_drawn(
    console: Console, page: Page, portal: Portal
) -> None:
    sign_in(page, console.base, portal.token(Role.CENTRE_HEAD, "head-1"))
    page.get_by_role("link", name="Графики региона").click()
    expect(page).to_have_url(f"{console.base}/console/charts")
    images = page.locator("section.chart img")
    expect(images.first).to_be_visible()
    for image in images.all():
        image.scroll_into_view_if_needed()
        expect(image).to_have_js_property("complete", True)
        assert image.evaluate("img => img.naturalWidth") > 500, image.get_attribute("src")
    load = page.locator("section#load")
    load.get_by_text("Данные графика").click()
    expect(load.get_by_role("table")).to_contain_text("норма методиста")
    shot(page, "09-charts")
    with page.expect_download() as waited:
        load.get_by_role("link", name="CSV").click()
    assert waited.value.suggested_filename.startswith("load-sakha-")
