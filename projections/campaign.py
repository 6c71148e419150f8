"""The figures of a diagnostic campaign's analytical report, read from the monitoring projection.

A region-wide report must not replay every route of the region: it sums `iom_diagnostics` (one
row per route, competence and diagnostic: input, each intermediate, final, with its day,
platform and level) in the database,
in one read transaction that also reads the projection's tracking position, so the report can
say exactly which state of the read model it shows (the analogue of a route's id, version and
chain hash). Each figure is counted here once; the report's overall and per-group tables are
sums of these counts (`projections.documents.campaign`).
"""

# ruff: noqa: S608 - SQL built from declared table and column names; values are parameters

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from typing import Any, Literal, TypeVar
from uuid import UUID

from projections.diagnostics import DIAGNOSTICS
from projections.tables import Db, normalise
from projections.view import ProjectionView

Kind = Literal["input", "intermediate", "final"]
PROJECTION = "monitoring"
_K = TypeVar("_K", bound=Hashable)


class ProjectionNotReadyError(LookupError):
    """The monitoring projection has not been built on this store (or was just reset)."""

    def __init__(self) -> None:
        self.message = (
            f"проекция «{PROJECTION}» ещё не построена (или сброшена после обновления схемы):"
            f" запустите iom projector или iom projections rebuild {PROJECTION}"
            " и сформируйте отчёт снова"
        )
        super().__init__(self.message)


@dataclass(frozen=True)
class LevelCount:
    """How many participants of a municipality and subject had a competence at a level."""

    municipality_id: str
    subject: str
    competence: str
    level: int
    count: int


@dataclass(frozen=True)
class GroupCount:
    """How many teachers of a school and subject took part (a route has one school and one
    subject, so these counts add up to any coarser group's)."""

    municipality_id: str
    school_id: str
    subject: str
    participants: int


@dataclass(frozen=True)
class CampaignFigures:
    """What the analytical report counts, and the projection position it was counted at."""

    region: str
    kind: Kind
    starts_on: date | None
    ends_on: date | None
    position: int  # the monitoring projection's tracking position (last notification applied)
    dates: tuple[date, ...]
    platforms: tuple[str, ...]
    groups: tuple[GroupCount, ...]
    levels: tuple[LevelCount, ...]

    @property
    def participants(self) -> int:
        """How many teachers (routes) took part."""
        return sum(g.participants for g in self.groups)

    def participants_by(self, key: Callable[[GroupCount], _K]) -> dict[_K, int]:
        """Participants per group (school, municipality, subject), in the groups' order."""
        found: dict[_K, int] = {}
        for group in sorted(self.groups, key=lambda g: (key(g), g.school_id, g.subject)):
            found[key(group)] = found.get(key(group), 0) + group.participants
        return found


def _where(
    db: Db,
    region: str,
    *,
    kind: Kind,
    starts_on: date | None,
    ends_on: date | None,
    route_ids: Sequence[UUID] | None,
) -> tuple[str, list[Any]]:
    clause = " WHERE profile_id = %s AND kind = %s"
    params: list[Any] = [region, kind]
    if starts_on is not None:
        clause += " AND taken_on >= %s"
        params.append(starts_on)
    if ends_on is not None:
        clause += " AND taken_on <= %s"
        params.append(ends_on)
    if route_ids is not None:
        among, more = db.among("route_id", [str(i) for i in route_ids] or [""])
        clause += f" AND {among}"
        params += more
    return clause, params


def _position(db: Db, view: ProjectionView) -> int:
    """The position the projection's tables stand at, read in the caller's transaction."""
    spec = view.spec
    rows = db.fetchall(
        f"SELECT notification_id FROM {spec.tracking_table} WHERE application_name = %s",
        (spec.application_name,),
    )
    return int(rows[0]["notification_id"] or 0) if rows else 0


@contextmanager
def at_one_position(view: ProjectionView) -> Iterator[tuple[Db, int]]:
    """A read-only transaction over the projection's tables at one position (REPEATABLE READ
    on PostgreSQL, SQLite's read transaction), and that position; `ProjectionNotReadyError`
    when the projection is not built."""
    with view.transaction(commit=False) as db:
        if db.dialect == "postgres":
            db.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
        position = _position(db, view)
        if position == 0:
            raise ProjectionNotReadyError
        yield db, position


def campaign_figures(
    view: ProjectionView,
    region: str,
    *,
    kind: Kind = "input",
    starts_on: date | None = None,
    ends_on: date | None = None,
    route_ids: Sequence[UUID] | None = None,
) -> CampaignFigures:
    """The campaign's figures for the region's diagnostics of `kind` taken in the period (of
    the routes `route_ids` only, when given: a campaign's participants), and the projection
    position they were read at (one snapshot: REPEATABLE READ on PostgreSQL, SQLite's read
    transaction). Raises `ProjectionNotReadyError` when the projection is not built."""
    if view.spec.name != PROJECTION:
        raise ValueError(f"the campaign is read from the {PROJECTION} projection")
    table = DIAGNOSTICS.name
    level, on, platform = "level", "taken_on", "platform"
    with at_one_position(view) as (db, position):
        where, params = _where(
            db, region, kind=kind, starts_on=starts_on, ends_on=ends_on, route_ids=route_ids
        )
        groups = db.fetchall(
            f"SELECT municipality_id, school_id, subject, COUNT(DISTINCT route_id) AS participants"
            f" FROM {table}{where} GROUP BY municipality_id, school_id, subject"
            " ORDER BY municipality_id, school_id, subject",
            params,
        )
        dates = db.fetchall(f"SELECT DISTINCT {on} AS taken_on FROM {table}{where}", params)
        platforms = db.fetchall(
            f"SELECT DISTINCT {platform} AS platform FROM {table}{where}", params
        )
        levels = db.fetchall(
            f"SELECT municipality_id, subject, competence, {level} AS level,"
            f" COUNT(*) AS count FROM {table}{where}"
            f" GROUP BY municipality_id, subject, competence, {level}"
            f" ORDER BY municipality_id, subject, competence, {level}",
            params,
        )
    return CampaignFigures(
        region=region,
        kind=kind,
        starts_on=starts_on,
        ends_on=ends_on,
        position=position,
        dates=tuple(sorted(date.fromisoformat(normalise("date", r["taken_on"])) for r in dates)),
        platforms=tuple(sorted(str(r["platform"]) for r in platforms if r["platform"])),
        groups=tuple(
            GroupCount(
                str(r["municipality_id"]),
                str(r["school_id"]),
                str(r["subject"]),
                int(r["participants"]),
            )
            for r in groups
        ),
        levels=tuple(
            LevelCount(
                str(r["municipality_id"]),
                str(r["subject"]),
                str(r["competence"]),
                int(r["level"]),
                int(r["count"]),
            )
            for r in levels
        ),
    )
