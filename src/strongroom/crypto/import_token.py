"""The ImportToken of GetParametersForImport: self-contained, bound to one key, expiring after 24 hours.

    format (1 byte, 0x01) | key id (16, UUID) | expires at (8, epoch seconds, big-endian) |
    wrapping algorithm (1) | wrapping key spec (1) | the RSA wrapping private key, wrapped under the KEK

The wrapped private key is bound to the label ``import-token/<hex of the 27-byte header>``, so a token
whose header was altered, or that is presented for another key, does not unwrap. Nothing is stored.
"""

from __future__ import annotations

import struct
import uuid
from dataclasses import dataclass

from strongroom.domain.key_specs import WRAPPING_ALGORITHMS, WRAPPING_KEY_SPECS
from strongroom.errors import InvalidImportTokenError

FORMAT_V1 = 1
_HEADER = struct.Struct(">B16sQBB")
INVALID = "The import token is invalid or is associated with a different KMS key."


@dataclass(frozen=True, slots=True)
class TokenHeader:
    key_id: str
    expires_at: int
    wrapping_algorithm: str
    wrapping_key_spec: str

    def encode(self) -> bytes:
        return _HEADER.pack(FORMAT_V1, uuid.UUID(self.key_id).bytes, self.expires_at,
                            WRAPPING_ALGORITHMS.index(self.wrapping_algorithm),
                            WRAPPING_KEY_SPECS.index(self.wrapping_key_spec))


def token_label(header: bytes) -> str:
    return f"import-token/{header.hex()}"


def split_token(token: bytes) -> tuple[TokenHeader, bytes, bytes]:
    """(header, header bytes, wrapped private key); anything malformed is InvalidImportTokenError."""
    if len(token) <= _HEADER.size:
        raise InvalidImportTokenError(INVALID)
    fmt, key_id, expires_at, algorithm, spec = _HEADER.unpack(token[:_HEADER.size])
    if fmt != FORMAT_V1 or algorithm >= len(WRAPPING_ALGORITHMS) or spec >= len(WRAPPING_KEY_SPECS):
        raise InvalidImportTokenError(INVALID)
    header = TokenHeader(str(uuid.UUID(bytes=key_id)), expires_at, WRAPPING_ALGORITHMS[algorithm],
                         WRAPPING_KEY_SPECS[spec])
    return header, token[:_HEADER.size], token[_HEADER.size:]
