"""Printing for the command line: a table for people, JSON for scripts, a progress bar on
stderr for long work, and errors that say what to do.

Exit codes shared by every command: 0 success; 1 a finding (not found, a broken chain, a digest
mismatch); 2 bad usage or bad settings; 3 a service unreachable (the database here; Temporal
in `iom worker` and `iom ops`).
"""

from __future__ import annotations

import csv
import functools
import json
import sys
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, ParamSpec, Protocol, TypeVar
from urllib.parse import urlsplit, urlunsplit

import typer

from runtime.settings import Settings, UnsupportedDatabaseError
from workers.pd_master import MasterKeyError

if TYPE_CHECKING:  # rich is imported by what draws (`iom token` prints one line without it)
    from rich.console import Console

BAD_USAGE = 2
UNREACHABLE = 3
"""The exit code when a service the command needs (here: the database) cannot be reached."""

WRAPPED_WIDTH = 16  # the least a wrapped column of a table gets, in characters
P = ParamSpec("P")
R = TypeVar("R")


@functools.cache
def words() -> dict[str, dict[Any, str]]:
    """The Russian words of the coded values a table shows, by field (JSON and CSV keep the
    codes)."""
    from aggregates.profiles import ACTION_TITLES, STAGE_TITLES, Stage  # noqa: PLC0415 - lazily
    from aggregates.values import ACTIVITY_LEVEL_TITLES, ROLE_TITLES  # noqa: PLC0415

    return {
        "role": {role.value: title for role, title in ROLE_TITLES.items()},
        "level": {level.value: title for level, title in ACTIVITY_LEVEL_TITLES.items()},
        "action": ACTION_TITLES,
        "stage": {stage.value: STAGE_TITLES[stage] for stage in Stage},
    }


def in_words(column: str, value: Any) -> Any:
    """`value` of field `column` in Russian words, when it is a code with words; else itself."""
    return words().get(column, {}).get(value, value)


def emit_json(data: Any) -> None:
    """Print `data` as JSON (Cyrillic kept readable)."""
    typer.echo(json.dumps(data, ensure_ascii=False, indent=2, default=str))


def emit_table(
    title: str,
    columns: Sequence[str],
    rows: Sequence[Sequence[Any]],
    *,
    console: Console | None = None,
) -> None:
    """Print a table that reads well in a terminal, its ids whole: a column of single words
    (ids, keys, codes, numbers) is as wide as its widest, never wrapped or cut; the others
    wrap. When that leaves the others too little of the terminal's width, the table takes the
    width it needs: an id is there to be copied."""
    from rich.console import Console  # noqa: PLC0415 - see the imports
    from rich.table import Table  # noqa: PLC0415

    cells = [[str(cell) for cell in row] for row in rows]
    table = Table(title=title, show_lines=False)
    needed = len(columns) + 1  # the borders
    for index, column in enumerate(columns):
        values = [row[index] for row in cells]
        longest = max(map(len, [column, *values]))
        if values and all(value and not any(c.isspace() for c in value) for value in values):
            table.add_column(column, no_wrap=True, width=longest)
            needed += longest + 2
        else:
            table.add_column(column, overflow="fold")
            needed += min(longest, WRAPPED_WIDTH) + 2
    for row in cells:
        table.add_row(*row)
    out = console or Console()
    if needed > out.width:
        out = Console(file=out.file, width=needed)
    out.print(table)


def emit_csv(columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
    """Print CSV: a header of `columns` (codes, as in JSON), then the rows."""
    writer = csv.writer(sys.stdout, lineterminator="\n")
    writer.writerow(columns)
    writer.writerows(["" if cell is None else cell for cell in row] for row in rows)
    sys.stdout.flush()


def emit_records(
    title: str,
    records: Sequence[dict[str, Any]],
    shown: Sequence[tuple[str, str]],
    cell: Callable[[str, dict[str, Any]], Any],
    *,
    as_json: bool,
    as_csv: bool,
) -> None:
    """Print records as JSON or CSV (every field, its code and value as stored) or as a table
    for people (`shown`: each field's Russian heading; `cell`: its value in words)."""
    if as_json and as_csv:
        raise fail("укажите --json или --csv, не оба")
    if as_json:
        emit_json(list(records))
    elif as_csv:
        emit_csv(
            list(records[0]) if records else [c for c, _ in shown],
            [list(r.values()) for r in records],
        )
    else:
        emit_table(
            title,
            [heading for _, heading in shown],
            [[cell(column, record) for column, _ in shown] for record in records],
        )


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
    from rich.console import Console  # noqa: PLC0415 - see the imports
    from rich.progress import (  # noqa: PLC0415
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeRemainingColumn,
    )

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
    from eventsourcing.persistence import InterfaceError, OperationalError  # noqa: PLC0415

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
