"""Aliases, tags and key rotation through boto3, with AWS semantics and quotas."""

from __future__ import annotations

import datetime as dt
import os
import uuid
from typing import Any

import pytest
from kms_harness import REGION, ServerInfo, expect_error, key_id_of

VALIDATION = "ValidationException"
BAD_ALIAS = {"InvalidAliasNameException", VALIDATION}


def _alias(prefix: str = "conf") -> str:
    return f"alias/{prefix}-{uuid.uuid4().hex[:12]}"


def _aliases_of(kms: Any, key: str, limit: int | None = None) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    marker = None
    for _ in range(1000):
        kw: dict[str, Any] = {"KeyId": key}
        if limit is not None:
            kw["Limit"] = limit
        if marker:
            kw["Marker"] = marker
        page = kms.list_aliases(**kw)
        if limit is not None:
            assert len(page["Aliases"]) <= limit
        out += page["Aliases"]
        if not page.get("Truncated"):
            return out
        assert page.get("NextMarker"), "Truncated without NextMarker"
        marker = page["NextMarker"]
    raise AssertionError("ListAliases never stops paging")


# ---------------------------------------------------------------------------------------------- aliases


def test_create_alias_and_list_by_key(kms: Any, new_key: Any, server: ServerInfo) -> None:
    arn = new_key()
    key_id = key_id_of(arn)
    alias = _alias()
    kms.create_alias(AliasName=alias, TargetKeyId=key_id)
    entries = _aliases_of(kms, key_id)
    assert [e["AliasName"] for e in entries] == [alias]
    entry = entries[0]
    assert entry["AliasArn"] == f"arn:aws:kms:{REGION}:{server.account_id}:{alias}"
    assert entry["TargetKeyId"] == key_id
    # ListAliases by key ARN gives the same answer
    assert [e["AliasName"] for e in _aliases_of(kms, arn)] == [alias]
    assert kms.encrypt(KeyId=alias, Plaintext=b"via alias")["KeyId"] == arn


def test_create_alias_accepts_key_arn_as_target(kms: Any, new_key: Any) -> None:
    arn = new_key()
    alias = _alias()
    kms.create_alias(AliasName=alias, TargetKeyId=arn)
    assert kms.describe_key(KeyId=alias)["KeyMetadata"]["Arn"] == arn


def test_update_alias_retargets(kms: Any, new_key: Any) -> None:
    a, b = new_key(), new_key()
    alias = _alias()
    kms.create_alias(AliasName=alias, TargetKeyId=key_id_of(a))
    kms.update_alias(AliasName=alias, TargetKeyId=key_id_of(b))
    assert kms.describe_key(KeyId=alias)["KeyMetadata"]["Arn"] == b
    assert alias not in [e["AliasName"] for e in _aliases_of(kms, key_id_of(a))]
    assert alias in [e["AliasName"] for e in _aliases_of(kms, key_id_of(b))]
    assert kms.encrypt(KeyId=alias, Plaintext=b"x")["KeyId"] == b


def test_update_alias_errors(kms: Any, new_key: Any) -> None:
    arn = new_key()
    expect_error("NotFoundException", kms.update_alias, AliasName=_alias(), TargetKeyId=key_id_of(arn))
    alias = _alias()
    kms.create_alias(AliasName=alias, TargetKeyId=key_id_of(arn))
    expect_error("NotFoundException", kms.update_alias, AliasName=alias, TargetKeyId=str(uuid.uuid4()))


def test_delete_alias(kms: Any, new_key: Any) -> None:
    arn = new_key()
    alias = _alias()
    kms.create_alias(AliasName=alias, TargetKeyId=key_id_of(arn))
    kms.delete_alias(AliasName=alias)
    expect_error("NotFoundException", kms.describe_key, KeyId=alias)
    expect_error("NotFoundException", kms.delete_alias, AliasName=alias)
    assert _aliases_of(kms, key_id_of(arn)) == []
    # the key itself is untouched, and the name can be reused
    assert kms.describe_key(KeyId=arn)["KeyMetadata"]["KeyState"] == "Enabled"
    kms.create_alias(AliasName=alias, TargetKeyId=key_id_of(arn))
    assert kms.describe_key(KeyId=alias)["KeyMetadata"]["Arn"] == arn


def test_list_aliases_by_key_paginated(kms: Any, new_key: Any) -> None:
    key_id = key_id_of(new_key())
    names = {_alias("page") for _ in range(5)}
    for name in names:
        kms.create_alias(AliasName=name, TargetKeyId=key_id)
    listed = [e["AliasName"] for e in _aliases_of(kms, key_id, limit=2)]
    assert sorted(listed) == sorted(names)


def test_list_all_aliases_paginated(kms: Any, new_key: Any) -> None:
    key_id = key_id_of(new_key())
    names = {_alias("all") for _ in range(3)}
    for name in names:
        kms.create_alias(AliasName=name, TargetKeyId=key_id)
    listed: list[str] = []
    pages = 0
    for page in kms.get_paginator("list_aliases").paginate(PaginationConfig={"PageSize": 2}):
        pages += 1
        assert len(page["Aliases"]) <= 2
        listed += [e["AliasName"] for e in page["Aliases"]]
    assert pages >= 2
    assert len(listed) == len(set(listed)), "an alias was listed twice"
    assert names <= set(listed)


def test_reserved_aws_alias_prefix_rejected(kms: Any, new_key: Any) -> None:
    key_id = key_id_of(new_key())
    expect_error(
        {"NotAuthorizedException", "AccessDeniedException", *BAD_ALIAS},
        kms.create_alias,
        AliasName=f"alias/aws/conf-{uuid.uuid4().hex[:8]}",
        TargetKeyId=key_id,
    )


def test_duplicate_alias_rejected(kms: Any, new_key: Any) -> None:
    a, b = key_id_of(new_key()), key_id_of(new_key())
    alias = _alias()
    kms.create_alias(AliasName=alias, TargetKeyId=a)
    expect_error("AlreadyExistsException", kms.create_alias, AliasName=alias, TargetKeyId=b)
    assert kms.describe_key(KeyId=alias)["KeyMetadata"]["KeyId"] == a


@pytest.mark.parametrize("name", ["conf-no-prefix", "alias/has space", "alias/bad!char", "alias/"])
def test_invalid_alias_names_rejected(kms_novalidate: Any, new_key: Any, name: str) -> None:
    expect_error(BAD_ALIAS, kms_novalidate.create_alias, AliasName=name, TargetKeyId=key_id_of(new_key()))


def test_alias_to_unknown_key_rejected(kms: Any) -> None:
    expect_error("NotFoundException", kms.create_alias, AliasName=_alias(), TargetKeyId=str(uuid.uuid4()))


def test_at_most_50_aliases_per_key(kms: Any, new_key: Any) -> None:
    key_id = key_id_of(new_key())
    for _ in range(50):
        kms.create_alias(AliasName=_alias("quota"), TargetKeyId=key_id)
    expect_error("LimitExceededException", kms.create_alias, AliasName=_alias("quota"), TargetKeyId=key_id)
    assert len(_aliases_of(kms, key_id)) == 50


# ------------------------------------------------------------------------------------------------- tags


def _tags(kms: Any, key: str) -> dict[str, str]:
    return {t["TagKey"]: t["TagValue"] for t in kms.list_resource_tags(KeyId=key)["Tags"]}


def test_tag_untag_list(kms: Any, new_key: Any) -> None:
    arn = new_key()
    assert _tags(kms, arn) == {}
    kms.tag_resource(KeyId=arn, Tags=[{"TagKey": "a", "TagValue": "1"}, {"TagKey": "b", "TagValue": "2"}])
    assert _tags(kms, arn) == {"a": "1", "b": "2"}
    kms.tag_resource(KeyId=key_id_of(arn), Tags=[{"TagKey": "a", "TagValue": "overwritten"}])
    assert _tags(kms, arn) == {"a": "overwritten", "b": "2"}
    kms.untag_resource(KeyId=arn, TagKeys=["a", "not-there"])
    assert _tags(kms, arn) == {"b": "2"}


def test_tag_size_limits(kms_novalidate: Any, new_key: Any) -> None:
    arn = new_key()
    kms_novalidate.tag_resource(KeyId=arn, Tags=[{"TagKey": "k" * 128, "TagValue": "v" * 256}])
    assert _tags(kms_novalidate, arn) == {"k" * 128: "v" * 256}
    bad = {"TagException", VALIDATION}
    expect_error(bad, kms_novalidate.tag_resource, KeyId=arn, Tags=[{"TagKey": "k" * 129, "TagValue": "v"}])
    expect_error(bad, kms_novalidate.tag_resource, KeyId=arn, Tags=[{"TagKey": "k", "TagValue": "v" * 257}])
    expect_error(bad, kms_novalidate.tag_resource, KeyId=arn, Tags=[{"TagKey": "", "TagValue": "v"}])
    expect_error(bad, kms_novalidate.tag_resource, KeyId=arn, Tags=[{"TagKey": "aws:reserved", "TagValue": "v"}])
    assert _tags(kms_novalidate, arn) == {"k" * 128: "v" * 256}


def test_list_resource_tags_paginated(kms: Any, new_key: Any) -> None:
    arn = new_key()
    want = {f"tag{i}": str(i) for i in range(5)}
    kms.tag_resource(KeyId=arn, Tags=[{"TagKey": k, "TagValue": v} for k, v in want.items()])
    got: dict[str, str] = {}
    marker = None
    pages = 0
    while True:
        kw: dict[str, Any] = {"KeyId": arn, "Limit": 2}
        if marker:
            kw["Marker"] = marker
        page = kms.list_resource_tags(**kw)
        pages += 1
        assert len(page["Tags"]) <= 2 and pages < 100
        for t in page["Tags"]:
            assert t["TagKey"] not in got
            got[t["TagKey"]] = t["TagValue"]
        if not page.get("Truncated"):
            break
        marker = page["NextMarker"]
    assert got == want
    assert pages >= 3


def test_tags_on_unknown_key_not_found(kms: Any) -> None:
    missing = str(uuid.uuid4())
    expect_error("NotFoundException", kms.tag_resource, KeyId=missing, Tags=[{"TagKey": "a", "TagValue": "b"}])
    expect_error("NotFoundException", kms.list_resource_tags, KeyId=missing)
    expect_error("NotFoundException", kms.untag_resource, KeyId=missing, TagKeys=["a"])


# --------------------------------------------------------------------------------------------- rotation


def test_rotation_status_enable_disable(kms: Any, new_key: Any) -> None:
    arn = new_key()
    assert kms.get_key_rotation_status(KeyId=arn)["KeyRotationEnabled"] is False
    kms.enable_key_rotation(KeyId=arn)
    status = kms.get_key_rotation_status(KeyId=arn)
    assert status["KeyRotationEnabled"] is True
    assert status["RotationPeriodInDays"] == 365
    if "NextRotationDate" in status:
        expected = dt.datetime.now(dt.UTC) + dt.timedelta(days=365)
        assert abs(status["NextRotationDate"] - expected) < dt.timedelta(days=2)
    kms.disable_key_rotation(KeyId=arn)
    assert kms.get_key_rotation_status(KeyId=arn)["KeyRotationEnabled"] is False


@pytest.mark.parametrize("days", [90, 2560])
def test_rotation_period_bounds_accepted(kms: Any, new_key: Any, days: int) -> None:
    arn = new_key()
    kms.enable_key_rotation(KeyId=arn, RotationPeriodInDays=days)
    status = kms.get_key_rotation_status(KeyId=arn)
    assert status["KeyRotationEnabled"] is True
    assert status["RotationPeriodInDays"] == days


@pytest.mark.parametrize("days", [89, 2561])
def test_rotation_period_out_of_range_rejected(kms_novalidate: Any, new_key: Any, days: int) -> None:
    arn = new_key()
    expect_error(VALIDATION, kms_novalidate.enable_key_rotation, KeyId=arn, RotationPeriodInDays=days)
    assert kms_novalidate.get_key_rotation_status(KeyId=arn)["KeyRotationEnabled"] is False


def _common_prefix(blobs: list[bytes]) -> bytes:
    prefix = os.path.commonprefix(blobs)
    assert isinstance(prefix, bytes)
    return prefix


def test_rotate_on_demand_makes_new_material(kms: Any, new_key: Any) -> None:
    arn = new_key()
    before = [kms.encrypt(KeyId=arn, Plaintext=f"old {i}".encode())["CiphertextBlob"] for i in range(3)]
    resp = kms.rotate_key_on_demand(KeyId=arn)
    assert resp["KeyId"] in (arn, key_id_of(arn))
    after = [kms.encrypt(KeyId=arn, Plaintext=f"new {i}".encode())["CiphertextBlob"] for i in range(3)]

    for i, blob in enumerate(before):
        assert kms.decrypt(CiphertextBlob=blob)["Plaintext"] == f"old {i}".encode()
    for i, blob in enumerate(after):
        assert kms.decrypt(CiphertextBlob=blob)["Plaintext"] == f"new {i}".encode()

    old_mat = kms.decrypt(CiphertextBlob=before[0]).get("KeyMaterialId")
    new_mat = kms.decrypt(CiphertextBlob=after[0]).get("KeyMaterialId")
    if old_mat and new_mat:
        assert old_mat != new_mat, "Decrypt reports the same KeyMaterialId before and after rotation"
    else:
        # Blobs are self-describing: the deterministic header (key id, key version) is the prefix that
        # ciphertexts of one key version share. Rotation must change it (a new version), not just log.
        assert _common_prefix(before) != _common_prefix(after), (
            "ciphertexts made after RotateKeyOnDemand carry the same key version as before"
        )

    rotations = kms.list_key_rotations(KeyId=arn)["Rotations"]
    assert len(rotations) == 1
    assert rotations[0]["RotationType"] == "ON_DEMAND"
    assert abs(rotations[0]["RotationDate"] - dt.datetime.now(dt.UTC)) < dt.timedelta(minutes=10)


def test_at_most_25_on_demand_rotations(kms: Any, new_key: Any) -> None:
    arn = new_key()
    first = kms.encrypt(KeyId=arn, Plaintext=b"generation 0")["CiphertextBlob"]
    for _ in range(25):
        kms.rotate_key_on_demand(KeyId=arn)
    expect_error("LimitExceededException", kms.rotate_key_on_demand, KeyId=arn)
    assert kms.decrypt(CiphertextBlob=first)["Plaintext"] == b"generation 0"

    rotations: list[dict[str, Any]] = []
    marker = None
    for _ in range(100):
        kw: dict[str, Any] = {"KeyId": arn, "Limit": 10}
        if marker:
            kw["Marker"] = marker
        page = kms.list_key_rotations(**kw)
        assert len(page["Rotations"]) <= 10
        rotations += page["Rotations"]
        if not page.get("Truncated"):
            break
        marker = page["NextMarker"]
    assert len(rotations) == 25
    assert {r["RotationType"] for r in rotations} == {"ON_DEMAND"}


def test_rotate_on_demand_of_disabled_key_rejected(kms: Any, new_key: Any) -> None:
    arn = new_key()
    kms.disable_key(KeyId=arn)
    expect_error({"DisabledException", "KMSInvalidStateException"}, kms.rotate_key_on_demand, KeyId=arn)


def test_rotation_on_unknown_key_not_found(kms: Any) -> None:
    missing = str(uuid.uuid4())
    expect_error("NotFoundException", kms.get_key_rotation_status, KeyId=missing)
    expect_error("NotFoundException", kms.enable_key_rotation, KeyId=missing)
    expect_error("NotFoundException", kms.rotate_key_on_demand, KeyId=missing)
