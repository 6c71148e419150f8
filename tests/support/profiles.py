"""The shipped regulation profiles, read once per test process: the YAML is parsed the first time
a test asks (the profiles are frozen values, so every test may share them), and the regions the
tests go through are the profiles' own ids, never a list typed out again."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from aggregates.profiles import Profile, ProfileCatalogue, load_profiles


@cache
def _shipped() -> dict[str, Profile]:
    return load_profiles()


def shipped_profiles() -> dict[str, Profile]:
    """Every shipped edition by `id@version` (a copy of the dict; the editions are shared)."""
    return dict(_shipped())


@cache
def shipped() -> ProfileCatalogue:
    """The catalogue of the shipped profiles."""
    return ProfileCatalogue(shipped_profiles())


REGIONS: tuple[str, ...] = tuple(shipped().ids())
"""Every region with a shipped profile (`algorithm`, `balakhta`, `chelyabinsk`, …), sorted."""


EDITIONS = Path(__file__).parent / "editions"
"""Test editions published after the shipped ones (`sakha-2026.yaml`: sakha@2), to move running
routes onto."""


@cache
def with_new_editions() -> ProfileCatalogue:
    """The shipped profiles and the test editions of `EDITIONS`."""
    return ProfileCatalogue(load_profiles(EDITIONS))
