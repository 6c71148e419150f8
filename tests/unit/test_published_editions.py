"""Every shipped regulation edition is frozen once published: its content equals the fingerprint
recorded in `aggregates/profiles/published.json` (README, "Regulation profiles"). A rule changes by
a new edition (`id@version+1`, a new YAML file) whose fingerprint is then recorded; a shipped
edition edited in place fails here, as `iom shadow` refuses a deploy that changes an edition a
store has met."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from aggregates.profiles import Profile, load_profiles

PUBLISHED = Path(__file__).parents[2] / "aggregates" / "profiles" / "published.json"


def fingerprint(edition: Profile) -> str:
    """The edition's content as the model reads it; a field the model gains with a default the
    edition leaves as it is changes nothing."""
    body = edition.model_dump_json(exclude_defaults=True).encode()
    return hashlib.sha256(body).hexdigest()


def test_every_shipped_edition_is_published_and_unchanged() -> None:
    published: dict[str, str] = json.loads(PUBLISHED.read_text(encoding="utf-8"))
    shipped = {key: fingerprint(edition) for key, edition in load_profiles().items()}

    unpublished = {key: print_ for key, print_ in shipped.items() if key not in published}
    assert not unpublished, f"record the new editions in published.json: {unpublished}"
    changed = sorted(key for key, print_ in shipped.items() if published[key] != print_)
    assert not changed, (
        f"editions edited in place: {changed}; publish a new edition (id@version+1) instead"
    )
    assert set(published) == set(shipped), "a published edition is no longer shipped"
