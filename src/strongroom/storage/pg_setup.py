"""Reaching PostgreSQL and bringing its schema up to date: bounded connection settings, the DSN as logs may show
it, and the numbered migrations applied once however many nodes start together."""

from __future__ import annotations

import logging
from typing import Any

import psycopg
from psycopg import conninfo

from strongroom.errors import InternalError
from strongroom.storage.migrations import migrations_for

log = logging.getLogger("strongroom.storage")

LOCK_SPACE = 0x53524D  # "SRM": the first half of every advisory lock key Strongroom takes
_MIGRATION_LOCK = 2  # the store's write lock is 1
MIGRATIONS_TABLE = "schema_migrations"


def describe(dsn: str) -> str:
    """The DSN without its password, for messages and logs."""
    try:
        parts = conninfo.conninfo_to_dict(dsn)
    except psycopg.ProgrammingError:
        return "(unparsable database URL)"
    return f"{parts.get('host', 'localhost')}:{parts.get('port', 5432)}/{parts.get('dbname', '')}"


def connection_settings(dsn: str, *, connect_timeout: float, statement_timeout: float) -> dict[str, Any]:
    """Bounded waits everywhere (what the DSN sets itself wins): a dead server must never hang a request."""
    given = conninfo.conninfo_to_dict(dsn)
    defaults: dict[str, Any] = {
        "connect_timeout": max(2, int(connect_timeout)),
        "application_name": "strongroom",
        "keepalives": 1, "keepalives_idle": 5, "keepalives_interval": 2, "keepalives_count": 3,
        "tcp_user_timeout": 5_000,
    }
    settings = {k: v for k, v in defaults.items() if k not in given}
    options = f"-c statement_timeout={int(statement_timeout * 1000)} -c idle_in_transaction_session_timeout=30000"
    settings["options"] = f"{given['options']} {options}" if given.get("options") else options
    return settings


def migrate(conn: psycopg.Connection) -> int:
    """Apply the missing numbered migrations in one transaction, under an advisory lock, so that nodes
    starting together apply each step once. Returns the schema version."""
    with conn.transaction():
        conn.execute("SELECT pg_advisory_xact_lock(%s, %s)", (LOCK_SPACE, _MIGRATION_LOCK))
        conn.execute(f"CREATE TABLE IF NOT EXISTS {MIGRATIONS_TABLE} (version INTEGER PRIMARY KEY, "
                     "applied_at TIMESTAMPTZ NOT NULL DEFAULT now())")
        row = conn.execute(f"SELECT COALESCE(MAX(version), 0) FROM {MIGRATIONS_TABLE}").fetchone()
        current = int(row[0]) if row else 0
        steps = migrations_for("postgres")
        if current > len(steps):
            raise InternalError(f"database schema version {current} is newer than this server")
        for number, sql in steps[current:]:
            conn.execute(sql.encode())
            conn.execute(f"INSERT INTO {MIGRATIONS_TABLE} (version) VALUES (%s)", (number,))
            log.info("database migrated to schema version %d", number)
        return len(steps)
