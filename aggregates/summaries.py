"""One line in Russian for each event: what the audit trail and `iom audit history` show."""

from __future__ import annotations

from collections.abc import Iterable

from aggregates import events as ev
from aggregates.profiles import Profile


def describe(event: ev.RouteEvent, profile: Profile) -> str:
    """The event in one Russian line, in the regulation's own terms; an act за руководителя
    says for whom and by which order."""
    text = event.summary(profile)
    acting = event.acting_for
    if acting is None:
        return text
    return f"{text} (за руководителя {acting.head_id}, приказ «{acting.order}»)"


def described(history: Iterable[ev.RouteEvent]) -> list[str]:
    """Each event of a route's history (its opening first) in one line, in the terms of the
    edition the route followed when the event was recorded: the opening's, then the one each
    `RegulationChanged` moved it to."""
    lines = []
    profile: Profile | None = None
    for event in history:
        if isinstance(event, ev.RouteOpened | ev.RegulationChanged):
            profile = event.profile
        assert profile is not None, "a route's history starts with its opening"
        lines.append(describe(event, profile))
    return lines
