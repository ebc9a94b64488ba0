"""The store for several nodes: PostgreSQL through psycopg 3 and a small connection pool.

Same contract as ``SqliteStore``:

* ``transaction()`` takes a transaction-scoped advisory lock that every writer takes, so write transactions
  run one at a time across the whole cluster, as ``BEGIN IMMEDIATE`` makes them on SQLite. Reads inside
  one therefore see every earlier commit and nothing changes under them until COMMIT; read-modify-write
  sequences in the service (``get_key`` → ``update_key``, count aliases → insert, the scheduler's per-key
  re-check) stay correct with any number of nodes, and phantoms (two inserts racing past a limit) cannot
  happen, which row locks alone would allow. Writes are the control plane (create, disable, alias,
  rotate), rare next to Encrypt and Decrypt, which read only caches.
* Nested ``transaction()`` blocks join the outer one. A single write outside a block is its own transaction.
* A unique-key conflict raises ``AlreadyExistsError`` without spoiling the transaction around it.
* ``changed_elsewhere()`` reads the LISTEN/NOTIFY feed (``pg_changes``): no round trip per request.
* An unreachable or stalled database raises ``DependencyUnavailableError`` quickly: connect, statement and
  pool waits are all bounded, and the pool replaces broken connections, so a node recovers by itself.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import psycopg
from psycopg_pool import ConnectionPool

from strongroom.domain.aliases import Alias
from strongroom.domain.audit import StoredAuditEvent
from strongroom.domain.grants import Grant
from strongroom.domain.keys import Key
from strongroom.errors import AlreadyExistsError, DependencyUnavailableError
from strongroom.storage.audit_batches import LAST_LINK, AuditBatches, AuditBatchStore
from strongroom.storage.engine_records import EngineRecords
from strongroom.storage.pg_changes import CHANNEL, ChangeFeed
from strongroom.storage.pg_setup import LOCK_SPACE, MIGRATIONS_TABLE, connection_settings, describe, migrate
from strongroom.storage.records import StoredAccessKey, StoredUser, StoredVersion
from strongroom.storage.sqlite import (
    _KEY_COLUMN_COUNT,
    _KEY_COLUMNS,
    _VERSION_COLUMNS,
    _grant_from,
    _grant_row,
    _key_from,
    _key_row,
    _version_row,
)
from strongroom.storage.tables import Catalog, Table

log = logging.getLogger("strongroom.storage")

_WRITE_LOCK = 1
_UNAVAILABLE = "The database is unavailable or did not answer in time; retry."
_ACCESS_KEY_COLUMNS = ("access_key_id, account_id, user_name, wrapped_secret, status, created_at, "
                       "session_token_digest, expires_at")
_GRANT_COLUMNS = ("grant_id, key_id, name, grantee_principal, retiring_principal, issuing_account, operations, "
                  "constraints, created_at")
_ALIAS_COLUMNS = "account_id, region, name, target_key_id, created_at, updated_at"


class PostgresStore(AuditBatchStore):
    dialect = "postgres"

    def __init__(self, dsn: str, *, max_connections: int = 4, connect_timeout: float = 3.0,
                 statement_timeout: float = 5.0, pool_timeout: float = 2.0) -> None:
        self.dsn = dsn
        self._token = uuid.uuid4().hex
        self._settings = connection_settings(dsn, connect_timeout=connect_timeout,
                                             statement_timeout=statement_timeout)
        self._pool_timeout = pool_timeout
        self._local = threading.local()  # the connection of this thread's open transaction
        self._audit = AuditBatches("postgres", self._rows,
                                   lambda sql, params: self._write(sql, params, cached=False))
        self.engines = EngineRecords("postgres", self._rows, self._write, self._insert, _KEY_COLUMNS, _key_from)
        self._seen = 0  # the change-feed generation that changed_elsewhere() last reported
        self._logged_unavailable_at = -1e9
        with self._unavailable_as_error(f"cannot connect to PostgreSQL at {describe(dsn)}"):
            with psycopg.connect(dsn, autocommit=True, **self._settings) as conn:
                migrate(conn)
        self._pool = ConnectionPool(dsn, kwargs={"autocommit": True, **self._settings}, min_size=1,
                                    max_size=max_connections, timeout=pool_timeout, reconnect_timeout=5.0,
                                    name="strongroom", open=False, num_workers=1)
        try:
            with self._unavailable_as_error(f"cannot connect to PostgreSQL at {describe(dsn)}"):
                self._pool.open(wait=True, timeout=connect_timeout + 2)
        except BaseException:
            self._pool.close()
            raise
        self._feed = ChangeFeed(dsn, self._settings, self._token, on_reconnect=self._pool.check)
        if not self._feed.start(wait=connect_timeout + 2):
            log.warning("database change feed not up yet; caches are bypassed until it is")

    def close(self) -> None:
        self._feed.stop()
        self._pool.close()

    # --- connections, transactions and change detection --------------------------------------

    @contextmanager
    def _unavailable_as_error(self, message: str = _UNAVAILABLE) -> Iterator[None]:
        try:
            yield
        except (psycopg.OperationalError, psycopg.InterfaceError) as exc:  # PoolTimeout is operational too
            now = time.monotonic()
            if now - self._logged_unavailable_at > 10:  # once per 10 s: an outage must not flood the log
                self._logged_unavailable_at = now
                log.warning("database %s unavailable: %s", describe(self.dsn), exc)
            raise DependencyUnavailableError(message) from exc

    def _checkout(self) -> psycopg.Connection:
        # While the change feed is down the database probably is too: do not make the caller wait for it.
        timeout = self._pool_timeout if self._feed_connected() else min(0.1, self._pool_timeout)
        return self._pool.getconn(timeout=timeout)

    def _feed_connected(self) -> bool:
        feed = getattr(self, "_feed", None)
        return feed is None or feed.connected

    def _execute(self, sql: str, params: tuple = ()) -> tuple[list[tuple], int]:
        """One statement → (rows, rowcount): on this thread's transaction if there is one, else on a pooled
        connection, retried once if that connection was dead (safe: it failed before doing anything)."""
        conn = getattr(self._local, "conn", None)
        with self._unavailable_as_error():
            if conn is not None:
                return _result(conn.execute(sql, params))
            for attempt in (1, 2):
                conn = self._checkout()
                try:
                    return _result(conn.execute(sql, params))
                except psycopg.OperationalError:
                    if attempt == 2 or not conn.closed:
                        raise
                finally:
                    self._pool.putconn(conn)
        raise AssertionError("unreachable")

    def _rows(self, sql: str, params: tuple = ()) -> list[tuple]:
        return self._execute(sql, params)[0]

    def _one(self, sql: str, params: tuple = ()) -> tuple | None:
        rows = self._execute(sql, params)[0]
        return rows[0] if rows else None

    def _write(self, sql: str, params: tuple = (), *, cached: bool = True) -> int:
        """A write in a transaction; ``cached=False`` for rows no node caches (the audit trail), whose commits
        need not make every other node drop its caches."""
        with self.transaction():
            if cached:
                self._local.wrote = True
            return self._execute(sql, params)[1]

    def _insert(self, sql: str, params: tuple, conflict: str) -> None:
        """INSERT ... ON CONFLICT DO NOTHING: a duplicate becomes AlreadyExistsError, the transaction lives on."""
        if self._write(sql + " ON CONFLICT DO NOTHING", params) == 0:
            raise AlreadyExistsError(conflict)

    @contextmanager
    def transaction(self, *, cached: bool = True, durable: bool = True) -> Iterator[None]:
        """``cached`` is implied here by which writes run (audit writes announce nothing); ``durable=False``
        commits without waiting for the WAL flush (``synchronous_commit = off``)."""
        local = self._local
        if getattr(local, "conn", None) is not None:
            yield
            return
        with self._unavailable_as_error():
            conn, _ = self._begin(durable)
        local.conn, local.wrote = conn, False
        try:
            yield
        except BaseException:
            local.conn = None
            self._end(conn, "ROLLBACK")
            raise
        local.conn = None
        ending = f"NOTIFY {CHANNEL}, '{self._token}'; COMMIT" if local.wrote else "COMMIT"
        with self._unavailable_as_error():
            self._end(conn, ending)

    def _begin(self, durable: bool, then: str = "") -> tuple[psycopg.Connection, tuple | None]:
        """One round trip: BEGIN, the cluster-wide write lock (and, if asked, a commit that does not wait
        for the WAL flush), then the query ``then`` if given; returns the connection and ``then``'s first row."""
        lock = f"BEGIN; {'' if durable else 'SET LOCAL synchronous_commit TO OFF; '}" \
               f"SELECT pg_advisory_xact_lock({LOCK_SPACE}, {_WRITE_LOCK}){'; ' + then if then else ''}"
        for attempt in (1, 2):
            conn = self._checkout()
            try:
                cursor = conn.execute(lock)
                while cursor.nextset():  # to the last statement's result
                    pass
                return conn, cursor.fetchone() if then else None
            except psycopg.OperationalError:
                self._pool.putconn(conn)
                if attempt == 2 or not conn.closed:  # a dead pooled connection is retried once
                    raise
        raise AssertionError("unreachable")

    def chain_audit(self, link: Callable[[tuple[int, bytes] | None], list[StoredAuditEvent]], *,
                    durable: bool) -> None:
        """Two round trips where the general way takes five (one per event-loop turn of every node): BEGIN with
        the write lock and the last link; then the batch with its key rows and COMMIT, pipelined."""
        if getattr(self._local, "conn", None) is not None:  # inside a caller's transaction: join it
            super().chain_audit(link, durable=durable)
            return
        with self._unavailable_as_error():
            conn, last = self._begin(durable, then=LAST_LINK)
        try:
            sql, params = self._audit.insert_statement(link((last[0], bytes(last[1])) if last else None))
            with self._unavailable_as_error(), conn.pipeline():
                conn.execute(sql, params)
                conn.execute("COMMIT")
        except BaseException:
            self._end(conn, "ROLLBACK")
            raise
        self._pool.putconn(conn)

    def _end(self, conn: psycopg.Connection, statement: str) -> None:
        try:
            conn.execute(statement)
        except psycopg.Error:
            if statement == "ROLLBACK":
                return  # the server rolls back a transaction whose connection is gone
            raise
        finally:
            self._pool.putconn(conn)

    def changed_elsewhere(self) -> bool:
        feed = self._feed
        if not feed.trusted():
            return True
        generation = feed.generation
        if generation != self._seen:
            self._seen = generation
            return True
        return False

    def schema_version(self) -> int:
        row = self._one(f"SELECT COALESCE(MAX(version), 0) FROM {MIGRATIONS_TABLE}")
        return int(row[0]) if row else 0

    def read_tables(self) -> dict[str, Table]:
        """Every table, from one REPEATABLE READ snapshot, while the cluster goes on serving."""
        with self._unavailable_as_error():
            conn = self._checkout()
            try:
                conn.execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
                try:
                    return Catalog("postgres", conn.execute, MIGRATIONS_TABLE).read_all()
                finally:
                    conn.execute("ROLLBACK")
            finally:
                self._pool.putconn(conn)

    def write_tables(self, tables: dict[str, Table]) -> None:
        with self.transaction():
            self._local.wrote = True
            conn = self._local.conn
            with self._unavailable_as_error():
                Catalog("postgres", conn.execute, MIGRATIONS_TABLE).insert_all(
                    tables, lambda sql, rows: conn.cursor().executemany(sql, rows))

    # --- key-encryption key ------------------------------------------------------------------

    def get_wrapped_kek(self) -> bytes | None:
        row = self._one("SELECT wrapped FROM kek WHERE id = 1")
        return bytes(row[0]) if row else None

    def put_wrapped_kek(self, wrapped: bytes) -> None:
        self._insert("INSERT INTO kek (id, wrapped) VALUES (1, %s)", (wrapped,), "The key-encryption key exists")

    def replace_wrapped_kek(self, expected: bytes, wrapped: bytes) -> bool:
        return self._write("UPDATE kek SET wrapped = %s WHERE id = 1 AND wrapped = %s", (wrapped, expected)) == 1

    def count_keys(self) -> dict[str, int]:
        return dict(self._rows("SELECT state, COUNT(*) FROM keys GROUP BY state"))  # type: ignore[arg-type]

    # --- accounts and access keys ------------------------------------------------------------

    def ensure_account(self, account_id: str, now: float) -> None:
        self._write("INSERT INTO accounts (account_id, created_at) VALUES (%s, %s) ON CONFLICT DO NOTHING",
                    (account_id, now))

    def put_access_key(self, key: StoredAccessKey) -> None:
        self._insert(f"INSERT INTO access_keys ({_ACCESS_KEY_COLUMNS}) VALUES (%s, %s, %s, %s, %s, %s, %s, %s)",
                     (key.access_key_id, key.account_id, key.user_name, key.wrapped_secret, key.status,
                      key.created_at, key.session_token_digest, key.expires_at),
                     f"Access key {key.access_key_id} already exists")

    def get_access_key(self, access_key_id: str) -> StoredAccessKey | None:
        row = self._one(f"SELECT {_ACCESS_KEY_COLUMNS} FROM access_keys WHERE access_key_id = %s", (access_key_id,))
        return StoredAccessKey(*row) if row else None

    def list_access_keys(self, account_id: str | None) -> list[StoredAccessKey]:
        if account_id is None:
            rows = self._rows(f"SELECT {_ACCESS_KEY_COLUMNS} FROM access_keys ORDER BY account_id, access_key_id")
        else:
            rows = self._rows(f"SELECT {_ACCESS_KEY_COLUMNS} FROM access_keys WHERE account_id = %s "
                              "ORDER BY access_key_id", (account_id,))
        return [StoredAccessKey(*row) for row in rows]

    def delete_access_key(self, access_key_id: str) -> bool:
        return self._write("DELETE FROM access_keys WHERE access_key_id = %s", (access_key_id,)) > 0

    def list_accounts(self) -> list[str]:
        return [row[0] for row in self._rows("SELECT account_id FROM accounts ORDER BY account_id")]

    # --- users and identity policies ----------------------------------------------------------

    def insert_user(self, user: StoredUser) -> None:
        self._insert("INSERT INTO users (account_id, user_name, created_at) VALUES (%s, %s, %s)",
                     (user.account_id, user.user_name, user.created_at),
                     f"User {user.user_name} already exists in account {user.account_id}")

    def get_user(self, account_id: str, user_name: str) -> StoredUser | None:
        row = self._one("SELECT account_id, user_name, created_at FROM users WHERE account_id = %s AND "
                        "user_name = %s", (account_id, user_name))
        return StoredUser(*row) if row else None

    def list_users(self, account_id: str) -> list[StoredUser]:
        rows = self._rows("SELECT account_id, user_name, created_at FROM users WHERE account_id = %s "
                          "ORDER BY user_name", (account_id,))
        return [StoredUser(*row) for row in rows]

    def delete_user(self, account_id: str, user_name: str) -> bool:
        with self.transaction():
            self._write("DELETE FROM access_keys WHERE account_id = %s AND user_name = %s", (account_id, user_name))
            return self._write("DELETE FROM users WHERE account_id = %s AND user_name = %s",
                               (account_id, user_name)) > 0

    def put_identity_policy(self, account_id: str, user_name: str, policy_name: str, document: str) -> None:
        self._write("INSERT INTO identity_policies (account_id, user_name, policy_name, document) "
                    "VALUES (%s, %s, %s, %s) ON CONFLICT (account_id, user_name, policy_name) "
                    "DO UPDATE SET document = excluded.document", (account_id, user_name, policy_name, document))

    def delete_identity_policy(self, account_id: str, user_name: str, policy_name: str) -> bool:
        return self._write("DELETE FROM identity_policies WHERE account_id = %s AND user_name = %s AND "
                           "policy_name = %s", (account_id, user_name, policy_name)) > 0

    def list_identity_policies(self, account_id: str, user_name: str) -> dict[str, str]:
        rows = self._rows("SELECT policy_name, document FROM identity_policies WHERE account_id = %s AND "
                          "user_name = %s ORDER BY policy_name", (account_id, user_name))
        return dict(rows)

    # --- grants -------------------------------------------------------------------------------

    def insert_grant(self, grant: Grant) -> None:
        self._insert(f"INSERT INTO grants ({_GRANT_COLUMNS}) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s)",
                     _grant_row(grant), f"Grant {grant.grant_id} already exists")

    def get_grant(self, grant_id: str) -> Grant | None:
        row = self._one(f"SELECT {_GRANT_COLUMNS} FROM grants WHERE grant_id = %s", (grant_id,))
        return _grant_from(row) if row else None

    def find_grant_by_name(self, key_id: str, name: str) -> Grant | None:
        row = self._one(f"SELECT {_GRANT_COLUMNS} FROM grants WHERE key_id = %s AND name = %s", (key_id, name))
        return _grant_from(row) if row else None

    def delete_grant(self, grant_id: str) -> bool:
        return self._write("DELETE FROM grants WHERE grant_id = %s", (grant_id,)) > 0

    def list_grants(self, key_id: str, after: str | None, limit: int) -> list[Grant]:
        rows = self._rows(f"SELECT {_GRANT_COLUMNS} FROM grants WHERE key_id = %s AND grant_id > %s "
                          "ORDER BY grant_id LIMIT %s", (key_id, after or "", limit))
        return [_grant_from(row) for row in rows]

    def list_retirable_grants(self, retiring_principal: str, after: str | None, limit: int) -> list[Grant]:
        rows = self._rows(f"SELECT {_GRANT_COLUMNS} FROM grants WHERE retiring_principal = %s AND grant_id > %s "
                          "ORDER BY grant_id LIMIT %s", (retiring_principal, after or "", limit))
        return [_grant_from(row) for row in rows]

    def count_grants(self, key_id: str) -> int:
        return self._one("SELECT COUNT(*) FROM grants WHERE key_id = %s", (key_id,))[0]  # type: ignore[index]

    # --- keys ---------------------------------------------------------------------------------

    def insert_key(self, key: Key, first_version: StoredVersion | None) -> None:
        with self.transaction():
            marks = ', '.join(['%s'] * _KEY_COLUMN_COUNT)
            self._insert(f"INSERT INTO keys ({_KEY_COLUMNS}) VALUES ({marks})", _key_row(key),
                         f"Key {key.key_id} already exists")
            if first_version is not None:
                self.add_version(key.key_id, first_version)

    def get_key(self, key_id: str) -> Key | None:
        row = self._one(f"SELECT {_KEY_COLUMNS} FROM keys WHERE key_id = %s", (key_id,))
        return _key_from(row) if row else None

    def update_key(self, key: Key) -> None:
        row = _key_row(key)
        assignments = ", ".join(f"{c.strip()} = %s" for c in _KEY_COLUMNS.split(",")[1:])
        self._write(f"UPDATE keys SET {assignments} WHERE key_id = %s", row[1:] + (row[0],))

    def delete_key(self, key_id: str) -> None:
        self._write("DELETE FROM keys WHERE key_id = %s", (key_id,))

    def list_keys(self, account_id: str, region: str, after: str | None, limit: int) -> list[Key]:
        rows = self._rows(f"SELECT {_KEY_COLUMNS} FROM keys WHERE account_id = %s AND region = %s AND key_id > %s "
                          "ORDER BY key_id LIMIT %s", (account_id, region, after or "", limit))
        return [_key_from(row) for row in rows]

    def add_version(self, key_id: str, version: StoredVersion) -> None:
        self._insert(f"INSERT INTO key_versions (key_id, {_VERSION_COLUMNS}) VALUES ({', '.join(['%s'] * 10)})",
                     (key_id, *_version_row(version)), f"Version {version.version} of key {key_id} already exists")

    def get_versions(self, key_id: str) -> list[StoredVersion]:
        rows = self._rows(f"SELECT {_VERSION_COLUMNS} FROM key_versions WHERE key_id = %s ORDER BY version",
                          (key_id,))
        return [StoredVersion(r[0], r[1], r[2], r[3], bytes(r[4]), *r[5:8], bool(r[8])) for r in rows]

    def update_version(self, key_id: str, version: StoredVersion) -> None:
        assignments = ", ".join(f"{c.strip()} = %s" for c in _VERSION_COLUMNS.split(",")[1:])
        row = _version_row(version)
        self._write(f"UPDATE key_versions SET {assignments} WHERE key_id = %s AND version = %s",
                    (*row[1:], key_id, version.version))

    def delete_version(self, key_id: str, version: int) -> None:
        self._write("DELETE FROM key_versions WHERE key_id = %s AND version = %s", (key_id, version))

    def list_key_regions(self, account_id: str) -> list[str]:
        rows = self._rows("SELECT DISTINCT region FROM keys WHERE account_id = %s ORDER BY region", (account_id,))
        return [row[0] for row in rows]

    def count_region_keys(self, account_id: str, region: str) -> int:
        row = self._one("SELECT COUNT(*) FROM keys WHERE account_id = %s AND region = %s", (account_id, region))
        return int(row[0]) if row else 0

    def count_rotations(self) -> dict[str, int]:
        return dict(self._rows("SELECT rotation_type, COUNT(*) FROM key_versions WHERE rotation_type IS NOT NULL "
                               "GROUP BY rotation_type"))

    def keys_due(self, now: float) -> Iterator[str]:
        rows = self._rows("SELECT key_id FROM keys WHERE deletion_date <= %s UNION "
                          "SELECT key_id FROM keys WHERE next_rotation_at <= %s UNION "
                          "SELECT key_id FROM key_versions WHERE valid_to <= %s AND length(wrapped_material) > 0",
                          (now, now, now))
        return iter([row[0] for row in rows])

    # --- aliases ------------------------------------------------------------------------------

    def insert_alias(self, alias: Alias) -> None:
        self._insert(f"INSERT INTO aliases ({_ALIAS_COLUMNS}) VALUES (%s, %s, %s, %s, %s, %s)",
                     (alias.account_id, alias.region, alias.name, alias.target_key_id, alias.created_at,
                      alias.updated_at), f"An alias with the name {alias.arn} already exists")

    def get_alias(self, account_id: str, region: str, name: str) -> Alias | None:
        row = self._one(f"SELECT {_ALIAS_COLUMNS} FROM aliases WHERE account_id = %s AND region = %s AND name = %s",
                        (account_id, region, name))
        return Alias(*row) if row else None

    def update_alias(self, alias: Alias) -> None:
        self._write("UPDATE aliases SET target_key_id = %s, updated_at = %s "
                    "WHERE account_id = %s AND region = %s AND name = %s",
                    (alias.target_key_id, alias.updated_at, alias.account_id, alias.region, alias.name))

    def delete_alias(self, account_id: str, region: str, name: str) -> None:
        self._write("DELETE FROM aliases WHERE account_id = %s AND region = %s AND name = %s",
                    (account_id, region, name))

    def list_aliases(self, account_id: str, region: str, key_id: str | None, after: str | None,
                     limit: int) -> list[Alias]:
        sql = f"SELECT {_ALIAS_COLUMNS} FROM aliases WHERE account_id = %s AND region = %s AND name > %s"
        params: tuple = (account_id, region, after or "")
        if key_id is not None:
            sql += " AND target_key_id = %s"
            params += (key_id,)
        rows = self._rows(sql + " ORDER BY name LIMIT %s", params + (limit,))
        return [Alias(*row) for row in rows]

    def count_aliases(self, key_id: str) -> int:
        return self._one("SELECT COUNT(*) FROM aliases WHERE target_key_id = %s", (key_id,))[0]  # type: ignore[index]


def _result(cursor: psycopg.Cursor) -> tuple[list[tuple], int]:
    return (cursor.fetchall() if cursor.description is not None else []), cursor.rowcount
