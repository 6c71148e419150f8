"""Where the regulation profiles come from: the YAML files shipped in `aggregates/profiles/` and
those in a deployment's own folder (IOM_PROFILES_DIR), read as they are, without the profile
model, so that a command that only names the regions (`iom token`) starts without building it."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

import yaml

SAFE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
"""YAML's safe loader, in C (libyaml) where PyYAML was built with it: a tenth of the time."""


def profile_sources(extra_dir: Path | None = None) -> list[tuple[str, bytes]]:
    """Each profile file's name and bytes: the shipped ones, then those in `extra_dir`."""
    shipped = resources.files("aggregates").joinpath("profiles")
    sources = [
        (item.name, item.read_bytes())
        for item in shipped.iterdir()
        if item.name.endswith(".yaml") and item.is_file()
    ]
    if extra_dir is not None:
        sources += [(path.name, path.read_bytes()) for path in sorted(extra_dir.glob("*.yaml"))]
    return sources


def region_ids(extra_dir: Path | None = None) -> list[str]:
    """The region ids the profile files name, sorted (read, not checked: loading the profiles
    checks them)."""
    found = {
        yaml.load(text, Loader=SAFE_LOADER).get("id")  # noqa: S506 - the safe loader
        for _, text in profile_sources(extra_dir)
    }
    return sorted(str(each) for each in found if each)
