"""A diagnostic campaign's results, imported from the platform's export (CSV or XLSX).

The file is read by `adapters.spreadsheets.read_table` and checked whole before anything is
written: each row is a participant (column `teacher_id` or `педагог`) and their level on every
task of the campaign's instrument (a column per task: `1`, `задание 1` or `task_1`). Every bad
row is named with its line and column, in Russian, and the route's own refusal counts as a bad
row (a route not in the stage the diagnostic belongs to). Only a file with no bad row is
recorded: each teacher's result on their route as the input, an intermediate or the final
diagnostic (by the campaign's kind), and the campaign's note of whose results it brought, in
one transaction per `per_transaction` teachers.

Exactly once: a teacher's result is recorded under the command id `campaign:<id>:<teacher>`,
so the same file sent again decides nothing new on any route (and the campaign's note, under
the file's hash, nothing either); another file with another result for the same teacher is
refused on that row. The routes' commands are the system's (`Role.SYSTEM`), caused by the
person's import (`causation_id`), who is recorded on the campaign's event.

Beside a route's workflow (its single writer) a result is saved only when it leaves the route's
timers as they were (the reasoning of `api.endpoints.batch`): the workflow's view changes at
most by the stage, which it reads afresh at its next activity.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from uuid import UUID

from adapters.spreadsheets import Table, TableError, TableRow, read_table
from aggregates.application import Decision
from aggregates.campaign import Campaign
from aggregates.campaign_commands import RecordResults, taken_on
from aggregates.campaigns import Campaigns
from aggregates.commands import (
    Command,
    RecordDiagnostic,
    RecordFinalDiagnostic,
    RecordIntermediateDiagnostic,
)
from aggregates.deadlines import timers
from aggregates.errors import ConflictError, DomainError
from aggregates.values import Actor, Diagnostic, Role, TaskResult

TEACHER_COLUMNS = ("teacher_id", "педагог", "идентификатор педагога")
SYSTEM = Actor(id="iom-campaigns", role=Role.SYSTEM)
"""Who records a campaign's results on the routes (the person is on the campaign's event)."""
COMMANDS: dict[str, type[RecordDiagnostic | RecordIntermediateDiagnostic | RecordFinalDiagnostic]]
COMMANDS = {
    "input": RecordDiagnostic,
    "intermediate": RecordIntermediateDiagnostic,
    "final": RecordFinalDiagnostic,
}
ATTEMPTS = 3
"""How often a transaction that lost a race to a route's workflow is decided and saved again."""


@dataclass(frozen=True)
class RowProblem:
    """A bad row: its line in the file, the column at fault, and why, in Russian."""

    line: int
    column: str
    message: str

    def __str__(self) -> str:
        where = f"строка {self.line}" if self.line else "файл"
        return (
            f"{where}, столбец «{self.column}»: {self.message}"
            if self.column
            else (f"{where}: {self.message}")
        )


class ImportRefusedError(Exception):
    """The file is refused whole: nothing was written. `problems` names every bad row."""

    def __init__(self, problems: Sequence[RowProblem]) -> None:
        self.problems = list(problems)
        self.message = (
            f"файл результатов отклонён целиком, ничего не записано; ошибок: {len(problems)}"
        )
        super().__init__(self.message + "\n" + "\n".join(str(p) for p in problems))


@dataclass(frozen=True)
class ImportReport:
    """What an import did: rows read, results recorded now, results recorded before."""

    campaign_id: UUID
    file_hash: str
    rows: int
    recorded: int
    unchanged: int
    events: int


@dataclass
class _Row:
    line: int
    teacher_id: str
    command: Command
    decision: Decision | None = None


@dataclass
class _Checked:
    rows: list[_Row] = field(default_factory=list)
    problems: list[RowProblem] = field(default_factory=list)


def import_results(
    campaigns: Campaigns,
    campaign_id: UUID,
    data: bytes,
    filename: str,
    actor: Actor,
    *,
    per_transaction: int = 200,
    progress: Callable[[int, int], None] | None = None,
) -> ImportReport:
    """Check the export whole, then record each teacher's result on their route exactly once
    (see the module's docstring). `progress(done, total)` is told the rows saved so far.
    Raises `ImportRefusedError` (nothing written) or a `DomainError` of the campaign."""
    file_hash = hashlib.sha256(data).hexdigest()
    campaign = campaigns.campaign(campaign_id)
    RecordResults(teachers=[], file_hash=file_hash).require_status(
        campaign, "announced", "held", "results_recorded"
    )
    try:
        table = read_table(data, filename)
    except TableError as error:
        raise ImportRefusedError([RowProblem(0, "", str(error))]) from None
    checked = _check(campaigns, campaign, table)
    if checked.problems:
        raise ImportRefusedError(checked.problems)
    fresh = [row for row in checked.rows if row.decision is not None and row.decision.events]
    events = 0
    total = len(checked.rows)
    done = total - len(fresh)
    if progress:
        progress(done, total)
    for start in range(0, len(fresh), per_transaction):
        chunk = fresh[start : start + per_transaction]
        events += _save(
            campaigns, campaign_id, chunk, actor=actor, file_hash=file_hash, start=start
        )
        done += len(chunk)
        if progress:
            progress(done, total)
    return ImportReport(campaign_id, file_hash, total, len(fresh), total - len(fresh), events)


def _columns(campaign: Campaign, table: Table) -> tuple[str | None, dict[int, str], list[str]]:
    """The teacher's column, each task's column, and the tasks without one."""
    by_name = {name.strip().lower(): name for name in table.columns}
    teacher = next((by_name[n] for n in TEACHER_COLUMNS if n in by_name), None)
    tasks: dict[int, str] = {}
    missing: list[str] = []
    for task in campaign.instrument.tasks:
        n = task.number
        names = (f"{n}", f"задание {n}", f"task_{n}")
        found = next((by_name[name] for name in names if name in by_name), None)
        if found is None:
            missing.append(str(n))
        else:
            tasks[n] = found
    return teacher, tasks, missing


def _check(campaigns: Campaigns, campaign: Campaign, table: Table) -> _Checked:
    checked = _Checked()
    teacher_column, task_columns, missing = _columns(campaign, table)
    if teacher_column is None:
        checked.problems.append(
            RowProblem(1, "teacher_id", "нет столбца педагога (teacher_id или «педагог»)")
        )
    if missing:
        checked.problems.append(
            RowProblem(1, "", "нет столбцов заданий инструментария: " + ", ".join(missing))
        )
    if checked.problems:
        return checked
    if not table.rows:
        checked.problems.append(RowProblem(0, "", "в файле нет ни одной строки результатов"))
        return checked
    assert teacher_column is not None
    seen: dict[str, int] = {}
    for row in table.rows:
        problems = _check_row(
            campaigns,
            campaign,
            row,
            teacher_column=teacher_column,
            task_columns=task_columns,
            seen=seen,
        )
        if isinstance(problems, _Row):
            checked.rows.append(problems)
        else:
            checked.problems.extend(problems)
    return checked


def _check_row(
    campaigns: Campaigns,
    campaign: Campaign,
    row: TableRow,
    *,
    teacher_column: str,
    task_columns: dict[int, str],
    seen: dict[str, int],
) -> _Row | list[RowProblem]:
    teacher_id = row.cells.get(teacher_column, "")
    line = row.line
    if not teacher_id:
        return [RowProblem(line, teacher_column, "не указан педагог")]
    participant = campaign.participants.get(teacher_id)
    if participant is None:
        return [
            RowProblem(line, teacher_column, f"педагог {teacher_id} не участник этой диагностики")
        ]
    if teacher_id in seen:
        return [
            RowProblem(
                line, teacher_column, f"педагог {teacher_id} уже был в строке {seen[teacher_id]}"
            )
        ]
    seen[teacher_id] = line
    problems: list[RowProblem] = []
    results: list[TaskResult] = []
    for task in campaign.instrument.tasks:
        column = task_columns[task.number]
        cell = row.cells.get(column, "")
        level = int(cell) if cell.isdigit() else 0
        if not 1 <= level <= len(campaign.profile.levels):
            problems.append(
                RowProblem(line, column, f"уровень — целое число от 1 до 4, а указано «{cell}»")
            )
            continue
        results.append(TaskResult(number=task.number, competences=task.competences, level=level))
    if problems:
        return problems
    diagnostic = Diagnostic(
        taken_on=taken_on(campaign, participant.group_id),
        platform=campaign.platform,
        tasks=results,
    )
    command = COMMANDS[campaign.kind](diagnostic=diagnostic)
    found = _Row(line, teacher_id, command)
    try:
        found.decision = _decide(campaigns, campaign, found, participant.route_id)
    except DomainError as error:
        return [RowProblem(line, teacher_column, _route_problem(teacher_id, error))]
    return found


def _command_id(campaign_id: UUID, teacher_id: str) -> str:
    return f"campaign:{campaign_id}:{teacher_id}"


def _decide(campaigns: Campaigns, campaign: Campaign, row: _Row, route_id: UUID) -> Decision:
    routes = campaigns.routes
    route = routes.route(route_id)
    before = timers(route)
    decision = routes.decide(  # on the route as loaded: one load a teacher
        route_id,
        row.command,
        SYSTEM,
        _command_id(campaign.id, row.teacher_id),
        f"campaign:{campaign.id}",
        loaded=route,
    )
    if decision.events and before != timers(decision.route):
        raise DomainError(
            "batch_timers",
            "результат меняет сроки ИОМ: внесите его отдельной командой по ИОМ",
        )
    return decision


def _route_problem(teacher_id: str, error: DomainError) -> str:
    if error.rule == "command_id":
        return f"результат педагога {teacher_id} уже внесён другим файлом этой диагностики"
    where = f" (поле {error.field})" if error.field else ""
    return f"ИОМ педагога {teacher_id} не принимает результат{where}: {error.message}"


def _save(
    campaigns: Campaigns,
    campaign_id: UUID,
    chunk: list[_Row],
    *,
    actor: Actor,
    file_hash: str,
    start: int,
) -> int:
    """Save one transaction's routes and the campaign's note; a race lost to a route's
    workflow is decided again on the fresh routes."""
    note = RecordResults(teachers=[row.teacher_id for row in chunk], file_hash=file_hash)
    for attempt in range(ATTEMPTS):
        campaign = campaigns.campaign(campaign_id)
        if attempt:
            for row in chunk:
                participant = campaign.participants[row.teacher_id]
                row.decision = _decide(campaigns, campaign, row, participant.route_id)
        routes = [row.decision for row in chunk if row.decision is not None]
        noted = campaigns.decide(campaign_id, note, actor, f"results:{file_hash[:32]}:{start}")
        try:
            campaigns.save([noted], routes)
        except ConflictError:
            if attempt == ATTEMPTS - 1:
                raise
            continue
        return len(noted.events) + sum(len(d.events) for d in routes)
    return 0
