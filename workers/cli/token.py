"""`iom token`: a portal token, to try the API as the portal would. Quick to start: it imports
neither the API nor the JWT library (`api.portal_tokens` signs with the standard library)."""

from __future__ import annotations

import shlex
from pathlib import Path
from typing import Annotated

import typer
from pydantic import ValidationError

from aggregates.profile_sources import region_ids
from aggregates.values import DELEGABLE, ROLE_TITLES, Acting, Role
from api.portal_tokens import PORTAL_ROLES, SCHOOL_ROLES, portal_claims, sign_hs256
from runtime.settings import Settings
from workers.cli.output import BAD_USAGE, fail
from workers.pd_master import development_secret


def token(  # typer passes every parameter by name
    *,
    role: Annotated[Role, typer.Option(help="Роль пользователя, как её называет портал.")],
    region: Annotated[str, typer.Option(help="Регион (id регламента): чьи это данные.")],
    subject: Annotated[
        str | None,
        typer.Option(
            "--sub", help="Id пользователя портала (по умолчанию — id педагога, иначе роль)."
        ),
    ] = None,
    school: Annotated[str | None, typer.Option(help="Id ОО (для работников ОО).")] = None,
    teacher_id: Annotated[
        str | None, typer.Option("--teacher-id", help="Id педагога (для педагога).")
    ] = None,
    lifetime: Annotated[
        int | None,
        typer.Option(
            min=1,
            help="Срок действия токена, секунд (по умолчанию — наибольший допустимый,"
            " IOM_PORTAL_JWT_MAX_AGE).",
        ),
    ] = None,
    acting_for: Annotated[
        str | None,
        typer.Option(
            "--acting-for",
            help="Id руководителя ОО или ЦНППМ, за которого действует пользователь (и. о.);"
            " с --order, --from, --until.",
        ),
    ] = None,
    order: Annotated[
        str | None, typer.Option("--order", help="Приказ об исполнении обязанностей.")
    ] = None,
    starts_on: Annotated[
        str | None, typer.Option("--from", help="Первый день полномочий, ГГГГ-ММ-ДД.")
    ] = None,
    ends_on: Annotated[
        str | None, typer.Option("--until", help="Последний день полномочий, ГГГГ-ММ-ДД.")
    ] = None,
) -> None:
    """Напечатать токен портала (JWT, HS256) для одного пользователя, чтобы обратиться к API, как
    портал: подписан IOM_PORTAL_JWT_SECRET или, если он не задан, секретом разработки, который
    `iom up` хранит в папке данных. Средство разработки: настоящий портал подписывает токены сам.

    Коды выхода: 2 — API проверяет только токены RS256 (закрытый ключ портала не у нас).

    Пример: TOKEN=$(iom token --role methodist --sub methodist-sakha-01 --region sakha)

    Заместитель за руководителя ЦНППМ: iom token --role centre_head --sub deputy-1 --region sakha
    --acting-for centre-head-sakha --order "Приказ № 41-к" --from 2026-06-01 --until 2026-06-30
    """
    settings = Settings()
    if role not in PORTAL_ROLES:
        raise fail(f"--role: роль «{role.value}» портал не выдаёт", BAD_USAGE)
    if role is Role.TEACHER and teacher_id is None:
        raise fail("--teacher-id: токен педагога называет его teacher_id", BAD_USAGE)
    if role in SCHOOL_ROLES and school is None:
        raise fail("--school: токен руководителя ОО или МО называет школу", BAD_USAGE)
    known = region_ids(settings.profiles_dir)
    if region not in known:
        raise fail(
            f"--region: региона «{region}» нет среди регламентов развёртывания;"
            f" известны: {', '.join(known)}",
            BAD_USAGE,
        )
    cap = settings.portal_jwt_max_age
    if lifetime is not None and lifetime > cap:
        raise fail(
            f"--lifetime: токен живёт не дольше {cap} с (IOM_PORTAL_JWT_MAX_AGE):"
            " более долгий API отклонит",
            BAD_USAGE,
        )
    if settings.portal_jwt_secret is not None:
        secret = settings.portal_jwt_secret.get_secret_value()
    elif settings.portal_jwt_public_key is None:
        secret = development_secret(settings)
    else:
        raise fail(
            "API проверяет только токены RS256 (IOM_PORTAL_JWT_PUBLIC_KEY): их подписывает"
            " портал своим закрытым ключом; для проверки задайте IOM_PORTAL_JWT_SECRET",
            BAD_USAGE,
        )
    claims = portal_claims(
        role,
        subject or teacher_id or role.value.replace("_", "-"),  # a teacher id binds one subject
        region,
        audience=settings.portal_jwt_audience,
        lifetime=cap if lifetime is None else lifetime,
        school=school,
        teacher_id=teacher_id,
    )
    acting = acting_claim(role, acting_for, order, starts_on, ends_on)
    if acting is not None:
        claims["acting_for"] = acting
    typer.echo(sign_hs256(claims, secret))


def acting_claim(
    role: Role,
    head_id: str | None,
    order: str | None,
    starts_on: str | None,
    ends_on: str | None,
) -> dict[str, str] | None:
    """The token's `acting_for` claim, from the four options given together, or none."""
    given = {"--acting-for": head_id, "--order": order, "--from": starts_on, "--until": ends_on}
    if all(value is None for value in given.values()):
        return None
    missing = [name for name, value in given.items() if value is None]
    if missing:
        raise fail(f"{', '.join(missing)}: и. о. руководителя задаётся всеми четырьмя", BAD_USAGE)
    if role not in DELEGABLE:
        raise fail(f"--role: за руководителя действуют в ролях {ROLES_ACTED_FOR}", BAD_USAGE)
    fields = {"head_id": head_id, "order": order, "starts_on": starts_on, "ends_on": ends_on}
    try:
        return Acting.model_validate(fields).model_dump(mode="json")
    except ValidationError as error:
        field = str(error.errors()[0]["loc"][0])
        raise fail(ACTING_OPTIONS[field], BAD_USAGE) from None


ROLES_ACTED_FOR = ", ".join(ROLE_TITLES[role] for role in sorted(DELEGABLE))
ACTING_OPTIONS = {
    "head_id": "--acting-for: id руководителя — латиница, цифры и . _ : -, до 128 знаков",
    "order": "--order: приказ — одна строка до 300 символов",
    "starts_on": "--from: дата ГГГГ-ММ-ДД",
    "ends_on": "--until: дата ГГГГ-ММ-ДД",
}
"""What each option of an acting official must be, said when it is not."""


def token_hint(data_dir: Path) -> str:
    """The `iom token` line `iom up` prints: signed with that stack's secret, in its data dir."""
    where = shlex.quote(str(data_dir.resolve()))
    return f"IOM_DATA_DIR={where} iom token --role centre_head --region sakha"
