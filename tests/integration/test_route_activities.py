"""The route workflow's activities on both stores, run as Temporal runs them (the SDK's
`ActivityEnvironment`): a retry after a crash — the attempt saved, its answer lost — appends
nothing twice and hands back the same notice, so the workflow can still deliver it."""

from __future__ import annotations

import dataclasses
import random
import threading
from datetime import UTC, datetime, timedelta
from functools import partial

import pytest
from temporalio.exceptions import ApplicationError
from temporalio.testing import ActivityEnvironment

from activities.notify import EmailChannel, WebhookChannel
from activities.routes import RouteActivities
from aggregates.application import Routes
from aggregates.commands import AgreeRoute, SubmitRoute
from aggregates.commands.base import add_months
from aggregates.events import NoticeSent
from aggregates.profiles import ProfileCatalogue, Stage, load_profiles
from aggregates.values import Role
from projections.refusals import query_refusals, record_refused
from projections.tables import Filters
from projections.view import transaction_on
from tests.integration.test_notify import MAIL_TO, notice
from tests.support.servers import Receiver, Smtp
from workers.demo import DemoRoute
from workflows.contracts import (
    CommandInput,
    CommandRequest,
    Delivery,
    Execution,
    Firing,
    RouteInput,
)

NOW = datetime(2026, 3, 2, 6, 0, tzinfo=UTC)


@pytest.fixture
def routes(store: dict[str, str]) -> Routes:
    return Routes(store, profiles=ProfileCatalogue(load_profiles()), clock=lambda: NOW)


def activity_env(at: datetime) -> ActivityEnvironment:
    env = ActivityEnvironment()
    env.info = dataclasses.replace(
        env.info, current_attempt_scheduled_time=at, workflow_id="route-x"
    )
    return env


def test_retried_activities_append_once(routes: Routes, receiver: Receiver) -> None:
    profile = routes.profiles.latest("chelyabinsk")
    demo = DemoRoute(routes, profile, 1, random.Random(1), NOW.date())
    route_id = demo.drive(until=Stage.DESIGN)
    starts = NOW.date() + timedelta(days=10)
    plan = demo.plan(starts, add_months(starts, 6) - timedelta(days=1))
    handlers = RouteActivities(
        routes,
        {"webhook": WebhookChannel(receiver.url, b"secret")},
        partial(record_refused, routes),
    )
    env = activity_env(NOW)

    sent = CommandRequest(
        actor_id=demo.actor(Role.TEACHER).id,
        role="teacher",
        command_id="design-1",
        payload={"plan": plan.model_dump(mode="json")},
    )
    execution = Execution(
        route_id=route_id,
        request=CommandInput.decode("design_route", sent),
        causation_id="route-x/run/update:design_route",
    )
    first = env.run(handlers.execute_command, execution)
    again = env.run(handlers.execute_command, execution)
    assert (first.replayed, again.replayed, first.version) == (False, True, again.version)
    assert [type(e).__name__ for e in routes.history(route_id)].count("RouteDesigned") == 1
    assert routes.history(route_id)[-1].causation_id == execution.causation_id

    demo.run(SubmitRoute(), Role.TEACHER, "submit")
    view = env.run(handlers.load_route, RouteInput(route_id=route_id))
    key = view.timers[0].key
    firing = Firing(route_id=route_id, key=key, causation_id="route-x/run/timer")
    fired = env.run(handlers.fire_timer, firing)
    refired = env.run(handlers.fire_timer, firing)
    assert fired.notice is not None and refired.notice == fired.notice
    # The notice names who holds each recipient's role on the route: the teacher, the methodist.
    route = routes.route(route_id)
    held = {"teacher": route.teacher_id, "methodist": route.methodist_id}
    assert fired.notice.assignees == {r: held[r] for r in fired.notice.recipients}
    assert refired.replayed and fired.channels == ["webhook"]
    assert sum(isinstance(e, NoticeSent) for e in routes.history(route_id)) == 1
    assert key not in {t.key for t in refired.view.timers}
    # Delivered on the channel, with its stable delivery id.
    env.run(handlers.deliver_notice, Delivery(channel="webhook", notice=fired.notice))
    assert receiver.requests[0].headers["X-IOM-Delivery"] == fired.notice.id
    with pytest.raises(ApplicationError, match="not configured") as unknown:
        env.run(handlers.deliver_notice, Delivery(channel="email", notice=fired.notice))
    assert unknown.value.non_retryable


def test_a_delivery_under_way_ends_its_session_when_cancelled(routes: Routes, smtp: Smtp) -> None:
    """The worker shutting down cancels its running activities. A delivery under way finishes
    (the message handed over, the session ended) rather than taking the cancellation in its
    thread at whatever line it is on, which leaves sockets and half-sent sessions behind."""
    handlers = RouteActivities(
        routes,
        {"email": EmailChannel(smtp.url, "iom@cnppm.example", MAIL_TO)},
        partial(record_refused, routes),
    )
    env = activity_env(NOW)
    outcome: list[object] = []

    def deliver() -> None:
        try:
            outcome.append(
                env.run(handlers.deliver_notice, Delivery(channel="email", notice=notice()))
            )
        except BaseException as error:  # what the cancellation made of the delivery
            outcome.append(error)

    smtp.collector.hold()
    thread = threading.Thread(target=deliver)
    thread.start()
    assert smtp.collector.holding.wait(10), "the message never reached DATA"
    env.cancel()  # as on a worker's shutdown
    smtp.collector.release.set()
    thread.join(30)
    assert outcome == [None]
    assert len(smtp.collector.envelopes) == 1


def test_refusals_are_recorded_and_not_retried(routes: Routes) -> None:
    profile = routes.profiles.latest("sakha")
    demo = DemoRoute(routes, profile, 2, random.Random(2), NOW.date())
    route_id = demo.drive(until=Stage.DESIGN)
    handlers = RouteActivities(routes, {}, partial(record_refused, routes))
    env = activity_env(NOW)
    sent = CommandRequest(actor_id="teacher-x", role="teacher", command_id="submit-x")
    bad = Execution(
        route_id=route_id, request=CommandInput.decode("submit_route", sent), causation_id="c"
    )
    with pytest.raises(ApplicationError) as refused:
        env.run(handlers.execute_command, bad)
    assert refused.value.non_retryable and refused.value.type == "role"
    assert refused.value.details[0] == {
        "kind": "role",
        "rule": "own_route",
        "field": None,
        "message": "педагог действует только по своему ИОМ",
    }
    # An activity task an older run scheduled carries the request as it was sent, its name
    # beside it: decoded as the workflow now decodes it, and refused on record the same way.
    older = {
        "route_id": str(route_id),
        "name": "submit_route",
        "request": sent.model_copy(update={"command_id": "submit-y"}).model_dump(mode="json"),
        "causation_id": "c",
    }
    with pytest.raises(ApplicationError) as again:
        env.run(handlers.execute_command, Execution.model_validate(older))
    assert again.value.details[0]["rule"] == "own_route"
    datastore = getattr(routes.recorder, "datastore")  # noqa: B009
    with transaction_on(datastore, commit=False) as db:
        rows = query_refusals(db, Filters(route_id=demo.route_id), None)
    assert {(row["command_id"], row["rule"], row["field"]) for row in rows} == {
        ("submit-x", "own_route", None),
        ("submit-y", "own_route", None),
    }


def test_a_breach_of_separation_of_duties_is_refused_and_recorded(routes: Routes) -> None:
    """The methodist's own id answering as the centre head (Sakha, ИОМ 3.4): refused for good
    under `separation_of_duties`, in Russian naming both places, and kept in the ledger."""
    demo = DemoRoute(routes, routes.profiles.latest("sakha"), 3, random.Random(3), NOW.date())
    route_id = demo.drive(until=Stage.AGREEMENT)
    plan_hash = routes.route(route_id).plan_hash
    for role in (Role.METHODIST, Role.TEACHER):
        demo.run(AgreeRoute(plan_hash=plan_hash or ""), role, f"agree-{role}")
    handlers = RouteActivities(routes, {}, partial(record_refused, routes))
    sent = CommandRequest(
        actor_id=demo.actor(Role.METHODIST).id,
        role="centre_head",
        command_id="agree-as-centre-head",
        payload={"plan_hash": plan_hash},
    )
    breach = Execution(
        route_id=route_id, request=CommandInput.decode("agree_route", sent), causation_id="c"
    )
    version = routes.route(route_id).version
    with pytest.raises(ApplicationError) as refused:
        activity_env(NOW).run(handlers.execute_command, breach)
    assert refused.value.non_retryable and refused.value.type == "separation_of_duties"
    details = refused.value.details[0]
    assert details["rule"] == "separation_of_duties"
    assert "«методист» и «руководитель ЦНППМ»" in str(refused.value)
    assert "ИОМ 3.4" in str(refused.value)
    assert routes.route(route_id).version == version
    datastore = getattr(routes.recorder, "datastore")  # noqa: B009
    with transaction_on(datastore, commit=False) as db:
        rows = query_refusals(db, Filters(route_id=route_id), None)
    assert [(r["command_id"], r["rule"], r["role"], r["actor_id"]) for r in rows] == [
        ("agree-as-centre-head", "separation_of_duties", "centre_head", "methodist-sakha-01")
    ]
