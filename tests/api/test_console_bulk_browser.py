"""The console's bulk operations and workflow incidents in a real browser (Debian's chromium
under Playwright, the network cut to 127.0.0.1) on the real stack (PostgreSQL, the Temporal dev
server, a worker in process) with demo routes of two regions: an operator composes a pause of
the region's routes in agreement, previews it, runs it and sees its report (each route linked
to its timeline, the CSV downloaded); a running operation's page follows its progress by itself
(no reload); a route workflow terminated is repaired by its button; another region's incident
never appears; each page passes axe-core's accessibility rules. Screenshots are kept.

The app is served on the test's event loop (its Temporal client and the worker live there), and
the browser, driven by Playwright's synchronous API, runs in a thread of its own."""

from __future__ import annotations

import asyncio
import csv
import re
from collections.abc import Coroutine
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from playwright.sync_api import Page, expect

from aggregates.operation import Operation
from aggregates.profiles import Stage
from aggregates.values import Role
from projections.catalog import catch_up
from runtime.operations import OperationDesk
from tests.api.support import Portal
from tests.api.test_console_bulk import stack_app
from tests.support.accessibility import violations
from tests.support.artifacts import artifacts
from tests.support.console import offline_browser, served_here, shot, sign_in, watched
from tests.support.waiting import until
from tests.workflows.conftest import Stack
from tests.workflows.test_ops import submitted_route
from workers.demo import write_demo

WAIT = 90_000  # milliseconds a page may take to show an operation's end


@dataclass
class Scene:
    """What the browser's thread needs: the console, the routes, and a way to run a coroutine
    on the test's event loop."""

    base: str
    token: str
    running: list[UUID]
    terminated: UUID
    theirs: UUID
    desk: OperationDesk
    loop: asyncio.AbstractEventLoop

    def await_(self, coroutine: Coroutine[Any, Any, Any]) -> Any:
        """Run `coroutine` on the test's loop and wait for its result."""
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result(timeout=60)


def accessible(page: Page) -> None:
    """The page passes axe-core's rules and is in Russian."""
    assert page.locator("html").get_attribute("lang") == "ru"
    assert violations(page) == [], page.url


def operate(page: Page, scene: Scene) -> None:
    """The operator's whole visit (in the browser's thread)."""
    sign_in(page, scene.base, scene.token)
    page.get_by_role("link", name="Массовые операции").click()
    expect(page).to_have_url(f"{scene.base}/console/bulk")
    expect(page.get_by_text("Массовых операций в регионе ещё не было.")).to_be_visible()
    accessible(page)

    page.get_by_role("link", name="Новая операция").click()
    page.get_by_label("Действие").select_option(label="Приостановка ИОМ")
    page.get_by_role("button", name="Выбрать действие").click()
    page.get_by_label("Этап ИОМ").select_option(label="согласование и утверждение")
    page.get_by_label("Причина (записывается в каждый ИОМ)").fill("Каникулы педагогов")
    page.get_by_label("Заявка").fill("OPS-80")
    accessible(page)
    shot(page, "20-bulk-compose")
    page.get_by_role("button", name="Предпросмотр").click()

    expect(page.get_by_role("status")).to_have_text("ИОМ под фильтром: 3. Ничего ещё не изменено.")
    sample = page.locator("table.sample tbody tr")
    expect(sample).to_have_count(3)
    expect(sample.filter(has_text="будет применено")).to_have_count(3)
    accessible(page)
    shot(page, "21-bulk-preview")
    page.get_by_role("button", name="Выполнить для 3 ИОМ").click()

    expect(page).to_have_url(re.compile(r"/console/bulk/[0-9a-f-]{36}$"))
    counts = page.locator(".counts")
    expect(counts).to_have_text(
        "Завершена: применено 3, отклонено 0, пропущено 0, осталось 0 из 3.", timeout=WAIT
    )
    rows = page.locator("table.report tbody tr")
    expect(rows).to_have_count(3)
    for route_id in scene.running:
        link = rows.get_by_role("link", name=str(route_id))
        expect(link).to_have_attribute("href", f"/console/routes/{route_id}")
    accessible(page)
    shot(page, "22-bulk-report")
    with page.expect_download() as waited:
        page.get_by_role("link", name="Скачать итог (CSV)").click()
    kept = artifacts("console") / waited.value.suggested_filename
    waited.value.save_as(kept)
    with kept.open(encoding="utf-8-sig") as file:
        report = list(csv.reader(file, delimiter=";"))
    assert sorted(r[:2] for r in report[1:]) == sorted([str(r), "применено"] for r in scene.running)
    rows.get_by_role("link", name=str(scene.running[0])).click()
    expect(page.locator("table.timeline tbody tr").last).to_contain_text("OPS-80")

    follow(page, scene)
    repair(page, scene)


def follow(page: Page, scene: Scene) -> None:
    """An operation not yet driven: its page shows it running, then, once it is driven, its
    end, the page never loaded again (the progress read by `static/progress.js`)."""
    waiting = Operation(
        operation_id=UUID(int=81),
        action="resume",
        params={},
        query={"region": "sakha", "route_ids": [str(r) for r in scene.running]},
        route_ids=[str(r) for r in scene.running],
        operator_id="operator-sakha",
        reason="Каникулы окончены",
        ticket="OPS-81",
    )
    scene.desk.operations.start(waiting)
    page.goto(f"{scene.base}/console/bulk/{waiting.id}")
    counts = page.locator(".counts")
    expect(counts).to_have_text("Идёт: применено 0, отклонено 0, пропущено 0, осталось 3 из 3.")
    page.evaluate("window.unreloaded = true")
    scene.await_(scene.desk.drive(waiting.id))
    expect(counts).to_have_text(
        "Завершена: применено 3, отклонено 0, пропущено 0, осталось 0 из 3.", timeout=WAIT
    )
    assert page.evaluate("window.unreloaded") is True
    shot(page, "23-bulk-followed")


def repair(page: Page, scene: Scene) -> None:
    """A route's workflow terminated, then repaired by its button; another region's broken
    route (a demo route without a workflow) never shown."""
    scene.await_(scene.desk.gateway.stop(scene.terminated, "сбой узла"))

    async def listed() -> bool:
        found = {i.route_id for i in await scene.desk.incidents()}
        return found == {scene.terminated, scene.theirs}

    scene.await_(until(listed, 60))
    page.get_by_role("link", name="Сломанные процессы").click()
    expect(page).to_have_url(f"{scene.base}/console/incidents")
    rows = page.locator("tbody tr")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("процесс прерван")
    expect(rows.first).to_contain_text("сбой узла")
    assert str(scene.theirs) not in page.content()
    accessible(page)
    shot(page, "24-incidents")
    page.get_by_label("Причина исправления").fill("Сбой узла")
    page.get_by_label("Заявка").fill("OPS-82")
    page.get_by_role("button", name=f"Исправить процесс ИОМ {scene.terminated}").click()
    expect(page).to_have_url(re.compile(r"/console/bulk/[0-9a-f-]{36}$"))
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Операция «Восстановление процесса ИОМ»"
    )
    expect(page.locator(".counts")).to_have_text(
        "Завершена: применено 1, отклонено 0, пропущено 0, осталось 0 из 1.", timeout=WAIT
    )
    expect(page.locator("table.report")).to_contain_text("процесс ИОМ запущен заново")
    shot(page, "25-incident-repaired")


def visit(scene: Scene) -> None:
    """The browser's thread."""
    with offline_browser() as browser, watched(browser, scene.base) as page:
        operate(page, scene)


async def test_an_operator_runs_an_operation_and_repairs_an_incident_in_the_browser(
    dev_stack: Stack, portal: Portal
) -> None:
    stack = dev_stack
    running = [(await submitted_route(stack, index))[1] for index in (121, 122, 123)]
    (theirs,) = write_demo(stack.routes, "balakhta", 1, until=Stage.AGREEMENT, first=221)
    catch_up(stack.routes, "monitoring")
    desk = OperationDesk(stack.gateway, stack.operations)
    async with served_here(stack_app(stack, portal)) as base:
        token = portal.token(Role.OPERATOR, "operator-sakha")
        loop = asyncio.get_running_loop()
        scene = Scene(base, token, running, running[-1], theirs, desk, loop)
        await asyncio.to_thread(visit, scene)
