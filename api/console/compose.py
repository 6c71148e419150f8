"""The bulk operation's form in the console: its fields in Russian, and the fields a person
filled read into the API's own `OperationBody` (the same model `POST /operations` takes, so the
same checks follow: the region held to the token's, the action's parameters by `checked`).

The form names the filter fields as `RouteQuery` does, the action's parameters `param.<name>`,
the reason and the ticket as the API does; an empty field is one not given.
"""

from __future__ import annotations

import inspect
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Annotated, Any

from fastapi import Depends, Query
from pydantic import ValidationError

from activities.bulk import ACTIONS, BulkAction
from aggregates.errors import InvalidCommandError, invalid_content
from aggregates.profiles import STAGE_TITLES, Stage
from aggregates.values import ROLE_TITLES, Role
from api.console.pages import role_title
from api.endpoints.operations import OperationBody

FILTERS: dict[str, str] = {
    "municipality_id": "Муниципалитет (идентификатор)",
    "school_id": "ОО (идентификатор)",
    "methodist_id": "Закреплённый методист (идентификатор)",
    "stage": "Этап ИОМ",
    "waiting_on": "Ждёт согласования стороны",
    "overdue": "Просроченные мероприятия",
    "edition": "Редакция регламента (например sakha@1)",
    "route_ids": "Перечень ИОМ вместо фильтра (идентификаторы через пробел или запятую)",
}
"""The filter fields of `RouteQuery` the form offers (the region is the token's), labelled."""
PARAMS: dict[str, str] = {
    "deadline": "Срок (ключ, например activity:A1 или agreement:methodist)",
    "until": "Новый срок",
    "methodist_id": "Новый методист (идентификатор)",
    "order": "Распорядительный акт",
    "key": "Уведомление (ключ)",
    "edition": "Новая редакция регламента (например sakha@2)",
    "mapping": "Соответствие компетенций старой и новой редакции (JSON одной строкой)",
}
"""The actions' parameters, labelled (a parameter not here is shown by its name)."""
SUMMARY = {"region": "Регион", "route_ids": "Перечень ИОМ"}
"""Labels of an operation's filter where the form's own do not fit a summary."""
OVERDUE = {"yes": True, "no": False}
PARTIES = {
    role.value: title
    for role, title in ROLE_TITLES.items()
    if role not in (Role.OPERATOR, Role.AUDITOR, Role.SYSTEM)
}
"""The parties a route may wait on in its agreement, for the filter's choice."""
PREFIX = "param."
NOT_FORM = ("csrf", "key")
"""A run's own fields, not the operation's."""


@dataclass(frozen=True)
class ParamField:
    """One parameter of the chosen action, as the form draws it."""

    name: str
    label: str
    kind: str  # "date" or "text" (a structure as JSON text)
    required: bool


def field_names() -> list[str]:
    """Every field the form may send: the action, the filter, every action's parameters, the
    reason and the ticket."""
    params = {
        f"{PREFIX}{name}" for action in ACTIONS.values() for name in action.params.model_fields
    }
    return ["action", *FILTERS, *sorted(params), "reason", "ticket"]


def read_form() -> Callable[..., dict[str, str]]:
    """A dependency reading the form's fields from the query: each declared, so that the
    API's check of undeclared query parameters (`api.parameters`) holds here too."""
    names = field_names()

    def read(**given: str | None) -> dict[str, str]:
        return {names[int(k[1:])]: v for k, v in given.items() if v is not None}

    longest = {"route_ids": 40_000, f"{PREFIX}mapping": 20_000}
    declared = [
        inspect.Parameter(
            f"f{index}",
            inspect.Parameter.KEYWORD_ONLY,
            default=Query(None, alias=name, max_length=longest.get(name, 1000)),
            annotation=str | None,
        )
        for index, name in enumerate(names)
    ]
    setattr(read, "__signature__", inspect.Signature(declared))  # noqa: B010 - FastAPI reads it
    return read


FormDep = Annotated[dict[str, str], Depends(read_form())]
"""The bulk operation's form as a GET sent it."""


def action_of(name: str | None) -> BulkAction | None:
    """The action the form names, if it is one."""
    return ACTIONS.get(name or "")


def param_fields(action: BulkAction) -> list[ParamField]:
    """The action's parameters, as the form draws them."""
    found = []
    for name, info in action.params.model_fields.items():
        kind = "date" if info.annotation is date else "text"
        found.append(ParamField(name, PARAMS.get(name, name), kind, info.is_required()))
    return found


def given(fields: dict[str, str]) -> dict[str, str]:
    """The operation's fields a person filled (the run's own left out), the list of routes
    separated by single spaces."""
    filled = {k: v for k, v in fields.items() if v.strip() and k not in NOT_FORM}
    if "route_ids" in filled:
        filled["route_ids"] = " ".join(listed(filled["route_ids"]))
    return filled


def listed(text: str) -> list[str]:
    """The route ids of the form's list (separated by spaces or commas)."""
    return re.split(r"[\s,;]+", text.strip())


def body_of(fields: dict[str, str]) -> OperationBody:
    """The operation the form asks for, as `POST /operations` takes it; else the refusal
    naming the field (`InvalidCommandError`)."""
    filled = given(fields)
    query: dict[str, Any] = {k: filled[k] for k in FILTERS if k in filled}
    if "overdue" in query:
        query["overdue"] = OVERDUE.get(query["overdue"], query["overdue"])
    if "route_ids" in query:
        query["route_ids"] = listed(query["route_ids"])
        if len(query) > 1:
            raise InvalidCommandError(
                "content",
                "поле «route_ids»: перечень ИОМ не сочетается с фильтрами — либо перечень,"
                " либо фильтр",
                "query.route_ids",
            )
    params: dict[str, Any] = {}
    for name, value in filled.items():
        if name.startswith(PREFIX):
            params[name.removeprefix(PREFIX)] = value
    if "mapping" in params:
        try:
            params["mapping"] = json.loads(params["mapping"])
        except ValueError:
            raise InvalidCommandError(
                "content", "поле «params.mapping»: ожидается JSON", "params.mapping"
            ) from None
    asked = {
        "action": filled.get("action", ""),
        "params": params,
        "query": query,
        "reason": filled.get("reason", ""),
        "ticket": filled.get("ticket", ""),
    }
    try:
        return OperationBody.model_validate(asked)
    except ValidationError as error:
        raise invalid_content(error) from None


def query_words(query: dict[str, Any]) -> list[tuple[str, str]]:
    """An operation's filter in words: each field's label and its value."""
    return [
        (SUMMARY.get(name) or FILTERS.get(name, name), value_words(name, value))
        for name, value in query.items()
    ]


def value_words(name: str, value: Any) -> str:
    """A filter field's value in words."""
    if name == "stage":
        return STAGE_TITLES.get(Stage(value), str(value))
    if name == "waiting_on":
        return role_title(str(value))
    if name == "overdue":
        return "есть" if value else "нет"
    if name == "route_ids":
        return f"{len(value)} ИОМ"
    return str(value)


def params_words(params: dict[str, Any]) -> list[tuple[str, str]]:
    """An operation's parameters in words."""
    return [
        (PARAMS.get(name, name), json.dumps(value, ensure_ascii=False))
        if isinstance(value, dict | list)
        else (PARAMS.get(name, name), str(value))
        for name, value in params.items()
    ]
