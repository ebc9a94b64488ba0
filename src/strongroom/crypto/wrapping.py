"""Key wrapping: secrets at rest are sealed under a key-encryption key, bound to a label.

The label (for example ``key-material/<key id>/<version>``) is authenticated, so a wrapped record moved to
another row of the database does not unwrap.
"""

from __future__ import annotations

from strongroom.crypto.aead import Aead

WRAP_FORMAT_V1 = b"\x01"


class KeyEncryptionKey:
    __slots__ = ("_aead",)

    def __init__(self, key: bytes) -> None:
        self._aead = Aead(key)

    def __repr__(self) -> str:
        return "KeyEncryptionKey(<secret>)"

    def wrap(self, secret: bytes, label: str) -> bytes:
        return WRAP_FORMAT_V1 + self._aead.seal(secret, label.encode("utf-8"))

    def unwrap(self, wrapped: bytes, label: str) -> bytes:
        return self._aead.open(wrapped[1:], label.encode("utf-8"))
