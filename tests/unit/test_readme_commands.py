"""Every `iom …` the README shows names a command that exists, with options it has: the docs
cannot drift from the command line. (The tour and the Quickstart are run for real in
tests/workflows/test_readme.py.)"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import typer.main

from workers.cli import app

README = Path(__file__).parents[2] / "README.md"
CODE = re.compile(r"```[a-z]*\n(.*?)```|`([^`\n]+)`", flags=re.DOTALL)
USE = re.compile(r"(?:^|[\s/(=$])iom ([a-z].*)")
SHELL_END = re.compile(r"\s(?:\||&&|;|\)|#|>)\s|\)$|\)\s|\"")


def usages() -> list[str]:
    """Each `iom …` in the README's code, up to the end of its shell command."""
    found = []
    for block, span in CODE.findall(README.read_text(encoding="utf-8")):
        for line in (block or span).splitlines():
            for match in USE.finditer(line):
                found.append(SHELL_END.split(match.group(1))[0].strip())
    return found


def alternatives(token: str) -> list[str]:
    """`a\\|b|c` → a, b, c (the README's tables write alternatives so)."""
    return [part for part in re.split(r"\\?\|", token.strip("[]")) if part]


def check(usage: str, root: Any) -> list[str]:
    """What in `usage` the command line does not have."""
    tokens = usage.split()
    commands: list[Any] = [root]  # typer's own click: groups have `commands`
    problems: list[str] = []
    while tokens and all(hasattr(c, "commands") for c in commands):
        names = alternatives(tokens[0])
        if not all(re.fullmatch(r"[a-z][a-z-]*", name) for name in names):
            break
        tokens.pop(0)
        found = []
        for group in commands:
            for name in names:
                command = group.commands.get(name)
                if command is None:
                    problems.append(f"`iom … {name}` is not a command ({usage})")
                else:
                    found.append(command)
        commands = found
    for token in tokens:
        for option in re.findall(r"(?<![\w-])(--[a-z][a-z-]*)", token):
            for command in commands:
                known = {opt for param in command.params for opt in param.opts}
                if option not in known | {"--help"}:
                    problems.append(f"`iom {command.name}` has no {option} ({usage})")
    return problems


def test_the_readme_names_only_commands_and_options_that_exist() -> None:
    root = typer.main.get_command(app)
    shown = usages()
    assert len(shown) > 40, shown  # the parser still finds the README's commands
    problems = [problem for usage in shown for problem in check(usage, root)]
    assert problems == []


def test_the_check_catches_a_drifted_command_and_option() -> None:
    root = typer.main.get_command(app)
    assert check("audit histroy ROUTE_ID", root)
    assert check("audit history ROUTE_ID --jsn", root)
    assert check("monitor routes\\|activitys --region R", root)
    assert not check("monitor routes\\|activities [--region R] [--json\\|--csv]", root)
