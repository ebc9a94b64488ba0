"""Mounts, bearer tokens, path policies, key names, client certificate bindings and workload identities: the
records protocols beyond AWS need, kept the same way by both stores over their own ``execute`` (SQL written with
``?`` marks; PostgreSQL's become ``%s``)."""

from __future__ import annotations

from collections.abc import Callable

import orjson

from strongroom.domain.client_certificates import CertificateBinding
from strongroom.domain.engines import BearerToken, Mount
from strongroom.domain.keys import Key
from strongroom.domain.workload_identities import WorkloadIdentity
from strongroom.errors import AlreadyExistsError

Rows = Callable[[str, tuple], list[tuple]]
Write = Callable[[str, tuple], int]
Insert = Callable[[str, tuple, str], None]

_TOKEN_COLUMNS = ("accessor, digest, account_id, user_name, policies, display_name, meta, created_at, ttl, "
                  "expires_at, explicit_max_ttl, renewable, parent")
_MOUNT_COLUMNS = "account_id, path, engine_type, uuid, description, config, created_at"
_BINDING_COLUMNS = "binding_id, fingerprint, issuer, subject, account_id, user_name, description, created_at"
_IDENTITY_COLUMNS = ("identity_id, kind, tenant, account_id, user_name, client_secret, public_key, key_id, token_key, "
                     "description, created_at")


def _identity_from(row: tuple) -> WorkloadIdentity:
    return WorkloadIdentity(row[0], row[1], row[2], row[3], row[4], bytes(row[5]) if row[5] is not None else None,
                            row[6], row[7], bytes(row[8]), row[9], row[10])


def _token_row(t: BearerToken) -> tuple:
    return (t.accessor, t.digest, t.account_id, t.user_name, orjson.dumps(list(t.policies)).decode(),
            t.display_name, orjson.dumps(t.meta).decode(), t.created_at, t.ttl, t.expires_at, t.explicit_max_ttl,
            int(t.renewable), t.parent)


def _token_from(row: tuple) -> BearerToken:
    return BearerToken(row[0], bytes(row[1]), row[2], row[3], tuple(orjson.loads(row[4])), row[5],
                       orjson.loads(row[6]), row[7], row[8], row[9], row[10], bool(row[11]), row[12])


def _mount_from(row: tuple) -> Mount:
    return Mount(row[0], row[1], row[2], row[3], row[4], orjson.loads(row[5]), row[6])


class EngineRecords:
    """The SQL of these records for one dialect. ``key_columns``/``key_from`` are the store's own key mapping."""

    def __init__(self, dialect: str, rows: Rows, write: Write, insert: Insert, key_columns: str,
                 key_from: Callable[[tuple], Key]) -> None:
        self._mark = "?" if dialect == "sqlite" else "%s"
        self._rows, self._write, self._insert = rows, write, insert
        self._key_columns, self._key_from = key_columns, key_from

    def _sql(self, sql: str) -> str:
        return sql if self._mark == "?" else sql.replace("?", "%s")

    def _all(self, sql: str, params: tuple = ()) -> list[tuple]:
        return self._rows(self._sql(sql), params)

    # --- key names ----------------------------------------------------------------------------

    def get_key_by_name(self, account_id: str, name_space: str, name: str) -> Key | None:
        rows = self._all(f"SELECT {self._key_columns} FROM keys WHERE account_id = ? AND name_space = ? AND name = ?",
                         (account_id, name_space, name))
        return self._key_from(rows[0]) if rows else None

    def list_key_names(self, account_id: str, name_space: str) -> list[str]:
        rows = self._all("SELECT name FROM keys WHERE account_id = ? AND name_space = ? AND name IS NOT NULL "
                         "ORDER BY name", (account_id, name_space))
        return [row[0] for row in rows]

    # --- mounts -------------------------------------------------------------------------------

    def put_mount(self, mount: Mount) -> None:
        self._insert(self._sql(f"INSERT INTO engine_mounts ({_MOUNT_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?)"),
                     (mount.account_id, mount.path, mount.engine_type, mount.uuid, mount.description,
                      orjson.dumps(mount.config).decode(), mount.created_at),
                     f"path is already in use at {mount.path}")

    def update_mount(self, mount: Mount) -> None:
        self._write(self._sql("UPDATE engine_mounts SET description = ?, config = ? WHERE account_id = ? AND path = ?"),
                    (mount.description, orjson.dumps(mount.config).decode(), mount.account_id, mount.path))

    def list_mounts(self, account_id: str) -> list[Mount]:
        return [_mount_from(r) for r in self._all(f"SELECT {_MOUNT_COLUMNS} FROM engine_mounts WHERE account_id = ? "
                                                  "ORDER BY path", (account_id,))]

    def delete_mount(self, account_id: str, path: str) -> bool:
        return self._write(self._sql("DELETE FROM engine_mounts WHERE account_id = ? AND path = ?"),
                           (account_id, path)) > 0

    # --- bearer tokens ------------------------------------------------------------------------

    def put_token(self, token: BearerToken) -> None:
        marks = ", ".join("?" * 13)
        self._insert(self._sql(f"INSERT INTO bearer_tokens ({_TOKEN_COLUMNS}) VALUES ({marks})"), _token_row(token),
                     "a token with this id already exists")

    def get_token(self, digest: bytes) -> BearerToken | None:
        rows = self._all(f"SELECT {_TOKEN_COLUMNS} FROM bearer_tokens WHERE digest = ?", (digest,))
        return _token_from(rows[0]) if rows else None

    def get_token_by_accessor(self, accessor: str) -> BearerToken | None:
        rows = self._all(f"SELECT {_TOKEN_COLUMNS} FROM bearer_tokens WHERE accessor = ?", (accessor,))
        return _token_from(rows[0]) if rows else None

    def list_tokens(self, account_id: str | None) -> list[BearerToken]:
        if account_id is None:
            rows = self._all(f"SELECT {_TOKEN_COLUMNS} FROM bearer_tokens ORDER BY created_at, accessor")
        else:
            rows = self._all(f"SELECT {_TOKEN_COLUMNS} FROM bearer_tokens WHERE account_id = ? "
                             "ORDER BY created_at, accessor", (account_id,))
        return [_token_from(r) for r in rows]

    def set_token_expiry(self, accessor: str, expires_at: float | None) -> None:
        self._write(self._sql("UPDATE bearer_tokens SET expires_at = ? WHERE accessor = ?"), (expires_at, accessor))

    def delete_tokens(self, accessors: list[str]) -> int:
        """Revoke tokens (children first is the caller's business: revoking a parent revokes its tree)."""
        count = 0
        for accessor in accessors:
            count += self._write(self._sql("DELETE FROM bearer_tokens WHERE accessor = ?"), (accessor,))
        return count

    def child_tokens(self, accessor: str) -> list[str]:
        return [r[0] for r in self._all("SELECT accessor FROM bearer_tokens WHERE parent = ?", (accessor,))]

    # --- path policies ------------------------------------------------------------------------

    def put_path_policy(self, account_id: str, name: str, document: str) -> None:
        if self._write(self._sql("UPDATE path_policies SET document = ? WHERE account_id = ? AND name = ?"),
                       (document, account_id, name)) == 0:
            try:
                self._insert(self._sql("INSERT INTO path_policies (account_id, name, document) VALUES (?, ?, ?)"),
                             (account_id, name, document), f"policy {name} exists")
            except AlreadyExistsError:  # written meanwhile by another node: last writer wins
                self._write(self._sql("UPDATE path_policies SET document = ? WHERE account_id = ? AND name = ?"),
                            (document, account_id, name))

    def get_path_policy(self, account_id: str, name: str) -> str | None:
        rows = self._all("SELECT document FROM path_policies WHERE account_id = ? AND name = ?", (account_id, name))
        return rows[0][0] if rows else None

    def list_path_policies(self, account_id: str) -> list[str]:
        return [r[0] for r in self._all("SELECT name FROM path_policies WHERE account_id = ? ORDER BY name",
                                        (account_id,))]

    def delete_path_policy(self, account_id: str, name: str) -> bool:
        return self._write(self._sql("DELETE FROM path_policies WHERE account_id = ? AND name = ?"),
                           (account_id, name)) > 0

    # --- client certificate bindings ----------------------------------------------------------

    def put_certificate_binding(self, binding: CertificateBinding) -> None:
        self._insert(self._sql(f"INSERT INTO client_certificates ({_BINDING_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"),
                     (binding.binding_id, binding.fingerprint, binding.issuer, binding.subject, binding.account_id,
                      binding.user_name, binding.description, binding.created_at),
                     "a binding for this certificate already exists")

    def find_certificate_binding(self, fingerprint: str, issuer: str, subject: str) -> CertificateBinding | None:
        """The binding of this exact certificate, else of its issuer and subject."""
        rows = self._all(f"SELECT {_BINDING_COLUMNS} FROM client_certificates WHERE fingerprint = ?", (fingerprint,))
        if not rows:
            rows = self._all(f"SELECT {_BINDING_COLUMNS} FROM client_certificates WHERE fingerprint IS NULL AND "
                             "issuer = ? AND subject = ?", (issuer, subject))
        return CertificateBinding(*rows[0]) if rows else None

    def list_certificate_bindings(self, account_id: str | None) -> list[CertificateBinding]:
        if account_id is None:
            rows = self._all(f"SELECT {_BINDING_COLUMNS} FROM client_certificates ORDER BY created_at, binding_id")
        else:
            rows = self._all(f"SELECT {_BINDING_COLUMNS} FROM client_certificates WHERE account_id = ? "
                             "ORDER BY created_at, binding_id", (account_id,))
        return [CertificateBinding(*r) for r in rows]

    def delete_certificate_binding(self, binding_id: str) -> bool:
        return self._write(self._sql("DELETE FROM client_certificates WHERE binding_id = ?"), (binding_id,)) > 0

    # --- workload identities ------------------------------------------------------------------

    def put_workload_identity(self, identity: WorkloadIdentity) -> None:
        self._insert(self._sql(f"INSERT INTO workload_identities ({_IDENTITY_COLUMNS}) "
                               "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"),
                     (identity.identity_id, identity.kind, identity.tenant, identity.account_id, identity.user_name,
                      identity.client_secret, identity.public_key, identity.key_id, identity.token_key,
                      identity.description, identity.created_at),
                     f"workload identity {identity.identity_id} already exists")

    def get_workload_identity(self, identity_id: str) -> WorkloadIdentity | None:
        rows = self._all(f"SELECT {_IDENTITY_COLUMNS} FROM workload_identities WHERE identity_id = ?", (identity_id,))
        return _identity_from(rows[0]) if rows else None

    def list_workload_identities(self, kind: str, account_id: str | None) -> list[WorkloadIdentity]:
        if account_id is None:
            rows = self._all(f"SELECT {_IDENTITY_COLUMNS} FROM workload_identities WHERE kind = ? "
                             "ORDER BY created_at, identity_id", (kind,))
        else:
            rows = self._all(f"SELECT {_IDENTITY_COLUMNS} FROM workload_identities WHERE kind = ? AND account_id = ? "
                             "ORDER BY created_at, identity_id", (kind, account_id))
        return [_identity_from(r) for r in rows]

    def delete_workload_identity(self, identity_id: str) -> bool:
        return self._write(self._sql("DELETE FROM workload_identities WHERE identity_id = ?"), (identity_id,)) > 0
