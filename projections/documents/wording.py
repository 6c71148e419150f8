"""The words and formats the forms share: dates, levels, competences, the teacher's fields
(from the personal-data store only), the provenance footer."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime

from aggregates.personal import PersonalRecord, TeacherSheet
from aggregates.profiles import Profile
from aggregates.route import Route
from aggregates.values import ACTIVITY_LEVEL_TITLES, Activity, FinalPublicEvent

ERASED = "персональные данные уничтожены (152-ФЗ)"
ABSENT = "сведения не внесены"
DASH = "—"
CHECK = "✓"
BLANK_DATE = "« ____ » __________ 20__ г."

_MONTHS = [
    "января",
    "февраля",
    "марта",
    "апреля",
    "мая",
    "июня",
    "июля",
    "августа",
    "сентября",
    "октября",
    "ноября",
    "декабря",
]


def day(value: date | None) -> str:
    """«31.12.2026», or a dash."""
    return f"{value:%d.%m.%Y}" if value else DASH


def long_date(value: date | None) -> str:
    """«« 31 » декабря 2026 г.», the way the forms print a date; blanks when there is none."""
    if value is None:
        return BLANK_DATE
    return f"« {value.day:02d} » {_MONTHS[value.month - 1]} {value.year} г."


def period(starts_on: date, ends_on: date) -> str:
    """«01.09.2025 – 31.05.2026»."""
    return f"{day(starts_on)} – {day(ends_on)}"


def capital(text: str) -> str:
    """The first letter in upper case: column headings print the level names so."""
    return text[:1].upper() + text[1:]


def competences(profile: Profile, codes: Iterable[str]) -> str:
    """The competences' Russian names, comma separated."""
    return ", ".join(profile.competence_name(code) for code in codes)


def input_levels(route: Route, profile: Profile) -> str:
    """The competence profile of the input diagnostic: «методические — базовый; …»."""
    return "; ".join(
        f"{profile.competence_name(code)} — {profile.level_name(level)}"
        for code, level in route.input_levels.items()
    )


def numbered(texts: Iterable[str]) -> str:
    """«1. …», one a line: the plan's tasks as the forms list them."""
    return "\n".join(f"{n}. {text}" for n, text in enumerate(texts, start=1))


def activity_level(activity: Activity | FinalPublicEvent) -> str:
    """Уровень мероприятия (проведения) in words."""
    return ACTIVITY_LEVEL_TITLES[activity.level]


def plural(count: int, one: str, few: str, many: str) -> str:
    """«1 участник», «3 участника», «14 участников»."""
    if count % 10 == 1 and count % 100 != 11:
        return f"{count} {one}"
    if count % 10 in (2, 3, 4) and count % 100 not in (12, 13, 14):
        return f"{count} {few}"
    return f"{count} {many}"


def years(count: int) -> str:
    """«1 год», «3 года», «14 лет»."""
    return plural(count, "год", "года", "лет")


def joined(*values: str, separator: str = ", ") -> str:
    """The values that say something, each once: no «—, —» for two empty fields."""
    kept = [v for v in dict.fromkeys(values) if v and v != DASH]
    return separator.join(kept) or values[0]


@dataclass(frozen=True)
class Teacher:
    """The teacher's fields as a form prints them. Only a `PersonalRecord` the caller passes
    fills them (an entitled viewer); events never do."""

    full_name: str
    school: str
    position: str
    subject: str
    education: str
    experience: str
    management_experience: str
    category: str
    category_date: str
    attestation_date: str
    retraining: str
    courses: str
    awards: str
    extra: str


def teacher(route: Route, personal: PersonalRecord | None) -> Teacher:
    """The teacher's fields: the sheet if passed and present; the 152-ФЗ notice if erased;
    otherwise dashes and the teacher's id (not personal data)."""
    if personal is not None and personal.sheet is not None:
        return _from_sheet(personal.sheet)
    if personal is not None and personal.status == "erased":
        filler, name = ERASED, ERASED
    elif personal is not None:
        filler, name = ABSENT, f"{route.teacher_id} ({ABSENT})"
    else:
        filler, name = DASH, route.teacher_id
    return Teacher(
        full_name=name,
        school=route.school_id,  # the school's id is in the events; its name is on the sheet
        position=filler,
        subject=route.subject,
        education=filler,
        experience=filler,
        management_experience=filler,
        category=filler,
        category_date=filler,
        attestation_date=filler,
        retraining=filler,
        courses=filler,
        awards=filler,
        extra=filler,
    )


def _from_sheet(sheet: TeacherSheet) -> Teacher:
    management = sheet.management_experience_years
    return Teacher(
        full_name=sheet.full_name,
        school=sheet.school_name,
        position=sheet.position,
        subject=sheet.subject,
        education=sheet.education,
        experience=years(sheet.teaching_experience_years),
        management_experience=years(management) if management is not None else DASH,
        category=sheet.category or "без категории",
        category_date=day(sheet.category_date),
        attestation_date=day(sheet.attestation_date),
        retraining="\n".join(sheet.retraining) or DASH,
        courses="\n".join(sheet.courses) or DASH,
        awards="\n".join(sheet.awards) or DASH,
        extra=sheet.extra or DASH,
    )


def initials(full_name: str) -> str:
    """«Иванова М. П.»: a signature line prints the surname and initials."""
    surname, *names = full_name.split()
    return " ".join([surname, *(f"{name[0]}." for name in names)])


def route_footer(route: Route, generated_at: datetime | None = None) -> tuple[str, ...]:
    """Where the document came from: the route, its version and chain hash, and how to check."""
    lines = [
        f"ИОМ {route.id} · версия {route.version} · хеш цепочки {route.chain_head}",
        f"Проверка: iom audit verify {route.id}",
    ]
    if generated_at is not None:
        lines.append(f"Сформировано {generated_at.astimezone(UTC):%d.%m.%Y %H:%M} UTC")
    return tuple(lines)


def state_line(route: Route) -> str:
    """Which state of the route the document shows, and the edition of its regulation it
    followed then (a route may have been moved to a newer one: `RegulationChanged`)."""
    stage = route.profile.stage_names[route.stage]
    moment = route.modified_on.astimezone(UTC)
    return (
        f"Состояние ИОМ: версия {route.version} от {moment:%d.%m.%Y %H:%M} UTC; этап «{stage}»;"
        f" регламент {route.profile.key}"
    )
