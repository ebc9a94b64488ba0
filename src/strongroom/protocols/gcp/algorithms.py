"""Which Cloud KMS algorithms this server makes, the key spec each is, and how its versions sign.

An algorithm belongs to one purpose. Versions of RSA OAEP SHA-1/SHA-512 decryption, raw PKCS#1 signing, AES CBC
and CTR, secp256k1 and external keys are not offered (the core's versioned keys do not do them).
"""

from __future__ import annotations

from dataclasses import dataclass

from strongroom.protocols.gcp.errors import invalid


@dataclass(frozen=True, slots=True)
class Algorithm:
    name: str
    purpose: str
    key_spec: str
    hash_name: str = "sha2-256"  # the versioned key's name of the digest it signs
    padding: str = ""  # RSA signing: "pss" or "pkcs1v15"
    hmac_bytes: int = 32


def _rsa_sign(bits: int, scheme: str, digest: int) -> Algorithm:
    tag = "PSS" if scheme == "pss" else "PKCS1"
    return Algorithm(f"RSA_SIGN_{tag}_{bits}_SHA{digest}", "ASYMMETRIC_SIGN", f"RSA_{bits}", f"sha2-{digest}", scheme)


_ALL = (
    Algorithm("GOOGLE_SYMMETRIC_ENCRYPTION", "ENCRYPT_DECRYPT", "SYMMETRIC_DEFAULT"),
    Algorithm("AES_256_GCM", "RAW_ENCRYPT_DECRYPT", "SYMMETRIC_DEFAULT"),
    Algorithm("AES_128_GCM", "RAW_ENCRYPT_DECRYPT", "AES_128"),
    *(_rsa_sign(bits, scheme, 256) for bits in (2048, 3072, 4096) for scheme in ("pss", "pkcs1v15")),
    _rsa_sign(4096, "pss", 512), _rsa_sign(4096, "pkcs1v15", 512),
    *(Algorithm(f"RSA_DECRYPT_OAEP_{bits}_SHA256", "ASYMMETRIC_DECRYPT", f"RSA_{bits}") for bits in (2048, 3072, 4096)),
    Algorithm("EC_SIGN_P256_SHA256", "ASYMMETRIC_SIGN", "ECC_NIST_P256"),
    Algorithm("EC_SIGN_P384_SHA384", "ASYMMETRIC_SIGN", "ECC_NIST_P384", "sha2-384"),
    Algorithm("EC_SIGN_ED25519", "ASYMMETRIC_SIGN", "ECC_NIST_EDWARDS25519", ""),
    Algorithm("HMAC_SHA256", "MAC", "HMAC", "sha2-256", hmac_bytes=32),
    Algorithm("HMAC_SHA384", "MAC", "HMAC", "sha2-384", hmac_bytes=48),
    Algorithm("HMAC_SHA512", "MAC", "HMAC", "sha2-512", hmac_bytes=64),
    Algorithm("HMAC_SHA224", "MAC", "HMAC", "sha2-224", hmac_bytes=32),
)
ALGORITHMS: dict[str, Algorithm] = {a.name: a for a in _ALL}
DIGEST_MEMBERS = {"sha2-256": "sha256", "sha2-384": "sha384", "sha2-512": "sha512"}
DIGEST_BYTES = {"sha2-256": 32, "sha2-384": 48, "sha2-512": 64}
DEFAULT_ALGORITHM = {"ENCRYPT_DECRYPT": "GOOGLE_SYMMETRIC_ENCRYPTION"}


def algorithm_for(purpose: str, name: str | None) -> Algorithm:
    """The algorithm a new key's version template names (Google requires one except for ENCRYPT_DECRYPT)."""
    chosen = name or DEFAULT_ALGORITHM.get(purpose)
    if chosen is None:
        raise invalid(f"The request is missing a required field: version_template.algorithm (purpose {purpose}).")
    found = ALGORITHMS.get(chosen)
    if found is None:
        raise invalid(f"Algorithm {chosen} is not supported by this server.")
    if found.purpose != purpose:
        raise invalid(f"Algorithm {chosen} is not compatible with CryptoKey purpose {purpose}.")
    return found
