"""`iom api`: serves the portal's HTTP API (uvicorn) on the configured store and Temporal;
`iom token`: a portal token, to try the API as the portal would."""

from __future__ import annotations

import shlex
from pathlib import Path
from typing import Annotated

import structlog
import typer
import uvicorn

from aggregates.values import Role
from api.app import create_app
from api.auth import PORTAL_ROLES, SCHOOL_ROLES, portal_claims, sign_hs256
from api.edge import SERVER_HEADER_BYTES
from workers.cli.output import BAD_USAGE, fail
from workers.context import build_profiles
from workers.pd_master import MasterKeyError, master_key
from workers.settings import Settings
from workers.up import development_secret

BAD_SETTINGS = 2

log = structlog.get_logger("iom.api")


def api(
    host: Annotated[
        str | None, typer.Option(help="The address to listen on (IOM_API_HOST, 127.0.0.1).")
    ] = None,
    port: Annotated[
        int | None, typer.Option(min=1, max=65535, help="The port (IOM_API_PORT, 8000).")
    ] = None,
) -> None:
    """Serve the HTTP API for the regional portal until stopped (Ctrl-C, SIGTERM): commands,
    the route's state, /health/live, /health/ready, the OpenAPI document at /openapi.json.

    It needs the portal's token key: IOM_PORTAL_JWT_SECRET (HS256) or IOM_PORTAL_JWT_PUBLIC_KEY
    (RS256), and IOM_PORTAL_JWT_AUDIENCE. Run a worker (iom worker) on the same store and task
    queue. Exit codes: 2 bad settings; stopped by Ctrl-C or SIGTERM, it shuts down gracefully
    and ends by that signal (uvicorn re-raises it).

    Example: IOM_PORTAL_JWT_SECRET=… iom api --host 0.0.0.0 --port 8000
    """
    settings = Settings()
    host = settings.api_host if host is None else host
    port = settings.api_port if port is None else port
    try:
        master_key(settings)  # production does not start without the personal-data master key
        app = create_app(settings)
    except (ValueError, OSError, MasterKeyError) as error:
        raise fail(f"настройки API: {error}", BAD_SETTINGS) from None
    log.info(
        "api starting",
        host=host,
        port=port,
        namespace=settings.temporal_namespace,
        task_queue=settings.task_queue,
    )
    # Logging is structlog's (configured by the `iom` callback); uvicorn's access log is off:
    # each request's outcome is the portal's to log, the engine's own record is the route.
    uvicorn.run(
        app,
        host=host,
        port=port,
        log_config=None,
        access_log=False,
        h11_max_incomplete_event_size=SERVER_HEADER_BYTES,  # past the API's own 431 (api.edge)
    )


def token(  # typer passes every parameter by name
    *,
    role: Annotated[Role, typer.Option(help="The user's role, as the portal says it.")],
    region: Annotated[str, typer.Option(help="The region (regulation profile id): the tenant.")],
    subject: Annotated[
        str | None,
        typer.Option(
            "--sub", help="The portal's user id (default: the teacher id, else the role)."
        ),
    ] = None,
    school: Annotated[str | None, typer.Option(help="The school id (people of a school).")] = None,
    teacher_id: Annotated[
        str | None, typer.Option("--teacher-id", help="The teacher id (for a teacher).")
    ] = None,
    lifetime: Annotated[int | None, typer.Option(min=1, help="Seconds the token lives.")] = None,
) -> None:
    """Print a portal token (JWT, HS256) for one user, to try the API as the portal would:
    signed with IOM_PORTAL_JWT_SECRET or, when none is set, the development secret `iom up`
    keeps in the data folder. A development tool: a real portal signs its own tokens. Exit 2
    when the API checks RS256 tokens only (the portal's private key is not ours).

    Example: TOKEN=$(iom token --role methodist --sub methodist-sakha-01 --region sakha)
    """
    settings = Settings()
    if role not in PORTAL_ROLES:
        raise fail(f"--role: роль «{role.value}» портал не выдаёт", BAD_USAGE)
    if role is Role.TEACHER and teacher_id is None:
        raise fail("--teacher-id: токен педагога называет его teacher_id", BAD_USAGE)
    if role in SCHOOL_ROLES and school is None:
        raise fail("--school: токен руководителя ОО или МО называет школу", BAD_USAGE)
    known = sorted({p.id for p in build_profiles(settings).editions()})
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
    typer.echo(sign_hs256(claims, secret))


def token_hint(data_dir: Path) -> str:
    """The `iom token` line `iom up` prints: signed with that stack's secret, in its data dir."""
    where = shlex.quote(str(data_dir.resolve()))
    return f"IOM_DATA_DIR={where} iom token --role centre_head --region sakha"
