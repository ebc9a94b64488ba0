"""Cloud KMS enums: each a table of names and the numbers the REST transport sends (``enum-encoding=int``)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from strongroom.protocols.gcp.errors import invalid


@dataclass(frozen=True, slots=True)
class GoogleEnum:
    type_name: str
    values: dict[str, int]

    def parse(self, value: Any, field: str, default: str | None = None) -> str | None:
        """A name, accepted as given or as its number; None (or ``default``) when absent or unspecified."""
        if value is None or value == 0 or (isinstance(value, str) and value.endswith("_UNSPECIFIED")):
            return default
        if isinstance(value, bool):
            raise invalid(f"Invalid value for {field}: {value!r}")
        if isinstance(value, int):
            for name, number in self.values.items():
                if number == value:
                    return name
        elif isinstance(value, str):
            if value in self.values:
                return value
            if value.isdigit():
                return self.parse(int(value), field, default)
        raise invalid(f"Invalid value at '{field}' ({self.type_name}): {value!r}")

    def render(self, name: str, numbers: bool) -> str | int:
        return self.values[name] if numbers else name


PURPOSE = GoogleEnum("google.cloud.kms.v1.CryptoKey.CryptoKeyPurpose", {
    "ENCRYPT_DECRYPT": 1, "ASYMMETRIC_SIGN": 5, "ASYMMETRIC_DECRYPT": 6, "RAW_ENCRYPT_DECRYPT": 7, "MAC": 9})
STATE = GoogleEnum("google.cloud.kms.v1.CryptoKeyVersion.CryptoKeyVersionState", {
    "PENDING_GENERATION": 5, "ENABLED": 1, "DISABLED": 2, "DESTROYED": 3, "DESTROY_SCHEDULED": 4,
    "PENDING_IMPORT": 6, "IMPORT_FAILED": 7})
PROTECTION_LEVEL = GoogleEnum("google.cloud.kms.v1.ProtectionLevel", {
    "SOFTWARE": 1, "HSM": 2, "EXTERNAL": 3, "EXTERNAL_VPC": 4})
ALGORITHM = GoogleEnum("google.cloud.kms.v1.CryptoKeyVersion.CryptoKeyVersionAlgorithm", {
    "GOOGLE_SYMMETRIC_ENCRYPTION": 1, "AES_128_GCM": 41, "AES_256_GCM": 19, "AES_128_CBC": 42, "AES_256_CBC": 43,
    "AES_128_CTR": 44, "AES_256_CTR": 45,
    "RSA_SIGN_PSS_2048_SHA256": 2, "RSA_SIGN_PSS_3072_SHA256": 3, "RSA_SIGN_PSS_4096_SHA256": 4,
    "RSA_SIGN_PSS_4096_SHA512": 15, "RSA_SIGN_PKCS1_2048_SHA256": 5, "RSA_SIGN_PKCS1_3072_SHA256": 6,
    "RSA_SIGN_PKCS1_4096_SHA256": 7, "RSA_SIGN_PKCS1_4096_SHA512": 16, "RSA_SIGN_RAW_PKCS1_2048": 28,
    "RSA_SIGN_RAW_PKCS1_3072": 29, "RSA_SIGN_RAW_PKCS1_4096": 30,
    "RSA_DECRYPT_OAEP_2048_SHA256": 8, "RSA_DECRYPT_OAEP_3072_SHA256": 9, "RSA_DECRYPT_OAEP_4096_SHA256": 10,
    "RSA_DECRYPT_OAEP_4096_SHA512": 17, "RSA_DECRYPT_OAEP_2048_SHA1": 37, "RSA_DECRYPT_OAEP_3072_SHA1": 38,
    "RSA_DECRYPT_OAEP_4096_SHA1": 39, "EC_SIGN_P256_SHA256": 12, "EC_SIGN_P384_SHA384": 13,
    "EC_SIGN_SECP256K1_SHA256": 31, "EC_SIGN_ED25519": 40, "HMAC_SHA256": 32, "HMAC_SHA1": 33, "HMAC_SHA384": 34,
    "HMAC_SHA512": 35, "HMAC_SHA224": 36, "EXTERNAL_SYMMETRIC_ENCRYPTION": 18})
