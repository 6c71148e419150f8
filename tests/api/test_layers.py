"""Imports flow one way: api/ uses the layers below it, none of them uses api/ (the `iom api`
command, which serves the app, is the one exception; bench/ sits above everything it measures)."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
BELOW = ("aggregates", "activities", "workflows", "projections", "workers")
ALLOWED = {ROOT / "workers" / "cli" / "api.py"}


def imported(path: Path) -> set[str]:
    """The top-level packages a module imports."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.add(node.module.split(".")[0])
    return found


def test_no_layer_below_imports_the_api() -> None:
    offenders = [
        str(path.relative_to(ROOT))
        for folder in BELOW
        for path in sorted((ROOT / folder).rglob("*.py"))
        if path not in ALLOWED and {"api", "fastapi"} & imported(path)
    ]
    assert offenders == []
