"""Wrapping key material for ImportKeyMaterial exactly as the AWS KMS docs describe, done outside the server
with pyca/cryptography (the docs' ``openssl pkeyutl`` / ``openssl enc -id-aes256-wrap-pad`` recipe)."""

from __future__ import annotations

import os
from typing import Any

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding
from cryptography.hazmat.primitives.keywrap import aes_key_wrap_with_padding

WRAPPING_ALGORITHMS = ("RSAES_OAEP_SHA_1", "RSAES_OAEP_SHA_256", "RSA_AES_KEY_WRAP_SHA_1", "RSA_AES_KEY_WRAP_SHA_256")


def aws_wrap(public_der: bytes, algorithm: str, material: bytes) -> bytes:
    """RSAES_OAEP_*: the material encrypted with RSA-OAEP (MGF1 with the same hash). RSA_AES_KEY_WRAP_*: a fresh
    256-bit AES key encrypted with RSA-OAEP, followed by the material wrapped under it with AES-KWP (RFC 5649)."""
    public_key = serialization.load_der_public_key(public_der)
    h = hashes.SHA1() if algorithm.endswith("SHA_1") else hashes.SHA256()
    oaep = padding.OAEP(mgf=padding.MGF1(h), algorithm=h, label=None)
    if algorithm.startswith("RSAES_OAEP"):
        return public_key.encrypt(material, oaep)  # type: ignore[union-attr]
    aes_key = os.urandom(32)
    return public_key.encrypt(aes_key, oaep) + aes_key_wrap_with_padding(aes_key, material)  # type: ignore[union-attr]


def import_into(kms: Any, key: str, material: bytes, algorithm: str = "RSAES_OAEP_SHA_256",
                wrapping_key_spec: str = "RSA_2048", **kw: Any) -> dict[str, Any]:
    """The whole BYOK round through a boto3 client: GetParametersForImport, wrap outside, ImportKeyMaterial."""
    params = kms.get_parameters_for_import(KeyId=key, WrappingAlgorithm=algorithm, WrappingKeySpec=wrapping_key_spec)
    kw.setdefault("ExpirationModel", "KEY_MATERIAL_DOES_NOT_EXPIRE")
    return kms.import_key_material(KeyId=key, ImportToken=params["ImportToken"],
                                   EncryptedKeyMaterial=aws_wrap(params["PublicKey"], algorithm, material), **kw)
