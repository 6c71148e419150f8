"""An accessibility check of a page in the browser by axe-core, the stock checker, shipped
inside the `axe-playwright-python` wheel (nothing downloads): labels of form controls, the
page's language, heading order, text contrast (≥ 4.5:1, computed from the page's CSS colours
as the browser resolved them) and the rest of its WCAG 2 A/AA and best-practice rules."""

from __future__ import annotations

from typing import Any

from axe_playwright_python.sync_playwright import Axe  # type: ignore[import-untyped]
from playwright.sync_api import Page

RULES = ("label", "html-has-lang", "html-lang-valid", "heading-order", "color-contrast")
"""The rules the console's brief names; each must have run and passed."""


def violations(page: Page) -> list[dict[str, Any]]:
    """axe-core's violations on the page (every rule it runs by default), each with the
    rule's id and the offending elements; the named `RULES` asserted to have been run."""
    results = Axe().run(page, options={"resultTypes": ["violations", "passes"]})
    response: dict[str, Any] = results.response
    kinds = ("passes", "violations", "inapplicable", "incomplete")
    ran = {rule["id"] for kind in kinds for rule in response.get(kind, [])}
    missing = [rule for rule in RULES if rule not in ran]
    assert not missing, f"axe did not run {missing}"
    return [
        {"id": v["id"], "help": v["help"], "nodes": [n["html"] for n in v["nodes"]]}
        for v in response["violations"]
    ]
