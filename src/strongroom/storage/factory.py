"""Which store a configuration names: SQLite in the data directory by default, PostgreSQL by URL."""

from __future__ import annotations

from pathlib import Path

from strongroom.errors import InvalidRequestError
from strongroom.storage.base import Store

SQLITE_FILE = "strongroom.db"
POSTGRES_SCHEMES = ("postgresql://", "postgres://")


def is_postgres(database: str | None) -> bool:
    return bool(database) and database.startswith(POSTGRES_SCHEMES)  # type: ignore[union-attr]


def open_store(database: str | None, data_dir: Path, *, serving: bool = False) -> Store:
    """``None`` (or empty) → ``DATA_DIR/strongroom.db``; ``postgresql://…`` → PostgreSQL (migrated on open).

    ``serving``: the store of a server worker, which keeps slow maintenance (SQLite's WAL checkpoints) off
    its request path."""
    if not database:
        from strongroom.storage.sqlite import SqliteStore

        return SqliteStore(data_dir / SQLITE_FILE, background_checkpoints=serving)
    if is_postgres(database):
        from strongroom.storage.postgres import PostgresStore

        return PostgresStore(database)
    raise InvalidRequestError("--database must be a postgresql:// URL (leave it out for SQLite in the data dir)")
