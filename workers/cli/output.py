"""Printing for the command line: a table for people, JSON for scripts, a progress bar on
stderr for long work, and errors that say what to do.

Exit codes shared by every command: 0 success; 1 a finding (not found, a broken chain, a digest
mismatch); 2 bad usage or bad settings; 3 a service unreachable (the database here; Temporal
in `iom worker` and `iom ops`).
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any, ParamSpec, Protocol, TypeVar
from urllib.parse import urlsplit, urlunsplit

import typer
from eventsourcing.persistence import InterfaceError, OperationalError
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table

from workers.pd_master import MasterKeyError
from workers.settings import Settings, UnsupportedDatabaseError

BAD_USAGE = 2
UNREACHABLE = 3
"""The exit code when a service the command needs (here: the database) cannot be reached."""

P = ParamSpec("P")
R = TypeVar("R")


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


def fail(message: str, code: int = BAD_USAGE) -> typer.Exit:
    """Say what went wrong and what to do, on stderr; the exit to raise."""
    typer.echo(f"ошибка: {message}", err=True)
    return typer.Exit(code)


class Advance(Protocol):
    """Moves a progress bar on by `n` steps."""

    def __call__(self, n: int = 1) -> None: ...


@contextmanager
def progress(total: int, label: str) -> Iterator[Advance]:
    """A progress bar of `total` steps on stderr, shown only when stderr is a terminal (so JSON
    on stdout and logs stay clean); yields `advance(n=1)`.

        with progress(len(ids), "Проверка цепочек") as advance:
            for each in ids:
                ...
                advance()
    """
    console = Console(stderr=True)
    if not console.is_terminal or console.is_dumb_terminal:

        def nothing(n: int = 1) -> None:
            pass

        yield nothing
        return
    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        console=console,
    ) as bar:
        task = bar.add_task(label, total=total)

        def advance(n: int = 1) -> None:
            bar.advance(task, n)

        yield advance


@contextmanager
def database_guard() -> Iterator[None]:
    """Turn an unreachable or misnamed database into a message that says what to do, exit 3
    (exit 2 for a URL of no known kind), instead of a traceback."""
    try:
        yield
    except UnsupportedDatabaseError:
        raise fail(
            f"IOM_DATABASE_URL (сейчас {_shown_database_url()}) — ни SQLite, ни PostgreSQL:"
            " укажите sqlite:///путь/к/файлу или postgresql://пользователь@сервер:порт/база",
            BAD_USAGE,
        ) from None
    except (OperationalError, InterfaceError) as error:
        raise fail(unreachable_database(error), UNREACHABLE) from None
    except MasterKeyError as error:  # production without the personal-data master key
        raise fail(str(error), BAD_USAGE) from None


def database_errors(command: Callable[P, R]) -> Callable[P, R]:
    """`database_guard` around a whole command on the store (a decorator under typer's)."""

    @functools.wraps(command)
    def guarded(*args: P.args, **kwargs: P.kwargs) -> R:
        with database_guard():
            return command(*args, **kwargs)

    return guarded


def unreachable_database(error: Exception) -> str:
    """What to say when the event store does not answer (the URL's password hidden)."""
    url = _shown_database_url()
    parts = urlsplit(url)
    what = (
        "запущен ли сервер PostgreSQL, верны ли адрес, порт, имя базы, пользователь и пароль"
        if parts.scheme.startswith("postgres")
        else "тот ли это файл, существует ли его папка и можно ли в неё писать"
    )
    reason = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
    return f"база данных недоступна ({reason}). Проверьте IOM_DATABASE_URL (сейчас {url}): {what}"


def _shown_database_url() -> str:
    """IOM_DATABASE_URL with its password hidden."""
    url = Settings().database_url
    parts = urlsplit(url)
    if parts.password:
        host = parts.netloc.rsplit("@", 1)[-1]
        url = urlunsplit(parts._replace(netloc=f"{parts.username}:***@{host}"))
    return url
