"""Authentication: only the portal's own, current tokens for this service get in (HS256 with
the shared secret, RS256 with the portal's key); everything else is a 401 problem."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from collections.abc import Callable, Mapping
from typing import Any

import jwt
import pytest

from aggregates.values import Role
from api.auth import AuthenticationError, TokenVerifier
from api.portal_tokens import portal_claims, sign_hs256
from tests.api.conftest import Direct
from tests.api.support import Portal, public_pem, rsa_key

ROUTE = "/routes/3f1c9a52-7d7e-5b1a-9c55-0e6a1f0a2b11"


@pytest.mark.parametrize("algorithm", ["HS256", "RS256"])
def test_a_valid_token_names_the_principal(portal: Portal, algorithm: str) -> None:
    verifier = TokenVerifier.from_settings(portal.settings())
    token = portal.token(
        Role.TEACHER, "user-17", school="school-1", teacher_id="t-17", algorithm=algorithm
    )
    principal = verifier.verify(token)
    assert (principal.subject, principal.role, principal.region) == ("user-17", "teacher", "sakha")
    assert principal.actor.id == "t-17"  # a teacher acts by the teacher id routes carry
    methodist = verifier.verify(portal.token(Role.METHODIST, "m-1", algorithm=algorithm))
    assert methodist.actor.id == "m-1"


def forged(portal: Portal) -> str:
    other = Portal(key=portal.key, secret="another-secret-of-at-least-32-bytes!!")
    return other.token(Role.CENTRE_HEAD, "c-1")


def forged_rs256(portal: Portal) -> str:
    return Portal(key=rsa_key()).token(Role.CENTRE_HEAD, "c-1", algorithm="RS256")


def hs256_with_public_key(portal: Portal) -> str:
    """The algorithm-confusion attack: HS256 keyed with the portal's public key."""
    now = int(time.time())
    claims: dict[str, Any] = {"sub": "c-1", "role": "centre_head", "region": "sakha"}
    claims |= {"aud": portal.audience, "exp": now + 60}

    def part(data: Mapping[str, Any]) -> bytes:
        return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=")

    signed = part({"alg": "HS256", "typ": "JWT"}) + b"." + part(claims)
    mac = hmac.new(public_pem(portal.key).encode(), signed, hashlib.sha256).digest()
    return (signed + b"." + base64.urlsafe_b64encode(mac).rstrip(b"=")).decode()


def unsigned(portal: Portal) -> str:
    claims = {"sub": "c-1", "role": "centre_head", "region": "sakha", "aud": portal.audience}
    return jwt.encode(claims | {"exp": int(time.time()) + 60}, "", algorithm="none")


BAD_TOKENS: dict[str, tuple[Callable[[Portal], str], str]] = {
    "expired": (lambda p: p.token(Role.CENTRE_HEAD, "c-1", lifetime=-120), "expired"),
    "wrong audience": (lambda p: p.token(Role.CENTRE_HEAD, "c-1", aud="other"), "audience"),
    "wrong HS256 signature": (forged, "signature"),
    "wrong RS256 signature": (forged_rs256, "signature"),
    "HS256 keyed with the public key": (hs256_with_public_key, "signature"),
    "unsigned": (unsigned, "algorithm"),
    "too long-lived": (lambda p: p.token(Role.CENTRE_HEAD, "c-1", lifetime=86_400), "lifetime"),
    "unknown role": (lambda p: p.token("rector", "c-1"), "claims"),
    "system role": (lambda p: p.token(Role.SYSTEM, "c-1"), "claims"),
    "teacher without teacher id": (lambda p: p.token(Role.TEACHER, "u-1"), "claims"),
    "school head without school": (lambda p: p.token(Role.SCHOOL_HEAD, "h-1"), "claims"),
    "garbage": (lambda p: "not.a.token", "malformed"),
}


@pytest.mark.parametrize("case", list(BAD_TOKENS))
def test_bad_tokens_are_refused(portal: Portal, case: str) -> None:
    make, reason = BAD_TOKENS[case]
    with pytest.raises(AuthenticationError) as refused:
        TokenVerifier.from_settings(portal.settings()).verify(make(portal))
    assert refused.value.reason == reason


def test_hs256_needs_the_secret_and_rs256_the_key(portal: Portal) -> None:
    only_key = TokenVerifier.from_settings(portal.settings(portal_jwt_secret=None))
    with pytest.raises(AuthenticationError, match="HS256"):
        only_key.verify(portal.token(Role.CENTRE_HEAD, "c-1"))
    with pytest.raises(AuthenticationError, match="HS256"):
        only_key.verify(hs256_with_public_key(portal))
    only_secret = TokenVerifier.from_settings(portal.settings(portal_jwt_public_key=None))
    with pytest.raises(AuthenticationError, match="RS256"):
        only_secret.verify(portal.token(Role.CENTRE_HEAD, "c-1", algorithm="RS256"))
    with pytest.raises(ValueError, match="IOM_PORTAL_JWT_SECRET"):
        TokenVerifier.from_settings(
            portal.settings(portal_jwt_secret=None, portal_jwt_public_key=None)
        )


@pytest.mark.parametrize(
    "case", ["none", "expired", "wrong audience", "wrong HS256 signature", "wrong RS256 signature"]
)
@pytest.mark.parametrize(
    ("method", "path"), [("GET", ROUTE), ("POST", f"{ROUTE}/commands/submit_route")]
)
async def test_endpoints_answer_401_problems(
    direct: Direct, portal: Portal, case: str, method: str, path: str
) -> None:
    headers = {"Idempotency-Key": "k-1"}
    if case != "none":
        headers["Authorization"] = f"Bearer {BAD_TOKENS[case][0](portal)}"
    answer = await direct.client.request(method, path, headers=headers, json={})
    assert answer.status_code == 401
    assert answer.headers["content-type"] == "application/problem+json"
    assert answer.headers["WWW-Authenticate"].startswith("Bearer")
    problem = answer.json()
    assert problem["type"] == "urn:iom:problem:unauthenticated"
    assert problem["rule"] == ("missing" if case == "none" else BAD_TOKENS[case][1])
    assert direct.gateway.executed == []


def test_the_standard_library_signature_is_the_jwt_librarys(portal: Portal) -> None:
    """`iom token` signs without PyJWT: byte for byte the token PyJWT makes, and accepted."""
    claims = portal_claims(
        Role.METHODIST, "methodist-sakha-01", "sakha", audience=portal.audience, lifetime=300
    )
    signed = sign_hs256(claims, portal.secret)
    assert signed == jwt.encode(claims, portal.secret, algorithm="HS256")
    verifier = TokenVerifier.from_settings(portal.settings())
    assert verifier.verify(signed).subject == "methodist-sakha-01"
