"""Keep CPython's full garbage collections short in a long-running worker.

A worker caches what it reads (keys, their unwrapped material, policies, grants): with 100,000 keys in use
that is a million long-lived objects, and CPython 3.11 walks every one of them in each full collection — 60 to
140 ms with the event loop stopped, which was the p99 of the scale benchmark. After each full collection the
survivors are frozen (``gc.freeze``), so the next one walks only what is newer.

Frozen objects are still freed by reference counting; only a reference cycle among them would never be
collected. The long-lived cycle that does come and go (a connection's protocol and its HTTP parser) is
broken when the connection closes (``server/http.py``).
"""

from __future__ import annotations

import gc
from typing import Any


def _freeze_survivors(phase: str, info: dict[str, Any]) -> None:
    if phase == "stop" and info["generation"] == 2:
        gc.freeze()


def freeze_after_full_collections() -> None:
    """Freeze what exists now (start-up's objects) and the survivors of every later full collection."""
    if _freeze_survivors not in gc.callbacks:
        gc.callbacks.append(_freeze_survivors)
    gc.freeze()
