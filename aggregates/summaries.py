"""One line in Russian for each event: what the audit trail and `iom audit history` show."""

from __future__ import annotations

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
