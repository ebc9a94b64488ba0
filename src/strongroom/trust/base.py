"""The interface every root of trust implements, and the errors roots raise.

A root wraps exactly one secret, the data-store key-encryption key (KEK). ``wrap_kek`` returns the stored
record (see ``envelope.py``: it names the root's kind and what the root needs to find its key again);
``unwrap_kek`` takes that record back.
"""

from __future__ import annotations

from typing import Protocol

from strongroom.errors import SealedError


class RootOfTrust(Protocol):
    name: str

    def wrap_kek(self, kek: bytes) -> bytes: ...

    def unwrap_kek(self, wrapped: bytes) -> bytes: ...


class RootOfTrustError(SealedError):
    """The root cannot unwrap the KEK now (wrong PIN, missing key, KMS unreachable, wrong shares…).

    The message says what failed and what to do. ``transient`` marks failures worth retrying on their own
    (a network outage), as opposed to ones an operator must fix (a wrong PIN must never be retried).
    """

    def __init__(self, message: str, *, transient: bool = False) -> None:
        super().__init__(message)
        self.transient = transient


class RootConfigError(Exception):
    """The configuration of a root of trust is incomplete or invalid; the message names the setting."""
