"""BSON values as FLE1 encrypts them: a type byte and the value's raw bytes, with no field name.

A value is encoded as the one-field document ``{"v": value}`` with the ``bson`` package and cut out of it, so
every BSON type pymongo can write is supported, with the caller's ``CodecOptions``. Which types each algorithm
accepts mirrors libmongocrypt: null, undefined, MinKey, MaxKey and Binary subtype 6 are never encrypted, and
the deterministic algorithm refuses the types whose equality is not byte equality (double, decimal128, bool,
document, array, code with scope).
"""

from __future__ import annotations

import struct
from typing import Any

import bson
from bson.codec_options import CodecOptions

from strongroom_client.errors import DecryptionError, EncryptionError

BINARY = 0x05
NEVER_ENCRYPTED = frozenset({0x06, 0x0A, 0x7F, 0xFF})  # undefined, null, MaxKey, MinKey
NOT_DETERMINISTIC = frozenset({0x01, 0x03, 0x04, 0x08, 0x0F, 0x13})  # double, doc, array, bool, code w/ scope, dec128
ENCRYPTED_BINARY_SUBTYPE = 6

_FIELD = b"v\x00"


def encode_value(value: Any, codec_options: CodecOptions) -> tuple[int, bytes]:
    """``(bson type byte, raw value bytes)`` of ``value``."""
    try:
        document = bson.encode({"v": value}, codec_options=codec_options)
    except (bson.errors.InvalidDocument, TypeError, ValueError) as exc:
        raise EncryptionError(f"cannot encode a {type(value).__name__} as BSON: {exc}") from None
    return document[4], document[4 + 1 + len(_FIELD) : -1]


def decode_value(bson_type: int, raw: bytes, codec_options: CodecOptions) -> Any:
    """The Python value of a raw BSON value, the inverse of :func:`encode_value`."""
    body = bytes([bson_type]) + _FIELD + raw + b"\x00"
    document = struct.pack("<i", len(body) + 4) + body
    try:
        return bson.decode(document, codec_options=codec_options)["v"]
    except Exception:  # any malformed value is the same opaque failure
        raise DecryptionError("decryption failed") from None


def check_encryptable(bson_type: int, raw: bytes, *, deterministic: bool) -> None:
    """Raise :class:`EncryptionError` if the algorithm cannot take a value of this BSON type."""
    if bson_type in NEVER_ENCRYPTED:
        raise EncryptionError(f"BSON type 0x{bson_type:02x} cannot be encrypted")
    if bson_type == BINARY and len(raw) > 4 and raw[4] == ENCRYPTED_BINARY_SUBTYPE:
        raise EncryptionError("BSON Binary subtype 6 (already encrypted) cannot be encrypted")
    if deterministic and bson_type in NOT_DETERMINISTIC:
        raise EncryptionError(f"BSON type 0x{bson_type:02x} cannot be encrypted with the deterministic algorithm")
