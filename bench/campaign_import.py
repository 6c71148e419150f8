"""The campaign import benchmark: a diagnostic campaign's results imported from the platform's
export, in events per second, against the batch diagnostic endpoint's in the same run.

* **The routes.** `2 × --teachers` Sakha routes in the diagnostic stage (opened and their
  methodist assigned, `open_cohort`), half for each side, on one fresh store; each side runs
  in four rounds on a quarter of its routes, the side going first alternating, so a loaded
  machine's drift falls on both.
* **The import.** `runtime.campaign_import.import_results` of a CSV export of a round's
  teachers (16 tasks each) for an announced input campaign: the file read (`read_table`), checked
  whole, each route's diagnostic decided, saved with the campaign's note in transactions of
  200 teachers (its default).
* **The baseline.** `POST /diagnostics/batch`'s own work on the other half, by the routes'
  methodist: the batch's items decided (`api.endpoints.batch.decide_diagnostics`) and saved
  (`save`), `IOM_API_MAX_BATCH` items a request and `IOM_API_BATCH_TRANSACTION` routes a
  transaction (the settings' defaults); the HTTP layer and JSON decoding are left out of both
  sides. Ratio: the import's events per second over the baseline's. Target ≥ 0.8×.

Run `python -m bench.campaign_import [--backend postgres|sqlite] [--teachers N]
[--write BENCHMARKS.md]` (20,000 for the full run; a few hundred on a shared machine).
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from uuid import UUID

from aggregates.application import Receipt, Routes
from aggregates.campaign import Group, Instrument, InstrumentTask
from aggregates.campaign_commands import AnnounceCampaign, Candidate, PlanCampaign
from aggregates.campaigns import Campaigns
from aggregates.commands import AssignMethodist, OpenRoute
from aggregates.profiles import ProfileCatalogue, load_profiles
from aggregates.values import Actor, Diagnostic, Role, TaskResult
from api.auth import Principal
from api.endpoints.batch import Item, decide_diagnostics, save
from api.models import DiagnosticItem, RecordDiagnosticsRequest
from bench.projections import store
from bench.sections import publish
from bench.store import machine
from runtime.campaign_import import import_results
from runtime.settings import Settings, store_env

SECTION = "Campaign results import"
BEGIN, END = "<!-- campaign-import:begin -->", "<!-- campaign-import:end -->"
TARGET = 0.8
TASKS = 16
CHUNK = 500
CENTRE = Actor(id="centre-head-sakha", role=Role.CENTRE_HEAD)
METHODIST = "methodist-bench"
SCHOOLS = ("school-sakha-01", "school-sakha-02")


class Clock:
    """The store's clock, moved by the benchmark (announced, then past the group's day)."""

    def __init__(self) -> None:
        self.now = datetime(2026, 6, 15, 3, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


def teacher(n: int) -> str:
    """The n-th teacher's id."""
    return f"teacher-{n:05d}"


def open_cohort(routes: Routes, first: int, count: int) -> list[UUID]:
    """`count` Sakha routes in the diagnostic stage, of teachers `first`…, a half in each of
    two schools, all with one methodist; saved `CHUNK` at a time."""
    ids: list[UUID] = []
    for start in range(first, first + count, CHUNK):
        numbers = range(start, min(start + CHUNK, first + count))
        opened = [
            routes.decide_open(
                OpenRoute(
                    route_key=f"t-{n:05d}",
                    region="sakha",
                    teacher_id=teacher(n),
                    school_id=SCHOOLS[n % 2],
                    municipality_id="mun-sakha-01",
                    subject="математика",
                ),
                CENTRE,
                f"open-{n}",
            )
            for n in numbers
        ]
        routes.save_decisions(opened)
        order = AssignMethodist(methodist_id=METHODIST, order="Приказ № 12 от 10.06.2026")
        assigned = [
            routes.decide(d.receipt.route_id, order, CENTRE, f"assign-{n}")
            for n, d in zip(numbers, opened, strict=True)
        ]
        routes.save_decisions(assigned)
        ids += [d.receipt.route_id for d in opened]
    return ids


def levels(n: int) -> list[int]:
    """The n-th teacher's level on each task."""
    return [(n + task) % 4 + 1 for task in range(TASKS)]


def competence(task: int) -> str:
    """What task `task` measures: the first quarter methodical, the rest subject."""
    return "methodical" if task <= TASKS // 4 else "subject"


def export(first: int, count: int) -> bytes:
    """The platform's CSV export: a row per teacher, a column per task."""
    header = ";".join(["teacher_id", *(str(t) for t in range(1, TASKS + 1))])
    lines = [";".join([teacher(n), *map(str, levels(n))]) for n in range(first, first + count)]
    return ("\n".join([header, *lines]) + "\n").encode()


def announced(campaigns: Campaigns, ids: list[UUID], first: int, key: str = "bench-input") -> UUID:
    """An input campaign with one group ten days ahead, announced to the routes' teachers."""
    instrument = Instrument(
        title="Комплексная диагностическая работа",
        minutes=120,
        tasks=[
            InstrumentTask(
                number=t,
                competences=[competence(t)],
                focus="methodical" if t <= TASKS // 4 else "subject",
            )
            for t in range(1, TASKS + 1)
        ],
    )
    group = Group(id="g1", place="ИРО и ПК", starts_at=datetime(2026, 6, 25, 1, tzinfo=UTC))
    plan = PlanCampaign(
        campaign_key=key,
        kind="input",
        name="Входная диагностика",
        platform="РАС «Ситуационный центр»",
        instrument=instrument,
        starts_on=date(2026, 6, 16),
        ends_on=date(2026, 6, 30),
        groups=[group],
    )
    campaign_id = campaigns.plan("sakha", plan, CENTRE, f"{key}-plan").campaign_id
    candidates = [
        Candidate(
            teacher_id=teacher(n),
            route_id=route_id,
            school_id=SCHOOLS[n % 2],
            municipality_id="mun-sakha-01",
            subject="математика",
            group_id="g1",
        )
        for n, route_id in zip(range(first, first + len(ids)), ids, strict=True)
    ]
    command = AnnounceCampaign(participants=candidates)
    campaigns.execute(campaign_id, command, CENTRE, f"{key}-announce")
    return campaign_id


def batch_diagnostics(routes: Routes, ids: list[UUID], first: int, settings: Settings) -> int:
    """The batch endpoint's work on `ids`: its requests decided and saved; the events saved."""
    principal = Principal.model_validate(
        {"sub": METHODIST, "role": Role.METHODIST, "region": "sakha"}
    )
    taken_on = date(2026, 6, 25)
    events = 0
    for start in range(0, len(ids), settings.api_max_batch):
        chunk = ids[start : start + settings.api_max_batch]
        body = RecordDiagnosticsRequest(
            items=[
                DiagnosticItem(
                    route_id=route_id,
                    diagnostic=Diagnostic(
                        taken_on=taken_on,
                        platform="РАС «Ситуационный центр»",
                        tasks=[
                            TaskResult(number=t, competences=[competence(t)], level=level)
                            for t, level in enumerate(levels(first + start + i), start=1)
                        ],
                    ),
                )
                for i, route_id in enumerate(chunk)
            ]
        )
        items = decide_diagnostics(routes, principal, body, f"bench-batch-{first + start}")
        events += sum(len(i.decision.events) for i in items if i.decision is not None)

        def redo(item: Item) -> Receipt:
            raise AssertionError(f"no race in the benchmark: item {item.index}")

        save(routes, items, settings.api_batch_transaction, redo, 200)
        refused = [i.result for i in items if i.result and i.result.problem]
        assert not refused, refused[:1]
    return events


@dataclass(frozen=True)
class Report:
    """One run's figures."""

    backend: str
    teachers: int
    import_events: int
    import_seconds: float
    batch_events: int
    batch_seconds: float

    @property
    def import_rate(self) -> float:
        return self.import_events / self.import_seconds

    @property
    def batch_rate(self) -> float:
        return self.batch_events / self.batch_seconds

    @property
    def ratio(self) -> float:
        return self.import_rate / self.batch_rate


def run(backend: str, teachers: int, rounds: int = 4) -> Report:
    """Both sides on one fresh store, in `rounds` rounds on slices of their routes, the side
    that goes first alternating (a loaded machine's drift falls on both)."""
    size = max(1, teachers // rounds)
    totals = {"import": [0, 0.0], "batch": [0, 0.0]}
    with store(backend) as url:
        clock = Clock()
        routes = Routes(store_env(url), profiles=ProfileCatalogue(load_profiles()), clock=clock)
        try:
            campaigns = Campaigns(routes)
            batch_ids = open_cohort(routes, 0, size * rounds)
            import_ids = open_cohort(routes, teachers, size * rounds)
            slices = []
            for r in range(rounds):
                first = teachers + r * size
                chunk = import_ids[r * size : (r + 1) * size]
                slices.append((first, announced(campaigns, chunk, first, f"bench-{r}")))
            clock.now += timedelta(days=11)
            settings = Settings()
            for r, (first, campaign_id) in enumerate(slices):

                def batch(r: int = r) -> int:
                    chunk = batch_ids[r * size : (r + 1) * size]
                    return batch_diagnostics(routes, chunk, r * size, settings)

                def imported(first: int = first, campaign_id: UUID = campaign_id) -> int:
                    data = export(first, size)
                    report = import_results(campaigns, campaign_id, data, "export.csv", CENTRE)
                    assert report.recorded == size
                    return report.events

                sides: list[tuple[str, Callable[[], int]]] = [
                    ("batch", batch),
                    ("import", imported),
                ]
                for name, side in sides if r % 2 == 0 else sides[::-1]:
                    started = time.perf_counter()
                    totals[name][0] += side()
                    totals[name][1] += time.perf_counter() - started
        finally:
            routes.close()
    (import_events, import_seconds), (batch_events, batch_seconds) = (
        totals["import"],
        totals["batch"],
    )
    return Report(
        backend, size * rounds, int(import_events), import_seconds, int(batch_events), batch_seconds
    )


def render(report: Report) -> str:
    """This benchmark's section of BENCHMARKS.md."""
    verdict = "met" if report.ratio >= TARGET else "NOT met"
    return (
        f"## {SECTION}\n{BEGIN}\n"
        f"`python -m bench.campaign_import --backend {report.backend} --teachers"
        f" {report.teachers}` on {machine()}.\n\n"
        "| side | events | seconds | events/s |\n|---|---|---|---|\n"
        f"| import (CSV, checked whole, 200 routes a transaction) | {report.import_events} |"
        f" {report.import_seconds:.2f} | {report.import_rate:.0f} |\n"
        f"| baseline: the batch diagnostic endpoint's decide + save | {report.batch_events} |"
        f" {report.batch_seconds:.2f} | {report.batch_rate:.0f} |\n\n"
        f"Ratio import / batch: **{report.ratio:.2f}×** (target ≥ {TARGET}×: {verdict}).\n"
        f"{END}\n"
    )


def main(argv: list[str] | None = None) -> None:
    """Run the benchmark and print (and write) its section."""
    parser = argparse.ArgumentParser(prog="python -m bench.campaign_import", description=__doc__)
    parser.add_argument("--backend", choices=("postgres", "sqlite"), default="postgres")
    parser.add_argument("--teachers", type=int, default=20_000)
    parser.add_argument("--write", type=Path, metavar="BENCHMARKS.md")
    args = parser.parse_args(argv)
    section = render(run(args.backend, args.teachers))
    publish(section, args.write, SECTION, END)


if __name__ == "__main__":
    main()
