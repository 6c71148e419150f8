"""The QR code each page of a route's document carries: its check code
(`adapters.document_code`), drawn by segno (pure Python) as a PNG both writers place in the
page's footer."""

from __future__ import annotations

from functools import lru_cache
from io import BytesIO

import segno

QR_SIZE = 16  # mm on the page: a phone reads it from a printout
QR_BORDER = 2  # modules of quiet zone: the least a reader needs around the symbol


@lru_cache(maxsize=64)
def qr_png(code: str) -> bytes:
    """The QR code of `code` as PNG bytes (error correction M: a stained corner still reads)."""
    buffer = BytesIO()
    segno.make(code, error="m", micro=False).save(buffer, kind="png", scale=8, border=QR_BORDER)
    return buffer.getvalue()
