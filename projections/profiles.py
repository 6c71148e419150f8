"""The regulation editions the projections have met, by key (`id@version`).

A route copies its profile whole into its opening event; the projections keep each edition once,
here, instead of once per route. Editions are immutable, so the table is shared by every
projection and survives their rebuilds (a rebuild writes the same rows again).
"""

from __future__ import annotations

from aggregates.profiles import Profile
from projections.state import LruCache
from projections.tables import Column, Db, Table

PROFILES = Table(
    "iom_profiles",
    (
        Column("profile_key", "text", "регламент"),
        Column("profile_id", "text", "регион"),
        Column("version", "int", "редакция"),
        Column("methodist_capacity", "int", "норма методиста"),
        Column("body", "blob"),
    ),
    key=("profile_key",),
    indexes=(("profile_id", "version"),),
)

_INSERT = PROFILES.insert() + " ON CONFLICT (profile_key) DO NOTHING"


class ProfileBook:
    """The editions met so far: read from the table on a miss, written when first met."""

    def __init__(self) -> None:
        self._known: LruCache[str, Profile] = LruCache(256)
        self._pending: dict[str, Profile] = {}
        self._instances: dict[str, Profile] = {}

    def canonical(self, profile: Profile) -> Profile:
        """One shared instance per edition (routes keep a reference, not a copy each)."""
        return self._instances.setdefault(profile.key, profile)

    def remember(self, db: Db, profile: Profile) -> None:
        """Keep an edition (once) in the table, within the caller's transaction."""
        if self._known.get(profile.key) is None and profile.key not in self._pending:
            body = profile.model_dump_json().encode()
            db.execute(
                _INSERT,
                (profile.key, profile.id, profile.version, profile.methodist_capacity, body),
            )
            self._pending[profile.key] = profile

    def get(self, db: Db, key: str) -> Profile:
        """The edition with that key."""
        profile = self._known.get(key) or self._pending.get(key)
        if profile is None:
            rows = db.fetchall("SELECT body FROM iom_profiles WHERE profile_key = %s", (key,))
            if not rows:
                raise LookupError(f"regulation edition {key} was never projected")
            profile = Profile.model_validate_json(bytes(rows[0]["body"]))
            self._pending[key] = profile
        return profile

    def committed(self) -> None:
        """The transaction that stored or read the pending editions committed."""
        for key, profile in self._pending.items():
            self._known.put(key, profile)
        self._pending.clear()

    def forget(self) -> None:
        """Forget every edition (after a failed transaction)."""
        self._known.clear()
        self._pending.clear()
