"""The key that signs the lists' cursors: the configured one, else derived from the portal's
secret, else (`iom up` with an RS256 portal) one kept in the data folder."""

from __future__ import annotations

from pathlib import Path

from api.paging import CursorKey
from projections.tables import Filters
from tests.api.support import Portal
from workers.up import CURSOR_KEY_FILE, Stack


def test_the_key_comes_from_the_settings(portal: Portal) -> None:
    configured = CursorKey.from_settings(portal.settings(cursor_key="k" * 32))
    derived = CursorKey.from_settings(portal.settings())
    assert configured.key == b"k" * 32
    assert derived == CursorKey.from_settings(portal.settings())  # every API process agrees
    assert derived.key != portal.secret.encode()  # derived, not the token secret itself
    sakha, balakhta = Filters(profile_id="sakha"), Filters(profile_id="balakhta")
    assert derived.check("routes", sakha, b"{}") != derived.check("routes", balakhta, b"{}")
    assert derived.check("routes", sakha, b"{}") != configured.check("routes", sakha, b"{}")


def test_iom_up_keeps_a_cursor_key_when_the_portal_signs_rs256_only(
    portal: Portal, tmp_path: Path
) -> None:
    rs256_only = portal.settings(portal_jwt_secret=None, data_dir=tmp_path)
    stack = Stack(rs256_only)
    first, again = stack.child_settings(), Stack(rs256_only).child_settings()
    assert first.cursor_key is not None and again.cursor_key is not None
    assert first.cursor_key.get_secret_value() == again.cursor_key.get_secret_value()
    assert (tmp_path / CURSOR_KEY_FILE).stat().st_mode & 0o777 == 0o600
    assert stack.environment(first)["IOM_CURSOR_KEY"] == first.cursor_key.get_secret_value()
