"""The error answers each endpoint documents (all RFC 9457 problem details), and the files it
takes or gives as bodies."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from api.problems import MEDIA_TYPE, Problem

WHEN = {
    400: "Нет заголовка Idempotency-Key или он неверного вида.",
    401: "Нет токена портала, или он просрочен, подписан не тем ключом, выдан не для этого"
    " сервиса.",
    403: "Роль не может выполнить это действие по этому ИОМ (правило — в `rule`).",
    404: "ИОМ нет, или он вне досягаемости пользователя (другой регион, ОО, чужой ИОМ).",
    409: "Действие невозможно на этом этапе ИОМ, или ИОМ изменён параллельно.",
    410: "Персональные данные педагога уничтожены (152-ФЗ).",
    422: "Входные данные неверны (поле — в `field`, правило — в `rule`), или ключ"
    " идемпотентности уже использован с другим запросом.",
    413: "Тело запроса больше допустимого (IOM_API_MAX_BODY_BYTES).",
    429: "Слишком много запросов от пользователя: повторите через `Retry-After` секунд.",
    503: "Процессы ИОМ (Temporal) временно недоступны.",
    504: "Процесс ИОМ не ответил вовремя: повторите с тем же Idempotency-Key.",
}


def problems(
    *statuses: int, when: Mapping[int, str] | None = None
) -> dict[int | str, dict[str, Any]]:
    """The `responses` of an endpoint that may answer these problems (`when` says it
    otherwise for this endpoint)."""
    said = {**WHEN, **(when or {})}
    return {
        status: {
            "model": Problem,
            "description": said[status],
            "content": {MEDIA_TYPE: {"schema": {"$ref": "#/components/schemas/Problem"}}},
        }
        for status in statuses
    }


BINARY = {"schema": {"type": "string", "format": "binary"}}
"""A file, as a body's or an answer's content."""
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def file_body(*media: str) -> dict[str, Any]:
    """An endpoint's `openapi_extra` for a request whose body is a file of one of `media`."""
    return {"requestBody": {"required": True, "content": dict.fromkeys(media, BINARY)}}
