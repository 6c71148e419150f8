"""What the webhook endpoints take and give: a subscription asked for, a subscription, a
delivery (the secret is taken, never given back)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, ClassVar, Literal, Self
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from activities.notify.webhook import check_url
from aggregates.values import Actor
from projections.feed import known_events
from projections.tasks import TASK_EVENTS

EXAMPLE_WEBHOOK_ID = "0b7e9d1c-6a52-4f0e-8d3b-2c9f5e1a7b40"
EXAMPLE_DELIVERY_ID = "c4a1e8f2-3b6d-5e9a-8f10-7d2c4b6a9e35"
Status = Literal["pending", "delivered", "failed", "cancelled"]


def event_names() -> set[str]:
    """The events a subscription may ask for: the route's, and the changes of its tasks."""
    return {cls.__name__ for cls in known_events()} | set(TASK_EVENTS.values())


class WebhookRequest(BaseModel):
    """Подписать адрес портала на события ИОМ своего региона (регион — из токена). Каждое
    событие, записанное после регистрации, приходит POST-запросом с подписью HMAC-SHA256
    (`X-IOM-Signature` = `v1=` + hex(HMAC(secret, timestamp + "." + тело))), метками времени
    (`X-IOM-Timestamp`), доставки (`X-IOM-Delivery`) и типа события (`X-IOM-Event`)."""

    model_config = ConfigDict(
        extra="forbid",
        frozen=True,
        json_schema_extra={
            "examples": [
                {
                    "url": "https://portal.example.ru/iom/events",
                    "secret": "3b1f0c2a9e8d7c6b5a4f3e2d1c0b9a88",
                    "event_types": ["RouteApproved", "ConclusionsSigned"],
                }
            ]
        },
    )

    url: Annotated[str, Field(max_length=2000)] = Field(
        description="Адрес приёма событий: `https://хост/…` (`http://` — если разрешено"
        " IOM_WEBHOOK_ALLOW_HTTP), порт из IOM_WEBHOOK_PORTS (по умолчанию 443), без логина и"
        " пароля, фрагмента, пробелов и управляющих символов; хост — имя или публичный адрес"
        " (внутренние адреса — только из IOM_WEBHOOK_ALLOW_HOSTS). Имя проверяется ещё раз при"
        " каждой доставке, после разрешения в адрес."
    )
    secret: Annotated[str, Field(min_length=16, max_length=256, pattern=r"^[!-~]+$")] = Field(
        description="Общий секрет подписи: от 16 до 256 печатных символов ASCII без пробелов;"
        " в ответах не возвращается."
    )
    event_types: list[str] = Field(
        default=[],
        max_length=64,
        description="Типы событий (`RouteApproved`, …, изменения задач `TaskCreated`, …);"
        " пустой список — все события.",
    )

    @field_validator("url")
    @classmethod
    def _url(cls, value: str) -> str:
        try:
            check_url(value)
        except ValueError:
            raise ValueError("ожидается адрес http(s)://хост/…") from None
        return value

    @field_validator("event_types")
    @classmethod
    def _types(cls, value: list[str]) -> list[str]:
        unknown = sorted(set(value) - event_names())
        if unknown:
            raise ValueError(f"нет таких событий: {', '.join(unknown)}")
        return sorted(set(value))


class Stored(BaseModel):
    """A model read from a stored row: each field from the column of its name, or of the name
    `COLUMNS` gives it."""

    COLUMNS: ClassVar[dict[str, str]] = {}

    @classmethod
    def of(cls, row: dict[str, Any]) -> Self:
        """The model of a stored row."""
        return cls(**{name: row[cls.COLUMNS.get(name, name)] for name in cls.model_fields})


class Webhook(Stored):
    """Подписка портала на события ИОМ региона (секрет не показывается)."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "id": EXAMPLE_WEBHOOK_ID,
                    "region": "sakha",
                    "url": "https://portal.example.ru/iom/events",
                    "event_types": ["RouteApproved"],
                    "created_by": "operator-sakha-1",
                    "created_at": "2026-11-23T09:00:00Z",
                }
            ]
        }
    )

    id: UUID = Field(description="Идентификатор подписки.")
    region: str = Field(description="Код региона, чьи события приходят.")
    url: str = Field(description="Адрес приёма событий.")
    event_types: list[str] = Field(description="Типы событий; пустой список — все.")
    created_by: str = Field(description="Кто зарегистрировал (идентификатор пользователя).")
    created_at: datetime = Field(description="Когда зарегистрирована.")

    COLUMNS: ClassVar[dict[str, str]] = {"id": "subscription_id", "region": "profile_id"}


class WebhookDelivery(Stored):
    """Доставка одного события ИОМ по подписке: состояние, попытки, последняя ошибка."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "id": EXAMPLE_DELIVERY_ID,
                    "event_type": "RouteApproved",
                    "route_id": "3f1c9a52-7d7e-5b1a-9c55-0e6a1f0a2b11",
                    "version": 9,
                    "status": "pending",
                    "attempts": 2,
                    "next_attempt_at": "2026-11-23T09:00:40Z",
                    "last_status": 503,
                    "last_error": "адрес ответил HTTP 503: доставка не принята",
                    "created_at": "2026-11-23T09:00:00Z",
                    "delivered_at": None,
                }
            ]
        }
    )

    id: UUID = Field(description="Идентификатор доставки (заголовок `X-IOM-Delivery`).")
    event_type: str = Field(description="Тип события.")
    route_id: UUID = Field(description="Идентификатор ИОМ.")
    version: int = Field(description="Версия ИОМ, которую записало событие.")
    status: Status = Field(
        description="`pending` — ждёт отправки, `delivered` — принята, `failed` — попытки"
        " исчерпаны или адрес отказал, `cancelled` — подписка удалена."
    )
    attempts: int = Field(description="Сделано попыток.")
    next_attempt_at: datetime | None = Field(
        default=None, description="Когда следующая попытка (для `pending`)."
    )
    last_status: int | None = Field(default=None, description="HTTP-код последнего ответа.")
    last_error: str | None = Field(
        default=None,
        description="Последняя ошибка доставки, кратко: код ответа, нет ответа, нет соединения,"
        " адрес запрещён (тело и заголовки ответа не сохраняются).",
    )
    created_at: datetime = Field(description="Когда доставка создана.")
    delivered_at: datetime | None = Field(default=None, description="Когда принята.")

    COLUMNS: ClassVar[dict[str, str]] = {"id": "delivery_id"}

    @model_validator(mode="after")
    def _next_only_pending(self) -> Self:
        if self.status != "pending":
            self.next_attempt_at = None
        return self


class WebhookEvent(BaseModel):
    """Событие ИОМ, которое приходит по подписке (тело POST-запроса). Подпись — в заголовке
    `X-IOM-Signature`; повторы одной доставки отбрасываются по `X-IOM-Delivery`. Персональных
    данных нет: только идентификаторы и содержание ИОМ."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "delivery_id": EXAMPLE_DELIVERY_ID,
                    "subscription_id": EXAMPLE_WEBHOOK_ID,
                    "event_type": "RouteApproved",
                    "route_id": "3f1c9a52-7d7e-5b1a-9c55-0e6a1f0a2b11",
                    "version": 9,
                    "region": "sakha",
                    "occurred_at": "2026-11-23T09:00:00+00:00",
                    "actor": {"id": "centre-head-sakha", "role": "centre_head"},
                    "command_id": "api-5b0e3c1e-8c0f-5f47-a1b6-1f3a2c9d8e77",
                    "summary": "ИОМ утверждён (редакция 1)",
                    "data": {"revision": 1},
                }
            ]
        }
    )

    delivery_id: UUID = Field(description="Идентификатор доставки (как `X-IOM-Delivery`).")
    subscription_id: UUID = Field(description="Идентификатор подписки.")
    event_type: str = Field(
        description="Тип события (как `X-IOM-Event`): событие ИОМ (`RouteApproved`, …) или"
        " изменение задачи (`TaskCreated`, `TaskDueSoon`, `TaskOverdue`, `TaskEscalated`,"
        " `TaskDone`, `TaskCancelled`)."
    )
    route_id: UUID = Field(description="Идентификатор ИОМ.")
    version: int = Field(description="Версия ИОМ, которую записало событие.")
    region: str = Field(description="Код региона.")
    occurred_at: datetime = Field(description="Когда событие записано.")
    actor: Actor = Field(description="Кто действовал: идентификатор и роль.")
    command_id: str = Field(description="Идентификатор команды, записавшей событие.")
    summary: str = Field(description="Событие одной строкой по-русски, в терминах регламента.")
    data: dict[str, Any] = Field(
        description="Поля события (у открытия ИОМ — редакция регламента `profile`); у"
        " изменения задачи — задача: `task_id`, `kind`, `operation`, `about`, `assignee`"
        " (`role`, `scope`, `id`), `due_on`, `state`, `escalated_to`."
    )
