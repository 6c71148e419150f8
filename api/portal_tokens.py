"""The tokens the portal issues: who may hold one (`PORTAL_ROLES`), its claims, and an HS256
signature made with the standard library, so that `iom token` signs without importing the JWT
library the API verifies with (`api.auth`)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from typing import Any

from aggregates.values import Role

SCHOOL_ROLES = frozenset({Role.DEPUTY_HEAD, Role.MO_HEAD, Role.SCHOOL_HEAD})
"""The people of a school: their tokens name it, and they reach its routes only."""
PORTAL_ROLES = tuple(role for role in Role if role is not Role.SYSTEM)
"""The roles the portal gives its users (the system's own role is never a token's)."""


def portal_claims(
    role: Role | str,
    subject: str,
    region: str,
    *,
    audience: str,
    lifetime: int,
    school: str | None = None,
    teacher_id: str | None = None,
) -> dict[str, Any]:
    """The claims the portal puts in a token for one user action (see `api.auth`)."""
    issued = int(time.time())
    claims: dict[str, Any] = {
        "sub": subject,
        "role": str(role),
        "region": region,
        "aud": audience,
        "iat": issued,
        "exp": issued + lifetime,
    }
    if school is not None:
        claims["school"] = school
    if teacher_id is not None:
        claims["teacher_id"] = teacher_id
    return claims


def sign_hs256(claims: dict[str, Any], secret: str) -> str:
    """A compact JWS of `claims` signed with the shared secret (RFC 7515, HS256), as the portal
    signs it."""
    header = _segment({"alg": "HS256", "typ": "JWT"})
    signing_input = f"{header}.{_segment(claims)}"
    mac = hmac.new(secret.encode(), signing_input.encode("ascii"), hashlib.sha256).digest()
    return f"{signing_input}.{_base64url(mac)}"


def _segment(part: dict[str, Any]) -> str:
    return _base64url(json.dumps(part, separators=(",", ":")).encode())


def _base64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")
