"""Identifiers that must be unique but need not be unpredictable (request ids, audit event ids).

UUID-shaped (version 4 bits set) from a random per-process base plus a counter: one random draw per process
instead of a getrandom call per id, which profiling showed on the hot path. Never use these for secrets.
"""

from __future__ import annotations

import itertools
import os
import uuid

_VERSION_MASK = ~(0xF000 << 64) & ((1 << 128) - 1)
_VARIANT_MASK = ~(0xC000 << 48) & ((1 << 128) - 1)


class UniqueIds:
    def __init__(self) -> None:
        self._reset()
        os.register_at_fork(after_in_child=self._reset)  # a forked worker must not repeat its parent's ids

    def _reset(self) -> None:
        self._base = int.from_bytes(os.urandom(16), "big")
        self._counter = itertools.count()

    def next(self) -> str:
        value = (self._base + next(self._counter)) & ((1 << 128) - 1)  # next() on a count is atomic
        value = (value & _VERSION_MASK) | (4 << 76)
        value = (value & _VARIANT_MASK) | (0x8 << 60)
        return str(uuid.UUID(int=value))


_ids = UniqueIds()


def unique_id() -> str:
    return _ids.next()
