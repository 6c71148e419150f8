"""What the engine checks of a token's claims beyond the portal's signature: their consistency
with what it already knows.

A teacher id is bound to one portal subject per region: the first token naming the pair records
it (a table of the event store's own database), and a later token that names the teacher with
another subject, or the subject with another teacher, is refused (403, rule `teacher_binding`)
and logged with the ids. A school's people are refused (403, rule `school_region`) when their
school belongs to another region as far as the engine knows, and so is a route opened for such a
school (by any role): the monitoring projection's routes
(`iom_routes`, one row per route with its region and school, as the opening command gave them)
hold a route of that school in another region. A school the engine has no route of yet is taken
as the token says (the projection follows the store within the projector's lag).
"""

# ruff: noqa: S608 - SQL built from the declared table names; values are parameters

from __future__ import annotations

import threading
from datetime import UTC, datetime

import structlog

from aggregates.errors import RoleError
from aggregates.values import Role
from api.auth import Principal
from api.portal_tokens import SCHOOL_ROLES
from projections.routes import ROUTES
from projections.tables import Db
from projections.view import ProjectionView, transaction_on

log = structlog.get_logger("iom.api")

TABLE = "api_teacher_subjects"
KEEP_KNOWN = 100_000
"""The most confirmed bindings a process remembers (then it forgets them and asks again)."""


def create_statements(db: Db) -> list[str]:
    """The table, idempotent: one subject per teacher, one teacher per subject, per region."""
    moment = "TIMESTAMPTZ" if db.dialect == "postgres" else "TEXT"
    return [
        f"CREATE TABLE IF NOT EXISTS {TABLE} (region TEXT NOT NULL, teacher_id TEXT NOT NULL, "
        f"subject TEXT NOT NULL, bound_at {moment} NOT NULL, PRIMARY KEY (region, teacher_id), "
        "UNIQUE (region, subject))",
    ]


class TeacherBindings:
    """The teacher ids' portal subjects, in the routes' database (see the module's text)."""

    def __init__(self, datastore: object) -> None:
        self.datastore = datastore
        self._known: set[tuple[str, str, str]] = set()
        self._lock = threading.Lock()
        self._created = False

    def create_table(self) -> None:
        """Create the table if missing (once per process: the first binding asks for it)."""
        if self._created:
            return
        with transaction_on(self.datastore, commit=True) as db:
            db.change_schema(create_statements(db))
        self._created = True

    def known(self, principal: Principal) -> bool:
        """Whether this process has confirmed the principal's binding already (no I/O)."""
        return _pair(principal) in self._known

    def bind(self, principal: Principal) -> None:
        """Record the teacher's binding if it is the first, or refuse a token that breaks the
        one recorded (blocking: it reads and writes the store)."""
        pair = _pair(principal)
        region, teacher_id, subject = pair
        self.create_table()
        with transaction_on(self.datastore, commit=True) as db:
            db.execute(
                f"INSERT INTO {TABLE} (region, teacher_id, subject, bound_at) "
                "VALUES (%s, %s, %s, %s) ON CONFLICT DO NOTHING",
                (region, teacher_id, subject, datetime.now(UTC)),
            )
            rows = db.fetchall(
                f"SELECT teacher_id, subject FROM {TABLE} "
                "WHERE region = %s AND (teacher_id = %s OR subject = %s)",
                (region, teacher_id, subject),
            )
        others = [r for r in rows if (r["teacher_id"], r["subject"]) != (teacher_id, subject)]
        if others:
            log.warning(
                "teacher binding refused",
                region=region,
                teacher_id=teacher_id,
                subject=subject,
                bound=[(r["teacher_id"], r["subject"]) for r in others],
            )
            raise RoleError(
                "teacher_binding",
                "педагог и пользователь портала уже связаны иначе: токен не принят",
                "teacher_id",
            )
        with self._lock:
            if len(self._known) >= KEEP_KNOWN:
                self._known.clear()
            self._known.add(pair)


def _pair(principal: Principal) -> tuple[str, str, str]:
    return principal.region, principal.teacher_id or "", principal.subject


def require_school_of_region(
    view: ProjectionView, region: str, school_id: str, field: str, subject: str
) -> None:
    """Refuse a school that has a route in another region (blocking): named by a token (`field`
    `school`) or by a route being opened (`school_id`)."""
    with view.transaction(commit=False) as db:
        rows = db.fetchall(
            f"SELECT profile_id FROM {ROUTES.name} WHERE school_id = %s AND profile_id <> %s "
            "LIMIT 1",
            (school_id, region),
        )
    if rows:
        log.warning(
            "school of another region refused",
            region=region,
            school_id=school_id,
            known_region=rows[0]["profile_id"],
            subject=subject,
            field=field,
        )
        raise RoleError(
            "school_region", "образовательная организация относится к другому региону", field
        )


def needs_check(principal: Principal, bindings: TeacherBindings) -> bool:
    """Whether the principal's claims need a look at the store (`check_claims`)."""
    if principal.role is Role.TEACHER:
        return not bindings.known(principal)
    return principal.role in SCHOOL_ROLES


def check_claims(bindings: TeacherBindings, view: ProjectionView, principal: Principal) -> None:
    """The checks of the module's text that apply to the principal (blocking)."""
    if principal.role is Role.TEACHER and principal.teacher_id is not None:
        bindings.bind(principal)
    elif principal.role in SCHOOL_ROLES and principal.school is not None:
        require_school_of_region(
            view, principal.region, principal.school, "school", principal.subject
        )
