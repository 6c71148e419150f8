"""Dates and moments in a query take their ISO 8601 text only.

pydantic reads a number as a Unix time in lax mode: `?from=3.7e-245` would be 1970-01-01 and
answered as if asked. A query parameter is text a person or a portal wrote as a date, so any
other form is refused with pydantic's own error type, which the problem details name.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Annotated

from pydantic import BeforeValidator
from pydantic_core import PydanticCustomError

_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_MOMENT = re.compile(r"\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}.*")


def _date_text(value: object) -> object:
    if isinstance(value, str) and not _DATE.fullmatch(value):
        raise PydanticCustomError("date_parsing", "ожидается дата ГГГГ-ММ-ДД")
    return value


def _moment_text(value: object) -> object:
    if isinstance(value, str) and not _MOMENT.fullmatch(value):
        raise PydanticCustomError("datetime_parsing", "ожидается момент ISO 8601 с часовым поясом")
    return value


IsoDate = Annotated[date, BeforeValidator(_date_text)]
"""A date written `ГГГГ-ММ-ДД`."""
IsoMoment = Annotated[datetime, BeforeValidator(_moment_text)]
"""A moment written in ISO 8601 (`2026-10-01T12:00:00+09:00`)."""
