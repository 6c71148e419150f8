"""The Russian text and examples of the OpenAPI document for a diagnostic campaign's models
that live in the domain (`aggregates.campaign`, `aggregates.campaign_commands`) and for the
instrument's rules of a regulation; merged into `api.glossary`."""

from __future__ import annotations

from typing import Any

GROUP: dict[str, Any] = {
    "id": "g1",
    "place": "ИРО и ПК, ауд. 204",
    "starts_at": "2026-06-25T10:00:00+09:00",
}
TASK: dict[str, Any] = {"number": 1, "competences": ["methodical"], "focus": "methodical"}
INSTRUMENT: dict[str, Any] = {
    "title": "Комплексная диагностическая работа",
    "minutes": 120,
    "tasks": [TASK],
}

CAMPAIGN_MODELS: dict[str, str] = {
    "PlanCampaign": "Запланировать диагностику профессиональных дефицитов: вид, платформа,"
    " инструментарий (проверяется по правилам регламента: Якутия — Положение о диагностике,"
    " пп. 4.6, 4.9), сроки, группы с местом и временем.",
    "Instrument": "Инструментарий диагностики: задания, время выполнения, экспертиза.",
    "InstrumentTask": "Задание диагностической работы: проверяемые компетенции и направленность.",
    "Group": "Группа участников диагностики: место и время.",
    "MarkAttendance": "Отметка об участии: присутствовали и отсутствовали (id педагогов).",
    "HoldCampaign": "Отметка о проведении диагностики.",
    "RemoveParticipants": "Исключение участников из диагностики, с причиной (их задачи"
    " отменяются).",
    "CancelCampaign": "Отмена диагностики, с причиной (задачи участников отменяются).",
    "InstrumentRule": "Правило инструментария диагностики по регламенту, с пунктом, который"
    " называет отказ.",
}

CAMPAIGN_FIELDS: dict[str, str] = {
    "PlanCampaign.campaign_key": "Ключ диагностики в ЦНППМ: повтор с тем же ключом находит её.",
    "PlanCampaign.kind": "Вид: input — входная, intermediate — промежуточная, final — итоговая.",
    "PlanCampaign.name": "Название диагностики.",
    "PlanCampaign.platform": "Платформа: РАС «Ситуационный центр», муниципальная…",
    "PlanCampaign.instrument": "Инструментарий диагностики.",
    "PlanCampaign.groups": "Группы участников: место и время каждой.",
    "Instrument.title": "Название диагностической работы.",
    "Instrument.minutes": "Время выполнения, минут.",
    "Instrument.tasks": "Задания работы.",
    "Instrument.expertise_on": "Дата получения результатов экспертизы (необязательно).",
    "Instrument.revised_on": "Дата доработки по замечаниям экспертизы (необязательно).",
    "InstrumentTask.number": "Номер задания: столбец результатов в выгрузке платформы.",
    "InstrumentTask.focus": "Направленность: subject — предметные, methodical — методические,"
    " both — те и другие компетенции.",
    "Group.place": "Место проведения.",
    "Group.starts_at": "Дата и время начала (с часовым поясом).",
    "MarkAttendance.attended": "Присутствовали (id педагогов).",
    "MarkAttendance.absent": "Отсутствовали (id педагогов).",
    "HoldCampaign.held_on": "Дата проведения.",
    "RemoveParticipants.teachers": "Исключаемые педагоги (id).",
    "RemoveParticipants.reason": "Причина исключения.",
    "CancelCampaign.reason": "Причина отмены диагностики.",
    "InstrumentRule.rule": "Правило: min_tasks — заданий не менее; min_methodical_share — доля"
    " методических заданий не менее; min_minutes, max_minutes — время выполнения;"
    " revision_days — дней на доработку после экспертизы.",
    "InstrumentRule.value": "Значение правила.",
    "InstrumentRule.clause": "Пункт регламента, который называет отказ.",
    "Profile.instrument_rules": "Правила инструментария диагностики (пусто — правил нет).",
    "Calendars.notice_clause": "Пункт регламента о сроке оповещения участников диагностики.",
}

CAMPAIGN_EXAMPLES: dict[str, Any] = {
    "PlanCampaign": {
        "campaign_key": "math-2026-input",
        "kind": "input",
        "name": "Входная диагностика учителей математики",
        "platform": "РАС «Ситуационный центр»",
        "instrument": INSTRUMENT,
        "starts_on": "2026-06-16",
        "ends_on": "2026-06-30",
        "groups": [GROUP],
    },
    "Instrument": INSTRUMENT,
    "InstrumentTask": TASK,
    "Group": GROUP,
    "MarkAttendance": {"attended": ["teacher-00001"], "absent": ["teacher-00002"]},
    "HoldCampaign": {"held_on": "2026-06-25"},
    "RemoveParticipants": {"teachers": ["teacher-00003"], "reason": "Педагог в отпуске"},
    "CancelCampaign": {"reason": "Перенос сроков диагностики"},
    "InstrumentRule": {
        "rule": "min_tasks",
        "value": 16,
        "clause": "Положение о диагностике, п. 4.6",
    },
}
