"""The explicit-encryption payload: what goes inside BSON Binary subtype 6.

    blob subtype (1: 1 deterministic, 2 random) || data key _id (16) || original BSON type (1) || C

``C`` is the FLE1 ciphertext of the raw BSON value with the first 18 bytes as associated data, so the key id,
the algorithm and the value's type are all authenticated. Queryable Encryption payloads (other subtypes) are
not FLE1 and are refused.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from bson.binary import Binary

from strongroom_client.errors import ConfigurationError, DecryptionError

ENCRYPTED_SUBTYPE = 6
HEADER_BYTES = 18


class Algorithm(StrEnum):
    """The two FLE1 algorithms, by the names MongoDB uses."""

    DETERMINISTIC = "AEAD_AES_256_CBC_HMAC_SHA_512-Deterministic"
    RANDOM = "AEAD_AES_256_CBC_HMAC_SHA_512-Random"

    @property
    def blob_subtype(self) -> int:
        return 1 if self is Algorithm.DETERMINISTIC else 2

    @classmethod
    def parse(cls, name: str) -> Algorithm:
        try:
            return cls(name)
        except ValueError:
            allowed = ", ".join(a.value for a in cls)
            raise ConfigurationError(f"unknown algorithm {name!r}; expected one of {allowed}") from None


@dataclass(frozen=True)
class Payload:
    """A parsed subtype-6 payload."""

    algorithm: Algorithm
    key_id: bytes
    bson_type: int
    ciphertext: bytes

    @property
    def associated_data(self) -> bytes:
        return header(self.algorithm, self.key_id, self.bson_type)

    def to_binary(self) -> Binary:
        return Binary(self.associated_data + self.ciphertext, ENCRYPTED_SUBTYPE)


def header(algorithm: Algorithm, key_id: bytes, bson_type: int) -> bytes:
    """The 18 bytes that open a payload and are its associated data."""
    if len(key_id) != 16:
        raise ValueError("a data key id is 16 bytes")
    return bytes([algorithm.blob_subtype]) + key_id + bytes([bson_type])


def parse(value: Any) -> Payload:
    """Split a Binary subtype 6 made by FLE1 explicit encryption; :class:`DecryptionError` otherwise."""
    if not isinstance(value, Binary) or value.subtype != ENCRYPTED_SUBTYPE:
        raise DecryptionError("not an encrypted value: expected BSON Binary subtype 6")
    data = bytes(value)
    if len(data) <= HEADER_BYTES or data[0] not in (1, 2):
        raise DecryptionError("not an AEAD_AES_256_CBC_HMAC_SHA_512 (FLE1) encrypted value")
    algorithm = Algorithm.DETERMINISTIC if data[0] == 1 else Algorithm.RANDOM
    return Payload(algorithm, data[1:17], data[17], data[HEADER_BYTES:])
