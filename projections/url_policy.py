"""Where a portal's webhook may send: the one policy the API applies when a subscription is
registered and the delivery loop applies again, after resolving the name, before each send.

A URL is refused unless it is printable ASCII without spaces, `https://` (or `http://` when
allowed), without credentials or a fragment, with a canonical host (a DNS name of letters,
digits and hyphens, a dotted-quad IPv4 or a bracketed IPv6: never `2130706433`, `0x7f.1`,
`017.0.0.1` or an IPv4-mapped IPv6), on a port of the configured list. An address (written in
the URL, or what a name resolves to) must be global: loopback, private, link-local, shared
(CGNAT), multicast, reserved and unspecified addresses are refused, and so is an IPv6 address
that embeds a non-global IPv4 one (mapped, NAT64, 6to4, Teredo). The allow-list names hosts
and networks of a portal on an internal network: a name listed is trusted with whatever it
resolves to, an address within a listed network passes; the scheme, port and syntax rules
still apply.

The delivery connects to the address it checked (`Pinned.address`), never resolving again, and
sends the name in `Host` and SNI: a name that resolves inward after registration (DNS
rebinding) is refused, not sent to.
"""

from __future__ import annotations

import ipaddress
import re
import socket
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from urllib.parse import urlsplit

Address = ipaddress.IPv4Address | ipaddress.IPv6Address
Network = ipaddress.IPv4Network | ipaddress.IPv6Network
Resolver = Callable[[str, int], list[str]]
"""A host name and port to the addresses it resolves to (text, as `getaddrinfo` gives)."""

DEFAULT_PORTS = {"https": 443, "http": 80}
SHARED = ipaddress.IPv4Network("100.64.0.0/10")
NAT64 = ipaddress.IPv6Network("64:ff9b::/96")
NAME = re.compile(r"(?!-)[a-z0-9-]{1,63}(?<!-)(\.(?!-)[a-z0-9-]{1,63}(?<!-))*\.?")
NUMERIC_LABEL = re.compile(r"(0x[0-9a-f]*|[0-9]+)")
LOCAL_NAMES = ("localhost", "localhost.", "localhost.localdomain")


class UrlRefusedError(ValueError):
    """A URL (or what its name resolves to) the policy refuses: the rule and why, in Russian."""

    def __init__(self, rule: str, detail: str) -> None:
        super().__init__(detail)
        self.rule = rule
        self.detail = detail


def system_resolve(host: str, port: int) -> list[str]:
    """The addresses `host` resolves to, by the system's resolver."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return [str(info[4][0]) for info in infos]


@dataclass(frozen=True)
class Target:
    """A URL the policy took apart: scheme, canonical host, port, path with query."""

    scheme: str
    host: str
    port: int
    path: str
    literal: Address | None  # the host, when it is an address

    @property
    def host_header(self) -> str:
        """The `Host` header: the host (bracketed if IPv6) and a port other than the default."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return host if DEFAULT_PORTS[self.scheme] == self.port else f"{host}:{self.port}"

    @property
    def url(self) -> str:
        """The URL as the policy reads it (no credentials, no fragment)."""
        return f"{self.scheme}://{self.host_header}{self.path}"

    def via(self, address: Address) -> str:
        """The URL to connect to `address` (the host replaced by the checked address)."""
        host = f"[{address}]" if address.version == 6 else str(address)
        return f"{self.scheme}://{host}:{self.port}{self.path}"


@dataclass(frozen=True)
class Pinned:
    """A target and the checked address the delivery connects to."""

    target: Target
    address: Address


@dataclass(frozen=True)
class UrlPolicy:
    """The rules (see the module's docstring) and the resolver the delivery uses."""

    allow_http: bool = False
    ports: frozenset[int] = frozenset({443})
    hosts: frozenset[str] = frozenset()
    networks: tuple[Network, ...] = ()
    resolve: Resolver = field(default=system_resolve, compare=False)

    @classmethod
    def parse(cls, *, allow_http: bool, ports: str, allow_hosts: str) -> UrlPolicy:
        """The policy of the settings' text: ports and allowed hosts/networks comma-separated.
        `ValueError` names a bad entry."""
        numbers = set()
        for entry in _entries(ports):
            if not entry.isdigit() or not 1 <= int(entry) <= 65535:
                raise ValueError(f"порт {entry!r}: ожидается число от 1 до 65535")
            numbers.add(int(entry))
        if allow_http:
            numbers.add(DEFAULT_PORTS["http"])
        hosts, networks = set(), []
        for entry in _entries(allow_hosts):
            try:
                networks.append(ipaddress.ip_network(entry, strict=False))
            except ValueError:
                if not NAME.fullmatch(entry.lower()):
                    raise ValueError(f"{entry!r}: ожидается имя хоста, адрес или сеть") from None
                hosts.add(entry.lower().rstrip("."))
        return cls(allow_http, frozenset(numbers), frozenset(hosts), tuple(networks))

    def check(self, url: str) -> Target:
        """The target of `url`, or `UrlRefusedError` naming the rule it breaks. The host, if
        an address, is checked; a name is checked at delivery (`pin`)."""
        if any(not 0x21 <= ord(char) <= 0x7E or char == "\\" for char in url):
            raise UrlRefusedError(
                "url_characters", "в адресе пробелы, управляющие или не-ASCII символы"
            )
        parts = urlsplit(url)
        allowed = ("https", "http") if self.allow_http else ("https",)
        if parts.scheme not in allowed:
            raise UrlRefusedError("url_scheme", f"ожидается адрес {' или '.join(allowed)}://…")
        if "@" in parts.netloc:
            raise UrlRefusedError("url_credentials", "логин и пароль в адресе не допускаются")
        if "#" in url:
            raise UrlRefusedError("url_fragment", "фрагмент (#…) в адресе не допускается")
        try:
            port = parts.port or DEFAULT_PORTS[parts.scheme]
        except ValueError:
            raise UrlRefusedError("url_port", "порт адреса — не число от 0 до 65535") from None
        if port not in self.ports:
            shown = sorted(self.ports)
            listed = ", ".join(map(str, shown[:8])) + (", …" if len(shown) > 8 else "")
            raise UrlRefusedError("url_port", f"порт {port} не разрешён (разрешены: {listed})")
        host, literal = _host(parts.netloc, parts.hostname or "")
        target = Target(parts.scheme, host, port, _path(parts.path, parts.query), literal)
        if literal is not None:
            self.check_address(literal)
        elif host in LOCAL_NAMES and host not in self.hosts:
            raise UrlRefusedError("url_address", "адрес указывает на этот же сервер (localhost)")
        return target

    def check_address(self, address: Address) -> None:
        """Return if the policy lets a delivery connect to `address`."""
        if any(address in network for network in self.networks):
            return
        refused = _inward(address)
        if refused:
            raise UrlRefusedError("url_address", f"адрес во внутренней сети: {refused}")

    def pin(self, url: str) -> Pinned:
        """Check `url`, resolve its name once and check every address it gives: the address
        to connect to, or `UrlRefusedError` (a name that does not resolve is refused too)."""
        target = self.check(url)
        if target.literal is not None:
            return Pinned(target, target.literal)
        try:
            found = [ipaddress.ip_address(a.split("%")[0]) for a in self.resolve(target.host, 0)]
        except (OSError, UnicodeError, ValueError):
            found = []
        if not found:
            raise UrlRefusedError("url_resolve", f"имя {target.host} не разрешается в адрес")
        if target.host not in self.hosts:
            for address in found:
                try:
                    self.check_address(address)
                except UrlRefusedError as error:
                    raise UrlRefusedError(
                        error.rule, f"имя {target.host} указывает на внутренний адрес"
                    ) from None
        return Pinned(target, found[0])


def _entries(text: str) -> Iterable[str]:
    return (entry.strip() for entry in text.split(",") if entry.strip())


def _path(path: str, query: str) -> str:
    return (path or "/") + (f"?{query}" if query else "")


def _host(netloc: str, hostname: str) -> tuple[str, Address | None]:
    """The canonical host and its address, if it is one; refused when written otherwise."""
    if netloc.startswith("["):
        try:
            address = ipaddress.IPv6Address(hostname)
        except ValueError:
            raise UrlRefusedError("url_host", "адрес IPv6 в скобках неверен") from None
        if address.scope_id or address.ipv4_mapped:
            raise UrlRefusedError("url_host", "адрес IPv6 должен быть записан без IPv4 и зоны")
        return str(address), address
    name = hostname.rstrip(".") if hostname.endswith(".") else hostname
    if not NAME.fullmatch(hostname) or not name:
        raise UrlRefusedError("url_host", "имя хоста: латинские буквы, цифры, дефисы и точки")
    if NUMERIC_LABEL.fullmatch(name.rsplit(".", 1)[-1]):
        try:
            four = ipaddress.IPv4Address(name)
        except ValueError:
            raise UrlRefusedError(
                "url_host", "адрес IPv4 должен быть записан четырьмя десятичными числами"
            ) from None
        return str(four), four
    return name, None


def _inward(address: Address) -> str | None:
    """Why `address` is not one a delivery may reach (in Russian), or None if it is global."""
    if isinstance(address, ipaddress.IPv6Address):
        embedded = [address.ipv4_mapped, address.sixtofour, *(address.teredo or ())]
        if address in NAT64:
            embedded.append(ipaddress.IPv4Address(int(address) & 0xFFFFFFFF))
        for inner in embedded:
            why = None if inner is None else _inward(inner)
            if why:
                return f"внутри адрес IPv4: {why}"
    for test, reason in (
        ("is_loopback", "петлевой (loopback)"),
        ("is_unspecified", "неопределённый"),
        ("is_link_local", "локальный канала (link-local)"),
        ("is_multicast", "групповой (multicast)"),
        ("is_private", "частной сети"),
        ("is_reserved", "зарезервированный"),
    ):
        if getattr(address, test):
            return reason
    if isinstance(address, ipaddress.IPv4Address) and address in SHARED:
        return "общий адрес провайдера (CGNAT)"
    return None if address.is_global else "не публичный"
