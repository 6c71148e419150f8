"""`iom tasks list|summary`: the routes' tasks (the `tasks` projection) as the inbox shows them,
for an operator: one assignee's (a role, and the person, school or region it is held in) or a
whole region's, filtered by kind, route, state and latest due date; as a table, JSON or CSV.

Exit codes: 0 printed (also when no task matched); 2 bad usage (an unknown kind or state, both
--json and --csv); 3 the database unreachable (IOM_DATABASE_URL).
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from typing import Annotated, Any

import typer

from workers.cli.output import database_errors, emit_csv, emit_json, emit_table, fail, in_words
from workers.cli.route_ref import RouteOpt

tasks = typer.Typer(
    add_completion=False,
    help="Задачи по ИОМ: кто что должен сделать и к какому сроку.\n\nПример: iom tasks list"
    " --region sakha --role school_head --assignee school-sakha-03",
    no_args_is_help=True,
)

RegionOpt = Annotated[str, typer.Option("--region", help="Регион (id регламента), например sakha.")]
RoleOpt = Annotated[
    str | None,
    typer.Option("--role", help="Роль исполнителя: `teacher`, `methodist`, `school_head`…"),
]
AssigneeOpt = Annotated[
    str | None,
    typer.Option(
        "--assignee",
        help="Исполнитель: id педагога или методиста, id ОО (для ролей ОО) или id региона"
        " (для руководителя ЦНППМ).",
    ),
]
KindOpt = Annotated[
    str | None,
    typer.Option("--kind", help="Вид задачи, например approve_route (неизвестный — со списком)."),
]
StateOpt = Annotated[
    str | None,
    typer.Option(
        "--state",
        help="Состояние: `open`, `overdue`, `escalated`, `done`, `cancelled` (по умолчанию"
        " ожидающие: `open`, `overdue`, `escalated`).",
    ),
]
DueOpt = Annotated[
    datetime | None,
    typer.Option("--due-before", formats=["%Y-%m-%d"], help="Срок не позднее (ГГГГ-ММ-ДД)."),
]
LimitOpt = Annotated[
    int, typer.Option("--limit", min=0, help="Не больше стольких строк (0 — все).")
]
AsJson = Annotated[bool, typer.Option("--json", help="Вывести JSON.")]
AsCsv = Annotated[bool, typer.Option("--csv", help="Вывести CSV.")]

SHOWN = (
    ("due_on", "срок"),
    ("title", "задача"),
    ("state_title", "состояние"),
    ("assignee_role", "роль"),
    ("assignee", "исполнитель"),
    ("route_id", "ИОМ"),
    ("operation", "команда"),
    ("task_id", "задача (id)"),
)


def _filters(
    region: str,
    *,
    role: str | None,
    assignee: str | None,
    kind: str | None,
    state: str | None,
    due_before: datetime | None,
) -> Any:
    from aggregates.tasks import STATE_TITLES, TITLES  # noqa: PLC0415 - imported when it runs
    from aggregates.values import Role  # noqa: PLC0415
    from projections.tasks import TaskFilters  # noqa: PLC0415

    if kind is not None and kind not in TITLES:
        raise fail(f"нет вида задачи «{kind}»; известны: {', '.join(TITLES)}")
    if state is not None and state not in STATE_TITLES:
        raise fail(f"нет состояния «{state}»; известны: {', '.join(STATE_TITLES)}")
    if role is not None and role not in {r.value for r in Role}:
        raise fail(f"нет роли «{role}»; известны: {', '.join(r.value for r in Role)}")
    return TaskFilters(
        profile_id=region,
        assignee_role=role,
        assignee=assignee,
        kind=kind,
        state=state,
        due_before=due_before.date() if due_before else None,
    )


@tasks.command("list")
@database_errors
def list_tasks(
    *,
    region: RegionOpt,
    role: RoleOpt = None,
    assignee: AssigneeOpt = None,
    kind: KindOpt = None,
    route: RouteOpt = None,
    state: StateOpt = None,
    due_before: DueOpt = None,
    limit: LimitOpt = 200,
    as_json: AsJson = False,
    as_csv: AsCsv = False,
) -> None:
    """Задачи: ближайший срок первым, без срока — в конце; у каждой — команда API, которой
    она выполняется.

    Коды выхода: 0 — выведено (и когда ни одна задача не подошла); 2 — неверный вызов
    (неизвестные вид, состояние или роль; и --json, и --csv); 3 — база данных недоступна.

    Пример: iom tasks list --region sakha --role methodist --assignee methodist-sakha-03
    """
    from aggregates.tasks import STATE_TITLES, TITLES  # noqa: PLC0415 - imported when it runs
    from projections.catalog import open_projection  # noqa: PLC0415
    from projections.tasks import TASK_LIST, endpoint_path  # noqa: PLC0415
    from runtime.settings import Settings  # noqa: PLC0415
    from workers.context import build_routes  # noqa: PLC0415

    if as_json and as_csv:
        raise fail("укажите --json или --csv, не оба")
    filters = replace(
        _filters(
            region, role=role, assignee=assignee, kind=kind, state=state, due_before=due_before
        ),
        route_id=route,
    )
    application = build_routes(Settings())  # keep it: the view shares its datastore
    with open_projection(application, "tasks").view.transaction(commit=False) as db:
        rows = TASK_LIST.select(db, filters, limit=limit or None)
    for row in rows:
        row["title"] = TITLES[row["kind"]]
        row["state_title"] = STATE_TITLES[row["state"]]
        row["endpoint"] = f"POST {endpoint_path(row)}"
    if as_json:
        emit_json(rows)
    elif as_csv:
        if rows:
            emit_csv(list(rows[0]), [list(r.values()) for r in rows])
    else:
        emit_table(
            f"Задачи: {len(rows)}",
            [heading for _, heading in SHOWN],
            [[_cell(column, row) for column, _ in SHOWN] for row in rows],
        )


@tasks.command("summary")
@database_errors
def summary(
    *,
    region: RegionOpt,
    role: RoleOpt = None,
    assignee: AssigneeOpt = None,
    kind: KindOpt = None,
    route: RouteOpt = None,
    as_json: AsJson = False,
    as_csv: AsCsv = False,
) -> None:
    """Сводка задач: сколько их каждого вида в каждом состоянии, просроченные первыми.

    Коды выхода: 0 — выведено; 2 — неверный вызов; 3 — база данных недоступна.

    Пример: iom tasks summary --region sakha --role centre_head --assignee sakha
    """
    from aggregates.tasks import STATE_TITLES, TITLES  # noqa: PLC0415 - imported when it runs
    from projections.catalog import open_projection  # noqa: PLC0415
    from projections.tasks import summary as counted  # noqa: PLC0415
    from runtime.settings import Settings  # noqa: PLC0415
    from workers.context import build_routes  # noqa: PLC0415

    if as_json and as_csv:
        raise fail("укажите --json или --csv, не оба")
    filters = replace(
        _filters(region, role=role, assignee=assignee, kind=kind, state=None, due_before=None),
        route_id=route,
    )
    application = build_routes(Settings())
    with open_projection(application, "tasks").view.transaction(commit=False) as db:
        rows = counted(db, filters)
    if as_json:
        emit_json(rows)
    elif as_csv:
        emit_csv(["kind", "state", "tasks"], [[r["kind"], r["state"], r["tasks"]] for r in rows])
    else:
        emit_table(
            f"Сводка задач: {sum(r['tasks'] for r in rows)}",
            ["задача", "состояние", "число"],
            [[TITLES[r["kind"]], STATE_TITLES[r["state"]], r["tasks"]] for r in rows],
        )


def _cell(column: str, row: dict[str, Any]) -> str:
    value = row.get(column)
    if column == "assignee_role":
        return str(in_words("role", value))
    return "—" if value is None or value == "" else str(value)
