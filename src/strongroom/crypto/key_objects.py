"""Asymmetric keys as objects that arrive and leave in a caller's encoding (KMIP's Register and Get), and public keys
held on their own.

At rest a private key is PKCS#8 DER, exactly as ``keygen`` makes it, so it is one key spec's material whatever
encoding it came in; a public key is a DER SubjectPublicKeyInfo. ``PRIVATE_ENCODINGS`` and ``PUBLIC_ENCODINGS``
name the encodings offered: PKCS#8 / PKCS#1 (RSA; for EC keys the SEC 1 structure) and SubjectPublicKeyInfo /
PKCS#1 (RSA). A public key verifies signatures with the algorithm names of ``crypto/asymmetric.py``.
"""

from __future__ import annotations

from typing import Any

from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, padding, rsa

from strongroom.crypto.keygen import CURVES, pkcs8, spki
from strongroom.errors import InvalidRequestError, UnsupportedError

PKCS8, PKCS1, SPKI = "PKCS8", "PKCS1", "SPKI"
PRIVATE_ENCODINGS = (PKCS8, PKCS1)
PUBLIC_ENCODINGS = (SPKI, PKCS1)
_CURVE_SPECS = {cls.name: spec for spec, cls in CURVES.items()}
_HASHES: dict[str, type[hashes.HashAlgorithm]] = {
    "SHA_1": hashes.SHA1, "SHA_224": hashes.SHA224, "SHA_256": hashes.SHA256, "SHA_384": hashes.SHA384,
    "SHA_512": hashes.SHA512,
}


def _spec_of(key: Any) -> str:
    if isinstance(key, rsa.RSAPrivateKey | rsa.RSAPublicKey):
        return f"RSA_{key.key_size}"  # only 2048, 3072 and 4096 are key specs that other protocols use
    if isinstance(key, ec.EllipticCurvePrivateKey | ec.EllipticCurvePublicKey):
        spec = _CURVE_SPECS.get(key.curve.name)
        if spec is None:
            raise UnsupportedError(f"the curve {key.curve.name} is not supported")
        return spec
    if isinstance(key, ed25519.Ed25519PrivateKey | ed25519.Ed25519PublicKey):
        return "ECC_NIST_EDWARDS25519"
    raise UnsupportedError("this kind of asymmetric key is not supported")


def private_key_at_rest(der: bytes) -> tuple[str, bytes, str]:
    """A DER private key (PKCS#8, or PKCS#1 / SEC 1): its key spec, its PKCS#8 DER and the encoding it came in."""
    try:
        private = serialization.load_der_private_key(der, password=None)
    except (ValueError, TypeError, UnsupportedAlgorithm):
        raise InvalidRequestError("the key material is not a DER private key (PKCS#8, PKCS#1 or SEC 1)") from None
    at_rest = pkcs8(private)
    return _spec_of(private), at_rest, PKCS8 if at_rest == der else PKCS1


def private_key_encoded(at_rest: bytes, encoding: str) -> bytes:
    """A PKCS#8 DER private key in ``encoding``."""
    if encoding == PKCS8:
        return at_rest
    if encoding != PKCS1:
        raise UnsupportedError(f"private keys are given out as {' or '.join(PRIVATE_ENCODINGS)}, not {encoding}")
    private = serialization.load_der_private_key(at_rest, password=None)
    if isinstance(private, ed25519.Ed25519PrivateKey):
        raise UnsupportedError("an Ed25519 private key has no PKCS#1 encoding")
    return private.private_bytes(serialization.Encoding.DER, serialization.PrivateFormat.TraditionalOpenSSL,
                                 serialization.NoEncryption())


def public_key_at_rest(der: bytes) -> tuple[str, bytes, str]:
    """A DER public key (SubjectPublicKeyInfo, or an RSA PKCS#1 RSAPublicKey): its key spec, its SPKI DER and the
    encoding it came in."""
    try:
        public = serialization.load_der_public_key(der)
    except (ValueError, TypeError, UnsupportedAlgorithm):
        raise InvalidRequestError("the key material is not a DER public key (SubjectPublicKeyInfo or PKCS#1)") \
            from None
    at_rest = spki(public)
    return _spec_of(public), at_rest, SPKI if at_rest == der else PKCS1


def public_key_encoded(at_rest: bytes, encoding: str) -> bytes:
    """A SubjectPublicKeyInfo in ``encoding``."""
    if encoding == SPKI:
        return at_rest
    public = serialization.load_der_public_key(at_rest)
    if encoding != PKCS1 or not isinstance(public, rsa.RSAPublicKey):
        raise UnsupportedError(f"this public key is given out as {SPKI}, not {encoding}")
    return public.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.PKCS1)


def public_key_of(private_at_rest: bytes) -> bytes:
    """The SubjectPublicKeyInfo of a PKCS#8 private key."""
    return spki(serialization.load_der_private_key(private_at_rest, password=None).public_key())


class PublicKeyMaterial:
    """A public key on its own (public, so printable); verifies RSA (PSS, PKCS#1 v1.5), ECDSA and Ed25519."""

    __slots__ = ("_public",)

    def __init__(self, spki_der: bytes) -> None:
        self._public = serialization.load_der_public_key(spki_der)

    def verify(self, algorithm: str, message: bytes, signature: bytes) -> bool:
        """``algorithm`` as AWS names it (``RSASSA_PSS_SHA_256``, ``ECDSA_SHA_384``, ``ED25519_SHA_512``, ...)."""
        public = self._public
        try:
            if isinstance(public, rsa.RSAPublicKey) and algorithm.startswith("RSASSA_"):
                digest = _hash(algorithm)
                pad: padding.AsymmetricPadding = padding.PKCS1v15()
                if algorithm.startswith("RSASSA_PSS"):
                    pad = padding.PSS(mgf=padding.MGF1(digest), salt_length=padding.PSS.AUTO)
                public.verify(signature, message, pad, digest)
            elif isinstance(public, ec.EllipticCurvePublicKey) and algorithm.startswith("ECDSA_"):
                public.verify(signature, message, ec.ECDSA(_hash(algorithm)))
            elif isinstance(public, ed25519.Ed25519PublicKey) and algorithm == "ED25519_SHA_512":
                public.verify(signature, message)
            else:
                raise InvalidRequestError(f"{algorithm} does not suit this public key")
        except (InvalidSignature, ValueError):
            return False
        return True


def _hash(algorithm: str) -> hashes.HashAlgorithm:
    for name, cls in _HASHES.items():
        if algorithm.endswith(name):
            return cls()
    raise InvalidRequestError(f"no hash in the algorithm {algorithm}")
