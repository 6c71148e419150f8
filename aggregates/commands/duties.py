"""Separation of duties: one person holds at most one of the places on a route that its
regulation gives to different officials (`Profile.separation_of_duties`)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from aggregates.errors import SeparationOfDutiesError
from aggregates.profiles.duties import PLACE_TITLES, Place

if TYPE_CHECKING:
    from aggregates.route import Route


def require_separate(
    route: Route,
    person: str,
    taking: Iterable[Place],
    *,
    holding: Iterable[Place] = (),
    field: str | None = None,
) -> None:
    """Refuse (rule `separation_of_duties`) when `person`, taking the places `taking`, would
    hold two places that a rule of the route's regulation gives to different people; besides
    the places the route records them in, they hold `holding` (a correction's author)."""
    taken = set(taking)
    held = route.places_of(person) | set(holding)
    for rule in route.profile.separation_of_duties:
        places = set(rule.places)
        if not taken & places:
            continue
        together = [place for place in rule.places if place in (taken | held)]
        if len(together) > 1:
            raise SeparationOfDutiesError(
                "separation_of_duties",
                "одно лицо не может выступать по одному ИОМ как "
                + " и ".join(f"«{PLACE_TITLES[place]}»" for place in together)
                + f": регламент называет разных лиц ({rule.clause})",
                field,
            )
