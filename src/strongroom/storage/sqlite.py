"""The embedded default store: one SQLite file in WAL mode, every commit durable (synchronous=FULL) unless a
transaction asks otherwise (the audit trail's batches, see ``transaction``).

Several worker processes may share the file. ``changed_elsewhere`` reads a change counter that every write of
cached state bumps (the audit trail's writes do not), so each process can cache keys and drop its caches as
soon as another process changes them.
"""

from __future__ import annotations

import logging
import os
import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import orjson

from strongroom.domain.aliases import Alias
from strongroom.domain.grants import Grant
from strongroom.domain.keys import Key, KeyState
from strongroom.errors import AlreadyExistsError, InternalError
from strongroom.storage.audit_batches import AuditBatches, AuditBatchStore
from strongroom.storage.engine_records import EngineRecords
from strongroom.storage.migrations import migrations_for
from strongroom.storage.records import StoredAccessKey, StoredUser, StoredVersion
from strongroom.storage.tables import Catalog, Table

log = logging.getLogger("strongroom.storage")
CHECKPOINT_INTERVAL_SECONDS = 0.1
# Under continuous writes a passive checkpoint never catches up with the writers, so SQLite never starts the
# WAL over: it grew to 4.4 GB in a minute of full load. Past this many frames (512 MiB) the checkpointer makes
# the restart happen (see ``_start_checkpointer``).
WAL_RESTART_FRAMES = 131072

_KEY_COLUMNS = (
    "key_id, account_id, region, created_at, description, key_spec, key_usage, origin, state, "
    "deletion_date, pending_window_days, rotation_period_days, next_rotation_at, policy, "
    "current_version, on_demand_rotations, multi_region, tags, name_space, name, min_decryption_version, "
    "min_encryption_version, exportable, attributes"
)
_KEY_COLUMN_COUNT = 24


def _key_row(key: Key) -> tuple:
    return (key.key_id, key.account_id, key.region, key.created_at, key.description, key.key_spec,
            key.key_usage, key.origin, key.state.value, key.deletion_date, key.pending_window_days,
            key.rotation_period_days, key.next_rotation_at, key.policy, key.current_version,
            key.on_demand_rotations, int(key.multi_region), orjson.dumps(key.tags).decode(), key.name_space, key.name,
            key.min_decryption_version, key.min_encryption_version, int(key.exportable),
            orjson.dumps(key.attributes).decode())


def _key_from(row: tuple) -> Key:
    return Key(key_id=row[0], account_id=row[1], region=row[2], created_at=row[3], description=row[4],
               key_spec=row[5], key_usage=row[6], origin=row[7], state=KeyState(row[8]),
               deletion_date=row[9], pending_window_days=row[10], rotation_period_days=row[11],
               next_rotation_at=row[12], policy=row[13], current_version=row[14],
               on_demand_rotations=row[15], multi_region=bool(row[16]), tags=orjson.loads(row[17]),
               name_space=row[18], name=row[19], min_decryption_version=row[20], min_encryption_version=row[21],
               exportable=bool(row[22]), attributes=orjson.loads(row[23]))


_VERSION_COLUMNS = ("version, material_id, created_at, rotation_type, wrapped_material, valid_to, expiration_model, "
                    "description, enabled")


def _version_row(version: StoredVersion) -> tuple:
    return (version.version, version.material_id, version.created_at, version.rotation_type,
            version.wrapped_material, version.valid_to, version.expiration_model, version.description,
            int(version.enabled))


def _grant_row(grant: Grant) -> tuple:
    constraints = None
    if grant.context_equals is not None or grant.context_subset is not None:
        constraints = orjson.dumps({"equals": grant.context_equals, "subset": grant.context_subset}).decode()
    return (grant.grant_id, grant.key_id, grant.name, grant.grantee_principal, grant.retiring_principal,
            grant.issuing_account, orjson.dumps(list(grant.operations)).decode(), constraints, grant.created_at)


def _grant_from(row: tuple) -> Grant:
    constraints = orjson.loads(row[7]) if row[7] else {"equals": None, "subset": None}
    return Grant(grant_id=row[0], key_id=row[1], name=row[2], grantee_principal=row[3], retiring_principal=row[4],
                 issuing_account=row[5], operations=tuple(orjson.loads(row[6])),
                 context_equals=constraints["equals"], context_subset=constraints["subset"], created_at=row[8])


def _alias_from(row: tuple) -> Alias:
    return Alias(*row)


def _reason(exc: BaseException) -> str:
    """What an operator should read for an SQLite failure (the transaction was rolled back: nothing partial)."""
    text = getattr(exc, "message", None) or str(exc)
    if "readonly" in text:
        return f"{text} (check the file's and the directory's permissions, and the mount)"
    if "full" in text:
        return f"{text} (free some space; nothing of the failed write was kept)"
    if "not a database" in text or "malformed" in text:
        return f"{text} (the file is corrupted: restore it with `strongroom restore`)"
    return text


class SqliteStore(AuditBatchStore):
    dialect = "sqlite"

    def __init__(self, path: Path, *, busy_timeout_ms: int = 10_000, background_checkpoints: bool = False) -> None:
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        if not path.exists():  # owner-only from the start; SQLite gives its -wal and -shm files the same mode
            os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
        self._db = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        self._lock = threading.RLock()
        self._stop_checkpoints = threading.Event()
        self._busy_timeout_ms = busy_timeout_ms
        self._depth = 0
        self._durable_commits = True  # synchronous=FULL, set below
        self._audit = AuditBatches("sqlite", lambda sql, params: self._db.execute(sql, params).fetchall(),
                                   lambda sql, params: self._db.execute(sql, params).rowcount)
        self.engines = EngineRecords("sqlite", lambda sql, params: self._db.execute(sql, params).fetchall(),
                                     lambda sql, params: self._write(sql, params).rowcount, self._insert,
                                     _KEY_COLUMNS, _key_from)
        try:
            for pragma in ("journal_mode=WAL", "synchronous=FULL", "foreign_keys=ON",
                           f"busy_timeout={busy_timeout_ms}"):
                self._db.execute(f"PRAGMA {pragma}")
            self._migrate()
            if background_checkpoints:
                self._start_checkpointer()
            self._generation = self._read_generation()
        except (sqlite3.DatabaseError, InternalError) as exc:
            self._db.close()
            raise InternalError(f"cannot open the database {path}: {_reason(exc)}") from exc

    def close(self) -> None:
        self._stop_checkpoints.set()
        self._db.close()

    def _start_checkpointer(self) -> None:
        """Copy the WAL into the database from a thread of its own, so the fsyncs of checkpoints never hold up
        a commit on the request path (SQLite otherwise checkpoints inside whichever commit crosses 1,000 pages).

        Passive checkpoints copy what they can without waiting for anyone. Once the WAL is long, a RESTART
        checkpoint copies the little the last passive one left and syncs, holding writers back meanwhile, so that
        the next commit starts the WAL over: a pause of about 10 ms every few seconds under full load. It is tried
        without SQLite's busy handler (which sleeps 1, 2, 5, 10… ms while it waits), in steps of 0.5 ms."""
        self._db.execute("PRAGMA wal_autocheckpoint=0")

        def restart_wal(db: sqlite3.Connection) -> None:
            for _ in range(200):
                busy = db.execute("PRAGMA wal_checkpoint(RESTART)").fetchone()[0]
                if not busy or self._stop_checkpoints.wait(0.0005):
                    return

        def run() -> None:
            db = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
            db.execute("PRAGMA busy_timeout=0")  # a busy checkpoint is tried again later
            try:
                while not self._stop_checkpoints.wait(CHECKPOINT_INTERVAL_SECONDS):
                    try:
                        _, wal_frames, _ = db.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
                        if wal_frames >= WAL_RESTART_FRAMES:
                            restart_wal(db)
                    except sqlite3.Error as exc:
                        log.warning("WAL checkpoint failed (retrying): %s", exc)
            finally:
                db.close()
        threading.Thread(target=run, name="sqlite-checkpoint", daemon=True).start()

    # --- transactions and change detection ---------------------------------------------------

    @contextmanager
    def transaction(self, *, cached: bool = True, durable: bool = True) -> Iterator[None]:
        """A write transaction (``BEGIN IMMEDIATE``). ``cached=False``: it changes nothing any process caches
        (no change is announced). ``durable=False``: committed without waiting for the disk (it survives a
        crash of this process, not of the machine) — the audit trail's default, see docs/operations.md."""
        with self._lock:
            if not self._depth and durable != self._durable_commits:
                # The mode is switched only when it changes: under load most commits are the audit trail's.
                self._db.execute(f"PRAGMA synchronous={'FULL' if durable else 'NORMAL'}")
                self._durable_commits = durable
            with self._transaction(cached):
                yield

    @contextmanager
    def _transaction(self, cached: bool) -> Iterator[None]:
        with self._lock:
            if self._depth:
                self._depth += 1
                try:
                    yield
                finally:
                    self._depth -= 1
                return
            try:
                self._begin_immediate()
            except sqlite3.DatabaseError as exc:
                raise InternalError(f"the database {self.path} refused a write: {_reason(exc)}") from exc
            self._depth = 1
            try:
                yield
                generation = None
                if cached:
                    generation = self._db.execute(
                        "INSERT INTO change_generation (id, n) VALUES (1, 1) ON CONFLICT (id) DO UPDATE SET n = n + 1 "
                        "RETURNING n").fetchone()[0]
                self._db.execute("COMMIT")
                if generation is not None and generation == self._generation + 1:
                    self._generation = generation  # only our own write since we last looked
            except BaseException as exc:
                if self._db.in_transaction:  # SQLite ends some failed transactions itself (a full disk)
                    self._db.execute("ROLLBACK")
                if isinstance(exc, sqlite3.DatabaseError) and not isinstance(exc, sqlite3.IntegrityError):
                    raise InternalError(f"the database {self.path} refused a write: {_reason(exc)}") from exc
                raise
            finally:
                self._depth = 0

    def _begin_immediate(self) -> None:
        """Take the write lock, waiting in steps of 0.1–2 ms while another process holds it. (SQLite's own
        busy handler sleeps 1, 2, 5, 10 … ms, which shows up directly in request latency under load.)"""
        self._db.execute("PRAGMA busy_timeout=0")
        try:
            deadline = time.monotonic() + self._busy_timeout_ms / 1000
            pause = 0.0001
            while True:
                try:
                    self._db.execute("BEGIN IMMEDIATE")
                    return
                except sqlite3.OperationalError as exc:
                    if "locked" not in str(exc) or time.monotonic() > deadline:
                        raise
                time.sleep(pause)
                pause = min(pause * 2, 0.002)
        finally:
            self._db.execute(f"PRAGMA busy_timeout={self._busy_timeout_ms}")

    def _read_generation(self) -> int:
        try:
            row = self._db.execute("SELECT n FROM change_generation WHERE id = 1").fetchone()
            return row[0] if row else 0
        except sqlite3.OperationalError:  # before migration 5
            return -1

    def changed_elsewhere(self) -> bool:
        """True when cached state changed since the last call (our own writes count too: harmless)."""
        generation = self._read_generation()
        if generation != self._generation:
            self._generation = generation
            return True
        return False

    def _migrate(self) -> None:
        with self.transaction(cached=False):
            current = self._db.execute("PRAGMA user_version").fetchone()[0]
            steps = migrations_for("sqlite")
            if current > len(steps):
                raise InternalError(f"database schema version {current} is newer than this server")
            for number, sql in steps[current:]:
                for statement in sql.split(";"):
                    if statement.strip():
                        self._db.execute(statement)
                self._db.execute(f"PRAGMA user_version = {number}")

    def schema_version(self) -> int:
        return self._db.execute("PRAGMA user_version").fetchone()[0]

    def read_tables(self) -> dict[str, Table]:
        """Every table, from one read snapshot (WAL: other processes go on writing meanwhile)."""
        with self._lock:
            self._db.execute("BEGIN")
            try:
                return Catalog("sqlite", self._db.execute).read_all()
            finally:
                self._db.execute("COMMIT")

    def write_tables(self, tables: dict[str, Table]) -> None:
        with self.transaction():
            Catalog("sqlite", self._db.execute).insert_all(tables, self._db.executemany)

    def _write(self, sql: str, params: tuple = ()) -> sqlite3.Cursor:
        with self.transaction():
            return self._db.execute(sql, params)

    def _insert(self, sql: str, params: tuple, conflict: str) -> None:
        """A duplicate primary or unique key becomes AlreadyExistsError (as on PostgreSQL)."""
        try:
            self._write(sql, params)
        except sqlite3.IntegrityError as exc:
            if "UNIQUE" in str(exc) or "PRIMARY KEY" in str(exc):
                raise AlreadyExistsError(conflict) from None
            raise

    # --- key-encryption key ------------------------------------------------------------------

    def get_wrapped_kek(self) -> bytes | None:
        row = self._db.execute("SELECT wrapped FROM kek WHERE id = 1").fetchone()
        return row[0] if row else None

    def put_wrapped_kek(self, wrapped: bytes) -> None:
        self._insert("INSERT INTO kek (id, wrapped) VALUES (1, ?)", (wrapped,), "The key-encryption key exists")

    def replace_wrapped_kek(self, expected: bytes, wrapped: bytes) -> bool:
        return self._write("UPDATE kek SET wrapped = ? WHERE id = 1 AND wrapped = ?", (wrapped, expected)).rowcount == 1

    def count_keys(self) -> dict[str, int]:
        return dict(self._db.execute("SELECT state, COUNT(*) FROM keys GROUP BY state").fetchall())

    # --- accounts and access keys ------------------------------------------------------------

    def ensure_account(self, account_id: str, now: float) -> None:
        self._write("INSERT OR IGNORE INTO accounts (account_id, created_at) VALUES (?, ?)", (account_id, now))

    def put_access_key(self, key: StoredAccessKey) -> None:
        try:
            self._write("INSERT INTO access_keys VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                        (key.access_key_id, key.account_id, key.user_name, key.wrapped_secret, key.status,
                         key.created_at, key.session_token_digest, key.expires_at))
        except sqlite3.IntegrityError:
            raise AlreadyExistsError(f"Access key {key.access_key_id} already exists") from None

    def get_access_key(self, access_key_id: str) -> StoredAccessKey | None:
        row = self._db.execute("SELECT * FROM access_keys WHERE access_key_id = ?", (access_key_id,)).fetchone()
        return StoredAccessKey(*row) if row else None

    def list_access_keys(self, account_id: str | None) -> list[StoredAccessKey]:
        if account_id is None:
            rows = self._db.execute("SELECT * FROM access_keys ORDER BY account_id, access_key_id")
        else:
            rows = self._db.execute("SELECT * FROM access_keys WHERE account_id = ? ORDER BY access_key_id",
                                    (account_id,))
        return [StoredAccessKey(*row) for row in rows]

    def delete_access_key(self, access_key_id: str) -> bool:
        return self._write("DELETE FROM access_keys WHERE access_key_id = ?", (access_key_id,)).rowcount > 0

    def list_accounts(self) -> list[str]:
        return [row[0] for row in self._db.execute("SELECT account_id FROM accounts ORDER BY account_id")]

    # --- users and identity policies ----------------------------------------------------------

    def insert_user(self, user: StoredUser) -> None:
        try:
            self._write("INSERT INTO users VALUES (?, ?, ?)", (user.account_id, user.user_name, user.created_at))
        except sqlite3.IntegrityError:
            raise AlreadyExistsError(f"User {user.user_name} already exists in account {user.account_id}") from None

    def get_user(self, account_id: str, user_name: str) -> StoredUser | None:
        row = self._db.execute("SELECT * FROM users WHERE account_id = ? AND user_name = ?",
                               (account_id, user_name)).fetchone()
        return StoredUser(*row) if row else None

    def list_users(self, account_id: str) -> list[StoredUser]:
        rows = self._db.execute("SELECT * FROM users WHERE account_id = ? ORDER BY user_name", (account_id,))
        return [StoredUser(*row) for row in rows]

    def delete_user(self, account_id: str, user_name: str) -> bool:
        with self.transaction():
            self._db.execute("DELETE FROM access_keys WHERE account_id = ? AND user_name = ?", (account_id, user_name))
            return self._db.execute("DELETE FROM users WHERE account_id = ? AND user_name = ?",
                                    (account_id, user_name)).rowcount > 0

    def put_identity_policy(self, account_id: str, user_name: str, policy_name: str, document: str) -> None:
        self._write("INSERT INTO identity_policies VALUES (?, ?, ?, ?) ON CONFLICT (account_id, user_name, "
                    "policy_name) DO UPDATE SET document = excluded.document",
                    (account_id, user_name, policy_name, document))

    def delete_identity_policy(self, account_id: str, user_name: str, policy_name: str) -> bool:
        return self._write("DELETE FROM identity_policies WHERE account_id = ? AND user_name = ? AND policy_name = ?",
                           (account_id, user_name, policy_name)).rowcount > 0

    def list_identity_policies(self, account_id: str, user_name: str) -> dict[str, str]:
        rows = self._db.execute("SELECT policy_name, document FROM identity_policies WHERE account_id = ? AND "
                                "user_name = ? ORDER BY policy_name", (account_id, user_name))
        return dict(rows.fetchall())

    # --- grants -------------------------------------------------------------------------------

    def insert_grant(self, grant: Grant) -> None:
        self._insert("INSERT INTO grants VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", _grant_row(grant),
                     f"Grant {grant.grant_id} already exists")

    def get_grant(self, grant_id: str) -> Grant | None:
        row = self._db.execute("SELECT * FROM grants WHERE grant_id = ?", (grant_id,)).fetchone()
        return _grant_from(row) if row else None

    def find_grant_by_name(self, key_id: str, name: str) -> Grant | None:
        row = self._db.execute("SELECT * FROM grants WHERE key_id = ? AND name = ?", (key_id, name)).fetchone()
        return _grant_from(row) if row else None

    def delete_grant(self, grant_id: str) -> bool:
        return self._write("DELETE FROM grants WHERE grant_id = ?", (grant_id,)).rowcount > 0

    def list_grants(self, key_id: str, after: str | None, limit: int) -> list[Grant]:
        rows = self._db.execute("SELECT * FROM grants WHERE key_id = ? AND grant_id > ? ORDER BY grant_id LIMIT ?",
                                (key_id, after or "", limit))
        return [_grant_from(row) for row in rows]

    def list_retirable_grants(self, retiring_principal: str, after: str | None, limit: int) -> list[Grant]:
        rows = self._db.execute("SELECT * FROM grants WHERE retiring_principal = ? AND grant_id > ? "
                                "ORDER BY grant_id LIMIT ?", (retiring_principal, after or "", limit))
        return [_grant_from(row) for row in rows]

    def count_grants(self, key_id: str) -> int:
        return self._db.execute("SELECT COUNT(*) FROM grants WHERE key_id = ?", (key_id,)).fetchone()[0]

    # --- keys ---------------------------------------------------------------------------------

    def insert_key(self, key: Key, first_version: StoredVersion | None) -> None:
        with self.transaction():
            marks = ', '.join('?' * _KEY_COLUMN_COUNT)
            self._insert(f"INSERT INTO keys ({_KEY_COLUMNS}) VALUES ({marks})", _key_row(key),
                         f"Key {key.key_id} already exists")
            if first_version is not None:
                self.add_version(key.key_id, first_version)

    def get_key(self, key_id: str) -> Key | None:
        row = self._db.execute(f"SELECT {_KEY_COLUMNS} FROM keys WHERE key_id = ?", (key_id,)).fetchone()
        return _key_from(row) if row else None

    def update_key(self, key: Key) -> None:
        row = _key_row(key)
        assignments = ", ".join(f"{c.strip()} = ?" for c in _KEY_COLUMNS.split(",")[1:])
        self._write(f"UPDATE keys SET {assignments} WHERE key_id = ?", row[1:] + (row[0],))

    def delete_key(self, key_id: str) -> None:
        self._write("DELETE FROM keys WHERE key_id = ?", (key_id,))

    def list_keys(self, account_id: str, region: str, after: str | None, limit: int) -> list[Key]:
        rows = self._db.execute(
            f"SELECT {_KEY_COLUMNS} FROM keys WHERE account_id = ? AND region = ? AND key_id > ? "
            "ORDER BY key_id LIMIT ?", (account_id, region, after or "", limit))
        return [_key_from(row) for row in rows]

    def add_version(self, key_id: str, version: StoredVersion) -> None:
        self._insert(f"INSERT INTO key_versions (key_id, {_VERSION_COLUMNS}) VALUES ({', '.join('?' * 10)})",
                     (key_id, *_version_row(version)), f"Version {version.version} of key {key_id} already exists")

    def get_versions(self, key_id: str) -> list[StoredVersion]:
        rows = self._db.execute(f"SELECT {_VERSION_COLUMNS} FROM key_versions WHERE key_id = ? ORDER BY version",
                                (key_id,))
        return [StoredVersion(*row[:8], bool(row[8])) for row in rows]

    def update_version(self, key_id: str, version: StoredVersion) -> None:
        assignments = ", ".join(f"{c.strip()} = ?" for c in _VERSION_COLUMNS.split(",")[1:])
        row = _version_row(version)
        self._write(f"UPDATE key_versions SET {assignments} WHERE key_id = ? AND version = ?",
                    (*row[1:], key_id, version.version))

    def delete_version(self, key_id: str, version: int) -> None:
        self._write("DELETE FROM key_versions WHERE key_id = ? AND version = ?", (key_id, version))

    def list_key_regions(self, account_id: str) -> list[str]:
        rows = self._db.execute("SELECT DISTINCT region FROM keys WHERE account_id = ? ORDER BY region", (account_id,))
        return [row[0] for row in rows]

    def count_region_keys(self, account_id: str, region: str) -> int:
        return self._db.execute("SELECT COUNT(*) FROM keys WHERE account_id = ? AND region = ?",
                                (account_id, region)).fetchone()[0]

    def count_rotations(self) -> dict[str, int]:
        return dict(self._db.execute("SELECT rotation_type, COUNT(*) FROM key_versions WHERE rotation_type IS NOT "
                                     "NULL GROUP BY rotation_type").fetchall())

    def keys_due(self, now: float) -> Iterator[str]:
        rows = self._db.execute(
            "SELECT key_id FROM keys WHERE deletion_date <= ? UNION "
            "SELECT key_id FROM keys WHERE next_rotation_at <= ? UNION "
            "SELECT key_id FROM key_versions WHERE valid_to <= ? AND length(wrapped_material) > 0",
            (now, now, now)).fetchall()
        return iter([row[0] for row in rows])

    # --- aliases ------------------------------------------------------------------------------

    def insert_alias(self, alias: Alias) -> None:
        try:
            self._write("INSERT INTO aliases VALUES (?, ?, ?, ?, ?, ?)",
                        (alias.account_id, alias.region, alias.name, alias.target_key_id, alias.created_at,
                         alias.updated_at))
        except sqlite3.IntegrityError:
            raise AlreadyExistsError(f"An alias with the name {alias.arn} already exists") from None

    def get_alias(self, account_id: str, region: str, name: str) -> Alias | None:
        row = self._db.execute("SELECT * FROM aliases WHERE account_id = ? AND region = ? AND name = ?",
                               (account_id, region, name)).fetchone()
        return _alias_from(row) if row else None

    def update_alias(self, alias: Alias) -> None:
        self._write("UPDATE aliases SET target_key_id = ?, updated_at = ? "
                    "WHERE account_id = ? AND region = ? AND name = ?",
                    (alias.target_key_id, alias.updated_at, alias.account_id, alias.region, alias.name))

    def delete_alias(self, account_id: str, region: str, name: str) -> None:
        self._write("DELETE FROM aliases WHERE account_id = ? AND region = ? AND name = ?",
                    (account_id, region, name))

    def list_aliases(self, account_id: str, region: str, key_id: str | None, after: str | None,
                     limit: int) -> list[Alias]:
        sql = "SELECT * FROM aliases WHERE account_id = ? AND region = ? AND name > ?"
        params: tuple = (account_id, region, after or "")
        if key_id is not None:
            sql += " AND target_key_id = ?"
            params += (key_id,)
        rows = self._db.execute(sql + " ORDER BY name LIMIT ?", params + (limit,))
        return [_alias_from(row) for row in rows]

    def count_aliases(self, key_id: str) -> int:
        return self._db.execute("SELECT COUNT(*) FROM aliases WHERE target_key_id = ?", (key_id,)).fetchone()[0]
