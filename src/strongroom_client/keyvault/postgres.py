"""A key vault in PostgreSQL (psycopg 3), for applications that already run one.

The same two tables as the SQLite store: ``<table>`` (``id`` bytea primary key, the document as BSON) and
``<table>_alt_names`` (``name`` primary key), so the database enforces unique ids and key alt names. Each
write is one transaction; :meth:`PostgresKeyVault.update` locks the row (``SELECT … FOR UPDATE``), so
several processes and hosts can share the vault. Requires ``psycopg`` (``pip install "psycopg[binary]"``).
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator, Mapping
from typing import Any

from strongroom_client.errors import ConfigurationError
from strongroom_client.keyvault.base import (
    Change,
    Document,
    alt_names_of,
    checked_change,
    decode,
    duplicate_alt_name,
    duplicate_id,
    encode,
    key_id_of,
)

_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,40}$")
_SCHEMA_LOCK = 0x5354524F4E47  # advisory lock id: concurrent first starts create the tables once


class PostgresKeyVault:
    def __init__(self, conninfo: str, *, table: str = "key_vault", create: bool = True) -> None:
        try:
            import psycopg
            from psycopg import sql
        except ImportError:  # pragma: no cover - depends on the environment
            raise ConfigurationError('the PostgreSQL key vault needs psycopg: pip install "psycopg[binary]"') from None
        if not _IDENTIFIER.match(table):
            raise ConfigurationError(f"invalid key vault table name {table!r}")
        self._errors = psycopg.errors
        self._lock = threading.Lock()
        self._conn = psycopg.connect(conninfo, autocommit=True)
        docs, names = sql.Identifier(table), sql.Identifier(f"{table}_alt_names")
        self._sql = {
            "insert": sql.SQL("INSERT INTO {} (id, document) VALUES (%s, %s)").format(docs),
            "name": sql.SQL("INSERT INTO {} (name, key_id) VALUES (%s, %s)").format(names),
            "get": sql.SQL("SELECT document FROM {} WHERE id = %s").format(docs),
            "lock": sql.SQL("SELECT document FROM {} WHERE id = %s FOR UPDATE").format(docs),
            "by_name": sql.SQL("SELECT d.document FROM {} n JOIN {} d ON d.id = n.key_id WHERE n.name = %s").format(
                names, docs
            ),
            "all": sql.SQL("SELECT document FROM {} ORDER BY seq").format(docs),
            "replace": sql.SQL("UPDATE {} SET document = %s WHERE id = %s").format(docs),
            "forget_names": sql.SQL("DELETE FROM {} WHERE key_id = %s").format(names),
            "delete": sql.SQL("DELETE FROM {} WHERE id = %s").format(docs),
            "drop": sql.SQL("DROP TABLE IF EXISTS {}, {}").format(names, docs),
        }
        if create:
            with self._lock, self._conn.transaction():
                self._conn.execute("SELECT pg_advisory_xact_lock(%s)", (_SCHEMA_LOCK,))
                self._conn.execute(
                    sql.SQL(
                        "CREATE TABLE IF NOT EXISTS {} (seq BIGSERIAL NOT NULL,"
                        " id BYTEA PRIMARY KEY CHECK (length(id) = 16), document BYTEA NOT NULL)"
                    ).format(docs)
                )
                self._conn.execute(
                    sql.SQL(
                        "CREATE TABLE IF NOT EXISTS {} (name TEXT PRIMARY KEY,"
                        " key_id BYTEA NOT NULL REFERENCES {} (id) ON DELETE CASCADE)"
                    ).format(names, docs)
                )
                self._conn.execute(
                    sql.SQL("CREATE INDEX IF NOT EXISTS {} ON {} (key_id)").format(
                        sql.Identifier(f"{table}_alt_names_key_id"), names
                    )
                )

    def insert(self, document: Mapping[str, Any]) -> None:
        key_id = key_id_of(document)
        with self._lock, self._conn.transaction():
            try:
                with self._conn.transaction():
                    self._conn.execute(self._sql["insert"], (key_id, encode(document)))
            except self._errors.UniqueViolation:
                raise duplicate_id(key_id) from None
            self._add_names(key_id, alt_names_of(document))

    def get(self, key_id: bytes) -> Document | None:
        return self._one("get", bytes(key_id))

    def get_by_alt_name(self, name: str) -> Document | None:
        return self._one("by_name", name)

    def documents(self) -> Iterator[Document]:
        with self._lock:
            rows = self._conn.execute(self._sql["all"]).fetchall()
        return (decode(bytes(row[0])) for row in rows)

    def update(self, key_id: bytes, change: Change) -> Document | None:
        key_id = bytes(key_id)
        with self._lock, self._conn.transaction():
            row = self._conn.execute(self._sql["lock"], (key_id,)).fetchone()
            if row is None:
                return None
            before = decode(bytes(row[0]))
            after = checked_change(before, change)
            self._conn.execute(self._sql["replace"], (encode(after), key_id))
            self._conn.execute(self._sql["forget_names"], (key_id,))
            self._add_names(key_id, alt_names_of(after))
            return before

    def delete(self, key_id: bytes) -> bool:
        with self._lock:
            return self._conn.execute(self._sql["delete"], (bytes(key_id),)).rowcount > 0

    def drop(self) -> None:
        """Remove both tables (tests, decommissioning)."""
        with self._lock:
            self._conn.execute(self._sql["drop"])

    def close(self) -> None:
        with self._lock:
            self._conn.close()

    def _add_names(self, key_id: bytes, names: list[str]) -> None:
        for name in names:
            try:
                with self._conn.transaction():
                    self._conn.execute(self._sql["name"], (name, key_id))
            except self._errors.UniqueViolation:
                raise duplicate_alt_name(name) from None

    def _one(self, query: str, arg: Any) -> Document | None:
        with self._lock:
            row = self._conn.execute(self._sql[query], (arg,)).fetchone()
        return None if row is None else decode(bytes(row[0]))
