"""State survives a reopen; a change made by one process is seen by another at once; nothing secret is
stored in the clear."""

import sqlite3

import pytest

from strongroom.domain.references import KeyRef
from strongroom.errors import DisabledError
from strongroom.storage.migrations import migrations_for
from tests.conftest import open_core
from tests.storage.audit_rows import audit_text


def test_everything_survives_reopen(data_dir, ctx):
    first = open_core(data_dir)
    key = first.keys.create_key(ctx)
    first.aliases.create_alias(ctx, "alias/kept", key.key_id)
    first.rotation.rotate_key_on_demand(ctx, key.key_id)
    blob = first.crypto.encrypt(ctx, KeyRef(alias="alias/kept"), b"payload", {"k": "v"}).ciphertext
    first.close()
    second = open_core(data_dir)
    assert second.crypto.decrypt(ctx, blob, {"k": "v"}).plaintext == b"payload"
    assert second.keys.describe_key(ctx, KeyRef(alias="alias/kept")).current_version == 2
    second.close()


def test_change_in_one_process_is_seen_by_another_immediately(data_dir, ctx):
    a, b = open_core(data_dir), open_core(data_dir)
    key = a.keys.create_key(ctx)
    b.crypto.encrypt(ctx, key.key_id, b"x")  # b now caches the key as enabled
    a.keys.disable_key(ctx, key.key_id)
    with pytest.raises(DisabledError):
        b.crypto.encrypt(ctx, key.key_id, b"x")
    a.close()
    b.close()


def test_database_holds_no_plaintext_material_or_secrets(data_dir, ctx):
    core = open_core(data_dir)
    secret = "S3cretAccessKeyThatMustNotAppearInTheDb"
    core.credentials.create("111122223333", access_key_id="AKIAPLAINTEXTCHECK01", secret_access_key=secret)
    key = core.keys.create_key(ctx)
    material = core._ring.version(key, 1)
    core.crypto.encrypt(ctx, key.key_id, b"plain-text-payload")
    core.close()
    raw = (data_dir / "strongroom.db").read_bytes()
    wal = data_dir / "strongroom.db-wal"
    raw += wal.read_bytes() if wal.exists() else b""
    raw += audit_text(data_dir / "strongroom.db")
    assert secret.encode() not in raw and b"plain-text-payload" not in raw
    assert material.material_id.encode() in raw  # sanity: we did read the right file
    with sqlite3.connect(data_dir / "strongroom.db") as db:
        assert db.execute("PRAGMA user_version").fetchone()[0] == len(migrations_for("sqlite"))


def test_sealed_core_refuses_secrets_until_unsealed(data_dir, ctx):
    from strongroom.errors import SealedError
    from strongroom.trust.key_file import FileRootOfTrust

    core = open_core(data_dir)
    key = core.keys.create_key(ctx)
    blob = core.crypto.encrypt(ctx, key.key_id, b"x").ciphertext
    core.seal()
    assert core.sealed
    with pytest.raises(SealedError):
        core.crypto.decrypt(ctx, blob)
    with pytest.raises(SealedError):
        core.keys.create_key(ctx)
    core.unseal(FileRootOfTrust(data_dir / "root.key"))
    assert core.crypto.decrypt(ctx, blob).plaintext == b"x"
    core.close()
