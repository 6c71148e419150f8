"""Dates and moments in a query are written as dates, never as a number.

pydantic reads a number as a Unix time in lax mode: `?from=3.7e-245` would be 1970-01-01 and
answered as if asked. A query parameter is text a person or a portal wrote as a date: a number
is refused (any other text pydantic refuses by its own rules, with its own error types).
"""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Annotated

from pydantic import BeforeValidator
from pydantic_core import PydanticCustomError

_NUMBER = re.compile(r"\s*[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?\s*|\s*[+-]?(inf(inity)?|nan)\s*", re.I)
"""What pydantic would read as a Unix time."""


def _date_text(value: object) -> object:
    if isinstance(value, str) and _NUMBER.fullmatch(value):
        raise PydanticCustomError("date_parsing", "ожидается дата ГГГГ-ММ-ДД")
    return value


def _moment_text(value: object) -> object:
    if isinstance(value, str) and _NUMBER.fullmatch(value):
        raise PydanticCustomError("datetime_parsing", "ожидается момент ISO 8601 с часовым поясом")
    return value


IsoDate = Annotated[date, BeforeValidator(_date_text)]
"""A date written `ГГГГ-ММ-ДД`."""
IsoMoment = Annotated[datetime, BeforeValidator(_moment_text)]
"""A moment written in ISO 8601 (`2026-10-01T12:00:00+09:00`)."""
