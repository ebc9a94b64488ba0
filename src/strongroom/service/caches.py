"""Per-process caches of stored state, dropped whenever another process changes that state.

Before reading anything cached the core calls ``sync``, which asks the store whether cached state changed
elsewhere. A server can scope that question to one turn of its event loop (``check_per_turn``): every request
handled in a turn then sees the store as it was when the turn began, and the next turn looks again — as if
those requests had arrived a moment earlier. That saves a store read per cached lookup on the hot path.
"""

from __future__ import annotations

from typing import Generic, Protocol, TypeVar

from strongroom.storage.base import Store


class Clearable(Protocol):
    def clear(self) -> None: ...


K = TypeVar("K")
V = TypeVar("V")


class BoundedCache(dict[K, V], Generic[K, V]):
    """A dict that holds at most ``limit`` entries: ``put`` evicts the oldest entry first. Oldest-first eviction
    keeps memory bounded at O(1) per insert; for a store of many keys each used now and then, it drops about
    what an LRU would, without an LRU's bookkeeping on every hit."""

    def __init__(self, limit: int) -> None:
        super().__init__()
        self.limit = limit

    def put(self, key: K, value: V) -> V:
        if key not in self and len(self) >= self.limit:
            del self[next(iter(self))]
        self[key] = value
        return value


class StoreCaches:
    def __init__(self, store: Store) -> None:
        self._store = store
        self._caches: list[Clearable] = []
        self._per_turn = False
        self._checked_this_turn = False

    def register(self, cache: Clearable) -> None:
        self._caches.append(cache)

    def clear_all(self) -> None:
        for cache in self._caches:
            cache.clear()

    def check_per_turn(self) -> None:
        """Ask the store at most once between calls to ``new_turn`` (the server's event-loop turns)."""
        self._per_turn = True

    def new_turn(self) -> None:
        self._checked_this_turn = False

    def sync(self) -> None:
        if self._checked_this_turn:
            return
        self._checked_this_turn = self._per_turn
        if self._store.changed_elsewhere():
            self.clear_all()
