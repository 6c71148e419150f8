"""The webhook URL policy: what a subscription may name, and where a delivery may connect."""

from __future__ import annotations

import ipaddress

import pytest
from hypothesis import given
from hypothesis import strategies as st

from projections.url_policy import Address, UrlPolicy, UrlRefusedError
from runtime.settings import Settings

EVERY_PORT = ",".join(str(port) for port in range(1, 65536))
OPEN = UrlPolicy.parse(allow_http=True, ports=EVERY_PORT, allow_hosts="")
"""Every scheme and port allowed: only the address and syntax rules refuse."""


def rule_of(policy: UrlPolicy, url: str) -> str:
    with pytest.raises(UrlRefusedError) as refused:
        policy.pin(url)
    return refused.value.rule


@pytest.mark.parametrize(
    ("url", "rule"),
    [
        ("http://127.0.0.1:5432/", "url_address"),
        ("http://[::1]:22/", "url_address"),
        ("http://127.0.0.1:8000/metrics", "url_address"),  # the API's own endpoint
        ("http://localhost:8000/metrics", "url_address"),
        ("http://2130706433:8000/", "url_host"),
        ("http://0x7f000001/", "url_host"),
        ("http://0x7f.1/", "url_host"),
        ("http://017.0.0.1/", "url_host"),
        ("http://127.1/", "url_host"),
        ("http://[::ffff:127.0.0.1]:8000/", "url_host"),
        ("http://[::ffff:7f00:1]/", "url_host"),
        ("http://[fe80::1%25eth0]/", "url_host"),
        ("http://[64:ff9b::7f00:1]/", "url_address"),  # NAT64 of 127.0.0.1
        ("http://[2002:7f00:1::]/", "url_address"),  # 6to4 of 127.0.0.1
        ("http://10.0.0.5/", "url_address"),
        ("http://100.64.0.1/", "url_address"),  # shared (CGNAT)
        ("http://169.254.169.254/latest/meta-data", "url_address"),
        ("http://224.0.0.1/", "url_address"),
        ("http://0.0.0.0/", "url_address"),
        ("http://240.0.0.1/", "url_address"),
        ("http://user:password@portal.example/", "url_credentials"),
        ("http://portal.example@127.0.0.1/", "url_credentials"),
        ("https://portal.example/\r\nX-Injected: 1", "url_characters"),
        ("https://portal.example/a b", "url_characters"),
        ("https://portal.example\\@127.0.0.1/", "url_characters"),
        ("https://портал.рф/", "url_characters"),
        ("https://portal.example/#top", "url_fragment"),
        ("https://portal_example/", "url_host"),
        ("https://portal.example:99999/", "url_port"),
        ("ftp://portal.example/", "url_scheme"),
    ],
)
def test_what_the_issue_found_is_refused(url: str, rule: str) -> None:
    assert rule_of(OPEN, url) == rule


def test_the_defaults_take_https_on_443_only() -> None:
    strict = UrlPolicy()
    assert strict.check("https://Portal.Example.ru/iom/events?x=1").url == (
        "https://portal.example.ru/iom/events?x=1"
    )
    assert rule_of(strict, "http://portal.example.ru/") == "url_scheme"
    assert rule_of(strict, "https://portal.example.ru:8443/") == "url_port"
    http = UrlPolicy.parse(allow_http=True, ports="443,8443", allow_hosts="")
    assert http.check("http://portal.example.ru/").port == 80
    assert http.check("https://portal.example.ru:8443/").host_header == "portal.example.ru:8443"


def test_the_allow_list_admits_an_internal_portal() -> None:
    internal = UrlPolicy.parse(
        allow_http=True, ports="8080", allow_hosts="10.1.2.0/24, portal.region.local"
    )
    assert internal.pin("http://10.1.2.7:8080/").address == ipaddress.ip_address("10.1.2.7")
    assert rule_of(internal, "http://10.1.3.7:8080/") == "url_address"
    trusted = UrlPolicy(
        True, frozenset({8080}), frozenset({"portal.region.local"}), (), lambda h, p: ["10.9.9.9"]
    )
    assert str(trusted.pin("http://portal.region.local:8080/").address) == "10.9.9.9"


def test_a_name_is_checked_by_what_it_resolves_to() -> None:
    answers = {"portal.example": ["93.184.216.34"]}
    policy = UrlPolicy(resolve=lambda host, port: answers[host])
    pinned = policy.pin("https://portal.example/iom")
    assert pinned.target.via(pinned.address) == "https://93.184.216.34:443/iom"
    answers["portal.example"] = ["93.184.216.34", "127.0.0.1"]  # rebound inward
    assert rule_of(policy, "https://portal.example/iom") == "url_address"
    answers["portal.example"] = []
    assert rule_of(policy, "https://portal.example/iom") == "url_resolve"


def test_bad_settings_are_named_at_start() -> None:
    with pytest.raises(ValueError, match="порт"):
        Settings(webhook_ports="443,https")
    with pytest.raises(ValueError, match="имя хоста"):
        Settings(webhook_allow_hosts="portal_bad!")


def inward(address: Address) -> bool:
    """Not an address a delivery may reach, by the standard library's own flags: the address
    itself, or the IPv4 address an IPv6 one carries (mapped, 6to4, Teredo's server and client)."""
    flags = ("is_private", "is_loopback", "is_link_local", "is_multicast", "is_reserved")
    if not address.is_global or any(getattr(address, flag) for flag in flags):
        return True
    if isinstance(address, ipaddress.IPv6Address):
        carried = [address.ipv4_mapped, address.sixtofour, *(address.teredo or ())]
        return any(inward(inner) for inner in carried if inner is not None)
    return False


def literal(address: Address) -> str:
    return f"[{address}]" if address.version == 6 else str(address)


@given(st.ip_addresses())
def test_no_non_global_address_passes(address: Address) -> None:
    url = f"http://{literal(address)}:8000/x"
    try:
        pinned = OPEN.pin(url)
    except UrlRefusedError:
        return
    assert not inward(pinned.address) and pinned.address == address


@given(st.lists(st.ip_addresses(), min_size=1, max_size=4))
def test_no_name_resolving_to_a_non_global_address_passes(found: list[Address]) -> None:
    policy = UrlPolicy(resolve=lambda host, port: [str(a) for a in found])
    try:
        pinned = policy.pin("https://portal.example/")
    except UrlRefusedError:
        assert any(inward(a) for a in found)
        return
    assert not any(inward(a) for a in found) and pinned.address == found[0]


@given(st.ip_addresses(), st.sampled_from(["127.0.0.0/8", "10.0.0.0/8", "fc00::/7"]))
def test_only_the_allow_listed_network_is_let_in(address: Address, network: str) -> None:
    policy = UrlPolicy.parse(allow_http=True, ports="8000", allow_hosts=network)
    try:
        policy.pin(f"http://{literal(address)}:8000/")
    except UrlRefusedError:
        return
    assert address in ipaddress.ip_network(network) or not inward(address)


@given(st.integers(min_value=0, max_value=2**32 - 1), st.sampled_from(["{}", "{:#x}", "0{:o}"]))
def test_ipv4_written_as_a_number_is_refused(number: int, form: str) -> None:
    assert rule_of(OPEN, f"http://{form.format(number)}/") == "url_host"
