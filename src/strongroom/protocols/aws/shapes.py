"""Core objects rendered as the output shapes of botocore's KMS model (member names are AWS's)."""

from __future__ import annotations

from typing import Any

from strongroom.domain.aliases import Alias
from strongroom.domain.key_specs import Algorithms, algorithms
from strongroom.domain.keys import Key, KeyState, KeyVersion

# CustomerMasterKeySpec is AWS's deprecated twin of KeySpec; its enum stops before Ed25519, ML-DSA and ML-KEM.
_LEGACY_SPEC_PREFIXES = ("SYMMETRIC_DEFAULT", "RSA_", "ECC_NIST_P", "ECC_SECG_", "HMAC_", "SM2")


def spec_members(key_spec: str) -> dict[str, str]:
    legacy = key_spec.startswith(_LEGACY_SPEC_PREFIXES)
    return {"CustomerMasterKeySpec": key_spec, "KeySpec": key_spec} if legacy else {"KeySpec": key_spec}


def algorithm_lists(found: Algorithms) -> dict[str, list[str]]:
    """The algorithm members AWS reports for a key; a list that does not apply to the key is left out."""
    lists = {"EncryptionAlgorithms": found.encryption, "SigningAlgorithms": found.signing,
             "MacAlgorithms": found.mac, "KeyAgreementAlgorithms": found.key_agreement,
             "EncapsulationAlgorithms": found.encapsulation}
    return {name: list(values) for name, values in lists.items() if values}


def key_metadata(key: Key, current: KeyVersion | None = None) -> dict[str, Any]:
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
        **spec_members(key.key_spec),
        **algorithm_lists(algorithms(key.key_spec, key.key_usage)),
        "MultiRegion": key.multi_region,
    }
    if key.deletion_date is not None:
        meta["DeletionDate"] = key.deletion_date
        meta["PendingDeletionWindowInDays"] = key.pending_window_days
    if current is not None:
        meta["CurrentKeyMaterialId"] = current.material_id
        if current.expiration_model is not None:
            meta["ExpirationModel"] = current.expiration_model
        if current.valid_to is not None:
            meta["ValidTo"] = current.valid_to
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
