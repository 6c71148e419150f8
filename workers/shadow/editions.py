"""Shadow replay, part zero: the regulation editions. Each edition the store has met (the body
the projections keep under its key `id@version`, `projections.profiles`) against the edition of
the same key in the code about to be deployed.

An edition is never changed once routes are opened under it (README, "Regulation profiles"): a
route pins the key, and the projections keep the first body they met under it, so an edition
edited in place would rule the routes opened after the deploy by one text while the projections
read them by another. A rule changes by a new edition (`id@version+1`) and, for running routes,
a migration.
"""

from __future__ import annotations

from typing import Any

from aggregates.application import Routes
from aggregates.profiles import Profile
from projections.catalog import datastore_of
from projections.profiles import PROFILES
from projections.view import columns_of, transaction_on
from workers.shadow.findings import Finding


def check_editions(live: Routes) -> tuple[list[Finding], list[str]]:
    """The editions the store has met that the new code changes (findings), and those it no
    longer ships (notes: their routes keep the copy they pinned)."""
    with transaction_on(datastore_of(live), commit=False) as db:
        if not columns_of(db, PROFILES.name):
            return [], []
        rows = db.fetchall(f"SELECT profile_key, body FROM {PROFILES.name} ORDER BY profile_key")  # noqa: S608 - a declared table
    shipped = {edition.key: edition for edition in live.profiles.editions()}
    findings: list[Finding] = []
    notes: list[str] = []
    for row in rows:
        key = str(row["profile_key"])
        stored = Profile.model_validate_json(bytes(row["body"]))
        new = shipped.get(key)
        if new is None:
            notes.append(f"редакции {key} нет в развёртываемом коде: ИОМ по ней читаются по копии")
        elif new != stored:
            findings.append(Finding("edition", key, changed(stored, new)))
    return findings, notes


def changed(stored: Profile, new: Profile) -> str:
    """What the new code's edition changes in the stored one, in Russian."""
    before: dict[str, Any] = stored.model_dump(mode="json")
    after: dict[str, Any] = new.model_dump(mode="json")
    fields = sorted(
        name for name in before.keys() | after.keys() if before.get(name) != after.get(name)
    )
    return (
        f"редакция изменена на месте (поля: {', '.join(fields)}); по ней уже открыты ИОМ —"
        f" изменения правил вносятся новой редакцией {new.id}@{new.version + 1}"
    )
