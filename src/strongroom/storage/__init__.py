"""Persistence: one Store interface, implemented on SQLite (the embedded default)."""
