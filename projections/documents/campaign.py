"""The analytical report of a diagnostic campaign across a region: when, who took part, the
levels of competences overall and by group (municipality, subject), and the mass deficits that
feed the planning of ДПП.

Built from the figures the monitoring projection holds (`projections.campaign`), never by
replaying the region's routes, so it scales with the region. A report of one campaign
(`CampaignOptions.campaign_id`) is built from the campaign itself: its kind, its dates, its
participants' routes only, and a section of who was announced, took part and was absent.
The report names what it was made from: the projection, its tracking position, how far the
store had gone, and the time made.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from uuid import UUID

from aggregates.campaign import Campaign
from aggregates.profiles import Profile
from projections.campaign import PROJECTION, CampaignFigures, GroupCount, Kind, LevelCount
from projections.documents.model import Block, Cell, Document, Paragraph, Section, Table
from projections.documents.wording import capital, day, plural

KIND_TITLES: dict[Kind, str] = {
    "input": "входная диагностика",
    "intermediate": "промежуточная диагностика",
    "final": "итоговая диагностика",
}
SHOWN_DATES = 6
"""Up to this many days of diagnostics are listed; more are given as a range."""


@dataclass(frozen=True)
class CampaignOptions:
    """Which diagnostics the report covers and what counts as a mass deficit."""

    starts_on: date | None = None  # taken on or after; None: from the first
    ends_on: date | None = None  # taken on or before; None: to the last
    kind: Kind = "input"
    mass_share: float = 0.3  # the share of participants at the lowest level that makes it «mass»
    generated_at: datetime | None = None
    campaign_id: UUID | None = None  # one campaign: its kind, dates and participants rule


def _share(count: int, total: int) -> str:
    return f"{count} ({round(100 * count / total)} %)" if total else "0"


def _people(count: int) -> str:
    return plural(count, "участник", "участника", "участников")


def _competences(profile: Profile, levels: Iterable[LevelCount]) -> list[str]:
    """The competences counted, in the regulation's order (any unknown code last)."""
    found = {row.competence for row in levels}
    known = [e.code for e in profile.competences if e.code in found]
    return known + sorted(found - set(known))


def _counts(levels: Iterable[LevelCount]) -> Counter[tuple[str, int]]:
    """Participants per (competence, level), summed over the rows given."""
    counts: Counter[tuple[str, int]] = Counter()
    for row in levels:
        counts[(row.competence, row.level)] += row.count
    return counts


def _level_table(levels: list[LevelCount], profile: Profile) -> Table:
    """Per competence: how many participants at each of the region's four levels."""
    counts = _counts(levels)
    rows = []
    for code in _competences(profile, levels):
        total = sum(counts[(code, level)] for level in range(1, 5))
        cells = tuple(_share(counts[(code, level)], total) for level in range(1, 5))
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


def _by(
    figures: CampaignFigures,
    profile: Profile,
    key: Callable[[LevelCount | GroupCount], str],
    label: str,
) -> list[Block]:
    """A level table per group (municipality or subject), headed by its participants."""
    blocks: list[Block] = []
    for group, count in figures.participants_by(key).items():
        members = [row for row in figures.levels if key(row) == group]
        blocks += [
            Paragraph(f"{label} {group}: {_people(count)}", "strong"),
            _level_table(members, profile),
        ]
    return blocks or [Paragraph("Диагностика в периоде не проводилась.", "note")]


def _mass(figures: CampaignFigures, profile: Profile, share: float) -> list[tuple[str, ...]]:
    """Competences at the lowest level in at least `share` of those measured on them."""
    counts = _counts(figures.levels)
    mass: list[tuple[str, ...]] = []
    for code in _competences(profile, figures.levels):
        measured = sum(counts[(code, level)] for level in range(1, 5))
        lowest = counts[(code, 1)]
        if measured and lowest / measured >= share:
            mass.append((profile.competence_name(code), str(lowest), _share(lowest, measured)))
    return mass


def _moment(value: datetime) -> str:
    return f"{value.astimezone(UTC):%d.%m.%Y %H:%M} UTC"


def provenance_lines(
    figures: CampaignFigures, head: int | None, generated_at: datetime | None
) -> tuple[str, ...]:
    """Where the report came from: the projection and its position (and the store's head), the
    time made, and how to check it."""
    behind = ""
    if head is not None:
        lag = max(head - figures.position, 0)
        behind = f" из {head} событий хранилища" + (f" (отставание {lag})" if lag else "")
    lines = [
        f"Отчёт по {figures.participants} ИОМ · проекция {PROJECTION} · позиция"
        f" {figures.position}{behind}",
        f"Проверка: iom projections status; пересчёт: iom projections rebuild {PROJECTION}",
    ]
    if generated_at is not None:
        lines.append(f"Сформировано {_moment(generated_at)}")
    return tuple(lines)


def attendance_blocks(campaign: Campaign) -> tuple[Block, ...]:
    """Who the campaign announced, who took part, who was absent (ids only)."""
    people = list(campaign.participants.values())
    took_part = sum(1 for p in people if p.attendance == "attended" or p.recorded)
    absent = campaign.absentees
    waiting = len(people) - took_part - len(absent)
    blocks: list[Block] = [
        Paragraph(
            f"Диагностика «{campaign.title}» ({campaign.platform}): оповещено"
            f" {_people(len(people))}, участвовали {took_part}, отсутствовали {len(absent)}"
            + (f", без отметки {waiting}" if waiting else "")
        )
    ]
    if absent:
        blocks.append(
            Table(
                widths=(2, 2, 2),
                header=((Cell("Педагог (id)"), Cell("ОО"), Cell("Группа")),),
                rows=tuple((p.teacher_id, p.school_id, p.group_id) for p in absent),
            )
        )
    return tuple(blocks)


def build_campaign(
    figures: CampaignFigures,
    profile: Profile,
    options: CampaignOptions,
    head: int | None = None,
    campaign: Campaign | None = None,
) -> Document:
    """Аналитический отчёт по результатам диагностики профессиональных дефицитов, from the
    figures read at one projection position (`head`: the store's last notification id then)."""
    dates = figures.dates
    held = (
        ", ".join(map(day, dates))
        if len(dates) <= SHOWN_DATES
        else f"{day(dates[0])} – {day(dates[-1])} ({len(dates)} дней)"
    )
    platforms = ", ".join(figures.platforms) or "—"
    schools = figures.participants_by(lambda g: (g.municipality_id, g.school_id))
    municipalities = figures.participants_by(lambda g: g.municipality_id)
    who = Table(
        widths=(2, 3, 1.2),
        align=("left", "left", "center"),
        header=((Cell("Муниципалитет"), Cell("Образовательная организация"), Cell("Участников")),),
        rows=(
            *((m, s, str(n)) for (m, s), n in schools.items()),
            ("Итого", f"ОО: {len(schools)}", str(figures.participants)),
        ),
    )
    overview: tuple[Block, ...] = (
        Paragraph(f"Даты проведения: {held or 'диагностика в периоде не проводилась'}"),
        Paragraph(f"Платформа: {platforms}"),
        Paragraph(
            f"Участников: {plural(figures.participants, 'педагог', 'педагога', 'педагогов')} "
            f"из {len(schools)} ОО; муниципалитетов: {len(municipalities)}"
        ),
        who,
    )
    lowest = profile.levels[0]
    threshold = round(options.mass_share * 100)
    mass = _mass(figures, profile, options.mass_share)
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
    made = options.generated_at
    sources = Table(
        widths=(2, 3),
        key_value=True,
        rows=(
            ("Проекция", f"{PROJECTION} (мониторинг: динамика компетенций)"),
            ("Позиция проекции", str(figures.position)),
            ("Событий в хранилище", str(head) if head is not None else "—"),
            ("Сформировано", _moment(made) if made else "—"),
            ("Проверка", "iom projections status; iom audit verify --all"),
        ),
    )
    period_line = f"Период: {day(options.starts_on) if options.starts_on else 'с начала'} – " + (
        day(options.ends_on) if options.ends_on else "по настоящее время"
    )
    return Document(
        title="Аналитический отчёт по результатам диагностики профессиональных дефицитов "
        "педагогических работников",
        subtitle=(profile.region, capital(KIND_TITLES[figures.kind]), period_line),
        sections=(
            Section("1. Сроки проведения и участники диагностики", overview),
            Section(
                "2. Уровень сформированности профессиональных компетенций",
                (_level_table(list(figures.levels), profile),),
            ),
            Section(
                "3. Уровень сформированности компетенций по муниципалитетам",
                tuple(_by(figures, profile, lambda row: row.municipality_id, "Муниципалитет")),
            ),
            Section(
                "4. Уровень сформированности компетенций по предметам",
                tuple(_by(figures, profile, lambda row: row.subject, "Предмет:")),
            ),
            Section("5. Массовые дефициты", tuple(deficits)),
            *(
                (Section("6. Участники и отсутствовавшие", attendance_blocks(campaign)),)
                if campaign is not None
                else ()
            ),
            Section("Источники данных", (sources,)),
        ),
        footer=provenance_lines(figures, head, made),
        name="campaign",
    )
