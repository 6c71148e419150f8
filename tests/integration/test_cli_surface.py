"""The `iom` command line as a whole: every command is classified as a read or a write, has
`--help` with an example, every read takes `--json` (and prints JSON on stdout, nothing else),
and an unreachable database is said in Russian, naming IOM_DATABASE_URL, with exit 3."""

from __future__ import annotations

import gc
import json
import socket
from collections.abc import Iterator
from typing import Any

import pytest
import typer
from typer.testing import CliRunner

from workers.cli import app

runner = CliRunner()

READS = {
    "tasks list",
    "tasks summary",
    "projections incidents",
    "audit digest",
    "audit history",
    "audit show",
    "audit verify",
    "audit verify-bundle",
    "campaigns list",
    "campaigns orders",
    "campaigns show",
    "audit verify-document",
    "catalogue list",
    "catalogue orders",
    "health",
    "monitor activities",
    "monitor agreement",
    "monitor audit",
    "monitor corrections",
    "monitor deficits",
    "monitor diagnostics",
    "monitor dynamics",
    "monitor methodists",
    "monitor refusals",
    "monitor routes",
    "ops stuck",
    "ops bulk preview",  # reads the store and the monitoring tables; writes nothing
    "ops bulk status",
    "ops bulk list",
    "pd show",
    "officials show",
    "profiles",
    "projections status",
    "routes suggest",  # suggests a plan, saves nothing
    "shadow",  # reads the store, Temporal; writes only a scratch database it drops
}
"""Commands that only read: each must take --json."""

WRITES = {
    "api",  # serves until stopped
    "audit checkpoint",  # writes a signed checkpoint
    "projections retry",  # applies held events
    "pd protect",  # wraps raw keys under the master key
    "audit export",  # writes a bundle
    "campaigns announce",
    "campaigns cancel",
    "campaigns remove",
    "campaigns close",
    "campaigns import",
    "campaigns plan",
    "catalogue import",
    "demo",
    "docs campaign",  # writes a document
    "docs methodists",  # writes a document (or prints the report's data)
    "docs render",
    "ops bulk run",
    "ops cancel",
    "ops extend-deadline",
    "ops incidents",  # lists; with --repair, repairs by a bulk operation
    "ops migrate",  # with --dry-run, only checks
    "ops pause",
    "ops reassign-methodist",
    "ops replace-methodist",
    "ops resend-notice",
    "ops resume",
    "ops unpause",
    "pd erase",
    "pd put",
    "officials erase",
    "officials set",
    "projections rebuild",
    "projector",  # runs until stopped
    "token",  # prints a credential: no JSON wrapper wanted
    "up",  # runs the stack until stopped
    "worker",  # runs until stopped
}
"""Commands that write, run a service, or print a credential."""

GROUPS_WITHOUT_EXAMPLE: set[str] = set()
"""Command groups whose --help still lacks an example line: fix one, then remove it here."""

WITHOUT_EXIT_CODES: set[str] = set()
"""Commands whose --help does not yet document their exit codes: fix one, then remove it here."""

READS_RUN_ON_AN_EMPTY_STORE = [
    ["profiles"],
    ["projections", "status"],
    ["audit", "digest"],
    ["audit", "verify", "--all"],
    *[
        ["monitor", name]
        for name in (
            "routes",
            "activities",
            "agreement",
            "corrections",
            "methodists",
            "dynamics",
            "diagnostics",
            "deficits",
            "audit",
            "refusals",
        )
    ],
    ["tasks", "list", "--region", "sakha"],
    ["tasks", "summary", "--region", "sakha"],
]


def walk(command: Any, path: tuple[str, ...] = ()) -> Iterator[tuple[str, Any, bool]]:
    """Every command of the tree: its path (`audit verify`), itself, whether it is a group."""
    subcommands = getattr(command, "commands", None)
    yield " ".join(path), command, subcommands is not None
    for name, sub in sorted((subcommands or {}).items()):
        yield from walk(sub, (*path, name))


TREE = list(walk(typer.main.get_command(app)))
LEAVES = {path: command for path, command, group in TREE if not group}
GROUPS = {path: command for path, command, group in TREE if group}


def options(command: Any) -> set[str]:
    return {option for param in command.params for option in getattr(param, "opts", [])}


def test_every_command_is_classified_as_a_read_or_a_write() -> None:
    assert not READS & WRITES
    unclassified = set(LEAVES) - READS - WRITES
    assert not unclassified, f"classify in READS or WRITES: {sorted(unclassified)}"
    assert not (READS | WRITES) - set(LEAVES), "listed, but no such command"


@pytest.mark.parametrize("path", sorted(LEAVES))
def test_help_shows_an_example(path: str) -> None:
    result = runner.invoke(app, [*path.split(), "--help"])
    assert result.exit_code == 0, result.output
    assert "Пример: " in result.stdout, result.stdout


@pytest.mark.parametrize("path", sorted(LEAVES))
def test_help_documents_the_exit_codes(path: str) -> None:
    documented = "Коды выхода" in (LEAVES[path].help or "")
    assert documented != (path in WITHOUT_EXIT_CODES), (
        f"«iom {path} --help»: exit codes {'documented' if documented else 'missing'};"
        " update WITHOUT_EXIT_CODES"
    )


@pytest.mark.parametrize("path", sorted(GROUPS))
def test_groups_help_shows_an_example(path: str) -> None:
    result = runner.invoke(app, [*path.split(), "--help"])
    assert result.exit_code == 0, result.output
    has_example = "Пример" in result.stdout
    assert has_example != (path in GROUPS_WITHOUT_EXAMPLE), (
        f"«iom {path} --help»: example {'present' if has_example else 'missing'};"
        " update GROUPS_WITHOUT_EXAMPLE"
    )


@pytest.mark.parametrize("path", sorted(READS))
def test_every_read_takes_json(path: str) -> None:
    assert "--json" in options(LEAVES[path]), f"iom {path}: a read without --json"


@pytest.mark.parametrize("args", READS_RUN_ON_AN_EMPTY_STORE, ids=" ".join)
def test_reads_print_only_json_with_json(
    args: list[str], sqlite_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("IOM_DATABASE_URL", sqlite_url)
    monkeypatch.setenv("IOM_LOG_FORMAT", "json")
    result = runner.invoke(app, [*args, "--json"])
    assert result.exit_code == 0, result.output
    json.loads(result.stdout)


def closed_port() -> int:
    """A local port nothing listens on (bound, then released)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.mark.parametrize(
    "args",
    [
        ["audit", "history", "94945806-cc6b-57a5-ba14-12c4c914e5f9"],
        ["monitor", "routes", "--json"],
    ],
    ids=" ".join,
)
def test_an_unreachable_database_says_what_to_do(
    args: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    url = f"postgresql://iom:s3cret@127.0.0.1:{closed_port()}/iom"
    monkeypatch.setenv("IOM_DATABASE_URL", url)
    monkeypatch.setenv("IOM_LOG_FORMAT", "json")
    monkeypatch.setenv("POSTGRES_CONNECT_TIMEOUT", "1")  # the pool's wait, 30 s by default
    result = runner.invoke(app, args)
    assert result.exit_code == 3, result.output
    assert "база данных недоступна" in result.stderr
    assert "IOM_DATABASE_URL" in result.stderr and "s3cret" not in result.stderr
    assert result.stdout == ""
    # The half-built application's pool lives in a reference cycle (the caught error's frames):
    # collect it here, on this thread, not later on one of the pool's own threads (which could
    # not join itself) in whichever test runs then.
    gc.collect()


def test_a_database_url_of_no_known_kind_is_bad_usage(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("IOM_DATABASE_URL", "mysql://iom@localhost/iom")
    result = runner.invoke(app, ["audit", "verify", "--all"])
    assert result.exit_code == 2, result.output
    assert "ни SQLite, ни PostgreSQL" in result.stderr


def test_json_and_csv_together_are_bad_usage(
    sqlite_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("IOM_DATABASE_URL", sqlite_url)
    result = runner.invoke(app, ["monitor", "routes", "--json", "--csv"])
    assert result.exit_code == 2 and "не оба" in result.stderr
