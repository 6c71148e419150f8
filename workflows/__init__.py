"""Temporal workflows: orchestration only."""
