"""`iom audit`: a route's history, its state at any version or moment, the chain checks, and
a route's self-contained, verifiable bundle for an auditor outside the engine.

Exit codes of every `iom audit` command: 0 success (intact); 1 a finding (no such route or
version, a broken chain, a digest mismatch, a bundle that does not check out); 2 bad usage;
3 the database unreachable (IOM_DATABASE_URL).
"""

from __future__ import annotations

import os
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Annotated, Any
from uuid import UUID

import typer

from aggregates.application import Routes
from aggregates.audit import ChainReport, Head, digest, held_against, verify_route
from aggregates.bundle import BundleError, check_bundle, export_route, stored_head
from aggregates.errors import RouteNotFoundError
from aggregates.events import RouteOpened
from aggregates.summaries import describe
from projections.catalog import open_projection
from projections.checkpoints import Checkpoint, latest_checkpoint, trail_heads, write_checkpoint
from workers.cli.output import (
    database_errors,
    emit_json,
    emit_records,
    emit_table,
    fail,
    in_words,
    progress,
)
from workers.cli.route_ref import RouteArg, resolve_route
from workers.context import build_personal_data, build_routes
from workers.settings import Settings
from workers.up import audit_key

audit = typer.Typer(
    help="For auditors: replay and verify routes, export a route's verifiable bundle.\n\n"
    "Example: iom audit verify --all",
    no_args_is_help=True,
)

JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")]
CsvOpt = Annotated[bool, typer.Option("--csv", help="Print CSV instead of a table.")]


@audit.command()
@database_errors
def history(route_id: RouteArg, as_json: JsonOpt = False, as_csv: CsvOpt = False) -> None:
    """Every event of a route: version, time, type, actor, role, a line in Russian.

    Exit codes: 0 listed; 1 no such route; 3 the database unreachable.

    Example: iom audit history 94945806-cc6b-57a5-ba14-12c4c914e5f9 --json
    """
    routes = build_routes(Settings())
    try:
        events = routes.history(route_id)
    except RouteNotFoundError as error:
        raise fail(error.message, 1) from None
    opening = events[0]
    assert isinstance(opening, RouteOpened)
    profile = opening.profile  # the edition the route was opened under
    rows = [
        {
            "version": e.originator_version,
            "time": e.timestamp.isoformat(timespec="seconds"),
            "type": type(e).__name__,
            "actor": e.actor.id,
            "role": e.actor.role.value,
            "summary": describe(e, profile),
        }
        for e in events
    ]
    shown = [
        *(("version", "версия"), ("time", "время"), ("actor", "кто")),
        *(("role", "роль"), ("summary", "запись")),
    ]
    emit_records(
        f"ИОМ {route_id}",
        rows,
        shown,
        lambda column, row: in_words(column, row[column]),
        as_json=as_json,
        as_csv=as_csv,
    )


@audit.command()
@database_errors
def show(
    route_id: RouteArg,
    version: Annotated[int | None, typer.Option(help="The version to show.", min=1)] = None,
    as_of: Annotated[
        datetime | None, typer.Option("--as-of", help="The moment to show (ISO, with offset).")
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """A route's state now, at a version, or as of a moment (the teacher by name only while
    the personal data exists; shown as erased after 152-ФЗ erasure).

    Exit codes: 0 shown; 1 no such route, or not open yet at that version or moment; 2 bad
    usage (both --version and --as-of, a moment without its time zone); 3 the database
    unreachable.

    Example: iom audit show ROUTE_ID --as-of 2026-03-01T12:00:00+09:00
    """
    if version is not None and as_of is not None:
        raise fail("укажите --version или --as-of, не оба")
    if as_of is not None and as_of.tzinfo is None:
        raise fail("--as-of: укажите часовой пояс, например 2026-03-01T12:00:00+09:00")
    settings = Settings()
    routes = build_routes(settings)
    try:
        route = (
            routes.route_as_of(route_id, as_of)
            if as_of is not None
            else routes.route(route_id, version=version)
        )
    except RouteNotFoundError as error:
        raise fail(error.message, 1) from None
    personal = build_personal_data(routes, settings).get(route.teacher_id)
    teacher = {
        "present": personal.sheet.full_name if personal.sheet else "",
        "erased": "персональные данные уничтожены (152-ФЗ)",
        "absent": "сведения не внесены",
    }[personal.status]
    summary = route.summary() | {"teacher": {"status": personal.status, "shown_as": teacher}}
    if as_json:
        emit_json(summary)
        return
    done = sum(1 for r in route.activities.values() if r.status == "done")
    rows = [
        ("версия", route.version),
        ("этап", summary["stage_name"]),
        ("регламент", route.profile.key),
        ("педагог (id)", route.teacher_id),
        ("педагог", teacher),
        ("методист (id)", route.methodist_id or "—"),
        ("тема", route.plan.topic if route.plan else "—"),
        ("мероприятия выполнены", f"{done} из {len(route.activities)}"),
        ("корректировок", len(route.corrections)),
        ("хеш цепочки", route.chain_head),
    ]
    emit_table(f"ИОМ {route_id}", ["поле", "значение"], rows)


@audit.command()
@database_errors
def verify(
    route_ids: Annotated[
        list[UUID] | None,
        typer.Argument(
            parser=resolve_route, metavar="ROUTE...", help="Routes to verify (ids or keys)."
        ),
    ] = None,
    all_routes: Annotated[bool, typer.Option("--all", help="Verify every route.")] = False,
    expected: Annotated[
        str | None, typer.Option("--digest", help="Also compare with a digest kept outside.")
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Recompute the hash chains from the stored events, with a progress bar on a terminal,
    and hold each route against what was recorded of it: the audit trail's last event and the
    latest signed checkpoint (iom audit checkpoint; signed with IOM_AUDIT_KEY), so that deleted
    last events, or a changed last event hashed again, are found without a digest.

    Exit codes: 0 every chain intact and as recorded (and the digest matches); 1 naming each
    route found altered, truncated or missing, a checkpoint whose signature does not check
    out or that is gone, or a digest mismatch; 2 neither route ids nor --all; 3 the database
    unreachable.

    Example: iom audit verify --all --digest 3f2a…
    """
    settings = Settings()
    routes = build_routes(settings)
    if not route_ids and not all_routes:
        raise fail("укажите id маршрутов или --all: iom audit verify --all")
    with open_projection(routes, "audit").view.transaction(commit=False) as db:
        trail = trail_heads(db)
        checkpoint = latest_checkpoint(db)
    signed = checkpoint.heads if checkpoint is not None else {}
    ids = list(route_ids or [])
    if all_routes:
        ids = list(dict.fromkeys([*routes.route_ids(), *trail, *signed]))
    reports, findings = _check_routes(routes, ids, trail, signed)
    general = _checkpoint_findings(checkpoint, bool(trail), audit_key(settings))
    actual = digest(reports)
    mismatch = expected is not None and expected != actual
    named = sorted({f["route_id"] for f in findings}) if mismatch else []
    result = {
        "routes": len(reports),
        "broken": [
            {"route_id": str(r.route_id), "version": r.broken_at, "reason": r.reason}
            for r in reports
            if not r.intact
        ],
        "findings": findings,
        "checkpoint": None if checkpoint is None else checkpoint.number,
        "problems": general,
        "digest": actual,
        "digest_matches": None if expected is None else expected == actual,
        "digest_routes": named,
    }
    if as_json:
        emit_json(result)
    else:
        for f in findings:
            typer.echo(
                f"НАРУШЕНА цепочка ИОМ {f['route_id']}: событие {f['version']} — {f['reason']}"
            )
        for problem in general:
            typer.echo(problem)
        if mismatch:
            which = ", ".join(named) or "не определены (нет контрольной точки)"
            typer.echo(f"НЕ СОВПАДАЕТ дайджест: хранилище изменено после его снятия; ИОМ: {which}")
        if not findings and not general and not mismatch:
            typer.echo(f"Цепочки целы: {len(reports)} ИОМ")
    if findings or general or mismatch:
        raise typer.Exit(1)


def _check_routes(
    routes: Routes, ids: list[UUID], trail: dict[UUID, Head], signed: dict[UUID, Head]
) -> tuple[list[ChainReport], list[dict[str, Any]]]:
    """Each route's chain recomputed and held against its recorded heads; the findings."""
    reports: list[ChainReport] = []
    findings: list[dict[str, Any]] = []
    with progress(len(ids), "Проверка цепочек") as advance:
        for route_id in ids:
            recorded = [
                (h, w)
                for h, w in ((trail.get(route_id), TRAIL), (signed.get(route_id), SIGNED))
                if h
            ]
            report = verify_route(routes, route_id, {h.version for h, _ in recorded})
            reports.append(report)
            if not report.intact:
                findings.append(_finding(route_id, report.broken_at, report.reason))
            for head, where in recorded:
                reason = held_against(report, head, where)
                if reason is not None:
                    findings.append(_finding(route_id, head.version, reason))
            advance()
    return reports, findings


TRAIL = "журнал аудита видел"
SIGNED = "подписанная контрольная точка хранит"


def _finding(route_id: UUID, version: int | None, reason: str) -> dict[str, Any]:
    return {"route_id": str(route_id), "version": version, "reason": reason}


def _checkpoint_findings(checkpoint: Checkpoint | None, trail: bool, key: bytes) -> list[str]:
    """What is wrong with the checkpoints themselves: gone while the audit trail is kept, or
    signed otherwise than by the key (rows changed or deleted)."""
    if checkpoint is None:
        if trail:
            return [
                "НЕТ контрольной точки аудита, хотя журнал аудита ведётся: таблица или строки"
                " удалены? (iom projector пишет их; iom audit checkpoint — вручную)"
            ]
        return []
    if not checkpoint.signed_by(key):
        return [
            f"НЕ СХОДИТСЯ подпись контрольной точки {checkpoint.number}: её строки изменены или"
            " удалены (или IOM_AUDIT_KEY не тот, которым она подписана)"
        ]
    return []


@audit.command()
@database_errors
def checkpoint(as_json: JsonOpt = False) -> None:
    """Write a signed checkpoint of the audit trail (each route's last recorded version and
    head hash), signed with IOM_AUDIT_KEY (by default a key kept in IOM_DATA_DIR); iom audit
    verify holds every route against the latest one. The projector writes one periodically.

    Exit codes: 0 written; 3 the database unreachable.

    Example: iom audit checkpoint
    """
    settings = Settings()
    routes = build_routes(settings)
    with open_projection(routes, "audit").view.transaction(commit=True) as db:
        written = write_checkpoint(db, audit_key(settings))
    if as_json:
        emit_json({"checkpoint": written.number, "routes": len(written.heads)})
    else:
        typer.echo(f"контрольная точка {written.number}: ИОМ {len(written.heads)}")


@audit.command(name="digest")
@database_errors
def digest_command(as_json: JsonOpt = False) -> None:
    """One digest over every route's head; keep it outside the database, and later compare
    with iom audit verify --all --digest D.

    Exit codes: 0 printed; 1 a chain is broken (no digest then: run iom audit verify --all);
    3 the database unreachable.

    Example: iom audit digest > digest-2026-11-23.txt
    """
    routes = build_routes(Settings())
    ids = list(routes.route_ids())
    reports: list[ChainReport] = []
    with progress(len(ids), "Проверка цепочек") as advance:
        for route_id in ids:
            reports.append(verify_route(routes, route_id))
            advance()
    broken = [r for r in reports if not r.intact]
    if broken:
        raise fail(f"цепочки нарушены в {len(broken)} ИОМ: сначала iom audit verify --all", 1)
    if as_json:
        emit_json({"routes": len(reports), "digest": digest(reports)})
    else:
        typer.echo(digest(reports))


@audit.command()
@database_errors
def export(
    route_id: RouteArg,
    output: Annotated[
        Path, typer.Option("--output", "-o", help="The bundle to write (.zip).", dir_okay=False)
    ],
    version: Annotated[
        int | None, typer.Option(help="The last version to include (default: all).", min=1)
    ] = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print what was written as JSON.")
    ] = False,
) -> None:
    """Write a self-contained, verifiable bundle (.zip) of a route's events and hash chain, for
    an auditor outside the engine: each event in the exact bytes its hash covers, with its
    chain hash; a manifest (route, head version and hash, the sha256 of every file); a README
    in Russian; and verify.py, which recomputes the chain with nothing but Python
    (python3 verify.py). Events carry ids only: no personal data goes into a bundle.

    Exit codes: 0 written; 1 no such route or version, or the stored chain is broken (the
    bundle is written as it is, as evidence); 2 bad usage; 3 the database unreachable.

    Example: iom audit export 94945806-cc6b-57a5-ba14-12c4c914e5f9 -o route.zip --version 12
    """
    routes = build_routes(Settings())
    try:
        bundle = export_route(
            routes,
            route_id,
            version=version,
            engine_version=_engine_version(),
            exported_at=datetime.now(UTC),
        )
    except RouteNotFoundError as error:
        raise fail(error.message, 1) from None
    except BundleError as error:
        raise fail(str(error), 1) from None
    try:
        partial = output.with_name(f".{output.name}.partial")
        partial.write_bytes(bundle.data)
        os.replace(partial, output)
    except OSError as error:
        raise fail(f"пакет не записан: {error}") from None
    written = {
        "file": str(output),
        "route_id": str(route_id),
        "head_version": bundle.head_version,
        "head_chain_hash": bundle.head,
        "store_version": bundle.store_version,
        "broken_at": bundle.broken_at,
    }
    if as_json:
        emit_json(written)
    else:
        typer.echo(
            f"пакет ИОМ {route_id}, события 1–{bundle.head_version}, записан в {output};"
            f" хеш головы {bundle.head}"
        )
    if bundle.broken_at is not None:
        typer.echo(
            f"НАРУШЕНА цепочка ИОМ {route_id}: событие {bundle.broken_at} — пакет записан как"
            " есть, как свидетельство",
            err=True,
        )
        raise typer.Exit(1)


@audit.command("verify-bundle")
@database_errors
def verify_bundle(
    bundle: Annotated[
        Path, typer.Argument(help="A bundle written by iom audit export.", dir_okay=False)
    ],
    against_store: Annotated[
        bool,
        typer.Option(
            "--against-store",
            help="Also compare the bundle's head with the store's event at that version.",
        ),
    ] = False,
    as_json: JsonOpt = False,
) -> None:
    """Check a bundle of iom audit export with the engine's own code: recompute its hash chain,
    check every file against the manifest, and with --against-store compare its head with the
    event store (a bundle rebuilt whole with forged events passes alone, not against the store).

    Exit codes: 0 intact (and matching the store); 1 naming the first altered event, a file
    that does not match, or a head the store does not hold; 2 not a bundle; 3 the database
    unreachable.

    Example: iom audit verify-bundle route.zip --against-store
    """
    try:
        report = check_bundle(bundle)
    except BundleError as error:
        raise fail(f"{bundle}: {error}") from None
    store: dict[str, Any] | None = None
    if against_store:
        try:
            bundled_id = UUID(report.route_id)
        except ValueError:
            raise fail(f"{bundle}: в манифесте не id ИОМ: «{report.route_id}»", 1) from None
        held = stored_head(build_routes(Settings()), bundled_id, report.head_version)
        store = {"chain_hash": held, "matches": held is not None and held == report.head}
    findings = list(report.problems)
    if report.broken_at is not None:
        findings.insert(0, f"НАРУШЕНА цепочка: событие {report.broken_at} — {report.reason}")
    if store is not None and not store["matches"]:
        findings.append(
            f"НЕТ в хранилище: у ИОМ {report.route_id} нет версии {report.head_version}"
            if store["chain_hash"] is None
            else f"НЕ СОВПАДАЕТ с хранилищем: голова версии {report.head_version} в хранилище"
            f" {store['chain_hash']}"
        )
    if as_json:
        emit_json(
            {
                "route_id": report.route_id,
                "head_version": report.head_version,
                "head_chain_hash": report.head,
                "intact": report.intact,
                "broken_at": report.broken_at,
                "reason": report.reason or None,
                "problems": list(report.problems),
                "store": store,
            }
        )
    else:
        typer.echo(f"Пакет аудита ИОМ {report.route_id}")
        for finding in findings:
            typer.echo(finding)
        if not findings:
            where = ", совпадает с хранилищем" if store else ""
            typer.echo(f"ЦЕЛ: события 1–{report.head_version}, хеш головы {report.head}{where}")
    if findings:
        raise typer.Exit(1)


def _engine_version() -> str:
    try:
        return metadata.version("iom-engine")
    except metadata.PackageNotFoundError:
        return "unknown"
