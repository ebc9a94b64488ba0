"""Identifiers that must be unique but need not be unpredictable (request ids, audit event ids).

UUID-shaped (version 4, RFC 4122 variant): a random per-process prefix (74 random bits) and a 48-bit counter
that starts at a random point. One random draw per process instead of a getrandom call per id, and one
string format per id instead of a ``uuid.UUID`` object (both showed on the hot path). Never use these for
secrets.
"""

from __future__ import annotations

import itertools
import os

_COUNTER_BITS = 48


class UniqueIds:
    def __init__(self) -> None:
        self._reset()
        os.register_at_fork(after_in_child=self._reset)  # a forked worker must not repeat its parent's ids

    def _reset(self) -> None:
        draw = os.urandom(16).hex()
        variant = "89ab"[int(draw[16], 16) & 3]
        self._prefix = f"{draw[:8]}-{draw[8:12]}-4{draw[13:16]}-{variant}{draw[17:20]}-"
        self._counter = itertools.count(int(draw[20:], 16))

    def next(self) -> str:
        # next() on a count is atomic; the counter wraps within its 12 hex digits.
        return f"{self._prefix}{next(self._counter) % (1 << _COUNTER_BITS):012x}"


_ids = UniqueIds()


def unique_id() -> str:
    return _ids.next()
