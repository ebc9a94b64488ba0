"""Request-rate quotas as AWS KMS publishes them: shared buckets for cryptographic operations, a bucket per
management API. Rates are requests per second, per account and region."""

from __future__ import annotations

from collections.abc import Mapping

SYMMETRIC = "symmetric"
ASYMMETRIC = "asymmetric"

# AWS's default cryptographic-operation quotas (the symmetric figure is the default of most regions).
SHARED_FAMILIES = {
    SYMMETRIC: frozenset({"Encrypt", "Decrypt", "ReEncrypt", "GenerateDataKey", "GenerateDataKeyWithoutPlaintext",
                          "GenerateRandom", "GenerateMac", "VerifyMac"}),
    ASYMMETRIC: frozenset({"Sign", "Verify", "GenerateDataKeyPair", "GenerateDataKeyPairWithoutPlaintext",
                           "DeriveSharedSecret", "Encapsulate", "Decapsulate"}),
}
DEFAULT_RATES: dict[str, float] = {
    SYMMETRIC: 10_000, ASYMMETRIC: 1_000,
    # management APIs, each its own bucket
    "CancelKeyDeletion": 5, "CreateAlias": 5, "CreateGrant": 50, "CreateKey": 5, "DeleteAlias": 5,
    "DeleteImportedKeyMaterial": 5, "DescribeKey": 2_000, "DisableKey": 5, "DisableKeyRotation": 5,
    "EnableKey": 5, "EnableKeyRotation": 5, "GetKeyLastUsage": 100, "GetKeyPolicy": 1_000,
    "GetKeyRotationStatus": 1_000, "GetParametersForImport": 0.25, "GetPublicKey": 2_000,
    "ImportKeyMaterial": 5, "ListAliases": 100, "ListGrants": 100, "ListKeyPolicies": 100,
    "ListKeyRotations": 100, "ListKeys": 100, "ListResourceTags": 100, "ListRetirableGrants": 100,
    "PutKeyPolicy": 5, "ReplicateKey": 5, "RetireGrant": 30, "RevokeGrant": 30, "RotateKeyOnDemand": 5,
    "ScheduleKeyDeletion": 5, "TagResource": 10, "UntagResource": 10, "UpdateAlias": 5,
    "UpdateKeyDescription": 5, "UpdatePrimaryRegion": 5,
}
_FAMILY_OF = {op: family for family, ops in SHARED_FAMILIES.items() for op in ops}


def bucket_of(operation: str) -> str | None:
    """The quota bucket an operation draws from (None: not rate-limited)."""
    if operation in _FAMILY_OF:
        return _FAMILY_OF[operation]
    return operation if operation in DEFAULT_RATES else None


def rates(overrides: Mapping[str, float] | None = None) -> dict[str, float]:
    merged = dict(DEFAULT_RATES)
    for name, value in (overrides or {}).items():
        if name not in merged:
            raise ValueError(f"unknown quota {name!r}: use one of {', '.join(sorted(merged))}")
        if value <= 0:
            raise ValueError(f"quota {name} must be positive")
        merged[name] = value
    return merged
