"""SQLite under faults: a read-only database, a full disk and a corrupted file each give an error that says
so, and a failed write leaves nothing of itself behind; commits wait for the disk unless told otherwise."""

from __future__ import annotations

from pathlib import Path

import pytest

from strongroom.errors import InternalError
from strongroom.service.core import Core
from strongroom.storage.sqlite import SqliteStore
from strongroom.trust.key_file import FileRootOfTrust
from tests.conftest import make_ctx


def open_core(data_dir: Path) -> Core:
    return Core(SqliteStore(data_dir / "strongroom.db"), FileRootOfTrust(data_dir / "root.key"))


def snapshot(core: Core) -> tuple:
    store = core._store
    keys = store.list_keys("111122223333", "us-east-1", None, 1000)
    return ([k.key_id for k in keys], [len(store.get_versions(k.key_id)) for k in keys],
            [a.name for a in store.list_aliases("111122223333", "us-east-1", None, None, 1000)])


def test_a_read_only_database_refuses_writes_clearly_and_keeps_serving_reads(data_dir: Path) -> None:
    core, ctx = open_core(data_dir), make_ctx()
    key = core.keys.create_key(ctx)
    before = snapshot(core)
    core._store._db.execute("PRAGMA query_only = ON")  # type: ignore[attr-defined]  # SQLite's own read-only refusal
    for write in (lambda: core.keys.create_key(ctx), lambda: core.aliases.create_alias(ctx, "alias/x", key.key_id),
                  lambda: core.rotation.rotate_key_on_demand(ctx, key.key_id)):
        with pytest.raises(InternalError, match="read-only|readonly"):
            write()
    assert snapshot(core) == before
    blob = core.crypto.encrypt(ctx, key.key_id, b"still readable").ciphertext
    assert core.crypto.decrypt(ctx, blob).plaintext == b"still readable"
    core.close()


def test_a_full_disk_fails_the_write_whole_and_recovers_when_space_returns(data_dir: Path) -> None:
    core, ctx = open_core(data_dir), make_ctx()
    key = core.keys.create_key(ctx)
    db = core._store._db  # type: ignore[attr-defined]
    pages = db.execute("PRAGMA page_count").fetchone()[0]
    db.execute(f"PRAGMA max_page_count = {pages}")  # the database cannot grow: SQLite's "disk is full"
    created = [key.key_id]
    with pytest.raises(InternalError, match="full"):
        for i in range(200):  # until a page must be added
            created.append(core.keys.create_key(ctx, description="x" * 3000, tags=[(f"t{i}", "v" * 200)]).key_id)
    ids, versions, _ = snapshot(core)
    assert sorted(ids) == sorted(created)  # exactly the acknowledged keys: the failed one left no row
    assert versions == [1] * len(ids)  # and each has its material: nothing half-written
    db.execute("PRAGMA max_page_count = 1073741823")
    assert core.keys.create_key(ctx).key_id
    core.aliases.create_alias(ctx, "alias/after-the-disk-filled", key.key_id)
    core.close()


def test_a_corrupted_file_is_refused_at_open_with_a_clear_message(data_dir: Path) -> None:
    core = open_core(data_dir)
    core.keys.create_key(make_ctx())
    core.close()
    path = data_dir / "strongroom.db"
    for leftover in (data_dir / "strongroom.db-wal", data_dir / "strongroom.db-shm"):
        leftover.unlink(missing_ok=True)
    with open(path, "r+b") as f:
        f.write(b"this is not an SQLite header at all" * 3)
    with pytest.raises(InternalError, match="cannot open the database .*corrupted"):
        SqliteStore(path)


def test_each_commit_waits_for_the_disk_unless_its_transaction_says_otherwise(tmp_path: Path) -> None:
    store = SqliteStore(tmp_path / "strongroom.db")
    full, normal = 2, 1  # PRAGMA synchronous values
    try:
        modes = []
        for durable in (True, False, False, True, False):
            with store.transaction(cached=False, durable=durable):
                modes.append(store._db.execute("PRAGMA synchronous").fetchone()[0])
                with store.transaction():  # a nested transaction is part of the outer one
                    assert store._db.execute("PRAGMA synchronous").fetchone()[0] == modes[-1]
        assert modes == [full, normal, normal, full, normal]
    finally:
        store.close()
