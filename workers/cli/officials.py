"""`iom officials`: the registry of the officials who sign (152-ФЗ): set, show, erase the ФИО,
position and organisation of an official by their portal id. The documents' signature lines
print them (`iom docs render --with-personal-data`); the cards live encrypted beside the
teachers' sheets, never in events.

Exit codes of every `iom officials` command: 0 success; 1 a finding (no card, the official's
data erased, a card that cannot be decrypted); 2 bad usage (a field missing or invalid);
3 the database unreachable (IOM_DATABASE_URL).
"""

from __future__ import annotations

from typing import Annotated

import typer
from pydantic import ValidationError

from aggregates.personal import OfficialCard, PersonalDataErasedError, PersonalDataUnreadableError
from aggregates.values import Actor, Role
from runtime.settings import Settings
from workers.cli.output import database_errors, fail
from workers.cli.pd import emit_record
from workers.context import build_officials, build_routes

officials = typer.Typer(
    add_completion=False,
    help=(
        "Должностные лица, подписывающие документы ИОМ (персональные данные, 152-ФЗ).\n\n"
        "Пример: iom officials show methodist-sakha-01"
    ),
    no_args_is_help=True,
)

OfficialArg = Annotated[str, typer.Argument(help="Id должностного лица на портале.")]


@officials.command("set")
@database_errors
def set_card(
    official_id: OfficialArg,
    full_name: Annotated[str, typer.Option("--name", help="Фамилия, имя, отчество.")],
    position: Annotated[str, typer.Option(help="Должность.")],
    organisation: Annotated[str, typer.Option(help="Организация (краткое наименование).")],
) -> None:
    """Записать (или заменить) ФИО, должность и организацию должностного лица; сведения
    шифруются собственным ключом лица.

    Коды выхода: 0 — записаны; 1 — данные лица уничтожены (152-ФЗ): под этим id больше
    никогда; 2 — поле не заполнено или неверно; 3 — база данных недоступна.

    Пример: iom officials set methodist-sakha-01 --name "Петрова Анна Сергеевна" --position
    "региональный методист" --organisation "ЦНППМ"
    """
    try:
        card = OfficialCard(full_name=full_name, position=position, organisation=organisation)
    except ValidationError as error:
        raise fail(f"сведения не приняты: {error}") from None
    settings = Settings()
    routes = build_routes(settings)  # keep it: the store shares its connections
    try:
        build_officials(routes, settings).put(official_id, card)
    except PersonalDataErasedError as error:
        raise fail(error.message, 1) from None
    typer.echo(f"сведения о должностном лице {official_id} сохранены")


@officials.command()
@database_errors
def show(
    official_id: OfficialArg,
    as_json: Annotated[bool, typer.Option("--json", help="Вывести JSON вместо таблицы.")] = False,
) -> None:
    """Показать сведения о должностном лице или отметку об их уничтожении.

    Коды выхода: 0 — показано (сведения или факт их уничтожения); 1 — сведений нет или их не
    расшифровать (проверьте IOM_PD_MASTER_KEY); 3 — база данных недоступна.

    Пример: iom officials show methodist-sakha-01 --json
    """
    settings = Settings()
    routes = build_routes(settings)  # keep it: the store shares its connections
    try:
        record = build_officials(routes, settings).get(official_id)
    except PersonalDataUnreadableError as error:
        raise fail(f"{error.message}; проверьте IOM_PD_MASTER_KEY", 1) from None
    emit_record(f"Должностное лицо {official_id}", record, record.card, as_json=as_json)


@officials.command()
@database_errors
def erase(
    official_id: OfficialArg,
    reason: Annotated[str, typer.Option(help="Основание (например, номер и дата заявления).")],
    actor: Annotated[str, typer.Option(help="Кто уничтожает (id оператора).")] = "operator",
) -> None:
    """Уничтожить ключ должностного лица (152-ФЗ): сведения становятся нечитаемыми навсегда,
    документы печатают «данные удалены по 152-ФЗ». Само уничтожение записывается, без
    персональных данных.

    Коды выхода: 0 — уничтожено (или уже было); 2 — неверный вызов (нет --reason); 3 — база
    данных недоступна.

    Пример: iom officials erase methodist-sakha-01 --reason "заявление № 17 от 20.11.2026"
    """
    settings = Settings()
    routes = build_routes(settings)  # keep it: the store shares its connections
    store = build_officials(routes, settings)
    try:
        erasure = store.erase(official_id, Actor(id=actor, role=Role.OPERATOR), reason)
    except ValidationError as error:
        raise fail(f"удаление не выполнено: {error}") from None
    when = f"{erasure.erased_at:%d.%m.%Y %H:%M} UTC"
    typer.echo(f"персональные данные должностного лица {official_id} уничтожены {when}")
