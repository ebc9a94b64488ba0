"""The server as an operator meets it: refusing unsafe starts, several workers, credentials managed by the
CLI while the server runs, and state that survives a restart."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from kms_harness import TEST_ACCOUNT_ID, ServerProcess, clean_env, error_code


def strongroom(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "strongroom", *args], capture_output=True, text=True, timeout=60, env=env or clean_env()
    )


def test_refuses_to_start_outside_dev_without_root_key_and_tls(tmp_path: Path) -> None:
    done = strongroom("server", "--data-dir", str(tmp_path), "--port", "0", "--tls-port", "0")
    assert done.returncode == 2
    assert "root key" in done.stderr and "TLS material" in done.stderr


def root_key_file(tmp_path: Path, mode: int) -> Path:
    root_key = tmp_path / "root.key"
    root_key.write_text("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n")
    os.chmod(root_key, mode)
    return root_key


def test_refuses_a_root_key_others_can_read(tmp_path: Path) -> None:
    root_key = root_key_file(tmp_path, 0o644)
    done = strongroom(
        "server",
        "--data-dir",
        str(tmp_path),
        "--root-key-file",
        str(root_key),
        "--tls-cert",
        str(tmp_path / "c.pem"),
        "--tls-key",
        str(tmp_path / "k.pem"),
    )
    assert done.returncode == 2 and "readable by others" in done.stderr


@pytest.fixture
def two_workers(tmp_path: Path):
    process = ServerProcess(tmp_path / "data", extra_args=["--workers", "2"])
    info = process.start()
    yield process, info
    process.stop()


def test_a_disable_through_one_worker_is_honoured_by_every_worker(two_workers) -> None:
    _, info = two_workers
    kms = info.client()
    key_id = kms.create_key()["KeyMetadata"]["KeyId"]
    clients = [info.client() for _ in range(8)]  # separate connections, spread over both workers
    for client in clients:
        client.encrypt(KeyId=key_id, Plaintext=b"warm the caches")
    kms.disable_key(KeyId=key_id)
    for client in clients:
        with pytest.raises(Exception) as refused:
            client.encrypt(KeyId=key_id, Plaintext=b"x")
        assert error_code(refused.value) == "DisabledException"


def test_credentials_managed_by_the_cli_while_the_server_runs(two_workers) -> None:
    process, info = two_workers
    unknown = info.client(aws_access_key_id="AKIANOTYETCREATED000", aws_secret_access_key="x" * 40)
    with pytest.raises(Exception) as refused:
        unknown.list_keys()
    assert error_code(refused.value) == "UnrecognizedClientException"

    created = strongroom("credentials", "create", "--account", TEST_ACCOUNT_ID, "--data-dir", str(info.data_dir))
    assert created.returncode == 0, created.stderr
    fields = dict(line.split(" = ") for line in created.stdout.strip().splitlines())
    new_client = info.client(
        aws_access_key_id=fields["aws_access_key_id"], aws_secret_access_key=fields["aws_secret_access_key"]
    )
    assert new_client.list_keys()["Truncated"] is False

    listed = strongroom("credentials", "list", "--data-dir", str(info.data_dir))
    assert fields["aws_access_key_id"] in listed.stdout
    assert fields["aws_secret_access_key"] not in listed.stdout

    deleted = strongroom("credentials", "delete", fields["aws_access_key_id"], "--data-dir", str(info.data_dir))
    assert deleted.returncode == 0
    for _ in range(4):  # whichever worker answers, the deleted key is refused
        with pytest.raises(Exception) as refused:
            new_client.list_keys()
        assert error_code(refused.value) == "UnrecognizedClientException"
    assert strongroom("credentials", "delete", "AKIANOSUCHKEY0000000", "--data-dir", str(info.data_dir)).returncode == 1


def test_keys_aliases_and_ciphertexts_survive_a_restart(tmp_path: Path) -> None:
    process = ServerProcess(tmp_path / "data")
    try:
        kms = process.start().client()
        key_id = kms.create_key(Description="kept")["KeyMetadata"]["KeyId"]
        kms.create_alias(AliasName="alias/kept", TargetKeyId=key_id)
        kms.rotate_key_on_demand(KeyId=key_id)
        blob = kms.encrypt(KeyId="alias/kept", Plaintext=b"survives", EncryptionContext={"k": "v"})["CiphertextBlob"]
        process.stop()
        kms = process.start().client()
        assert kms.decrypt(CiphertextBlob=blob, EncryptionContext={"k": "v"})["Plaintext"] == b"survives"
        assert kms.describe_key(KeyId="alias/kept")["KeyMetadata"]["Description"] == "kept"
        assert len(kms.list_key_rotations(KeyId=key_id)["Rotations"]) == 1
    finally:
        process.stop()


def test_refuses_tls_material_it_cannot_load(tmp_path: Path) -> None:
    root_key = root_key_file(tmp_path, 0o600)
    done = strongroom(
        "server",
        "--data-dir",
        str(tmp_path),
        "--root-key-file",
        str(root_key),
        "--tls-cert",
        str(tmp_path / "missing.pem"),
        "--tls-key",
        str(tmp_path / "missing-key.pem"),
    )
    assert done.returncode == 2 and "cannot load TLS material" in done.stderr
