"""Authentication: the portal signs a short-lived JWT for each user action.

Claims: `sub` (the portal's user id), `role`, `region` (the regulation profile id, the tenant),
`school` (the school's id, for people of a school), `teacher_id` (for a teacher), `aud`, `exp`
and `iat`; `acting_for` (`{head_id, order, starts_on, ends_on}`) when a deputy acts за
руководителя (a school head's or centre head's tasks, by order, for a period: the route checks
the period and records it on each event). `exp` and `iat` are required NumericDates (JSON
numbers, finite): the token is current (`exp` not past, `iat` not ahead, each within the
leeway) and lives at most `IOM_PORTAL_JWT_MAX_AGE` (`exp - iat` and `exp - now`). HS256 is
checked with the secret shared with the portal (`IOM_PORTAL_JWT_SECRET`), RS256 with the
portal's public key (`IOM_PORTAL_JWT_PUBLIC_KEY`); the key is chosen by the algorithm, never by
anything else the token says. A missing, expired, foreign, forged or oversized
(`MAX_TOKEN_CHARS`) token, or one with a claim missing or of the wrong type, is a 401 naming
the claim.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

import jwt
from jwt.exceptions import InvalidJTIError, InvalidSubjectError
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from aggregates.values import Acting, Actor, Code, Ident, Role
from api.portal_tokens import SCHOOL_ROLES
from runtime.settings import Settings

MAX_TOKEN_CHARS = 8192
"""The longest token accepted (a portal's token is a few hundred characters)."""
NUMERIC_DATE_LIMIT = 2**53
"""Beyond this a NumericDate is no time (and no float can hold it exactly)."""


class AuthenticationError(Exception):
    """No token, or one the API does not accept; `message` says why, in Russian, `claim`
    names the claim at fault (if one is)."""

    def __init__(self, reason: str, message: str, claim: str | None = None) -> None:
        super().__init__(message)
        self.reason = reason
        self.message = message
        self.claim = claim


class Principal(BaseModel):
    """Who acts: the person behind the request as the portal's token names them."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    subject: Annotated[Ident, Field(alias="sub")]
    role: Role
    region: Code
    school: Ident | None = None
    teacher_id: Ident | None = None
    acting_for: Acting | None = None  # исполняющий обязанности руководителя, по приказу

    @property
    def actor(self) -> Actor:
        """The actor the route records: a teacher by their teacher id (the id routes carry),
        everyone else by their portal user id."""
        if self.role is Role.TEACHER and self.teacher_id is not None:
            return Actor(id=self.teacher_id, role=self.role)
        return Actor(id=self.subject, role=self.role)


@dataclass(frozen=True)
class TokenVerifier:
    """Checks the portal's tokens: signature, audience, expiry, lifetime, claims."""

    audience: str
    secret: str | None = None
    public_key: str | None = None
    max_age: int = 900
    leeway: int = 30

    @classmethod
    def from_settings(cls, settings: Settings) -> TokenVerifier:
        """The verifier the settings describe; a `ValueError` when no key is configured."""
        secret = settings.portal_jwt_secret
        key = settings.portal_jwt_public_key
        if key is not None and not key.lstrip().startswith("-----BEGIN"):
            key = Path(key).read_text(encoding="ascii")
        if secret is None and key is None:
            raise ValueError(
                "set IOM_PORTAL_JWT_SECRET (HS256) or IOM_PORTAL_JWT_PUBLIC_KEY (RS256)"
            )
        return cls(
            audience=settings.portal_jwt_audience,
            secret=secret.get_secret_value() if secret else None,
            public_key=key,
            max_age=settings.portal_jwt_max_age,
            leeway=settings.portal_jwt_leeway,
        )

    def verify(self, token: str) -> Principal:
        """The principal a valid token names, or `AuthenticationError`."""
        if len(token) > MAX_TOKEN_CHARS:
            raise AuthenticationError(
                "too_large", f"токен длиннее {MAX_TOKEN_CHARS} символов не принимается"
            )
        claims = self._decode(token)
        self._check_times(claims)
        if claims.get("role") == Role.SYSTEM.value:
            raise AuthenticationError("claims", "роль «system» не выдаётся порталом", "role")
        try:
            principal = Principal.model_validate(claims)
        except ValidationError as error:
            names = sorted({str(e["loc"][0]) for e in error.errors() if e["loc"]})
            raise AuthenticationError(
                "claims",
                f"в токене неверные или пропущены утверждения: {', '.join(names)}",
                names[0] if names else None,
            ) from None
        if principal.role is Role.TEACHER and principal.teacher_id is None:
            raise AuthenticationError("claims", "в токене педагога нет teacher_id", "teacher_id")
        if principal.role in SCHOOL_ROLES and principal.school is None:
            raise AuthenticationError(
                "claims", "в токене руководителя ОО или МО нет school", "school"
            )
        return principal

    def _check_times(self, claims: dict[str, Any]) -> None:
        """`exp` and `iat` (and `nbf`, when given) as NumericDates, the token current and its
        lifetime within `max_age` (each bound with `leeway` for the clocks' skew)."""
        now = time.time()
        expires, issued = numeric_date(claims, "exp"), numeric_date(claims, "iat")
        if expires <= now - self.leeway:
            raise AuthenticationError("expired", "срок действия токена истёк", "exp")
        if issued > now + self.leeway:
            raise AuthenticationError("issued_in_future", "токен выдан в будущем", "iat")
        if "nbf" in claims and numeric_date(claims, "nbf") > now + self.leeway:
            raise AuthenticationError("not_yet_valid", "токен ещё не действует", "nbf")
        longest = self.max_age + self.leeway
        if expires < issued or expires - issued > longest or expires - now > longest:
            raise AuthenticationError("lifetime", "срок действия токена слишком долгий", "exp")

    def _decode(self, token: str) -> dict[str, Any]:
        try:
            algorithm = jwt.get_unverified_header(token).get("alg")
        except jwt.PyJWTError:
            raise AuthenticationError("malformed", "токен не разобран") from None
        keys = {"HS256": self.secret, "RS256": self.public_key}
        key = keys.get(algorithm) if isinstance(algorithm, str) else None
        if key is None:
            shown = algorithm if isinstance(algorithm, str) and algorithm.isascii() else "?"
            raise AuthenticationError("algorithm", f"алгоритм подписи {shown[:16]} не принимается")
        try:
            # The signature and the audience here; the times and every other claim are checked
            # by type below (PyJWT's own checks would answer a wrongly typed claim with 500).
            claims: dict[str, Any] = jwt.decode(
                token,
                key,
                algorithms=[str(algorithm)],
                audience=self.audience,
                options={
                    "require": ["aud", "sub"],
                    "verify_exp": False,
                    "verify_iat": False,
                    "verify_nbf": False,
                },
            )
        except jwt.InvalidAudienceError:
            raise AuthenticationError(
                "audience", "токен выдан не для этого сервиса", "aud"
            ) from None
        except jwt.InvalidSignatureError:
            raise AuthenticationError("signature", "подпись токена неверна") from None
        except jwt.MissingRequiredClaimError as error:
            raise AuthenticationError(
                "claims", f"в токене нет обязательного утверждения {error.claim}", error.claim
            ) from None
        except (InvalidSubjectError, InvalidJTIError) as error:
            claim = "sub" if isinstance(error, InvalidSubjectError) else "jti"
            raise AuthenticationError("claims", f"утверждение {claim} неверно", claim) from None
        except jwt.PyJWTError:
            raise AuthenticationError("malformed", "токен не принят") from None
        return claims


def numeric_date(claims: dict[str, Any], claim: str) -> int | float:
    """The claim as a NumericDate (RFC 7519: a JSON number of seconds, finite, within
    ±2**53); else `AuthenticationError` naming it."""
    if claim not in claims:
        missing = f"в токене нет обязательного утверждения {claim}"
        raise AuthenticationError("claims", missing, claim)
    value = claims[claim]
    number = isinstance(value, int | float) and not isinstance(value, bool)
    if not number or not -NUMERIC_DATE_LIMIT < value < NUMERIC_DATE_LIMIT:  # NaN compares false
        raise AuthenticationError(
            "claims", f"утверждение {claim} должно быть числом секунд (NumericDate)", claim
        )
    found: int | float = value
    return found
