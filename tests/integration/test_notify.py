"""The notice channels against real local servers: an HTTP receiver that checks signatures and
answers the status it is told, and an SMTP server (aiosmtpd) that collects what it is sent."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from datetime import UTC, date, datetime
from typing import Any
from uuid import UUID

import pytest
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session

from activities.notify import (
    DeliveryError,
    EmailChannel,
    PermanentDeliveryError,
    WebhookChannel,
    build_channels,
    sign,
    verify,
)
from tests.support.servers import Receiver, Smtp, free_port, start_smtp
from workflows.contracts import Notice

SECRET = b"s3cret-shared-with-the-portal"
SUBJECT = "Напоминание: срок согласования ИОМ истекает 01.12.2026"
TEXT = (
    "Индивидуальный образовательный маршрут педагога ожидает вашего согласования.\n"
    "Срок согласования истекает 01.12.2026. Откройте маршрут на портале ЦНППМ."
)
MAIL_TO = "{role}.{region}@cnppm.example"
ROUTE_ID = UUID("0b6f4c1e-5d2a-4e8b-9c3f-7a1d2e3f4a5b")


def notice(**changes: Any) -> Notice:
    """A reminder to the methodist and the deputy head, with `changes`."""
    fields: dict[str, Any] = {
        "id": "route-0b6f4c1e:a1:methodist:reminder:1",
        "route_id": ROUTE_ID,
        "key": "a1:methodist:reminder",
        "kind": "agreement_reminder",
        "profile_id": "sakha",
        "municipality_id": "yakutsk",
        "school_id": "school-17",
        "teacher_id": "t-4821",
        "methodist_id": "m-0042",
        "recipients": ["methodist", "deputy_head"],
        "due_on": date(2026, 12, 1),
        "subject": SUBJECT,
        "text": TEXT,
        "created_at": datetime(2026, 11, 28, 6, 0, tzinfo=UTC),
    }
    return Notice(**(fields | changes))


def test_webhook_delivers_a_signed_notice(receiver: Receiver) -> None:
    sent = notice()
    before = int(time.time())
    WebhookChannel(receiver.url, SECRET).send(sent)

    [request] = receiver.requests
    assert request.path == "/iom/notices"
    assert Notice.model_validate_json(request.body) == sent
    assert json.loads(request.body)["subject"] == SUBJECT
    headers = request.headers
    assert headers["Content-Type"] == "application/json"
    assert headers["User-Agent"] == "iom-engine"
    assert headers["X-IOM-Delivery"] == sent.id
    assert headers["X-IOM-Event"] == "agreement_reminder"
    stamp = headers["X-IOM-Timestamp"]
    assert before <= int(stamp) <= time.time()
    signature = headers["X-IOM-Signature"]
    assert signature.startswith("v1=") and len(signature) == 3 + 64
    assert signature == sign(SECRET, stamp, request.body)

    now = time.time()
    assert verify(SECRET, stamp, request.body, signature, now=now)
    changed = request.body.replace(b"01.12.2026", b"01.12.2027")
    assert changed != request.body
    assert not verify(SECRET, stamp, changed, signature, now=now)
    assert not verify(b"another-secret", stamp, request.body, signature, now=now)
    assert not verify(SECRET, stamp, request.body, signature, now=int(stamp) + 301)
    assert not verify(SECRET, stamp, request.body, signature, now=int(stamp) - 301)
    assert verify(SECRET, stamp, request.body, signature, now=int(stamp) + 300)
    assert not verify(SECRET, str(int(stamp) + 1), request.body, signature, now=now)
    assert not verify(SECRET, "yesterday", request.body, signature, now=now)
    assert not verify(SECRET, stamp, request.body, "v1=" + "0" * 64, now=now)
    assert not verify(SECRET, stamp, request.body, "v1=ключ", now=now)


def test_webhook_retries_after_a_server_error(receiver: Receiver) -> None:
    channel = WebhookChannel(receiver.url, SECRET)
    receiver.answer(500)
    with pytest.raises(DeliveryError) as failed:
        channel.send(notice())
    assert not isinstance(failed.value, PermanentDeliveryError)
    assert "500" in str(failed.value) and receiver.url in str(failed.value)

    channel.send(notice())  # the retry: answered 200
    first, retry = receiver.requests
    assert first.headers["X-IOM-Delivery"] == retry.headers["X-IOM-Delivery"]


@pytest.mark.parametrize("status", [408, 425, 429, 502, 503])
def test_webhook_temporary_statuses(receiver: Receiver, status: int) -> None:
    receiver.answer(status)
    with pytest.raises(DeliveryError) as failed:
        WebhookChannel(receiver.url, SECRET).send(notice())
    assert type(failed.value) is DeliveryError
    assert str(status) in str(failed.value)


@pytest.mark.parametrize("status", [400, 401, 403, 404, 410, 422])
def test_webhook_permanent_statuses(receiver: Receiver, status: int) -> None:
    receiver.answer(status)
    with pytest.raises(PermanentDeliveryError, match=f"HTTP {status}"):
        WebhookChannel(receiver.url, SECRET).send(notice())
    assert len(receiver.requests) == 1


def test_webhook_does_not_follow_a_redirect(receiver: Receiver) -> None:
    receiver.answer(302)
    with pytest.raises(PermanentDeliveryError, match=r"302.*elsewhere\.example/steal"):
        WebhookChannel(receiver.url, SECRET).send(notice())
    assert len(receiver.requests) == 1


def test_webhook_timeout_is_temporary(receiver: Receiver) -> None:
    receiver.delay = 0.5
    with pytest.raises(DeliveryError, match="timed out") as failed:
        WebhookChannel(receiver.url, SECRET, timeout=0.1).send(notice())
    assert type(failed.value) is DeliveryError


def test_webhook_closed_port_is_temporary() -> None:
    url = f"http://127.0.0.1:{free_port()}/iom/notices"
    with pytest.raises(DeliveryError) as failed:
        WebhookChannel(url, SECRET).send(notice())
    assert type(failed.value) is DeliveryError
    assert url in str(failed.value)


def test_webhook_url_is_checked_and_its_password_never_shown() -> None:
    with pytest.raises(ValueError, match="http"):
        WebhookChannel("ftp://portal.example/hook", SECRET)
    url = f"http://portal:hunter2@127.0.0.1:{free_port()}/hook"
    with pytest.raises(DeliveryError) as failed:
        WebhookChannel(url, SECRET).send(notice())
    assert "hunter2" not in str(failed.value)


# --- the SMTP server --------------------------------------------------------------------------


def test_email_reaches_each_role_with_russian_subject_and_footer(smtp: Smtp) -> None:
    sent = notice()
    EmailChannel(smtp.url, "iom@cnppm.example", MAIL_TO).send(sent)

    [envelope] = smtp.collector.envelopes
    assert envelope.mail_from == "iom@cnppm.example"
    assert envelope.rcpt_tos == ["methodist.sakha@cnppm.example", "deputy_head.sakha@cnppm.example"]
    raw = envelope.original_content
    assert raw is not None and raw.isascii()  # encoded, not 8-bit: any relay passes it on
    message = smtp.collector.message()
    assert message["Subject"] == SUBJECT
    assert message["From"] == "iom@cnppm.example"
    assert message["To"] == "methodist.sakha@cnppm.example, deputy_head.sakha@cnppm.example"
    assert message["Message-ID"] == "<route-0b6f4c1e%3Aa1%3Amethodist%3Areminder%3A1@iom-engine>"
    assert message["X-IOM-Delivery"] == sent.id
    assert message["Date"].datetime == sent.created_at
    assert message.get_content_type() == "text/plain"
    assert message.get_content_charset() == "utf-8"
    body = message.get_content()
    assert body == f"{TEXT}\n\nИОМ {ROUTE_ID}\nУведомление {sent.id}\n"
    assert "t-4821" not in raw.decode() and "m-0042" not in raw.decode()


def test_email_message_id_is_stable_per_notice(smtp: Smtp) -> None:
    channel = EmailChannel(smtp.url, "iom@cnppm.example", MAIL_TO)
    channel.send(notice())
    channel.send(notice())
    channel.send(notice(id="route-0b6f4c1e:a1:methodist:reminder:2"))
    first, again, other = (smtp.collector.message(i)["Message-ID"] for i in range(3))
    assert first == again != other


def test_email_template_fields_and_distinct_addresses(smtp: Smtp) -> None:
    template = "iom+{municipality}.{school}@{region}.cnppm.example"
    channel = EmailChannel(smtp.url, "iom@cnppm.example", template)
    channel.send(notice(recipients=["methodist", "deputy_head", "methodist"]))
    [envelope] = smtp.collector.envelopes
    assert envelope.rcpt_tos == ["iom+yakutsk.school-17@sakha.cnppm.example"]


def test_email_reaches_the_person_the_route_assigned(smtp: Smtp) -> None:
    channel = EmailChannel(smtp.url, "iom@cnppm.example", "{role}.{person}@cnppm.example")
    held = {"methodist": "m-0042", "deputy_head": "school-17"}
    channel.send(notice(assignees=held))
    channel.send(notice(id="calendar-1", route_id=None, school_id=None, recipients=["methodist"]))
    first, calendar = smtp.collector.envelopes
    assert first.rcpt_tos == [
        "methodist.m-0042@cnppm.example",
        "deputy_head.school-17@cnppm.example",
    ]
    assert calendar.rcpt_tos == ["methodist.sakha@cnppm.example"]  # no one named: the region


@pytest.mark.parametrize(
    "template",
    ["{role}.{teacher}@cnppm.example", "{role.upper}@cnppm.example", "{0}@cnppm.example"],
)
def test_email_unknown_placeholder_is_permanent(smtp: Smtp, template: str) -> None:
    with pytest.raises(PermanentDeliveryError, match="placeholder"):
        EmailChannel(smtp.url, "iom@cnppm.example", template).send(notice())
    assert smtp.collector.envelopes == []


def test_email_malformed_address_is_permanent(smtp: Smtp) -> None:
    channel = EmailChannel(smtp.url, "iom@cnppm.example", "{role}@cnppm.example")
    with pytest.raises(PermanentDeliveryError, match="malformed"):
        channel.send(notice(recipients=["methodist", "deputy head"]))
    assert smtp.collector.envelopes == []


def test_email_rejected_by_the_server_is_permanent(smtp: Smtp) -> None:
    smtp.collector.reply = "550 5.7.1 Message rejected by policy"
    with pytest.raises(PermanentDeliveryError, match=r"127\.0\.0\.1.*550"):
        EmailChannel(smtp.url, "iom@cnppm.example", MAIL_TO).send(notice())


def test_email_deferred_by_the_server_is_temporary(smtp: Smtp) -> None:
    smtp.collector.reply = "451 4.3.0 Try again later"
    with pytest.raises(DeliveryError, match="451") as failed:
        EmailChannel(smtp.url, "iom@cnppm.example", MAIL_TO).send(notice())
    assert type(failed.value) is DeliveryError


def test_email_closed_port_is_temporary() -> None:
    url = f"smtp://127.0.0.1:{free_port()}"
    with pytest.raises(DeliveryError, match=r"127\.0\.0\.1") as failed:
        EmailChannel(url, "iom@cnppm.example", MAIL_TO).send(notice())
    assert type(failed.value) is DeliveryError


@pytest.fixture
def smtp_with_login() -> Iterator[Smtp]:
    """An SMTP server that wants `cnppm@sakha` / `p@ss:word/1` (no TLS: a test bench)."""

    def authenticator(
        server: SMTP, session: Session, envelope: Envelope, mechanism: str, data: Any
    ) -> AuthResult:
        ok = isinstance(data, LoginPassword) and data == (b"cnppm@sakha", b"p@ss:word/1")
        return AuthResult(success=ok, handled=False)

    yield from start_smtp(authenticator=authenticator, auth_require_tls=False)


def test_email_logs_in_with_url_decoded_credentials(smtp_with_login: Smtp) -> None:
    port = smtp_with_login.controller.port
    good = f"smtp://cnppm%40sakha:p%40ss%3Aword%2F1@127.0.0.1:{port}"
    EmailChannel(good, "iom@cnppm.example", MAIL_TO).send(notice())
    assert len(smtp_with_login.collector.envelopes) == 1

    bad = f"smtp://cnppm%40sakha:wrong@127.0.0.1:{port}"
    with pytest.raises(PermanentDeliveryError, match="535") as failed:
        EmailChannel(bad, "iom@cnppm.example", MAIL_TO).send(notice())
    assert "wrong" not in str(failed.value)


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:25",
        "smtp://",
        "smtp://host:port",
        "smtps://host?starttls=1",
        "smtp://h?x=1",
    ],
)
def test_email_url_is_checked(url: str) -> None:
    with pytest.raises(ValueError, match="SMTP URL"):
        EmailChannel(url, "iom@cnppm.example", MAIL_TO)


# --- build_channels ---------------------------------------------------------------------------


def test_build_channels_combinations() -> None:
    common = {"mail_from": "iom@cnppm.example", "mail_to": MAIL_TO}
    assert build_channels(webhook_url=None, webhook_secret=None, smtp_url=None, **common) == {}

    both = build_channels(
        webhook_url="https://portal.example/iom/notices",
        webhook_secret="s3cret",
        smtp_url="smtps://user:pass@mail.example:465",
        **common,
    )
    assert set(both) == {"webhook", "email"}
    webhook, email = both["webhook"], both["email"]
    assert isinstance(webhook, WebhookChannel) and webhook.name == "webhook"
    assert webhook.secret == b"s3cret"
    assert isinstance(email, EmailChannel) and email.name == "email"
    assert email.server.implicit_tls and email.server.port == 465

    only_mail = build_channels(
        webhook_url=None, webhook_secret="unused", smtp_url="smtp://mail.example", **common
    )
    assert list(only_mail) == ["email"]
    only_hook = build_channels(
        webhook_url="http://127.0.0.1:9/x", webhook_secret="s", smtp_url=None, **common
    )
    assert list(only_hook) == ["webhook"]

    for secret in (None, ""):
        with pytest.raises(ValueError, match="IOM_WEBHOOK_SECRET is required"):
            build_channels(
                webhook_url="https://portal.example/iom/notices",
                webhook_secret=secret,
                smtp_url=None,
                **common,
            )
