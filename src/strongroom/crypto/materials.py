"""Stored key material made usable, and imported key material checked and put in canonical form.

``load_usable`` turns the unwrapped material of one key version into the object its spec needs: an
``Aead`` (SYMMETRIC_DEFAULT), an ``HmacKey`` or an ``AsymmetricKey``. None of them can be printed or pickled.
"""

from __future__ import annotations

import hashlib

from strongroom.crypto.aead import Aead
from strongroom.crypto.asymmetric import AsymmetricKey, asymmetric_key
from strongroom.crypto.keygen import load_private, pkcs8
from strongroom.crypto.mac import HmacKey
from strongroom.domain import key_specs as specs
from strongroom.domain.key_specs import Family
from strongroom.errors import IncorrectKeyMaterialError, InternalError

UsableKey = Aead | HmacKey | AsymmetricKey
_FINGERPRINT_LABEL = b"strongroom/key-material-id/v1\x00"


def load_usable(key_spec: str, material: bytes) -> UsableKey:
    fam = specs.family(key_spec)
    if fam is Family.SYMMETRIC:
        return Aead(material)
    if fam is Family.HMAC:
        return HmacKey(key_spec, material)
    try:
        return asymmetric_key(key_spec, load_private(key_spec, material))
    except ValueError:
        raise InternalError(f"stored key material does not match its key spec {key_spec}") from None


def canonical_material(key_spec: str, material: bytes) -> bytes:
    """Imported material checked against the key's spec, re-encoded so one key always has one encoding:
    32 bytes (symmetric), the HMAC key (its spec's length up to the hash's block size), or PKCS#8 DER."""
    fam = specs.family(key_spec)
    if fam is Family.SYMMETRIC:
        if len(material) != 32:
            raise IncorrectKeyMaterialError("Key material for a SYMMETRIC_DEFAULT key must be 256 bits (32 bytes).")
        return material
    if fam is Family.HMAC:
        low, high = specs.hmac_key_lengths(key_spec)
        if not low <= len(material) <= high:
            raise IncorrectKeyMaterialError(f"Key material for an {key_spec} key must be {low} to {high} bytes.")
        return material
    try:
        return pkcs8(load_private(key_spec, material))
    except ValueError:
        raise IncorrectKeyMaterialError(f"The key material is not a DER-encoded PKCS#8 private key of key spec "
                                        f"{key_spec}.") from None


def material_fingerprint(key_id: str, material: bytes) -> str:
    """The KeyMaterialId of imported material: derived from the key id and the material, as AWS derives it,
    so re-importing the same material is recognised. One-way; it reveals nothing about the material."""
    return hashlib.sha256(_FINGERPRINT_LABEL + key_id.encode() + b"\x00" + material).hexdigest()
