"""Backup files: every row survives SQLite → PostgreSQL → SQLite, the file proves its integrity under the root
of trust, and a restore goes only into an empty store of the same schema, whole or not at all."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from strongroom.domain.audit import AuditEvent
from strongroom.domain.references import KeyRef
from strongroom.service.core import Core
from strongroom.storage import backup
from strongroom.storage.base import Store
from strongroom.storage.factory import open_store
from strongroom.trust.key_file import FileRootOfTrust, create_root_key_file
from tests.conftest import ACCOUNT, make_ctx


@pytest.fixture
def root(tmp_path: Path) -> FileRootOfTrust:
    create_root_key_file(tmp_path / "root.key")
    return FileRootOfTrust(tmp_path / "root.key")


@pytest.fixture
def stores(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Callable[[str, str], Store]]:
    """``stores(backend, name)``: a store on a fresh SQLite file or a fresh PostgreSQL database."""
    opened: list[Store] = []

    def make(backend: str, name: str) -> Store:
        database = request.getfixturevalue("postgres_server").create_database() if backend == "postgres" else None
        store = open_store(database, tmp_path / name)
        opened.append(store)
        return store

    yield make
    for store in opened:
        store.close()


def populate(core: Core) -> None:
    ctx = make_ctx()
    core.credentials.create(ACCOUNT, access_key_id="AKIABACKUPTEST000001", secret_access_key="s" * 40)
    core.principals.create_user(ACCOUNT, "alice")
    core.principals.put_user_policy(ACCOUNT, "alice", "read", '{"Version": "2012-10-17", "Statement": '
                                    '[{"Effect": "Allow", "Action": "kms:Decrypt", "Resource": "*"}]}')
    for i in range(3):
        key = core.keys.create_key(ctx, description=f"key {i}", tags=[("team", f"t{i}")])
        core.aliases.create_alias(ctx, f"alias/k{i}", key.key_id)
        core.rotation.enable_key_rotation(ctx, key.key_id, 90 + i)
        core.rotation.rotate_key_on_demand(ctx, key.key_id)
        core.grants.create_grant(ctx, key.key_id, f"arn:aws:iam::{ACCOUNT}:user/alice", ["Encrypt", "Decrypt"],
                                 context_subset={"app": "x"}, name=f"g{i}")
        core.audit.record(AuditEvent(1_800_000_000.0 + i, f"event-{i}", "Encrypt", f"arn:aws:iam::{ACCOUNT}:root",
                                     key.arn, None, {"eventID": f"event-{i}", "eventName": "Encrypt"}))


def unwrapper(root: FileRootOfTrust) -> Callable[[bytes], bytes]:
    return lambda record: bytes(root.unwrap_kek(record))


@pytest.mark.parametrize("source,target", [("sqlite", "postgres"), ("postgres", "sqlite"), ("sqlite", "sqlite")])
def test_every_row_survives_a_backup_and_restore_across_backends(stores, root, tmp_path: Path, source: str,
                                                                  target: str) -> None:
    core = Core(stores(source, "source"), root)
    populate(core)
    original = core._store.read_tables()  # type: ignore[attr-defined]
    backup.write(tmp_path / "b.backup", backup.take(core._store), unwrapper(root))  # type: ignore[arg-type]

    restored_store = stores(target, "target")
    backup.restore(restored_store, backup.read(tmp_path / "b.backup", unwrapper(root)))  # type: ignore[arg-type]
    assert restored_store.read_tables() == original  # type: ignore[attr-defined]
    counts = {name: len(rows) for name, (_, rows) in original.items()}
    assert counts.items() >= {"kek": 1, "accounts": 1, "access_keys": 1, "users": 1, "identity_policies": 1,
                              "keys": 3, "key_versions": 6, "aliases": 3, "grants": 3}.items()
    assert counts["audit_batches"] == counts["audit_batch_keys"] == 3  # written one event at a time

    restored = Core(restored_store, root)
    ctx = make_ctx()
    key = restored.keys.describe_key(ctx, KeyRef(alias="alias/k1"))
    assert key.description == "key 1" and key.tags == {"team": "t1"} and key.current_version == 2
    old = core.crypto.encrypt(ctx, KeyRef(alias="alias/k2"), b"old").ciphertext
    assert restored.crypto.decrypt(ctx, old).plaintext == b"old"


def test_a_backup_that_was_altered_or_truncated_is_refused(stores, root, tmp_path: Path) -> None:
    core = Core(stores("sqlite", "source"), root)
    populate(core)
    path = tmp_path / "b.backup"
    backup.write(path, backup.take(core._store), unwrapper(root))  # type: ignore[arg-type]
    good = path.read_bytes()
    at = good.index(b'"description"')
    for damaged in (good[:at] + b'"descriptioN"' + good[at + 13:], good[: len(good) // 2], good + b"extra\n"):
        path.write_bytes(damaged)
        with pytest.raises(backup.BackupError, match="altered or truncated"):
            backup.read(path, unwrapper(root))
    path.write_bytes(b"not a backup")
    with pytest.raises(backup.BackupError, match="not a Strongroom backup"):
        backup.read(path, unwrapper(root))


def test_a_backup_does_not_open_under_another_root(stores, root, tmp_path: Path) -> None:
    core = Core(stores("sqlite", "source"), root)
    populate(core)
    path = tmp_path / "b.backup"
    backup.write(path, backup.take(core._store), unwrapper(root))  # type: ignore[arg-type]
    create_root_key_file(tmp_path / "other.key")
    with pytest.raises(backup.BackupError, match="does not unwrap with this root"):
        backup.read(path, unwrapper(FileRootOfTrust(tmp_path / "other.key")))


@pytest.mark.parametrize("target", ["sqlite", "postgres"])
def test_restore_refuses_a_store_with_data_and_writes_nothing(stores, root, tmp_path: Path, target: str) -> None:
    core = Core(stores("sqlite", "source"), root)
    populate(core)
    backup.write(tmp_path / "b.backup", backup.take(core._store), unwrapper(root))  # type: ignore[arg-type]
    occupied = stores(target, "occupied")
    occupied.ensure_account("999999999999", 1.0)
    before = occupied.read_tables()  # type: ignore[attr-defined]
    with pytest.raises(backup.BackupError, match="not empty"):
        backup.restore(occupied, backup.read(tmp_path / "b.backup", unwrapper(root)))  # type: ignore[arg-type]
    assert occupied.read_tables() == before  # type: ignore[attr-defined]


def test_restore_refuses_another_schema_version(stores, root, tmp_path: Path) -> None:
    core = Core(stores("sqlite", "source"), root)
    populate(core)
    snapshot = backup.take(core._store)  # type: ignore[arg-type]
    older = backup.Snapshot(snapshot.dialect, snapshot.schema_version - 1, snapshot.taken_at, snapshot.tables)
    with pytest.raises(backup.BackupError, match="schema version"):
        backup.restore(stores("sqlite", "target"), older)  # type: ignore[arg-type]
