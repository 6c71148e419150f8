"""The operators' page of the console, in process over the demo region: the projections' lag
and the region's parked routes (another region's never shown), a parked route applied again by
its button once the cause is fixed, a webhook delivery given up on and sent again by its
button; every action a form with the session's CSRF token; none of it for a methodist."""

from __future__ import annotations

import re
from typing import Any

import httpx
import pytest

from aggregates import events as ev
from aggregates.summaries import describe
from aggregates.values import Role
from api.console.operations import DONE
from projections import audit
from projections.catalog import catch_up, statuses
from projections.subscriptions import Subscriptions
from projections.webhooks import FAILED, PENDING
from tests.api.conftest import Region
from tests.api.support import Portal
from tests.api.test_console import signed_in
from tests.integration.test_projection_incidents import reassign, record_at_store


def forms(html: str) -> list[str]:
    """The actions of the page's forms that change something (sign-out left out)."""
    return [
        a for a in re.findall(r'<form method="post" action="([^"]+)"', html) if "logout" not in a
    ]


async def test_the_operator_applies_a_parked_route_again(
    region: Region, portal: Portal, monkeypatch: pytest.MonkeyPatch
) -> None:
    routes, client = region.routes, region.client
    mine, theirs = region.sakha[0], region.balakhta[0]
    for route_id in (mine, theirs):
        record_at_store(routes, route_id, "Промежуточный итог")
    real = describe

    def broken(event: Any, profile: Any) -> str:
        if isinstance(event, ev.InterimResultRecorded):
            raise ValueError("описание не построено")
        return real(event, profile)

    monkeypatch.setattr(audit, "describe", broken)
    catch_up(routes, "audit")
    csrf = await signed_in(client, portal.token(Role.OPERATOR, "operator-1"))

    page = await client.get("/console/operations")
    assert page.status_code == 200, page.text
    assert 'href="/console/operations"' in page.text
    head = routes.recorder.max_notification_id()
    for status in statuses(routes):
        assert f'<td class="number">{status.position}</td>' in page.text
        assert status.head == head
    assert str(mine) in page.text and "ValueError: описание не построено" in page.text
    assert str(theirs) not in page.text  # another region's route
    retry = f"/console/operations/projections/{mine}/retry"
    assert forms(page.text) == [retry]

    assert (await client.post(retry)).status_code == 403  # no CSRF token
    still = await client.post(retry, data={"csrf": csrf})
    assert (still.status_code, still.headers["location"]) == (
        303,
        "/console/operations?done=failed",
    )
    elsewhere = f"/console/operations/projections/{theirs}/retry"
    assert (await client.post(elsewhere, data={"csrf": csrf})).status_code == 404

    monkeypatch.setattr(audit, "describe", real)  # the fix
    done = await client.post(retry, data={"csrf": csrf})
    assert done.headers["location"] == "/console/operations?done=applied"
    after = await client.get(done.headers["location"])
    assert DONE["applied"] in after.text
    assert str(mine) not in after.text
    assert [i.route_id for s in statuses(routes) for i in s.incidents] == [str(theirs)]


async def test_the_operator_sends_a_delivery_given_up_on_again(
    region: Region, portal: Portal
) -> None:
    routes, client = region.routes, region.client
    subscriptions = Subscriptions(routes)
    hook = subscriptions.register(
        "sakha", "http://127.0.0.1:9/hook", "s" * 32, ["MethodistAssigned"], "operator-1"
    )
    other = subscriptions.register(
        "balakhta", "http://127.0.0.1:9/other", "s" * 32, ["MethodistAssigned"], "operator-2"
    )
    reassign(routes, region.sakha[1], "methodist-sakha-97")
    reassign(routes, region.balakhta[1], "methodist-balakhta-97")
    catch_up(routes, "webhooks")
    (delivery,) = subscriptions.deliveries(hook["subscription_id"], PENDING, 10)
    (theirs,) = subscriptions.deliveries(other["subscription_id"], PENDING, 10)
    for given_up in (delivery, theirs):
        subscriptions.attempt_failed(given_up["delivery_id"], "ConnectError: отказ", None, None)
    csrf = await signed_in(client, portal.token(Role.CENTRE_HEAD, "head-1"))

    page = await client.get("/console/operations")
    assert "http://127.0.0.1:9/hook" in page.text and "ConnectError: отказ" in page.text
    assert "http://127.0.0.1:9/other" not in page.text
    again = (
        f"/console/operations/webhooks/{hook['subscription_id']}"
        f"/deliveries/{delivery['delivery_id']}/redeliver"
    )
    assert forms(page.text) == [again]
    answer = await client.post(again, data={"csrf": csrf})
    assert answer.headers["location"] == "/console/operations?done=redelivered"
    (sent,) = subscriptions.deliveries(hook["subscription_id"], None, 10)
    assert (sent["status"], sent["attempts"]) == (PENDING, 0)

    foreign = (
        f"/console/operations/webhooks/{other['subscription_id']}"
        f"/deliveries/{theirs['delivery_id']}/redeliver"
    )
    refused = await client.post(foreign, data={"csrf": csrf})
    assert refused.headers["location"] == "/console/operations?done=missing"
    (kept,) = subscriptions.deliveries(other["subscription_id"], None, 10)
    assert kept["status"] == FAILED


async def test_the_page_is_the_operators_and_the_centre_heads(
    region: Region, portal: Portal
) -> None:
    client: httpx.AsyncClient = region.client
    await signed_in(client, portal.token(Role.METHODIST, "methodist-sakha-01"))
    assert 'href="/console/operations"' not in (await client.get("/console/routes")).text
    page = await client.get("/console/operations")
    assert page.status_code == 403
    assert "страница операций доступна оператору и руководителю ЦНППМ" in page.text
