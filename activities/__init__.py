"""Temporal activities: thin adapters over the application."""
