"""``strongroom backup`` of a running server and ``strongroom restore`` into an empty store of the other backend
(SQLite → PostgreSQL and back): the restored server has every key, alias, grant, policy, tag and rotation,
answers for them as the original did, decrypts every old ciphertext, and goes on working."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from kms_harness import clean_env, error_code

GRANTEE = "arn:aws:iam::111122223333:user/bob"


def strongroom(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "strongroom", *args], capture_output=True, text=True, timeout=120,
                          env=clean_env(), stdin=subprocess.DEVNULL)


def store_args(data_dir: Path, database: str | None, root_key: Path) -> list[str]:
    args = ["--data-dir", str(data_dir), "--root-key-file", str(root_key)]
    return args + (["--database", database] if database else [])


def populate(kms: Any) -> tuple[dict[str, str], list[tuple[bytes, bytes, dict[str, str]]]]:
    ids = {name: kms.create_key(Description=f"the {name} key", Tags=[{"TagKey": "name", "TagValue": name}])
           ["KeyMetadata"]["KeyId"] for name in ("rotating", "disabled", "doomed")}
    blobs = []
    a = ids["rotating"]
    kms.create_alias(AliasName="alias/rotating", TargetKeyId=a)
    kms.create_alias(AliasName="alias/also-rotating", TargetKeyId=a)
    kms.create_alias(AliasName="alias/disabled", TargetKeyId=ids["disabled"])
    policy = kms.get_key_policy(KeyId=a, PolicyName="default")["Policy"]
    policy = policy.replace('"Version"', '"Id": "restored", "Version"', 1)
    kms.put_key_policy(KeyId=a, PolicyName="default", Policy=policy)
    kms.enable_key_rotation(KeyId=a, RotationPeriodInDays=120)
    blobs.append((kms.encrypt(KeyId=a, Plaintext=b"version 1", EncryptionContext={"v": "1"})["CiphertextBlob"],
                  b"version 1", {"v": "1"}))
    kms.rotate_key_on_demand(KeyId=a)
    blobs.append((kms.encrypt(KeyId="alias/rotating", Plaintext=b"version 2")["CiphertextBlob"], b"version 2", {}))
    kms.create_grant(KeyId=a, GranteePrincipal=GRANTEE, Operations=["Encrypt", "Decrypt"], Name="bob-uses-it")
    data_key = kms.generate_data_key(KeyId=ids["disabled"], KeySpec="AES_256")
    blobs.append((data_key["CiphertextBlob"], data_key["Plaintext"], {}))
    kms.disable_key(KeyId=ids["disabled"])
    kms.schedule_key_deletion(KeyId=ids["doomed"], PendingWindowInDays=7)
    return ids, blobs


def observe(kms: Any, ids: dict[str, str]) -> dict[str, Any]:
    """Everything a client can see about the keys, for comparing two servers."""
    seen: dict[str, Any] = {"aliases": sorted((a["AliasName"], a.get("TargetKeyId"))
                                              for a in kms.list_aliases()["Aliases"])}
    for name, key_id in ids.items():
        meta = kms.describe_key(KeyId=key_id)["KeyMetadata"]
        seen[name] = {
            "meta": {k: meta.get(k) for k in ("KeyState", "Description", "Enabled", "CreationDate", "DeletionDate",
                                               "KeySpec", "Arn")},
            "tags": kms.list_resource_tags(KeyId=key_id)["Tags"],
        }
        if name != "doomed":
            seen[name]["policy"] = kms.get_key_policy(KeyId=key_id, PolicyName="default")["Policy"]
            seen[name]["rotation"] = kms.get_key_rotation_status(KeyId=key_id)
            seen[name]["rotations"] = kms.list_key_rotations(KeyId=key_id)["Rotations"]
            seen[name]["grants"] = kms.list_grants(KeyId=key_id)["Grants"]
        for response in seen[name].values():
            if isinstance(response, dict):
                response.pop("ResponseMetadata", None)
    return seen


@pytest.mark.parametrize("source,target", [("sqlite", "postgres"), ("postgres", "sqlite")])
def test_backup_of_a_running_server_restores_into_the_other_backend(node_factory, request: pytest.FixtureRequest,
                                                                   tmp_path: Path, source: str, target: str) -> None:
    def database(backend: str) -> str | None:
        return request.getfixturevalue("postgres_server").create_database() if backend == "postgres" else None

    source_db, target_db = database(source), database(target)
    root_key = tmp_path / "cluster-root.key"  # the root key node_factory gives every node of this test
    original = node_factory("source", source_db)
    kms = original.start().client()
    ids, blobs = populate(kms)
    before = observe(kms, ids)
    assert len(before["rotating"]["grants"]) == 1 and len(before["rotating"]["rotations"]) == 1

    backup_file = tmp_path / "strongroom.backup"
    taken = strongroom("backup", str(backup_file), *store_args(tmp_path / "source", source_db, root_key))
    assert taken.returncode == 0, taken.stderr
    assert "backed up 3 keys, 3 aliases" in taken.stdout
    restored = strongroom("restore", str(backup_file), *store_args(tmp_path / "target", target_db, root_key))
    assert restored.returncode == 0, restored.stderr
    again = strongroom("restore", str(backup_file), *store_args(tmp_path / "target", target_db, root_key))
    assert again.returncode == 1 and "not empty" in again.stderr
    original.stop()

    kms = node_factory("target", target_db).start().client()
    assert observe(kms, ids) == before
    with pytest.raises(Exception) as refused:
        kms.encrypt(KeyId="alias/disabled", Plaintext=b"x")
    assert error_code(refused.value) == "DisabledException"
    kms.enable_key(KeyId=ids["disabled"])
    for blob, plaintext, context in blobs:
        assert kms.decrypt(CiphertextBlob=blob, EncryptionContext=context)["Plaintext"] == plaintext
    kms.rotate_key_on_demand(KeyId=ids["rotating"])
    assert len(kms.list_key_rotations(KeyId=ids["rotating"])["Rotations"]) == 2
    kms.update_alias(AliasName="alias/rotating", TargetKeyId=ids["disabled"])
    assert kms.describe_key(KeyId="alias/rotating")["KeyMetadata"]["KeyId"] == ids["disabled"]
    kms.cancel_key_deletion(KeyId=ids["doomed"])
    blob = kms.encrypt(KeyId="alias/also-rotating", Plaintext=b"after the restore")["CiphertextBlob"]
    assert kms.decrypt(CiphertextBlob=blob)["Plaintext"] == b"after the restore"
