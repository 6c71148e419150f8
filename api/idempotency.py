"""`Idempotency-Key`: a command sent again gets its first answer, and happens once.

Each answer (the new version, or the route's refusal) is kept under (actor, key) with a hash of
the request, in a table of the event store's own database, so a retry after a restart finds it.
The same key with another request is refused (422). Two requests with one key at once both reach
the route, but under one command id derived from the actor and the key: the route applies it
once and answers the second with the first's version (its own idempotency), and the first
answer kept is the one both get. An answer that may change on a retry (a conflict, Temporal
unreachable, a route whose process is not running or is paused) is not kept.
"""

# ruff: noqa: S608 - SQL built from the declared table name; values are parameters

from __future__ import annotations

import asyncio
import hashlib
import json
import re
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import structlog
from fastapi.responses import JSONResponse

from aggregates import errors
from aggregates.application import Routes
from api.auth import Principal
from api.problems import MEDIA_TYPE, ProblemError, domain_problem
from projections.tables import Db
from projections.view import transaction_on

log = structlog.get_logger("iom.api")

TABLE = "api_idempotency"
HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotent-Replayed"
KEY_PATTERN = re.compile(r"^[\x21-\x7e]{1,128}$")  # printable ASCII, as a UUID or ULID is
COMMAND_NAMESPACE = uuid.UUID("0c5e2a44-7d0b-4f7e-9a53-2b8f4b1d6e90")
DDL_LOCK = "SELECT pg_advisory_xact_lock(1229933892)"  # the projections' lock: "IOMD"
TRANSIENT_RULES = frozenset({"conflict", "not_running", "paused"})


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
        f"CREATE TABLE IF NOT EXISTS {TABLE} (actor_id TEXT NOT NULL, key TEXT NOT NULL, "
        f"request_hash TEXT NOT NULL, status INTEGER NOT NULL, body TEXT NOT NULL, "
        f"answered_at {moment} NOT NULL, PRIMARY KEY (actor_id, key))",
    ]


class IdempotencyStore:
    """The kept answers, in the routes' database."""

    def __init__(self, routes: Routes) -> None:
        self.datastore = getattr(routes.recorder, "datastore")  # noqa: B009

    def create_table(self) -> None:
        """Create the table if missing (on PostgreSQL one schema change at a time: API
        processes starting together would otherwise race on the catalogue)."""
        with transaction_on(self.datastore, commit=True) as db:
            if db.dialect == "postgres":
                db.execute(DDL_LOCK)
            for statement in create_statements(db):
                db.execute(statement)

    def find(self, actor_id: str, key: str) -> Answer | None:
        """The answer kept under the actor's key, if any."""
        with transaction_on(self.datastore, commit=False) as db:
            rows = db.fetchall(
                f"SELECT request_hash, status, body FROM {TABLE} WHERE actor_id = %s AND key = %s",
                (actor_id, key),
            )
        if not rows:
            return None
        row = rows[0]
        return Answer(int(row["status"]), json.loads(row["body"]), str(row["request_hash"]))

    def keep(self, actor_id: str, key: str, answer: Answer) -> Answer:
        """Keep `answer` unless one is kept already; the answer kept."""
        with transaction_on(self.datastore, commit=True) as db:
            db.execute(
                f"INSERT INTO {TABLE} (actor_id, key, request_hash, status, body, answered_at) "
                "VALUES (%s, %s, %s, %s, %s, %s) ON CONFLICT DO NOTHING",
                (
                    actor_id,
                    key,
                    answer.request_hash,
                    answer.status,
                    json.dumps(answer.body, ensure_ascii=False),
                    datetime.now(UTC),
                ),
            )
        kept = self.find(actor_id, key)
        assert kept is not None
        return kept


def command_id_for(actor_id: str, key: str) -> str:
    """The command id a key stands for: the same for every retry by the same actor."""
    name = f"{actor_id}\n{key}"
    return f"api-{uuid.uuid5(COMMAND_NAMESPACE, name)}"


def request_hash(principal: Principal, method: str, path: str, body: dict[str, Any]) -> str:
    """A hash of what was asked, and in which role."""
    asked = {"role": principal.role.value, "method": method, "path": path, "body": body}
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


async def answer_once(
    store: IdempotencyStore,
    principal: Principal,
    key: str,
    asked: str,
    run: Callable[[str], Awaitable[tuple[int, dict[str, Any]]]],
    *,
    command: str,
    route_id: str | None = None,
) -> JSONResponse:
    """Run the command under the key's command id once, and answer as the first time."""
    actor_id = principal.actor.id
    command_id = command_id_for(actor_id, key)
    logged = log.bind(
        command=command, route_id=route_id, command_id=command_id, role=principal.role.value
    )
    found = await asyncio.to_thread(store.find, actor_id, key)
    if found is not None:
        if found.request_hash != asked:
            logged.info("idempotency key reused for another request")
            raise reuse(key)
        logged.info("command answered again", status=found.status)
        return response(found, replayed=True)
    try:
        status, body = await run(command_id)
    except errors.CommandReuseError:
        # Another request under this key, with another body, got to the route first: its
        # answer is the one to keep, not this refusal.
        logged.info("idempotency key reused for another request")
        raise reuse(key) from None
    except errors.DomainError as error:
        if isinstance(error, errors.ConflictError) or error.rule in TRANSIENT_RULES:
            logged.info("command not answered", rule=error.rule)
            raise
        refusal = domain_problem(error)
        status, body = refusal.status, refusal.model_dump(mode="json")
    kept = await asyncio.to_thread(store.keep, actor_id, key, Answer(status, body, asked))
    if kept.request_hash != asked:
        raise reuse(key)
    logged.info("command answered", status=kept.status, rule=kept.body.get("rule"))
    return response(kept, replayed=kept.body != body)
