"""Asymmetric KMS keys in use, one small class per kind of key pair, each offering what its spec can do.

* RSA: RSASSA-PSS (MGF1 with the same hash, salt length = digest length) and RSASSA-PKCS1-v1_5 signatures;
  RSAES-OAEP with SHA-1 or SHA-256 (MGF1 with the same hash, no label) encryption.
* ECC (NIST curves, secp256k1): ECDSA with DER signatures; ECDH (the raw x-coordinate) on NIST curves.
* Ed25519: pure Ed25519 (ED25519_SHA_512). Ed25519ph (ED25519_PH_SHA_512) is not in pyca/cryptography.
* ML-DSA: pure ML-DSA with an empty context, or over a caller-computed 64-byte mu (EXTERNAL_MU).
* ML-KEM: encapsulate with the public key, decapsulate (implicit rejection) with the private key.

A DIGEST message is signed as given (pyca's ``Prehashed``): never hashed again. ``verify`` answers a bool;
any malformed signature is simply invalid. Decrypt and decapsulate failures are the one opaque error.
"""

from __future__ import annotations

from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, utils

from strongroom.crypto.keygen import spki
from strongroom.crypto.opaque import Opaque
from strongroom.domain import key_specs as specs
from strongroom.domain.key_specs import Family
from strongroom.errors import InvalidCiphertextError, InvalidRequestError, UnsupportedError

_HASHES: dict[str, type[hashes.HashAlgorithm]] = {
    "SHA_1": hashes.SHA1, "SHA_256": hashes.SHA256, "SHA_384": hashes.SHA384, "SHA_512": hashes.SHA512,
}
ED25519PH_UNSUPPORTED = ("ED25519_PH_SHA_512 (Ed25519ph, the RFC 8032 pre-hash variant) is not supported: the "
                         "installed pyca/cryptography offers only pure Ed25519 (ED25519_SHA_512).")


def _hash(algorithm: str) -> hashes.HashAlgorithm:
    return _HASHES["SHA_1" if algorithm.endswith("SHA_1") else specs.signing_hash(algorithm) or "SHA_256"]()


def _message_hash(algorithm: str, message_type: str) -> Any:
    """The hash argument for pyca: the algorithm's hash, or ``Prehashed`` so a DIGEST is not hashed again."""
    h = _hash(algorithm)
    return utils.Prehashed(h) if message_type == specs.DIGEST else h


def _checked(verify: Any, *args: Any) -> bool:
    try:
        verify(*args)
    except (InvalidSignature, ValueError):
        return False
    return True


class AsymmetricKey(Opaque):
    __slots__ = ("_private", "_public_der")

    def __init__(self, private: Any) -> None:
        self._private = private
        self._public_der: bytes | None = None

    def public_key_der(self) -> bytes:
        """The DER-encoded X.509 SubjectPublicKeyInfo that GetPublicKey returns."""
        if self._public_der is None:
            self._public_der = spki(self._private.public_key())
        return self._public_der

    def sign(self, algorithm: str, message: bytes, message_type: str) -> bytes:
        raise UnsupportedError(f"{algorithm} signing is not available for this key.")

    def verify(self, algorithm: str, message: bytes, message_type: str, signature: bytes) -> bool:
        raise UnsupportedError(f"{algorithm} verification is not available for this key.")


class RsaKey(AsymmetricKey):
    __slots__ = ()

    @staticmethod
    def _signature_padding(algorithm: str) -> padding.AsymmetricPadding:
        if algorithm.startswith("RSASSA_PSS"):
            return padding.PSS(mgf=padding.MGF1(_hash(algorithm)), salt_length=padding.PSS.DIGEST_LENGTH)
        return padding.PKCS1v15()

    @staticmethod
    def _oaep(algorithm: str) -> padding.OAEP:
        h = _hash(algorithm)
        return padding.OAEP(mgf=padding.MGF1(h), algorithm=h, label=None)

    def sign(self, algorithm: str, message: bytes, message_type: str) -> bytes:
        return self._private.sign(message, self._signature_padding(algorithm), _message_hash(algorithm, message_type))

    def verify(self, algorithm: str, message: bytes, message_type: str, signature: bytes) -> bool:
        return _checked(self._private.public_key().verify, signature, message, self._signature_padding(algorithm),
                        _message_hash(algorithm, message_type))

    def encrypt(self, algorithm: str, plaintext: bytes) -> bytes:
        return self._private.public_key().encrypt(plaintext, self._oaep(algorithm))

    def decrypt(self, algorithm: str, ciphertext: bytes) -> bytes:
        try:
            return self._private.decrypt(ciphertext, self._oaep(algorithm))
        except ValueError:
            raise InvalidCiphertextError() from None


class EcKey(AsymmetricKey):
    __slots__ = ()

    def sign(self, algorithm: str, message: bytes, message_type: str) -> bytes:
        return self._private.sign(message, ec.ECDSA(_message_hash(algorithm, message_type)))

    def verify(self, algorithm: str, message: bytes, message_type: str, signature: bytes) -> bool:
        return _checked(self._private.public_key().verify, signature, message,
                        ec.ECDSA(_message_hash(algorithm, message_type)))

    def derive_shared_secret(self, peer_public_der: bytes) -> bytes:
        """ECDH with a peer's DER SubjectPublicKeyInfo on the same curve: the raw shared secret (x)."""
        curve = self._private.curve.name
        try:
            peer = serialization.load_der_public_key(peer_public_der)
        except (ValueError, TypeError):
            peer = None
        if not isinstance(peer, ec.EllipticCurvePublicKey) or peer.curve.name != curve:
            raise InvalidRequestError(f"PublicKey must be a DER-encoded SubjectPublicKeyInfo of an elliptic curve "
                                      f"public key on the key's curve ({curve}).")
        return self._private.exchange(ec.ECDH(), peer)


class Ed25519Key(AsymmetricKey):
    __slots__ = ()

    def sign(self, algorithm: str, message: bytes, message_type: str) -> bytes:
        if algorithm != "ED25519_SHA_512":
            raise UnsupportedError(ED25519PH_UNSUPPORTED)
        return self._private.sign(message)

    def verify(self, algorithm: str, message: bytes, message_type: str, signature: bytes) -> bool:
        if algorithm != "ED25519_SHA_512":
            raise UnsupportedError(ED25519PH_UNSUPPORTED)
        return _checked(self._private.public_key().verify, signature, message)


class MlDsaKey(AsymmetricKey):
    __slots__ = ()

    def sign(self, algorithm: str, message: bytes, message_type: str) -> bytes:
        if message_type == specs.EXTERNAL_MU:
            return self._private.sign_mu(message)
        return self._private.sign(message)

    def verify(self, algorithm: str, message: bytes, message_type: str, signature: bytes) -> bool:
        public = self._private.public_key()
        if message_type == specs.EXTERNAL_MU:
            return _checked(public.verify_mu, signature, message)
        return _checked(public.verify, signature, message)


class MlKemKey(AsymmetricKey):
    __slots__ = ()

    def encapsulate(self) -> tuple[bytes, bytes]:
        """(shared secret, ciphertext) made with the public key."""
        secret, ciphertext = self._private.public_key().encapsulate()
        return secret, ciphertext

    def decapsulate(self, ciphertext: bytes) -> bytes:
        """The shared secret; a ciphertext of the wrong length is the opaque error, any other yields
        ML-KEM's implicit-rejection value."""
        try:
            return self._private.decapsulate(ciphertext)
        except ValueError:
            raise InvalidCiphertextError() from None


_CLASSES: dict[Family, type[AsymmetricKey]] = {
    Family.RSA: RsaKey, Family.ECC_NIST: EcKey, Family.ECC_SECG: EcKey, Family.EDWARDS: Ed25519Key,
    Family.ML_DSA: MlDsaKey, Family.ML_KEM: MlKemKey,
}


def asymmetric_key(key_spec: str, private: Any) -> AsymmetricKey:
    return _CLASSES[specs.family(key_spec)](private)
