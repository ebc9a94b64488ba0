"""The interface every root of trust implements."""

from __future__ import annotations

from typing import Protocol


class RootOfTrust(Protocol):
    name: str

    def wrap_kek(self, kek: bytes) -> bytes: ...

    def unwrap_kek(self, wrapped: bytes) -> bytes: ...
