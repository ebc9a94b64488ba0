"""AES-256-GCM with the nonce generated inside: ``seal`` returns nonce || ciphertext || tag."""

from __future__ import annotations

import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from strongroom.errors import InvalidCiphertextError

NONCE_BYTES = 12
TAG_BYTES = 16
OVERHEAD = NONCE_BYTES + TAG_BYTES


class Aead:
    """One key, ready to use. Holds the key only inside the AESGCM object; never printable."""

    __slots__ = ("_aesgcm",)

    def __init__(self, key: bytes) -> None:
        if len(key) != 32:
            raise ValueError("AES-256-GCM needs a 32-byte key")
        self._aesgcm = AESGCM(key)

    def __repr__(self) -> str:
        return "Aead(<secret>)"

    def __reduce__(self):  # type: ignore[no-untyped-def]
        raise TypeError("key material cannot be pickled")

    def seal(self, plaintext: bytes, aad: bytes) -> bytes:
        nonce = os.urandom(NONCE_BYTES)
        return nonce + self._aesgcm.encrypt(nonce, plaintext, aad)

    def open(self, sealed: bytes, aad: bytes) -> bytes:
        if len(sealed) < OVERHEAD:
            raise InvalidCiphertextError()
        try:
            return self._aesgcm.decrypt(sealed[:NONCE_BYTES], sealed[NONCE_BYTES:], aad)
        except InvalidTag:
            raise InvalidCiphertextError() from None


def random_bytes(n: int) -> bytes:
    return os.urandom(n)


def new_key() -> bytes:
    """A fresh 256-bit key."""
    return os.urandom(32)
