"""The e-mail channel: one plain-text message per notice, to an address per recipient role.

The SMTP server is a URL: `smtp://host:port` (plain, `?starttls=1` to upgrade with STARTTLS) or
`smtps://host:port` (implicit TLS), with an optional URL-encoded `user:password@` to log in.
Addresses come from a template such as `{role}.{region}@cnppm.example`: the portal's role
mailboxes, never a person's address, and the message carries only what the notice carries.
`{person}` is who holds the recipient's role on the route (the task's assignee): the teacher's
or the methodist's id where the route knows them, else the school's or region's id, so that
`{role}.{person}@…` reaches the assigned person's mailbox on the portal.
The `Message-ID` is the notice's delivery id, so a re-delivery is recognisable.
"""

from __future__ import annotations

import re
import smtplib
import ssl
import string
from dataclasses import dataclass
from datetime import UTC
from email.message import EmailMessage
from email.utils import format_datetime
from typing import NoReturn
from urllib.parse import parse_qs, quote, unquote, urlsplit

from activities.notify.base import DeliveryError, PermanentDeliveryError
from workflows.contracts import Notice

PLACEHOLDERS = frozenset({"role", "person", "region", "school", "municipality"})
ADDRESS = re.compile(
    r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*"
    r"@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*"
)
"""A plain ASCII `local@domain`: no display name, comments, quoting or whitespace."""
MESSAGE_ID_SAFE = "!#$%&'*+-/=?^_`{|}~."
"""The punctuation kept as is in a Message-ID's left part (with ASCII letters and digits): the
atext of RFC 5322. Not the colon: Python's own parser cuts `<a:b@host>` short at it."""
TRUE = frozenset({"1", "true", "yes", "on"})


@dataclass(frozen=True)
class SmtpServer:
    """Where and how to submit: host, port, TLS mode and the optional login."""

    host: str
    port: int
    implicit_tls: bool
    starttls: bool
    user: str | None
    password: str | None

    @property
    def where(self) -> str:
        """`SMTP host:port`, for messages (never the login)."""
        return f"SMTP {self.host}:{self.port}"


def parse_smtp_url(url: str) -> SmtpServer:
    """Read `smtp[s]://[user:password@]host[:port][?starttls=1]`; `ValueError` if malformed."""
    parts = urlsplit(url)
    if parts.scheme not in ("smtp", "smtps") or not parts.hostname:
        raise ValueError("SMTP URL must be smtp://host:port or smtps://host:port")
    try:
        port = parts.port
    except ValueError as error:
        raise ValueError(f"SMTP URL has a bad port: {parts.hostname}") from error
    query = parse_qs(parts.query, keep_blank_values=True)
    if set(query) - {"starttls"}:
        raise ValueError(f"SMTP URL: unknown parameters {sorted(set(query) - {'starttls'})}")
    starttls = query.get("starttls", ["0"])[-1].lower() in TRUE
    implicit_tls = parts.scheme == "smtps"
    if implicit_tls and starttls:
        raise ValueError("SMTP URL: smtps:// is TLS already, drop ?starttls")
    return SmtpServer(
        host=parts.hostname,
        port=port or (465 if implicit_tls else 25),
        implicit_tls=implicit_tls,
        starttls=starttls,
        user=unquote(parts.username) if parts.username is not None else None,
        password=unquote(parts.password) if parts.password is not None else None,
    )


def check_address(address: str, what: str) -> str:
    """`address` if it is a plain `local@domain`, else `PermanentDeliveryError`."""
    if not ADDRESS.fullmatch(address):
        raise PermanentDeliveryError(f"malformed {what} address {address!r}")
    return address


def check_template(template: str) -> set[str]:
    """The template's placeholders; `PermanentDeliveryError` unless all are known ones."""
    try:
        parsed = list(string.Formatter().parse(template))
    except ValueError as error:
        raise PermanentDeliveryError(f"malformed address template {template!r}: {error}") from error
    fields = {field for _, field, _, _ in parsed if field is not None}
    unknown = sorted(fields - PLACEHOLDERS)
    if unknown:
        raise PermanentDeliveryError(
            f"address template {template!r}: unknown placeholders {unknown}, "
            f"known are {sorted(PLACEHOLDERS)}"
        )
    return fields


def template_values(template: str, notice: Notice) -> dict[str, str]:
    """The values of the template's placeholders for `notice`. `{role}` is filled per recipient
    and `{region}` is always known; `PermanentDeliveryError` when the template uses `{school}` or
    `{municipality}` and the notice has none (a region-wide notice: a diagnostic campaign)."""
    used = check_template(template)
    values = {
        "region": notice.profile_id,
        "school": notice.school_id,
        "municipality": notice.municipality_id,
    }
    missing = sorted(name for name in used if name in values and values[name] is None)
    if missing:
        raise PermanentDeliveryError(
            f"notice {notice.id} has no {', '.join(missing)} for the address template {template!r}"
        )
    return {name: value for name, value in values.items() if value is not None}


def addresses(template: str, notice: Notice) -> list[str]:
    """The distinct addresses of the notice's recipient roles, in the notice's order."""
    values = template_values(template, notice)
    if not notice.recipients:
        raise PermanentDeliveryError(f"notice {notice.id} has no recipients")
    found: dict[str, None] = {}
    for role in notice.recipients:
        person = notice.assignees.get(role, notice.profile_id)  # a region's calendar notice
        address = template.format_map({**values, "role": role, "person": person})
        found[check_address(address, f"recipient ({role})")] = None
    return list(found)


def message_id(notice: Notice) -> str:
    """`<id@iom-engine>`: stable per notice. Characters RFC 5322 does not allow there (`:`,
    spaces, brackets, `@`, non-ASCII) are percent-encoded, so `a:b` becomes `a%3Ab`."""
    return f"<{quote(notice.id, safe=MESSAGE_ID_SAFE)}@iom-engine>"


def build_message(notice: Notice, mail_from: str, to: list[str]) -> EmailMessage:
    """The message: Russian subject, UTF-8 text and its footer, stable `Message-ID`."""
    created = notice.created_at
    if created.tzinfo is None:
        created = created.replace(tzinfo=UTC)
    route = f"ИОМ {notice.route_id}\n" if notice.route_id else ""
    body = f"{notice.text}\n\n{route}Уведомление {notice.id}\n"
    message = EmailMessage()
    try:
        message["Subject"] = notice.subject
        message["From"] = mail_from
        message["To"] = ", ".join(to)
        message["Date"] = format_datetime(created)
        message["Message-ID"] = message_id(notice)
        message["X-IOM-Delivery"] = notice.id
        message["Auto-Submitted"] = "auto-generated"
        message.set_content(body, charset="utf-8", cte="base64")
    except ValueError as error:  # a line break in a header value, say
        raise PermanentDeliveryError(f"notice {notice.id}: cannot build the message") from error
    return message


def fail(where: str, code: int, reply: bytes | str) -> NoReturn:
    """Raise for an SMTP reply: 5xx is permanent, anything else temporary."""
    text = reply.decode(errors="replace") if isinstance(reply, bytes) else reply
    kind = PermanentDeliveryError if 500 <= code < 600 else DeliveryError
    raise kind(f"{where}: {code} {text}")


def refused(where: str, recipients: dict[str, tuple[int, bytes]]) -> NoReturn:
    """Raise for refused recipients: temporary if any refusal is, else permanent."""
    codes = {address: code for address, (code, _) in recipients.items()}
    listed = ", ".join(f"{address} ({code})" for address, code in codes.items())
    if all(500 <= code < 600 for code in codes.values()):
        raise PermanentDeliveryError(f"{where}: recipients refused: {listed}")
    raise DeliveryError(f"{where}: recipients refused: {listed}")


class EmailChannel:
    """Mails each notice to its recipient roles' addresses through one SMTP server."""

    name = "email"

    def __init__(self, url: str, mail_from: str, mail_to: str, timeout: float = 10.0) -> None:
        self.server = parse_smtp_url(url)
        if not ADDRESS.fullmatch(mail_from):
            raise ValueError(f"malformed sender address {mail_from!r}")
        self.mail_from = mail_from
        self.mail_to = mail_to
        self.timeout = timeout

    def send(self, notice: Notice) -> None:
        """Mail `notice` once to all its recipients' addresses, or raise."""
        to = addresses(self.mail_to, notice)
        message = build_message(notice, self.mail_from, to)
        where = self.server.where
        try:
            self.submit(message, to)
        except smtplib.SMTPRecipientsRefused as error:
            refused(where, error.recipients)
        except smtplib.SMTPResponseException as error:
            fail(where, error.smtp_code, error.smtp_error)
        except smtplib.SMTPNotSupportedError as error:
            raise PermanentDeliveryError(f"{where}: {error}") from error
        except TimeoutError as error:
            raise DeliveryError(f"{where}: timed out after {self.timeout:g} s") from error
        except (smtplib.SMTPException, OSError) as error:
            raise DeliveryError(f"{where}: {type(error).__name__}: {error}") from error

    def submit(self, message: EmailMessage, to: list[str]) -> None:
        """Connect, upgrade and log in as the URL says, send, quit."""
        smtp = self.connect()
        try:
            if self.server.starttls:
                smtp.starttls(context=ssl.create_default_context())
            if self.server.user is not None:
                smtp.login(self.server.user, self.server.password or "")
            rejected = smtp.send_message(message, from_addr=self.mail_from, to_addrs=to)
        finally:
            quit_quietly(smtp)
        if rejected:  # some accepted, some not: a retry re-sends, with the same Message-ID
            refused(self.server.where, rejected)

    def connect(self) -> smtplib.SMTP:
        """An open session with the server: TLS from the start for `smtps://`. A greeting that
        never comes (the server going away) closes the socket before raising."""
        server = self.server
        smtp = (
            smtplib.SMTP_SSL(timeout=self.timeout, context=ssl.create_default_context())
            if server.implicit_tls
            else smtplib.SMTP(timeout=self.timeout)
        )
        try:
            code, reply = smtp.connect(server.host, server.port)
        except BaseException:
            smtp.close()
            raise
        if code != 220:
            smtp.close()
            raise smtplib.SMTPConnectError(code, reply)
        return smtp


def quit_quietly(smtp: smtplib.SMTP) -> None:
    """End the session politely if the server still listens; close the socket regardless."""
    try:
        smtp.quit()
    except (smtplib.SMTPException, OSError):
        pass
    finally:
        smtp.close()
