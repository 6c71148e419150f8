"""Who a signature line names: the one function every form fills its signature lines with.

A line prints the signer's name (surname and initials, as a расшифровка подписи does) and
position, the day they signed and the plan's revision and hash they signed; a deputy signs «за»
the head they act for. The names come from personal data the caller passes: the teacher's
sheet (`PersonalRecord`) and the officials' cards (`Options.officials`), never from events.
Where a name is unknown, withheld or erased the line says so in Russian, never an id.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from aggregates.personal import OfficialRecord, PersonalRecord
from aggregates.route import Route
from projections.documents.model import Signature
from projections.documents.sources import Options, Signed
from projections.documents.wording import day, initials

NAME_UNKNOWN = "ФИО не указано"
NAME_ERASED = "данные удалены по 152-ФЗ"
NAME_WITHHELD = "ФИО не раскрывается (нет доступа к персональным данным)"
HASH_SHOWN = 12
"""How many hex digits of the plan's hash a line prints: enough to tell revisions apart."""


@dataclass(frozen=True)
class Person:
    """A signer as a line prints them: the name, and the position with the organisation."""

    name: str
    position: str = ""


@dataclass(frozen=True)
class Signers:
    """The people a document's lines can name: the route's teacher (their record, if the
    caller may show it) and the officials' records by portal id."""

    teacher_id: str
    teacher: PersonalRecord | None
    officials: Mapping[str, OfficialRecord]

    def person(self, person_id: str) -> Person:
        """The signer `person_id` as a line prints them; a placeholder where no name is held."""
        if person_id == self.teacher_id:
            return self._teacher()
        record = self.officials.get(person_id)
        if record is None or record.status == "absent":
            return Person(NAME_UNKNOWN)
        if record.card is None:
            return Person(NAME_ERASED)
        card = record.card
        return Person(initials(card.full_name), f"{card.position}, {card.organisation}")

    def _teacher(self) -> Person:
        record = self.teacher
        if record is None:
            return Person(NAME_WITHHELD)
        if record.sheet is not None:
            return Person(initials(record.sheet.full_name), record.sheet.position)
        return Person(NAME_ERASED if record.status == "erased" else NAME_UNKNOWN)


def signers(route: Route, personal: PersonalRecord | None, options: Options) -> Signers:
    """The people a route's document can name."""
    return Signers(route.teacher_id, personal, options.officials)


def signature_for(
    title: str, act: Signed | None, people: Signers, expected: str | None = None
) -> Signature:
    """The line `title` of a form: who signed `act` (a deputy «за» the head), when, and which
    revision of the plan; before anyone signed, the name of who is `expected` to (the assigned
    methodist, the teacher) and blanks for the rest, to be signed by hand."""
    if act is None:
        if expected is None:
            return Signature(title)
        who = people.person(expected)
        return Signature(title, who.name, position=who.position)
    who = people.person(act.by)
    for_whom = ""
    if act.acting_for:
        head = people.person(act.acting_for)
        for_whom = f"{head.name} ({head.position})" if head.position else head.name
    return Signature(
        title,
        who.name,
        day(act.on),
        position=who.position,
        revision=revision(act),
        for_whom=for_whom,
    )


def revision(act: Signed) -> str:
    """«редакция 2, хеш 1a2b3c4d5e6f»: what the signer signed."""
    if act.revision is None:
        return ""
    digest = f", хеш {act.plan_hash[:HASH_SHOWN]}" if act.plan_hash else ""
    return f"редакция {act.revision}{digest}"
