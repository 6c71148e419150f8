"""Debian's headless Chromium as a person's browser, cut off from everything but this machine."""

from __future__ import annotations

import shutil
import subprocess

OFFLINE = "MAP * ~NOTFOUND , EXCLUDE 127.0.0.1"
"""Host resolver rules under which no name resolves: a page's CDN scripts fail to load here
exactly as they would inside a region's closed network."""


def chromium() -> str:
    """The browser's path (`.ci/run` installs Debian's `chromium`)."""
    found = shutil.which("chromium")
    assert found is not None, "Debian's chromium is not installed (apt-get install chromium)"
    return found


def rendered_dom(url: str, *, budget_ms: int = 20_000) -> str:
    """The page's DOM once its scripts have run, loaded with the network off."""
    done = subprocess.run(
        [
            chromium(),
            "--headless",
            "--no-sandbox",  # the tests run as root in CI
            "--disable-gpu",
            "--no-first-run",
            f"--host-resolver-rules={OFFLINE}",
            f"--virtual-time-budget={budget_ms}",
            "--dump-dom",
            url,
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    return done.stdout
