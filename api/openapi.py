"""The OpenAPI document (3.1) the portal's developers read: the endpoints' Russian docstrings,
and for the models shared with the route, Russian descriptions and examples from
`api.glossary`. FastAPI's own validation-error schema is replaced by problem details."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

from api.endpoints.responses import WHEN
from api.glossary import EXAMPLES, FIELDS, MODELS
from api.idempotency import HEADER
from api.problems import MEDIA_TYPE

DESCRIPTION = """\
API движка индивидуальных образовательных маршрутов (ИОМ) педагогов для регионального портала.

**Аутентификация.** Каждый запрос (кроме `/health/*`) несёт заголовок
`Authorization: Bearer <JWT>`: короткоживущий токен, который портал подписывает для действия
пользователя (HS256 общим секретом или RS256 ключом портала) с утверждениями `sub`, `role`,
`region`, `school`, `teacher_id`, `aud`, `exp`. Без токена или с негодным — 401.

**Доступ.** Регион из токена — граница данных: ИОМ другого региона не существует для
пользователя. Педагог видит свои ИОМ, методист — закреплённые за ним, руководители ОО и МО —
ИОМ своей ОО, руководитель ЦНППМ, аудитор и оператор — ИОМ региона. Чужой ИОМ — 404;
действие, которое роль выполнить не может, — 403. Списки мониторинга и журнал аудита
ограничены тем же охватом; сводные данные региона (массовые дефициты, нагрузка методистов,
динамика по муниципалитетам и ОО, аналитический отчёт по диагностике) — руководителю ЦНППМ,
аудитору и оператору.
Информационная справка педагога (персональные данные, 152-ФЗ) — только самому педагогу, его
методисту, руководителю его ОО и руководителю ЦНППМ региона.

**Списки** выдаются страницами: `limit` (до 200), `sort` (`столбец,-столбец`) и `cursor` из
`next_cursor` предыдущей страницы.

**Команды.** Каждая команда — `POST` с заголовком `Idempotency-Key`: повтор с тем же ключом и
телом возвращает первый ответ и ничего не записывает повторно; тот же ключ с другим телом — 422.

**Пакеты.** `POST /routes/batch` и `POST /diagnostics/batch` принимают много элементов
одним запросом с одним `Idempotency-Key`; каждый элемент проверяется как отдельная команда и
получает свой ответ (ошибка — с полем `items[i]…`); отклонённые элементы ничего не записывают.

**Ошибки** — RFC 9457 (`application/problem+json`): `type`, `title`, `status`, `detail`
(по-русски), `rule` — нарушенное правило, `field` — поле запроса.
"""


def document(app: FastAPI) -> dict[str, Any]:
    """The app's OpenAPI document with the Russian text and the examples filled in."""
    doc = get_openapi(
        title=app.title,
        version=app.version,
        description=DESCRIPTION,
        routes=app.routes,
        webhooks=app.webhooks.routes,
    )
    schemas: dict[str, Any] = doc.get("components", {}).get("schemas", {})
    drop_validation_errors(doc, schemas)
    for path in doc.get("paths", {}).values():
        for operation in path.values():
            for parameter in operation.get("parameters", []):
                if parameter["name"] == HEADER:  # checked by the API itself: a 400, not a 422
                    parameter["required"] = True
                    parameter["schema"] = {"type": "string", "minLength": 1, "maxLength": 128}
            document_limits(operation)
            invalid = operation.get("responses", {}).get("422", {}).get("content", {})
            for media in invalid.values():
                media["schema"] = {"$ref": "#/components/schemas/Problem"}
            if invalid:  # FastAPI's own 422 names application/json: the answer is a problem
                invalid[MEDIA_TYPE] = {"schema": {"$ref": "#/components/schemas/Problem"}}
    for name, schema in schemas.items():
        if name in MODELS:
            schema["description"] = MODELS[name]
        if "examples" not in schema and name in EXAMPLES:
            schema["examples"] = [EXAMPLES[name]]
        for field, prop in schema.get("properties", {}).items():
            text = FIELDS.get(f"{name}.{field}") or FIELDS.get(field)
            if text and "description" not in prop:
                prop["description"] = text
    return doc


def drop_validation_errors(doc: dict[str, Any], schemas: dict[str, Any]) -> None:
    """FastAPI's own 422 schemas go: the API answers a problem instead, and the webhooks (the
    portal answers them) have no 422 of the engine's at all."""
    for name in ("HTTPValidationError", "ValidationError"):
        schemas.pop(name, None)
    for hook in doc.get("webhooks", {}).values():
        for operation in hook.values():
            operation.get("responses", {}).pop("422", None)


def document_limits(operation: dict[str, Any]) -> None:
    """The limits every endpoint is held to (`api.limits`), documented on each: a body over
    the limit (413) where the endpoint takes one, a user over their rate (429) where it takes
    a token."""
    responses = operation.setdefault("responses", {})
    limits = {"413": "requestBody" in operation, "429": "security" in operation}
    for status, applies in limits.items():
        if applies and status not in responses:
            responses[status] = {
                "description": WHEN[int(status)],
                "content": {MEDIA_TYPE: {"schema": {"$ref": "#/components/schemas/Problem"}}},
            }


def install_openapi(app: FastAPI) -> None:
    """Serve `document(app)` at `/openapi.json` (built once)."""

    def build() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = document(app)
        return app.openapi_schema

    app.openapi = build  # type: ignore[method-assign]
