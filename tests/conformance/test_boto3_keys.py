"""Key lifecycle through boto3, with AWS semantics: create, describe, list, enable/disable, deletion."""

from __future__ import annotations

import datetime as dt
import json
import uuid
from typing import Any

import pytest
from kms_harness import (
    KEY_ID_RE,
    REGION,
    ServerInfo,
    all_key_ids,
    expect_error,
    key_arn_re,
    key_id_of,
)

VALIDATION = "ValidationException"


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _alias() -> str:
    return f"alias/conf-keys-{uuid.uuid4().hex[:12]}"


def test_create_key_defaults(kms: Any, server: ServerInfo) -> None:
    before = _now() - dt.timedelta(minutes=2)
    meta = kms.create_key()["KeyMetadata"]
    m = key_arn_re(server.account_id).match(meta["Arn"])
    assert m, meta["Arn"]
    assert KEY_ID_RE.match(meta["KeyId"]), meta["KeyId"]
    assert m.group(1) == meta["KeyId"]
    assert meta["AWSAccountId"] == server.account_id
    assert meta["KeySpec"] == "SYMMETRIC_DEFAULT"
    assert meta["KeyUsage"] == "ENCRYPT_DECRYPT"
    assert meta["Origin"] == "AWS_KMS"
    assert meta["KeyState"] == "Enabled"
    assert meta["Enabled"] is True
    assert meta["KeyManager"] == "CUSTOMER"
    assert meta["EncryptionAlgorithms"] == ["SYMMETRIC_DEFAULT"]
    assert meta.get("MultiRegion", False) is False
    assert meta.get("Description", "") == ""
    assert before <= meta["CreationDate"] <= _now() + dt.timedelta(minutes=2)
    assert "DeletionDate" not in meta


def test_create_key_ids_are_unique(kms: Any) -> None:
    arns = {kms.create_key()["KeyMetadata"]["Arn"] for _ in range(5)}
    assert len(arns) == 5


def test_create_key_stores_description_and_tags(kms: Any) -> None:
    tags = [{"TagKey": "team", "TagValue": "payments"}, {"TagKey": "env", "TagValue": ""}]
    meta = kms.create_key(Description="conformance key", Tags=tags)["KeyMetadata"]
    assert meta["Description"] == "conformance key"
    described = kms.describe_key(KeyId=meta["KeyId"])["KeyMetadata"]
    assert described["Description"] == "conformance key"
    listed = kms.list_resource_tags(KeyId=meta["KeyId"])["Tags"]
    assert {t["TagKey"]: t["TagValue"] for t in listed} == {"team": "payments", "env": ""}


def test_create_key_accepts_a_policy(kms: Any, server: ServerInfo) -> None:
    policy = {
        "Version": "2012-10-17",
        "Id": "key-default-1",
        "Statement": [
            {
                "Sid": "Enable IAM User Permissions",
                "Effect": "Allow",
                "Principal": {"AWS": f"arn:aws:iam::{server.account_id}:root"},
                "Action": "kms:*",
                "Resource": "*",
            }
        ],
    }
    meta = kms.create_key(Policy=json.dumps(policy), Description="with policy")["KeyMetadata"]
    assert meta["KeyState"] == "Enabled"
    assert kms.encrypt(KeyId=meta["KeyId"], Plaintext=b"x")["CiphertextBlob"]


def test_create_key_rejects_a_malformed_policy(kms: Any) -> None:
    expect_error("MalformedPolicyDocumentException", kms.create_key, Policy="this is not a policy")


def test_create_key_rejects_an_overlong_description(kms: Any) -> None:
    expect_error(VALIDATION, kms.create_key, Description="d" * 8193)


def test_describe_key_by_id_arn_alias_and_alias_arn(kms: Any, new_key: Any, server: ServerInfo) -> None:
    arn = new_key()
    key_id = key_id_of(arn)
    alias = _alias()
    kms.create_alias(AliasName=alias, TargetKeyId=key_id)
    alias_arn = f"arn:aws:kms:{REGION}:{server.account_id}:{alias}"
    for ref in (key_id, arn, alias, alias_arn):
        meta = kms.describe_key(KeyId=ref)["KeyMetadata"]
        assert meta["KeyId"] == key_id, ref
        assert meta["Arn"] == arn, ref


def _list_all_pages(kms: Any, limit: int) -> tuple[list[str], int]:
    seen: list[str] = []
    pages = 0
    marker = None
    arn_re = key_arn_re()
    while True:
        kw: dict[str, Any] = {"Limit": limit}
        if marker is not None:
            kw["Marker"] = marker
        page = kms.list_keys(**kw)
        pages += 1
        assert pages < 10_000, "ListKeys never stops paging"
        assert len(page["Keys"]) <= limit
        for entry in page["Keys"]:
            m = arn_re.match(entry["KeyArn"])
            assert m and m.group(1) == entry["KeyId"], entry
        seen += [k["KeyId"] for k in page["Keys"]]
        if not page["Truncated"]:
            assert not page.get("NextMarker"), "NextMarker on the last page"
            return seen, pages
        assert page.get("NextMarker"), "Truncated without NextMarker"
        assert page["Keys"], "an empty page that claims to be truncated"
        marker = page["NextMarker"]


def test_list_keys_pagination_returns_every_key_exactly_once(kms: Any, new_key: Any) -> None:
    created = {key_id_of(new_key()) for _ in range(5)}
    seen, pages = _list_all_pages(kms, limit=2)
    assert pages >= 3
    assert len(seen) == len(set(seen)), "a key was listed twice"
    assert created <= set(seen)
    # a different page size lists the same set
    seen3, _ = _list_all_pages(kms, limit=3)
    assert set(seen3) >= created
    assert len(seen3) == len(set(seen3))


def test_list_keys_with_boto3_paginator(kms: Any, new_key: Any) -> None:
    created = {key_id_of(new_key()) for _ in range(3)}
    ids = [
        k["KeyId"]
        for page in kms.get_paginator("list_keys").paginate(PaginationConfig={"PageSize": 2})
        for k in page["Keys"]
    ]
    assert len(ids) == len(set(ids))
    assert created <= set(ids)


def test_list_keys_rejects_a_forged_marker(kms: Any) -> None:
    expect_error({"InvalidMarkerException", VALIDATION}, kms.list_keys, Limit=1, Marker="not-a-real-marker")


def test_disable_and_enable_key(kms: Any, new_key: Any) -> None:
    arn = new_key()
    ciphertext = kms.encrypt(KeyId=arn, Plaintext=b"before disable")["CiphertextBlob"]

    kms.disable_key(KeyId=arn)
    meta = kms.describe_key(KeyId=arn)["KeyMetadata"]
    assert meta["KeyState"] == "Disabled"
    assert meta["Enabled"] is False
    expect_error("DisabledException", kms.encrypt, KeyId=arn, Plaintext=b"x")
    expect_error("DisabledException", kms.decrypt, CiphertextBlob=ciphertext)
    expect_error("DisabledException", kms.generate_data_key, KeyId=arn, KeySpec="AES_256")

    kms.enable_key(KeyId=arn)
    meta = kms.describe_key(KeyId=arn)["KeyMetadata"]
    assert meta["KeyState"] == "Enabled" and meta["Enabled"] is True
    assert kms.decrypt(CiphertextBlob=ciphertext)["Plaintext"] == b"before disable"


def test_disable_is_idempotent(kms: Any, new_key: Any) -> None:
    arn = new_key()
    kms.disable_key(KeyId=arn)
    kms.disable_key(KeyId=arn)
    kms.enable_key(KeyId=arn)
    kms.enable_key(KeyId=arn)
    assert kms.describe_key(KeyId=arn)["KeyMetadata"]["KeyState"] == "Enabled"


@pytest.mark.parametrize("days", [6, 31, 0, 365])
def test_schedule_key_deletion_window_outside_7_to_30_rejected(kms_novalidate: Any, new_key: Any, days: int) -> None:
    arn = new_key()
    expect_error(VALIDATION, kms_novalidate.schedule_key_deletion, KeyId=arn, PendingWindowInDays=days)
    assert kms_novalidate.describe_key(KeyId=arn)["KeyMetadata"]["KeyState"] == "Enabled"


def test_schedule_key_deletion_defaults_to_30_days(kms: Any, new_key: Any) -> None:
    arn = new_key()
    ciphertext = kms.encrypt(KeyId=arn, Plaintext=b"doomed")["CiphertextBlob"]
    resp = kms.schedule_key_deletion(KeyId=arn)
    expected = _now() + dt.timedelta(days=30)
    assert resp["KeyId"] == arn
    assert resp["KeyState"] == "PendingDeletion"
    assert resp["PendingWindowInDays"] == 30
    assert abs(resp["DeletionDate"] - expected) < dt.timedelta(days=1)

    meta = kms.describe_key(KeyId=arn)["KeyMetadata"]
    assert meta["KeyState"] == "PendingDeletion"
    assert meta["Enabled"] is False
    assert abs(meta["DeletionDate"] - expected) < dt.timedelta(days=1)
    expect_error("KMSInvalidStateException", kms.encrypt, KeyId=arn, Plaintext=b"x")
    expect_error("KMSInvalidStateException", kms.decrypt, CiphertextBlob=ciphertext)
    expect_error("KMSInvalidStateException", kms.generate_data_key, KeyId=arn, KeySpec="AES_256")


@pytest.mark.parametrize("days", [7, 30])
def test_schedule_key_deletion_window_bounds_accepted(kms: Any, new_key: Any, days: int) -> None:
    arn = new_key()
    resp = kms.schedule_key_deletion(KeyId=arn, PendingWindowInDays=days)
    assert resp["PendingWindowInDays"] == days
    assert abs(resp["DeletionDate"] - (_now() + dt.timedelta(days=days))) < dt.timedelta(days=1)
    assert kms.describe_key(KeyId=arn)["KeyMetadata"]["KeyState"] == "PendingDeletion"


def test_pending_deletion_key_refuses_state_changes(kms: Any, new_key: Any) -> None:
    arn = new_key()
    kms.schedule_key_deletion(KeyId=arn, PendingWindowInDays=7)
    expect_error("KMSInvalidStateException", kms.schedule_key_deletion, KeyId=arn, PendingWindowInDays=7)
    expect_error("KMSInvalidStateException", kms.enable_key, KeyId=arn)
    expect_error("KMSInvalidStateException", kms.disable_key, KeyId=arn)


def test_cancel_key_deletion_returns_key_to_disabled(kms: Any, new_key: Any) -> None:
    arn = new_key()
    ciphertext = kms.encrypt(KeyId=arn, Plaintext=b"saved")["CiphertextBlob"]
    kms.schedule_key_deletion(KeyId=arn, PendingWindowInDays=7)
    resp = kms.cancel_key_deletion(KeyId=arn)
    assert resp["KeyId"] == arn
    meta = kms.describe_key(KeyId=arn)["KeyMetadata"]
    assert meta["KeyState"] == "Disabled"
    assert meta["Enabled"] is False
    assert "DeletionDate" not in meta
    expect_error("DisabledException", kms.encrypt, KeyId=arn, Plaintext=b"x")
    kms.enable_key(KeyId=arn)
    assert kms.decrypt(CiphertextBlob=ciphertext)["Plaintext"] == b"saved"


def test_cancel_key_deletion_of_a_live_key_rejected(kms: Any, new_key: Any) -> None:
    expect_error("KMSInvalidStateException", kms.cancel_key_deletion, KeyId=new_key())


def test_update_key_description(kms: Any, new_key: Any) -> None:
    arn = new_key(Description="old")
    kms.update_key_description(KeyId=arn, Description="new description")
    assert kms.describe_key(KeyId=arn)["KeyMetadata"]["Description"] == "new description"
    kms.update_key_description(KeyId=arn, Description="")
    assert kms.describe_key(KeyId=arn)["KeyMetadata"].get("Description", "") == ""


def test_unknown_keys_are_not_found(kms: Any, server: ServerInfo) -> None:
    missing = str(uuid.uuid4())
    missing_arn = f"arn:aws:kms:{REGION}:{server.account_id}:key/{missing}"
    expect_error("NotFoundException", kms.describe_key, KeyId=missing)
    expect_error("NotFoundException", kms.describe_key, KeyId=missing_arn)
    expect_error("NotFoundException", kms.describe_key, KeyId="alias/conf-does-not-exist")
    expect_error("NotFoundException", kms.encrypt, KeyId=missing, Plaintext=b"x")
    expect_error("NotFoundException", kms.enable_key, KeyId=missing)
    expect_error("NotFoundException", kms.disable_key, KeyId=missing)
    expect_error("NotFoundException", kms.schedule_key_deletion, KeyId=missing, PendingWindowInDays=7)
    expect_error("NotFoundException", kms.update_key_description, KeyId=missing, Description="x")


def test_key_is_invisible_from_another_region(server: ServerInfo, kms: Any, new_key: Any) -> None:
    arn = new_key()
    key_id = key_id_of(arn)
    west = server.client(region_name="us-west-2")
    expect_error("NotFoundException", west.describe_key, KeyId=key_id)
    expect_error({"NotFoundException", "InvalidArnException"}, west.describe_key, KeyId=arn)
    expect_error("NotFoundException", west.encrypt, KeyId=key_id, Plaintext=b"x")
    assert key_id not in all_key_ids(west)

    west_meta = west.create_key(Description="west")["KeyMetadata"]
    assert key_arn_re(server.account_id, "us-west-2").match(west_meta["Arn"]), west_meta["Arn"]
    assert west_meta["KeyId"] in all_key_ids(west)
    assert west_meta["KeyId"] not in all_key_ids(kms)
    expect_error("NotFoundException", kms.describe_key, KeyId=west_meta["KeyId"])
