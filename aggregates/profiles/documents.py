"""Which forms a regulation prints a route on (`Profile.documents`): each region its own, taken
from its regulation's appendix or described structure; a regulation that names none prints the
neutral form titled from its own regulation, never another region's."""

from __future__ import annotations

from typing import Annotated, Any, Final, Literal, get_args

from pydantic import AfterValidator, Field

from aggregates.values import Value

FormKind = Literal[
    "karta",  # Карта ИОМ (Саха, приложение 1 к Инструкции)
    "corrections",  # сведения о корректировке ИОМ (Саха, приложение 2)
    "monitoring",  # мониторинг реализации мероприятий ИОМ (Саха, приложение 2)
    "itogi",  # итоги прохождения ИОМ (Саха, приложение 3)
    "certificate",  # сертификат о прохождении ИОМ (Саха, Положение 5.3.7)
    "balakhta",  # ИОМ в трёх частях (Балахтинский район, форма Положения)
    "sovetsky",  # ИОМ из пяти разделов (Советский городской округ, Порядок II.2)
    "sovetsky_table",  # формат представления ИОМ (Советский городской округ, приложение)
    "chelyabinsk",  # технологическая карта ИОМ (Челябинская область, протокол № 4)
    "programme",  # индивидуальная образовательная программа (Алгоритм, этап II)
    "resource_map",  # ресурсная карта ИОМ (Алгоритм, этап II)
    "iom",  # the neutral form of a regulation that names no forms of its own
]
FORM_KINDS: Final[tuple[FormKind, ...]] = get_args(FormKind)
NEUTRAL: Final[FormKind] = "iom"

STORED_FORMS: Final[dict[str, list[FormKind]]] = {
    "sakha": ["karta", "corrections", "monitoring", "itogi", "certificate"],
    "balakhta": ["balakhta"],
    "sovetsky": ["sovetsky", "sovetsky_table"],
    "chelyabinsk": ["chelyabinsk"],
    "algorithm": ["programme", "resource_map"],
}
"""The forms of the shipped regulations, for their editions a route stored before a profile
named its forms (the shipped files name the same)."""


def _distinct(forms: list[FormKind]) -> list[FormKind]:
    if len(forms) != len(set(forms)):
        raise ValueError("documents.forms must not repeat a form")
    return forms


class Documents(Value):
    """The documents of a regulation: its forms, the first the route's main one."""

    forms: Annotated[list[FormKind], AfterValidator(_distinct)] = Field(default_factory=list)

    def offered(self) -> tuple[FormKind, ...]:
        """The forms a route under this regulation prints: its own, or the neutral form."""
        return tuple(self.forms) or (NEUTRAL,)


def upcast_documents(data: Any) -> Any:
    """An edition stored before profiles named their forms: a shipped region's forms; any other
    (a deployment's own region) the neutral form."""
    if not isinstance(data, dict) or "documents" in data:
        return data
    forms = STORED_FORMS.get(str(data.get("id")), [])
    return {**data, "documents": {"forms": forms}}
