"""Alerts from monitoring: sources, deduplication and grouping."""
