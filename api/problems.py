"""Every error as RFC 9457 problem details (`application/problem+json`).

`type` names the kind of problem (`urn:iom:problem:<kind>`), `rule` the route's rule or the
check that refused the request, `field` the field at fault (a dotted path into the body, as
`plan.activities[0].title`), `detail` says it in Russian for the portal's users. A request
refused this way wrote nothing.
"""

from __future__ import annotations

from typing import Any

import structlog
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field
from starlette.exceptions import HTTPException
from temporalio.service import RPCError

from aggregates import errors
from aggregates.checks import CHECKS, check_message
from api.auth import AuthenticationError

MEDIA_TYPE = "application/problem+json"

log = structlog.get_logger("iom.api")


class FieldProblem(BaseModel):
    """Одна ошибка во входных данных."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "field": "plan.activities[0].title",
                    "rule": "string_too_short",
                    "detail": "строка короче допустимого",
                }
            ]
        }
    )

    field: str = Field(description="Поле запроса с ошибкой (путь через точку).")
    rule: str = Field(description="Нарушенное правило проверки.")
    detail: str = Field(description="Что не так, по-русски.")


class Problem(BaseModel):
    """Описание ошибки по RFC 9457: почему запрос отклонён и что исправить. Отклонённый
    запрос ничего не записал."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "type": "urn:iom:problem:role",
                    "title": "Действие не разрешено этой роли",
                    "status": 403,
                    "detail": "этап ждёт ответа: руководитель ЦНППМ",
                    "rule": "turn",
                    "field": None,
                    "errors": [],
                    "retryable": False,
                }
            ]
        }
    )

    type: str = Field(description="Вид ошибки: `urn:iom:problem:<вид>`.")
    title: str = Field(description="Краткое название вида ошибки.")
    status: int = Field(description="HTTP-код ответа.")
    detail: str = Field(description="Пояснение для пользователя портала.")
    rule: str | None = Field(default=None, description="Правило, по которому отказано.")
    field: str | None = Field(default=None, description="Поле запроса, к которому относится отказ.")
    errors: list[FieldProblem] = Field(
        default=[], description="Все ошибки во входных данных (при проверке запроса)."
    )
    existing_route: str | None = Field(
        default=None,
        description="При `route-exists`: идентификатор ИОМ, уже открытого с этим ключом, если"
        " он доступен запросившему (иначе пусто).",
    )
    retryable: bool = Field(
        description="Повтор того же запроса (с тем же Idempotency-Key) может пройти: сервис"
        " или процесс ИОМ временно недоступен, параллельное изменение, ИОМ приостановлен."
        " `false` — отказ окончательный: исправьте запрос, роль или данные."
    )


class ProblemError(Exception):
    """A problem the API itself raises (not the route's rules)."""

    def __init__(
        self,
        status: int,
        kind: str,
        detail: str,
        *,
        rule: str | None = None,
        field: str | None = None,
        errors_: list[FieldProblem] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(detail)
        self.problem = problem(status, kind, detail, rule=rule, field=field, errors_=errors_)
        self.headers = headers or {}


TITLES = {
    "unauthenticated": "Требуется действительный токен портала",
    "not-found": "ИОМ не найден",
    "sheet-not-found": "Сведения о педагоге не найдены",
    "official-not-found": "Сведения о должностном лице не найдены",
    "erased": "Персональные данные уничтожены (152-ФЗ)",
    "invalid-cursor": "Курсор страницы неверен",
    "role": "Действие не разрешено этой роли",
    "separation-of-duties": "Одно лицо не может выступать за две стороны ИОМ",
    "stage": "Действие невозможно на этом этапе",
    "invalid-command": "Содержание команды неверно",
    "invalid-request": "Запрос не прошёл проверку",
    "command-reuse": "Идентификатор команды уже использован",
    "route-exists": "ИОМ с этим ключом уже открыт",
    "conflict": "ИОМ изменён параллельно; повторите запрос",
    "idempotency-key-missing": "Нет заголовка Idempotency-Key",
    "idempotency-key-reuse": "Ключ идемпотентности уже использован с другим запросом",
    "unavailable": "Сервис временно недоступен",
    "timeout": "Процесс ИОМ не ответил вовремя",
    "refused": "Команда отклонена",
    "internal": "Внутренняя ошибка",
    "http": "Ошибка запроса",
    "payload-too-large": "Тело запроса слишком велико",
    "headers-too-large": "Заголовки запроса слишком велики",
    "rate-limited": "Слишком много запросов",
    "webhook-not-found": "Подписка или доставка не найдена",
    "not-acceptable": "Документ не выдаётся в запрошенном формате",
    "regulation-not-found": "Редакция регламента не найдена",
    "form-not-in-regulation": "Регламент ИОМ не предусматривает эту форму",
    "programme-not-found": "Программа ДПП не найдена",
    "command-not-found": "Команда не найдена",
    "invalid-file": "Файл не прошёл проверку",
    "campaign-not-found": "Диагностика не найдена",
}

DOMAIN_KINDS: list[tuple[type[errors.DomainError], int, str]] = [
    (errors.RouteNotFoundError, 404, "not-found"),
    (errors.CampaignNotFoundError, 404, "campaign-not-found"),
    (errors.SeparationOfDutiesError, 403, "separation-of-duties"),
    (errors.RoleError, 403, "role"),
    (errors.StageError, 409, "stage"),
    (errors.RouteExistsError, 409, "route-exists"),
    (errors.ConflictError, 409, "conflict"),
    (errors.CommandReuseError, 422, "command-reuse"),
    (errors.InvalidCommandError, 422, "invalid-command"),
]


RETRYABLE_KINDS = frozenset({"conflict", "unavailable", "timeout", "rate-limited", "internal"})
"""The kinds a retry of the same request may get past: the service or the route's process
briefly out of reach, a concurrent writer, too many requests."""
RETRYABLE_RULES = frozenset({"conflict", "not_running", "paused"})
"""A route's rules that refuse for now, not for good: a concurrent writer, an open route whose
workflow is not running (`iom ops resume`), a route an operator paused. Answers under them are
not kept for the key (`api.idempotency`): the same key is retried."""


def retryable(status: int, kind: str, rule: str | None) -> bool:
    """Whether a retry of the same request may succeed: the one place that decides it."""
    return status in (503, 504) or kind in RETRYABLE_KINDS or rule in RETRYABLE_RULES


def kinds_table() -> str:
    """The README's table of problem kinds (a test keeps the two in step)."""
    lines = ["| kind | title | retryable |", "|---|---|---|"]
    for kind, title in TITLES.items():
        again = "yes" if retryable(0, kind, None) else "no"
        lines.append(f"| `{kind}` | {title} | {again} |")
    rules = ", ".join(f"`{rule}`" for rule in sorted(RETRYABLE_RULES))
    return "\n".join(lines) + f"\n\nUnder the rules {rules} any kind is retryable.\n"


def problem(
    status: int,
    kind: str,
    detail: str,
    *,
    rule: str | None = None,
    field: str | None = None,
    errors_: list[FieldProblem] | None = None,
    existing_route: str | None = None,
) -> Problem:
    """A problem of `kind`, titled in Russian."""
    return Problem(
        type=f"urn:iom:problem:{kind}",
        title=TITLES.get(kind, TITLES["http"]),
        status=status,
        detail=detail,
        rule=rule,
        field=field,
        errors=errors_ or [],
        existing_route=existing_route,
        retryable=retryable(status, kind, rule),
    )


def domain_problem(error: errors.DomainError) -> Problem:
    """A route's refusal as a problem: its rule, field and Russian message."""
    status, kind = next(
        ((status, kind) for cls, status, kind in DOMAIN_KINDS if isinstance(error, cls)),
        (422, "refused"),
    )
    named = error.route_id if isinstance(error, errors.RouteExistsError) else None
    return problem(
        status, kind, error.message, rule=error.rule, field=error.field, existing_route=named
    )


REFUSALS = "iom.refusals"
"""The scope key listing a request's refusals by a rule, as (kind, rule), for the metrics."""
REFUSAL_KINDS = frozenset(
    {"not-found", "role", "separation-of-duties", "stage", "route-exists", "command-reuse"}
    | {"invalid-command", "refused"}
)
"""The kinds of the refusals by a rule: reach, role, stage, content, a command id reused
(not a conflict to retry, nor a request the API refused before any rule: 400, 401, 413, 422,
429)."""
OPERATIONAL_RULES = frozenset({"not_running"})
"""Rules that say the route's process is down, not that a rule refused the command."""


def note_refusal(request: Request, found: Problem) -> None:
    """Note `found` among the request's refusals when a command (a POST) was refused by a
    rule: `iom_api_refusals_total` counts what is noted (`api.metrics`)."""
    kind = found.type.rsplit(":", 1)[-1]
    if request.method != "POST" or kind not in REFUSAL_KINDS or found.rule in OPERATIONAL_RULES:
        return
    request.scope.setdefault(REFUSALS, []).append((kind, found.rule or ""))


def respond(found: Problem, headers: dict[str, str] | None = None) -> JSONResponse:
    """The problem as its HTTP response."""
    return JSONResponse(
        found.model_dump(mode="json"),
        status_code=found.status,
        media_type=MEDIA_TYPE,
        headers=headers,
    )


def field_path(location: tuple[Any, ...] | list[Any]) -> str:
    """A pydantic error location as a dotted path into the request (`body`, `query` and
    `path` left out: the field's own name)."""
    parts = list(location)
    if parts and parts[0] in ("body", "query", "path"):
        parts = parts[1:]
    path = ""
    for part in parts:
        path += f"[{part}]" if isinstance(part, int) else (f".{part}" if path else str(part))
    return path or "body"


def validation_problem(error: RequestValidationError) -> Problem:
    """A request that failed validation: each field and check, the first on top."""
    found = [
        FieldProblem(
            field=field_path(e["loc"]),
            rule=str(e["type"]),
            detail=check_message(e),
        )
        for e in error.errors()
    ]
    first = found[0] if found else FieldProblem(field="body", rule="invalid", detail="")
    listed = "; ".join(f"{f.field}: {f.detail}" for f in found)
    return problem(
        422,
        "invalid-request",
        f"запрос не прошёл проверку: {listed}",
        rule=first.rule,
        field=first.field,
        errors_=found,
    )


def install(app: FastAPI) -> None:
    """Answer every error the API raises as problem details."""

    async def on_domain(request: Request, error: Exception) -> JSONResponse:
        assert isinstance(error, errors.DomainError)
        found = domain_problem(error)
        note_refusal(request, found)
        return respond(found)

    async def on_api(_request: Request, error: Exception) -> JSONResponse:
        assert isinstance(error, ProblemError)
        return respond(error.problem, error.headers)

    async def on_authentication(_request: Request, error: Exception) -> JSONResponse:
        assert isinstance(error, AuthenticationError)
        found = problem(401, "unauthenticated", error.message, rule=error.reason, field=error.claim)
        challenge = 'Bearer error="invalid_token"' if error.reason != "missing" else "Bearer"
        return respond(found, {"WWW-Authenticate": challenge})

    async def on_validation(_request: Request, error: Exception) -> JSONResponse:
        assert isinstance(error, RequestValidationError)
        return respond(validation_problem(error))

    async def on_http(_request: Request, error: Exception) -> JSONResponse:
        assert isinstance(error, HTTPException)
        if error.status_code == 400:  # FastAPI could not read the body (not UTF-8, say)
            found = problem(422, "invalid-request", CHECKS["json_invalid"], rule="json_invalid")
            return respond(found.model_copy(update={"field": "body"}))
        kind = {404: "not-found", 413: "payload-too-large"}.get(error.status_code, "http")
        detail = "нет такого адреса" if error.status_code == 404 else str(error.detail)
        rule = "max_body_bytes" if error.status_code == 413 else None
        found = problem(error.status_code, kind, detail, rule=rule)
        return respond(found, dict(error.headers or {}))

    async def on_unreachable(_request: Request, _error: Exception) -> JSONResponse:
        found = problem(503, "unavailable", "процессы ИОМ (Temporal) недоступны; повторите позже")
        return respond(found, {"Retry-After": "5"})

    async def on_failure(request: Request, error: Exception) -> JSONResponse:
        # The error's class and the endpoint only: a message may quote the request's content.
        route = request.scope.get("route")
        log.error(
            "request failed",
            error=type(error).__name__,
            endpoint=getattr(route, "path", None),
        )
        found = problem(500, "internal", "внутренняя ошибка сервиса; повторите позже")
        return respond(found)

    app.add_exception_handler(Exception, on_failure)
    app.add_exception_handler(errors.DomainError, on_domain)
    app.add_exception_handler(RPCError, on_unreachable)
    app.add_exception_handler(ProblemError, on_api)
    app.add_exception_handler(AuthenticationError, on_authentication)
    app.add_exception_handler(RequestValidationError, on_validation)
    app.add_exception_handler(HTTPException, on_http)
