"""`Idempotency-Key`: a command sent again gets its first answer, and happens once.

Each answer (the new version, or the route's refusal) is kept under (region, actor, key) with a
hash of the request (its region included), in a table of the event store's own database, so a
retry after a restart finds it. The region is the tenant: the same actor id and key in another
region is another request, never answered from this region's answers. The same key with
another request is refused (422). Two requests with one key at once both reach the route, but
under one command id derived from the region, the actor and the key: the route applies it once
and answers the second with the first's version (its own idempotency), and the first answer
kept is the one both get. An answer that may change on a retry (a conflict, Temporal
unreachable, a route whose process is not running or is paused) is not kept.

Answers are kept `ttl` (`IOM_API_IDEMPOTENCY_TTL_HOURS`, 72 by default: the IETF draft on the
header expects keys to expire): an older answer is not found, so its key is new again, and the
rows older than that are deleted on a write, at most once per `PURGE_EVERY` per process (one
DELETE on the index of `answered_at`). The command id a key stands for does not expire: a route
never applies one command id twice, so a key reused after its answer expired is answered by the
route's own idempotency (the same command: its first version again, nothing written; another
command on that route: 422). Each action gets a fresh key.

**Before answers were regional** they were kept per (actor, key) in `LEGACY_TABLE`, and a key's
command id was derived from the actor and the key alone (`legacy_command_id_for`). The old rows
name no region, and a body need not name one (a refusal), so they cannot be told apart by
region: the schema change drops that table rather than let any region replay them. A retry in
flight across the change is still the same command: the endpoint says whether what the command
targets in the caller's region (the route in reach, the region's route under the key, the
region's subscription) already holds the key's legacy command id, and if so the retry goes on
under that id, so the route (or the subscriptions) replays its first receipt and nothing is
applied twice. A legacy id is looked for only in the caller's region, so another region's use
of the same actor id and key is never found.
"""

# ruff: noqa: S608 - SQL built from the declared table name; values are parameters

from __future__ import annotations

import asyncio
import hashlib
import json
import re
import threading
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

import structlog
from fastapi import Header, Request
from fastapi.responses import JSONResponse

from aggregates import errors
from aggregates.application import Routes
from api.auth import Principal
from api.problems import (
    MEDIA_TYPE,
    RETRYABLE_RULES,
    Problem,
    ProblemError,
    domain_problem,
    note_refusal,
)
from projections.tables import Db
from projections.view import transaction_on
from runtime.settings import Settings

log = structlog.get_logger("iom.api")

TABLE = "api_idempotency_answers"
LEGACY_TABLE = "api_idempotency"
"""The answers as kept per (actor, key) before they were regional: dropped (see above)."""
HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotent-Replayed"
KEY_PATTERN = re.compile(r"^[\x21-\x7e]{1,128}$")  # printable ASCII, as a UUID or ULID is
COMMAND_NAMESPACE = uuid.UUID("0c5e2a44-7d0b-4f7e-9a53-2b8f4b1d6e90")
EXAMPLE_KEY = "7f0b7d2e-6f0a-4b8e-9a57-3d2c4a1e5b90"
TTL = timedelta(hours=72)
"""How long an answer is kept by default (`IOM_API_IDEMPOTENCY_TTL_HOURS`)."""
PURGE_EVERY = timedelta(minutes=10)
"""The least time between two purges of expired answers by one process."""


def key_header(description: str) -> Any:
    """The `Idempotency-Key` header of a command, described for its endpoint."""
    return Header(alias=HEADER, description=description, examples=[EXAMPLE_KEY])


IdempotencyKey = Annotated[
    str | None,
    key_header(
        "Ключ идемпотентности (например, UUID), свой для каждого действия пользователя:"
        " повтор с тем же ключом и тем же телом получает первый ответ и ничего не записывает"
        " повторно; тот же ключ с другим телом — ошибка 422. Ключ хранится"
        " IOM_API_IDEMPOTENCY_TTL_HOURS часов (по умолчанию 72), после — считается новым."
    ),
]
"""The header of a single command."""


@dataclass(frozen=True)
class Answer:
    """An answer kept under a key: its HTTP status and body, and the request it answered."""

    status: int
    body: dict[str, Any]
    request_hash: str


def create_statements(db: Db) -> list[str]:
    """The table, idempotent."""
    moment = "TIMESTAMPTZ" if db.dialect == "postgres" else "TEXT"
    return [
        f"CREATE TABLE IF NOT EXISTS {TABLE} (region TEXT NOT NULL, actor_id TEXT NOT NULL, "
        f"key TEXT NOT NULL, request_hash TEXT NOT NULL, status INTEGER NOT NULL, "
        f"body TEXT NOT NULL, answered_at {moment} NOT NULL, PRIMARY KEY (region, actor_id, key))",
        f"CREATE INDEX IF NOT EXISTS {TABLE}_answered_at_idx ON {TABLE} (answered_at)",
        f"DROP TABLE IF EXISTS {LEGACY_TABLE}",
    ]


class IdempotencyStore:
    """The kept answers, in the routes' database, each for `ttl` (see the module's docstring);
    `clock` tells the time (UTC)."""

    def __init__(
        self,
        routes: Routes,
        ttl: timedelta = TTL,
        *,
        purge_every: timedelta = PURGE_EVERY,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.datastore = getattr(routes.recorder, "datastore")  # noqa: B009
        self.ttl = ttl
        self.purge_every = purge_every
        self.clock = clock
        self._purged_at: datetime | None = None
        self._purging = threading.Lock()

    @classmethod
    def from_settings(cls, routes: Routes, settings: Settings) -> IdempotencyStore:
        """The store keeping answers `IOM_API_IDEMPOTENCY_TTL_HOURS`."""
        return cls(routes, timedelta(hours=settings.api_idempotency_ttl_hours))

    def create_table(self) -> None:
        """Create the table if missing."""
        with transaction_on(self.datastore, commit=True) as db:
            db.change_schema(create_statements(db))

    def find(self, region: str, actor_id: str, key: str) -> Answer | None:
        """The answer kept under the region's actor's key within the TTL, if any."""
        with transaction_on(self.datastore, commit=False) as db:
            rows = db.fetchall(
                f"SELECT request_hash, status, body FROM {TABLE} "
                "WHERE region = %s AND actor_id = %s AND key = %s AND answered_at >= %s",
                (region, actor_id, key, self.clock() - self.ttl),
            )
        if not rows:
            return None
        row = rows[0]
        return Answer(int(row["status"]), json.loads(row["body"]), str(row["request_hash"]))

    def keep(self, region: str, actor_id: str, key: str, answer: Answer) -> Answer:
        """Keep `answer` unless one is kept already within the TTL (an expired one is
        replaced); the answer kept: `answer` itself when this call kept it, so a caller tells
        the request that answered first from the ones that raced it. Expired answers are
        purged now and then.

        One statement when the key is new: the row written comes back (`RETURNING`); only
        when another answer was kept first is it read."""
        now = self.clock()
        with transaction_on(self.datastore, commit=True) as db:
            written = db.fetchall(
                f"INSERT INTO {TABLE} (region, actor_id, key, request_hash, status, body, "
                "answered_at) VALUES (%s, %s, %s, %s, %s, %s, %s) "
                "ON CONFLICT (region, actor_id, key) DO UPDATE SET "
                "request_hash = excluded.request_hash, status = excluded.status, "
                "body = excluded.body, answered_at = excluded.answered_at "
                f"WHERE {TABLE}.answered_at < %s RETURNING 1",
                (
                    region,
                    actor_id,
                    key,
                    answer.request_hash,
                    answer.status,
                    json.dumps(answer.body, ensure_ascii=False),
                    now,
                    now - self.ttl,
                ),
            )
        if self._purge_due(now):
            try:
                self.purge(now)
            except Exception as error:  # the answer is kept: the next purge tries again
                log.warning("idempotency.purge_failed", error=type(error).__name__)
        if written:
            return answer
        kept = self.find(region, actor_id, key)
        assert kept is not None
        return kept

    def _purge_due(self, now: datetime) -> bool:
        """Whether this process purges now (then not again for `purge_every`)."""
        with self._purging:
            if self._purged_at is not None and now - self._purged_at < self.purge_every:
                return False
            self._purged_at = now
            return True

    def purge(self, now: datetime | None = None) -> int:
        """Delete the answers older than the TTL; how many were deleted."""
        cutoff = (now or self.clock()) - self.ttl
        with transaction_on(self.datastore, commit=True) as db:
            db.execute(f"DELETE FROM {TABLE} WHERE answered_at < %s", (cutoff,))
            deleted = db.rowcount()
        if deleted:
            log.info("idempotency.purged", deleted=deleted)
        return deleted


def command_id_for(region: str, actor_id: str, key: str) -> str:
    """The command id a key stands for: the same for every retry by the same actor of the
    same region, another in another region. A region is a `Code`, an actor id an `Ident` and
    a key printable ASCII without spaces, none holding a line break: the name has three lines
    where a legacy one (`legacy_command_id_for`) has two, so no command id derived here is one
    derived there, and no stored command's id changes meaning."""
    name = f"{region}\n{actor_id}\n{key}"
    return f"api-{uuid.uuid5(COMMAND_NAMESPACE, name)}"


def legacy_command_id_for(actor_id: str, key: str) -> str:
    """The command id a key stood for before command ids were regional (see the module's
    docstring: a retry in flight goes on under it where the caller's region holds it)."""
    name = f"{actor_id}\n{key}"
    return f"api-{uuid.uuid5(COMMAND_NAMESPACE, name)}"


def request_hash(principal: Principal, method: str, path: str, body: dict[str, Any]) -> str:
    """A hash of what was asked, in which region and in which role."""
    asked = {
        "region": principal.region,
        "role": principal.role.value,
        "method": method,
        "path": path,
        "body": body,
    }
    canonical = json.dumps(asked, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def require_key(key: str | None) -> str:
    """The request's key, or a 400 saying what is wrong with it."""
    if key is None:
        raise ProblemError(
            400,
            "idempotency-key-missing",
            "каждая команда передаётся с заголовком Idempotency-Key (например, UUID)",
            rule="required",
            field=HEADER,
        )
    if not KEY_PATTERN.match(key):
        raise ProblemError(
            400,
            "idempotency-key-missing",
            "Idempotency-Key: от 1 до 128 печатных символов ASCII без пробелов",
            rule="format",
            field=HEADER,
        )
    return key


def reuse(key: str) -> ProblemError:
    """The same key with another request."""
    return ProblemError(
        422,
        "idempotency-key-reuse",
        f"ключ «{key}» уже использован для другого запроса; для нового запроса нужен новый ключ",
        rule="idempotency_key_reuse",
        field=HEADER,
    )


def response(answer: Answer, *, replayed: bool) -> JSONResponse:
    """The kept answer as the HTTP response."""
    return JSONResponse(
        answer.body,
        status_code=answer.status,
        media_type=MEDIA_TYPE if answer.status >= 400 else None,
        headers={REPLAYED_HEADER: "true"} if replayed else None,
    )


@dataclass(frozen=True)
class Keyed:
    """A command asked under an `Idempotency-Key`: the request, the kept answers, who asked,
    the key (`require_key` checked it) and the hash of what was asked (`request_hash`)."""

    request: Request
    store: IdempotencyStore
    principal: Principal
    key: str
    asked: str


Holds = Callable[[str], bool]
"""Whether what a command targets in the caller's region (the route in reach, the region's
route under the key, the region's subscription) already holds a command id: asked of the key's
legacy command id (see the module's docstring)."""


def checked_find(keyed: Keyed, check: Callable[[], object] | None, holds: Holds) -> Answer | str:
    """`check` (which raises to refuse), then the answer kept under the key, if any; else the
    command id to run under: the key's legacy one where `holds` says the caller's region holds
    it already (a retry in flight across the change to regional ids), else the regional one."""
    if check is not None:
        check()
    principal = keyed.principal
    found = keyed.store.find(principal.region, principal.actor.id, keyed.key)
    if found is not None:
        return found
    legacy = legacy_command_id_for(principal.actor.id, keyed.key)
    if holds(legacy):
        return legacy
    return command_id_for(principal.region, principal.actor.id, keyed.key)


async def answer_once(
    keyed: Keyed,
    run: Callable[[str], Awaitable[tuple[int, dict[str, Any]]]],
    *,
    command: str,
    holds: Holds,
    route_id: str | None = None,
    check: Callable[[], object] | None = None,
) -> JSONResponse:
    """Run the command (`run`, given the key's command id) once, and answer as the first time
    (`command` names it in the log). `check`, a blocking check that refuses by raising (the
    route within reach, read from the store), runs first, on the same worker thread as the
    lookup of the kept answer and `holds` (blocking too). A route's refusal answered now is
    noted for the metrics, a replayed one is not."""
    region, actor_id = keyed.principal.region, keyed.principal.actor.id
    key, asked = keyed.key, keyed.asked
    logged = log.bind(command=command, route_id=route_id, role=keyed.principal.role.value)
    found = await asyncio.to_thread(checked_find, keyed, check, holds)
    if isinstance(found, Answer):
        if found.request_hash != asked:
            logged.info("idempotency key reused for another request")
            raise reuse(key)
        logged.info("command answered again", status=found.status)
        return response(found, replayed=True)
    command_id = found
    logged = logged.bind(command_id=command_id)
    refusal: Problem | None = None
    try:
        status, body = await run(command_id)
    except errors.CommandReuseError:
        # Another request under this key, with another body, got to the route first: its
        # answer is the one to keep, not this refusal.
        logged.info("idempotency key reused for another request")
        raise reuse(key) from None
    except errors.DomainError as error:
        if isinstance(error, errors.ConflictError) or error.rule in RETRYABLE_RULES:
            logged.info("command not answered", rule=error.rule)
            raise
        refusal = domain_problem(error)
        status, body = refusal.status, refusal.model_dump(mode="json")
    answer = Answer(status, body, asked)
    kept = await asyncio.to_thread(keyed.store.keep, region, actor_id, key, answer)
    if kept.request_hash != asked:
        raise reuse(key)
    if refusal is not None and kept.body == body:
        note_refusal(keyed.request, refusal)
    logged.info("command answered", status=kept.status, rule=kept.body.get("rule"))
    # Requests racing under one key all ran the command (the route applied it once); the one
    # whose answer was kept first answers, every other one is a replay of it.
    return response(kept, replayed=kept is not answer)
