"""The ДПП a region should order for its mass deficits (Sakha диагностика 7.2: the diagnostic's
analysis is the ground «о разработке и реализации дополнительных профессиональных программ …
направленных на преодоление массовых профессиональных дефицитов»).

A deficit is mass where at least `mass_share` of the teachers diagnosed in a competence were
found at the lowest level (недостаточный / низкий), counted over whatever set of routes is
given: a region's or a municipality's (from the monitoring's `iom_deficits`), a list of routes,
or a diagnostic campaign's participants. For each, the catalogue's programmes meant for the
lowest level of that competence, or, where there is none, a programme to develop.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from typing import Final

from aggregates.profiles import Profile
from aggregates.programmes.catalogue import Catalogue
from aggregates.route import Route
from aggregates.values import Code, Value

MASS_SHARE: Final = 0.25
"""The share of teachers at the lowest level that makes a deficit mass (a default: the
regulation sets none)."""


class DeficitCount(Value):
    """How many teachers' input diagnostics tested a competence, and found it at level 1."""

    competence: Code
    diagnosed: int
    lowest: int


class ProgrammeOffer(Value):
    """A programme of the catalogue meant for the mass deficit."""

    registry_number: str
    title: str
    provider: str
    hours: int


class Order(Value):
    """A mass deficit and what answers it: the catalogue's programmes, or none (to develop)."""

    competence: Code
    name: str
    diagnosed: int
    lowest: int
    share: float
    programmes: list[ProgrammeOffer]
    to_develop: bool  # nothing in the catalogue: a programme to develop (разработать ДПП)
    advice: str


class OrderProposal(Value):
    """Предложения по ДПП для массовых дефицитов, over the routes counted."""

    region: Code
    catalogue_version: int
    routes: int
    mass_share: float
    orders: list[Order]


def count_deficits(routes: Iterable[Route]) -> tuple[int, list[DeficitCount]]:
    """How many of `routes` have an input diagnostic, and the counts per competence."""
    return count_levels(route.input_levels for route in routes)


def count_levels(diagnosed_levels: Iterable[dict[str, int]]) -> tuple[int, list[DeficitCount]]:
    """How many of the diagnostics' levels (one teacher's each) are not empty, and the counts
    per competence."""
    diagnosed: Counter[str] = Counter()
    lowest: Counter[str] = Counter()
    counted = 0
    for levels in diagnosed_levels:
        if not levels:
            continue
        counted += 1
        for competence, level in levels.items():
            diagnosed[competence] += 1
            lowest[competence] += level == 1
    counts = [
        DeficitCount(competence=code, diagnosed=diagnosed[code], lowest=lowest[code])
        for code in sorted(diagnosed)
    ]
    return counted, counts


def propose_orders(
    profile: Profile,
    catalogue: Catalogue,
    counts: list[DeficitCount],
    routes: int,
    mass_share: float = MASS_SHARE,
) -> OrderProposal:
    """The mass deficits among `counts`, the most frequent first, each with its programmes."""
    orders = []
    programmes = catalogue.listed()
    for count in counts:
        share = count.lowest / count.diagnosed if count.diagnosed else 0.0
        if not count.lowest or share < mass_share:
            continue
        name = profile.competence_name(count.competence)
        offers = [
            ProgrammeOffer(
                registry_number=p.registry_number, title=p.title, provider=p.provider, hours=p.hours
            )
            for p in programmes
            if p.answers(count.competence, 1)
        ]
        lowest = profile.level_name(1)
        advice = (
            f"заказать обучение по программам каталога ({len(offers)}) для {count.lowest} педагогов"
            if offers
            else f"в каталоге нет программы для уровня «{lowest}»: разработать ДПП ({name})"
        )
        orders.append(
            Order(
                competence=count.competence,
                name=name,
                diagnosed=count.diagnosed,
                lowest=count.lowest,
                share=round(share, 3),
                programmes=offers,
                to_develop=not offers,
                advice=advice,
            )
        )
    orders.sort(key=lambda order: (-order.share, -order.lowest, order.competence))
    return OrderProposal(
        region=profile.id,
        catalogue_version=catalogue.version,
        routes=routes,
        mass_share=mass_share,
        orders=orders,
    )
