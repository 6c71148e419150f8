"""The per-route hash chain: each event's hash covers its content and the previous hash."""

from __future__ import annotations

import hashlib
import json
from typing import Any

GENESIS = "0" * 64


def canonical(content: dict[str, Any]) -> bytes:
    """The one byte form of an event's content that every hash is taken over."""
    return json.dumps(content, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode()


def link(previous: str, content: dict[str, Any]) -> str:
    """The hash of an event whose content is `content` and whose predecessor hashed `previous`."""
    return hashlib.sha256(previous.encode() + b"\n" + canonical(content)).hexdigest()
