"""A root key held in this process's memory: what the ``file`` root loads and the ``shamir`` root rebuilds."""

from __future__ import annotations

from typing import Any

from strongroom.crypto.wrapping import KeyEncryptionKey
from strongroom.errors import InvalidCiphertextError
from strongroom.trust import envelope
from strongroom.trust.base import RootOfTrustError

KEK_LABEL = "strongroom/kek"


class LocalKeyRoot:
    """Wraps the KEK with AES-256-GCM under a 32-byte root key, bound to the label ``strongroom/kek``."""

    def __init__(self, name: str, key: bytes, *, meta: dict[str, Any] | None = None,
                 wrong_key_hint: str = "") -> None:
        self.name = name
        self.meta = dict(meta or {})
        self._root = KeyEncryptionKey(bytes(key))
        self._hint = wrong_key_hint

    def __repr__(self) -> str:
        return f"LocalKeyRoot({self.name!r})"

    def wrap_kek(self, kek: bytes) -> bytes:
        return envelope.pack(self.name, self._root.wrap(bytes(kek), KEK_LABEL), **self.meta)

    def unwrap_kek(self, wrapped: bytes) -> bytes:
        record = envelope.unpack_for(wrapped, self.name)
        try:
            return self._root.unwrap(record.body, KEK_LABEL)
        except InvalidCiphertextError:
            raise RootOfTrustError(
                f"the {self.name} root key does not unwrap this data store's key-encryption key{self._hint}"
            ) from None
