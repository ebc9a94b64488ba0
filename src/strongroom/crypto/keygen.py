"""Key material per key spec: what the installed pyca/cryptography can make, and how material is encoded.

Material at rest is 32 random bytes for SYMMETRIC_DEFAULT, raw random bytes for HMAC keys, and a PKCS#8
DER PrivateKeyInfo for every asymmetric spec (ML-DSA and ML-KEM in seed form, as pyca writes them).
"""

from __future__ import annotations

import os
import threading
from typing import Any

import cryptography
from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.backends.openssl.backend import backend
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, mldsa, mlkem, rsa

from strongroom.domain import key_specs as specs
from strongroom.domain.key_specs import Family
from strongroom.errors import UnsupportedError

CURVES: dict[str, type[ec.EllipticCurve]] = {
    "ECC_NIST_P256": ec.SECP256R1, "ECC_NIST_P384": ec.SECP384R1, "ECC_NIST_P521": ec.SECP521R1,
    "ECC_SECG_P256K1": ec.SECP256K1,
}
# The post-quantum classes, where this pyca/cryptography has them (None where it does not).
POST_QUANTUM: dict[str, Any] = {
    "ML_DSA_44": getattr(mldsa, "MLDSA44PrivateKey", None),
    "ML_DSA_65": getattr(mldsa, "MLDSA65PrivateKey", None),
    "ML_DSA_87": getattr(mldsa, "MLDSA87PrivateKey", None),
    "ML_KEM_512": getattr(mlkem, "MLKEM512PrivateKey", None),
    "ML_KEM_768": getattr(mlkem, "MLKEM768PrivateKey", None),
    "ML_KEM_1024": getattr(mlkem, "MLKEM1024PrivateKey", None),
}
_SM2 = ("SM2 is an AWS China Regions key spec (the Chinese national SM2/SM3 algorithms); pyca/cryptography "
        "has no SM2, so this server cannot offer it.")


def unsupported_reason(key_spec: str) -> str | None:
    """Why this server cannot make or use keys of ``key_spec``, or None if it can."""
    if specs.family(key_spec) is Family.SM2:
        return _SM2
    if key_spec in POST_QUANTUM:
        version = f"pyca/cryptography {cryptography.__version__}"
        if POST_QUANTUM[key_spec] is None:
            family_prefix = key_spec.rsplit("_", 1)[0]
            offered = [s for s, cls in POST_QUANTUM.items() if cls is not None and s.startswith(family_prefix)]
            return (f"{key_spec} is not provided by the installed {version}, which offers only "
                    f"{', '.join(offered) or 'none of them'}.")
        supported = backend.mldsa_supported() if key_spec.startswith("ML_DSA") else backend.mlkem_supported()
        if not supported:
            return f"{key_spec} is not supported by the OpenSSL that {version} was built with."
    return None


def check_supported(key_spec: str) -> None:
    reason = unsupported_reason(key_spec)
    if reason is not None:
        raise UnsupportedError(reason)


# RSA keys made ahead, off the event loop, for a request about to need one (see ``make_rsa_ahead``).
_RSA_MADE_AHEAD: dict[int, list[rsa.RSAPrivateKey]] = {}
_RSA_BEING_MADE: dict[int, int] = {}
_MAX_AHEAD = 8  # per size, made and being made: requests that never use theirs cannot make more
_ahead_lock = threading.Lock()


def make_rsa_ahead(key_spec: str) -> None:
    """Make a fresh ``RSA_<bits>`` key for the next ``rsa_private_key`` call of that size. Meant for a worker
    thread (OpenSSL generates without holding the GIL): a 4096-bit key takes up to a second, which on the event
    loop would stall every other request of the worker. Keys made ahead are never shown to anyone before use."""
    bits = int(key_spec.removeprefix("RSA_"))
    with _ahead_lock:
        if len(_RSA_MADE_AHEAD.get(bits, ())) + _RSA_BEING_MADE.get(bits, 0) >= _MAX_AHEAD:
            return
        _RSA_BEING_MADE[bits] = _RSA_BEING_MADE.get(bits, 0) + 1
    try:
        key = rsa.generate_private_key(public_exponent=65537, key_size=bits)
        with _ahead_lock:
            _RSA_MADE_AHEAD.setdefault(bits, []).append(key)
    finally:
        with _ahead_lock:
            _RSA_BEING_MADE[bits] -= 1


def forget_keys_made_ahead() -> None:
    """Drop the keys made ahead and not yet used (a sealing node keeps no private key it has not stored)."""
    with _ahead_lock:
        _RSA_MADE_AHEAD.clear()


def rsa_private_key(bits: int) -> rsa.RSAPrivateKey:
    """A fresh RSA key: one made ahead if there is one, else made now."""
    with _ahead_lock:
        ready = _RSA_MADE_AHEAD.get(bits)
        if ready:
            return ready.pop()
    return rsa.generate_private_key(public_exponent=65537, key_size=bits)


def generate_private(key_spec: str) -> Any:
    """A fresh private key object of an asymmetric spec."""
    check_supported(key_spec)
    fam = specs.family(key_spec)
    if fam is Family.RSA:
        return rsa_private_key(int(key_spec.removeprefix("RSA_")))
    if key_spec in CURVES:
        return ec.generate_private_key(CURVES[key_spec]())
    if fam is Family.EDWARDS:
        return ed25519.Ed25519PrivateKey.generate()
    if key_spec in POST_QUANTUM:
        return POST_QUANTUM[key_spec].generate()
    raise UnsupportedError(f"KeySpec {key_spec} has no asymmetric key pair.")


def pkcs8(private: Any) -> bytes:
    return private.private_bytes(serialization.Encoding.DER, serialization.PrivateFormat.PKCS8,
                                 serialization.NoEncryption())


def spki(public: Any) -> bytes:
    return public.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)


def new_material(key_spec: str) -> bytes:
    """Fresh material for a KMS key of ``key_spec``, in the form it is stored (then wrapped)."""
    fam = specs.family(key_spec)
    if fam is Family.SYMMETRIC:
        return os.urandom(32)
    if fam is Family.HMAC:
        return os.urandom(specs.hmac_key_lengths(key_spec)[0])
    return pkcs8(generate_private(key_spec))


def new_key_pair(key_spec: str) -> tuple[bytes, bytes]:
    """A data key pair: (PKCS#8 DER private key, DER SubjectPublicKeyInfo public key)."""
    private = generate_private(key_spec)
    return pkcs8(private), spki(private.public_key())


def pem_key_pair(key_spec: str) -> tuple[str, str]:
    """A key pair as key files carry it: (PKCS#8 PEM private key, SubjectPublicKeyInfo PEM public key)."""
    private = generate_private(key_spec)
    return (private.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                  serialization.NoEncryption()).decode(),
            private.public_key().public_bytes(serialization.Encoding.PEM,
                                              serialization.PublicFormat.SubjectPublicKeyInfo).decode())


def load_private(key_spec: str, der: bytes) -> Any:
    """The private key in a PKCS#8 DER blob; ValueError unless it is a key of exactly ``key_spec``."""
    check_supported(key_spec)
    try:
        private = serialization.load_der_private_key(der, password=None)
    except (ValueError, TypeError, UnsupportedAlgorithm):
        raise ValueError("not a PKCS#8 DER private key") from None
    fam = specs.family(key_spec)
    if fam is Family.RSA:
        matches = isinstance(private, rsa.RSAPrivateKey) and private.key_size == int(key_spec.removeprefix("RSA_"))
    elif key_spec in CURVES:
        matches = isinstance(private, ec.EllipticCurvePrivateKey) and private.curve.name == CURVES[key_spec].name
    elif fam is Family.EDWARDS:
        matches = isinstance(private, ed25519.Ed25519PrivateKey)
    else:
        matches = POST_QUANTUM.get(key_spec) is not None and isinstance(private, POST_QUANTUM[key_spec])
    if not matches:
        raise ValueError(f"not a {key_spec} private key")
    return private
