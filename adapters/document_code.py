"""A printed page proves itself: the short code every route's document carries (as text and as
a QR code), and the check of a code against the store.

The code holds the route's id, the version the document shows and the first 40 bits of the
route's hash chain at that version, plus a check byte: 25 bytes written in Crockford's base32
as eight groups of five characters («7ZQ3M-…»), case-insensitive, with O read as 0 and I, L as
1, so a person can type it from paper. It carries no personal data: the route id is a uuid5 of
the portal's key, the version a number, the hash a digest.

A code matches the store when the route exists, has that version, and its chain, recomputed
from the stored events up to that version, ends in the hash the code names. A document of an
old version matches that version: the route moving on does not make the paper false.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from uuid import UUID

from aggregates.application import Routes
from aggregates.audit import verify_route

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # Crockford's base32: no I, L, O, U
_READ_AS = {"O": "0", "I": "1", "L": "1"}
_VERSION_BYTES = 3
_HEAD_BYTES = 5
_PAYLOAD = 16 + _VERSION_BYTES + _HEAD_BYTES
LENGTH = (_PAYLOAD + 1) * 8 // 5  # 40 characters
GROUP = 5
HEAD_SHOWN = _HEAD_BYTES * 2
"""How many hex digits of the chain hash a code holds."""


class DocumentCodeError(ValueError):
    """A text that is not a document's code (a typo, a torn page, a forgery); the message is
    Russian."""

    def __init__(self, message: str) -> None:
        self.message = message
        super().__init__(message)


@dataclass(frozen=True)
class DocumentCode:
    """What a document's code says: the route, the version shown, the chain hash's start."""

    route_id: UUID
    version: int
    head: str  # the first `HEAD_SHOWN` hex digits of the chain hash at `version`

    @classmethod
    def of(cls, route_id: UUID, version: int, chain_head: str) -> DocumentCode:
        """The code of a route's document at `version`, whose chain hash is `chain_head`."""
        return cls(route_id, version, chain_head[:HEAD_SHOWN].lower())

    @property
    def text(self) -> str:
        """The code as printed: eight groups of five, joined by dashes."""
        payload = (
            self.route_id.bytes
            + self.version.to_bytes(_VERSION_BYTES, "big")
            + bytes.fromhex(self.head)
        )
        number = int.from_bytes(payload + _check(payload), "big")
        chars = [ALPHABET[(number >> (5 * i)) & 31] for i in reversed(range(LENGTH))]
        return "-".join("".join(chars[i : i + GROUP]) for i in range(0, LENGTH, GROUP))

    @classmethod
    def parse(cls, text: str) -> DocumentCode:
        """The code a person typed or a scanner read; `DocumentCodeError` if it is not one."""
        chars = [_READ_AS.get(c, c) for c in text.upper() if c not in "- \t"]
        if len(chars) != LENGTH or any(c not in ALPHABET for c in chars):
            raise DocumentCodeError(
                f"код документа: ожидается {LENGTH} знаков (цифры и латинские буквы, группами"
                f" по {GROUP} через дефис), получено «{text.strip()[:60]}»"
            )
        number = 0
        for c in chars:
            number = number << 5 | ALPHABET.index(c)
        raw = number.to_bytes(_PAYLOAD + 1, "big")
        payload, check = raw[:_PAYLOAD], raw[_PAYLOAD:]
        if _check(payload) != check:
            raise DocumentCodeError(
                "код документа не сходится с контрольным знаком: опечатка, повреждённая"
                " страница или подделка"
            )
        version = int.from_bytes(payload[16 : 16 + _VERSION_BYTES], "big")
        return cls(UUID(bytes=payload[:16]), version, payload[16 + _VERSION_BYTES :].hex())


def _check(payload: bytes) -> bytes:
    return hashlib.sha256(payload).digest()[:1]


@dataclass(frozen=True)
class Verdict:
    """Whether a document's code matches the store, and why, in Russian."""

    code: DocumentCode
    matches: bool
    message: str
    current_version: int | None = None  # the route's version now (None: no such route)


def verify_code(routes: Routes, code: DocumentCode) -> Verdict:
    """Hold a document's code against the store: the route, its version, and the chain hash
    recomputed from the stored events up to that version."""
    route, version = code.route_id, code.version
    report = verify_route(routes, route, keep={version})
    if report.version == 0:
        return Verdict(code, False, f"ИОМ {route} в хранилище нет: документ не подтверждён")
    current = report.version if report.intact else None
    if report.broken_at is not None and report.broken_at <= version:
        return Verdict(
            code,
            False,
            f"цепочка хешей ИОМ {route} нарушена на событии {report.broken_at}"
            f" ({report.reason}): версию {version} подтвердить нельзя",
            current,
        )
    found = report.kept.get(version)
    if found is None:
        return Verdict(
            code,
            False,
            f"у ИОМ {route} нет версии {version} (последняя — {report.version}): документ не"
            " подтверждён",
            current,
        )
    if found[:HEAD_SHOWN] != code.head:
        return Verdict(
            code,
            False,
            f"хеш цепочки версии {version} ИОМ {route} в хранилище ({found[:HEAD_SHOWN]}) не"
            f" совпадает с хешем на документе ({code.head}): документ не соответствует хранилищу",
            current,
        )
    later = f"; ИОМ с тех пор изменён, текущая версия — {current}" if current != version else ""
    return Verdict(
        code,
        True,
        f"документ соответствует версии {version} ИОМ {route} (хеш цепочки {found[:HEAD_SHOWN]}…)"
        f"{later}",
        current,
    )
