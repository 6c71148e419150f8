"""Competence dynamics and mass deficits, from the input and final diagnostics.

`iom_dynamics` — per route and competence: the input level, the final level (the last final
diagnostic, kept after a prolongation), and their difference; the day and platform of each
diagnostic, so a diagnostic campaign's figures are read for a period (`projections.campaign`).

`iom_dynamics_totals` and `iom_dynamics_municipal` — sums per region, municipality (and school),
subject and competence, so the dynamics by school or municipality are read without scanning
every route: routes tested at input and their levels, routes tested both times and their input
and final levels, and how many improved.

`iom_deficits` — массовые дефициты: per region, municipality, subject and competence, how many
routes' input diagnostics tested it and how many found it at the lowest level (level 1:
недостаточный / низкий). It feeds the planning of courses (ДПП).
"""

# ruff: noqa: S608 - SQL built from declared table and column names; values are parameters

from __future__ import annotations

from typing import Any, Literal

from projections.state import Family, RouteState, filters
from projections.tables import (
    FILTER_COLUMNS,
    FILTERS,
    Column,
    Db,
    Filters,
    Key,
    Listing,
    Row,
    Sort,
    Table,
    keyset_indexes,
    limit_clause,
    listing,
)

DYNAMICS_SORTS = ("route_id", "competence", "change", "input_level", "final_level", "school_id")
SUM_SORTS = ("competence", "tested", "compared", "improved")
"""What the lists of sums sort by beside their place columns."""
DEFICIT_SORTS = ("lowest", "diagnosed", "municipality_id", "subject", "competence")
DEFICIT_ORDER: Sort = (("lowest", True),)


def _sums_indexes(key: tuple[str, ...]) -> tuple[tuple[str, ...], ...]:
    """The keyset indexes of a table of sums keyed by region, place, subject and competence."""
    return keyset_indexes((*key[1:-1], *SUM_SORTS), (), key)


DYNAMICS = Table(
    "iom_dynamics",
    (
        Column("route_id", "uuid", "ИОМ"),
        Column("competence", "text", "компетенция"),
        *FILTER_COLUMNS,
        Column("input_level", "int", "входной уровень"),
        Column("final_level", "int", "итоговый уровень"),
        Column("change", "int", "динамика"),
        Column("input_on", "date", "входная диагностика"),
        Column("input_platform", "text", "платформа входной"),
        Column("final_on", "date", "итоговая диагностика"),
        Column("final_platform", "text", "платформа итоговой"),
    ),
    key=("route_id", "competence"),
    indexes=(
        *keyset_indexes(DYNAMICS_SORTS, (), ("route_id", "competence")),
        ("profile_id", "input_on"),
        ("profile_id", "final_on"),
        ("municipality_id",),
        ("school_id",),
        ("methodist_id",),
    ),
)

_SUMS = (
    Column("tested", "int"),
    Column("input_sum", "int"),
    Column("compared", "int"),
    Column("compared_input_sum", "int"),
    Column("compared_final_sum", "int"),
    Column("improved", "int"),
)

DYNAMICS_TOTALS = Table(
    "iom_dynamics_totals",
    (
        Column("profile_id", "text", "регион"),
        Column("municipality_id", "text", "муниципалитет"),
        Column("school_id", "text", "ОО"),
        Column("subject", "text", "предмет"),
        Column("competence", "text", "компетенция"),
        *_SUMS,
    ),
    key=("profile_id", "municipality_id", "school_id", "subject", "competence"),
    indexes=(
        *_sums_indexes(("profile_id", "municipality_id", "school_id", "subject", "competence")),
        ("profile_id", "municipality_id", "school_id", "competence"),  # the dynamics by school
    ),
    counters=True,
)

DYNAMICS_MUNICIPAL = Table(
    "iom_dynamics_municipal",
    (
        Column("profile_id", "text", "регион"),
        Column("municipality_id", "text", "муниципалитет"),
        Column("subject", "text", "предмет"),
        Column("competence", "text", "компетенция"),
        *_SUMS,
    ),
    key=("profile_id", "municipality_id", "subject", "competence"),
    indexes=_sums_indexes(("profile_id", "municipality_id", "subject", "competence")),
    counters=True,
)

DEFICITS = Table(
    "iom_deficits",
    (
        Column("profile_id", "text", "регион"),
        Column("municipality_id", "text", "муниципалитет"),
        Column("subject", "text", "предмет"),
        Column("competence", "text", "компетенция"),
        Column("diagnosed", "int", "продиагностировано"),
        Column("lowest", "int", "на низшем уровне"),
    ),
    key=("profile_id", "municipality_id", "subject", "competence"),
    indexes=keyset_indexes(
        DEFICIT_SORTS, DEFICIT_ORDER, ("profile_id", "municipality_id", "subject", "competence")
    ),
    counters=True,
)


Levels = tuple[tuple[str, int | None, int | None], ...]
"""Per competence tested (sorted): the input level and the final one."""

_last: tuple[object, object, Levels, tuple[tuple[str, Row], ...]] | None = None
"""The levels and sums last computed, with the level maps they came from: the rows of the four
tables of a route all follow from the same two maps (replaced, never edited), so they are
computed once. One tuple, replaced whole, so a thread reading it never sees halves."""


def _computed(state: RouteState) -> tuple[Levels, tuple[tuple[str, Row], ...]]:
    """The route's levels, and what each competence adds to the dynamics sums."""
    global _last  # noqa: PLW0603 - a one-entry cache (see `_last`)
    inputs, finals = state.route.input_levels, state.final_levels
    last = _last
    if last is not None and last[0] is inputs and last[1] is finals:
        return last[2], last[3]
    levels = tuple((c, inputs.get(c), finals.get(c)) for c in sorted(inputs.keys() | finals.keys()))
    sums = tuple((c, _sum(given, final)) for c, given, final in levels)
    _last = (inputs, finals, levels, sums)
    return levels, sums


def _sum(given: int | None, final: int | None) -> Row:
    """What one competence of a route adds to the sums: tested (and its input level); tested
    both times (and both levels); improved."""
    if given is None:
        return (0, 0, 0, 0, 0, 0)
    if final is None:
        return (1, given, 0, 0, 0, 0)
    return (1, given, 1, given, final, 1 if final > given else 0)


def dynamics_rows(state: RouteState) -> dict[Key, Row]:
    """Input against final level, per competence tested, with each diagnostic's day and
    platform."""
    route = state.route
    where = filters(state)
    entry, closing = route.input_diagnostic, state.final_diagnostic
    taken = (
        entry.taken_on if entry else None,
        entry.platform if entry else None,
        closing.taken_on if closing else None,
        closing.platform if closing else None,
    )
    return {
        (route.id, competence): (
            route.id,
            competence,
            *where,
            given,
            final,
            final - given if given is not None and final is not None else None,
            *taken,
        )
        for competence, given, final in _computed(state)[0]
    }


def _sums(state: RouteState, *, by_school: bool) -> dict[Key, Row]:
    profile_id, municipality_id, school_id, subject, *_ = filters(state)
    place = (profile_id, municipality_id, school_id) if by_school else (profile_id, municipality_id)
    return {(*place, subject, competence): row for competence, row in _computed(state)[1]}


def totals_rows(state: RouteState) -> dict[Key, Row]:
    """What the route adds to the dynamics sums of its school."""
    return _sums(state, by_school=True)


def municipal_rows(state: RouteState) -> dict[Key, Row]:
    """What the route adds to the dynamics sums of its municipality."""
    return _sums(state, by_school=False)


def deficit_rows(state: RouteState) -> dict[Key, Row]:
    """What the route's input diagnostic adds to the deficits of its municipality."""
    profile_id, municipality_id, _, subject, *_ = filters(state)
    return {
        (profile_id, municipality_id, subject, competence): (1, 1 if level == 1 else 0)
        for competence, level in state.route.input_levels.items()
    }


def _depends(state: RouteState) -> tuple[object, ...]:
    # The diagnostics and their level maps are replaced by their events, never edited in place.
    route = state.route
    return (
        route.input_diagnostic,
        route.input_levels,
        state.final_diagnostic,
        state.final_levels,
        *filters(state),
    )


FAMILIES = (
    Family(DYNAMICS, dynamics_rows, _depends),
    Family(DYNAMICS_TOTALS, totals_rows, _depends),
    Family(DYNAMICS_MUNICIPAL, municipal_rows, _depends),
    Family(DEFICITS, deficit_rows, _depends),
)


DYNAMICS_LIST = listing(DYNAMICS, DYNAMICS_SORTS, ())
"""Input against final level, per route and competence."""


def _share(row: dict[str, Any]) -> dict[str, Any]:
    return row | {"lowest_share": _mean(row["lowest"], row["diagnosed"])}


DEFICIT_LIST = Listing(
    DEFICITS.name,
    DEFICITS.kinds,
    ("profile_id", "municipality_id", "subject"),
    DEFICIT_SORTS,
    DEFICIT_ORDER,
    DEFICITS.key,
    _share,
)
"""Competences found at the lowest level, the most frequent first."""


def _means(row: dict[str, Any]) -> dict[str, Any]:
    tested, compared = row["tested"], row["compared"]
    return row | {
        "mean_input": _mean(row["input_sum"], tested),
        "mean_input_compared": _mean(row["compared_input_sum"], compared),
        "mean_final": _mean(row["compared_final_sum"], compared),
    }


def _grouped(table: Table) -> Listing:
    """A table of dynamics sums (per place, subject and competence) as a listing, its means
    computed from the sums."""
    filters = tuple(
        c for c in ("profile_id", "municipality_id", "school_id", "subject") if c in table.kinds
    )
    sortable = (*filters[1:], *SUM_SORTS)
    return Listing(table.name, table.kinds, filters, sortable, (), table.key, _means)


SCHOOL_DYNAMICS_LIST = _grouped(DYNAMICS_TOTALS)
"""Dynamics sums and means per school, subject and competence."""
MUNICIPAL_DYNAMICS_LIST = _grouped(DYNAMICS_MUNICIPAL)
"""Dynamics sums and means per municipality, subject and competence."""


def query_dynamics(db: Db, filters: Filters, limit: int | None) -> list[dict[str, Any]]:
    """Input against final level, per route and competence."""
    return DYNAMICS_LIST.select(db, filters, limit=limit)


def query_dynamics_by(
    db: Db, by: Literal["school", "municipality"], filters: Filters, limit: int | None
) -> list[dict[str, Any]]:
    """Mean input and final levels per competence, by school or by municipality."""
    if by == "school":
        groups, table = ["profile_id", "municipality_id", "school_id"], DYNAMICS_TOTALS
    else:
        groups, table = ["profile_id", "municipality_id"], DYNAMICS_MUNICIPAL
    columns = ", ".join(groups)
    where, params = filters.where([c.name for c in table.columns if c.name in FILTERS])
    rows = db.fetchall(
        f"SELECT {columns}, competence, SUM(tested) AS tested, SUM(input_sum) AS input_sum, "
        "SUM(compared) AS compared, SUM(compared_input_sum) AS compared_input_sum, "
        "SUM(compared_final_sum) AS compared_final_sum, SUM(improved) AS improved "
        f"FROM {table.name}{where} GROUP BY {columns}, competence "
        f"ORDER BY {columns}, competence" + limit_clause(limit),
        params,
    )
    answer = []
    for row in rows:
        tested, compared = int(row["tested"]), int(row["compared"])
        answer.append(
            {name: row[name] for name in groups}
            | {
                "competence": row["competence"],
                "tested": tested,
                "mean_input": _mean(row["input_sum"], tested),
                "compared": compared,
                "mean_input_compared": _mean(row["compared_input_sum"], compared),
                "mean_final": _mean(row["compared_final_sum"], compared),
                "improved": int(row["improved"]),
            }
        )
    return answer


def query_deficits(db: Db, filters: Filters, limit: int | None) -> list[dict[str, Any]]:
    """Competences found at the lowest level, the most frequent first."""
    return DEFICIT_LIST.select(db, filters, limit=limit)


def _mean(total: Any, count: int) -> float | None:
    return round(int(total) / count, 3) if count else None
