"""A key vault in one SQLite file (the default store).

Two tables: ``<table>`` holds each document as BSON under its ``_id``, and ``<table>_alt_names`` holds one row
per key alt name with ``name`` as its primary key, so uniqueness is the database's own constraint. Writes
run in ``BEGIN IMMEDIATE`` transactions, so several processes can share the file; WAL mode with
``synchronous=FULL`` makes an acknowledged write durable.
"""

from __future__ import annotations

import os
import re
import sqlite3
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


class SqliteKeyVault:
    def __init__(self, path: str | os.PathLike[str], *, table: str = "key_vault") -> None:
        if not _IDENTIFIER.match(table):
            raise ConfigurationError(f"invalid key vault table name {table!r}")
        self._docs, self._names = table, f"{table}_alt_names"
        self._lock = threading.Lock()
        self._db = sqlite3.connect(os.fspath(path), isolation_level=None, check_same_thread=False, timeout=30)
        self._db.execute("PRAGMA foreign_keys = ON")
        self._db.execute("PRAGMA journal_mode = WAL")
        self._db.execute("PRAGMA synchronous = FULL")
        with self._write():
            self._db.execute(
                f"CREATE TABLE IF NOT EXISTS {self._docs} ("
                " seq INTEGER PRIMARY KEY AUTOINCREMENT, id BLOB NOT NULL UNIQUE, document BLOB NOT NULL)"
            )
            self._db.execute(
                f"CREATE TABLE IF NOT EXISTS {self._names} (name TEXT PRIMARY KEY,"
                f" key_id BLOB NOT NULL REFERENCES {self._docs}(id) ON DELETE CASCADE)"
            )

    def insert(self, document: Mapping[str, Any]) -> None:
        key_id = key_id_of(document)
        with self._write():
            try:
                self._db.execute(f"INSERT INTO {self._docs} (id, document) VALUES (?, ?)", (key_id, encode(document)))
            except sqlite3.IntegrityError:
                raise duplicate_id(key_id) from None
            self._add_names(key_id, alt_names_of(document))

    def get(self, key_id: bytes) -> Document | None:
        return self._one(f"SELECT document FROM {self._docs} WHERE id = ?", bytes(key_id))

    def get_by_alt_name(self, name: str) -> Document | None:
        return self._one(
            f"SELECT d.document FROM {self._names} n JOIN {self._docs} d ON d.id = n.key_id WHERE n.name = ?", name
        )

    def documents(self) -> Iterator[Document]:
        with self._lock:
            rows = self._db.execute(f"SELECT document FROM {self._docs} ORDER BY seq").fetchall()
        return (decode(row[0]) for row in rows)

    def update(self, key_id: bytes, change: Change) -> Document | None:
        key_id = bytes(key_id)
        with self._write():
            row = self._db.execute(f"SELECT document FROM {self._docs} WHERE id = ?", (key_id,)).fetchone()
            if row is None:
                return None
            before = decode(row[0])
            after = checked_change(before, change)
            self._db.execute(f"UPDATE {self._docs} SET document = ? WHERE id = ?", (encode(after), key_id))
            self._db.execute(f"DELETE FROM {self._names} WHERE key_id = ?", (key_id,))
            self._add_names(key_id, alt_names_of(after))
            return before

    def delete(self, key_id: bytes) -> bool:
        with self._write():
            return self._db.execute(f"DELETE FROM {self._docs} WHERE id = ?", (bytes(key_id),)).rowcount > 0

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def _add_names(self, key_id: bytes, names: list[str]) -> None:
        for name in names:
            try:
                self._db.execute(f"INSERT INTO {self._names} (name, key_id) VALUES (?, ?)", (name, key_id))
            except sqlite3.IntegrityError:
                raise duplicate_alt_name(name) from None

    def _one(self, sql: str, arg: Any) -> Document | None:
        with self._lock:
            row = self._db.execute(sql, (arg,)).fetchone()
        return None if row is None else decode(row[0])

    def _write(self) -> _Transaction:
        return _Transaction(self._db, self._lock)


class _Transaction:
    """``BEGIN IMMEDIATE`` … ``COMMIT``, or ``ROLLBACK`` if the block raised; holds the connection lock."""

    def __init__(self, db: sqlite3.Connection, lock: threading.Lock) -> None:
        self._db, self._lock = db, lock

    def __enter__(self) -> None:
        self._lock.acquire()
        try:
            self._db.execute("BEGIN IMMEDIATE")
        except BaseException:
            self._lock.release()
            raise

    def __exit__(self, exc_type: Any, exc: Any, tb: Any) -> None:
        try:
            self._db.execute("ROLLBACK" if exc_type else "COMMIT")
        finally:
            self._lock.release()
