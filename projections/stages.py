"""The routes' past, for the centre head's charts: each stage a route passed through and each
party's answer in agreement, with their moments.

`iom_stage_periods` — per route, one row per stage it entered (in order): when it entered and
when it left (empty while it is there). Routes by stage on any day and the time spent in each
stage are sums over these rows (`projections.charts`), with no replay.

`iom_agreement_answers` — per route, one row per answer of a party in agreement: the round, the
action given (подписание, рассмотрение, согласование, утверждение) or a return for revision,
since when the party held the route and when it answered; the agreement's turnaround by party.
"""

from __future__ import annotations

from projections.state import Family, RouteState, filters
from projections.tables import FILTER_COLUMNS, Column, Key, Row, Table

STAGE_PERIODS = Table(
    "iom_stage_periods",
    (
        Column("route_id", "uuid", "ИОМ"),
        Column("position", "int", "№ этапа в истории"),
        *FILTER_COLUMNS,
        Column("stage", "text", "этап"),
        Column("entered_at", "time", "начат"),
        Column("left_at", "time", "окончен"),
    ),
    key=("route_id", "position"),
    indexes=(("profile_id", "stage"), ("profile_id", "entered_at")),
)

AGREEMENT_ANSWERS = Table(
    "iom_agreement_answers",
    (
        Column("route_id", "uuid", "ИОМ"),
        Column("position", "int", "№ ответа"),
        *FILTER_COLUMNS,
        Column("round", "int", "круг"),
        Column("role", "text", "сторона"),
        Column("action", "text", "действие"),
        Column("since", "time", "ожидал с"),
        Column("answered_at", "time", "ответил"),
    ),
    key=("route_id", "position"),
    indexes=(("profile_id", "role"),),
)


def period_rows(state: RouteState) -> dict[Key, Row]:
    """The stages the route passed through, in order."""
    route_id, where = state.route.id, filters(state)
    return {
        (route_id, position): (
            route_id,
            position,
            *where,
            period.stage.value,
            period.entered_at,
            period.left_at,
        )
        for position, period in enumerate(state.periods, start=1)
    }


def answer_rows(state: RouteState) -> dict[Key, Row]:
    """The parties' answers in agreement, in order."""
    route_id, where = state.route.id, filters(state)
    return {
        (route_id, position): (
            route_id,
            position,
            *where,
            answer.round,
            answer.role.value,
            answer.action,
            answer.since,
            answer.at,
        )
        for position, answer in enumerate(state.answers, start=1)
    }


def _periods(state: RouteState) -> tuple[object, ...]:
    return (state.periods, *filters(state))


def _answers(state: RouteState) -> tuple[object, ...]:
    return (state.answers, *filters(state))


FAMILIES = (
    Family(STAGE_PERIODS, period_rows, _periods),
    Family(AGREEMENT_ANSWERS, answer_rows, _answers),
)
