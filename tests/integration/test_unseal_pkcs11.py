"""The pkcs11 root through a real server, SoftHSM2 and boto3: migrate a running file-root server into the HSM,
restart auto-unsealed, seal and unseal, rotate to a new HSM key; a wrong PIN or a missing token leaves the
server sealed with a clear error and writes nothing."""

from __future__ import annotations

from pathlib import Path

import pytest

from strongroom.trust import envelope
from tests.conformance.kms_harness import ServerProcess
from tests.integration.unseal_support import assert_sealed_everywhere, control, logical_dump, operator, probe
from tests.trust.softhsm import SoftHsm, make_token


@pytest.fixture
def hsm(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> SoftHsm:
    token = make_token(tmp_path / "hsm")
    monkeypatch.setenv("SOFTHSM2_CONF", str(token.conf))  # inherited by the server processes
    monkeypatch.delenv("STRONGROOM_PKCS11_PIN", raising=False)
    return token


def record_meta(data: Path) -> dict:
    from strongroom.storage.sqlite import SqliteStore

    store = SqliteStore(data / "strongroom.db")
    try:
        record = store.get_wrapped_kek()
        assert record is not None
        wrapped = envelope.unpack(record)
        return {"root": wrapped.root, **wrapped.meta}
    finally:
        store.close()


def test_file_to_pkcs11_then_restart_seal_rotate(hsm: SoftHsm, tmp_path: Path) -> None:
    config = hsm.write_config(tmp_path / "hsm.toml")
    node = ServerProcess(tmp_path / "data", extra_args=["--workers", "2"])
    try:
        info = node.start()
        data = info.data_dir
        kms = info.client()
        key_id = kms.create_key()["KeyMetadata"]["KeyId"]
        blobs = [kms.encrypt(KeyId=key_id, Plaintext=f"m{i}".encode())["CiphertextBlob"] for i in range(3)]

        migrated = operator(data, "migrate-root", "--config", str(config))
        assert migrated.returncode == 0 and "new HSM key" in migrated.stdout, migrated.stderr
        first = record_meta(data)
        assert first["root"] == "pkcs11" and first["key_label"] == "strongroom-root"

        node.stop()
        node.extra_args = ["--workers", "2", "--config", str(config)]
        info = node.start()  # auto-unsealed through the HSM
        assert probe(info, "/ready")[0] == 200
        for i, blob in enumerate(blobs):
            assert info.client().decrypt(CiphertextBlob=blob)["Plaintext"] == f"m{i}".encode()

        assert operator(data, "seal").returncode == 0
        assert_sealed_everywhere([info.client() for _ in range(4)])
        assert operator(data, "unseal").returncode == 0
        assert info.client().decrypt(CiphertextBlob=blobs[0])["Plaintext"] == b"m0"

        rotated = operator(data, "rotate-root")
        assert rotated.returncode == 0 and first["key_id"] in rotated.stdout, rotated.stderr
        assert record_meta(data)["key_id"] != first["key_id"]
        info = node.restart()
        for i, blob in enumerate(blobs):
            assert info.client().decrypt(CiphertextBlob=blob)["Plaintext"] == f"m{i}".encode()
        status = operator(data, "status")
        assert "pkcs11" in status.stdout and "Unsealed" in status.stdout
    finally:
        node.stop()


@pytest.mark.parametrize(("overrides", "message"), [
    ({"pin": "999999"}, "the PIN for token 'strongroom' is wrong"),
    ({"token_label": "nowhere"}, "token 'nowhere' was not found"),
])
def test_a_wrong_pin_or_token_leaves_the_server_sealed(hsm: SoftHsm, tmp_path: Path, overrides: dict,
                                                       message: str) -> None:
    good = hsm.write_config(tmp_path / "good.toml")
    node = ServerProcess(tmp_path / "data", extra_args=["--config", str(good)])
    try:
        info = node.start()
        blob = info.client().encrypt(KeyId=info.client().create_key()["KeyMetadata"]["KeyId"],
                                     Plaintext=b"x")["CiphertextBlob"]
        node.stop()
        before = logical_dump(info.data_dir)
        node.extra_args = ["--config", str(hsm.write_config(tmp_path / "bad.toml", **overrides))]
        info = node.start()
        assert probe(info, "/health")[0] == 200 and probe(info, "/ready")[0] == 503
        assert_sealed_everywhere([info.client()])
        status = control(info.data_dir, "status")
        assert status["sealed"] and message in status["error"]
        retried = operator(info.data_dir, "unseal")
        assert retried.returncode == 1 and message in retried.stderr
        assert message in info.log_text()
        assert logical_dump(info.data_dir) == before, "a failed unseal wrote to the database"
        node.extra_args = ["--config", str(good)]
        info = node.restart()
        assert info.client().decrypt(CiphertextBlob=blob)["Plaintext"] == b"x"
    finally:
        node.stop()
