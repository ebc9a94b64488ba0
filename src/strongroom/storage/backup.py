"""Backups: one consistent snapshot of every table, as stored (key material and secrets stay wrapped by the
KEK, the KEK by the root of trust), in a file sealed with an HMAC.

The file (format 1)::

    STRONGROOM-BACKUP 1 <base64 of the wrapped-KEK record>\\n
    <JSON: dialect, schema version, time, and every table's columns and rows>\\n
    HMAC-SHA256 <hex>\\n

The MAC covers every byte before its line. Its key is derived (HKDF-SHA256) from the data-store KEK, which the
header carries wrapped: verifying needs the root of trust that wrapped it, and nothing else. The KEK is the one
secret every kind of root yields (a key file, Shamir shares, an HSM, another KMS can all unwrap it, none can
be asked for an HMAC key of its own), and it is the key that protects everything inside the backup, so the
file proves itself to exactly those who could use it. The MAC is checked before the body is parsed.

The rows are backend-neutral (both dialects keep the same columns, see migrations/), so a backup taken from
SQLite restores into PostgreSQL and the other way round.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import orjson

from strongroom.errors import InvalidRequestError

MAGIC = b"STRONGROOM-BACKUP 1 "
MAC_PREFIX = b"HMAC-SHA256 "
Table = tuple[list[str], list[tuple]]  # column names, rows


class Dumpable(Protocol):
    """What a store offers for backup and restore (both SqliteStore and PostgresStore)."""

    dialect: str

    def schema_version(self) -> int: ...
    def read_tables(self) -> dict[str, Table]:
        """Every table's rows, from one consistent snapshot, while the store keeps serving."""
        ...
    def write_tables(self, tables: dict[str, Table]) -> None:
        """Insert every row in one transaction, parents before children; refuse a store holding any row."""
        ...


class BackupError(InvalidRequestError):
    """A backup that cannot be used: unreadable, altered, made under another root, or for another schema."""


@dataclass(frozen=True)
class Snapshot:
    dialect: str
    schema_version: int
    taken_at: float
    tables: dict[str, Table]

    @property
    def wrapped_kek(self) -> bytes:
        columns, rows = self.tables.get("kek", ([], []))
        if not rows:
            raise BackupError("the data store has no key-encryption key: there is nothing to back up")
        return rows[0][columns.index("wrapped")]

    def count(self, table: str) -> int:
        return len(self.tables.get(table, ([], []))[1])


def integrity_key(kek: bytes) -> bytes:
    """HKDF-SHA256 (RFC 5869) of the KEK, for this one purpose."""
    prk = hmac.new(b"strongroom backup", bytes(kek), hashlib.sha256).digest()
    return hmac.new(prk, b"integrity v1\x01", hashlib.sha256).digest()


def take(store: Dumpable) -> Snapshot:
    return Snapshot(store.dialect, store.schema_version(), time.time(), store.read_tables())


def write(path: Path, snapshot: Snapshot, unwrap_kek: Callable[[bytes], bytes]) -> None:
    """Write the sealed file (mode 0600) atomically: a crash leaves the old file or the new one."""
    wrapped = snapshot.wrapped_kek
    body = orjson.dumps({"dialect": snapshot.dialect, "schema_version": snapshot.schema_version,
                         "taken_at": snapshot.taken_at,
                         "tables": {name: {"columns": columns, "rows": rows}
                                    for name, (columns, rows) in sorted(snapshot.tables.items())}},
                        default=_encode)
    sealed = MAGIC + base64.b64encode(wrapped) + b"\n" + body + b"\n"
    mac = hmac.new(integrity_key(unwrap_kek(wrapped)), sealed, hashlib.sha256).hexdigest().encode()
    tmp = path.with_name(path.name + ".partial")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as out:
        out.write(sealed + MAC_PREFIX + mac + b"\n")
        out.flush()
        os.fsync(out.fileno())
    os.replace(tmp, path)


def read(path: Path, unwrap_kek: Callable[[bytes], bytes]) -> Snapshot:
    """The snapshot in a sealed file, once its MAC checks out under the KEK that ``unwrap_kek`` recovers."""
    data = path.read_bytes()
    if not data.startswith(MAGIC):
        raise BackupError(f"{path} is not a Strongroom backup (format 1)")
    sealed, found, trailer = data.rstrip(b"\n").rpartition(b"\n" + MAC_PREFIX)
    if not found:
        raise BackupError(f"{path} has been altered or truncated: it has no HMAC line")
    header, _, body = sealed.partition(b"\n")
    try:
        wrapped = base64.b64decode(header[len(MAGIC):], validate=True)
        kek = unwrap_kek(wrapped)
    except Exception as exc:
        raise BackupError(f"{path}: its key-encryption key does not unwrap with this root of trust "
                          "(or the file is damaged)") from exc
    expected = hmac.new(integrity_key(kek), sealed + b"\n", hashlib.sha256).hexdigest().encode()
    if not trailer or not hmac.compare_digest(expected, trailer.strip()):
        raise BackupError(f"{path} has been altered or truncated: its HMAC does not match")
    doc = orjson.loads(body)
    tables = {name: (table["columns"], [tuple(_decode(v) for v in row) for row in table["rows"]])
              for name, table in doc["tables"].items()}
    snapshot = Snapshot(doc["dialect"], int(doc["schema_version"]), float(doc["taken_at"]), tables)
    if snapshot.wrapped_kek != wrapped:
        raise BackupError(f"{path}: the header and the body name different key-encryption keys")
    return snapshot


def restore(store: Dumpable, snapshot: Snapshot) -> None:
    if store.schema_version() != snapshot.schema_version:
        raise BackupError(f"the backup has schema version {snapshot.schema_version} and this store "
                          f"{store.schema_version()}: restore with the Strongroom release that made it, then upgrade")
    store.write_tables(snapshot.tables)


def insertion_order(tables: list[str], parents: dict[str, set[str]]) -> list[str]:
    """Tables ordered so that every table comes after the tables its foreign keys point at."""
    ordered: list[str] = []
    visiting: set[str] = set()

    def visit(table: str) -> None:
        if table in ordered or table in visiting:
            return
        visiting.add(table)
        for parent in sorted(parents.get(table, set())):
            if parent != table and parent in tables:
                visit(parent)
        ordered.append(table)

    for table in sorted(tables):
        visit(table)
    return ordered


def _encode(value: Any) -> Any:
    if isinstance(value, (bytes, bytearray, memoryview)):
        return {"$b": base64.b64encode(bytes(value)).decode()}
    raise TypeError(f"cannot back up a {type(value).__name__}")


def _decode(value: Any) -> Any:
    if isinstance(value, dict) and set(value) == {"$b"}:
        return base64.b64decode(value["$b"])
    return value
