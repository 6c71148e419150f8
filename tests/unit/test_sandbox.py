"""The modules the worker passes through the workflow sandbox are shared by every workflow
instance of the process: none may hold a container a workflow could change."""

from __future__ import annotations

import importlib
import pkgutil
from types import ModuleType

from workers.temporal import PASSED_THROUGH, WORKFLOWS

MUTABLE = (list, dict, set, bytearray)


def modules(name: str) -> list[ModuleType]:
    """The package `name` and every module under it."""
    package = importlib.import_module(name)
    found = [package]
    for info in pkgutil.walk_packages(getattr(package, "__path__", []), f"{name}."):
        found.append(importlib.import_module(info.name))
    return found


def test_the_modules_passed_through_hold_no_mutable_state() -> None:
    shared = [
        f"{module.__name__}.{attribute}"
        for name in PASSED_THROUGH
        for module in modules(name)
        for attribute, value in vars(module).items()
        if not attribute.startswith("__") and isinstance(value, MUTABLE)
    ]
    assert not shared, f"a container every workflow instance would share: {shared}"


def test_the_workflows_are_among_them() -> None:
    assert {workflow.__module__.split(".")[0] for workflow in WORKFLOWS} <= set(PASSED_THROUGH)
