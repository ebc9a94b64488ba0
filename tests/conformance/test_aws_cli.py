"""The AWS CLI, unchanged, with credentials from the server's ``dev-credentials`` file."""

from __future__ import annotations

import base64
import configparser
import json
import subprocess
import sys
import uuid
from pathlib import Path
from typing import Any

import pytest
from kms_harness import REGION, ServerInfo, clean_env, key_arn_re

AWS = Path(sys.executable).parent / "aws"


@pytest.fixture
def aws(server: ServerInfo, tmp_path: Path) -> Any:
    """``aws(*args, tls=False)`` runs ``aws kms ...`` against the server; returns the CompletedProcess."""
    config = tmp_path / "aws-config"
    config.write_text("")
    home = tmp_path / "home"
    home.mkdir()
    env = clean_env(
        AWS_SHARED_CREDENTIALS_FILE=str(server.data_dir / "dev-credentials"),
        AWS_CONFIG_FILE=str(config),
        HOME=str(home),
    )

    def run(*args: str, tls: bool = False, check: bool = True) -> subprocess.CompletedProcess[str]:
        endpoint = server.tls_endpoint if tls else server.endpoint
        cmd = [str(AWS), "kms", *args, "--endpoint-url", endpoint, "--region", REGION]
        if tls:
            cmd += ["--ca-bundle", str(server.ca_file)]
        proc = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=120)
        if check:
            assert proc.returncode == 0, f"{cmd} failed ({proc.returncode}):\n{proc.stderr}"
        return proc

    return run


def test_dev_credentials_file_is_a_shared_credentials_file(server: ServerInfo) -> None:
    parser = configparser.ConfigParser()
    assert parser.read(server.data_dir / "dev-credentials")
    assert parser["default"]["aws_access_key_id"].strip() == server.access_key_id
    assert parser["default"]["aws_secret_access_key"].strip() == server.secret_access_key


def test_cli_create_encrypt_decrypt(aws: Any, server: ServerInfo, tmp_path: Path) -> None:
    meta = json.loads(aws("create-key", "--description", "from the cli", "--output", "json").stdout)["KeyMetadata"]
    assert key_arn_re(server.account_id).match(meta["Arn"]), meta["Arn"]
    assert meta["Description"] == "from the cli"

    plaintext = b"secret from the CLI \x00\xff"
    (tmp_path / "plain.bin").write_bytes(plaintext)
    enc = json.loads(
        aws(
            "encrypt",
            "--key-id",
            meta["KeyId"],
            "--plaintext",
            f"fileb://{tmp_path / 'plain.bin'}",
            "--encryption-context",
            "purpose=cli-test",
            "--output",
            "json",
        ).stdout
    )
    assert enc["KeyId"] == meta["Arn"]
    (tmp_path / "ct.bin").write_bytes(base64.b64decode(enc["CiphertextBlob"]))

    out = aws(
        "decrypt",
        "--ciphertext-blob",
        f"fileb://{tmp_path / 'ct.bin'}",
        "--encryption-context",
        "purpose=cli-test",
        "--output",
        "text",
        "--query",
        "Plaintext",
    ).stdout
    assert base64.b64decode(out.strip()) == plaintext

    key_id_out = aws(
        "decrypt",
        "--ciphertext-blob",
        f"fileb://{tmp_path / 'ct.bin'}",
        "--encryption-context",
        "purpose=cli-test",
        "--output",
        "text",
        "--query",
        "KeyId",
    ).stdout
    assert key_id_out.strip() == meta["Arn"]


def test_cli_error_surfaces_the_aws_error_code(aws: Any, tmp_path: Path) -> None:
    (tmp_path / "junk.bin").write_bytes(b"\x01" * 64)
    proc = aws("decrypt", "--ciphertext-blob", f"fileb://{tmp_path / 'junk.bin'}", check=False)
    assert proc.returncode != 0
    assert "InvalidCiphertextException" in proc.stderr, proc.stderr

    proc = aws("describe-key", "--key-id", str(uuid.uuid4()), check=False)
    assert proc.returncode != 0
    assert "NotFoundException" in proc.stderr, proc.stderr


def test_cli_aliases_listing_and_data_keys(aws: Any, server: ServerInfo) -> None:
    key_id = json.loads(aws("create-key", "--output", "json").stdout)["KeyMetadata"]["KeyId"]
    alias = f"alias/cli-{uuid.uuid4().hex[:10]}"
    aws("create-alias", "--alias-name", alias, "--target-key-id", key_id)
    described = json.loads(aws("describe-key", "--key-id", alias, "--output", "json").stdout)
    assert described["KeyMetadata"]["KeyId"] == key_id

    # the CLI follows NextMarker by itself; a small page size forces several pages
    listed = json.loads(aws("list-keys", "--page-size", "2", "--output", "json").stdout)
    ids = [k["KeyId"] for k in listed["Keys"]]
    assert key_id in ids and len(ids) == len(set(ids))

    dk = json.loads(aws("generate-data-key", "--key-id", alias, "--key-spec", "AES_256", "--output", "json").stdout)
    assert len(base64.b64decode(dk["Plaintext"])) == 32
    assert dk["KeyId"] == f"arn:aws:kms:{REGION}:{server.account_id}:key/{key_id}"


def test_cli_over_tls_with_the_dev_ca(aws: Any) -> None:
    out = aws("generate-random", "--number-of-bytes", "24", "--output", "text", "--query", "Plaintext", tls=True)
    assert len(base64.b64decode(out.stdout.strip())) == 24
