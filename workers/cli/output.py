"""Printing for the command line: a table for people, JSON for scripts."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import typer
from rich.console import Console
from rich.table import Table


def emit_json(data: Any) -> None:
    """Print `data` as JSON (Cyrillic kept readable)."""
    typer.echo(json.dumps(data, ensure_ascii=False, indent=2, default=str))


def emit_table(title: str, columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
    """Print a table that reads well in a terminal."""
    table = Table(title=title, show_lines=False)
    for column in columns:
        table.add_column(column)
    for row in rows:
        table.add_row(*[str(cell) for cell in row])
    Console().print(table)


def fail(message: str, code: int = 2) -> typer.Exit:
    """Say what went wrong and what to do, on stderr; the exit to raise."""
    typer.echo(f"ошибка: {message}", err=True)
    return typer.Exit(code)
