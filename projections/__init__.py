"""Read models: the monitoring tables and the audit trail, fed exactly once from the event
store's notification log, rebuildable from the first event.

- `catalog` — the projections (`monitoring`, `audit`) and their operations: open, status,
  catch up, rebuild.
- `monitoring` (tables in `routes`, `activities`, `agreement`, `corrections`, `dynamics`) and
  `audit` — what each projection writes; `refusals` — refused commands (not derived from events).
- `view` — each projection's tables beside the library's tracking recorder, written in one
  transaction with the tracking position; `runner` and `feed` — reading the log (subscription on
  PostgreSQL, polling on SQLite); `lease` — one projector per projection on PostgreSQL.

Projections read the aggregates' events; they never import the API or the workflows.
"""
