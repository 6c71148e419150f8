"""Russian for the checks input most often fails (pydantic's error types): one wording for a
request body the API refuses and a file's row an importer refuses."""

from __future__ import annotations

from typing import Any

CHECKS = {
    "missing": "поле обязательно",
    "extra_forbidden": "такого поля нет",
    "string_too_short": "строка короче допустимого",
    "string_too_long": "строка длиннее допустимого",
    "string_pattern_mismatch": "значение не соответствует формату",
    "string_type": "ожидается строка",
    "int_parsing": "ожидается целое число",
    "int_type": "ожидается целое число",
    "greater_than_equal": "значение меньше допустимого",
    "less_than_equal": "значение больше допустимого",
    "too_short": "слишком мало элементов",
    "too_long": "слишком много элементов",
    "date_from_datetime_parsing": "ожидается дата ГГГГ-ММ-ДД",
    "date_parsing": "ожидается дата ГГГГ-ММ-ДД",
    "datetime_parsing": "ожидается момент ISO 8601 с часовым поясом",
    "date_type": "ожидается дата ГГГГ-ММ-ДД",
    "literal_error": "значение не из допустимых",
    "enum": "значение не из допустимых",
    "uuid_parsing": "ожидается UUID",
    "model_type": "ожидается объект JSON",
    "dict_type": "ожидается объект JSON",
    "list_type": "ожидается список",
    "json_invalid": "тело запроса — не JSON",
    "value_error": "значение неверно",
    "text_unprintable": "недопустимый символ",
    "date_implausible": "дата вне допустимого окна",
}
OWN_MESSAGES = frozenset({"text_unprintable", "date_implausible"})
"""The engine's own checks: their Russian message names the character or the date at fault."""


def check_message(error: Any) -> str:
    """A pydantic error (`ErrorDetails`) in Russian: the engine's own checks say it themselves,
    the rest by their type."""
    if error["type"] in OWN_MESSAGES:
        return str(error["msg"])
    return CHECKS.get(str(error["type"]), "значение не подходит")
