"""The kms root (auto-unseal) with two real Strongroom servers: one is the KMS that unseals the other.

The KEK is encrypted under a key of the unsealer; the target unseals itself at every start, seals and unseals
on request, rotates to a new key version or a new key, and while the unsealer is unreachable it stays sealed
with a clear error and writes nothing."""

from __future__ import annotations

from pathlib import Path

import pytest

from strongroom.storage.sqlite import SqliteStore
from strongroom.trust import envelope
from tests.conformance.kms_harness import ServerInfo, ServerProcess
from tests.integration.unseal_support import assert_sealed_everywhere, control, logical_dump, operator, probe

UNSEALER_ACCOUNT = "444455556666"
UNSEALER_KEY_ID = "AKIAUNSEALERTEST0001"


def kms_config(path: Path, unsealer: ServerInfo, key_id: str) -> Path:
    path.write_text(f'[root_of_trust]\nkind = "kms"\nendpoint_url = "{unsealer.tls_endpoint}"\n'
                    f'region = "{unsealer.region}"\nkey_id = "{key_id}"\nca_bundle = "{unsealer.ca_file}"\n'
                    f'credentials_file = "{unsealer.data_dir / "dev-credentials"}"\ntimeout = 3\n')
    return path


def record(data: Path) -> envelope.WrappedKek:
    store = SqliteStore(data / "strongroom.db")
    try:
        wrapped = store.get_wrapped_kek()
        assert wrapped is not None
        return envelope.unpack(wrapped)
    finally:
        store.close()


@pytest.fixture
def unsealer(tmp_path: Path):  # type: ignore[no-untyped-def]
    process = ServerProcess(tmp_path / "unsealer", account_id=UNSEALER_ACCOUNT, access_key_id=UNSEALER_KEY_ID)
    process.start()
    yield process
    process.stop()


def test_auto_unseal_through_another_strongroom(unsealer: ServerProcess, tmp_path: Path) -> None:
    assert unsealer.info is not None
    outer = unsealer.info.client()
    unseal_key = outer.create_key(Description="unseals the target")["KeyMetadata"]["Arn"]
    outer.create_alias(AliasName="alias/unseal", TargetKeyId=unseal_key)
    config = kms_config(tmp_path / "kms.toml", unsealer.info, "alias/unseal")

    target = ServerProcess(tmp_path / "target", extra_args=["--workers", "2", "--config", str(config)])
    try:
        info = target.start()
        data = info.data_dir
        assert probe(info, "/ready")[0] == 200
        wrapped = record(data)
        assert wrapped.root == "kms" and wrapped.meta["key_id"] == unseal_key
        kms = info.client()
        key_id = kms.create_key()["KeyMetadata"]["KeyId"]
        blobs = [kms.encrypt(KeyId=key_id, Plaintext=f"t{i}".encode())["CiphertextBlob"] for i in range(3)]

        assert operator(data, "seal").returncode == 0
        assert_sealed_everywhere([info.client() for _ in range(4)])
        assert operator(data, "unseal").returncode == 0
        info = target.restart()
        assert info.client().decrypt(CiphertextBlob=blobs[0])["Plaintext"] == b"t0"

        # rotate: a new key version of the same KMS key, then a new KMS key altogether
        rotated = operator(data, "rotate-root")
        assert rotated.returncode == 0 and "new key version" in rotated.stdout, rotated.stderr
        assert len(outer.list_key_rotations(KeyId=unseal_key)["Rotations"]) == 1
        second = outer.create_key(Description="the next unseal key")["KeyMetadata"]["Arn"]
        moved = operator(data, "rotate-root", "--kms-key-id", second)
        assert moved.returncode == 0 and record(data).meta["key_id"] == second, moved.stderr
        outer.disable_key(KeyId=unseal_key)  # the old key is not needed any more
        info = target.restart()  # the record names the new key, whatever the config still says
        for i, blob in enumerate(blobs):
            assert info.client().decrypt(CiphertextBlob=blob)["Plaintext"] == f"t{i}".encode()

        # the KMS goes away: the target stays sealed, says why, and writes nothing
        target.stop()
        unsealer.stop()
        before = logical_dump(data)
        info = target.start()
        assert probe(info, "/ready")[0] == 503
        assert_sealed_everywhere([info.client()])
        status = control(data, "status")
        assert status["sealed"] and "cannot reach the KMS" in status["error"]
        retried = operator(data, "unseal")
        assert retried.returncode == 1 and "cannot reach the KMS" in retried.stderr
        assert logical_dump(data) == before

        # back on another address: point the config at it and the target unseals at start again
        target.stop()
        kms_config(config, unsealer.start(), "alias/unseal")
        info = target.start()
        assert info.client().decrypt(CiphertextBlob=blobs[2])["Plaintext"] == b"t2"
    finally:
        target.stop()


def test_a_first_start_against_an_unreachable_kms_writes_nothing(unsealer: ServerProcess, tmp_path: Path) -> None:
    assert unsealer.info is not None
    key = unsealer.info.client().create_key()["KeyMetadata"]["KeyId"]
    config = kms_config(tmp_path / "kms.toml", unsealer.info, key)
    config.write_text(config.read_text().replace(unsealer.info.tls_endpoint, "https://127.0.0.1:9"))
    target = ServerProcess(tmp_path / "target", extra_args=["--config", str(config)])
    try:
        info = target.start()
        status = control(info.data_dir, "status")
        assert status["sealed"] and not status["initialized"] and "cannot reach the KMS" in status["error"]
        assert "cannot reach the KMS at https://127.0.0.1:9" in info.log_text()
    finally:
        target.stop()
