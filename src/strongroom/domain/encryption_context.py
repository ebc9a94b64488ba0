"""The canonical, unambiguous byte encoding of an encryption context, and of associated data in general.

Each pair is written as length-prefixed UTF-8 key and value, pairs sorted by key bytes, so that
``{"ab": "c"}`` and ``{"a": "bc"}`` never encode alike (plain concatenation, as some emulators do, would).
The encoding is bound into every ciphertext as authenticated data; it must never change.
"""

from __future__ import annotations

from collections.abc import Mapping

_EMPTY = b""


def canonical_encryption_context(context: Mapping[str, str] | None) -> bytes:
    if not context:
        return _EMPTY
    pairs = sorted((k.encode("utf-8"), v.encode("utf-8")) for k, v in context.items())
    out = bytearray(len(pairs).to_bytes(4, "big"))
    for key, value in pairs:
        out += len(key).to_bytes(4, "big")
        out += key
        out += len(value).to_bytes(4, "big")
        out += value
    return bytes(out)


# Raw associated data is bound behind a pair count no context reaches, so it never equals a context's encoding.
_RAW_PREFIX = b"\xff\xff\xff\xff"

AssociatedData = Mapping[str, str] | bytes | None
"""What a caller binds to a ciphertext: an encryption context (string pairs, AWS-style) or raw bytes."""


def associated_data_bytes(data: AssociatedData) -> bytes:
    """The authenticated bytes of either kind; no data and empty data are the same."""
    if isinstance(data, bytes):
        return _RAW_PREFIX + data if data else _EMPTY
    return canonical_encryption_context(data)

