"""The text of the route's notices, in Russian, in the regulations' terms: ids, never names."""

from __future__ import annotations

from datetime import date

from aggregates.profiles import Stage
from aggregates.route import Route

NOTICE_TITLES: dict[str, str] = {
    "agreement_requested": "ИОМ ожидает согласования",
    "agreement_reminder": "Напоминание о согласовании ИОМ",
    "agreement_escalated": "Срок согласования ИОМ истёк",
    "route_returned": "ИОМ возвращён на доработку",
    "route_approved": "ИОМ утверждён",
    "correction_requested": "Корректировка ИОМ ожидает согласования",
    "correction_reminder": "Напоминание о согласовании корректировки ИОМ",
    "correction_escalated": "Срок согласования корректировки ИОМ истёк",
    "activity_reminder": "Приближается срок мероприятия ИОМ",
    "activity_overdue": "Мероприятие ИОМ просрочено",
    "final_requested": "Приближается окончание срока ИОМ",
    "term_ended": "Срок реализации ИОМ истёк",
    "conclusions_reminder": "Напоминание о выводах по ИОМ",
    "conclusions_overdue": "Срок выводов по ИОМ истёк",
    "signature_requested": "Выводы по ИОМ ожидают подписи",
}

_TEXTS: dict[str, str] = {
    "agreement_requested": "ИОМ передан на согласование; ответ ожидается до {due}.",
    "agreement_reminder": "ИОМ ожидает вашего решения; срок ответа — {due}.",
    "agreement_escalated": (
        "Срок ответа по согласованию ИОМ ({due}) истёк без решения стороны; "
        "вопрос передан вышестоящему руководителю."
    ),
    "route_returned": "ИОМ возвращён на доработку с замечаниями; внесите изменения и передайте"
    " его на согласование повторно.",
    "route_approved": "ИОМ утверждён; начинается его реализация.",
    "correction_requested": "В ИОМ внесена корректировка; согласуйте её до {due}.",
    "correction_reminder": "Корректировка ИОМ ожидает вашего согласования; срок — {due}.",
    "correction_escalated": "Срок согласования корректировки ИОМ ({due}) истёк.",
    "activity_reminder": "Срок мероприятия «{activity}» — {due}; отметьте его выполнение.",
    "activity_overdue": (
        "Срок мероприятия «{activity}» ({due}) истёк без отметки о выполнении; "
        "мероприятие отмечено как просроченное."
    ),
    "final_requested": (
        "Срок реализации ИОМ заканчивается {due}: проведите итоговую диагностику"
        " и заключительное публичное мероприятие."
    ),
    "term_ended": (
        "Срок реализации ИОМ ({due}) истёк; ожидаются итоговая диагностика,"
        " заключительное мероприятие и выводы."
    ),
    "conclusions_reminder": "Сформулируйте выводы по ИОМ до {due}.",
    "conclusions_overdue": "Срок выводов по ИОМ ({due}) истёк.",
    "signature_requested": "Выводы по ИОМ ожидают подписи или отметки об ознакомлении.",
}


def compose(route: Route, key: str, kind: str, due_on: date | None) -> tuple[str, str]:
    """The subject and text of a notice on `route`."""
    activity = key.split(":")[1] if key.startswith("act:") else ""
    planned = route.activity(activity) if activity else None
    due = f"{due_on:%d.%m.%Y}" if due_on else ""
    title = NOTICE_TITLES.get(kind, kind)
    subject = f"{title} (срок {due})" if due else title
    body = _TEXTS.get(kind, title).format(due=due, activity=planned.title if planned else activity)
    stage = route.profile.stage_names[route.stage] if route.stage in Stage else ""
    text = (
        f"{body}\n\nПедагог {route.teacher_id}, ОО {route.school_id}; "
        f"регламент: {route.profile.region}; этап: {stage}."
    )
    return subject, text
