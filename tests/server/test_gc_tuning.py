"""Freezing after full collections: survivors are frozen, and a closed connection is still freed."""

from __future__ import annotations

import gc
import weakref

import pytest

from strongroom.server import gc_tuning
from strongroom.server.http import HttpProtocol, ServerState


@pytest.fixture
def frozen_gc():
    yield
    if gc_tuning._freeze_survivors in gc.callbacks:
        gc.callbacks.remove(gc_tuning._freeze_survivors)
    gc.unfreeze()


class _Transport:
    def get_extra_info(self, name: str):
        return ("127.0.0.1", 4000) if name == "peername" else None

    def close(self) -> None:
        pass


class _Protocol(HttpProtocol):  # no __slots__: can be referred to weakly
    pass


def test_survivors_of_a_full_collection_are_frozen(frozen_gc) -> None:
    gc_tuning.freeze_after_full_collections()
    gc_tuning.freeze_after_full_collections()  # installing twice changes nothing
    assert gc.callbacks.count(gc_tuning._freeze_survivors) == 1
    survivor = [[] for _ in range(1000)]  # containers: tracked by the collector
    before = gc.get_freeze_count()
    gc.collect()
    assert gc.get_freeze_count() >= before + len(survivor)


def test_a_frozen_connection_is_freed_once_closed(frozen_gc) -> None:
    protocol = _Protocol(lambda request: None, False, ServerState())  # type: ignore[arg-type,return-value]
    protocol.connection_made(_Transport())  # type: ignore[arg-type]
    gc.freeze()  # as if it had lived through a full collection
    protocol.connection_lost(None)
    alive = weakref.ref(protocol)
    del protocol
    assert alive() is None  # freed by reference counting: no cycle left behind in the frozen generation
