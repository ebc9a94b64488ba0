"""Per-process caches of stored state, dropped whenever another process writes to the store."""

from __future__ import annotations

from typing import Protocol

from strongroom.storage.base import Store


class _Clearable(Protocol):
    def clear(self) -> None: ...


class StoreCaches:
    def __init__(self, store: Store) -> None:
        self._store = store
        self._caches: list[_Clearable] = []

    def register(self, cache: _Clearable) -> None:
        self._caches.append(cache)

    def clear_all(self) -> None:
        for cache in self._caches:
            cache.clear()

    def sync(self) -> None:
        """Cheap (one PRAGMA); called before reading anything cached."""
        if self._store.changed_elsewhere():
            self.clear_all()
