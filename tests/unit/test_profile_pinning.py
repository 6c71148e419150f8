"""A route keeps the regulation edition it was opened under; new routes take the newest."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
import yaml

from aggregates.application import Routes
from aggregates.commands import DesignRoute, OpenRoute
from aggregates.errors import InvalidCommandError
from aggregates.profiles import ProfileCatalogue, Stage, load_profiles
from aggregates.values import Actor, Role
from runtime.settings import store_env
from workers.demo import DemoRoute

TODAY = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


def routes(store: Path, profiles_dir: Path | None) -> Routes:
    return Routes(
        store_env(f"sqlite:///{store}"),
        profiles=ProfileCatalogue(load_profiles(profiles_dir)),
        clock=lambda: TODAY,
    )


def test_a_new_edition_rules_new_routes_only(tmp_path: Path) -> None:
    shipped = Path(__file__).parents[2] / "aggregates" / "profiles" / "balakhta-2025.yaml"
    edition = yaml.safe_load(shipped.read_text("utf-8"))
    edition |= {"version": 2, "term_min_months": 9}
    (tmp_path / "balakhta-2026.yaml").write_text(yaml.safe_dump(edition, allow_unicode=True))

    old_app = routes(tmp_path / "iom.sqlite3", None)
    old = DemoRoute(old_app, old_app.profiles.latest("balakhta"), 1, random.Random(1), TODAY.date())
    old_id = old.drive(Stage.DESIGN)

    # The same store, read by a deployment that now knows edition 2.
    app = routes(tmp_path / "iom.sqlite3", tmp_path)
    assert app.profiles.latest("balakhta").version == 2
    assert app.route(old_id).profile.key == "balakhta@1"

    new = DemoRoute(app, app.profiles.latest("balakhta"), 2, random.Random(2), TODAY.date())
    new_id = new.drive(Stage.DESIGN)
    assert app.route(new_id).profile.key == "balakhta@2"

    seven_months = old.plan(date(2026, 1, 1), date(2026, 7, 31))
    old.app = app
    old.run(DesignRoute(plan=seven_months), old.profile.designers[0], "design-7")
    assert app.route(old_id).plan == seven_months, "edition 1 allows 6 months and more"
    with pytest.raises(InvalidCommandError, match=r"не менее 9 мес\."):
        new.run(DesignRoute(plan=seven_months), new.profile.designers[0], "design-7")


def test_opening_under_an_unknown_region_names_the_field(tmp_path: Path) -> None:
    app = routes(tmp_path / "iom.sqlite3", None)
    command = OpenRoute(
        route_key="k-1",
        region="moscow",
        teacher_id="t-1",
        school_id="s-1",
        municipality_id="m-1",
        subject="физика",
    )
    with pytest.raises(InvalidCommandError) as refused:
        app.open(command, Actor(id="c-1", role=Role.CENTRE_HEAD), "open-1")
    assert refused.value.field == "region"
    assert "известны: algorithm, balakhta" in refused.value.message
    assert list(app.route_ids()) == []
