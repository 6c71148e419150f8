"""The console as a person's browser meets it: the app served by uvicorn on a free port (in a
thread of the test, or on its event loop), and Debian's chromium driven by Playwright with every
name but 127.0.0.1 unresolvable (`tests.support.browser.OFFLINE`): nothing is downloaded,
nothing loads from outside."""

from __future__ import annotations

import asyncio
import re
import threading
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager

import uvicorn
from fastapi import FastAPI
from playwright.sync_api import Browser, Page, expect, sync_playwright

from tests.support.artifacts import artifacts
from tests.support.browser import OFFLINE, chromium
from tests.support.servers import free_port
from tests.support.waiting import until


@contextmanager
def served(app: FastAPI) -> Iterator[str]:
    """`app` served by uvicorn on a free port of 127.0.0.1 until the end; its base URL."""
    port = free_port()
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name="console-uvicorn", daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + 30
        while not server.started:
            assert thread.is_alive() and time.monotonic() < deadline, "uvicorn did not start"
            time.sleep(0.05)  # the server binds its socket on its own thread
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=30)


@asynccontextmanager
async def served_here(app: FastAPI) -> AsyncIterator[str]:
    """`app` served by uvicorn on a free port of 127.0.0.1, on the test's own event loop (an
    app whose Temporal client and worker live on it); its base URL."""
    port = free_port()
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning")
    server = uvicorn.Server(config)
    serving = asyncio.create_task(server.serve())
    try:

        async def started() -> bool:
            assert not serving.done(), "uvicorn did not start"
            return server.started

        await until(started, 30)
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await serving


@contextmanager
def offline_browser() -> Iterator[Browser]:
    """Debian's headless chromium under Playwright, every name but 127.0.0.1 unresolvable."""
    with sync_playwright() as driver:
        browser = driver.chromium.launch(
            executable_path=chromium(),
            args=["--no-sandbox", f"--host-resolver-rules={OFFLINE}"],  # root in CI
        )
        try:
            yield browser
        finally:
            browser.close()


@contextmanager
def watched(browser: Browser, base: str) -> Iterator[Page]:
    """A fresh page of `browser`; at the end, no page may have broken the console's
    Content-Security-Policy or asked anything of another server than `base`."""
    context = browser.new_context(accept_downloads=True, locale="ru-RU")
    opened = context.new_page()
    broken: list[str] = []
    outside: list[str] = []
    opened.on("console", lambda m: broken.append(m.text) if "Policy" in m.text else None)
    opened.on("request", lambda r: None if r.url.startswith(base) else outside.append(r.url))
    yield opened
    context.close()
    assert broken == [], broken  # nothing the Content-Security-Policy refused
    assert outside == [], outside  # nothing asked of anyone but the console


def shot(page: Page, name: str) -> None:
    """A screenshot of the whole page, kept as a test artefact."""
    page.screenshot(path=artifacts("console") / f"{name}.png", full_page=True)


def sign_in(page: Page, base: str, token: str) -> None:
    """Sign in to the console at `base` with `token`, through its sign-in page."""
    page.goto(f"{base}/console/routes")
    expect(page).to_have_url(re.compile(r"/console/login\?reason=signed_out$"))
    expect(page.get_by_role("status")).to_contain_text("Войдите в консоль")
    shot(page, "01-login")
    page.get_by_label("Токен, выданный порталом").fill(token)
    page.get_by_role("button", name="Войти").click()
    expect(page).to_have_url(f"{base}/console/routes")
