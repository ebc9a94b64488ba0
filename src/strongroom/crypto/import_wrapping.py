"""BYOK: the RSA wrapping key of GetParametersForImport, and unwrapping EncryptedKeyMaterial as AWS defines it.

* RSAES_OAEP_SHA_1 / RSAES_OAEP_SHA_256: the key material encrypted directly with RSAES-OAEP (MGF1 with the
  same hash, no label).
* RSA_AES_KEY_WRAP_SHA_1 / RSA_AES_KEY_WRAP_SHA_256: an ephemeral AES key encrypted with RSAES-OAEP (its
  length is the RSA modulus length), followed by the key material wrapped under that AES key with AES Key
  Wrap with Padding (RFC 5649), i.e. ``openssl pkeyutl ... rsa_padding_mode:oaep`` then
  ``openssl enc -id-aes256-wrap-pad``, concatenated.

Any failure to unwrap is the one opaque InvalidCiphertextError.
"""

from __future__ import annotations

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.hazmat.primitives.keywrap import InvalidUnwrap, aes_key_unwrap_with_padding

from strongroom.crypto.keygen import pkcs8, rsa_private_key, spki
from strongroom.errors import InvalidCiphertextError

_AES_KEY_BYTES = (16, 24, 32)


def new_wrapping_key(wrapping_key_spec: str) -> tuple[bytes, bytes]:
    """A fresh RSA wrapping key pair: (PKCS#8 DER private key, DER SubjectPublicKeyInfo)."""
    private = rsa_private_key(int(wrapping_key_spec.removeprefix("RSA_")))
    return pkcs8(private), spki(private.public_key())


def _oaep(algorithm: str) -> padding.OAEP:
    h: hashes.HashAlgorithm = hashes.SHA1() if algorithm.endswith("SHA_1") else hashes.SHA256()
    return padding.OAEP(mgf=padding.MGF1(h), algorithm=h, label=None)


def unwrap_key_material(wrapping_private_der: bytes, algorithm: str, encrypted: bytes) -> bytes:
    private = serialization.load_der_private_key(wrapping_private_der, password=None)
    assert isinstance(private, rsa.RSAPrivateKey)
    try:
        if algorithm.startswith("RSAES_OAEP"):
            return private.decrypt(encrypted, _oaep(algorithm))
        modulus_bytes = private.key_size // 8
        aes_key = private.decrypt(encrypted[:modulus_bytes], _oaep(algorithm))
        if len(aes_key) not in _AES_KEY_BYTES:
            raise ValueError("not an AES key")
        return aes_key_unwrap_with_padding(aes_key, encrypted[modulus_bytes:])
    except (ValueError, InvalidUnwrap):
        raise InvalidCiphertextError() from None
