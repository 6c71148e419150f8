"""The write model's adapters: the event store on PostgreSQL, the personal-data store beside it,
the audit bundle of a route. The values they keep and hand out stay in `aggregates`."""
