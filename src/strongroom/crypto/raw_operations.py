"""Raw operations on one key version's material, with the algorithms cloud key APIs offer beyond Transit's:
RSAES-OAEP with SHA-1 or SHA-256, RSAES-PKCS1-v1_5, AES key wrap (RFC 3394), AES-GCM with the nonce made here,
signatures over a caller-computed digest (RSASSA-PKCS1-v1_5, RSASSA-PSS with salt = digest length, ECDSA in IEEE
P1363 r||s form), unwrapping CKM_RSA_AES_KEY_WRAP transfer blobs; and a public key as numbers.

``load`` turns a version's material (``VersionedKey.backup_entry``) into the key object the others take: a pyca
private key, or the raw bytes of a symmetric key. Every decrypt or unwrap failure is the one opaque
InvalidCiphertextError.
"""

from __future__ import annotations

import base64
import os
from dataclasses import dataclass
from typing import Any

from cryptography.exceptions import InvalidSignature, InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa, utils
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.keywrap import (
    InvalidUnwrap,
    aes_key_unwrap,
    aes_key_unwrap_with_padding,
    aes_key_wrap,
)
from cryptography.hazmat.primitives.serialization import load_pem_public_key

from strongroom.crypto import versioned_keys as vk
from strongroom.errors import InvalidCiphertextError, InvalidRequestError, KeyUsageError

RSA_OAEP_SHA_1 = "RSAES_OAEP_SHA_1"
RSA_OAEP_SHA_256 = "RSAES_OAEP_SHA_256"
RSA_PKCS1_V1_5 = "RSAES_PKCS1_V1_5"
AES_KEY_WRAP = "AES_KEY_WRAP"
AES_GCM = "AES_GCM"
CIPHERS = (RSA_OAEP_SHA_1, RSA_OAEP_SHA_256, RSA_PKCS1_V1_5, AES_KEY_WRAP, AES_GCM)
SIGNING = ("RSASSA_PKCS1_V1_5", "RSASSA_PSS", "ECDSA")
DIGESTS: dict[str, type[hashes.HashAlgorithm]] = {"SHA_256": hashes.SHA256, "SHA_384": hashes.SHA384,
                                                   "SHA_512": hashes.SHA512}
GCM_NONCE_BYTES = 12
GCM_TAG_BYTES = 16
_CURVES = {"secp256r1": "P-256", "secp384r1": "P-384", "secp521r1": "P-521"}
_EC_SPECS: dict[str, type[ec.EllipticCurve]] = {"ECC_NIST_P256": ec.SECP256R1, "ECC_NIST_P384": ec.SECP384R1,
                                                "ECC_NIST_P521": ec.SECP521R1}


@dataclass(frozen=True, slots=True)
class RawSealed:
    """An encryption's output; ``nonce`` and ``tag`` only for AES-GCM."""

    ciphertext: bytes
    nonce: bytes | None = None
    tag: bytes | None = None


@dataclass(frozen=True, slots=True)
class PublicNumbers:
    """A public key: ``n``/``e`` for RSA, ``curve`` (P-256, P-384, P-521) and ``x``/``y`` for EC; nothing for
    symmetric keys."""

    n: int | None = None
    e: int | None = None
    curve: str | None = None
    x: int | None = None
    y: int | None = None
    size: int = 0  # bits: the modulus, the curve or the symmetric key


def load(key_spec: str, entry: dict[str, Any]) -> Any:
    """The key object of a version's material (its backup entry)."""
    if key_spec in vk.AEAD_KEY_BYTES:
        return base64.b64decode(entry["key"])
    if key_spec in vk.RSA_SPECS:
        r = entry["rsa_key"]
        p, q = r["Primes"]
        return rsa.RSAPrivateNumbers(p, q, r["D"], r["Precomputed"]["Dp"], r["Precomputed"]["Dq"],
                                     r["Precomputed"]["Qinv"], rsa.RSAPublicNumbers(r["E"], r["N"])).private_key(
            unsafe_skip_rsa_key_validation=True)
    if key_spec in vk.ECDSA_SPECS:
        return ec.EllipticCurvePrivateNumbers(entry["ec_d"], ec.EllipticCurvePublicNumbers(
            entry["ec_x"], entry["ec_y"], _EC_SPECS[key_spec]())).private_key()
    raise KeyUsageError(f"key spec {key_spec} has no raw operations")


def public_numbers(key_spec: str, public_pem: str | None) -> PublicNumbers:
    if key_spec in vk.AEAD_KEY_BYTES:
        return PublicNumbers(size=vk.AEAD_KEY_BYTES[key_spec] * 8)
    public: Any = load_pem_public_key((public_pem or "").encode())
    if isinstance(public, rsa.RSAPublicKey):
        numbers = public.public_numbers()
        return PublicNumbers(n=numbers.n, e=numbers.e, size=public.key_size)
    if isinstance(public, ec.EllipticCurvePublicKey):
        point = public.public_numbers()
        return PublicNumbers(curve=_CURVES.get(public.curve.name, public.curve.name), x=point.x, y=point.y,
                             size=public.curve.key_size)
    raise KeyUsageError(f"key spec {key_spec} has no public numbers")


def encrypt(key: Any, algorithm: str, plaintext: bytes, associated_data: bytes = b"") -> RawSealed:
    if algorithm == AES_GCM:
        _check_symmetric(key, algorithm)
        nonce = os.urandom(GCM_NONCE_BYTES)
        out = AESGCM(key).encrypt(nonce, plaintext, associated_data or None)
        return RawSealed(out[:-GCM_TAG_BYTES], nonce, out[-GCM_TAG_BYTES:])
    if algorithm == AES_KEY_WRAP:
        _check_symmetric(key, algorithm)
        if len(plaintext) < 16 or len(plaintext) % 8:
            raise InvalidRequestError("AES key wrap takes a multiple of 8 bytes, at least 16")
        return RawSealed(aes_key_wrap(key, plaintext))
    if not isinstance(key, rsa.RSAPrivateKey):
        raise KeyUsageError(f"{algorithm} needs an RSA key")
    try:
        return RawSealed(key.public_key().encrypt(plaintext, _rsa_padding(algorithm)))
    except ValueError:
        raise InvalidRequestError(f"the plaintext is too long for {algorithm} with this key") from None


def decrypt(key: Any, algorithm: str, ciphertext: bytes, *, nonce: bytes | None = None, tag: bytes | None = None,
            associated_data: bytes = b"") -> bytes:
    try:
        if algorithm == AES_GCM:
            _check_symmetric(key, algorithm)
            if nonce is None or tag is None or len(tag) != GCM_TAG_BYTES:
                raise InvalidCiphertextError()
            return AESGCM(key).decrypt(nonce, ciphertext + tag, associated_data or None)
        if algorithm == AES_KEY_WRAP:
            _check_symmetric(key, algorithm)
            return aes_key_unwrap(key, ciphertext)
        if not isinstance(key, rsa.RSAPrivateKey):
            raise KeyUsageError(f"{algorithm} needs an RSA key")
        return key.decrypt(ciphertext, _rsa_padding(algorithm))
    except (ValueError, InvalidTag, InvalidUnwrap):
        raise InvalidCiphertextError() from None


def unwrap_transfer(key: Any, blob: bytes) -> bytes:
    """Key material wrapped with PKCS#11's CKM_RSA_AES_KEY_WRAP: RSAES-OAEP-SHA-1 of an ephemeral AES key, one
    modulus long, then that key's AES key wrap with padding (RFC 5649)."""
    if not isinstance(key, rsa.RSAPrivateKey):
        raise KeyUsageError("a transfer blob is wrapped for an RSA key")
    size = key.key_size // 8
    try:
        ephemeral = key.decrypt(blob[:size], _rsa_padding(RSA_OAEP_SHA_1))
        return aes_key_unwrap_with_padding(ephemeral, blob[size:])
    except (ValueError, InvalidUnwrap):
        raise InvalidCiphertextError() from None


def sign(key: Any, scheme: str, hash_name: str, digest: bytes) -> bytes:
    """The signature of ``digest`` (ECDSA: r||s, each the curve's size)."""
    prehashed = _prehashed(hash_name, digest)
    if scheme == "ECDSA":
        if not isinstance(key, ec.EllipticCurvePrivateKey):
            raise KeyUsageError("ECDSA needs an EC key")
        r, s = utils.decode_dss_signature(key.sign(digest, ec.ECDSA(prehashed)))
        size = (key.curve.key_size + 7) // 8
        return r.to_bytes(size, "big") + s.to_bytes(size, "big")
    if not isinstance(key, rsa.RSAPrivateKey):
        raise KeyUsageError(f"{scheme} needs an RSA key")
    return key.sign(digest, _signature_padding(scheme, hash_name), prehashed)


def verify(key: Any, scheme: str, hash_name: str, digest: bytes, signature: bytes) -> bool:
    prehashed = _prehashed(hash_name, digest)
    try:
        if scheme == "ECDSA":
            if not isinstance(key, ec.EllipticCurvePrivateKey):
                raise KeyUsageError("ECDSA needs an EC key")
            half = len(signature) // 2
            if not half or len(signature) % 2:
                return False
            der = utils.encode_dss_signature(int.from_bytes(signature[:half], "big"),
                                             int.from_bytes(signature[half:], "big"))
            key.public_key().verify(der, digest, ec.ECDSA(prehashed))
        else:
            if not isinstance(key, rsa.RSAPrivateKey):
                raise KeyUsageError(f"{scheme} needs an RSA key")
            key.public_key().verify(signature, digest, _signature_padding(scheme, hash_name), prehashed)
    except (InvalidSignature, ValueError):
        return False
    return True


def _check_symmetric(key: Any, algorithm: str) -> None:
    if not isinstance(key, bytes):
        raise KeyUsageError(f"{algorithm} needs a symmetric key")


def _rsa_padding(algorithm: str) -> padding.AsymmetricPadding:
    if algorithm == RSA_PKCS1_V1_5:
        return padding.PKCS1v15()
    if algorithm in (RSA_OAEP_SHA_1, RSA_OAEP_SHA_256):
        h = hashes.SHA1() if algorithm == RSA_OAEP_SHA_1 else hashes.SHA256()
        return padding.OAEP(mgf=padding.MGF1(h), algorithm=h, label=None)
    raise KeyUsageError(f"{algorithm} is not an RSA encryption algorithm")


def _hash(hash_name: str) -> hashes.HashAlgorithm:
    try:
        return DIGESTS[hash_name]()
    except KeyError:
        raise InvalidRequestError(f"unknown digest {hash_name}") from None


def _prehashed(hash_name: str, digest: bytes) -> utils.Prehashed:
    h = _hash(hash_name)
    if len(digest) != h.digest_size:
        raise InvalidRequestError(f"a {hash_name} digest is {h.digest_size} bytes, not {len(digest)}")
    return utils.Prehashed(h)


def _signature_padding(scheme: str, hash_name: str) -> padding.AsymmetricPadding:
    if scheme == "RSASSA_PSS":
        return padding.PSS(mgf=padding.MGF1(_hash(hash_name)), salt_length=padding.PSS.DIGEST_LENGTH)
    if scheme == "RSASSA_PKCS1_V1_5":
        return padding.PKCS1v15()
    raise KeyUsageError(f"{scheme} is not an RSA signature scheme")
