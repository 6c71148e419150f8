"""The ДПП catalogue: a file imported whole or refused whole, each change a version, earlier
versions readable, and an activity's programme checked against the version it names."""

from __future__ import annotations

from datetime import date

import pytest

from adapters.programmes import ProgrammeFileError, read_programmes
from aggregates.application import Routes
from aggregates.commands import DesignRoute
from aggregates.errors import InvalidCommandError
from aggregates.profiles import Profile
from aggregates.programmes.catalogue import catalogue_id_for
from aggregates.programmes.values import Programme
from aggregates.values import Actor, Plan, ProgrammeRef, Role
from tests.support.plans import build_plan
from tests.support.programmes import (
    ROWS,
    csv_file,
    designed_scene,
    json_file,
    programme,
    xlsx_file,
)

CENTRE = Actor(id="centre-head-sakha", role=Role.CENTRE_HEAD)


def sakha(app: Routes) -> Profile:
    return app.profiles.latest("sakha")


def events_of(app: Routes, region: str) -> int:
    return len(list(app.events.get(catalogue_id_for(region))))


def test_csv_xlsx_and_json_give_the_same_programmes(app: Routes) -> None:
    profile = sakha(app)
    from_csv = read_programmes(csv_file(ROWS), "programmes.csv", profile)
    from_xlsx = read_programmes(xlsx_file(ROWS), "programmes.xlsx", profile)
    from_json = read_programmes(json_file(from_csv), "programmes.json", profile)
    assert from_csv == from_xlsx == from_json
    first, second, _ = from_csv
    assert (first.starts_on, first.ends_on) == (date(2026, 9, 1), date(2026, 9, 30))
    assert first.format == "in_person" and first.level == "regional" and first.hours == 36
    # names of competences and of levels are read as the regulation's codes and numbers
    assert [(a.competence, a.levels) for a in second.addresses] == [
        ("psych_pedagogical", [1]),
        ("communicative", [1]),
    ]


def test_a_file_with_bad_rows_is_refused_whole_each_row_named(app: Routes) -> None:
    profile = sakha(app)
    rows = [
        ROWS[0],
        [*ROWS[1][:3], "много", *ROWS[1][4:]],  # line 3: hours not a number
        ROWS[2],
        [*ROWS[2][:8], "astronomy: 1"],  # line 5: no such competence in Sakha's regulation
        [ROWS[0][0], *ROWS[2][1:]],  # line 6: the number of line 2 again
        [*ROWS[2][:5], "01.10.2026", "", *ROWS[2][7:]],  # line 7: one date of two
    ]
    with pytest.raises(ProgrammeFileError) as refused:
        read_programmes(csv_file(rows), "bad.csv", profile)
    found = [(p.line, p.column) for p in refused.value.problems]
    assert found == [(3, "Часы"), (5, "Компетенции"), (6, "Реестровый номер"), (7, "Начало")]
    text = str(refused.value)
    assert "строка 3, «Часы»: ожидается целое число" in text
    assert "компетенции «astronomy» нет в регламенте" in text
    assert "номер ДПП-001 уже указан в строке 2" in text
    assert "обе даты программы" in text
    assert text.startswith("файл не принят, ничего не записано")
    assert events_of(app, "sakha") == 0  # the refused file reached nothing


def test_a_file_without_a_needed_column_is_refused(app: Routes) -> None:
    data = csv_file(ROWS).replace("Часы".encode(), "Объём".encode())
    with pytest.raises(ProgrammeFileError, match="нет столбцов «Часы»"):
        read_programmes(data, "old.csv", sakha(app))


def test_the_same_file_again_changes_nothing(app: Routes) -> None:
    profile = sakha(app)
    programmes = read_programmes(csv_file(ROWS), "programmes.csv", profile)
    assert app.catalogues.put(profile, programmes, CENTRE, "import-1") == 1
    again = read_programmes(xlsx_file(ROWS), "programmes.xlsx", profile)
    assert app.catalogues.put(profile, again, CENTRE, "import-2") == 1
    assert app.catalogues.put(profile, programmes, CENTRE, "import-1") == 1  # a retry
    assert events_of(app, "sakha") == 1
    assert [p.registry_number for p in app.catalogues.catalogue("sakha").listed()] == [
        "ДПП-001",
        "ДПП-002",
        "ДПП-003",
    ]


def test_each_change_is_a_version_and_earlier_versions_stay_readable(app: Routes) -> None:
    profile = sakha(app)
    first = [programme("P-1", {"subject": [1]}), programme("P-2", {"ict": [1, 2]})]
    assert app.catalogues.put(profile, first, CENTRE, "c1") == 1
    longer = programme("P-1", {"subject": [1]}, hours=72)
    assert app.catalogues.put(profile, [longer, first[1]], CENTRE, "c2") == 2  # P-1 changed
    assert app.catalogues.withdraw("sakha", ["P-2"], CENTRE, "c3") == 3

    v1, v2, v3 = (app.catalogues.catalogue("sakha", n) for n in (1, 2, 3))
    assert v1.programmes["P-1"].hours == 36 and v2.programmes["P-1"].hours == 72
    assert "P-2" in v2.programmes and "P-2" not in v3.programmes
    assert app.catalogues.catalogue("sakha").version == 3
    with pytest.raises(InvalidCommandError, match="версии 4 каталога ДПП нет"):
        app.catalogues.catalogue("sakha", 4)
    with pytest.raises(InvalidCommandError, match="нет в каталоге ДПП"):
        app.catalogues.withdraw("sakha", ["P-2"], CENTRE, "c4")
    assert app.catalogues.catalogue("chelyabinsk").version == 0  # each region its own


def test_a_programme_of_a_competence_the_region_lacks_is_refused(app: Routes) -> None:
    chelyabinsk = app.profiles.latest("chelyabinsk")  # no ИКТ-компетенции in its regulation
    programmes = [programme("P-9", {"subject": [1]}), programme("P-1", {"ict": [1]})]
    with pytest.raises(InvalidCommandError, match="компетенции «ict» нет в регламенте") as refused:
        app.catalogues.put(chelyabinsk, programmes, CENTRE, "x")
    assert refused.value.field == "programmes[1].addresses[0].competence"
    assert events_of(app, "chelyabinsk") == 0


def with_programme(plan: Plan, ref: ProgrammeRef) -> Plan:
    first = plan.activities[0].model_copy(update={"programme": ref})
    return plan.model_copy(update={"activities": [first, *plan.activities[1:]]})


LEVELS = {"subject": 1, "methodical": 2, "ict": 3, "communicative": 4}


def test_an_activity_may_name_a_programme_of_the_version_it_saw(app: Routes) -> None:
    profile = sakha(app)
    app.catalogues.put(profile, [programme("P-1", {"subject": [1]})], CENTRE, "c1")
    app.catalogues.withdraw("sakha", ["P-1"], CENTRE, "c2")
    route_id, demo = designed_scene(app, "sakha", LEVELS)
    plan = build_plan(profile, [["subject"], ["methodical"]], starts_on=date(2026, 7, 1))
    designer = demo.actor(profile.designers[0])

    for ref, why in (
        (ProgrammeRef(registry_number="P-7", catalogue_version=1), "№ P-7 нет в каталоге"),
        (ProgrammeRef(registry_number="P-1", catalogue_version=2), "версии 2"),  # withdrawn
        (ProgrammeRef(registry_number="P-1", catalogue_version=9), "версии 9"),
    ):
        with pytest.raises(InvalidCommandError, match=why) as refused:
            app.execute(route_id, DesignRoute(plan=with_programme(plan, ref)), designer, "x")
        assert refused.value.field == "plan.activities[0].programme"
    assert app.route(route_id).plan is None

    wrong = plan.model_copy(
        update={"activities": [plan.activities[1], *plan.activities[:1]]}
    )  # P-1 addresses subject, the first activity here builds methodical
    seen = ProgrammeRef(registry_number="P-1", catalogue_version=1)
    with pytest.raises(InvalidCommandError, match="не направлена на компетенции мероприятия"):
        app.execute(route_id, DesignRoute(plan=with_programme(wrong, seen)), designer, "y")

    receipt = app.execute(route_id, DesignRoute(plan=with_programme(plan, seen)), designer, "z")
    assert receipt.events == ["RouteDesigned"]
    stored = app.route(route_id).plan
    assert stored is not None and stored.activities[0].programme == seen


def test_a_plan_without_programmes_keeps_its_stored_form() -> None:
    """Plans designed before activities could name a ДПП keep their hash (no `programme` key)."""
    activity = build_plan(Profile.model_validate(_sakha_dump()), [["subject"]]).activities[0]
    assert "programme" not in activity.model_dump(mode="json")


def _sakha_dump() -> dict[str, object]:
    from tests.support.profiles import shipped_profiles  # noqa: PLC0415 - one test needs it

    return shipped_profiles()["sakha@1"].model_dump(mode="json")


def test_programme_dates_are_both_or_neither() -> None:
    with pytest.raises(ValueError, match="обе даты"):
        programme("P-1", {"subject": [1]}, starts_on=date(2026, 9, 1))
    assert isinstance(programme("P-1", {"subject": [1]}), Programme)
