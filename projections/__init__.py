"""Read models: monitoring tables and the audit trail."""
