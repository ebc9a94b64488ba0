"""``strongroom server --dev --seed FILE``, a real process on loopback, driven by boto3: seeded keys with known
material encrypt and decrypt, a ciphertext made outside and one made before a restart (which applies the file again)
still decrypt, aliases, tags, policies and states are as seeded, and the seeded access key authenticates."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from botocore.exceptions import ClientError

from tests.conformance.kms_harness import (  # noqa: F401 (no_ambient_aws_config: keeps the developer's AWS_* out)
    ServerProcess,
    clean_env,
    no_ambient_aws_config,
)
from tests.seed.outside import ACCOUNT, KEY_ID, NEW_MATERIAL, OLD_MATERIAL, outside_ciphertext

DISABLED_ID = "1b6c3a9e-6a43-4c3e-9d6e-7a1d2c3b4a52"
DOOMED_ID = "2b6c3a9e-6a43-4c3e-9d6e-7a1d2c3b4a53"
CI_KEY_ID, CI_SECRET = "AKIASEEDEDCI0000001", "seeded/secret/of/ci/000000000000000000"
POLICY = {"Version": "2012-10-17", "Statement": [
    {"Sid": "root", "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"}, "Action": "kms:*",
     "Resource": "*"},
    {"Sid": "ci", "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:user/ci"},
     "Action": ["kms:Encrypt", "kms:Decrypt", "kms:DescribeKey"], "Resource": "*"}]}
SEED = textwrap.dedent(f"""\
    accounts:
      - id: "{ACCOUNT}"
        users: [{{name: ci}}]
        access_keys:
          - {{id: {CI_KEY_ID}, secret: {CI_SECRET}, user: ci}}
    keys:
      - id: {KEY_ID}
        spec: SYMMETRIC_DEFAULT
        description: orders
        tags: {{team: payments, env: ci}}
        policy: {json.dumps(POLICY)}
        aliases: [alias/orders]
        versions:
          - material: {OLD_MATERIAL.hex()}
          - material: {NEW_MATERIAL.hex()}
      - id: {DISABLED_ID}
        spec: SYMMETRIC_DEFAULT
        state: Disabled
      - id: {DOOMED_ID}
        spec: SYMMETRIC_DEFAULT
        state: PendingDeletion
        pending_window_days: 7
    """)


@pytest.fixture
def seed_file(tmp_path: Path) -> Path:
    path = tmp_path / "keys.yaml"
    path.write_text(SEED)
    return path


def test_a_dev_server_serves_what_its_seed_file_describes(tmp_path: Path, seed_file: Path) -> None:
    server = ServerProcess(tmp_path / "data", extra_args=["--seed", str(seed_file), "--workers", "1"])
    info = server.start()
    try:
        assert "seed " + str(seed_file) + ": " in info.log_text() and "0 changes" not in info.log_text()
        kms = info.client()
        assert kms.describe_key(KeyId="alias/orders")["KeyMetadata"]["KeyId"] == KEY_ID
        made_outside = outside_ciphertext(KEY_ID, 1, OLD_MATERIAL, b"made outside with version 1")
        assert kms.decrypt(CiphertextBlob=made_outside)["Plaintext"] == b"made outside with version 1"
        kept = kms.encrypt(KeyId="alias/orders", Plaintext=b"made before the restart")["CiphertextBlob"]
        assert int.from_bytes(kept[17:21], "big") == 2  # the newest seeded version encrypts
        assert_as_seeded(kms)

        ci = info.client(aws_access_key_id=CI_KEY_ID, aws_secret_access_key=CI_SECRET)
        by_ci = ci.encrypt(KeyId=KEY_ID, Plaintext=b"by ci")["CiphertextBlob"]
        assert ci.decrypt(CiphertextBlob=by_ci)["Plaintext"] == b"by ci"
        with pytest.raises(ClientError) as denied:
            ci.disable_key(KeyId=KEY_ID)
        assert denied.value.response["Error"]["Code"] == "AccessDeniedException"
        bad = info.client(aws_access_key_id=CI_KEY_ID, aws_secret_access_key="not/the/seeded/secret/0000000000000")
        with pytest.raises(ClientError):
            bad.list_keys()

        kms.disable_key(KeyId=KEY_ID)  # drift, which the next start puts back
        info = server.restart()
        assert f"seed {seed_file}: 1 change" in info.log_text()
        kms = info.client()
        assert kms.decrypt(CiphertextBlob=kept)["Plaintext"] == b"made before the restart"
        assert kms.decrypt(CiphertextBlob=made_outside)["Plaintext"] == b"made outside with version 1"
        assert_as_seeded(kms)

        info = server.restart()
        assert f"seed {seed_file}: 0 changes" in info.log_text()
    finally:
        server.stop()


def assert_as_seeded(kms) -> None:  # type: ignore[no-untyped-def]
    metadata = kms.describe_key(KeyId=KEY_ID)["KeyMetadata"]
    assert (metadata["KeyState"], metadata["Description"]) == ("Enabled", "orders")
    tags = {t["TagKey"]: t["TagValue"] for t in kms.list_resource_tags(KeyId=KEY_ID)["Tags"]}
    assert tags == {"team": "payments", "env": "ci"}
    assert json.loads(kms.get_key_policy(KeyId=KEY_ID, PolicyName="default")["Policy"]) == POLICY
    assert kms.describe_key(KeyId=DISABLED_ID)["KeyMetadata"]["KeyState"] == "Disabled"
    doomed = kms.describe_key(KeyId=DOOMED_ID)["KeyMetadata"]
    assert doomed["KeyState"] == "PendingDeletion" and doomed["PendingDeletionWindowInDays"] == 7


def test_a_bad_seed_file_stops_the_start_naming_its_line(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(f"keys:\n  - id: {KEY_ID}\n    spec: SYMMETRIC_DEFALT\n")
    done = subprocess.run([sys.executable, "-m", "strongroom", "server", "--dev", "--data-dir", str(tmp_path / "d"),
                           "--seed", str(bad), "--port", "0", "--tls-port", "0", "--kmip-port", "0"],
                          capture_output=True, text=True, timeout=60, env=clean_env(), stdin=subprocess.DEVNULL)
    assert done.returncode == 2, done
    assert f"{bad}:3: key {KEY_ID}: 'spec' is 'SYMMETRIC_DEFALT'" in done.stderr


def test_seeded_material_stops_a_server_outside_dev_unless_allowed(tmp_path: Path, seed_file: Path) -> None:
    done = subprocess.run([sys.executable, "-m", "strongroom", "server", "--data-dir", str(tmp_path / "d"),
                           "--seed", str(seed_file)],
                          capture_output=True, text=True, timeout=60, env=clean_env(), stdin=subprocess.DEVNULL)
    assert done.returncode == 2, done
    assert f"{seed_file}:14: key material in a seed file is for development only" in done.stderr
    assert not (tmp_path / "d").exists()  # refused before anything was made
