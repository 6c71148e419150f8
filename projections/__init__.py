"""Read models: the monitoring tables and the audit trail, fed exactly once from the event
store's notification log, rebuildable from the first event.

- `catalog` — the projections (`monitoring`, `audit`) and their operations: open, status,
  catch up, rebuild (several in one pass over the log).
- `monitoring` (tables in `routes`, `activities`, `agreement`, `corrections`, `dynamics`) and
  `audit` — what each projection writes; `refusals` — refused commands (not derived from events).
- `view` — each projection's tables beside the library's tracking recorder, written in one
  transaction with the tracking position; `runner` and `feed` — reading and decoding the log
  (subscription on PostgreSQL, polling on SQLite, reading ahead when catching up); `lease` — one
  projector per projection on PostgreSQL.

Projections read the aggregates' events; they never import the API or the workflows.
"""
