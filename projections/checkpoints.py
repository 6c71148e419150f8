"""Signed audit checkpoints in the store: what the audit trail had seen of every route, signed
with a key kept outside the database (`aggregates.audit.sign`), so that `iom audit verify`
notices a route's last events deleted, or a changed last event hashed again, without a digest
the operator must remember to keep.

`iom_audit_checkpoints` — one row per checkpoint: its number, when it was taken, how many routes
it holds, and its signature. `iom_audit_checkpoint_heads` — the checkpoint's rows: each route's
last version the audit trail recorded and the chain's hash there. The projector writes one
periodically (IOM_AUDIT_CHECKPOINT_INTERVAL), `iom audit checkpoint` on demand.
"""

# ruff: noqa: S608 - SQL built from declared table and column names; values are parameters

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from uuid import UUID

from aggregates.application import Routes
from aggregates.audit import ChainReport, Head, held_against, sign, verify_route
from projections.audit import AUDIT
from projections.tables import Column, Db, Table

CHECKPOINTS = Table(
    "iom_audit_checkpoints",
    (
        Column("checkpoint", "int"),
        Column("taken_at", "text"),
        Column("routes", "int"),
        Column("signature", "text"),
    ),
    key=("checkpoint",),
)

CHECKPOINT_HEADS = Table(
    "iom_audit_checkpoint_heads",
    (
        Column("checkpoint", "int"),
        Column("route_id", "text"),
        Column("version", "int"),
        Column("head", "text"),
    ),
    key=("checkpoint", "route_id"),
)


@dataclass(frozen=True)
class Checkpoint:
    """A checkpoint as stored: its number, time, signature and heads."""

    number: int
    taken_at: str
    signature: str
    heads: dict[UUID, Head]

    def signed_by(self, key: bytes) -> bool:
        """Whether the stored signature is the key's over the stored rows."""
        return self.signature == sign(key, self.number, self.taken_at, self.heads.values())


def trail_heads(db: Db) -> dict[UUID, Head]:
    """Each route's last event the audit trail recorded, with its chain hash."""
    rows = db.fetchall(
        f"SELECT route_id, version, chain_hash FROM {AUDIT.name} a WHERE version ="
        f" (SELECT MAX(version) FROM {AUDIT.name} b WHERE b.route_id = a.route_id)"
    )
    return {
        UUID(str(r["route_id"])): Head(UUID(str(r["route_id"])), int(r["version"]), r["chain_hash"])
        for r in rows
    }


def write_checkpoint(db: Db, key: bytes) -> Checkpoint:
    """A new checkpoint of the audit trail's heads, signed with `key`."""
    db.change_schema(
        s for table in (CHECKPOINTS, CHECKPOINT_HEADS) for s in table.create(db.dialect)
    )
    rows = db.fetchall(f"SELECT MAX(checkpoint) AS last FROM {CHECKPOINTS.name}")
    number = int(rows[0]["last"] or 0) + 1
    heads = trail_heads(db)
    taken_at = datetime.now(UTC).isoformat()
    signature = sign(key, number, taken_at, heads.values())
    db.execute(CHECKPOINTS.insert(), (number, taken_at, len(heads), signature))
    db.write(
        CHECKPOINT_HEADS,
        [(number, str(h.route_id), h.version, h.head) for h in heads.values()],
        "insert",
    )
    return Checkpoint(number, taken_at, signature, heads)


def has_checkpoints(db: Db) -> bool:
    """Whether the checkpoint table exists."""
    if db.dialect == "postgres":
        found = db.fetchall("SELECT to_regclass(%s) AS found", (CHECKPOINTS.name,))
        return found[0]["found"] is not None
    query = "SELECT name FROM sqlite_master WHERE type = 'table' AND name = %s"
    return bool(db.fetchall(query, (CHECKPOINTS.name,)))


def latest_checkpoint(db: Db) -> Checkpoint | None:
    """The latest checkpoint (None when there is none, or no table)."""
    if not has_checkpoints(db):
        return None
    rows = db.fetchall(f"SELECT * FROM {CHECKPOINTS.name} ORDER BY checkpoint DESC LIMIT 1")
    if not rows:
        return None
    number = int(rows[0]["checkpoint"])
    heads = db.fetchall(
        f"SELECT route_id, version, head FROM {CHECKPOINT_HEADS.name} WHERE checkpoint = %s",
        (number,),
    )
    return Checkpoint(
        number,
        rows[0]["taken_at"],
        rows[0]["signature"],
        {
            UUID(r["route_id"]): Head(UUID(r["route_id"]), int(r["version"]), r["head"])
            for r in heads
        },
    )


TRAIL = "журнал аудита видел"
SIGNED = "подписанная контрольная точка хранит"


def route_findings(
    routes: Routes, route_id: UUID, trail: Head | None, signed: Head | None
) -> tuple[ChainReport, list[tuple[int | None, str]]]:
    """One route's chain recomputed from its stored events and held against the head the audit
    trail saw (`trail`) and the head the latest signed checkpoint holds (`signed`): the report,
    and each finding as (the version, why, in Russian)."""
    recorded = [(head, where) for head, where in ((trail, TRAIL), (signed, SIGNED)) if head]
    report = verify_route(routes, route_id, {head.version for head, _ in recorded})
    findings: list[tuple[int | None, str]] = []
    if not report.intact:
        findings.append((report.broken_at, report.reason))
    for head, where in recorded:
        reason = held_against(report, head, where)
        if reason is not None:
            findings.append((head.version, reason))
    return report, findings
