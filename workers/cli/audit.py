"""`iom audit`: a route's history, its state at any version or moment, the chain checks, and
a route's self-contained, verifiable bundle for an auditor outside the engine.

Exit codes of every `iom audit` command: 0 success (intact); 1 a finding (no such route or
version, a broken chain, a digest mismatch, a bundle that does not check out); 2 bad usage;
3 the database unreachable (IOM_DATABASE_URL).
"""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any
from uuid import UUID

import typer

from adapters.bundle import BundleError, check_bundle, engine_version, export_route, stored_head
from adapters.document_code import DocumentCode, DocumentCodeError, verify_code
from aggregates.application import Routes
from aggregates.audit import ChainReport, Head, digest, verify_route
from aggregates.errors import RouteNotFoundError
from aggregates.summaries import described
from aggregates.timeline import Dated, fact_line
from projections.catalog import open_projection
from projections.checkpoints import (
    Checkpoint,
    latest_checkpoint,
    route_findings,
    trail_heads,
    write_checkpoint,
)
from runtime.settings import Settings
from workers.cli.output import (
    database_errors,
    emit_json,
    emit_records,
    emit_table,
    fail,
    in_words,
    progress,
)
from workers.cli.route_ref import (
    AsOfDateOpt,
    AsOfOpt,
    RouteArg,
    VersionOpt,
    check_point,
    resolve_route,
)
from workers.context import build_personal_data, build_routes
from workers.up import audit_key

audit = typer.Typer(
    add_completion=False,
    help=(
        "Для аудитора: история и состояние ИОМ, проверка цепочек, проверяемый пакет ИОМ.\n\n"
        "Пример: iom audit verify --all"
    ),
    no_args_is_help=True,
)

JsonOpt = Annotated[bool, typer.Option("--json", help="Вывести JSON вместо таблицы.")]
CsvOpt = Annotated[bool, typer.Option("--csv", help="Вывести CSV вместо таблицы.")]


@audit.command()
@database_errors
def history(route_id: RouteArg, as_json: JsonOpt = False, as_csv: CsvOpt = False) -> None:
    """Все события ИОМ: версия, время, кто, роль, запись по-русски.

    Коды выхода: 0 — выведено; 1 — нет такого ИОМ; 3 — база данных недоступна.

    Пример: iom audit history demo-sakha-00004 --json
    """
    routes = build_routes(Settings())
    try:
        events = routes.history(route_id)
    except RouteNotFoundError as error:
        raise fail(error.message, 1) from None
    rows = [
        {
            "version": e.originator_version,
            "time": e.timestamp.isoformat(timespec="seconds"),
            "type": type(e).__name__,
            "actor": e.actor.id,
            "role": e.actor.role.value,
            "summary": line,
        }
        for e, line in zip(events, described(events), strict=True)
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
    version: VersionOpt = None,
    as_of: AsOfOpt = None,
    as_of_date: AsOfDateOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Состояние ИОМ сейчас, на версию, на момент или на дату (педагог по имени — пока есть его
    персональные данные; после уничтожения по 152-ФЗ — отметка об уничтожении). На дату —
    каким ИОМ был в тот день: факты того дня, внесённые позже (мероприятие выполнено 30
    декабря, отмечено 9 января), учтены и перечислены — в них ответ расходится с тем, что было
    известно на конец дня.

    Коды выхода: 0 — показано; 1 — нет такого ИОМ или он ещё не был открыт на эту версию,
    момент или дату; 2 — неверный вызов (и --version, и --as-of или --as-of-date; момент без
    часового пояса); 3 — база данных недоступна.

    Пример: iom audit show ROUTE_ID --as-of-date 2026-12-30
    """
    check_point(version, as_of, as_of_date)
    settings = Settings()
    routes = build_routes(settings)
    dated: Dated | None = None
    try:
        if as_of_date is not None:
            dated = routes.route_on(route_id, as_of_date.date(), as_of)
            route = dated.route
        elif as_of is not None:
            route = routes.route_as_of(route_id, as_of)
        else:
            route = routes.route(route_id, version=version)
    except RouteNotFoundError as error:
        raise fail(error.message, 1) from None
    personal = build_personal_data(routes, settings).get(route.teacher_id)
    teacher = {
        "present": personal.sheet.full_name if personal.sheet else "",
        "erased": "персональные данные уничтожены (152-ФЗ)",
        "absent": "сведения не внесены",
    }[personal.status]
    summary = route.summary() | {"teacher": {"status": personal.status, "shown_as": teacher}}
    if dated is not None:
        summary |= {
            "as_of_date": dated.day.isoformat(),
            "recorded_later": dated.facts(dated.late),
            "not_applied": dated.facts(dated.unfit),
        }
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
    if dated is not None:
        rows.insert(0, ("на дату", f"{dated.day:%d.%m.%Y}"))
        rows += [("внесено позже", fact_line(f)) for f in dated.facts(dated.late)]
        rows += [("не учтено", fact_line(f)) for f in dated.facts(dated.unfit)]
    emit_table(f"ИОМ {route_id}", ["поле", "значение"], rows)


@audit.command()
@database_errors
def verify(
    route_ids: Annotated[
        list[UUID] | None,
        typer.Argument(
            parser=resolve_route,
            metavar="ROUTE...",
            help="Какие ИОМ проверить (идентификаторы или ключи).",
        ),
    ] = None,
    all_routes: Annotated[bool, typer.Option("--all", help="Проверить все ИОМ.")] = False,
    expected: Annotated[
        str | None, typer.Option("--digest", help="Сверить также с дайджестом, хранимым вне базы.")
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Пересчитать цепочки хешей по хранимым событиям (на терминале — с индикатором) и сверить
    каждый ИОМ с тем, что о нём записано: последним событием журнала аудита и последней
    подписанной контрольной точкой (iom audit checkpoint; подпись ключом IOM_AUDIT_KEY), так что
    удалённые последние события или изменённое и заново захешированное последнее событие
    обнаруживаются и без дайджеста.

    Коды выхода: 0 — все цепочки целы и совпадают с записанным (и дайджест совпал); 1 — названы
    изменённые, усечённые или пропавшие ИОМ, контрольная точка с неверной подписью или пропавшая,
    либо несовпадение дайджеста; 2 — не указаны ни ИОМ, ни --all; 3 — база данных недоступна.

    Пример: iom audit verify --all --digest 3f2a…
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
            report, found = route_findings(
                routes, route_id, trail.get(route_id), signed.get(route_id)
            )
            reports.append(report)
            findings += [_finding(route_id, version, reason) for version, reason in found]
            advance()
    return reports, findings


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
    """Записать подписанную контрольную точку журнала аудита (последняя записанная версия и хеш
    каждого ИОМ), подписанную ключом IOM_AUDIT_KEY (по умолчанию — ключом в IOM_DATA_DIR);
    iom audit verify сверяет каждый ИОМ с последней точкой. Проектор записывает их периодически.

    Коды выхода: 0 — записана; 3 — база данных недоступна.

    Пример: iom audit checkpoint
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
    """Один дайджест по последним хешам всех ИОМ: храните его вне базы данных и позже сверяйте
    командой iom audit verify --all --digest D.

    Коды выхода: 0 — выведен; 1 — цепочка нарушена (дайджеста тогда нет: запустите
    iom audit verify --all); 3 — база данных недоступна.

    Пример: iom audit digest > digest-2026-11-23.txt
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
        Path, typer.Option("--output", "-o", help="Куда записать пакет (.zip).", dir_okay=False)
    ],
    version: Annotated[
        int | None, typer.Option(help="Последняя версия в пакете (по умолчанию — все).", min=1)
    ] = None,
    as_of_date: Annotated[
        datetime | None,
        typer.Option(
            "--as-of-date",
            formats=["%Y-%m-%d"],
            help=(
                "Добавить в пакет ИОМ, каким он был в этот день (ГГГГ-ММ-ДД), из событий пакета:"
                " с фактами этого дня, внесёнными позже, и их перечнем (as_of_date.json)."
            ),
        ),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Вывести записанное как JSON.")] = False,
) -> None:
    """Записать самодостаточный проверяемый пакет (.zip) событий ИОМ и его цепочки хешей для
    аудитора вне движка: каждое событие в тех самых байтах, которые покрывает его хеш, с хешем
    цепочки; манифест (ИОМ, последняя версия и хеш, sha256 каждого файла); README по-русски и
    verify.py, который пересчитывает цепочку средствами одного Python (python3 verify.py). В
    событиях только идентификаторы: персональные данные в пакет не попадают. С --as-of-date —
    ещё и ИОМ на эту дату (as_of_date.json) с фактами, внесёнными после неё: в них ответ «каким
    ИОМ был» расходится с тем, что было известно на конец дня.

    Коды выхода: 0 — записан; 1 — нет такого ИОМ или версии, ИОМ ещё не был открыт на эту дату,
    или хранимая цепочка нарушена (пакет записывается как есть, как свидетельство); 2 — неверный
    вызов; 3 — база данных недоступна.

    Пример: iom audit export 94945806-cc6b-57a5-ba14-12c4c914e5f9 -o route.zip --version 12
      --as-of-date 2026-12-30
    """
    routes = build_routes(Settings())
    try:
        bundle = export_route(
            routes,
            route_id,
            version=version,
            engine_version=engine_version(),
            exported_at=datetime.now(UTC),
            as_of_date=None if as_of_date is None else as_of_date.date(),
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
        Path, typer.Argument(help="Пакет, записанный iom audit export.", dir_okay=False)
    ],
    against_store: Annotated[
        bool,
        typer.Option(
            "--against-store",
            help="Сверить также последнее событие пакета с событием хранилища той же версии.",
        ),
    ] = False,
    as_json: JsonOpt = False,
) -> None:
    """Проверить пакет iom audit export кодом самого движка: пересчитать цепочку хешей, сверить
    каждый файл с манифестом, а с --against-store — последнее событие пакета с хранилищем
    событий (пакет, целиком пересобранный из подделанных событий, сам по себе проверку проходит,
    а сверку с хранилищем — нет).

    Коды выхода: 0 — цел (и совпадает с хранилищем); 1 — названо первое изменённое событие, не
    совпавший файл или последнее событие, которого нет в хранилище; 2 — это не пакет; 3 — база
    данных недоступна.

    Пример: iom audit verify-bundle route.zip --against-store
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


@audit.command("verify-document")
@database_errors
def verify_document(
    code: Annotated[
        str, typer.Argument(help="Код проверки с документа (подвал страницы или QR-код).")
    ],
    as_json: JsonOpt = False,
) -> None:
    """Проверить бумажный документ ИОМ по его коду: есть ли ИОМ, есть ли показанная версия и
    совпадает ли хеш цепочки на этой версии, пересчитанный по хранимым событиям. Документ
    старой версии соответствует своей версии, даже если ИОМ с тех пор изменён.

    Коды выхода: 0 — документ соответствует хранилищу; 1 — не соответствует (нет ИОМ, нет
    версии, другой хеш, нарушена цепочка); 2 — это не код документа (опечатка или подделка);
    3 — база данных недоступна.

    Пример: iom audit verify-document 0PAA9-1WZBH-BBH79-H8YVK-EH0TP-G0005-CYGRZ-ARPFN
    """
    try:
        parsed = DocumentCode.parse(code)
    except DocumentCodeError as error:
        raise fail(error.message) from None
    verdict = verify_code(build_routes(Settings()), parsed)
    if as_json:
        emit_json(
            {
                "code": parsed.text,
                "route_id": str(parsed.route_id),
                "version": parsed.version,
                "matches": verdict.matches,
                "message": verdict.message,
                "current_version": verdict.current_version,
            }
        )
    else:
        mark = "СООТВЕТСТВУЕТ" if verdict.matches else "НЕ СООТВЕТСТВУЕТ"
        typer.echo(f"{mark}: {verdict.message}")
    if not verdict.matches:
        raise typer.Exit(1)
