"""A key vault in memory: for tests, and for applications that load keys from an export at start."""

from __future__ import annotations

import threading
from collections.abc import Iterator, Mapping
from typing import Any

from strongroom_client.keyvault.base import (
    Change,
    Document,
    alt_names_of,
    checked_change,
    decode,
    duplicate_alt_name,
    duplicate_id,
    encode,
    key_id_of,
)


class MemoryKeyVault:
    """Documents kept as BSON bytes, so what callers hold never aliases what is stored."""

    def __init__(self) -> None:
        self._docs: dict[bytes, bytes] = {}
        self._alt_names: dict[str, bytes] = {}
        self._lock = threading.Lock()

    def insert(self, document: Mapping[str, Any]) -> None:
        key_id = key_id_of(document)
        with self._lock:
            if key_id in self._docs:
                raise duplicate_id(key_id)
            self._claim(key_id, alt_names_of(document))
            self._docs[key_id] = encode(document)

    def get(self, key_id: bytes) -> Document | None:
        with self._lock:
            data = self._docs.get(bytes(key_id))
        return None if data is None else decode(data)

    def get_by_alt_name(self, name: str) -> Document | None:
        with self._lock:
            key_id = self._alt_names.get(name)
            data = None if key_id is None else self._docs[key_id]
        return None if data is None else decode(data)

    def documents(self) -> Iterator[Document]:
        with self._lock:
            snapshot = list(self._docs.values())
        return (decode(data) for data in snapshot)

    def update(self, key_id: bytes, change: Change) -> Document | None:
        key_id = bytes(key_id)
        with self._lock:
            data = self._docs.get(key_id)
            if data is None:
                return None
            before = decode(data)
            after = checked_change(before, change)
            old_names = alt_names_of(before)
            for name in old_names:
                del self._alt_names[name]
            try:
                self._claim(key_id, alt_names_of(after))
            except Exception:
                self._claim(key_id, old_names)
                raise
            self._docs[key_id] = encode(after)
            return before

    def delete(self, key_id: bytes) -> bool:
        with self._lock:
            data = self._docs.pop(bytes(key_id), None)
            if data is None:
                return False
            for name in alt_names_of(decode(data)):
                self._alt_names.pop(name, None)
            return True

    def close(self) -> None:
        pass

    def _claim(self, key_id: bytes, names: list[str]) -> None:
        taken = [n for n in names if self._alt_names.get(n, key_id) != key_id]
        if taken:
            raise duplicate_alt_name(taken[0])
        for name in names:
            self._alt_names[name] = key_id
