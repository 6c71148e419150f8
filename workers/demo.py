"""Demo routes: a region's whole route, driven through every stage as its regulation says,
with realistic content. `iom demo` writes them; the acceptance tests drive routes the same way.

A route's steps are written once, as data (`DemoRoute.steps`), and taken in one of two ways:
directly on the aggregate (`drive`), or as the route's people and an operator would, through
the route's workflow on Temporal (`drive_through`: updates, and a signal waited on until
applied)."""

from __future__ import annotations

import asyncio
import random
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from uuid import UUID

from aggregates.application import Routes, route_id_for
from aggregates.commands import (
    COMMANDS,
    OPERATIONS,
    AcknowledgeConclusions,
    AcknowledgeCorrection,
    AgreeCorrection,
    AgreeRoute,
    AssignMethodist,
    Command,
    CompleteActivity,
    CorrectRoute,
    DesignRoute,
    ExtendDeadline,
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
from aggregates.profiles.duties import Place
from aggregates.route import Route
from aggregates.values import (
    Activity,
    Actor,
    Diagnostic,
    FinalPublicEvent,
    Plan,
    ProgrammeTask,
    Resource,
    ResourceKind,
    Role,
    TaskResult,
    TeacherGroup,
)
from runtime.gateway import RouteGateway
from workers.demo_content import (
    ACTIVITIES,
    FINAL_EVENTS,
    GENERIC_ACTIVITY,
    GROUPS,
    OWN_RESOURCE,
    PROGRAMME,
    RESOURCES,
    RESULTS,
    TOPICS,
)
from workflows.contracts import CommandRequest

ORDER = list(Stage)
UPDATES = {command: name for name, command in COMMANDS.items() if command.by_person}
"""The update that carries each person's command to a route's workflow."""
SIGNALS = {command: name for name, command in OPERATIONS.items()}
"""The signal that carries each operator's command."""
SIGNAL_WAIT = 30.0  # seconds an operator's signal may take to be applied
POLL = 0.05  # seconds between looks at the event store


@dataclass(frozen=True)
class Step:
    """One step of a demo route: the command, the role of the demo person who gives it, and
    the step's name (its command id is `<route key>:<name>`)."""

    command: Command
    role: Role
    name: str


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
    def route_id(self) -> UUID:
        """The route's id, from its region and key."""
        return route_id_for(self.profile.id, self.key)

    @property
    def school(self) -> str:
        return f"school-{self.profile.id}-{self.index % 7 + 1:02d}"

    def actor(self, role: Role) -> Actor:
        """The demo person in `role` for this route."""
        ids = {
            Role.TEACHER: f"teacher-{self.profile.id}-{self.index:05d}",
            Role.METHODIST: f"methodist-{self.profile.id}-{self.index % 3 + 1:02d}",
            Role.CENTRE_HEAD: f"centre-head-{self.profile.id}",
            Role.OPERATOR: f"operator-{self.profile.id}",
        }
        return Actor(id=ids.get(role, f"{role.value.replace('_', '-')}-{self.school}"), role=role)

    def command_id(self, step: str) -> str:
        """The command id of the route's step named `step`."""
        return f"{self.key}:{step}"

    # The two drivers.

    def run(self, command: Command, role: Role, step: str) -> None:
        """Execute one step directly on the aggregate."""
        self.app.execute(self.route_id, command, self.actor(role), self.command_id(step))

    def _take(self, steps: Iterable[Step]) -> None:
        """Take `steps` directly on the aggregate, each before the next is drawn; a step the
        route has taken already (its command id on the route: a load interrupted and run
        again) is skipped, whatever content it would be drawn with now."""
        for step in steps:
            if self._taken(step):
                continue
            if isinstance(step.command, OpenRoute):
                self.app.open(step.command, self.actor(step.role), self.command_id(step.name))
            else:
                self.run(step.command, step.role, step.name)

    def _taken(self, step: Step) -> bool:
        """Whether the route has taken `step` already."""
        route = self.app.keyed_route(self.profile.id, self.key)
        return route is not None and self.command_id(step.name) in route.commands

    def drive(self, until: Stage = Stage.COMPLETED) -> UUID:
        """Drive the route directly on the aggregate through every stage up to `until`; its id."""
        self._take(self.steps(until))
        return self.route_id

    def drive_to(self, stage: Stage) -> UUID:
        """Drive the route directly on the aggregate, step by step, until it stands in `stage`
        (its first step there taken: the final stage begins with the final event or
        diagnostic); its id."""
        for step in self.steps():
            self._take([step])
            if self._route().stage is stage:
                break
        return self.route_id

    async def drive_through(self, gateway: RouteGateway, until: Stage = Stage.COMPLETED) -> UUID:
        """Drive the route through every stage up to `until` as its people and an operator
        would: opened by the gateway (which starts its workflow), each person's step as an
        update, the operator's as a signal waited on until applied; its id. `gateway` works on
        this route's event store, and a worker serves its task queue meanwhile."""
        steps = self.steps(until, operators=True)
        while (step := await asyncio.to_thread(next, steps, None)) is not None:
            await self._send(gateway, step)
        return self.route_id

    async def _send(self, gateway: RouteGateway, step: Step) -> None:
        """Give one step through the route's workflow."""
        command, actor, command_id = step.command, self.actor(step.role), self.command_id(step.name)
        signal = SIGNALS.get(type(command))
        if isinstance(command, OpenRoute):
            await gateway.open(command, actor, command_id)
        elif signal is not None:
            payload = command.model_dump(mode="json")
            payload |= {"operator_id": actor.id, "command_id": command_id}
            await gateway.signal(self.route_id, signal, payload)
            await self._applied(command_id, signal)
        else:
            request = CommandRequest(
                actor_id=actor.id,
                role=actor.role.value,
                command_id=command_id,
                payload=command.model_dump(mode="json"),
            )
            await gateway.execute(self.route_id, UPDATES[type(command)], request)

    async def _applied(self, command_id: str, signal: str) -> None:
        """Wait until the signal's command is on the route: the workflow applies a signal after
        taking it, and the next step must not overtake it."""
        deadline = asyncio.get_running_loop().time() + SIGNAL_WAIT
        while command_id not in (await asyncio.to_thread(self._route)).commands:
            if asyncio.get_running_loop().time() > deadline:
                raise TimeoutError(
                    f"сигнал «{signal}» по ИОМ {self.route_id} не применён за {SIGNAL_WAIT:g} с"
                    " (отклонён? см. iom monitor refusals)"
                )
            await asyncio.sleep(POLL)

    # The steps.

    def steps(self, until: Stage = Stage.COMPLETED, *, operators: bool = False) -> Iterator[Step]:
        """The steps that drive the route through every stage up to `until`, the opening first;
        with `operators`, also what an operator does on a live route (an activity's deadline
        extended). A step may depend on the route as the steps before it left it: draw each
        only after the one before is applied."""
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
        yield Step(opening, opener, "open")
        stages: list[tuple[Stage, Callable[[], Iterator[Step]]]] = [
            (Stage.DIAGNOSTIC, self._assign),
            (Stage.DESIGN, lambda: self._diagnose(starts_on)),
            (Stage.AGREEMENT, lambda: self._design(starts_on, ends_on)),
            (Stage.IMPLEMENTATION, self._agree),
            (Stage.FINAL, lambda: self._implement(operators=operators)),
            (Stage.COMPLETED, lambda: self._conclude(ends_on)),
        ]
        for stage, stage_steps in stages:
            if ORDER.index(stage) > ORDER.index(until):
                break
            yield from stage_steps()

    def _route(self) -> Route:
        return self.app.route(self.route_id)

    def _assign(self) -> Iterator[Step]:
        order = f"Распоряжение № {100 + self.index} от {self.today:%d.%m.%Y}"
        role = self.profile.methodist_assigned_by[0]
        methodist = self.actor(Role.METHODIST).id
        yield Step(AssignMethodist(methodist_id=methodist, order=order), role, "assign")

    def _diagnose(self, starts_on: date) -> Iterator[Step]:
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
        yield Step(RecordDiagnostic(diagnostic=diagnostic), Role.METHODIST, "diagnostic")

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
            programme=self._programme(),
            resources=self._resources(route),
            groups=self._groups(route),
        )

    def _programme(self) -> list[ProgrammeTask]:
        """Each task's ways and checks, where the regulation requires them (Алгоритм, этап II)."""
        if not self.profile.requires_programme:
            return []
        return [
            ProgrammeTask(task=number, ways=ways, checks=checks)
            for number, (ways, checks) in enumerate(PROGRAMME, start=1)
        ]

    def _resources(self, route: Route) -> list[Resource]:
        """The resource map with the teacher's own resource, where the regulation requires it."""
        if not self.profile.requires_resource_map:
            return []
        title, gives = OWN_RESOURCE
        own = Resource(kind=ResourceKind.OWN, title=title, gives=gives, holder=route.teacher_id)
        mapped = [Resource(kind=kind, title=name, gives=use) for kind, name, use in RESOURCES]
        return [*mapped, own]

    def _groups(self, route: Route) -> list[TeacherGroup]:
        """The group the route belongs to with a neighbour's route, where the regulation requires
        one: routes of one kind share a group."""
        if not self.profile.requires_groups:
            return []
        kind, topic = GROUPS[self.index // 2 % len(GROUPS)]
        neighbour = f"teacher-{self.profile.id}-{self.index ^ 1:05d}"
        members = sorted({route.teacher_id, neighbour})
        return [
            TeacherGroup(
                id=f"{kind.value}_{self.index // 2}", kind=kind, topic=topic, members=members
            )
        ]

    def _design(self, starts_on: date, ends_on: date) -> Iterator[Step]:
        designer = self.profile.designers[0]
        yield Step(DesignRoute(plan=self.plan(starts_on, ends_on)), designer, "design")
        yield Step(SubmitRoute(), designer, "submit")

    def _agree(self) -> Iterator[Step]:
        plan_hash = self._route().plan_hash or ""
        for step in self.profile.agreement:
            comment = "Согласовано без замечаний" if step.action != "sign" else ""
            agree = AgreeRoute(plan_hash=plan_hash, comment=comment)
            yield Step(agree, step.role, f"agree-{step.role}")

    def _implement(self, *, operators: bool) -> Iterator[Step]:
        route = self._route()
        assert route.plan is not None
        plan = route.plan
        if operators:
            yield self._extension(route, plan.activities[0])
        if self.index % 2 == 0 and len(plan.activities) > 1:
            yield from self._correct(plan)
            plan = self._route().plan or plan
        # the employer's assessment comes from the deputy head where the teacher may not give it
        assessed = self.profile.separates(Place.TEACHER, Place.EMPLOYER_ASSESSMENT)
        marker = Role.DEPUTY_HEAD if assessed else Role.TEACHER
        for number, activity in enumerate(plan.activities):
            if (
                number == len(plan.activities) - 1
                and len(plan.activities) > 2
                and self.index % 3 == 0
            ):
                reason = "Курсы перенесены организатором на следующий учебный год"
                yield Step(
                    MarkActivityNotDone(activity_id=activity.id, reason=reason),
                    Role.METHODIST,
                    f"not-done-{activity.id}",
                )
                continue
            yield Step(
                CompleteActivity(
                    activity_id=activity.id,
                    completed_on=activity.ends_on,
                    result=self.rng.choice(RESULTS),
                    product=activity.result_form,
                    self_assessment="Цель мероприятия достигнута",
                    employer_assessment="Результат соответствует задачам ИОМ",
                ),
                marker,
                f"done-{activity.id}",
            )
            if number == 0:
                text = "Педагог применяет освоенные приёмы; отмечена положительная динамика"
                yield Step(
                    RecordInterimResult(recorded_on=activity.ends_on, text=text),
                    Role.METHODIST,
                    "interim",
                )

    def _extension(self, route: Route, activity: Activity) -> Step:
        """An operator extends the activity's deadline by two weeks, on the organiser's word."""
        extend = ExtendDeadline(
            deadline=f"activity:{activity.id}",
            until=route.due_on(activity) + timedelta(days=14),
            reason="Организатор перенёс сроки мероприятия на две недели",
            ticket=f"OPS-{self.index}",
        )
        return Step(extend, Role.OPERATOR, f"extend-{activity.id}")

    def _correct(self, plan: Plan) -> Iterator[Step]:
        last = plan.activities[-1]
        moved = last.model_copy(update={"organiser": "ЦНППМ (перенос по графику)"})
        new_plan = plan.model_copy(update={"activities": [*plan.activities[:-1], moved]})
        role = self.profile.correctors[0]
        corrected_on = plan.activities[0].ends_on
        reason = "Изменение графика курсов у организатора"
        yield Step(
            CorrectRoute(corrected_on=corrected_on, reason=reason, plan=new_plan), role, "correct"
        )
        correction = self._route().corrections[-1]
        for party in correction.awaiting:
            agree = AgreeCorrection(number=1, plan_hash=correction.plan_hash)
            yield Step(agree, party, f"correction-agree-{party}")
        yield Step(AcknowledgeCorrection(number=1), Role.TEACHER, "correction-ack")

    def conclude(self, ends_on: date, prolonged_until: date | None = None) -> None:
        """The final stage, directly on the aggregate: final event and diagnostic, conclusions
        signed and acknowledged, the certificate; a prolongation to `prolonged_until` instead
        when given (no certificate)."""
        self._take(self._conclude(ends_on, prolonged_until))

    def _conclude(self, ends_on: date, prolonged_until: date | None = None) -> Iterator[Step]:
        route = self._route()
        assert route.plan is not None
        if self.profile.requires_self_reflection:
            text = "Маршрут помог систематизировать работу; освоенные приёмы применяю на уроках"
            yield Step(RecordSelfReflection(text=text), Role.TEACHER, "reflection")
        if route.plan.final_public_event is not None:
            held_on = route.plan.final_public_event.starts_on
            yield Step(
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
            yield Step(RecordFinalDiagnostic(diagnostic=final), Role.METHODIST, "final-diagnostic")
        recommendations = (
            "Пройти курсы по наставничеству; транслировать опыт на муниципальном уровне"
        )
        conclusions = RecordConclusions(
            outcome="prolonged" if prolonged_until else "completed",
            text="ИОМ пройден успешно: выбранная траектория оптимальна, дефициты преодолены",
            recommendations=recommendations if self.profile.requires_recommendations else "",
            prolonged_until=prolonged_until,
        )
        yield Step(conclusions, self.profile.conclusions_by, "conclusions")
        recorded = self._route().conclusions
        assert recorded is not None
        for role in list(recorded.awaiting):
            yield Step(SignConclusions(), role, f"sign-{role}")
        yield Step(AcknowledgeConclusions(), Role.TEACHER, "conclusions-ack")
        if self.profile.requires_certificate and prolonged_until is None:
            number = f"ИОМ-{self.profile.id.upper()}-{self.index:05d}"
            yield Step(
                IssueCertificate(number=number, issued_on=ends_on), Role.CENTRE_HEAD, "certificate"
            )


def demo_routes(app: Routes, region: str, count: int, *, seed: int, first: int) -> list[DemoRoute]:
    """The demo routes `first`, `first + 1`, … of `region`, their content drawn in turn from
    one generator seeded with the region and `seed` (drive them in that order)."""
    profile = app.profiles.latest(region)
    rng = random.Random(f"{region}:{seed}")
    today = app.clock().date()
    return [DemoRoute(app, profile, index, rng, today) for index in range(first, first + count)]


def write_demo(
    app: Routes,
    region: str,
    count: int,
    *,
    seed: int = 0,
    until: Stage = Stage.COMPLETED,
    first: int = 1,
    advance: Callable[[], None] = lambda: None,
) -> list[UUID]:
    """Write `count` demo routes of `region`, each driven up to `until` (calling `advance`
    after each); their ids."""
    written = []
    for demo in demo_routes(app, region, count, seed=seed, first=first):
        written.append(demo.drive(until))
        advance()
    return written


async def write_demo_through(
    gateway: RouteGateway,
    region: str,
    count: int,
    *,
    seed: int = 0,
    until: Stage = Stage.COMPLETED,
    first: int = 1,
    advance: Callable[[], None] = lambda: None,
) -> list[UUID]:
    """Write `count` demo routes of `region` through their workflows, one after another, each
    driven up to `until` (see `DemoRoute.drive_through`; `advance` called after each); their
    ids."""
    written = []
    for demo in demo_routes(gateway.routes, region, count, seed=seed, first=first):
        written.append(await demo.drive_through(gateway, until))
        advance()
    return written
