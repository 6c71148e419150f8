"""Dynamics over three diagnostics on a real store: routes in implementation with their input
diagnostic; an intermediate campaign's results imported by `iom campaigns import` (CSV, with
the file sent twice recording nothing new); the routes' activities marked; a final campaign's
results imported from XLSX; then every diagnostic's levels per teacher and competence, and
their means per school and region, from the monitoring projection; the ДПП to order for the
final campaign's mass deficits by `iom campaigns orders`."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

import pytest
from openpyxl import Workbook
from typer.testing import CliRunner

from aggregates.application import Routes
from aggregates.campaign import Group, Instrument, InstrumentTask, Kind
from aggregates.campaign_commands import (
    AnnounceCampaign,
    Candidate,
    CloseCampaign,
    PlanCampaign,
)
from aggregates.campaigns import Campaigns
from aggregates.commands import SendNotice
from aggregates.deadlines import timers
from aggregates.profiles import ProfileCatalogue, Stage, load_profiles
from aggregates.values import Actor, Role
from projections.catalog import catch_up, open_projection
from projections.diagnostics import query_steps, query_teacher_steps
from projections.documents.campaign import CampaignOptions
from projections.documents.render import campaign_document
from projections.tables import Filters
from runtime.campaign_import import import_results
from runtime.settings import store_env
from workers.cli import app as cli
from workers.demo import demo_routes, write_demo

CENTRE = Actor(id="centre-head-sakha", role=Role.CENTRE_HEAD)
COUNT = 6


class Clock:
    """The store's clock: a month before now until the test moves it."""

    def __init__(self) -> None:
        self.now = datetime.now(UTC).replace(microsecond=0) - timedelta(days=30)

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def stand(pg_url: str) -> Iterator[tuple[Routes, Clock, str]]:
    clock = Clock()
    routes = Routes(store_env(pg_url), profiles=ProfileCatalogue(load_profiles()), clock=clock)
    try:
        yield routes, clock, pg_url
    finally:
        routes.close()


def instrument(competences: list[str]) -> Instrument:
    """16 tasks over the competences the routes were tested on, a quarter methodical."""
    return Instrument(
        title="Комплексная диагностическая работа",
        minutes=120,
        tasks=[
            InstrumentTask(
                number=n,
                competences=[competences[n % len(competences)]],
                focus="methodical" if n <= 4 else "subject",
            )
            for n in range(1, 17)
        ],
    )


def campaign(
    campaigns: Campaigns, routes: list[UUID], kind: Kind, clock: Clock, competences: list[str]
) -> UUID:
    """A campaign of `kind` planned now, its one group five days ahead, announced to the
    teachers of `routes`."""
    day = (clock.now + timedelta(days=5)).date()
    command = PlanCampaign(
        campaign_key=f"{kind}-1",
        kind=kind,
        name=f"Диагностика ({kind})",
        platform="РАС «Ситуационный центр»",
        instrument=instrument(competences),
        starts_on=day,
        ends_on=day,
        groups=[
            Group(
                id="g1",
                place="ИРО и ПК",
                starts_at=datetime(day.year, day.month, day.day, 1, tzinfo=UTC),
            )
        ],
    )
    campaign_id = campaigns.plan("sakha", command, CENTRE, f"plan-{kind}").campaign_id
    found = [campaigns.routes.route(i) for i in routes]
    candidates = [
        Candidate(
            teacher_id=r.teacher_id,
            route_id=r.id,
            school_id=r.school_id,
            municipality_id=r.municipality_id,
            subject=r.subject,
            group_id="g1",
        )
        for r in found
    ]
    campaigns.execute(campaign_id, AnnounceCampaign(participants=candidates), CENTRE, f"a-{kind}")
    return campaign_id


def rows(routes: Routes, ids: list[UUID], rise: int) -> list[list[Any]]:
    """Each teacher's levels: their input task's level raised by `rise` (at most 4)."""
    found = []
    for route_id in ids:
        route = routes.route(route_id)
        assert route.input_diagnostic is not None
        by_competence = {t.competences[0]: t.level for t in route.input_diagnostic.tasks}
        competences = sorted(route.input_levels)
        levels = [
            min(4, by_competence.get(competences[n % len(competences)], 1) + rise)
            for n in range(1, 17)
        ]
        found.append([route.teacher_id, *levels])
    return found


def send_due_notices(routes: Routes, route_id: UUID) -> None:
    """Send the route's notices come due, as its workflow's timers would have."""
    system = Actor(id="route-workflow", role=Role.SYSTEM)
    now = routes.clock()
    while due := [t for t in timers(routes.route(route_id)) if t.at <= now]:
        for timer in due:
            routes.execute(route_id, SendNotice(key=timer.key), system, f"timer:{timer.key}")


def csv_of(table: list[list[Any]]) -> bytes:
    header = ";".join(["teacher_id", *(str(n) for n in range(1, 17))])
    return "\n".join([header, *(";".join(map(str, row)) for row in table)]).encode()


def xlsx_of(table: list[list[Any]]) -> bytes:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["педагог", *(f"задание {n}" for n in range(1, 17))])
    for row in table:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def test_dynamics_over_three_diagnostics(
    stand: tuple[Routes, Clock, str], tmp_path: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    routes, clock, url = stand
    ids = write_demo(routes, "sakha", COUNT, until=Stage.IMPLEMENTATION)
    competences = sorted({c for i in ids for c in routes.route(i).input_levels})
    campaigns = Campaigns(routes)

    middle = campaign(campaigns, ids, "intermediate", clock, competences)
    exported = tmp_path / "промежуточная.csv"
    exported.write_bytes(csv_of(rows(routes, ids, 1)))
    monkeypatch.setenv("IOM_DATABASE_URL", url)
    command = ["campaigns", "import", str(exported), "--campaign", str(middle), "--json"]
    first = CliRunner().invoke(cli, command)
    assert first.exit_code == 0, first.output
    assert '"recorded": 6' in first.stdout
    again = CliRunner().invoke(cli, command)
    assert again.exit_code == 0, again.output
    assert '"recorded": 0' in again.stdout and '"events": 0' in again.stdout
    bad = tmp_path / "плохой.csv"
    bad.write_bytes(csv_of([["teacher-x", *[9] * 16]]))
    refused = CliRunner().invoke(cli, ["campaigns", "import", str(bad), "--campaign", str(middle)])
    assert refused.exit_code == 1
    assert "строка 2" in refused.stderr and "ничего не записано" in refused.stderr

    for demo in demo_routes(routes, "sakha", COUNT, seed=0, first=1):
        demo.drive(Stage.FINAL)
    clock.now += timedelta(days=6)
    for route_id in ids:  # the routes' workflows are not running here: their notices are due
        send_due_notices(routes, route_id)
    final = campaign(campaigns, ids, "final", clock, competences)
    clock.now += timedelta(days=6)
    absent = routes.route(ids[-1]).teacher_id  # the last teacher did not come
    exported_final = xlsx_of(rows(routes, ids[:-1], 2))
    report = import_results(campaigns, final, exported_final, "итоговая.xlsx", CENTRE)
    assert report.recorded == COUNT - 1
    campaigns.execute(final, CloseCampaign(), CENTRE, "close-final")
    ordered = CliRunner().invoke(cli, ["campaigns", "orders", str(final), "--json"])
    assert ordered.exit_code == 0, ordered.output
    proposal = json.loads(ordered.stdout)  # over the final levels of those who came
    assert proposal["routes"] == COUNT - 1 and proposal["region"] == "sakha"
    expected = campaigns.orders(final).model_dump(mode="json")
    assert proposal == expected
    unknown = CliRunner().invoke(cli, ["campaigns", "orders", str(ids[0])])
    assert unknown.exit_code == 1 and "не найдена" in unknown.stderr
    assert [p.teacher_id for p in campaigns.campaign(final).absentees] == [absent]

    catch_up(routes, "monitoring")
    view = open_projection(routes, "monitoring").view
    with view.transaction(commit=False) as db:
        teacher = query_teacher_steps(db, Filters(route_id=ids[0]), None)
        by_school = query_steps(db, "school", Filters(profile_id="sakha"), None)
        by_region = query_steps(db, "region", Filters(profile_id="sakha"), None)
    route = routes.route(ids[0])
    for competence, given in route.input_levels.items():
        path = [r for r in teacher if r["competence"] == competence]
        assert [r["kind"] for r in path] == ["input", "intermediate", "final"]
        assert path[0]["level"] == given and path[0]["change"] == 0
        assert path[1]["level"] == route.intermediate_diagnostics[0].levels[competence]
        assert path[2]["level"] == route.final_levels[competence]
    assert {r["kind"] for r in by_school} == {"input", "intermediate", "final"}
    for step in by_region:
        assert step["tested"] == sum(
            s["tested"]
            for s in by_school
            if (s["competence"], s["step"]) == (step["competence"], step["step"])
        )
    finals = [s for s in by_region if s["kind"] == "final"]
    assert finals and all(s["mean_change"] is not None and s["mean_change"] >= 0 for s in finals)

    document = campaign_document(routes, "sakha", CampaignOptions(campaign_id=final))
    assert document.subtitle[1] == "Итоговая диагностика"
    text = document.text()
    assert f"Участников: {COUNT - 1} педагогов" in text
    assert "6. Участники и отсутствовавшие" in text
    assert f"оповещено {COUNT} участников, участвовали {COUNT - 1}, отсутствовали 1" in text
    assert absent in text
    made = tmp_path / "отчёт.docx"
    asked = ["docs", "campaign", "--region", "sakha", "--campaign", str(final)]
    written = CliRunner().invoke(cli, [*asked, "--format", "docx", "-o", str(made)])
    assert written.exit_code == 0, written.output
    assert made.read_bytes().startswith(b"PK")
