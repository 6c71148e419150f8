"""The text of the route's notices, and of a diagnostic campaign's announcement to each
participant, in Russian, in the regulations' terms: ids, never names."""

from __future__ import annotations

from datetime import date
from zoneinfo import ZoneInfo

from aggregates.campaign import KIND_TITLES, Campaign, Participant
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


ANNOUNCED = "diagnostic_announced"
"""The kind of a participant's notice of a diagnostic's place and time."""


def announcement(campaign: Campaign, participant: Participant) -> tuple[str, str]:
    """The subject and text telling a participant the place and time of their group (Sakha
    диагностика 5.3)."""
    group = campaign.group(participant.group_id)
    assert group is not None  # the announcement checked it
    zone = ZoneInfo(campaign.profile.time_zone)
    starts = group.starts_at.astimezone(zone)
    when = f"{starts:%d.%m.%Y} в {starts:%H:%M}"
    subject = f"Диагностика профессиональных дефицитов {when}"
    text = (
        f"Вы участник диагностики профессиональных дефицитов «{campaign.title}»"
        f" ({KIND_TITLES[campaign.kind]}, платформа: {campaign.platform})."
        f" Группа {group.id}: {when} (время региона, {campaign.profile.time_zone}),"
        f" место проведения: {group.place}; продолжительность работы —"
        f" {campaign.instrument.minutes} мин.\n\nПедагог {participant.teacher_id},"
        f" ОО {participant.school_id}; регламент: {campaign.profile.region}."
    )
    return subject, text
