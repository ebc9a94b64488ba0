"""Request-rate quotas (ThrottlingException, retried by SDKs) and resource limits (LimitExceededException)."""

from __future__ import annotations

import json

import botocore.config
import pytest
from botocore.exceptions import ClientError
from kms_harness import ServerProcess


@pytest.fixture
def limited(tmp_path):
    process = ServerProcess(tmp_path / "data", extra_args=[
        "--quota", "symmetric=4", "--quota", "CreateKey=1000", "--quota", "CreateAlias=1000",
        "--quota", "RotateKeyOnDemand=1000",
        "--limit", "aliases_per_key=2", "--limit", "keys_per_region=3", "--limit", "key_policy_bytes=600",
        "--limit", "on_demand_rotations_per_key=1"])
    info = process.start()
    yield info
    process.stop()


def test_over_the_quota_throttles_and_sdk_retries_get_through(limited) -> None:
    kms = limited.client()
    key_id = kms.create_key()["KeyMetadata"]["KeyId"]
    once = limited.client(config=botocore.config.Config(retries={"total_max_attempts": 1}))  # no SDK retry
    throttled = 0
    for _ in range(20):  # one attempt each, as fast as one client goes: far over 4 per second
        try:
            once.encrypt(KeyId=key_id, Plaintext=b"x")
        except ClientError as exc:
            assert exc.response["Error"]["Code"] == "ThrottlingException"
            assert exc.response["Error"]["Message"] == "Rate exceeded"
            throttled += 1
    assert throttled > 0
    patient = limited.client(config=botocore.config.Config(retries={"mode": "standard", "max_attempts": 10}))
    for _ in range(5):
        patient.encrypt(KeyId=key_id, Plaintext=b"x")  # boto3 backs off on ThrottlingException and succeeds
    other_bucket = kms.describe_key(KeyId=key_id)  # management APIs have their own buckets
    assert other_bucket["KeyMetadata"]["KeyId"] == key_id


def test_resource_limits(limited) -> None:
    kms = limited.client()
    keys = [kms.create_key()["KeyMetadata"]["KeyId"] for _ in range(2)]
    with pytest.raises(ClientError) as info:
        kms.create_key(Policy=json.dumps({"Statement": [{"Sid": "x" * 600, "Effect": "Allow", "Principal": "*",
                                                         "Action": "kms:*", "Resource": "*"}]}))
    assert info.value.response["Error"]["Code"] == "LimitExceededException"
    keys.append(kms.create_key()["KeyMetadata"]["KeyId"])
    with pytest.raises(ClientError) as info:
        kms.create_key()
    assert info.value.response["Error"]["Code"] == "LimitExceededException"
    kms.create_alias(AliasName="alias/one", TargetKeyId=keys[0])
    kms.create_alias(AliasName="alias/two", TargetKeyId=keys[0])
    with pytest.raises(ClientError) as info:
        kms.create_alias(AliasName="alias/three", TargetKeyId=keys[0])
    assert info.value.response["Error"]["Code"] == "LimitExceededException"
    kms.rotate_key_on_demand(KeyId=keys[1])
    with pytest.raises(ClientError) as info:
        kms.rotate_key_on_demand(KeyId=keys[1])
    assert info.value.response["Error"]["Code"] == "LimitExceededException"


def test_unknown_quota_or_limit_names_are_refused_at_start(tmp_path) -> None:
    import subprocess
    import sys

    from kms_harness import clean_env

    done = subprocess.run([sys.executable, "-m", "strongroom", "server", "--dev", "--data-dir", str(tmp_path),
                           "--kmip-port", "0", "--quota", "Encrypts=5"],
                          capture_output=True, text=True, timeout=60, env=clean_env())
    assert done.returncode == 2 and "unknown quota 'Encrypts'" in done.stderr
