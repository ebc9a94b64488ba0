"""The server as a process: dev files, restarts on the same data dir, several workers, the credentials CLI."""

from __future__ import annotations

import configparser
import re
import signal
import stat
import subprocess
import sys
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError
from kms_harness import TEST_ACCOUNT_ID, ServerInfo, clean_env, expect_error, free_port


def _strongroom(*args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "strongroom", *args],
        env=clean_env(),
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def _parse_new_key(output: str) -> tuple[str, str]:
    """The access key id and secret printed by ``credentials create`` (key = value, JSON, or bare tokens)."""
    akid = re.search(r"(?i)access_?key_?id\W+([A-Z0-9]{16,128})", output)
    secret = re.search(r"(?i)secret_?access_?key\W+([A-Za-z0-9/+=]{20,128})", output)
    if akid and secret:
        return akid.group(1), secret.group(1)
    ids = re.findall(r"\b(AKIA[A-Z0-9]{12,124})\b", output)
    secrets = [s for s in re.findall(r"(?<![A-Za-z0-9/+])([A-Za-z0-9/+]{40})(?![A-Za-z0-9/+])", output)]
    assert ids and secrets, f"cannot find a new key pair in:\n{output}"
    return ids[0], secrets[0]


def test_python_dash_m_help_works() -> None:
    proc = _strongroom("server", "--help")
    assert proc.returncode == 0, proc.stderr
    for flag in ("--dev", "--data-dir", "--port", "--tls-port", "--workers"):
        assert flag in proc.stdout, flag


def test_dev_files_exist(server: ServerInfo) -> None:
    assert server.ca_file.is_file()
    creds = server.data_dir / "dev-credentials"
    assert creds.is_file()
    parser = configparser.ConfigParser()
    parser.read(creds)
    assert parser["default"]["aws_access_key_id"].strip() == server.access_key_id
    assert stat.S_IMODE(creds.stat().st_mode) & 0o077 == 0, "dev-credentials holds a secret: mode 0600"


def test_https_port_serves_the_api_with_the_dev_ca(server: ServerInfo) -> None:
    kms = server.tls_client()
    arn = kms.create_key(Description="over https")["KeyMetadata"]["Arn"]
    blob = kms.encrypt(KeyId=arn, Plaintext=b"tls")["CiphertextBlob"]
    assert server.client().decrypt(CiphertextBlob=blob)["Plaintext"] == b"tls"  # same store on both ports


def test_concurrent_clients(server: ServerInfo) -> None:
    """Eight threads, each with its own connection, encrypting and decrypting at once."""
    arn = server.client().create_key(Description="concurrency")["KeyMetadata"]["Arn"]

    def work(n: int) -> int:
        kms = server.client()
        ok = 0
        for i in range(15):
            plaintext = f"{n}:{i}".encode()
            blob = kms.encrypt(KeyId=arn, Plaintext=plaintext, EncryptionContext={"n": str(n)})["CiphertextBlob"]
            assert kms.decrypt(CiphertextBlob=blob, EncryptionContext={"n": str(n)})["Plaintext"] == plaintext
            ok += 1
        return ok

    with ThreadPoolExecutor(8) as pool:
        assert sum(pool.map(work, range(8))) == 8 * 15


def test_restart_keeps_keys_aliases_ciphertexts_and_tls(server_factory: Any) -> None:
    sp = server_factory("restart")
    info = sp.start()
    kms = info.client()
    arn = kms.create_key(Description="survives restart", Tags=[{"TagKey": "k", "TagValue": "v"}])["KeyMetadata"]["Arn"]
    alias = f"alias/restart-{uuid.uuid4().hex[:8]}"
    kms.create_alias(AliasName=alias, TargetKeyId=arn)
    blob = kms.encrypt(KeyId=alias, Plaintext=b"persisted", EncryptionContext={"a": "b"})["CiphertextBlob"]
    disabled = kms.create_key()["KeyMetadata"]["Arn"]
    kms.disable_key(KeyId=disabled)
    kms.rotate_key_on_demand(KeyId=arn)
    rotated_blob = kms.encrypt(KeyId=arn, Plaintext=b"after rotation")["CiphertextBlob"]
    ca_before = info.ca_file.read_bytes()
    creds_before = (info.data_dir / "dev-credentials").read_text()

    rc = sp.stop()
    assert rc is not None and rc != -signal.SIGKILL, "the server ignored SIGTERM for 10 s"

    info2 = sp.start()
    kms2 = info2.client()
    meta = kms2.describe_key(KeyId=alias)["KeyMetadata"]
    assert meta["Arn"] == arn and meta["Description"] == "survives restart"
    assert kms2.decrypt(CiphertextBlob=blob, EncryptionContext={"a": "b"})["Plaintext"] == b"persisted"
    assert kms2.decrypt(CiphertextBlob=rotated_blob)["Plaintext"] == b"after rotation"
    assert {t["TagKey"]: t["TagValue"] for t in kms2.list_resource_tags(KeyId=arn)["Tags"]} == {"k": "v"}
    assert kms2.describe_key(KeyId=disabled)["KeyMetadata"]["KeyState"] == "Disabled"
    assert len(kms2.list_key_rotations(KeyId=arn)["Rotations"]) == 1
    assert info2.ca_file.read_bytes() == ca_before, "the dev CA must be reused across restarts"
    assert (info2.data_dir / "dev-credentials").read_text() == creds_before
    # the reused CA still validates the (reused or reissued) server certificate
    assert info2.tls_client().describe_key(KeyId=arn)["KeyMetadata"]["KeyId"] == meta["KeyId"]


def test_data_dirs_are_isolated(server: ServerInfo, server_factory: Any) -> None:
    other = server_factory("isolated").start()
    arn = other.client().create_key()["KeyMetadata"]["Arn"]
    expect_error("NotFoundException", server.client().describe_key, KeyId=arn)


def test_several_workers_share_one_store(server_factory: Any) -> None:
    sp = server_factory("workers", extra_args=["--workers", "3"])
    info = sp.start()
    arns = []
    for i in range(12):  # a new client, hence a new connection, each time: spread over the workers
        arns.append(info.client().create_key(Description=f"w{i}")["KeyMetadata"]["Arn"])
    blobs = [info.client().encrypt(KeyId=a, Plaintext=a.encode())["CiphertextBlob"] for a in arns]
    for arn, blob in zip(arns, blobs, strict=True):
        for _ in range(2):
            assert info.client().decrypt(CiphertextBlob=blob)["Plaintext"] == arn.encode()
    listed: set[str] = set()
    for page in info.client().get_paginator("list_keys").paginate():
        listed |= {k["KeyArn"] for k in page["Keys"]}
    assert set(arns) <= listed
    assert info.tls_client().describe_key(KeyId=arns[0])["KeyMetadata"]["Arn"] == arns[0]
    rc = sp.stop()
    assert rc is not None and rc != -signal.SIGKILL, "the server ignored SIGTERM for 10 s"


def test_credentials_cli_create_list_delete(server_factory: Any) -> None:
    sp = server_factory("creds")
    info = sp.start()
    arn = info.client().create_key(Description="owned by the dev account")["KeyMetadata"]["Arn"]
    sp.stop()
    data_dir = str(info.data_dir)

    created = _strongroom("credentials", "create", "--data-dir", data_dir, "--account", TEST_ACCOUNT_ID)
    assert created.returncode == 0, created.stderr
    akid, secret = _parse_new_key(created.stdout)
    assert akid != info.access_key_id

    listed = _strongroom("credentials", "list", "--data-dir", data_dir)
    assert listed.returncode == 0, listed.stderr
    assert akid in listed.stdout and info.access_key_id in listed.stdout
    assert secret not in listed.stdout, "list must never show secrets"

    info = sp.start()
    new_client = info.client(aws_access_key_id=akid, aws_secret_access_key=secret)
    assert new_client.describe_key(KeyId=arn)["KeyMetadata"]["Arn"] == arn  # same account, same keys
    sp.stop()

    deleted = _strongroom("credentials", "delete", akid, "--data-dir", data_dir)
    assert deleted.returncode == 0, deleted.stderr
    listed = _strongroom("credentials", "list", "--data-dir", data_dir)
    assert akid not in listed.stdout

    info = sp.start()
    gone = info.client(aws_access_key_id=akid, aws_secret_access_key=secret)
    with pytest.raises(ClientError) as ei:
        gone.list_keys()
    assert ei.value.response["Error"]["Code"] == "UnrecognizedClientException"
    assert info.client().describe_key(KeyId=arn)["KeyMetadata"]["Arn"] == arn  # the dev key still works


def test_credentials_delete_of_unknown_key_fails(server_factory: Any) -> None:
    sp = server_factory("creds-unknown")
    info = sp.start()
    sp.stop()
    proc = _strongroom("credentials", "delete", "AKIADOESNOTEXIST0000", "--data-dir", str(info.data_dir))
    assert proc.returncode != 0


def test_server_refuses_a_busy_port(server: ServerInfo, tmp_path: Path) -> None:
    """Starting on a port already in use must fail fast with a message, not hang or half-start."""
    cmd = [
        sys.executable,
        "-m",
        "strongroom",
        "server",
        "--dev",
        "--data-dir",
        str(tmp_path / "busy"),
        "--port",
        str(server.port),
        "--tls-port",
        str(free_port()),
        "--kmip-port",
        "0",
    ]
    try:
        proc = subprocess.run(cmd, env=clean_env(), capture_output=True, text=True, timeout=30)
    except subprocess.TimeoutExpired:
        pytest.fail("the server kept running although its port was taken")
    assert proc.returncode != 0
    assert str(server.port) in proc.stdout + proc.stderr or "in use" in (proc.stdout + proc.stderr).lower()
