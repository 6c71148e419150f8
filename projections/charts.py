"""The centre head's charts of a region, summed in the database from the monitoring tables.

Each chart is a `Chart`: its categories (stages, months, parties, schools, competences…), one
or more series of numbers over them, the units, and the monitoring projection's position it was
read at. The console draws it (PNG, SVG) and offers its figures as CSV; the API returns it as
JSON. Every figure is a SQL sum over a table's rows of the region, so a chart of 100,000 routes
reads no route's events.

- `stages` — ИОМ по этапам на конец каждого из последних 12 месяцев (`iom_stage_periods`);
- `stage_time` — the days a route spends in each stage, on average and at most, over the stages
  routes have left;
- `agreement` — the days each party of agreement takes to answer, on average and at most
  (`iom_agreement_answers`);
- `overdue_municipalities`, `overdue_schools` — overdue activities (`iom_activities`);
- `load` — each methodist's active routes against the profile's capacity;
- `dynamics` — per competence, the average input and final level of the routes tested both times;
- `deficits` — per competence, the share of routes found at the lowest level (массовые дефициты).
"""

# ruff: noqa: S608 - SQL built from declared table and column names; values are parameters

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from enum import StrEnum
from typing import Any, Final, Literal
from zoneinfo import ZoneInfo

from aggregates.profiles import STAGE_TITLES, Stage
from aggregates.values import ROLE_TITLES, Role
from projections.activities import ACTIVITIES
from projections.campaign import at_one_position
from projections.dynamics import DEFICITS, DYNAMICS_TOTALS
from projections.profiles import PROFILES
from projections.routes import METHODIST_LOAD
from projections.stages import AGREEMENT_ANSWERS, STAGE_PERIODS
from projections.tables import Db
from projections.view import ProjectionView


class ChartName(StrEnum):
    """The charts, in the order the console shows them (see the module's docstring)."""

    STAGES = "stages"
    STAGE_TIME = "stage_time"
    AGREEMENT = "agreement"
    OVERDUE_MUNICIPALITIES = "overdue_municipalities"
    OVERDUE_SCHOOLS = "overdue_schools"
    LOAD = "load"
    DYNAMICS = "dynamics"
    DEFICITS = "deficits"


Kind = Literal["bars", "stacked", "bars_and_line"]
"""Grouped bars, stacked bars, or bars with the last series drawn as a line (a norm)."""

MONTHS: Final = ("янв", "фев", "мар", "апр", "май", "июн", "июл", "авг", "сен", "окт", "ноя", "дек")
TOP: Final = 20
"""The longest lists (schools, methodists, competences) show their first 20."""


@dataclass(frozen=True)
class Series:
    """A named row of numbers, one per category."""

    name: str
    values: tuple[float, ...]


@dataclass(frozen=True)
class Chart:
    """A chart's figures, its words, and the projection position they were read at."""

    name: ChartName
    title: str
    kind: Kind
    category: str  # what the categories are (the first column of the CSV)
    unit: str  # what the values measure
    categories: tuple[str, ...]
    series: tuple[Series, ...]
    region: str
    on: date  # the region's day the chart was read on
    position: int

    def rows(self) -> list[list[str | float]]:
        """The figures as a table: a header, then a row per category."""
        header: list[str | float] = [self.category, *(s.name for s in self.series)]
        return [header] + [
            [category, *(s.values[i] for s in self.series)]
            for i, category in enumerate(self.categories)
        ]


@dataclass(frozen=True)
class Scene:
    """What a chart is read for: the region, its time zone and newest edition's words."""

    region: str
    zone: ZoneInfo
    now: datetime
    competences: Mapping[str, str]  # competence code → its name in the regulation

    @property
    def today(self) -> date:
        """The region's day."""
        return self.now.astimezone(self.zone).date()


Figures = tuple[tuple[str, ...], tuple[Series, ...]]
Reader = Callable[[Db, Scene], Figures]


@dataclass(frozen=True)
class ChartSpec:
    """A chart's words and how its figures are read."""

    title: str
    kind: Kind
    category: str
    unit: str
    read: Reader


def _days(db: Db, since: str, until: str) -> str:
    if db.dialect == "postgres":
        return f"EXTRACT(EPOCH FROM ({until} - {since})) / 86400.0"
    return f"(julianday({until}) - julianday({since}))"


def _month_ends(scene: Scene, months: int = 12) -> list[tuple[str, datetime]]:
    """The last `months` months of the region, each with the moment it ended (the current one:
    now)."""
    year, month = scene.today.year, scene.today.month
    ends: list[tuple[str, datetime]] = []
    for _ in range(months):
        following = date(year + month // 12, month % 12 + 1, 1)
        end = datetime.combine(following, time(), scene.zone).astimezone(UTC)
        ends.append((f"{MONTHS[month - 1]} {year}", min(end, scene.now)))
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    return ends[::-1]


def _stages(db: Db, scene: Scene) -> Figures:
    ends = _month_ends(scene)
    counts = ", ".join(
        f"SUM(CASE WHEN entered_at < %s AND (left_at IS NULL OR left_at >= %s)"
        f" THEN 1 ELSE 0 END) AS m{i}"
        for i in range(len(ends))
    )
    params: list[Any] = [moment for _, end in ends for moment in (end, end)]
    rows = db.fetchall(
        f"SELECT stage, {counts} FROM {STAGE_PERIODS.name} WHERE profile_id = %s GROUP BY stage",
        [*params, scene.region],
    )
    found = {str(row["stage"]): row for row in rows}
    months = range(len(ends))
    series = tuple(
        Series(STAGE_TITLES[stage], tuple(float(found[stage][f"m{i}"] or 0) for i in months))
        for stage in Stage
        if stage in found
    )
    return tuple(label for label, _ in ends), series


def _stage_time(db: Db, scene: Scene) -> Figures:
    days = _days(db, "entered_at", "left_at")
    rows = db.fetchall(
        f"SELECT stage, AVG({days}) AS mean, MAX({days}) AS longest FROM {STAGE_PERIODS.name}"
        " WHERE profile_id = %s AND left_at IS NOT NULL GROUP BY stage",
        [scene.region],
    )
    found = {str(row["stage"]): row for row in rows}
    stages = [stage for stage in Stage if stage in found]
    return tuple(STAGE_TITLES[stage] for stage in stages), (
        Series("в среднем", tuple(round(float(found[s]["mean"]), 1) for s in stages)),
        Series("наибольшее", tuple(round(float(found[s]["longest"]), 1) for s in stages)),
    )


def _agreement(db: Db, scene: Scene) -> Figures:
    days = _days(db, "since", "answered_at")
    rows = db.fetchall(
        f"SELECT role, AVG({days}) AS mean, MAX({days}) AS longest, COUNT(*) AS answers"
        f" FROM {AGREEMENT_ANSWERS.name} WHERE profile_id = %s GROUP BY role",
        [scene.region],
    )
    found = {str(row["role"]): row for row in rows}
    roles = [role for role in Role if role in found]
    return tuple(ROLE_TITLES[role] for role in roles), (
        Series("в среднем", tuple(round(float(found[r]["mean"]), 1) for r in roles)),
        Series("наибольшее", tuple(round(float(found[r]["longest"]), 1) for r in roles)),
    )


def _overdue_by(column: str) -> Reader:
    def read(db: Db, scene: Scene) -> Figures:
        rows = db.fetchall(
            f"SELECT {column} AS place, COUNT(*) AS overdue FROM {ACTIVITIES.name}"
            f" WHERE profile_id = %s AND overdue = %s GROUP BY {column}"
            f" ORDER BY overdue DESC, place LIMIT {TOP}",
            [scene.region, True],
        )
        places = tuple(str(row["place"]) for row in rows)
        return places, (Series("просрочено", tuple(float(row["overdue"]) for row in rows)),)

    return read


def _load(db: Db, scene: Scene) -> Figures:
    rows = db.fetchall(
        f"SELECT methodist_id, active_routes FROM {METHODIST_LOAD.name}"
        f" WHERE profile_id = %s AND active_routes > 0"
        f" ORDER BY active_routes DESC, methodist_id LIMIT {TOP}",
        [scene.region],
    )
    capacity = db.fetchall(
        f"SELECT methodist_capacity FROM {PROFILES.name} WHERE profile_id = %s"
        " ORDER BY version DESC LIMIT 1",
        [scene.region],
    )
    norm = float(capacity[0]["methodist_capacity"]) if capacity else 0.0
    return tuple(str(row["methodist_id"]) for row in rows), (
        Series("активных ИОМ", tuple(float(row["active_routes"]) for row in rows)),
        Series("норма методиста", tuple(norm for _ in rows)),
    )


def _dynamics(db: Db, scene: Scene) -> Figures:
    rows = db.fetchall(
        "SELECT competence, SUM(compared) AS compared, SUM(compared_input_sum) AS input_sum,"
        f" SUM(compared_final_sum) AS final_sum FROM {DYNAMICS_TOTALS.name}"
        " WHERE profile_id = %s GROUP BY competence HAVING SUM(compared) > 0"
        f" ORDER BY competence LIMIT {TOP}",
        [scene.region],
    )
    return tuple(scene.competences.get(str(r["competence"]), str(r["competence"])) for r in rows), (
        Series(
            "входная диагностика",
            tuple(round(int(r["input_sum"]) / int(r["compared"]), 2) for r in rows),
        ),
        Series(
            "итоговая диагностика",
            tuple(round(int(r["final_sum"]) / int(r["compared"]), 2) for r in rows),
        ),
    )


def _deficits(db: Db, scene: Scene) -> Figures:
    rows = db.fetchall(
        f"SELECT competence, SUM(diagnosed) AS diagnosed, SUM(lowest) AS lowest FROM"
        f" {DEFICITS.name} WHERE profile_id = %s GROUP BY competence HAVING SUM(diagnosed) > 0"
        f" ORDER BY SUM(lowest) * 1.0 / SUM(diagnosed) DESC, competence LIMIT {TOP}",
        [scene.region],
    )
    return tuple(scene.competences.get(str(r["competence"]), str(r["competence"])) for r in rows), (
        Series(
            "на низшем уровне, %",
            tuple(round(100 * int(r["lowest"]) / int(r["diagnosed"]), 1) for r in rows),
        ),
    )


CHARTS: Final[dict[ChartName, ChartSpec]] = {
    ChartName.STAGES: ChartSpec("ИОМ по этапам по месяцам", "stacked", "месяц", "ИОМ", _stages),
    ChartName.STAGE_TIME: ChartSpec("Время на этапах", "bars", "этап", "дней", _stage_time),
    ChartName.AGREEMENT: ChartSpec(
        "Сроки согласования по сторонам", "bars", "сторона", "дней", _agreement
    ),
    ChartName.OVERDUE_MUNICIPALITIES: ChartSpec(
        "Просроченные мероприятия по муниципалитетам",
        "bars",
        "муниципалитет",
        "мероприятий",
        _overdue_by("municipality_id"),
    ),
    ChartName.OVERDUE_SCHOOLS: ChartSpec(
        "Просроченные мероприятия по ОО", "bars", "ОО", "мероприятий", _overdue_by("school_id")
    ),
    ChartName.LOAD: ChartSpec(
        "Нагрузка методистов и норма", "bars_and_line", "методист", "ИОМ", _load
    ),
    ChartName.DYNAMICS: ChartSpec(
        "Динамика компетенций: средний уровень", "bars", "компетенция", "уровень", _dynamics
    ),
    ChartName.DEFICITS: ChartSpec(
        "Массовые дефициты: доля на низшем уровне", "bars", "компетенция", "%", _deficits
    ),
}
"""Every chart's words and reader."""


def read_chart(view: ProjectionView, name: ChartName, scene: Scene) -> Chart:
    """The chart `name` of the scene's region, read in one snapshot of the
    monitoring projection. Raises `ProjectionNotReadyError` when the projection is not built."""
    spec = CHARTS[name]
    with at_one_position(view) as (db, position):
        categories, series = spec.read(db, scene)
    return Chart(
        name=name,
        title=spec.title,
        kind=spec.kind,
        category=spec.category,
        unit=spec.unit,
        categories=categories,
        series=series,
        region=scene.region,
        on=scene.today,
        position=position,
    )
