"""The shipped regulation profiles load and hold each region's distinctive facts."""

from __future__ import annotations

from importlib import resources
from typing import TYPE_CHECKING, Any

import pytest
import yaml

from aggregates.profiles import (
    Profile,
    ProfileCatalogue,
    Stage,
    UnknownProfileError,
    load_profiles,
)
from aggregates.values import Role
from tests.support.profiles import shipped

if TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path

SHIPPED_IDS = {"sakha", "balakhta", "sovetsky", "chelyabinsk", "algorithm"}
WORKING_STAGES = (
    Stage.DIAGNOSTIC,
    Stage.DESIGN,
    Stage.AGREEMENT,
    Stage.IMPLEMENTATION,
    Stage.FINAL,
)


def _shipped_text(name: str) -> str:
    return resources.files("aggregates.profiles").joinpath(name).read_text("utf-8")


def _latest(profile_id: str) -> Profile:
    return shipped().latest(profile_id)


def _round_of(profile: Profile, role: Role) -> int:
    return next(step.round for step in profile.agreement if step.role == role)


def test_every_shipped_profile_loads() -> None:
    profiles = load_profiles()
    assert SHIPPED_IDS.issubset(profile.id for profile in profiles.values())
    for key, profile in profiles.items():
        assert key == f"{profile.id}@{profile.version}"
        assert set(profile.stage_names) == set(Stage)


def test_every_shipped_file_is_named_after_its_profile() -> None:
    files = [
        item
        for item in resources.files("aggregates.profiles").iterdir()
        if item.name.endswith(".yaml")
    ]
    assert len(files) >= len(SHIPPED_IDS)
    for item in files:
        data = yaml.safe_load(item.read_text("utf-8"))
        assert item.name.startswith(f"{data['id']}-"), item.name


def test_shipped_agreement_parties_escalate_upwards() -> None:
    for profile in load_profiles().values():
        for step in profile.agreement:
            assert step.escalate_to != step.role, profile.key
            assert step.remind_days_before < step.days_to_answer, profile.key


def test_sakha() -> None:
    sakha = _latest("sakha")
    assert sakha.levels == ["недостаточный", "достаточный", "оптимальный", "высокий"]
    assert sakha.level_name(1) == "недостаточный"
    assert len(sakha.competences) == 7
    assert _round_of(sakha, Role.CENTRE_HEAD) < _round_of(sakha, Role.SCHOOL_HEAD)
    assert _round_of(sakha, Role.METHODIST) == _round_of(sakha, Role.TEACHER)
    assert sakha.methodist_assigned_by == [Role.CENTRE_HEAD]
    assert sakha.conclusions_signers == [Role.SCHOOL_HEAD]
    assert sakha.requires_certificate
    assert sakha.requires_final_public_event
    assert sakha.requires_final_diagnostic
    assert sakha.calendars.report_months == [6, 12]
    assert sakha.calendars.diagnostic_notice_days == 3
    assert sakha.calendars.diagnostics_per_year == 2
    assert sakha.time_zone == "Asia/Yakutsk"


def test_balakhta() -> None:
    balakhta = _latest("balakhta")
    assert len(balakhta.directions) == 7
    assert balakhta.directions[0].name == "Самообразование и саморазвитие"
    assert balakhta.term_min_months == 6
    assert balakhta.term_max_months == 60
    assert balakhta.agreement[0].role == Role.MO_HEAD
    assert balakhta.requires_assessment


def test_sovetsky() -> None:
    sovetsky = _latest("sovetsky")
    assert sovetsky.term_min_months == 12
    assert sovetsky.requires_recommendations
    assert sovetsky.requires_self_reflection
    assert [entry.code for entry in sovetsky.directions] == [
        "professional",
        "psych_pedagogical",
        "methodical",
        "informational",
    ]


def test_chelyabinsk() -> None:
    chelyabinsk = _latest("chelyabinsk")
    assert chelyabinsk.levels == ["низкий", "базовый", "повышенный", "высокий"]
    assert chelyabinsk.lowest_levels_first
    assert chelyabinsk.requires_final_diagnostic
    assert chelyabinsk.designers == [Role.TEACHER]
    assert chelyabinsk.competence_name("communicative") == "коммуникативные компетенции"


def test_algorithm() -> None:
    algorithm = _latest("algorithm")
    names = [algorithm.stage_names[stage] for stage in WORKING_STAGES]
    assert len(set(names)) == 3
    assert names[0] == "Диагностико-аналитический этап"
    assert names[-1] == "Оценочно-рефлексивный этап"
    assert len(algorithm.directions) == 3
    assert algorithm.requires_final_public_event


def test_profile_from_extra_folder_is_loaded_and_newest_wins(tmp_path: Path) -> None:
    data = yaml.safe_load(_shipped_text("sakha-2024.yaml"))
    data["version"] = 2
    data["calendars"]["diagnostic_notice_days"] = 5
    (tmp_path / "sakha-2025.yaml").write_text(
        yaml.safe_dump(data, allow_unicode=True), encoding="utf-8"
    )
    (tmp_path / "notes.txt").write_text("не профиль", encoding="utf-8")

    profiles = load_profiles(tmp_path)

    assert {"sakha@1", "sakha@2"} <= set(profiles)
    catalogue = ProfileCatalogue(profiles)
    latest = catalogue.latest("sakha")
    assert latest.version == 2
    assert latest.key == "sakha@2"
    assert latest.calendars.diagnostic_notice_days == 5
    assert profiles["sakha@1"].calendars.diagnostic_notice_days == 3
    assert SHIPPED_IDS.issubset(catalogue.ids())


def test_unknown_profile_id_is_refused() -> None:
    with pytest.raises(UnknownProfileError, match="sakha"):
        ProfileCatalogue(load_profiles()).latest("atlantis")


def _three_levels(data: dict[str, Any]) -> None:
    data["levels"] = data["levels"][:3]


def _unknown_zone(data: dict[str, Any]) -> None:
    data["time_zone"] = "Asia/Oymyakon"


def _round_gap(data: dict[str, Any]) -> None:
    data["agreement"][-1]["round"] += 1


def _missing_stage(data: dict[str, Any]) -> None:
    del data["stage_names"]["cancelled"]


def _reversed_term(data: dict[str, Any]) -> None:
    data["term_min_months"], data["term_max_months"] = 40, 12


@pytest.mark.parametrize(
    ("breakage", "message"),
    [
        (_three_levels, "levels"),
        (_unknown_zone, "unknown time zone"),
        (_round_gap, "without gaps"),
        (_missing_stage, "stage_names"),
        (_reversed_term, "term_min_months"),
    ],
)
def test_broken_profile_is_refused_naming_the_file(
    tmp_path: Path, breakage: Callable[[dict[str, Any]], None], message: str
) -> None:
    data = yaml.safe_load(_shipped_text("sakha-2024.yaml"))
    data["version"] = 99
    breakage(data)
    (tmp_path / "broken-sakha.yaml").write_text(
        yaml.safe_dump(data, allow_unicode=True), encoding="utf-8"
    )

    with pytest.raises(ValueError, match=r"broken-sakha\.yaml") as caught:
        load_profiles(tmp_path)
    assert message in str(caught.value)


def test_unparsable_yaml_is_refused_naming_the_file(tmp_path: Path) -> None:
    (tmp_path / "garbled.yaml").write_text("id: [sakha\nversion: 1\n", encoding="utf-8")

    with pytest.raises(ValueError, match=r"garbled\.yaml"):
        load_profiles(tmp_path)
