"""The key vault: where data key documents live. A store implements :class:`KeyVault`.

Documents go in and come out as ``dict`` values of ``bson`` types, decoded with
:data:`strongroom_client.keydoc.KEY_CODEC` (``_id`` a ``Binary`` subtype 4, aware UTC datetimes); callers
get fresh copies, never the store's own objects. A store enforces that ``_id`` and every ``keyAltNames``
entry are unique across the vault (MongoDB's unique partial index on ``keyAltNames``), raising
:class:`DuplicateKeyError`, and runs each :meth:`KeyVault.update` atomically.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from typing import Any, Protocol

import bson

from strongroom_client.errors import DuplicateKeyError
from strongroom_client.keydoc import KEY_CODEC, alt_names_of, key_id_of

Document = dict[str, Any]
Change = Callable[[Document], Document]


class KeyVault(Protocol):
    def insert(self, document: Mapping[str, Any]) -> None:
        """Add a key document; :class:`DuplicateKeyError` if its ``_id`` or an alt name is taken."""
        ...

    def get(self, key_id: bytes) -> Document | None:
        """The document whose ``_id`` is these 16 bytes."""
        ...

    def get_by_alt_name(self, name: str) -> Document | None:
        """The document whose ``keyAltNames`` holds ``name``."""
        ...

    def documents(self) -> Iterator[Document]:
        """Every document, in insertion order."""
        ...

    def update(self, key_id: bytes, change: Change) -> Document | None:
        """Atomically replace the document with ``change(document)`` (same ``_id``); returns the document as
        it was before, or ``None`` (and no change) if there is none. Alt names stay unique."""
        ...

    def delete(self, key_id: bytes) -> bool:
        """Remove a document; whether there was one."""
        ...

    def close(self) -> None: ...


def encode(document: Mapping[str, Any]) -> bytes:
    return bson.encode(document, codec_options=KEY_CODEC)


def decode(data: bytes) -> Document:
    return dict(bson.decode(data, codec_options=KEY_CODEC))


def checked_change(before: Document, change: Change) -> Document:
    """``change(copy of before)``, which must keep the ``_id``."""
    after = change(decode(encode(before)))
    if key_id_of(after) != key_id_of(before):
        raise ValueError("a key vault update cannot change the _id")
    return after


def duplicate_alt_name(name: str) -> DuplicateKeyError:
    return DuplicateKeyError(f"key alt name {name!r} is already used by another data key")


def duplicate_id(key_id: bytes) -> DuplicateKeyError:
    return DuplicateKeyError(f"a data key with _id {key_id.hex()} already exists")


__all__ = ["Change", "Document", "KeyVault", "alt_names_of", "checked_change", "decode", "encode", "key_id_of"]
