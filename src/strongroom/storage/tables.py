"""Whole-table reads and writes for backup and restore, for both dialects (see backup.py).

The caller provides the consistency: a read transaction around ``read_all`` and a write transaction around
``insert_all``.
"""

from __future__ import annotations

from typing import Any

from strongroom.storage.backup import BackupError, Table, insertion_order

NOT_BACKED_UP = "change_generation"
_SQLITE_TABLES = "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name"
_PG_TABLES = ("SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema() "
              "AND table_type = 'BASE TABLE' AND table_name <> %s ORDER BY table_name")
_PG_COLUMNS = ("SELECT column_name FROM information_schema.columns WHERE table_schema = current_schema() "
               "AND table_name = %s ORDER BY ordinal_position")
_PG_PARENTS = ("SELECT c.conrelid::regclass::text, c.confrelid::regclass::text FROM pg_constraint c "
               "JOIN pg_namespace n ON n.oid = c.connamespace WHERE c.contype = 'f' AND n.nspname = current_schema()")


class Catalog:
    """The dialect's way to list tables, columns and foreign keys, over any DB-API style ``execute``."""

    def __init__(self, dialect: str, execute: Any, skip: str = "") -> None:
        self.dialect, self._execute, self._skip = dialect, execute, skip
        self._mark = "?" if dialect == "sqlite" else "%s"

    def tables(self) -> list[str]:
        """Every table of the data, without the change counter (each store's own bookkeeping)."""
        if self.dialect == "sqlite":
            names = [row[0] for row in self._execute(_SQLITE_TABLES).fetchall()]
        else:
            names = [row[0] for row in self._execute(_PG_TABLES, (self._skip,)).fetchall()]
        return [name for name in names if name != NOT_BACKED_UP]

    def columns(self, table: str) -> list[str]:
        if self.dialect == "sqlite":
            return [row[1] for row in self._execute(f'PRAGMA table_info("{table}")').fetchall()]
        return [row[0] for row in self._execute(_PG_COLUMNS, (table,)).fetchall()]

    def parents(self, tables: list[str]) -> dict[str, set[str]]:
        found: dict[str, set[str]] = {}
        if self.dialect == "sqlite":
            for table in tables:
                found[table] = {row[2] for row in self._execute(f'PRAGMA foreign_key_list("{table}")').fetchall()}
        else:
            for child, parent in self._execute(_PG_PARENTS).fetchall():
                found.setdefault(child.strip('"'), set()).add(parent.strip('"'))
        return found

    def read_all(self) -> dict[str, Table]:
        tables = {}
        for table in self.tables():
            columns = self.columns(table)
            order = ", ".join(f'"{c}"' for c in columns)
            rows = self._execute(f'SELECT {order} FROM "{table}" ORDER BY {order}').fetchall()
            tables[table] = (columns, [tuple(_plain(v) for v in row) for row in rows])
        return tables

    def insert_all(self, tables: dict[str, Table], executemany: Any) -> None:
        """Into an empty store of the same schema: checks both, then inserts parents before children."""
        present = self.tables()
        for table in present:
            if self._execute(f'SELECT 1 FROM "{table}" LIMIT 1').fetchone() is not None:
                raise BackupError(f"the target store is not empty (table {table} has rows); restore needs an "
                                  "empty data directory or database")
        for table, (columns, _) in tables.items():
            if table not in present or set(columns) != set(self.columns(table)):
                raise BackupError(f"table {table} of the backup does not match this store's schema")
        for table in insertion_order(list(tables), self.parents(present)):
            columns, rows = tables[table]
            if rows:
                names = ", ".join(f'"{c}"' for c in columns)
                marks = ", ".join([self._mark] * len(columns))
                executemany(f'INSERT INTO "{table}" ({names}) VALUES ({marks})', rows)


def _plain(value: Any) -> Any:
    return bytes(value) if isinstance(value, memoryview) else value
