"""``strongroom keys`` beside a running ``strongroom server --dev`` on the same SQLite data directory: a key the CLI
makes is usable through boto3 at once, a key the CLI disables is refused by the server at once, and the CLI's and the
server's audit events form one intact chain."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from botocore.exceptions import ClientError

from tests.cli.dev_data import Strongroom
from tests.conformance.kms_harness import (  # noqa: F401 (no_ambient_aws_config: keeps the developer's AWS_* out)
    TEST_ACCOUNT_ID,
    ServerInfo,
    ServerProcess,
    no_ambient_aws_config,
)


@pytest.fixture
def server(tmp_path: Path) -> Iterator[ServerInfo]:
    process = ServerProcess(tmp_path / "data")
    try:
        yield process.start()
    finally:
        process.stop()


def test_a_key_made_by_the_cli_serves_boto3_and_its_state_follows_the_cli(
        server: ServerInfo, capsys: pytest.CaptureFixture[str]) -> None:
    strongroom = Strongroom(server.data_dir, capsys)
    made = strongroom.ok("keys", "create", "--alias", "orders", "--description", "from the CLI", "-o", "json").json()
    assert made["arn"].startswith(f"arn:aws:kms:us-east-1:{TEST_ACCOUNT_ID}:key/")  # the dev account, by default
    kms = server.client()
    blob = kms.encrypt(KeyId="alias/orders", Plaintext=b"hello")["CiphertextBlob"]
    decrypted = kms.decrypt(CiphertextBlob=blob)
    assert decrypted["Plaintext"] == b"hello" and decrypted["KeyId"] == made["arn"]
    assert kms.describe_key(KeyId=made["key_id"])["KeyMetadata"]["Description"] == "from the CLI"

    strongroom.ok("keys", "disable", "alias/orders")
    with pytest.raises(ClientError) as refused:
        kms.encrypt(KeyId="alias/orders", Plaintext=b"hello")
    assert refused.value.response["Error"]["Code"] == "DisabledException"
    strongroom.ok("keys", "enable", made["key_id"])
    strongroom.ok("keys", "rotate", made["key_id"])
    assert kms.decrypt(CiphertextBlob=blob)["Plaintext"] == b"hello"  # the first version still decrypts

    theirs = kms.create_key(Description="from boto3")["KeyMetadata"]["KeyId"]
    listed = {k["key_id"]: k for k in strongroom.ok("keys", "list", "-o", "json").json()["keys"]}
    assert listed[theirs]["description"] == "from boto3" and listed[made["key_id"]]["current_version"] == 2

    verified = strongroom.ok("audit", "verify")
    assert verified.out.startswith("audit chain intact")
    records = [json.loads(line) for line in strongroom.ok("audit", "list", "--json").out.splitlines()]
    sources = {(r["eventName"], r["eventSource"]) for r in records if r["eventName"] != "ListAliases"}
    assert {("CreateKey", "cli.strongroom"), ("CreateAlias", "cli.strongroom"), ("DisableKey", "cli.strongroom"),
            ("EnableKey", "cli.strongroom"), ("RotateKeyOnDemand", "cli.strongroom"), ("ListKeys", "cli.strongroom"),
            ("CreateKey", "kms.amazonaws.com"), ("Encrypt", "kms.amazonaws.com"),
            ("Decrypt", "kms.amazonaws.com")} <= sources
