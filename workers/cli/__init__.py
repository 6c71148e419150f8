"""The `iom` command line."""

from __future__ import annotations

import gc
import sys

import typer

from workers.cli.lazy import Lazy, lazy_group
from workers.cli.russian import install

install()

COMMANDS = {
    "api": Lazy("workers.cli.api", "api", "HTTP API для регионального портала."),
    "audit": Lazy("workers.cli.audit", "audit", "История, состояние и цепочки хешей ИОМ."),
    "campaigns": Lazy(
        "workers.cli.campaigns", "campaigns", "Диагностики: оповещение, загрузка результатов."
    ),
    "catalogue": Lazy(
        "workers.cli.catalogue", "catalogue", "Каталог ДПП региона: загрузка, версии, заказ ДПП."
    ),
    "demo": Lazy("workers.cli.demo", "demo", "Демонстрационные ИОМ региона."),
    "docs": Lazy("workers.cli.docs", "docs", "Документы ИОМ и отчёты о диагностике."),
    "health": Lazy("workers.cli.health", "health", "Отвечают ли хранилище, Temporal, обработчик."),
    "monitor": Lazy("workers.cli.projections", "monitor", "Таблицы мониторинга с отбором."),
    "officials": Lazy(
        "workers.cli.officials", "officials", "Должностные лица, подписывающие документы."
    ),
    "ops": Lazy("workers.cli.ops", "ops", "Команды оператора идущим ИОМ."),
    "pd": Lazy("workers.cli.pd", "pd", "Персональные данные педагогов (152-ФЗ)."),
    "profiles": Lazy("workers.cli.profiles", "profiles", "Известные регламенты."),
    "projections": Lazy(
        "workers.cli.projections", "projections", "Проекции: где стоят, пересборка."
    ),
    "projector": Lazy("workers.cli.projections", "projector", "Вести проекции."),
    "routes": Lazy("workers.cli.catalogue", "routes_cli", "ИОМ, предложенный по дефицитам."),
    "shadow": Lazy(
        "workers.cli.shadow", "shadow", "Новый код на всей истории — перед развёртыванием."
    ),
    "tasks": Lazy("workers.cli.tasks", "tasks", "Задачи по ИОМ: кто что должен сделать."),
    "token": Lazy(
        "workers.cli.token", "token", "Токен портала, чтобы обратиться к API.", logs=False
    ),
    "up": Lazy("workers.cli.up", "up", "Весь ИОМ на этой машине."),
    "worker": Lazy("workers.cli.worker", "worker", "Обслуживать процессы ИОМ."),
}
"""Every command of `iom`, imported when it runs (`workers.cli.lazy`)."""

app = typer.Typer(
    name="iom",
    cls=lazy_group(COMMANDS),
    add_completion=False,
    help=(
        "Движок ИОМ: индивидуальные образовательные маршруты педагогов на журнале событий. Коды "
        "выхода: 0 — успешно; 1 — находка (не найдено, нарушена цепочка); 2 — неверный вызов или "
        "настройки; 3 — служба недоступна; подробнее — --help каждой команды.\n\nПример: iom up "
        "--demo"
    ),
    no_args_is_help=True,
)


@app.callback()
def _configure(ctx: typer.Context) -> None:
    from pydantic import ValidationError  # noqa: PLC0415 - imported when a command runs

    from runtime.settings import Settings  # noqa: PLC0415
    from workers.cli.output import BAD_USAGE, fail  # noqa: PLC0415

    try:
        settings = Settings()
    except ValidationError as error:  # a bad IOM_… variable or .env line: say which
        wrong = "; ".join(
            f"IOM_{'_'.join(map(str, e['loc'])).upper()}: {e['msg']}" for e in error.errors()
        )
        raise fail(f"настройки: {wrong} (см. README, «Settings»)", BAD_USAGE) from None
    command = COMMANDS.get(ctx.invoked_subcommand or "")
    if command is None or command.logs:
        from workers.logs import configure_logging  # noqa: PLC0415

        configure_logging(settings.log_format)


def main() -> None:
    """The `iom` entry point: a broken regulation profile, which every command loads, is an
    error to fix (exit 2), not a traceback. On the way out, what the command left is collected
    while the interpreter is whole: a Temporal client released later, by the SDK's native
    threads during the interpreter's finalisation, aborts the process (exit 134). A command
    that never imported the SDK has nothing of the kind to collect."""
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
        if "temporalio" in sys.modules:
            gc.collect()
