"""Pages of a list: the `sort` parameter, the page size and the opaque cursor.

A cursor is where the previous page ended: base64url of a compact JSON document naming the list,
the sort it was read in and the last row's values of the sort's columns, followed by a check
digest. A cursor that does not decode, fails its check, or belongs to another list or sort is a
422 problem. It is not a credential: what a page may hold is decided by the token alone, so a
crafted cursor moves only within the caller's own reach.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from dataclasses import dataclass
from typing import Any

from api.problems import ProblemError
from projections.tables import BadPageError, Db, Filters, Listing, Sort

_CHECK_BYTES = 8
DAMAGED = "курсор страницы повреждён или не от этого списка"


def invalid(field: str, rule: str, detail: str, kind: str = "invalid-request") -> ProblemError:
    """A 422 problem naming the query parameter at fault."""
    return ProblemError(422, kind, detail, rule=rule, field=field)


def parse_sort(listing: Listing, text: str | None) -> Sort:
    """`col,-other` as a sort order; a column the list does not sort by is a 422 problem."""
    if not text:
        return ()
    sort: list[tuple[str, bool]] = []
    for part in text.split(","):
        name = part.strip()
        descending = name.startswith("-")
        name = name.removeprefix("-")
        if name not in listing.sortable or any(name == seen for seen, _ in sort):
            allowed = ", ".join(listing.sortable)
            raise invalid(
                "sort", "sortable", f"сортировка по «{name}» невозможна; доступны: {allowed}"
            )
        sort.append((name, descending))
    return tuple(sort)


def _digest(payload: bytes) -> bytes:
    return hashlib.sha256(b"iom-cursor:" + payload).digest()[:_CHECK_BYTES]


def encode_cursor(name: str, sort: Sort, position: list[Any]) -> str:
    """The cursor after a row at `position` of list `name` read in `sort`."""
    document = {"l": name, "s": [[c, d] for c, d in sort], "p": position}
    payload = json.dumps(document, separators=(",", ":"), ensure_ascii=False).encode()
    return base64.urlsafe_b64encode(payload + _digest(payload)).decode().rstrip("=")


def decode_cursor(name: str, sort: Sort, cursor: str) -> list[Any]:
    """The position a cursor of list `name` in `sort` holds; else a 422 problem."""
    bad = invalid("cursor", "cursor", DAMAGED, "invalid-cursor")
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
    except (binascii.Error, ValueError):
        raise bad from None
    payload, check = raw[:-_CHECK_BYTES], raw[-_CHECK_BYTES:]
    if len(raw) <= _CHECK_BYTES or _digest(payload) != check:
        raise bad
    try:
        document = json.loads(payload)
    except ValueError:
        raise bad from None
    if not isinstance(document, dict) or document.get("l") != name:
        raise bad
    if document.get("s") != [[c, d] for c, d in sort] or not isinstance(document.get("p"), list):
        raise invalid(
            "cursor", "cursor_sort", "курсор получен при другой сортировке", "invalid-cursor"
        )
    position: list[Any] = document["p"]
    return position


@dataclass(frozen=True)
class PageAsk:
    """Which page: the sort (checked), the cursor of the page before, the size (checked)."""

    sort: Sort
    cursor: str | None
    limit: int


def read_page(
    listing: Listing, db: Db, name: str, filters: Filters, ask: PageAsk
) -> tuple[list[dict[str, Any]], str | None]:
    """One page of list `name` and the cursor of the next (None after the last)."""
    after = decode_cursor(name, ask.sort, ask.cursor) if ask.cursor else None
    try:
        rows = listing.select(db, filters, ask.sort, after, ask.limit + 1)
    except BadPageError:
        raise invalid("cursor", "cursor", DAMAGED, "invalid-cursor") from None
    if len(rows) <= ask.limit:
        return rows, None
    rows = rows[: ask.limit]
    position = listing.position(listing.order(ask.sort), rows[-1])
    return rows, encode_cursor(name, ask.sort, position)
