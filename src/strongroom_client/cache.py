"""A cache of unwrapped data keys, so encrypting many fields does not call the KMS for each one.

An entry lives at most ``max_age`` seconds and serves at most ``max_uses`` encryptions or decryptions; then
the next use unwraps the key again. Entries are keyed by the key's ``_id`` and its ``keyMaterial``, so a
rewrapped or replaced key document never reuses a stale entry. ``max_age=0`` turns caching off. The clock
is injectable (``time.monotonic`` by default) so tests never sleep.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

Loader = Callable[[], bytes]


@dataclass
class _Entry:
    data_key: bytes = field(repr=False)
    expires: float
    uses_left: int | None


class DekCache:
    """Thread-safe; data keys are never printed (``repr`` shows only the entry count)."""

    def __init__(
        self, max_age: float = 60.0, max_uses: int | None = None, *, clock: Callable[[], float] = time.monotonic
    ) -> None:
        if max_age < 0 or (max_uses is not None and max_uses < 1):
            raise ValueError("max_age must be >= 0 and max_uses >= 1 (or None)")
        self._max_age = max_age
        self._max_uses = max_uses
        self._clock = clock
        self._entries: dict[tuple[bytes, bytes], _Entry] = {}
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"DekCache(max_age={self._max_age}, max_uses={self._max_uses}, entries={len(self)})"

    def __reduce__(self) -> object:
        raise TypeError("a cache of data keys cannot be pickled")

    def __len__(self) -> int:
        with self._lock:
            return len(self._entries)

    def get(self, key_id: bytes, key_material: bytes, load: Loader) -> bytes:
        """The data key for this document, from the cache or from ``load()``; counts one use."""
        if self._max_age == 0:
            return load()
        slot = (bytes(key_id), bytes(key_material))
        now = self._clock()
        with self._lock:
            entry = self._entries.get(slot)
            if entry is not None and entry.expires > now:
                return self._use(slot, entry)
            self._entries.pop(slot, None)
        data_key = load()
        with self._lock:
            self._prune()
            entry = _Entry(data_key, now + self._max_age, self._max_uses)
            self._entries[slot] = entry
            return self._use(slot, entry)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()

    def _use(self, slot: tuple[bytes, bytes], entry: _Entry) -> bytes:
        if entry.uses_left is not None:
            entry.uses_left -= 1
            if entry.uses_left <= 0:
                del self._entries[slot]
        return entry.data_key

    def _prune(self) -> None:
        now = self._clock()
        for slot in [s for s, e in self._entries.items() if e.expires <= now]:
            del self._entries[slot]

    def forget(self, key_id: bytes) -> None:
        """Drop every entry of one data key (after it is deleted)."""
        with self._lock:
            for slot in [s for s in self._entries if s[0] == bytes(key_id)]:
                del self._entries[slot]
