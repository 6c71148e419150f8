"""The analytical report of a diagnostic campaign across many routes: when, who took part, the
levels of competences overall and by group, and the mass deficits that feed the planning of ДПП."""

from __future__ import annotations

import hashlib
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Literal

from activities.documents.model import Block, Cell, Document, Paragraph, Section, Table
from activities.documents.wording import capital, day, plural
from aggregates.profiles import Profile
from aggregates.route import Route
from aggregates.values import Diagnostic

Kind = Literal["input", "final"]
KIND_TITLES: dict[Kind, str] = {"input": "входная диагностика", "final": "итоговая диагностика"}


@dataclass(frozen=True)
class CampaignOptions:
    """Which diagnostics the report covers and what counts as a mass deficit."""

    starts_on: date | None = None  # taken on or after; None: from the first
    ends_on: date | None = None  # taken on or before; None: to the last
    kind: Kind = "input"
    mass_share: float = 0.3  # the share of participants at the lowest level that makes it «mass»
    generated_at: datetime | None = None


@dataclass(frozen=True)
class Participant:
    """One route's diagnostic in the campaign."""

    route: Route
    diagnostic: Diagnostic
    levels: dict[str, int]


def participants(
    routes: Iterable[Route], profile: Profile, options: CampaignOptions
) -> list[Participant]:
    """The routes of the profile's region whose diagnostic of that kind falls in the period."""
    found = []
    for route in routes:
        diagnostic = route.input_diagnostic if options.kind == "input" else route.final_diagnostic
        if route.profile.id != profile.id or diagnostic is None:
            continue
        if options.starts_on and diagnostic.taken_on < options.starts_on:
            continue
        if options.ends_on and diagnostic.taken_on > options.ends_on:
            continue
        found.append(Participant(route, diagnostic, diagnostic.competence_levels()))
    return found


def _share(count: int, total: int) -> str:
    return f"{count} ({_percent(count, total)})" if total else "0"


def _percent(count: int, total: int) -> str:
    return f"{round(100 * count / total)} %"


def _people(count: int) -> str:
    return plural(count, "участник", "участника", "участников")


def _level_table(group: Sequence[Participant], profile: Profile) -> Table:
    """Per competence: how many participants at each of the region's four levels."""
    codes = [e.code for e in profile.competences if any(e.code in p.levels for p in group)]
    rows = []
    for code in codes:
        counts = Counter(p.levels[code] for p in group if code in p.levels)
        total = sum(counts.values())
        cells = tuple(_share(counts[level], total) for level in range(1, 5))
        rows.append((profile.competence_name(code), *cells, str(total)))
    return Table(
        widths=(3.2, 1.6, 1.6, 1.6, 1.6, 1),
        align=("left", "center", "center", "center", "center", "center"),
        header=(
            (
                Cell("Компетенции", rowspan=2),
                Cell("Уровень (число педагогов, доля)", colspan=4),
                Cell("Всего", rowspan=2),
            ),
            tuple(Cell(capital(name)) for name in profile.levels),
        ),
        rows=tuple(rows),
    )


def _digest(group: Sequence[Participant]) -> str:
    """The formula of `aggregates.audit.digest`, over these routes' heads."""
    lines = sorted(f"{p.route.id}:{p.route.version}:{p.route.chain_head}" for p in group)
    return hashlib.sha256("\n".join(lines).encode()).hexdigest()


def build_campaign(routes: Iterable[Route], profile: Profile, options: CampaignOptions) -> Document:
    """Аналитический отчёт по результатам диагностики профессиональных дефицитов."""
    group = participants(routes, profile, options)
    dates = sorted({p.diagnostic.taken_on for p in group})
    schools = Counter((p.route.municipality_id, p.route.school_id) for p in group)
    municipalities: dict[str, list[Participant]] = defaultdict(list)
    for p in group:
        municipalities[p.route.municipality_id].append(p)
    held = ", ".join(map(day, dates)) if len(dates) <= 6 else f"{day(dates[0])} – {day(dates[-1])}"
    platforms = ", ".join(sorted({p.diagnostic.platform for p in group})) or "—"
    who = Table(
        widths=(2, 3, 1.2),
        align=("left", "left", "center"),
        header=((Cell("Муниципалитет"), Cell("Образовательная организация"), Cell("Участников")),),
        rows=(
            *((m, s, str(n)) for (m, s), n in sorted(schools.items())),
            ("Итого", f"ОО: {len(schools)}", str(len(group))),
        ),
    )
    overview: tuple[Block, ...] = (
        Paragraph(f"Даты проведения: {held or 'диагностика в периоде не проводилась'}"),
        Paragraph(f"Платформа: {platforms}"),
        Paragraph(
            f"Участников: {plural(len(group), 'педагог', 'педагога', 'педагогов')} "
            f"из {len(schools)} ОО; муниципалитетов: {len(municipalities)}"
        ),
        who,
    )
    by_group: list[Block] = []
    for municipality, members in sorted(municipalities.items()):
        by_group += [
            Paragraph(f"Муниципалитет {municipality}: {_people(len(members))}", "strong"),
            _level_table(members, profile),
        ]
    lowest = profile.levels[0]
    mass = []
    for code in (e.code for e in profile.competences):
        measured = [p for p in group if code in p.levels]
        at_lowest = sum(1 for p in measured if p.levels[code] == 1)
        if measured and at_lowest / len(measured) >= options.mass_share:
            mass.append(
                (profile.competence_name(code), str(at_lowest), _share(at_lowest, len(measured)))
            )
    threshold = round(options.mass_share * 100)
    deficits: list[Block] = [
        Paragraph(
            f"Компетенции, по которым на уровне «{lowest}» не менее {threshold} % участников; "
            "по ним планируются дополнительные профессиональные программы (ДПП)."
        )
    ]
    if mass:
        deficits.append(
            Table(
                widths=(3, 2, 2),
                header=(
                    (Cell("Компетенции"), Cell(f"Педагогов на уровне «{lowest}»"), Cell("Доля")),
                ),
                rows=tuple(mass),
            )
        )
    else:
        deficits.append(Paragraph("Массовых дефицитов не выявлено.", "note"))
    sources = Table(
        widths=(0.6, 3.2, 0.9, 5.5),
        header=((Cell("№"), Cell("ИОМ"), Cell("Версия"), Cell("Хеш цепочки")),),
        rows=tuple(
            (f"{n}.", str(p.route.id), str(p.route.version), p.route.chain_head)
            for n, p in enumerate(sorted(group, key=lambda p: str(p.route.id)), start=1)
        ),
    )
    period_line = f"Период: {day(options.starts_on) if options.starts_on else 'с начала'} – " + (
        day(options.ends_on) if options.ends_on else "по настоящее время"
    )
    footer = [
        f"Отчёт по {len(group)} ИОМ · дайджест {_digest(group)}",
        "Проверка: iom audit verify --all (ИОМ и версии — в разделе «Источники данных»)",
    ]
    if options.generated_at is not None:
        footer.append(f"Сформировано {options.generated_at.astimezone(UTC):%d.%m.%Y %H:%M} UTC")
    return Document(
        title="Аналитический отчёт по результатам диагностики профессиональных дефицитов "
        "педагогических работников",
        subtitle=(profile.region, capital(KIND_TITLES[options.kind]), period_line),
        sections=(
            Section("1. Сроки проведения и участники диагностики", overview),
            Section(
                "2. Уровень сформированности профессиональных компетенций",
                (_level_table(group, profile),),
            ),
            Section(
                "3. Уровень сформированности компетенций по группам (муниципалитетам)",
                tuple(by_group),
            ),
            Section("4. Массовые дефициты", tuple(deficits)),
            Section("Источники данных", (sources,)),
        ),
        footer=tuple(footer),
        name="campaign",
    )
