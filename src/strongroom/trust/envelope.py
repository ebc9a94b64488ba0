"""The stored form of the wrapped KEK: which root of trust wrapped it, and the root's public notes.

    0x02 | header length (2 bytes, big-endian) | header (JSON) | the root's ciphertext

The header is ``{"root": <kind>, ...}`` plus what the root needs to find its key again (an HSM key id, a KMS
key ARN, a Shamir share set's identifier and threshold). It holds nothing secret. A record written before
roots were pluggable (a bare ``0x01 || AES-GCM`` blob) reads as the ``file`` root's.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from strongroom.trust.base import RootOfTrustError

FORMAT_V2 = 2
_LEGACY_FILE_FORMAT = 1


@dataclass(frozen=True)
class WrappedKek:
    root: str
    body: bytes
    meta: dict[str, Any] = field(default_factory=dict)


def pack(root: str, body: bytes, **meta: Any) -> bytes:
    header = json.dumps({"root": root, **meta}, sort_keys=True, separators=(",", ":")).encode()
    return bytes([FORMAT_V2]) + len(header).to_bytes(2, "big") + header + body


def unpack(record: bytes) -> WrappedKek:
    if record[:1] == bytes([_LEGACY_FILE_FORMAT]):
        return WrappedKek("file", record)
    if record[:1] != bytes([FORMAT_V2]) or len(record) < 3:
        raise RootOfTrustError("the stored key-encryption key record is not in a format this server reads")
    size = int.from_bytes(record[1:3], "big")
    try:
        header = json.loads(record[3:3 + size])
        root = header.pop("root")
    except (ValueError, KeyError, AttributeError):
        raise RootOfTrustError("the stored key-encryption key record has a damaged header") from None
    return WrappedKek(root, record[3 + size:], header)


def unpack_for(record: bytes, root: str) -> WrappedKek:
    """The record, if the root of kind ``root`` wrapped it; otherwise a clear error naming both kinds."""
    wrapped = unpack(record)
    if wrapped.root != root:
        raise RootOfTrustError(
            f"this data store's key-encryption key is wrapped by the {wrapped.root!r} root of trust, but the "
            f"server is configured for {root!r}; configure {wrapped.root!r}, or move the data store with "
            "`strongroom operator migrate-root`")
    return wrapped
