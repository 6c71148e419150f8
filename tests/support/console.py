"""The console as a person's browser meets it: the app served by uvicorn on a free port (in a
thread of the test), and Debian's chromium driven by Playwright with every name but 127.0.0.1
unresolvable (`tests.support.browser.OFFLINE`): nothing is downloaded, nothing loads from
outside."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import uvicorn
from fastapi import FastAPI
from playwright.sync_api import Browser, sync_playwright

from tests.support.browser import OFFLINE, chromium
from tests.support.servers import free_port


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
