"""Real local servers for the tests: a webhook receiver (HTTP) and an SMTP server (aiosmtpd)."""

from __future__ import annotations

import asyncio
import random
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session


def free_port() -> int:
    """A port nothing listens on (just released by the kernel)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _ephemeral_range() -> range:
    low, high = Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()
    return range(int(low), int(high) + 1)


def lasting_port() -> int:
    """A free port outside the kernel's ephemeral range, for a server restarted on the same
    ports: the kernel never hands it to another program asking for any free port meanwhile (the
    Temporal dev server takes such ports for its internal services when it starts)."""
    ephemeral = _ephemeral_range()
    while True:
        port = random.randrange(20000, 32000)
        if port in ephemeral:
            continue
        with socket.socket() as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                continue
        return port


# --- the webhook receiver ---------------------------------------------------------------------


@dataclass
class Received:
    """One request the receiver got."""

    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class Receiver:
    """A real HTTP server: records requests, answers the queued statuses (then 200)."""

    server: ThreadingHTTPServer
    requests: list[Received] = field(default_factory=list)
    statuses: list[int] = field(default_factory=list)
    delay: float = 0.0

    @property
    def url(self) -> str:
        """The receiver's endpoint."""
        return f"http://127.0.0.1:{self.server.server_address[1]}/iom/notices"

    def answer(self, *statuses: int) -> None:
        """Answer the next requests with `statuses`, in order."""
        self.statuses.extend(statuses)


def handler_for(receiver: list[Receiver]) -> type[BaseHTTPRequestHandler]:
    """A request handler class that reports to the receiver in `receiver[0]`."""

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            state = receiver[0]
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            state.requests.append(Received(self.path, dict(self.headers.items()), body))
            time.sleep(state.delay)
            status = state.statuses.pop(0) if state.statuses else 200
            self.send_response(status)
            if 300 <= status < 400:
                self.send_header("Location", "https://elsewhere.example/steal")
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: Any) -> None:
            """Quiet: the test reads `requests`."""

    return Handler


class QuietServer(ThreadingHTTPServer):
    """No tracebacks on stderr when a client hung up (the timeout test does)."""

    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        """Ignore: the client went away."""


def start_receiver() -> Iterator[Receiver]:
    """A webhook receiver on 127.0.0.1 and a free port, in a thread, for one test."""
    slot: list[Receiver] = []
    server = QuietServer(("127.0.0.1", 0), handler_for(slot))
    slot.append(Receiver(server))
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    yield slot[0]
    server.shutdown()
    server.server_close()
    thread.join()


class Collector:
    """An aiosmtpd handler: keeps every envelope, or answers `reply` to DATA when set. With
    `hold()`, a message's DATA is answered only once `release` is set (`holding` tells that one
    came)."""

    def __init__(self) -> None:
        self.envelopes: list[Envelope] = []
        self.reply: str | None = None
        self.held = False
        self.holding = threading.Event()
        self.release = threading.Event()

    def hold(self) -> None:
        """Answer the next messages' DATA only once `release` is set."""
        self.held = True

    async def handle_DATA(  # noqa: N802 - aiosmtpd calls the hook by this name
        self, server: SMTP, session: Session, envelope: Envelope
    ) -> str:
        if self.held:
            self.holding.set()
            await asyncio.to_thread(self.release.wait, 30)
        if self.reply is not None:
            return self.reply
        self.envelopes.append(envelope)
        return "250 Message accepted for delivery"

    def message(self, index: int = -1) -> EmailMessage:
        """A received message, parsed."""
        content = self.envelopes[index].original_content
        assert content is not None
        parsed = message_from_bytes(content, policy=policy.default)
        assert isinstance(parsed, EmailMessage)
        return parsed


class LocalController(Controller):
    """A controller that binds port 0 and learns its port before the self-test connection."""

    def _trigger_server(self) -> None:
        assert isinstance(self.server, asyncio.Server)
        self.port = self.server.sockets[0].getsockname()[1]
        super()._trigger_server()  # type: ignore[no-untyped-call]


@dataclass
class Smtp:
    """A running SMTP server and what it collected."""

    controller: LocalController
    collector: Collector

    @property
    def url(self) -> str:
        """`smtp://127.0.0.1:<port>`."""
        return f"smtp://127.0.0.1:{self.controller.port}"


def start_smtp(**parameters: Any) -> Iterator[Smtp]:
    """Run an aiosmtpd server on 127.0.0.1 and a free port until the test ends."""
    collector = Collector()
    controller = LocalController(
        collector, hostname="127.0.0.1", port=0, server_hostname="mx.test", **parameters
    )
    controller.start()
    try:
        yield Smtp(controller, collector)
    finally:
        controller.stop()
