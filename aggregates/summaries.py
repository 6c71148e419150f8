"""One line in Russian for each event: what the audit trail and `iom audit history` show."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from aggregates import events as ev
from aggregates.notices import NOTICE_TITLES
from aggregates.profiles import ACTION_TITLES, Profile
from aggregates.values import ROLE_TITLES, Role


def _levels(levels: dict[str, int], profile: Profile) -> str:
    return "; ".join(
        f"{profile.competence_name(code)} — {profile.level_name(level)}"
        for code, level in levels.items()
    )


_LINES: dict[type[ev.RouteEvent], Callable[[Any, Profile], str]] = {
    ev.RouteOpened: lambda e, p: f"ИОМ открыт: {p.region}, регламент {p.key}",
    ev.MethodistAssigned: lambda e, p: (
        f"Закреплён методист {e.methodist_id} ({e.order})"
        + (f": {e.reason}" if e.reason else "")
        + _ticket(e)
    ),
    ev.DiagnosticRecorded: lambda e, p: "Входная диагностика: " + _levels(e.levels, p),
    ev.RouteDesigned: lambda e, p: f"ИОМ спроектирован (редакция {e.revision}): «{e.plan.topic}»",
    ev.RouteSubmitted: lambda e, p: f"ИОМ передан на согласование (редакция {e.revision})",
    ev.AgreementGiven: lambda e, p: (
        f"{_title(e.role)}: {ACTION_TITLES[e.action]} (редакция {e.revision})"
    ),
    ev.RouteReturned: lambda e, p: f"{_title(e.role)}: возвращён на доработку — {e.comments}",
    ev.RouteApproved: lambda e, p: f"ИОМ утверждён (редакция {e.revision})",
    ev.ActivityCompleted: lambda e, p: (
        f"Мероприятие {e.activity_id} выполнено {e.completed_on:%d.%m.%Y}: {e.result}"
    ),
    ev.ActivityNotCompleted: lambda e, p: f"Мероприятие {e.activity_id} не выполнено: {e.reason}",
    ev.ActivityOverdue: lambda e, p: (
        f"Мероприятие {e.activity_id} просрочено (срок {e.due_on:%d.%m.%Y})"
    ),
    ev.InterimResultRecorded: lambda e, p: f"Промежуточный результат: {e.text}",
    ev.RouteCorrected: lambda e, p: (
        f"Корректировка №{e.number} от {e.corrected_on:%d.%m.%Y}: {e.reason}"
    ),
    ev.CorrectionAgreed: lambda e, p: (
        f"Корректировка №{e.number} согласована: {ROLE_TITLES[e.role]}"
    ),
    ev.CorrectionAcknowledged: lambda e, p: f"Педагог ознакомлен с корректировкой №{e.number}",
    ev.SelfReflectionRecorded: lambda e, p: "Саморефлексия педагога внесена",
    ev.FinalPublicEventHeld: lambda e, p: (
        f"Заключительное публичное мероприятие проведено {e.held_on:%d.%m.%Y}"
    ),
    ev.FinalDiagnosticRecorded: lambda e, p: "Итоговая диагностика: " + _levels(e.levels, p),
    ev.ConclusionsRecorded: lambda e, p: (
        "Выводы: ИОМ завершён успешно"
        if e.outcome == "completed"
        else f"Выводы: пролонгация ИОМ до {e.prolonged_until:%d.%m.%Y}"
    ),
    ev.ConclusionsSigned: lambda e, p: f"Выводы подписаны: {ROLE_TITLES[e.role]}",
    ev.ConclusionsAcknowledged: lambda e, p: "Педагог ознакомлен с выводами",
    ev.CertificateIssued: lambda e, p: f"Выдан сертификат о прохождении ИОМ № {e.number}",
    ev.RouteCancelled: lambda e, p: f"ИОМ отменён: {e.reason}" + _ticket(e),
    ev.DeadlineExtended: lambda e, p: (
        f"Срок «{e.deadline}» продлён до {e.until:%d.%m.%Y}: {e.reason}" + _ticket(e)
    ),
    ev.RoutePaused: lambda e, p: f"ИОМ приостановлен: {e.reason}" + _ticket(e),
    ev.RouteResumed: lambda e, p: f"ИОМ возобновлён: {e.reason}" + _ticket(e),
    ev.NoticeSent: lambda e, p: (
        ("Повторно направлено" if e.resent else "Направлено")
        + f" уведомление «{NOTICE_TITLES.get(e.kind, e.kind)}»: "
        + ", ".join(ROLE_TITLES[r] for r in e.recipients)
        + (f" — {e.reason}" if e.reason else "")
        + _ticket(e)
    ),
}


def _ticket(event: Any) -> str:
    return f" (заявка {event.ticket})" if event.ticket else ""


def describe(event: ev.RouteEvent, profile: Profile) -> str:
    """The event in one Russian line, in the regulation's own terms; an act за руководителя
    says for whom and by which order."""
    line = _LINES.get(type(event))
    text = line(event, profile) if line else type(event).__name__
    acting = event.acting_for
    if acting is None:
        return text
    return f"{text} (за руководителя {acting.head_id}, приказ «{acting.order}»)"


def _title(role: Role) -> str:
    """The role's title at the start of a line: its first letter upper-cased, abbreviations
    (ЦНППМ, ОО, МО) kept as they are."""
    title = ROLE_TITLES[role]
    return title[:1].upper() + title[1:]
