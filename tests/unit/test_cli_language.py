"""Every line a person reads from `iom` is Russian: each command's --help, and the messages
the command line prints (workers/cli/*: what it echoes, its failures, its usage errors). Latin
is allowed only where it is code: option names, environment variables, metavars, choices,
ids and keys, file names, URLs, the examples' command lines, and the words of `ALLOWED`."""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import typer
from typer.testing import CliRunner

from tests.support.profiles import REGIONS
from workers.cli import app

CLI = Path(__file__).parents[2] / "workers" / "cli"
ALLOWED = {
    # names of things, as they are written
    *("iom", "JSON", "CSV", "PDF", "DOCX", "API", "UUID", "SQLite", "PostgreSQL", "Temporal"),
    *("id", "stderr", "stdout", "Python", "sha256", "ready"),  # `ready`: iom up's marker
    *("HTTP", "JWT", "RS256", "HS256", "OpenAPI", "SIGTERM", "SIGKILL", "Ctrl", "UTC", "ISO"),
    *("SMTP", "TLS", "URL", "CPU", "Docker", "uvicorn", "temporal", "bin", "zip", "yaml"),
    *("FastAPI", "Prometheus", "Webhook", "HMAC", "SHA", "AES", "ID", "KEY", "LEASE"),
    # typer's metavars and type names
    *("OPTIONS", "COMMAND", "ARGS", "ROUTE", "str", "int", "float", "bool", "range", "path"),
    *("x", "uuid", "datetime", "date", "text", "choice", "file", "dir", "integer"),
    # the regions' profile ids
    *REGIONS,
}
LATIN_WORD = re.compile(r"(?<![\w\-./@<|$=:])[A-Za-z]{2,}(?![\w\-./@>|(=:])")
CODE = re.compile(
    r"`[^`]*`"  # code
    r"|<[^>]*>"  # a type or choices
    r"|\[[^\]]*=[^\]]*\]"  # a range
    r"|\[по умолчанию: [^\]]*\]"  # a default
    r"|--?[\w-]+"  # an option
    r"|\bIOM_[A-Z_]+"  # a setting
    r"|\b[A-Z][A-Z_]{2,}\b"  # a metavar
    r"|\S*[\d_./:@]\S*"  # ids, keys, paths, URLs, numbers
    r"|«[^»]*»"  # a name quoted
    r"|'[^']*'"  # a value quoted
)


def latin(text: str) -> list[str]:
    """The Latin words of `text` outside code and the allowed words."""
    found = []
    for line in text.splitlines():
        if re.match(r"^\W*Пример", line):  # an example: a command line
            continue
        words = LATIN_WORD.findall(CODE.sub(" ", line))
        found += [w for w in words if w.lower() not in ALLOWED]
    return found


def commands(command: Any, path: tuple[str, ...] = ()) -> Iterator[tuple[tuple[str, ...], Any]]:
    yield path, command
    for name, sub in sorted((getattr(command, "commands", None) or {}).items()):
        yield from commands(sub, (*path, name))


TREE = list(commands(typer.main.get_command(app)))
PATHS = [path for path, _ in TREE]
ALLOWED = (
    {word.lower() for word in ALLOWED}
    | {word for path in PATHS for name in path for word in name.split("-")}
    | {param.name for _, command in TREE for param in command.params}
)  # the commands' and their parameters' names are code too


@pytest.mark.parametrize("path", PATHS, ids=lambda p: " ".join(p) or "iom")
def test_every_help_page_is_russian(path: tuple[str, ...]) -> None:
    result = CliRunner().invoke(app, [*path, "--help"], env={"COLUMNS": "400"})
    assert result.exit_code == 0, result.output
    assert not latin(result.stdout), f"iom {' '.join(path)} --help: {latin(result.stdout)}"


SAID_BY = {"echo", "fail", "say", "BadParameter", "StartupError", "secho"}


def messages() -> Iterator[tuple[str, int, str]]:
    """The constant text of every message workers/cli prints: file, line, text."""
    for source in sorted(CLI.glob("*.py")):
        tree = ast.parse(source.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call) or not node.args:
                continue
            name = getattr(node.func, "attr", None) or getattr(node.func, "id", None)
            if name not in SAID_BY:
                continue
            for text in texts(node.args[0]):
                yield source.name, node.lineno, text


def texts(node: ast.expr) -> Iterator[str]:
    """The constant text of a message: its literal parts, not the keys it looks values up by."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        yield node.value
    elif isinstance(node, ast.JoinedStr):
        for value in node.values:
            yield from texts(value)
    elif isinstance(node, ast.FormattedValue):
        yield from texts(node.value)
    elif isinstance(node, ast.IfExp):
        yield from texts(node.body)
        yield from texts(node.orelse)
    elif isinstance(node, ast.BinOp):
        yield from texts(node.left)
        yield from texts(node.right)


def test_every_message_is_russian() -> None:
    found = [(f, line, text, latin(text)) for f, line, text in messages() if latin(text)]
    assert not found, "\n".join(f"{f}:{line}: {text!r} {words}" for f, line, text, words in found)


@pytest.mark.parametrize(
    "args",
    [
        ["token", "--region", "sakha"],
        ["token", "--role", "nobody", "--region", "sakha"],
        ["token", "--role", "methodist", "--region", "sakha", "--lifetime", "x"],
        ["token", "--bogus"],
        ["tokn"],
        ["profiles", "extra"],
        ["audit", "history"],
    ],
)
def test_usage_errors_are_russian(args: list[str]) -> None:
    result = CliRunner().invoke(app, args, env={"COLUMNS": "400"})
    assert result.exit_code == 2
    assert not latin(result.output), latin(result.output)
