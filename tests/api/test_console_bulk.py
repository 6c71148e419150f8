"""The console's bulk operations and workflow incidents over HTTP, on the real stack
(PostgreSQL, the Temporal dev server, a worker in process) with demo routes: an operator
composes a pause of the region's routes in agreement, previews it (nothing written), runs it
(a double submit starts one operation), follows its progress to the end and reads its report
(each route linked, a refusal with its rule, the CSV); a terminated route workflow is listed
among the incidents and repaired by its button, the rest by the button repairing them all.
Every run is a form with the session's CSRF token; another region's operations and incidents
are never shown; a teacher's or a methodist's session is refused."""

from __future__ import annotations

import csv
import io
import random
import re
from datetime import date, timedelta
from uuid import UUID

import httpx
from fastapi import FastAPI

from aggregates.operation import command_id
from aggregates.profiles import STAGE_TITLES, Stage
from aggregates.values import ROLE_TITLES, Role
from api.app import create_app
from api.auth import TokenVerifier
from api.console import POLICY
from api.idempotency import IdempotencyStore
from api.services import Services
from projections.catalog import catch_up
from projections.selection import RouteQuery
from runtime.operations import BulkRequest, OperationDesk
from tests.api.conftest import serving
from tests.api.support import Portal
from tests.api.test_console import signed_in
from tests.support.waiting import until
from tests.workflows.conftest import Stack
from tests.workflows.test_operators import events_named
from tests.workflows.test_ops import submitted_route
from workers.demo import DemoRoute, write_demo

PAUSE = {
    "action": "pause",
    "stage": "agreement",
    "reason": "Каникулы педагогов",
    "ticket": "OPS-70",
}


def stack_app(stack: Stack, portal: Portal) -> FastAPI:
    """The API with its console on the stack, serving bulk operations."""
    answers = IdempotencyStore(stack.routes)
    answers.create_table()
    verifier = TokenVerifier.from_settings(portal.settings())
    services = Services(stack.routes, stack.gateway, verifier, answers, operations=stack.operations)
    return create_app(portal.settings(), services)


def hidden(html: str) -> dict[str, str]:
    """The hidden fields of the page's run form."""
    form = html[html.index('<form method="post" action="/console/bulk"') :]
    form = form[: form.index("</form>")]
    return dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">', form))


def strict(answer: httpx.Response) -> None:
    """A console page under the policy: no script or style inline (a script only as a file)."""
    assert answer.headers["content-security-policy"] == POLICY
    html = answer.text
    assert "<style" not in html and "style=" not in html
    assert re.findall(r"<script[^>]*>", html) in (
        [],
        ['<script src="/console/static/progress.js" defer>'],
    )


async def finished(client: httpx.AsyncClient, page: str) -> str:
    """The operation's page once it has no route left."""
    found = ""

    async def ended() -> bool:
        nonlocal found
        answer = await client.get(page)
        assert answer.status_code == 200, answer.text
        strict(answer)
        found = answer.text
        return "data-refresh" not in found

    await until(ended, 90)
    return found


async def test_an_operator_previews_runs_and_reads_the_report(
    dev_stack: Stack, portal: Portal
) -> None:
    stack = dev_stack
    running = [(await submitted_route(stack, index))[1] for index in (101, 102)]
    # Demo routes in the store without a workflow: the pause's signal is refused on each.
    (idle,) = write_demo(stack.routes, "sakha", 1, until=Stage.AGREEMENT, first=201)
    (theirs,) = write_demo(stack.routes, "balakhta", 1, until=Stage.AGREEMENT, first=202)
    catch_up(stack.routes, "monitoring")
    mine = sorted([*running, idle], key=str)

    async with serving(stack_app(stack, portal)) as client:
        csrf = await signed_in(client, portal.token(Role.OPERATOR, "operator-sakha"))
        listing = await client.get("/console/bulk")
        assert listing.status_code == 200, listing.text
        assert (
            'href="/console/bulk"' in listing.text and 'href="/console/incidents"' in listing.text
        )
        assert "Массовых операций в регионе ещё не было." in listing.text
        strict(listing)
        assert 'href="/console/bulk"' in (await client.get("/console/operations")).text

        form = await client.get("/console/bulk/new", params={"action": "extend_deadline"})
        for label in ("Новый срок", "Срок (ключ", "Причина", "Заявка", "Этап ИОМ"):
            assert label in form.text
        strict(form)
        bad = await client.get(
            "/console/bulk/preview",
            params=PAUSE | {"action": "extend_deadline", "param.deadline": "a", "param.until": "x"},
        )
        assert bad.status_code == 422
        assert "поле «params.until»" in bad.text  # named, and the form filled again
        assert 'value="Каникулы педагогов"' in bad.text
        blank = await client.get("/console/bulk/preview", params=PAUSE | {"reason": " "})
        assert blank.status_code == 422 and "поле «reason»" in blank.text
        stranger = await client.get(
            "/console/bulk/preview", params={**PAUSE, "stage": "", "route_ids": str(theirs)}
        )
        assert stranger.status_code == 403
        assert f"ИОМ {theirs} не из региона оператора" in stranger.text

        named = ", ".join(str(r) for r in running)  # a list of routes
        chosen = await client.get(
            "/console/bulk/preview", params={**PAUSE, "stage": "", "route_ids": named}
        )
        assert "ИОМ под фильтром: 2." in chosen.text
        assert hidden(chosen.text)["route_ids"] == " ".join(map(str, running))
        both = await client.get("/console/bulk/preview", params=PAUSE | {"route_ids": named})
        assert both.status_code == 422 and "не сочетается с фильтрами" in both.text

        preview = await client.get("/console/bulk/preview", params=PAUSE)
        assert preview.status_code == 200, preview.text
        assert "ИОМ под фильтром: 3." in preview.text
        strict(preview)
        assert preview.text.count("<td>будет применено</td>") == 3  # the store decides alone
        for route_id in mine:
            assert f'href="/console/routes/{route_id}"' in preview.text
        assert str(theirs) not in preview.text
        assert stack.operations.all() == []  # a preview writes nothing
        run = hidden(preview.text)
        assert run["csrf"] == csrf and UUID(run["key"]) and run["stage"] == "agreement"

        refused = await client.post(
            "/console/bulk", data={k: v for k, v in run.items() if k != "csrf"}
        )
        assert refused.status_code == 403
        assert stack.operations.all() == []
        started = await client.post("/console/bulk", data=run)
        assert started.status_code == 303, started.text
        page = started.headers["location"]
        again = await client.post("/console/bulk", data=run)  # a double submit
        assert again.headers["location"] == page
        (operation,) = stack.operations.all()
        assert page == f"/console/bulk/{operation.id}"

        shown = await finished(client, page)
        assert "Завершена: применено 2, отклонено 1, пропущено 0, осталось 0 из 3." in shown
        for route_id in mine:
            assert f'<a href="/console/routes/{route_id}">{route_id}</a>' in shown
        for route_id in running:
            paused = events_named(stack, route_id, "RoutePaused")
            assert [e.command_id for e in paused] == [command_id(operation.id, route_id)]
        refusal = re.search(r'<tr class="refused">(.*?)</tr>', shown, re.S)
        assert refusal is not None and str(idle) in refusal.group(1)
        assert "(правило " in refusal.group(1)

        report = await client.get(f"{page}/report.csv")
        assert report.headers["content-disposition"].endswith(f'operation-{operation.id}.csv"')
        rows = list(csv.reader(io.StringIO(report.content.decode("utf-8-sig")), delimiter=";"))
        assert rows[0] == ["ИОМ", "итог", "версия", "правило", "поле", "причина"]
        assert {UUID(r[0]): r[1] for r in rows[1:]} == {
            running[0]: "применено",
            running[1]: "применено",
            idle: "отклонено",
        }

        listing = await client.get("/console/bulk")
        assert f'href="/console/bulk/{operation.id}"' in listing.text
        assert "OPS-70" in listing.text and "Приостановка ИОМ" in listing.text

        # Another region's operation: never listed, its page and its report not found.
        desk = OperationDesk(stack.gateway, stack.operations)
        elsewhere = BulkRequest(
            action="pause",
            query=RouteQuery(region="balakhta", route_ids=[theirs]),
            operator_id="operator-balakhta",
            reason="Каникулы",
            ticket="OPS-71",
        )
        other = await desk.run(UUID(int=71), elsewhere)
        assert str(other.id) not in (await client.get("/console/bulk")).text
        assert (await client.get(f"/console/bulk/{other.id}")).status_code == 404
        assert (await client.get(f"/console/bulk/{other.id}/report.csv")).status_code == 404


async def test_incidents_listed_and_repaired_from_the_page(
    dev_stack: Stack, portal: Portal
) -> None:
    stack = dev_stack
    _, terminated = await submitted_route(stack, 111)
    _, healthy = await submitted_route(stack, 112)
    await stack.env.client.get_workflow_handle(f"route-{terminated}").terminate(reason="сбой узла")
    (idle,) = write_demo(stack.routes, "sakha", 1, until=Stage.AGREEMENT, first=211)
    (theirs,) = write_demo(stack.routes, "balakhta", 1, until=Stage.AGREEMENT, first=212)
    catch_up(stack.routes, "monitoring")  # the list reads the routes open and closed there
    desk = OperationDesk(stack.gateway, stack.operations)

    async def listed() -> bool:
        return {i.route_id for i in await desk.incidents()} == {terminated, idle, theirs}

    await until(listed, 60)

    async with serving(stack_app(stack, portal)) as client:
        csrf = await signed_in(client, portal.token(Role.OPERATOR, "operator-sakha"))
        page = await client.get("/console/incidents")
        assert page.status_code == 200, page.text
        strict(page)
        assert "процесс прерван" in page.text and "сбой узла" in page.text
        assert "процесс не выполняется" in page.text
        assert str(idle) in page.text and str(healthy) not in page.text
        assert str(theirs) not in page.text  # another region's
        key = re.search(r'name="key" value="([^"]+)"', page.text)
        assert key is not None
        fields = {"csrf": csrf, "key": key.group(1), "reason": "Сбой узла", "ticket": "OPS-72"}
        one = f"/console/incidents/{terminated}/repair"
        assert f'formaction="{one}"' in page.text

        assert (await client.post(one, data=fields | {"csrf": ""})).status_code == 403
        assert stack.operations.all() == []
        blank = await client.post(one, data=fields | {"ticket": ""})
        assert blank.status_code == 422 and "поле «ticket»" in blank.text
        assert stack.operations.all() == []
        foreign = await client.post(f"/console/incidents/{theirs}/repair", data=fields)
        assert foreign.status_code == 422 and "не из региона оператора" in foreign.text

        repaired = await client.post(one, data=fields)
        assert repaired.status_code == 303, repaired.text
        shown = await finished(client, repaired.headers["location"])
        assert "Восстановление процесса ИОМ" in shown
        assert "Завершена: применено 1, отклонено 0, пропущено 0, осталось 0 из 1." in shown

        async def mended() -> bool:
            return {i.route_id for i in await desk.incidents()} == {idle, theirs}

        await until(mended, 60)
        page = await client.get("/console/incidents")
        assert str(terminated) not in page.text and str(idle) in page.text

        everything = await client.post("/console/incidents/repair", data=fields)
        assert everything.status_code == 303
        shown = await finished(client, everything.headers["location"])
        assert "Завершена: применено 1, отклонено 0, пропущено 0, осталось 0 из 1." in shown
        assert str(idle) in shown and str(theirs) not in shown

        await until(lambda: only(desk, theirs), 60)
        page = await client.get("/console/incidents")
        assert "Сломанных процессов ИОМ в регионе нет." in page.text
        nothing = await client.post("/console/incidents/repair", data=fields)
        assert nothing.headers["location"] == "/console/incidents?done=none"


async def only(desk: OperationDesk, route_id: UUID) -> bool:
    """Whether `route_id` is the one broken route workflow left."""
    return [i.route_id for i in await desk.incidents()] == [route_id]


async def test_a_teacher_or_a_methodist_is_refused(dev_stack: Stack, portal: Portal) -> None:
    async with serving(stack_app(dev_stack, portal)) as client:
        for token in (
            portal.token(Role.METHODIST, "methodist-sakha-01"),
            portal.token(Role.TEACHER, "teacher-sakha-00001", teacher_id="teacher-sakha-00001"),
        ):
            csrf = await signed_in(client, token)
            routes = await client.get("/console/routes")
            assert 'href="/console/bulk"' not in routes.text
            assert 'href="/console/incidents"' not in routes.text
            for path in ("/console/bulk", "/console/bulk/new", "/console/incidents"):
                refused = await client.get(path)
                assert refused.status_code == 403, path
                assert "массовые операции выполняет оператор" in refused.text
            ran = await client.post("/console/bulk", data={"csrf": csrf, **PAUSE, "key": "k"})
            assert ran.status_code == 403
        assert dev_stack.operations.all() == []


async def test_stuck_routes_listed_with_the_way_to_an_action(
    dev_stack: Stack, portal: Portal
) -> None:
    stack = dev_stack
    _, waiting = await submitted_route(stack, 131)
    balakhta = stack.routes.profiles.latest("balakhta")
    demo = DemoRoute(stack.routes, balakhta, 231, random.Random(231), date.today())
    theirs = demo.drive(Stage.AGREEMENT)
    assert await stack.gateway.start(theirs)

    async def published() -> bool:  # each workflow publishes whom it waits on, and since when
        return {str(waiting), str(theirs)} <= {
            route.route_id for route in await stack.gateway.stuck(timedelta(0))
        }

    await until(published, 60)
    (mine,) = [r for r in await stack.gateway.stuck(timedelta(0)) if r.route_id == str(waiting)]

    async with serving(stack_app(stack, portal)) as client:
        await signed_in(client, portal.token(Role.OPERATOR, "operator-sakha"))
        page = await client.get("/console/incidents", params={"days": "0"})
        assert page.status_code == 200, page.text
        strict(page)
        assert "Ждут дольше 0 дн.: 1" in page.text
        assert f'href="/console/bulk/new?route_ids={waiting}"' in page.text
        assert str(theirs) not in page.text  # another region's
        assert STAGE_TITLES[Stage.AGREEMENT] in page.text
        assert mine.waiting_on and all(ROLE_TITLES[Role(r)] in page.text for r in mine.waiting_on)

        usual = await client.get("/console/incidents")  # 14 days: nobody has waited that long
        assert str(waiting) not in usual.text and "ждущих дольше 14 дн." in usual.text
        wrong = await client.get("/console/incidents", params={"days": "много"})
        assert wrong.status_code == 422 and "поле «days»" in wrong.text
        form = await client.get("/console/bulk/new", params={"route_ids": str(waiting)})
        assert form.status_code == 200 and "ИОМ по перечню: 1." in form.text
        chosen = await client.get(  # the action chosen, the routes still there
            "/console/bulk/new", params={"route_ids": str(waiting), "action": "extend_deadline"}
        )
        assert chosen.status_code == 200 and f'value="{waiting}"' in chosen.text
