"""The check code a document carries (`adapters.document_code`): route, version and chain hash
in 40 typable characters with a check byte; read back whatever the case or the look-alike
letters; a changed character refused; and the QR code segno draws holds exactly the code."""

from __future__ import annotations

import hashlib
import uuid
from io import BytesIO

import pytest
import zxingcpp
from PIL import Image

from adapters.document_code import ALPHABET, LENGTH, DocumentCode, DocumentCodeError
from projections.documents.qr import qr_png

ROUTE = uuid.uuid5(uuid.NAMESPACE_URL, "sakha/route-0001")
HEAD = hashlib.sha256(b"head").hexdigest()


def test_the_code_round_trips_and_holds_no_more_than_route_version_and_hash() -> None:
    code = DocumentCode.of(ROUTE, 1234, HEAD)
    text = code.text
    groups = text.split("-")
    assert [len(g) for g in groups] == [5] * 8 and len(text.replace("-", "")) == LENGTH
    assert set(text.replace("-", "")) <= set(ALPHABET)
    assert DocumentCode.parse(text) == code == DocumentCode(ROUTE, 1234, HEAD[:10])
    # Typed from paper: lower case, spaces for dashes, O for 0 and I or L for 1.
    typed = text.lower().replace("-", " ").replace("0", "o").replace("1", "l")
    assert DocumentCode.parse(typed) == code


def test_a_changed_character_or_a_wrong_length_is_refused_in_russian() -> None:
    text = DocumentCode.of(ROUTE, 7, HEAD).text
    forged = text[:3] + ("A" if text[3] != "A" else "B") + text[4:]
    with pytest.raises(DocumentCodeError, match="контрольным знаком"):
        DocumentCode.parse(forged)
    with pytest.raises(DocumentCodeError, match="ожидается 40 знаков"):
        DocumentCode.parse(text[:-1])
    with pytest.raises(DocumentCodeError, match="ожидается 40 знаков"):
        DocumentCode.parse("Ж" * 40)


def test_the_qr_png_decodes_to_the_code() -> None:
    """Decoded from the PNG itself, with zxing-cpp (offline)."""
    text = DocumentCode.of(ROUTE, 42, HEAD).text
    found = zxingcpp.read_barcodes(Image.open(BytesIO(qr_png(text))))
    assert [(r.format.name, r.text) for r in found] == [("QRCode", text)]
