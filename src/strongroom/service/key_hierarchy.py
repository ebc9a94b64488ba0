"""Root of trust → data-store key-encryption key (KEK) → every secret at rest.

The KEK is created on first unseal and stored wrapped by the root of trust; nothing else is ever wrapped by
the root directly, so changing the root rewraps one record. While sealed, the KEK is not in memory and
every operation that needs a secret fails with ``SealedError``.
"""

from __future__ import annotations

from strongroom.crypto.aead import new_key
from strongroom.crypto.wrapping import KeyEncryptionKey
from strongroom.errors import SealedError
from strongroom.storage.base import Store
from strongroom.trust.base import RootOfTrust

SEALED_MESSAGE = "The key store is sealed; unseal it to use keys."


class KeyHierarchy:
    def __init__(self, store: Store) -> None:
        self._store = store
        self._kek: KeyEncryptionKey | None = None

    def __repr__(self) -> str:
        return f"KeyHierarchy(sealed={self.sealed})"

    @property
    def sealed(self) -> bool:
        return self._kek is None

    def unseal(self, root: RootOfTrust) -> None:
        """Unwrap the KEK with the root of trust (creating the KEK on the very first start)."""
        with self._store.transaction():
            wrapped = self._store.get_wrapped_kek()
            if wrapped is None:
                kek = new_key()
                self._store.put_wrapped_kek(root.wrap_kek(kek))
                self._kek = KeyEncryptionKey(kek)
                return
        self._kek = KeyEncryptionKey(root.unwrap_kek(wrapped))

    def seal(self) -> None:
        self._kek = None

    def _current(self) -> KeyEncryptionKey:
        kek = self._kek
        if kek is None:
            raise SealedError(SEALED_MESSAGE)
        return kek

    def wrap(self, secret: bytes, label: str) -> bytes:
        return self._current().wrap(secret, label)

    def unwrap(self, wrapped: bytes, label: str) -> bytes:
        return self._current().unwrap(wrapped, label)


def material_label(key_id: str, version: int) -> str:
    return f"key-material/{key_id}/{version}"


def access_key_label(access_key_id: str) -> str:
    return f"access-key/{access_key_id}"
