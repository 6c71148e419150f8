"""The `iom` command line."""

from __future__ import annotations

import gc

import typer

from workers.cli.lazy import Lazy, lazy_group
from workers.cli.russian import install

install()

COMMANDS = {
    "api": Lazy("workers.cli.api", "api", "Serve the portal's HTTP API."),
    "audit": Lazy("workers.cli.audit", "audit", "A route's history, state and hash chains."),
    "demo": Lazy("workers.cli.demo", "demo", "Write demo routes of a region."),
    "docs": Lazy("workers.cli.docs", "docs", "A route's documents and campaign reports."),
    "health": Lazy("workers.cli.health", "health", "Whether the store and Temporal answer."),
    "monitor": Lazy("workers.cli.projections", "monitor", "Monitoring tables, filtered."),
    "ops": Lazy("workers.cli.ops", "ops", "An operator's commands on running routes."),
    "pd": Lazy("workers.cli.pd", "pd", "Teachers' personal data (152-ФЗ)."),
    "profiles": Lazy("workers.cli.profiles", "profiles", "The regulation profiles known."),
    "projections": Lazy(
        "workers.cli.projections", "projections", "Projections: where they stand, rebuilding."
    ),
    "projector": Lazy("workers.cli.projections", "projector", "Keep the projections up to date."),
    "token": Lazy("workers.cli.api", "token", "A portal token, to try the API."),
    "up": Lazy("workers.cli.up", "up", "Run the whole engine on this machine."),
    "worker": Lazy("workers.cli.worker", "worker", "Serve the routes' workflows."),
}
"""Every command of `iom`, imported when it runs (`workers.cli.lazy`)."""

app = typer.Typer(
    name="iom",
    cls=lazy_group(COMMANDS),
    add_completion=False,
    help="ИОМ engine: teachers' individual educational routes, event-sourced. Exit codes: 0"
    " success, 1 a finding (not found, a broken chain), 2 bad usage or settings, 3 a service"
    " unreachable; each command's --help says more.\n\nExample: iom up --demo",
    no_args_is_help=True,
)


@app.callback()
def _configure() -> None:
    from pydantic import ValidationError  # noqa: PLC0415 - imported when a command runs

    from workers.cli.output import BAD_USAGE, fail  # noqa: PLC0415
    from workers.logs import configure_logging  # noqa: PLC0415
    from workers.settings import Settings  # noqa: PLC0415

    try:
        settings = Settings()
    except ValidationError as error:  # a bad IOM_… variable or .env line: say which
        wrong = "; ".join(
            f"IOM_{'_'.join(map(str, e['loc'])).upper()}: {e['msg']}" for e in error.errors()
        )
        raise fail(f"настройки: {wrong} (см. README, «Settings»)", BAD_USAGE) from None
    configure_logging(settings.log_format)


def main() -> None:
    """The `iom` entry point: a broken regulation profile, which every command loads, is an
    error to fix (exit 2), not a traceback. On the way out, what the command left is collected
    while the interpreter is whole: a Temporal client released later, by the SDK's native
    threads during the interpreter's finalisation, aborts the process (exit 134)."""
    try:
        app(prog_name="iom")
    except Exception as error:
        from aggregates.profiles import InvalidProfileError  # noqa: PLC0415 - only when needed

        if not isinstance(error, InvalidProfileError):
            raise
        typer.echo(f"ошибка: регламент не загружен: {error}", err=True)
        typer.echo("Исправьте файл (см. README, «Adding a region») и повторите.", err=True)
        raise SystemExit(2) from None
    finally:
        gc.collect()
