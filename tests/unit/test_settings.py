"""The one settings class: every setting in the README with its default; a bad one refused."""

from __future__ import annotations

import re
from pathlib import Path

from typer.testing import CliRunner

from runtime.settings import Settings
from workers.cli import app

README = Path(__file__).parents[2] / "README.md"


def documented() -> dict[str, str]:
    """Each `| `IOM_…` | default |` row of the README's tables: name → default as written."""
    rows = re.findall(r"^\| `(IOM_[A-Z0-9_]+)` \| ([^|]+) \|", README.read_text(), flags=re.M)
    return {name: default.strip() for name, default in rows}


def shown(default: object) -> str:
    """A default as the README writes it."""
    if default is None or default == "":  # the empty string counts as unset
        return "—"
    if isinstance(default, bool):
        return f"`{str(default).lower()}`"
    if isinstance(default, float) and default.is_integer():
        return f"`{int(default)}`"
    return f"`{default}`"


def test_every_setting_is_documented_with_its_default() -> None:
    rows = documented()
    expected = {
        f"IOM_{name.upper()}": shown(field.default) for name, field in Settings.model_fields.items()
    }
    assert {name: rows.get(name) for name in expected} == expected
    assert set(rows) <= set(expected), "the README documents settings the class does not have"


def test_a_bad_setting_is_named_and_refused_before_any_command() -> None:
    done = CliRunner().invoke(app, ["profiles"], env={"IOM_SNAPSHOT_INTERVAL": "1"})
    assert done.exit_code == 2
    assert "IOM_SNAPSHOT_INTERVAL: Input should be greater than or equal to 2" in done.output
