"""Core objects rendered as the output shapes of botocore's KMS model (member names are AWS's)."""

from __future__ import annotations

from typing import Any

from strongroom.domain.aliases import Alias
from strongroom.domain.keys import Key, KeyState

SYMMETRIC_DEFAULT = "SYMMETRIC_DEFAULT"


def key_metadata(key: Key, current_material_id: str | None = None) -> dict[str, Any]:
    meta: dict[str, Any] = {
        "AWSAccountId": key.account_id,
        "KeyId": key.key_id,
        "Arn": key.arn,
        "CreationDate": key.created_at,
        "Enabled": key.state is KeyState.ENABLED,
        "Description": key.description,
        "KeyUsage": key.key_usage,
        "KeyState": key.state.value,
        "Origin": key.origin,
        "KeyManager": "CUSTOMER",
        "CustomerMasterKeySpec": key.key_spec,
        "KeySpec": key.key_spec,
        "EncryptionAlgorithms": [SYMMETRIC_DEFAULT],
        "MultiRegion": key.multi_region,
    }
    if key.deletion_date is not None:
        meta["DeletionDate"] = key.deletion_date
        meta["PendingDeletionWindowInDays"] = key.pending_window_days
    if current_material_id is not None:
        meta["CurrentKeyMaterialId"] = current_material_id
    return meta


def alias_entry(alias: Alias) -> dict[str, Any]:
    return {
        "AliasName": alias.name,
        "AliasArn": alias.arn,
        "TargetKeyId": alias.target_key_id,
        "CreationDate": alias.created_at,
        "LastUpdatedDate": alias.updated_at,
    }


def tag_list(tags: list[tuple[str, str]] | dict[str, str]) -> list[dict[str, str]]:
    items = tags.items() if isinstance(tags, dict) else tags
    return [{"TagKey": k, "TagValue": v} for k, v in items]


def page(name: str, items: list[Any], next_marker: str | None) -> dict[str, Any]:
    out: dict[str, Any] = {name: items, "Truncated": next_marker is not None}
    if next_marker is not None:
        out["NextMarker"] = next_marker
    return out
