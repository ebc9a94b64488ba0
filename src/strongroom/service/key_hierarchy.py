"""Root of trust → data-store key-encryption key (KEK) → every secret at rest.

The KEK is created on first start and stored wrapped by the root of trust; nothing else is ever wrapped
by the root directly.
"""

from __future__ import annotations

from strongroom.crypto.aead import new_key
from strongroom.crypto.wrapping import KeyEncryptionKey
from strongroom.storage.base import Store
from strongroom.trust.base import RootOfTrust


def open_key_hierarchy(store: Store, root: RootOfTrust) -> KeyEncryptionKey:
    with store.transaction():
        wrapped = store.get_wrapped_kek()
        if wrapped is None:
            kek = new_key()
            store.put_wrapped_kek(root.wrap_kek(kek))
            return KeyEncryptionKey(kek)
    return KeyEncryptionKey(root.unwrap_kek(wrapped))


def material_label(key_id: str, version: int) -> str:
    return f"key-material/{key_id}/{version}"


def access_key_label(access_key_id: str) -> str:
    return f"access-key/{access_key_id}"
