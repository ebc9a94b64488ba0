"""Ciphertexts and seed files made outside Strongroom: a blob built from known key material with pyca alone, by
the format docs/architecture.md documents (0x01 | key id | version | nonce | AES-256-GCM output, AAD = header)."""

from __future__ import annotations

import os
import uuid

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

ACCOUNT = "111122223333"
KEY_ID = "0b6c3a9e-6a43-4c3e-9d6e-7a1d2c3b4a51"
OLD_MATERIAL = bytes(range(32))
NEW_MATERIAL = bytes(range(32, 64))


def outside_ciphertext(key_id: str, version: int, material: bytes, plaintext: bytes) -> bytes:
    """A ciphertext blob of a symmetric key with no encryption context, made without Strongroom's code."""
    header = b"\x01" + uuid.UUID(key_id).bytes + version.to_bytes(4, "big")
    nonce = os.urandom(12)
    return header + nonce + AESGCM(material).encrypt(nonce, plaintext, header)
