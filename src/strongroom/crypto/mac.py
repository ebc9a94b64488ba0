"""HMAC keys (RFC 2104): HMAC_224/256/384/512 with SHA-224/256/384/512, verified in constant time."""

from __future__ import annotations

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, hmac

from strongroom.crypto.opaque import Opaque

_HASHES: dict[str, type[hashes.HashAlgorithm]] = {
    "HMAC_224": hashes.SHA224, "HMAC_256": hashes.SHA256, "HMAC_384": hashes.SHA384, "HMAC_512": hashes.SHA512,
}


class HmacKey(Opaque):
    """One HMAC key of a spec; the MAC algorithm is the spec's (HMAC_256 → HMAC_SHA_256)."""

    __slots__ = ("_hash", "_key")

    def __init__(self, key_spec: str, key: bytes) -> None:
        self._hash = _HASHES[key_spec]
        self._key = bytes(key)

    def mac(self, message: bytes) -> bytes:
        h = hmac.HMAC(self._key, self._hash())
        h.update(message)
        return h.finalize()

    def verify(self, message: bytes, mac: bytes) -> bool:
        """Constant-time comparison (pyca's ``HMAC.verify``); a MAC of the wrong length is simply invalid."""
        h = hmac.HMAC(self._key, self._hash())
        h.update(message)
        try:
            h.verify(mac)
        except InvalidSignature:
            return False
        return True
