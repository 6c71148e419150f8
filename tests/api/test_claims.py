"""A token's claims: `exp` and `iat` required as numbers within the lifetime, every malformed
claim a 401 naming it (never a 500), and the claims held to what the engine knows: a teacher id
bound to one portal subject, a school to its region."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from typing import Any

import jwt
import pytest
import pytest_asyncio
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from structlog.testing import capture_logs

from aggregates.profiles import ProfileCatalogue
from aggregates.values import Role
from api.auth import AuthenticationError, Principal, TokenVerifier
from tests.api.conftest import Region, direct_on, populate
from tests.api.support import Portal

MISSING = object()
TIMES = ("exp", "iat", "nbf")
REASONS = {"claims", "lifetime", "expired", "issued_in_future", "not_yet_valid"}
NAMED = ("sub", "role", "region", "school", "teacher_id", *TIMES)

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.sampled_from([2**63, -(2**63), 10**40, 10**400, -(10**400), 0])
    | st.floats()
    | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner),
    max_leaves=6,
)


def moment(now: int) -> st.SearchStrategy[Any]:
    """A time near now, as an int, a float or a numeric string."""
    near = st.integers(-3000, 3000).map(lambda d: now + d)
    return near | near.map(float) | near.map(str)


def good(now: int) -> dict[str, st.SearchStrategy[Any]]:
    return {
        "sub": st.sampled_from(["user-1", "user-2"]),
        "role": st.sampled_from([r.value for r in Role]),
        "region": st.just("sakha"),
        "school": st.just("school-1"),
        "teacher_id": st.just("t-1"),
        "exp": moment(now),
        "iat": moment(now),
        "nbf": moment(now),
    }


@st.composite
def claim_sets(draw: st.DrawFn) -> dict[str, Any]:
    now = int(time.time())
    claims: dict[str, Any] = {}
    for name, fitting in good(now).items():
        value = draw(st.just(MISSING) | json_values | fitting)
        if value is not MISSING:
            claims[name] = value
    return claims


def is_numeric_date(value: Any) -> bool:
    number = isinstance(value, int | float) and not isinstance(value, bool)
    return number and -(2**53) < value < 2**53


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(claims=claim_sets())
def test_any_claim_set_is_accepted_in_bounds_or_refused_naming_the_claim(
    portal: Portal, claims: dict[str, Any]
) -> None:
    verifier = TokenVerifier.from_settings(portal.settings())
    token = jwt.encode(claims | {"aud": portal.audience}, portal.secret, algorithm="HS256")
    try:
        principal = verifier.verify(token)  # anything but these two would be a 500
    except AuthenticationError as error:
        refused: AuthenticationError | None = error
    else:
        refused = None
    if refused is not None:
        assert refused.reason in REASONS, refused.reason
        assert refused.claim in NAMED, refused.claim
        return
    assert isinstance(principal, Principal)
    now, longest = time.time(), verifier.max_age + verifier.leeway
    exp, iat = claims["exp"], claims["iat"]
    assert is_numeric_date(exp) and is_numeric_date(iat)
    assert exp > now - verifier.leeway - 5
    assert iat <= now + verifier.leeway
    assert 0 <= exp - iat <= longest and exp - now <= longest


def signed(portal: Portal, **claims: Any) -> dict[str, str]:
    body = {"sub": "c-1", "role": "centre_head", "region": "sakha", "aud": portal.audience}
    body |= {k: v for k, v in claims.items() if v is not MISSING}
    return {"Authorization": f"Bearer {jwt.encode(body, portal.secret, algorithm='HS256')}"}


@pytest.mark.parametrize(
    ("claims", "field", "rule"),
    [
        ({"iat": MISSING, "exp": 10 * 365 * 86_400}, "iat", "claims"),  # the token
        ({"exp": "in ten years"}, "exp", "claims"),
        ({"exp": "60"}, "exp", "claims"),
        ({"exp": [60]}, "exp", "claims"),
        ({"exp": True}, "exp", "claims"),
        ({"exp": 10**40}, "exp", "claims"),
        ({"iat": 10**400}, "iat", "claims"),
        ({"exp": 10**6}, "exp", "lifetime"),
        ({"exp": MISSING}, "exp", "claims"),
        ({"iat": 3600, "exp": 3660}, "iat", "issued_in_future"),
        ({"sub": {"id": "c-1"}}, "sub", "claims"),
        ({"role": ["centre_head"]}, "role", "claims"),
        ({"region": {"code": "sakha"}}, "region", "claims"),
        ({"role": "school_head", "school": {"id": 1}}, "school", "claims"),
        ({"role": "teacher", "teacher_id": 17}, "teacher_id", "claims"),
    ],
)
async def test_a_malformed_claim_is_a_401_naming_it(
    region: Region, portal: Portal, claims: dict[str, Any], field: str, rule: str
) -> None:
    now = int(time.time())
    given: dict[str, Any] = {"iat": 0, "exp": 60} | claims  # `iat`, `exp`: seconds from now
    times = {k: now + v if is_numeric_date(v) else v for k, v in given.items() if k in TIMES}
    rest = {k: v for k, v in given.items() if k not in TIMES}
    headers = signed(portal, **times, **rest)
    answer = await region.client.get("/monitoring/routes", headers=headers)
    assert answer.status_code == 401, answer.text
    assert answer.headers["content-type"] == "application/problem+json"
    problem = answer.json()
    assert (problem["field"], problem["rule"]) == (field, rule)


@pytest_asyncio.fixture(params=["sqlite_url", "pg_url"])
async def stored(
    request: pytest.FixtureRequest, portal: Portal, catalogue: ProfileCatalogue
) -> AsyncIterator[Region]:
    """`Region` on SQLite, then on PostgreSQL (the bindings' table on both)."""
    async with direct_on(request.getfixturevalue(request.param), portal, catalogue) as found:
        yield populate(found)


async def test_a_teacher_id_is_bound_to_its_first_subject(stored: Region, portal: Portal) -> None:
    region = stored
    mine, theirs = (region.routes.route(i) for i in region.sakha[:2])
    assert mine.teacher_id != theirs.teacher_id

    def teacher(subject: str, teacher_id: str) -> dict[str, str]:
        token = portal.token(
            Role.TEACHER, subject, school="s-1", teacher_id=teacher_id, as_given=True
        )
        return portal.headers(token)

    victim, attacker = (
        teacher("victim-user", theirs.teacher_id),
        teacher("attacker-user", mine.teacher_id),
    )
    assert (await region.client.get(f"/routes/{theirs.id}", headers=victim)).status_code == 200
    assert (await region.client.get(f"/routes/{mine.id}", headers=attacker)).status_code == 200
    # The attacker's token names the victim's teacher id: refused, and so is an unknown subject.
    for stolen in (
        teacher("attacker-user", theirs.teacher_id),
        teacher("fresh-user", theirs.teacher_id),
    ):
        with capture_logs() as logs:
            for path in (f"/routes/{theirs.id}", f"/teachers/{theirs.teacher_id}/sheet"):
                answer = await region.client.get(path, headers=stolen)
                assert answer.status_code == 403, answer.text
                assert answer.headers["content-type"] == "application/problem+json"
                assert (answer.json()["rule"], answer.json()["field"]) == (
                    "teacher_binding",
                    "teacher_id",
                )
        refusals = [e for e in logs if e["event"] == "teacher binding refused"]
        assert refusals and refusals[0]["log_level"] == "warning"
        assert refusals[0]["teacher_id"] == theirs.teacher_id
    # The rightful pair goes on working.
    assert (await region.client.get(f"/routes/{theirs.id}", headers=victim)).status_code == 200


@pytest.mark.parametrize("role", [Role.SCHOOL_HEAD, Role.DEPUTY_HEAD, Role.MO_HEAD])
async def test_a_school_of_another_region_is_refused(
    region: Region, portal: Portal, role: Role
) -> None:
    school = region.routes.route(region.sakha[0]).school_id
    home = portal.headers(portal.token(role, "head-1", "sakha", school=school))
    assert (await region.client.get("/monitoring/routes", headers=home)).status_code == 200
    abroad = portal.headers(portal.token(role, "head-1", "balakhta", school=school))
    for path in ("/monitoring/routes", f"/routes/{region.balakhta[0]}"):
        answer = await region.client.get(path, headers=abroad)
        assert answer.status_code == 403, answer.text
        assert (answer.json()["rule"], answer.json()["field"]) == ("school_region", "school")


@pytest.mark.parametrize("role", [Role.CENTRE_HEAD, Role.OPERATOR])
async def test_a_route_is_not_opened_for_a_school_of_another_region(
    region: Region, portal: Portal, role: Role
) -> None:
    """A region-wide role names any school of its region, but not one the engine knows
    elsewhere: the opening and each batch item are refused, and nothing is written."""
    school = region.routes.route(region.sakha[0]).school_id
    headers = portal.headers(portal.token(role, f"{role}-balakhta", "balakhta"))
    opening = {
        "route_key": f"abroad-{role}",
        "teacher_id": "teacher-abroad-1",
        "school_id": school,
        "municipality_id": "mun-balakhta-01",
        "subject": "математика",
    }
    before = region.routes.recorder.max_notification_id()
    single = await region.client.post(
        "/routes", json=opening, headers=headers | {"Idempotency-Key": f"one-{role}"}
    )
    assert single.status_code == 403, single.text
    assert (single.json()["rule"], single.json()["field"]) == ("school_region", "school_id")
    batch = await region.client.post(
        "/routes/batch",
        json={"items": [opening | {"route_key": f"abroad-batch-{role}"}]},
        headers=headers | {"Idempotency-Key": f"batch-{role}"},
    )
    [item] = batch.json()["items"]
    assert (item["status"], item["problem"]["field"]) == (403, "items[0].school_id")
    assert region.routes.recorder.max_notification_id() == before
    home = opening | {"school_id": "school-balakhta-77", "route_key": f"home-{role}"}
    opened = await region.client.post(
        "/routes", json=home, headers=headers | {"Idempotency-Key": f"home-{role}"}
    )
    assert opened.status_code == 201, opened.text
