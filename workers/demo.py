"""Demo routes: a region's whole route, driven through every stage as its regulation says,
with realistic content. `iom demo` writes them; the acceptance tests drive routes the same way."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, timedelta
from uuid import UUID

from aggregates.application import Routes, route_id_for
from aggregates.commands import (
    AcknowledgeConclusions,
    AcknowledgeCorrection,
    AgreeCorrection,
    AgreeRoute,
    AssignMethodist,
    Command,
    CompleteActivity,
    CorrectRoute,
    DesignRoute,
    HoldFinalPublicEvent,
    IssueCertificate,
    MarkActivityNotDone,
    OpenRoute,
    RecordConclusions,
    RecordDiagnostic,
    RecordFinalDiagnostic,
    RecordInterimResult,
    RecordSelfReflection,
    SignConclusions,
    SubmitRoute,
)
from aggregates.commands.base import add_months
from aggregates.profiles import Profile, Stage
from aggregates.route import Route
from aggregates.values import Activity, Actor, Diagnostic, FinalPublicEvent, Plan, Role, TaskResult
from workers.demo_content import ACTIVITIES, FINAL_EVENTS, GENERIC_ACTIVITY, RESULTS, TOPICS

ORDER = list(Stage)


@dataclass
class DemoRoute:
    """One demo route's cast and content, and the steps that drive it."""

    app: Routes
    profile: Profile
    index: int
    rng: random.Random
    today: date

    @property
    def key(self) -> str:
        return f"demo-{self.profile.id}-{self.index:05d}"

    @property
    def school(self) -> str:
        return f"school-{self.profile.id}-{self.index % 7 + 1:02d}"

    def actor(self, role: Role) -> Actor:
        """The demo person in `role` for this route."""
        ids = {
            Role.TEACHER: f"teacher-{self.profile.id}-{self.index:05d}",
            Role.METHODIST: f"methodist-{self.profile.id}-{self.index % 3 + 1:02d}",
            Role.CENTRE_HEAD: f"centre-head-{self.profile.id}",
        }
        return Actor(id=ids.get(role, f"{role.value.replace('_', '-')}-{self.school}"), role=role)

    def run(self, command: Command, role: Role, step: str) -> None:
        self.app.execute(route_id_for(self.key), command, self.actor(role), f"{self.key}:{step}")

    def drive(self, until: Stage = Stage.COMPLETED) -> UUID:
        """Drive the route through every stage up to `until`; its id."""
        profile, rng = self.profile, self.rng
        months = max(profile.term_min_months, 12)
        starts_on = add_months(self.today, -(months + 1)).replace(day=1)
        ends_on = add_months(starts_on, months) - timedelta(days=1)
        opener = (
            Role.CENTRE_HEAD
            if Role.CENTRE_HEAD in profile.methodist_assigned_by
            else Role.SCHOOL_HEAD
        )
        opening = OpenRoute(
            route_key=self.key,
            region=profile.id,
            teacher_id=self.actor(Role.TEACHER).id,
            school_id=self.school,
            municipality_id=f"mun-{profile.id}-{self.index % 3 + 1:02d}",
            subject=rng.choice(["математика", "русский язык", "физика", "история", "биология"]),
        )
        self.app.open(opening, self.actor(opener), f"{self.key}:open")
        steps = [
            (Stage.DIAGNOSTIC, self._assign),
            (Stage.DESIGN, lambda: self._diagnose(starts_on)),
            (Stage.AGREEMENT, lambda: self._design(starts_on, ends_on)),
            (Stage.IMPLEMENTATION, self._agree),
            (Stage.FINAL, self._implement),
            (Stage.COMPLETED, lambda: self.conclude(ends_on)),
        ]
        for stage, step in steps:
            if ORDER.index(stage) > ORDER.index(until):
                break
            step()
        return route_id_for(self.key)

    def _route(self) -> Route:
        return self.app.route(route_id_for(self.key))

    def _assign(self) -> None:
        order = f"Распоряжение № {100 + self.index} от {self.today:%d.%m.%Y}"
        role = self.profile.methodist_assigned_by[0]
        self.run(
            AssignMethodist(methodist_id=self.actor(Role.METHODIST).id, order=order), role, "assign"
        )

    def _diagnose(self, starts_on: date) -> None:
        codes = [entry.code for entry in self.profile.competences]
        tasks = [
            TaskResult(
                number=number,
                competences=[code],
                level=self.rng.choice([1, 2, 2, 3]),
                difficulties=""
                if self.rng.random() < 0.4
                else "затруднения при выполнении задания",
            )
            for number, code in enumerate(codes * 2, start=1)
        ]
        diagnostic = Diagnostic(
            taken_on=starts_on - timedelta(days=20),
            platform="РАС «Ситуационный центр»",
            tasks=tasks,
        )
        self.run(RecordDiagnostic(diagnostic=diagnostic), Role.METHODIST, "diagnostic")

    def plan(self, starts_on: date, ends_on: date) -> Plan:
        """The plan this demo route designs for a term from `starts_on` to `ends_on`."""
        route = self._route()
        lacking = sorted((lvl, code) for code, lvl in route.input_levels.items() if lvl < 4)
        # Every competence at the lowest level found is targeted (lowest first), then others.
        lowest = [code for level, code in lacking if level == lacking[0][0]] if lacking else []
        chosen = [code for _, code in lacking][: max(4, len(lowest))]
        chosen = chosen or [route.profile.competences[0].code]
        span = (ends_on - starts_on).days // (len(chosen) + 1)
        directions = [entry.code for entry in self.profile.directions]
        activities = []
        for number, code in enumerate(chosen):
            title, level, organiser, form = self.rng.choice(
                ACTIVITIES.get(code, [GENERIC_ACTIVITY])
            )
            begins = starts_on + timedelta(days=number * span)
            activities.append(
                Activity(
                    id=f"a{number + 1}",
                    title=title,
                    competences=[code],
                    direction=directions[number % len(directions)] if directions else None,
                    level=level,
                    organiser=organiser,
                    starts_on=begins,
                    ends_on=begins + timedelta(days=span - 1),
                    result_form=form,
                )
            )
        topic, relevance, request = self.rng.choice(TOPICS)
        form, title = self.rng.choice(FINAL_EVENTS)
        final = FinalPublicEvent(
            form=form,
            title=title,
            level=activities[0].level,
            starts_on=ends_on - timedelta(days=30),
            ends_on=ends_on - timedelta(days=10),
        )
        return Plan(
            topic=topic,
            relevance=relevance,
            goal=f"Повышение профессиональной компетентности: {topic.lower()}",
            tasks=[
                "Устранить выявленные дефициты",
                "Применить освоенные приёмы на уроках",
                "Представить опыт коллегам",
            ],
            request=request,
            expected_results="Повышение уровня сформированности компетенций, методический продукт",
            starts_on=starts_on,
            ends_on=ends_on,
            activities=activities,
            final_public_event=final
            if self.profile.requires_final_public_event or self.index % 2
            else None,
        )

    def _design(self, starts_on: date, ends_on: date) -> None:
        designer = self.profile.designers[0]
        self.run(DesignRoute(plan=self.plan(starts_on, ends_on)), designer, "design")
        self.run(SubmitRoute(), designer, "submit")

    def _agree(self) -> None:
        plan_hash = self._route().plan_hash or ""
        for step in self.profile.agreement:
            comment = "Согласовано без замечаний" if step.action != "sign" else ""
            self.run(
                AgreeRoute(plan_hash=plan_hash, comment=comment), step.role, f"agree-{step.role}"
            )

    def _implement(self) -> None:
        route = self._route()
        assert route.plan is not None
        plan = route.plan
        if self.index % 2 == 0 and len(plan.activities) > 1:
            self._correct(plan)
            plan = self._route().plan or plan
        for number, activity in enumerate(plan.activities):
            if (
                number == len(plan.activities) - 1
                and len(plan.activities) > 2
                and self.index % 3 == 0
            ):
                reason = "Курсы перенесены организатором на следующий учебный год"
                self.run(
                    MarkActivityNotDone(activity_id=activity.id, reason=reason),
                    Role.METHODIST,
                    f"not-done-{activity.id}",
                )
                continue
            self.run(
                CompleteActivity(
                    activity_id=activity.id,
                    completed_on=activity.ends_on,
                    result=self.rng.choice(RESULTS),
                    product=activity.result_form,
                    self_assessment="Цель мероприятия достигнута",
                    employer_assessment="Результат соответствует задачам ИОМ",
                ),
                Role.TEACHER,
                f"done-{activity.id}",
            )
            if number == 0:
                text = "Педагог применяет освоенные приёмы; отмечена положительная динамика"
                self.run(
                    RecordInterimResult(recorded_on=activity.ends_on, text=text),
                    Role.METHODIST,
                    "interim",
                )

    def _correct(self, plan: Plan) -> None:
        last = plan.activities[-1]
        moved = last.model_copy(update={"organiser": "ЦНППМ (перенос по графику)"})
        new_plan = plan.model_copy(update={"activities": [*plan.activities[:-1], moved]})
        role = self.profile.correctors[0]
        corrected_on = plan.activities[0].ends_on
        reason = "Изменение графика курсов у организатора"
        self.run(
            CorrectRoute(corrected_on=corrected_on, reason=reason, plan=new_plan), role, "correct"
        )
        for party in self._route().corrections[-1].awaiting:
            self.run(AgreeCorrection(number=1), party, f"correction-agree-{party}")
        self.run(AcknowledgeCorrection(number=1), Role.TEACHER, "correction-ack")

    def conclude(self, ends_on: date, prolonged_until: date | None = None) -> None:
        """The final stage: final event and diagnostic, conclusions signed and acknowledged, the
        certificate; a prolongation to `prolonged_until` instead when given (no certificate)."""
        route = self._route()
        assert route.plan is not None
        if self.profile.requires_self_reflection:
            text = "Маршрут помог систематизировать работу; освоенные приёмы применяю на уроках"
            self.run(RecordSelfReflection(text=text), Role.TEACHER, "reflection")
        if route.plan.final_public_event is not None:
            held_on = route.plan.final_public_event.starts_on
            self.run(
                HoldFinalPublicEvent(held_on=held_on, result="Проведено для 24 педагогов района"),
                Role.TEACHER,
                "final-event",
            )
        if self.profile.requires_final_diagnostic or route.input_diagnostic is not None:
            assert route.input_diagnostic is not None
            tasks = [
                t.model_copy(update={"level": min(4, t.level + 1)})
                for t in route.input_diagnostic.tasks
            ]
            final = Diagnostic(
                taken_on=ends_on - timedelta(days=5),
                platform=route.input_diagnostic.platform,
                tasks=tasks,
            )
            self.run(RecordFinalDiagnostic(diagnostic=final), Role.METHODIST, "final-diagnostic")
        recommendations = (
            "Пройти курсы по наставничеству; транслировать опыт на муниципальном уровне"
        )
        conclusions = RecordConclusions(
            outcome="prolonged" if prolonged_until else "completed",
            text="ИОМ пройден успешно: выбранная траектория оптимальна, дефициты преодолены",
            recommendations=recommendations if self.profile.requires_recommendations else "",
            prolonged_until=prolonged_until,
        )
        self.run(conclusions, self.profile.conclusions_by, "conclusions")
        recorded = self._route().conclusions
        assert recorded is not None
        for role in list(recorded.awaiting):
            self.run(SignConclusions(), role, f"sign-{role}")
        self.run(AcknowledgeConclusions(), Role.TEACHER, "conclusions-ack")
        if self.profile.requires_certificate and prolonged_until is None:
            number = f"ИОМ-{self.profile.id.upper()}-{self.index:05d}"
            self.run(
                IssueCertificate(number=number, issued_on=ends_on), Role.CENTRE_HEAD, "certificate"
            )


def write_demo(
    app: Routes,
    region: str,
    count: int,
    *,
    seed: int = 0,
    until: Stage = Stage.COMPLETED,
    first: int = 1,
) -> list[UUID]:
    """Write `count` demo routes of `region`, each driven up to `until`; their ids."""
    profile = app.profiles.latest(region)
    rng = random.Random(f"{region}:{seed}")
    today = app.clock().date()
    return [
        DemoRoute(app, profile, index, rng, today).drive(until)
        for index in range(first, first + count)
    ]
