"""The self-describing ciphertext blob of a symmetric KMS key.

    format (1 byte, 0x01) | key id (16 bytes, UUID) | key version (4 bytes, big-endian) | AES-GCM output

The header is authenticated: AAD = header || canonical encryption context. Decrypt needs no KeyId because
the blob names its key and version. Overhead: 21 + 12 + 16 = 49 bytes, so a 4096-byte plaintext gives a
4145-byte blob, well under AWS's 6144-byte cap.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from functools import lru_cache

from strongroom.crypto.aead import OVERHEAD, Aead
from strongroom.errors import InvalidCiphertextError

FORMAT_V1 = 1
HEADER_BYTES = 21


@dataclass(frozen=True, slots=True)
class BlobHeader:
    key_id: str
    version: int


@lru_cache(maxsize=65536)
def _key_id_bytes(key_id: str) -> bytes:
    return uuid.UUID(key_id).bytes


@lru_cache(maxsize=65536)
def _key_id_text(raw: bytes) -> str:
    return str(uuid.UUID(bytes=raw))


def _header(key_id: str, version: int) -> bytes:
    return bytes([FORMAT_V1]) + _key_id_bytes(key_id) + version.to_bytes(4, "big")


def seal(aead: Aead, key_id: str, version: int, plaintext: bytes, context: bytes) -> bytes:
    header = _header(key_id, version)
    return header + aead.seal(plaintext, header + context)


def read_header(blob: bytes) -> BlobHeader:
    """Which key and version made this blob. Anything malformed is the one opaque error."""
    if len(blob) < HEADER_BYTES + OVERHEAD or blob[0] != FORMAT_V1:
        raise InvalidCiphertextError()
    return BlobHeader(_key_id_text(blob[1:17]), int.from_bytes(blob[17:21], "big"))


def open_blob(aead: Aead, blob: bytes, context: bytes) -> bytes:
    return aead.open(blob[HEADER_BYTES:], blob[:HEADER_BYTES] + context)
