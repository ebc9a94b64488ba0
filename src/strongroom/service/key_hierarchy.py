"""Root of trust → data-store key-encryption key (KEK) → every secret at rest.

The KEK is created once per data store and stored wrapped by the root of trust; nothing else is ever wrapped
by the root directly, so changing the root rewraps one record (``rewrap_kek``) and no secret below it. While
sealed, the KEK is not in memory and every operation that needs a secret fails with ``SealedError``.

The module functions work on the stored record for whoever unseals a node (the server's supervisor, which
then hands the KEK to its workers through ``KeyHierarchy.adopt``); they never write unless told to create
or rewrap, so a failed unseal leaves the store untouched.
"""

from __future__ import annotations

from strongroom.crypto.aead import new_key
from strongroom.crypto.wrapping import KeyEncryptionKey
from strongroom.errors import AlreadyExistsError, InternalError, SealedError
from strongroom.storage.base import Store
from strongroom.trust.base import RootOfTrust

SEALED_MESSAGE = "The key store is sealed; unseal it to use keys."
NOT_INITIALIZED = "this data store has no key-encryption key yet (it is not initialized)"


def create_kek(store: Store, root: RootOfTrust) -> bytearray:
    """A new KEK for a data store that has none, stored wrapped by ``root``."""
    kek = new_key()
    wrapped = root.wrap_kek(kek)
    with store.transaction():
        if store.get_wrapped_kek() is not None:
            raise AlreadyExistsError("this data store already has a key-encryption key")
        store.put_wrapped_kek(wrapped)
    return bytearray(kek)


def open_kek(store: Store, root: RootOfTrust) -> bytearray:
    """The KEK unwrapped by ``root``; reads only."""
    wrapped = store.get_wrapped_kek()
    if wrapped is None:
        raise SealedError(NOT_INITIALIZED)
    return bytearray(root.unwrap_kek(wrapped))


def rewrap_kek(store: Store, kek: bytes | bytearray, new_root: RootOfTrust) -> None:
    """Store the KEK wrapped by ``new_root`` in place of the current record (compare-and-swap)."""
    current = store.get_wrapped_kek()
    if current is None:
        raise SealedError(NOT_INITIALIZED)
    if not store.replace_wrapped_kek(current, new_root.wrap_kek(bytes(kek))):
        raise InternalError("the key-encryption key record changed while it was being rewrapped; try again")


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
            if self._store.get_wrapped_kek() is None:
                self.adopt(create_kek(self._store, root))
                return
        self.adopt(open_kek(self._store, root))

    def adopt(self, kek: bytes | bytearray) -> None:
        """Use a KEK that was unwrapped elsewhere (by the supervisor process of this node)."""
        self._kek = KeyEncryptionKey(bytes(kek))

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
