"""A route's last event deleted, or a changed last event hashed again, leaves its chain whole:
`iom audit verify` finds it all the same, without a digest, against the audit trail and the
signed checkpoint in the store, and names the route; so does a digest mismatch (issue 23,
defect 10)."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Literal
from uuid import UUID

import pytest
import typer
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from aggregates.application import Routes
from aggregates.chain import link
from aggregates.events import RouteEvent
from aggregates.profiles import ProfileCatalogue, load_profiles
from projections.catalog import catch_up, datastore_of
from projections.checkpoints import CHECKPOINT_HEADS, CHECKPOINTS
from projections.view import transaction_on
from runtime.settings import store_env
from workers.cli.audit import audit
from workers.demo import write_demo

runner = CliRunner()
KEY = "a key kept outside the database"


@pytest.fixture
def app(database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Routes]:
    monkeypatch.setenv("IOM_DATABASE_URL", database_url)
    monkeypatch.setenv("IOM_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("IOM_AUDIT_KEY", KEY)
    monkeypatch.setenv("COLUMNS", "250")
    application = Routes(store_env(database_url), profiles=ProfileCatalogue(load_profiles()))
    yield application
    application.close()


def iom(command: typer.Typer, *args: str, code: int = 0) -> str:
    result = runner.invoke(command, list(args))
    assert result.exit_code == code, result.output
    return result.stdout


def execute(app: Routes, statement: str, params: tuple[object, ...] = ()) -> None:
    """A statement on the store; a route id as the store keeps it (SQLite: its hex)."""
    with transaction_on(datastore_of(app), commit=True) as db:
        db.execute(
            statement,
            [p.hex if db.dialect == "sqlite" and isinstance(p, UUID) else p for p in params],
        )


def delete_last(app: Routes, route_id: UUID) -> None:
    version = app.route(route_id).version
    execute(
        app,
        f"DELETE FROM {app.recorder.events_table_name}"  # type: ignore[attr-defined]
        " WHERE originator_id = %s AND originator_version = %s",
        (route_id, version),
    )


def rehash_last(app: Routes, route_id: UUID) -> None:
    """Change the route's last event and hash it again: its chain stays whole."""
    *before, last = app.history(route_id)
    changed = last.model_copy(update={"command_id": "forged"})
    previous: RouteEvent = before[-1]
    changed = changed.model_copy(
        update={"chain_hash": link(previous.chain_hash, changed.content())}
    )
    stored = app.mapper.to_stored_event(changed)
    execute(
        app,
        f"UPDATE {app.recorder.events_table_name} SET state = %s"  # type: ignore[attr-defined]
        " WHERE originator_id = %s AND originator_version = %s",
        (stored.state, route_id, last.originator_version),
    )


def test_a_truncated_or_rehashed_route_fails_verify_by_name(app: Routes) -> None:
    cut, forged, kept = write_demo(app, "chelyabinsk", 3)
    assert catch_up(app, "audit") == app.recorder.max_notification_id()
    assert "контрольная точка 1: ИОМ 3" in iom(audit, "checkpoint")
    assert "Цепочки целы: 3" in iom(audit, "verify", "--all")
    digest = iom(audit, "digest").strip()

    delete_last(app, cut)
    rehash_last(app, forged)
    assert "Цепочки целы" in iom(audit, "verify", str(kept))
    output = iom(audit, "verify", "--all", code=1)
    assert f"ИОМ {cut}" in output and "события удалены" in output
    assert f"ИОМ {forged}" in output and "перехешировано" in output
    assert f"ИОМ {kept}" not in output
    assert f"ИОМ {cut}" in iom(audit, "verify", str(cut), code=1)

    found = json.loads(iom(audit, "verify", "--all", "--digest", digest, "--json", code=1))
    assert found["digest_matches"] is False
    assert found["digest_routes"] == sorted([str(cut), str(forged)])
    assert {f["route_id"] for f in found["findings"]} == {str(cut), str(forged)}


def test_the_checkpoint_itself_is_checked(app: Routes) -> None:
    (route_id,) = write_demo(app, "sakha", 1)
    catch_up(app, "audit")
    iom(audit, "checkpoint")
    execute(app, f"DELETE FROM {CHECKPOINT_HEADS.name} WHERE route_id = %s", (str(route_id),))
    assert "НЕ СХОДИТСЯ подпись контрольной точки 1" in iom(audit, "verify", "--all", code=1)
    execute(app, f"DROP TABLE {CHECKPOINT_HEADS.name}")
    execute(app, f"DROP TABLE {CHECKPOINTS.name}")
    assert "НЕТ контрольной точки аудита" in iom(audit, "verify", "--all", code=1)


Tamper = Literal["none", "cut", "rehash", "gone"]


def tamper(app: Routes, route_id: UUID, how: Tamper, cut: int) -> None:
    """`cut`: the last `cut` events deleted; `rehash`: the last changed and hashed again;
    `gone`: every event of the route deleted."""
    if how == "cut":
        for _ in range(min(cut, app.route(route_id).version - 1)):
            delete_last(app, route_id)
    elif how == "rehash":
        rehash_last(app, route_id)
    elif how == "gone":
        execute(
            app,
            f"DELETE FROM {app.recorder.events_table_name}"  # type: ignore[attr-defined]
            " WHERE originator_id = %s",
            (route_id,),
        )


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(
        st.tuples(st.sampled_from(["none", "cut", "rehash", "gone"]), st.integers(1, 3)),
        min_size=4,
        max_size=4,
    )
)
def test_verify_names_exactly_the_routes_tampered_with(
    template: tuple[Path, list[UUID]], tmp_path_factory: pytest.TempPathFactory, plan: list[Any]
) -> None:
    """The class: whatever is deleted or re-hashed at a route's end, `verify --all` without a
    digest names that route and no other."""
    source, route_ids = template
    copy = tmp_path_factory.mktemp("tampered") / "iom.sqlite3"
    shutil.copyfile(source, copy)
    url = f"sqlite:///{copy}"
    with pytest.MonkeyPatch.context() as env:
        env.setenv("IOM_DATABASE_URL", url)
        env.setenv("IOM_DATA_DIR", str(copy.parent))
        env.setenv("IOM_AUDIT_KEY", KEY)
        app = Routes(store_env(url), profiles=ProfileCatalogue(load_profiles()))
        try:
            for route_id, (how, cut) in zip(route_ids, plan, strict=True):
                tamper(app, route_id, how, cut)
        finally:
            app.close()
        touched = {str(r) for r, (how, _) in zip(route_ids, plan, strict=True) if how != "none"}
        found = json.loads(iom(audit, "verify", "--all", "--json", code=1 if touched else 0))
    assert {finding["route_id"] for finding in found["findings"]} == touched


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[UUID]]:
    """Four routes of four regions, projected and checkpointed, in a SQLite file to copy."""
    path = tmp_path_factory.mktemp("template") / "iom.sqlite3"
    url = f"sqlite:///{path}"
    with pytest.MonkeyPatch.context() as env:
        env.setenv("IOM_DATABASE_URL", url)
        env.setenv("IOM_DATA_DIR", str(path.parent))
        env.setenv("IOM_AUDIT_KEY", KEY)
        app = Routes(store_env(url), profiles=ProfileCatalogue(load_profiles()))
        try:
            route_ids = [
                write_demo(app, region, 1)[0]
                for region in ("sakha", "balakhta", "sovetsky", "chelyabinsk")
            ]
            catch_up(app, "audit")
            iom(audit, "checkpoint")
        finally:
            app.close()
    return path, route_ids
