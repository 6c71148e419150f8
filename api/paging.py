"""Pages of a list: the `sort` parameter, the page size and the opaque cursor.

A cursor is where the previous page ended: base64url of a compact JSON document naming the sort
it was read in and the last row's values of the sort's columns, followed by its check: an
HMAC-SHA256 with the server's key (`CursorKey`) over the list's name, the filters it was read with
(the token's region and reach among them) and the document. A cursor that does not decode, fails
its check (forged, altered, of another list, region or filter), holds NaN or Infinity, or was
read in another sort is a 422 problem (`cursor` rule). It is not a credential: what a page may
hold is decided by the token alone.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import secrets
from dataclasses import dataclass
from typing import Any

import structlog

from api.problems import ProblemError
from projections.tables import BadPageError, Db, Filters, Listing, Sort
from runtime.settings import Settings

log = structlog.get_logger("iom.api")

_CHECK_BYTES = 16
DAMAGED = "курсор страницы повреждён или получен не для этого списка, региона или фильтра"


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


@dataclass(frozen=True)
class CursorKey:
    """The server's key that signs cursors (HMAC-SHA256): `IOM_CURSOR_KEY`, else one derived
    from `IOM_PORTAL_JWT_SECRET`; with neither, a key of this process only (its cursors do not
    outlive it nor pass to another API process: logged as a warning)."""

    key: bytes

    @classmethod
    def from_settings(cls, settings: Settings) -> CursorKey:
        """The key the settings give."""
        if settings.cursor_key is not None:
            return cls(settings.cursor_key.get_secret_value().encode())
        if settings.portal_jwt_secret is not None:
            secret = settings.portal_jwt_secret.get_secret_value().encode()
            return cls(hmac.new(secret, b"iom-cursor-key", hashlib.sha256).digest())
        log.warning("cursor key of this process only: set IOM_CURSOR_KEY")
        return cls(secrets.token_bytes(32))

    def check(self, name: str, filters: Filters, payload: bytes) -> bytes:
        """The check of a cursor of list `name` read with `filters` (the region and the
        reach among them): a cursor moves only within the list, region and filters it came
        from."""
        scope = json.dumps([name, {k: str(v) for k, v in filters.given().items()}])
        signed = hmac.new(self.key, scope.encode() + b"\n" + payload, hashlib.sha256)
        return signed.digest()[:_CHECK_BYTES]


def encode_cursor(
    key: CursorKey, name: str, filters: Filters, sort: Sort, position: list[Any]
) -> str:
    """The cursor after a row at `position` of list `name` read with `filters` in `sort`."""
    document = {"s": [[c, d] for c, d in sort], "p": position}
    payload = json.dumps(document, separators=(",", ":"), ensure_ascii=False).encode()
    check = key.check(name, filters, payload)
    return base64.urlsafe_b64encode(payload + check).decode().rstrip("=")


def _constant(_name: str) -> Any:
    raise ValueError("no NaN or Infinity in a cursor")


def decode_cursor(
    key: CursorKey, name: str, filters: Filters, sort: Sort, cursor: str
) -> list[Any]:
    """The position a cursor of list `name` read with `filters` in `sort` holds; else a 422
    problem."""
    bad = invalid("cursor", "cursor", DAMAGED, "invalid-cursor")
    try:
        raw = base64.urlsafe_b64decode(cursor.encode("ascii") + b"=" * (-len(cursor) % 4))
    except (binascii.Error, ValueError):
        raise bad from None
    payload, check = raw[:-_CHECK_BYTES], raw[-_CHECK_BYTES:]
    if len(raw) <= _CHECK_BYTES or not hmac.compare_digest(
        key.check(name, filters, payload), check
    ):
        raise bad
    try:
        document = json.loads(payload, parse_constant=_constant)
    except ValueError:
        raise bad from None
    if not isinstance(document, dict) or not isinstance(document.get("p"), list):
        raise bad
    if document.get("s") != [[c, d] for c, d in sort]:
        raise invalid(
            "cursor", "cursor_sort", "курсор получен при другой сортировке", "invalid-cursor"
        )
    position: list[Any] = document["p"]
    return position


@dataclass(frozen=True)
class PageAsk:
    """Which page: the sort (checked), the cursor of the page before, the size (checked), and
    the key that checks the cursor."""

    sort: Sort
    cursor: str | None
    limit: int
    key: CursorKey


def read_page(
    listing: Listing, db: Db, name: str, filters: Filters, ask: PageAsk
) -> tuple[list[dict[str, Any]], str | None]:
    """One page of list `name` and the cursor of the next (None after the last)."""
    after = decode_cursor(ask.key, name, filters, ask.sort, ask.cursor) if ask.cursor else None
    try:
        rows = listing.select(db, filters, ask.sort, after, ask.limit + 1)
    except BadPageError:
        raise invalid("cursor", "cursor", DAMAGED, "invalid-cursor") from None
    if len(rows) <= ask.limit:
        return rows, None
    rows = rows[: ask.limit]
    position = listing.position(listing.order(ask.sort), rows[-1])
    return rows, encode_cursor(ask.key, name, filters, ask.sort, position)
