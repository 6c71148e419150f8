"""The Russian text and the examples of the OpenAPI document, for the models the API shares
with the route (its commands and values keep English docs for the engine's developers).

`FIELDS` describes a field by `Model.field` or, where the name means the same everywhere, by
the field's name; `MODELS` describes a model; `EXAMPLES` gives each model an example.
"""

from __future__ import annotations

from typing import Any

from api.campaign_glossary import CAMPAIGN_EXAMPLES, CAMPAIGN_FIELDS, CAMPAIGN_MODELS

MODELS: dict[str, str] = {
    "Diagnostic": "Результаты диагностической работы (входной или итоговой).",
    "TaskResult": "Одно задание диагностической работы: проверяемые компетенции и уровень.",
    "Activity": "Мероприятие ИОМ.",
    "ActivityLevel": "Уровень мероприятия: федеральный, региональный, муниципальный, уровень ОО.",
    "FinalPublicEvent": "Заключительное публичное мероприятие.",
    "Plan": "План ИОМ (Карта ИОМ: пояснительная записка и дорожная карта).",
    "ActivityRecord": "Мониторинг мероприятия: отметка, результат, оценки.",
    "Actor": "Кто действовал: идентификатор пользователя портала и роль.",
    "Agreement": "Ответ стороны в текущем круге согласования.",
    "Return": "Возврат ИОМ на доработку.",
    "InterimResult": "Промежуточный результат.",
    "Correction": "Сведения о корректировке ИОМ.",
    "FinalEventRecord": "Отметка о проведении заключительного публичного мероприятия.",
    "Conclusions": "Выводы по ИОМ и кто ещё должен их подписать или с ними ознакомиться.",
    "CertificateRecord": "Сертификат о прохождении ИОМ.",
    "Role": "Роль: teacher — педагог, methodist — методист, deputy_head — заместитель"
    " руководителя ОО, mo_head — руководитель МО, school_head — руководитель ОО, centre_head —"
    " руководитель ЦНППМ, auditor — аудитор, operator — оператор, system — процесс ИОМ.",
    "TeacherSheet": "Информационная справка педагога (сведения об авторе ИОМ): персональные"
    " данные, хранятся отдельно от событий, зашифрованы ключом педагога.",
    "OfficialCard": "Сведения о должностном лице, подписывающем документы ИОМ: персональные"
    " данные, хранятся отдельно от событий, зашифрованы ключом лица.",
    "Erasure": "Запись об уничтожении персональных данных (152-ФЗ): чьих, кем, когда, на"
    " каком основании. Без персональных данных.",
    "Stage": "Этап ИОМ: opened — открыт, diagnostic — диагностика, design — разработка,"
    " agreement — согласование, implementation — реализация, final — заключительный этап,"
    " completed — завершён, cancelled — отменён.",
    "Profile": "Редакция регламента региона: то, что закрепляет за собой ИОМ при открытии.",
    "Entry": "Элемент перечня регламента: компетенция или направление дорожной карты.",
    "AgreementStep": "Сторона согласования: роль, действие, раунд и сроки ответа.",
    "Calendars": "Календарь регламента: диагностики в год, уведомление, месяцы отчётов.",
    "Reagreement": "Сторона, заново согласующая корректировку, если та изменила её части ИОМ.",
    "Separation": "Места по одному ИОМ, которые регламент отводит разным лицам.",
    "Documents": "Документы регламента: формы, по которым печатается ИОМ.",
    "ProgrammeTask": "Задача индивидуальной образовательной программы: способы её реализации и"
    " процедуры проверки (Алгоритм, этап II).",
    "Resource": "Ресурс ресурсной карты ИОМ и что он даёт.",
    "ResourceKind": "Вид ресурса: information — информационный, communicative —"
    " коммуникативный, activity — деятельностный, social — социально-общественный, own —"
    " собственный ресурс педагога (горизонтальное обучение).",
    "TeacherGroup": "Группа педагогов, в которую входит ИОМ: тип, тема, участники"
    " (идентификаторы).",
    "GroupKind": "Тип группы педагогов: problem — проблемная, creative — творческая, project —"
    " проектная.",
    "Place": "Место по ИОМ: роль стороны (teacher, methodist, deputy_head, mo_head, school_head,"
    " centre_head) или действие, которое регламент отводит другому лицу: employer_assessment —"
    " оценка результата работодателем, corrector — автор корректировки, correction_agreement —"
    " её согласование.",
    "CorrectionPart": "Часть ИОМ, которую может изменить корректировка: activities_added —"
    " добавлены мероприятия, activities_removed — исключены, activities_moved — перенесены сроки"
    " мероприятий, activities_rewritten — изменено их содержание, result_forms — формы"
    " представления результата, term — срок реализации ИОМ, final_public_event —"
    " заключительное публичное мероприятие, goals — тема, цель, задачи, ожидаемые результаты.",
    "ChartName": "График региона: stages — ИОМ по этапам по месяцам, stage_time — время на"
    " этапах, agreement — сроки согласования по сторонам, overdue_municipalities и"
    " overdue_schools — просроченные мероприятия по муниципалитетам и по ОО, load — нагрузка"
    " методистов и норма, dynamics — динамика компетенций, deficits — массовые дефициты.",
    "Edition": "Редакция регламента, известная развёртыванию.",
    "Editions": "Редакции регламентов развёртывания.",
}

FIELDS: dict[str, str] = {
    # A task of the inbox (`GET /tasks`).
    "TaskItem.endpoint": "Запрос, которым выполняется задача.",
    "TaskItem.assignee": "Исполнитель задачи.",
    # A regulation's edition (`GET /regulations/{id}/{version}`).
    "Profile.id": "Код регламента (региона), как в утверждении `region` токена.",
    "Profile.version": "Номер редакции: изменение регламента — новая редакция.",
    "Profile.region": "Регион или муниципалитет.",
    "Profile.regulation": "Документ регламента и его дата.",
    "Profile.time_zone": "Часовой пояс региона (IANA): сроки-даты считаются в нём.",
    "Profile.levels": "Названия четырёх уровней шкалы, от низшего.",
    "Profile.competences": "Компетенции диагностики: код и название.",
    "Profile.directions": "Направления дорожной карты (пусто, если регион их не выделяет).",
    "Profile.stage_names": "Названия этапов ИОМ в терминах регламента.",
    "Profile.designers": "Кто проектирует ИОМ и передаёт его на согласование.",
    "Profile.methodist_assigned_by": "Кто закрепляет методиста.",
    "Profile.agreement": "Стороны согласования по раундам: раунд отвечает целиком до следующего.",
    "Profile.correctors": "Кто корректирует ИОМ.",
    "Profile.correction_reagreement": "Кто заново согласует корректировку: сторона и части ИОМ,"
    " которые покрывает её согласование; корректировка ждёт тех, чьи части она изменила.",
    "Profile.separation_of_duties": "Места по одному ИОМ, которые регламент отводит разным лицам:"
    " одно лицо занимает не более одного из них (правило `separation_of_duties`).",
    "Reagreement.covers": "Части ИОМ, которые покрывает согласование стороны.",
    "Reagreement.clause": "Пункт регламента.",
    "Separation.places": "Места: роли сторон (teacher, methodist, …), employer_assessment —"
    " оценка работодателем, corrector — автор корректировки, correction_agreement — её"
    " согласование.",
    "Separation.clause": "Пункт регламента.",
    "Profile.conclusions_by": "Кто формулирует выводы.",
    "Profile.conclusions_signers": "Кто подписывает выводы, кроме автора.",
    "Profile.term_min_months": "Наименьший срок ИОМ, месяцев.",
    "Profile.term_max_months": "Наибольший срок ИОМ, месяцев.",
    "Profile.requires_final_public_event": "Обязательно заключительное публичное мероприятие.",
    "Profile.requires_final_diagnostic": "Обязательна итоговая диагностика.",
    "Profile.requires_certificate": "Выдаётся сертификат о прохождении ИОМ.",
    "Profile.requires_self_reflection": "Обязательна саморефлексия педагога.",
    "Profile.requires_recommendations": "Обязательны рекомендации куратора.",
    "Profile.requires_assessment": "У выполненного мероприятия обязательны самооценка и оценка"
    " работодателя.",
    "Profile.lowest_levels_first": "ИОМ начинается с компетенций низшего уровня.",
    "Profile.calendars": "Календарь регламента.",
    "Profile.methodist_capacity": "Сколько педагогов ведёт один методист, не более.",
    "Profile.documents": "Документы регламента.",
    "Documents.forms": "Формы, по которым печатается ИОМ (karta, balakhta, sovetsky, …); не"
    " названы — нейтральная форма `iom` с названием своего регламента.",
    "Profile.requires_programme": "У каждой задачи обязательны способы реализации и процедуры"
    " проверки (индивидуальная образовательная программа).",
    "Profile.requires_resource_map": "Обязательна ресурсная карта с информационными,"
    " коммуникативными, деятельностными и социально-общественными ресурсами.",
    "Profile.requires_groups": "ИОМ входит хотя бы в одну группу педагогов (проблемную,"
    " творческую, проектную).",
    "Entry.code": "Код.",
    "Entry.name": "Название.",
    "AgreementStep.action": "Действие: sign — подписать, review — рассмотреть, agree — согласовать,"
    " approve — утвердить.",
    "AgreementStep.round": "Раунд: стороны одного раунда отвечают вместе, раунды по порядку.",
    "AgreementStep.days_to_answer": "Дней на ответ.",
    "AgreementStep.remind_days_before": "За сколько дней до срока напомнить.",
    "AgreementStep.escalate_to": "Кому сообщить о просрочке.",
    "Calendars.diagnostics_per_year": "Диагностик в год, не менее.",
    "Calendars.diagnostic_notice_days": "За сколько дней известить участников диагностики.",
    "Calendars.report_months": "Месяцы отчётов методистов.",
    # Shared meanings.
    "plan": "План ИОМ.",
    "plan_hash": "Хэш редакции плана, которую подтверждает сторона (из `GET /routes/{id}`).",
    "diagnostic": "Результаты диагностической работы.",
    "activity_id": "Идентификатор мероприятия в плане (`a1`, …).",
    "competences": "Коды компетенций по регламенту региона.",
    "starts_on": "Дата начала.",
    "ends_on": "Дата окончания.",
    "role": "Роль.",
    "awaiting": "Роли, чьё действие ещё ожидается.",
    "acknowledged": "Педагог ознакомлен.",
    "at": "Когда записано.",
    "comment": "Комментарий.",
    "id": "Идентификатор.",
    "Correction.parts": "Что изменила корректировка (выводится из прежнего и нового плана):"
    " activities_added, activities_removed, activities_moved, activities_rewritten,"
    " result_forms, term, final_public_event, goals.",
    "Correction.plan_hash": "Хэш редакции плана после корректировки: его называет согласование.",
    # Values.
    "Diagnostic.taken_on": "Дата диагностики.",
    "Diagnostic.platform": "Платформа или форма проведения.",
    "Diagnostic.tasks": "Задания диагностической работы.",
    "TaskResult.number": "Номер задания.",
    "TaskResult.level": "Уровень по шкале региона: 1 (низший) — 4 (высший).",
    "TaskResult.difficulties": "Выявленные затруднения.",
    "Activity.id": "Идентификатор мероприятия в плане (`a1`, …).",
    "Activity.title": "Название мероприятия.",
    "Activity.direction": "Направление дорожной карты (где регламент их выделяет).",
    "Activity.level": "Уровень мероприятия.",
    "Activity.organiser": "Организатор.",
    "Activity.result_form": "Форма представления результата.",
    "FinalPublicEvent.form": "Форма мероприятия.",
    "FinalPublicEvent.title": "Тема мероприятия.",
    "FinalPublicEvent.level": "Уровень мероприятия.",
    "Plan.topic": "Тема ИОМ.",
    "Plan.relevance": "Актуальность.",
    "Plan.goal": "Цель.",
    "Plan.tasks": "Задачи.",
    "Plan.request": "Профессиональный запрос (затруднение) педагога.",
    "Plan.expected_results": "Планируемые результаты.",
    "Plan.activities": "Мероприятия ИОМ.",
    "Plan.final_public_event": "Заключительное публичное мероприятие (если предусмотрено).",
    "Plan.programme": "Индивидуальная образовательная программа: способы реализации и процедуры"
    " проверки каждой задачи (Алгоритм, этап II).",
    "Plan.resources": "Ресурсная карта ИОМ: ресурсы и что каждый даёт.",
    "Plan.groups": "Группы педагогов (проблемные, творческие, проектные), в которые входит ИОМ.",
    "ProgrammeTask.task": "Номер задачи ИОМ (1 — первая).",
    "ProgrammeTask.ways": "Способы реализации задачи.",
    "ProgrammeTask.checks": "Процедуры проверки или самопроверки освоенного содержания.",
    "Resource.kind": "Вид ресурса: information — информационный, communicative —"
    " коммуникативный, activity — деятельностный, social — социально-общественный, own —"
    " собственный ресурс педагога.",
    "Resource.title": "Ресурс.",
    "Resource.gives": "Что ресурс даёт для задач ИОМ.",
    "Resource.holder": "Идентификатор педагога, предлагающего собственный ресурс.",
    "TeacherGroup.id": "Идентификатор группы.",
    "TeacherGroup.kind": "Тип группы: problem — проблемная, creative — творческая, project —"
    " проектная.",
    "TeacherGroup.topic": "Тема группы.",
    "TeacherGroup.members": "Участники группы: идентификаторы педагогов.",
    "ActivityRecord.status": "planned — запланировано, done — выполнено, not_done — не выполнено.",
    "ActivityRecord.overdue": "Срок мероприятия прошёл без отметки.",
    "ActivityRecord.on": "Дата отметки.",
    "ActivityRecord.result": "Результат.",
    "ActivityRecord.product": "Продукт, форма представления результата.",
    "ActivityRecord.self_assessment": "Самооценка педагога.",
    "ActivityRecord.employer_assessment": "Оценка работодателя.",
    "ActivityRecord.reason": "Причина невыполнения.",
    "Actor.id": "Идентификатор пользователя портала (у педагога — идентификатор педагога).",
    "Agreement.action": "Действие стороны: sign — подписал, review — рассмотрел,"
    " agree — согласовал, approve — утвердил.",
    "Agreement.actor_id": "Кто ответил.",
    "Return.revision": "Редакция плана, которая возвращена.",
    "Return.comments": "Замечания.",
    "InterimResult.on": "Дата.",
    "InterimResult.text": "Промежуточный результат.",
    "Correction.number": "Номер корректировки.",
    "Correction.on": "Дата корректировки.",
    "Correction.reason": "Причина.",
    "Correction.added": "Добавленные мероприятия.",
    "Correction.removed": "Исключённые мероприятия.",
    "Correction.changed": "Изменённые мероприятия.",
    "Correction.by": "Кто внёс корректировку.",
    "FinalEventRecord.on": "Дата проведения.",
    "FinalEventRecord.result": "Результат.",
    "Conclusions.outcome": "Итог: completed — завершён, prolonged — продлён.",
    "Conclusions.text": "Выводы.",
    "Conclusions.recommendations": "Рекомендации куратора.",
    "Conclusions.prolonged_until": "До какой даты продлён ИОМ.",
    "Conclusions.author": "Автор выводов.",
    "CertificateRecord.number": "Номер сертификата.",
    "CertificateRecord.issued_on": "Дата выдачи.",
}

_PLAN: dict[str, Any] = {
    "topic": "Формирующее оценивание на уроках математики",
    "relevance": "По итогам диагностики выявлен дефицит методических компетенций",
    "goal": "Освоить приёмы формирующего оценивания",
    "tasks": ["Изучить приёмы", "Применить их на уроках", "Представить опыт коллегам"],
    "request": "Затруднения в организации обратной связи на уроке",
    "expected_results": "Повышение уровня методических компетенций, методический продукт",
    "starts_on": "2026-10-01",
    "ends_on": "2027-09-30",
    "activities": [
        {
            "id": "a1",
            "title": "Курсы «Формирующее оценивание»",
            "competences": ["methodical"],
            "direction": None,
            "level": "regional",
            "organiser": "ЦНППМ",
            "starts_on": "2026-10-01",
            "ends_on": "2026-12-15",
            "result_form": "удостоверение",
        }
    ],
    "final_public_event": {
        "form": "мастер-класс",
        "title": "Приёмы формирующего оценивания",
        "level": "municipal",
        "starts_on": "2027-08-20",
        "ends_on": "2027-09-15",
    },
}
_DIAGNOSTIC: dict[str, Any] = {
    "taken_on": "2026-09-10",
    "platform": "РАС «Ситуационный центр»",
    "tasks": [
        {"number": 1, "competences": ["methodical"], "level": 2, "difficulties": ""},
        {"number": 2, "competences": ["subject"], "level": 3, "difficulties": ""},
    ],
}
_ACTOR = {"id": "methodist-sakha-02", "role": "methodist"}
_HASH = "9d2f5c0e8b7a4f1d3c6e9a2b5d8f0c1e4a7b3d6f9c2e5a8b1d4f7a0c3e6b9d2f"

EXAMPLES: dict[str, Any] = {
    "Profile": {
        "id": "sakha",
        "version": 1,
        "region": "Республика Саха (Якутия)",
        "regulation": "Приказ Минобрнауки РС(Я) от 22.05.2024 № 01-03/1018",
        "time_zone": "Asia/Yakutsk",
        "levels": ["недостаточный", "достаточный", "оптимальный", "высокий"],
        "competences": [{"code": "methodical", "name": "методические компетенции"}],
        "directions": [],
        "stage_names": {
            "opened": "Закрепление регионального методиста",
            "diagnostic": "Анализ результатов диагностики",
            "design": "Этап разработки ИОМ",
            "agreement": "Согласование и утверждение ИОМ",
            "implementation": "Этап реализации ИОМ",
            "final": "Заключительный этап",
            "completed": "ИОМ завершён",
            "cancelled": "ИОМ отменён",
        },
        "designers": ["methodist", "teacher"],
        "methodist_assigned_by": ["centre_head"],
        "agreement": [
            {
                "role": "methodist",
                "action": "sign",
                "round": 1,
                "days_to_answer": 5,
                "remind_days_before": 2,
                "escalate_to": "centre_head",
            },
            {
                "role": "school_head",
                "action": "approve",
                "round": 2,
                "days_to_answer": 5,
                "remind_days_before": 2,
            },
        ],
        "correctors": ["methodist"],
        "correction_reagreement": [],
        "conclusions_by": "methodist",
        "conclusions_signers": ["school_head"],
        "term_min_months": 3,
        "term_max_months": 36,
        "requires_final_public_event": True,
        "requires_final_diagnostic": True,
        "requires_certificate": True,
        "requires_self_reflection": False,
        "requires_recommendations": False,
        "requires_assessment": False,
        "lowest_levels_first": False,
        "calendars": {
            "diagnostics_per_year": 2,
            "diagnostic_notice_days": 3,
            "report_months": [6, 12],
        },
        "methodist_capacity": 150,
    },
    "Entry": {"code": "methodical", "name": "методические компетенции"},
    "AgreementStep": {
        "role": "centre_head",
        "action": "agree",
        "round": 2,
        "days_to_answer": 5,
        "remind_days_before": 2,
    },
    "Calendars": {"diagnostics_per_year": 2, "diagnostic_notice_days": 3, "report_months": [6, 12]},
    "Reagreement": {
        "role": "school_head",
        "covers": ["activities_moved", "term", "final_public_event"],
        "clause": "Инструкция, раздел II, этап 2",
    },
    "Separation": {"places": ["methodist", "centre_head", "school_head"], "clause": "ИОМ 3.4"},
    "Documents": {"forms": ["karta", "corrections", "monitoring", "itogi", "certificate"]},
    "ProgrammeTask": {
        "task": 1,
        "ways": ["Курсы повышения квалификации по теме ИОМ", "Консультации методиста"],
        "checks": ["Повторная диагностика профессиональных дефицитов"],
    },
    "Resource": {
        "kind": "communicative",
        "title": "Сетевое сообщество учителей района",
        "gives": "обсуждение затруднений с коллегами",
    },
    "TeacherGroup": {
        "id": "problem_1",
        "kind": "problem",
        "topic": "Формирующее оценивание на уроках",
        "members": ["teacher-001", "teacher-002"],
    },
    "Edition": {
        "id": "sakha",
        "version": 1,
        "region": "Республика Саха (Якутия)",
        "regulation": "Приказ Минобрнауки РС(Я) от 22.05.2024 № 01-03/1018",
        "href": "/regulations/sakha/1",
    },
    "AssignMethodist": {
        "methodist_id": "methodist-sakha-02",
        "order": "Распоряжение № 101 от 01.09.2026",
        "reason": "",
    },
    "RecordDiagnostic": {"diagnostic": _DIAGNOSTIC},
    "DesignRoute": {"plan": _PLAN},
    "SubmitRoute": {},
    "AgreeRoute": {"plan_hash": _HASH, "comment": "Согласовано без замечаний"},
    "ReturnRoute": {"plan_hash": _HASH, "comment": "", "comments": "Уточните сроки курсов"},
    "CompleteActivity": {
        "activity_id": "a1",
        "completed_on": "2026-12-15",
        "result": "Курсы пройдены, получено удостоверение",
        "product": "удостоверение",
        "self_assessment": "Цель мероприятия достигнута",
        "employer_assessment": "Результат соответствует задачам ИОМ",
    },
    "MarkActivityNotDone": {"activity_id": "a2", "reason": "Курсы перенесены организатором"},
    "RecordInterimResult": {
        "recorded_on": "2027-01-20",
        "text": "Педагог применяет освоенные приёмы",
    },
    "CorrectRoute": {
        "corrected_on": "2027-01-10",
        "reason": "Изменение графика курсов у организатора",
        "plan": _PLAN,
    },
    "AgreeCorrection": {"number": 1, "plan_hash": _HASH},
    "AcknowledgeCorrection": {"number": 1},
    "RecordSelfReflection": {"text": "Маршрут помог систематизировать работу"},
    "HoldFinalPublicEvent": {"held_on": "2027-08-25", "result": "Проведено для 24 педагогов"},
    "RecordFinalDiagnostic": {"diagnostic": _DIAGNOSTIC | {"taken_on": "2027-09-20"}},
    "RecordConclusions": {
        "outcome": "completed",
        "text": "ИОМ пройден успешно, дефициты преодолены",
        "recommendations": "",
        "prolonged_until": None,
    },
    "SignConclusions": {},
    "AcknowledgeConclusions": {},
    "IssueCertificate": {"number": "ИОМ-SAKHA-00451", "issued_on": "2027-09-30"},
    "CancelRoute": {"reason": "Педагог уволился", "ticket": ""},
    "Diagnostic": _DIAGNOSTIC,
    "TaskResult": _DIAGNOSTIC["tasks"][0],
    "Activity": _PLAN["activities"][0],
    "ActivityLevel": "regional",
    "FinalPublicEvent": _PLAN["final_public_event"],
    "Plan": _PLAN,
    "ActivityRecord": {
        "status": "done",
        "overdue": False,
        "on": "2026-12-15",
        "result": "Курсы пройдены",
        "product": "удостоверение",
        "self_assessment": "",
        "employer_assessment": "",
        "reason": "",
    },
    "Actor": _ACTOR,
    "Agreement": {
        "role": "methodist",
        "action": "agree",
        "actor_id": "methodist-sakha-02",
        "at": "2026-09-21T03:00:00Z",
        "comment": "Согласовано без замечаний",
    },
    "Return": {
        "role": "centre_head",
        "revision": 1,
        "comments": "Уточните сроки курсов",
        "at": "2026-09-22T03:00:00Z",
    },
    "InterimResult": {"on": "2027-01-20", "text": "Педагог применяет освоенные приёмы"},
    "Correction": {
        "number": 1,
        "on": "2027-01-10",
        "reason": "Изменение графика курсов",
        "added": [],
        "removed": [],
        "changed": ["a2"],
        "by": _ACTOR,
        "awaiting": ["teacher"],
        "acknowledged": False,
        "at": "2027-01-10T04:00:00Z",
    },
    "FinalEventRecord": {"on": "2027-08-25", "result": "Проведено для 24 педагогов"},
    "Conclusions": {
        "outcome": "completed",
        "text": "ИОМ пройден успешно",
        "recommendations": "",
        "prolonged_until": None,
        "author": _ACTOR,
        "awaiting": ["school_head"],
        "acknowledged": False,
        "at": "2027-09-25T04:00:00Z",
    },
    "CertificateRecord": {"number": "ИОМ-SAKHA-00451", "issued_on": "2027-09-30"},
    "Role": "methodist",
    "Place": "employer_assessment",
    "CorrectionPart": "term",
    "ResourceKind": "information",
    "GroupKind": "problem",
    "Stage": "agreement",
    "ChartName": "stage_time",
    "TeacherSheet": {
        "full_name": "Иванова Мария Петровна",
        "school_name": "МБОУ «Средняя общеобразовательная школа № 7» г. Якутска",
        "position": "учитель математики",
        "subject": "математика",
        "education": "высшее, СВФУ, 2012, учитель математики",
        "teaching_experience_years": 12,
        "management_experience_years": None,
        "category": "первая",
        "category_date": "2023-04-12",
        "attestation_date": "2023-04-12",
        "retraining": [],
        "courses": ["Формирующее оценивание, 72 ч., 2025"],
        "awards": ["Почётная грамота МО РС(Я), 2024"],
        "extra": "",
    },
}
EXAMPLES["OfficialCard"] = {
    "full_name": "Петрова Анна Сергеевна",
    "position": "региональный методист",
    "organisation": "ЦНППМ ИРОиПК им. С. Н. Донского-II",
}
EXAMPLES["Erasure"] = {
    "subject_id": "methodist-07",
    "erased_at": "2026-11-20T09:30:00Z",
    "actor": {"id": "operator-sakha", "role": "operator"},
    "reason": "заявление № 17 от 20.11.2026",
}
EXAMPLES["DocumentCheck"] = {
    "code": "FT5PT-JEJX1-8KX7V-PCAY1-BDR38-R0006-EFHAT-8C11X",
    "route_id": "7e8b6d49-d2e8-513e-9f76-62bc15b70346",
    "version": 6,
    "matches": True,
    "message": "документ соответствует версии 6 ИОМ 7e8b6d49-d2e8-513e-9f76-62bc15b70346"
    " (хеш цепочки 98a0d5b888…); ИОМ с тех пор изменён, текущая версия — 25",
    "current_version": 25,
}
EXAMPLES["Editions"] = {"items": [EXAMPLES["Edition"]]}

MODELS |= CAMPAIGN_MODELS
FIELDS |= CAMPAIGN_FIELDS
EXAMPLES |= CAMPAIGN_EXAMPLES

# The ДПП catalogue, suggestions, mass deficits and the methodists' report.

MODELS |= {
    "Programme": "Дополнительная профессиональная программа (ДПП) каталога региона.",
    "ProgrammeFormat": "Форма обучения: очно, дистанционно, смешанно.",
    "Addressed": "Компетенция, на которую направлена программа, и уровни, для которых она.",
    "ProgrammeRef": "Программа ДПП мероприятия: реестровый номер в версии каталога региона.",
    "ActivityKind": "Вид мероприятия по регламенту (для ИОМ, предложенного по дефицитам).",
    "Deficit": "Дефицит: компетенция ниже высшего уровня по входной диагностике.",
    "Reason": "Почему предложено мероприятие: дефициты, на которые оно отвечает.",
    "Suggestion": "ИОМ, предложенный по дефицитам: черновик плана, ничего не сохранено.",
    "ProgrammeOffer": "Программа каталога для массового дефицита.",
    "Order": "Массовый дефицит и программы ДПП для него (или предложение разработать).",
    "OrderProposal": "ДПП для массовых дефицитов (диагностика 7.2).",
}
FIELDS |= {
    "Activity.programme": "Программа ДПП, если мероприятие — обучение по ней (проверяется по"
    " каталогу региона при проектировании).",
    "Profile.activity_kinds": "Виды мероприятий, которые предлагаются по дефицитам.",
    "Profile.programme_direction": "Направление дорожной карты для программ ДПП.",
    "ActivityKind.level": "Уровень мероприятия.",
    "ActivityKind.weeks": "Обычная продолжительность, недель.",
    "ActivityKind.direction": "Направление дорожной карты (где регион их делит).",
    "Programme.format": "Форма обучения.",
    "Programme.level": "Уровень программы: федеральный, региональный, муниципальный, ОО.",
    "Programme.addresses": "Компетенции и уровни, на которые направлена программа.",
    "Addressed.competence": "Код компетенции по регламенту региона.",
    "Addressed.levels": "Уровни (1 — низший), для которых программа.",
    "Deficit.competence": "Код компетенции.",
    "Deficit.name": "Название компетенции по регламенту.",
    "Deficit.level": "Уровень по входной диагностике (1 — низший).",
    "Deficit.level_name": "Название уровня по регламенту.",
    "Reason.why": "Почему предложено, по-русски.",
    "Suggestion.route_id": "ИОМ.",
    "Suggestion.catalogue_version": "Версия каталога ДПП, из которой взяты программы.",
    "Suggestion.deficits": "Дефициты в порядке, в котором ИОМ их закрывает.",
    "Suggestion.reasons": "Почему предложено каждое мероприятие.",
    "Suggestion.unanswered": "Дефициты, на которые ничего не нашлось.",
    "ProgrammeOffer.registry_number": "Реестровый номер программы.",
    "ProgrammeOffer.title": "Название программы.",
    "ProgrammeOffer.provider": "Организация, реализующая программу.",
    "ProgrammeOffer.hours": "Объём, часов.",
    "Order.competence": "Код компетенции.",
    "Order.name": "Название компетенции.",
    "Order.diagnosed": "Педагогов с входной диагностикой по компетенции.",
    "Order.lowest": "Из них на низшем уровне.",
    "Order.share": "Доля на низшем уровне.",
    "Order.programmes": "Программы каталога для низшего уровня компетенции.",
    "Order.to_develop": "В каталоге нет программы: предлагается разработать ДПП.",
    "Order.advice": "Что предлагается, по-русски.",
    "OrderProposal.region": "Регион.",
    "OrderProposal.catalogue_version": "Версия каталога ДПП.",
    "OrderProposal.routes": "Сколько ИОМ с входной диагностикой учтено.",
    "OrderProposal.mass_share": "Доля, с которой дефицит массовый.",
    "OrderProposal.orders": "Массовые дефициты, самые частые первыми.",
    "MethodistsReport.region": "Регион.",
    "MethodistsReport.methodists": "Методисты региона (или один).",
    "MethodistFigures.methodist_id": "Методист (id).",
    "MethodistFigures.routes": "ИОМ, закреплённых за методистом.",
    "MethodistFigures.activities": "Мероприятий в их планах.",
    "MethodistFigures.done": "Выполнено мероприятий.",
    "MethodistFigures.not_done": "Не выполнено (с причиной).",
    "MethodistFigures.overdue": "Просрочено.",
    "MethodistFigures.compared": "Компетенций с входным и итоговым уровнем.",
    "MethodistFigures.improved": "Из них с ростом уровня.",
    "MethodistFigures.items": "ИОМ методиста.",
    "ReportRoute.route_id": "ИОМ.",
    "ReportRoute.route_key": "Ключ ИОМ портала.",
    "ReportRoute.teacher_id": "Педагог (id).",
    "ReportRoute.school_id": "ОО (id).",
    "ReportRoute.stage": "Этап (код).",
    "ReportRoute.activities": "Мероприятий в плане.",
    "ReportRoute.done": "Выполнено.",
    "ReportRoute.not_done": "Не выполнено.",
    "ReportRoute.overdue": "Просрочено.",
}
_PROGRAMME = {
    "registry_number": "ДПП-2026-014",
    "title": "Формирующее оценивание на уроке",
    "provider": "ЦНППМ АОУ РС(Я) ДПО ИРОиПК",
    "hours": 36,
    "format": "blended",
    "starts_on": "2026-10-05",
    "ends_on": "2026-10-30",
    "level": "regional",
    "addresses": [{"competence": "methodical", "levels": [1, 2]}],
}
_DEFICIT = {
    "competence": "methodical",
    "name": "методические компетенции",
    "level": 1,
    "level_name": "недостаточный",
}
_REPORT_ROUTE = {
    "route_id": "2e86864f-7e96-5def-b012-185bed248dec",
    "route_key": "demo-sakha-00005",
    "teacher_id": "teacher-sakha-00005",
    "school_id": "school-sakha-06",
    "stage": "implementation",
    "stage_name": "Этап реализации ИОМ",
    "activities": 4,
    "done": 1,
    "not_done": 0,
    "overdue": 3,
    "compared": 0,
    "improved": 0,
}
_FIGURES = {
    "methodist_id": "methodist-sakha-02",
    "routes": 1,
    "stages": {"Этап реализации ИОМ": 1},
    "activities": 4,
    "done": 1,
    "not_done": 0,
    "overdue": 3,
    "compared": 0,
    "improved": 0,
    "mean_change": None,
    "items": [_REPORT_ROUTE],
}
_ORDER = {
    "competence": "methodical",
    "name": "методические компетенции",
    "diagnosed": 40,
    "lowest": 14,
    "share": 0.35,
    "programmes": [
        {
            "registry_number": "ДПП-2026-014",
            "title": "Формирующее оценивание на уроке",
            "provider": "ЦНППМ АОУ РС(Я) ДПО ИРОиПК",
            "hours": 36,
        }
    ],
    "to_develop": False,
    "advice": "заказать обучение по программам каталога (1) для 14 педагогов",
}
EXAMPLES |= {
    "Programme": _PROGRAMME,
    "ProgrammeFormat": "blended",
    "Addressed": {"competence": "methodical", "levels": [1, 2]},
    "ProgrammeRef": {"registry_number": "ДПП-2026-014", "catalogue_version": 3},
    "ActivityKind": {
        "title": "Стажировка педагогического работника",
        "competences": [],
        "level": "regional",
        "organiser": "ЦНППМ АОУ РС(Я) ДПО ИРОиПК",
        "result_form": "Отчёт о стажировке",
        "weeks": 3,
        "direction": None,
    },
    "CatalogueAnswer": {"region": "sakha", "version": 3, "programmes": [_PROGRAMME]},
    "CatalogueChanged": {"region": "sakha", "version": 4, "programmes": 120},
    "Deficit": _DEFICIT,
    "Reason": {
        "activity_id": "a1",
        "competences": ["methodical"],
        "why": "дефицит: методические компетенции — уровень «недостаточный» по входной"
        " диагностике; программа ДПП № ДПП-2026-014 предназначена для него",
    },
    "Suggestion": {
        "route_id": "2e86864f-7e96-5def-b012-185bed248dec",
        "catalogue_version": 3,
        "deficits": [_DEFICIT],
        "plan": None,
        "reasons": [],
        "unanswered": [_DEFICIT],
    },
    "ProgrammeOffer": _ORDER["programmes"][0],  # type: ignore[index]
    "Order": _ORDER,
    "OrderProposal": {
        "region": "sakha",
        "catalogue_version": 3,
        "routes": 40,
        "mass_share": 0.25,
        "orders": [_ORDER],
    },
    "OrdersRequest": {"route_ids": [], "municipality_id": None, "mass_share": 0.25},
    "ReportRoute": _REPORT_ROUTE,
    "MethodistFigures": _FIGURES,
    "MethodistsReport": {
        "region": "sakha",
        "period": "первое полугодие 2026 г.",
        "as_of": "2026-06-01",
        "position": 1520,
        "methodists": [_FIGURES],
    },
}
