"""One version of a Transit-style key (HashiCorp Vault / OpenBao ``transit``), keyed by Strongroom key specs.

Key specs and their material at rest (Vault's type in brackets, for orientation only):

* ``AES_128`` [aes128-gcm96] 16 random bytes; ``SYMMETRIC_DEFAULT`` [aes256-gcm96] 32 random bytes (the same
  material the AWS API's symmetric keys have); ``CHACHA20_POLY1305`` [chacha20-poly1305] 32 random bytes.
* ``HMAC`` [hmac] ``key_size`` random bytes, 32 to 512.
* ``RSA_2048/3072/4096``, ``ECC_NIST_P256/P384/P521``, ``ECC_NIST_EDWARDS25519``: a PKCS#8 DER PrivateKeyInfo,
  exactly as ``crypto/keygen.py`` makes and loads it.

What the operations do, as Vault's ``sdk/helper/keysutil/policy.go`` does it:

* AEAD ciphertext = nonce(12) || AEAD.Seal(plaintext, aad = associated data): the bytes Vault base64-encodes after
  ``vault:vN:``. A derivation context selects the key HKDF-SHA256(ikm = material, salt = none, info = context),
  16 bytes for AES_128 and 32 otherwise (``kdf="hmac-sha256-counter"`` instead reproduces the legacy KDF Vault
  leaves on derived keys imported into it). Convergent encryption (Vault's convergent version 3) reads 16 or
  32 + 32 bytes from that HKDF: the encryption key, then an HMAC key; the nonce is
  HMAC-SHA256(HMAC key, plaintext)[:12], prepended. Unlike Vault, convergent encryption refuses associated data:
  the nonce does not cover it, so two associated data for one plaintext would reuse a nonce under one key.
* RSA keys encrypt with RSAES-OAEP, SHA-256 for both the hash and MGF1, empty label; no associated data.
* Signing: ECDSA and RSA sign the digest of the input under ``hash_algorithm`` (or the input itself when
  ``prehashed``); Ed25519 always signs the input as given (Vault ignores the hash and ``prehashed`` for it). ECDSA
  signs the leftmost curve-order bits of that digest, whatever its length (as Go truncates), and its signatures
  are DER (``asn1``) or r||s, each half the curve's byte size (``jws``). RSA: PSS (MGF1 with the same hash; salt
  ``auto`` = as long as possible when signing and detected when verifying, ``hash`` = the digest length, or a
  number) or PKCS#1 v1.5 (``hash_algorithm="none"`` = no DigestInfo, prehashed only). A derived Ed25519 key
  (given a context) is the Ed25519 key whose seed is the first 32 bytes of HKDF-SHA256(ikm = seed || public key,
  info = context).
* HMAC: an ``HMAC`` key is its own HMAC key. Every other key version has ONE material here, so its HMAC key is
  derived from it (HKDF-SHA256, info ``_HMAC_LABEL``); Vault instead stores a separate random 32-byte HMAC key
  per version, so those MACs are not Vault's for the same encryption/signing material.

Every decrypt or unwrap failure is the one opaque InvalidCiphertextError; an operation the key type cannot do is
KeyUsageError; a bad option value is InvalidRequestError. Nonces are always made here (convergent encryption
computes its nonce): Vault accepts a caller nonce only for legacy convergent version 1 keys, which this module
does not make, so ``nonce`` is always refused, as Vault refuses it for every current key.
"""

from __future__ import annotations

import base64
import os
from collections.abc import Callable
from typing import Any

from cryptography.exceptions import InvalidSignature, InvalidTag, UnsupportedAlgorithm
from cryptography.hazmat.primitives import constant_time, hashes, hmac, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, padding, rsa, utils
from cryptography.hazmat.primitives.ciphers.aead import AESGCM, ChaCha20Poly1305
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from cryptography.hazmat.primitives.keywrap import InvalidUnwrap, aes_key_unwrap_with_padding

from strongroom.crypto.keygen import generate_private, load_private, pkcs8
from strongroom.errors import (
    IncorrectKeyMaterialError,
    InternalError,
    InvalidCiphertextError,
    InvalidRequestError,
    KeyUsageError,
)

# --- key specs ------------------------------------------------------------------------------------------------

AEAD_KEY_BYTES: dict[str, int] = {"AES_128": 16, "SYMMETRIC_DEFAULT": 32, "CHACHA20_POLY1305": 32}
RSA_SPECS = ("RSA_2048", "RSA_3072", "RSA_4096")
ECDSA_SPECS = ("ECC_NIST_P256", "ECC_NIST_P384", "ECC_NIST_P521")
ED25519_SPEC = "ECC_NIST_EDWARDS25519"
HMAC_SPEC = "HMAC"
KEY_SPECS: tuple[str, ...] = (*AEAD_KEY_BYTES, HMAC_SPEC, *RSA_SPECS, *ECDSA_SPECS, ED25519_SPEC)
ASYMMETRIC_SPECS: tuple[str, ...] = (*RSA_SPECS, *ECDSA_SPECS, ED25519_SPEC)

HMAC_MIN_KEY_BYTES, HMAC_MAX_KEY_BYTES, HMAC_DEFAULT_KEY_BYTES = 32, 512, 32
NONCE_BYTES = 12
TAG_BYTES = 16
_CONVERGENT_HMAC_BYTES = 32
_HMAC_LABEL = b"strongroom/versioned-key/hmac/v1"
_HMAC_DERIVED_BYTES = 32

# --- algorithm names (Vault's) ------------------------------------------------------------------------------------

_HASHES: dict[str, type[hashes.HashAlgorithm]] = {
    "sha1": hashes.SHA1, "sha2-224": hashes.SHA224, "sha2-256": hashes.SHA256, "sha2-384": hashes.SHA384,
    "sha2-512": hashes.SHA512, "sha3-224": hashes.SHA3_224, "sha3-256": hashes.SHA3_256,
    "sha3-384": hashes.SHA3_384, "sha3-512": hashes.SHA3_512,
}
SIGNING_HASH_ALGORITHMS: tuple[str, ...] = (*_HASHES, "none")
HMAC_HASH_ALGORITHMS: tuple[str, ...] = tuple(_HASHES)
DIGEST_ALGORITHMS: tuple[str, ...] = tuple(name for name in _HASHES if name != "sha1")  # transit/hash
SIGNATURE_ALGORITHMS = ("pss", "pkcs1v15")
MARSHALING_ALGORITHMS = ("asn1", "jws")
IMPORT_HASH_FUNCTIONS: dict[str, type[hashes.HashAlgorithm]] = {
    "SHA1": hashes.SHA1, "SHA224": hashes.SHA224, "SHA256": hashes.SHA256, "SHA384": hashes.SHA384,
    "SHA512": hashes.SHA512,
}
EXPORT_KINDS = ("encryption-key", "signing-key", "hmac-key", "public-key")
# Key derivation functions, by the names Vault's key read shows. Vault derives with HKDF-SHA256, except for keys
# IMPORTED with derived=true: its import never sets the policy's KDF, which leaves the legacy NIST SP 800-108
# counter-mode KDF (HMAC-SHA256, 256 bits), so only 32-byte AEAD keys work that way.
KDF_HKDF_SHA256 = "hkdf_sha256"
KDF_HMAC_SHA256_COUNTER = "hmac-sha256-counter"
KDFS = (KDF_HKDF_SHA256, KDF_HMAC_SHA256_COUNTER)
_COUNTER_KDF_SPECS = ("SYMMETRIC_DEFAULT", "CHACHA20_POLY1305")

_AEAD, _HMAC, _RSA, _ECDSA, _ED25519 = "aead", "hmac", "rsa", "ecdsa", "ed25519"


def _kind(key_spec: str) -> str:
    if key_spec in AEAD_KEY_BYTES:
        return _AEAD
    if key_spec == HMAC_SPEC:
        return _HMAC
    if key_spec in RSA_SPECS:
        return _RSA
    if key_spec in ECDSA_SPECS:
        return _ECDSA
    if key_spec == ED25519_SPEC:
        return _ED25519
    raise InvalidRequestError(f"KeySpec {key_spec} is not a transit key spec; valid specs: {', '.join(KEY_SPECS)}.")


def _hkdf(ikm: bytes, info: bytes, length: int) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=length, salt=None, info=info).derive(ikm)


def _counter_kdf(key: bytes, context: bytes) -> bytes:
    """Vault's legacy KDF: HMAC-SHA256(key, BE32(0) || context || BE32(256)), 32 bytes (one round)."""
    mac = hmac.HMAC(key, hashes.SHA256())
    mac.update(b"\0\0\0\0" + context + (256).to_bytes(4, "big"))
    return mac.finalize()


def _check_context(context: bytes) -> bytes:
    if not context:
        raise InvalidRequestError("missing 'context' for key derivation: a derived key needs a non-empty context on "
                                  "every operation.")
    return bytes(context)


def _hash(name: str) -> hashes.HashAlgorithm:
    try:
        return _HASHES[name]()
    except KeyError:
        raise InvalidRequestError(f"invalid hash algorithm {name!r}; valid: {', '.join(_HASHES)}.") from None


def digest(data: bytes, algorithm: str) -> bytes:
    """``transit/hash``: sha2-224/256/384/512 or sha3-224/256/384/512 of ``data``."""
    if algorithm not in DIGEST_ALGORITHMS:
        raise InvalidRequestError(f"unsupported hash algorithm {algorithm!r}; valid: {', '.join(DIGEST_ALGORITHMS)}.")
    h = hashes.Hash(_hash(algorithm))
    h.update(data)
    return h.finalize()


# --- material ----------------------------------------------------------------------------------------------------


def generate_material(key_spec: str, key_size: int | None = None) -> bytes:
    """Fresh material for one key version, in its stored form. ``key_size`` (bytes) only for HMAC keys."""
    kind = _kind(key_spec)
    if kind == _HMAC:
        size = HMAC_DEFAULT_KEY_BYTES if key_size is None else key_size
        if isinstance(size, bool) or not isinstance(size, int) or not HMAC_MIN_KEY_BYTES <= size <= HMAC_MAX_KEY_BYTES:
            raise InvalidRequestError(f"key_size for an HMAC key must be {HMAC_MIN_KEY_BYTES} to {HMAC_MAX_KEY_BYTES} "
                                      f"bytes, not {key_size!r}.")
        return os.urandom(size)
    if key_size is not None:
        raise InvalidRequestError(f"key_size applies only to HMAC keys, not to {key_spec}.")
    if kind == _AEAD:
        return os.urandom(AEAD_KEY_BYTES[key_spec])
    return pkcs8(generate_private(key_spec))


def check_material(key_spec: str, material: bytes) -> bytes:
    """Imported material checked against ``key_spec`` and put in its one stored form (PKCS#8 DER re-encoded for
    asymmetric specs). IncorrectKeyMaterialError if it is not material of that spec."""
    kind = _kind(key_spec)
    if kind == _AEAD:
        if len(material) != AEAD_KEY_BYTES[key_spec]:
            raise IncorrectKeyMaterialError(f"Key material for a {key_spec} key must be {AEAD_KEY_BYTES[key_spec]} "
                                            f"bytes, not {len(material)}.")
        return bytes(material)
    if kind == _HMAC:
        if not HMAC_MIN_KEY_BYTES <= len(material) <= HMAC_MAX_KEY_BYTES:
            raise IncorrectKeyMaterialError(f"Key material for an HMAC key must be {HMAC_MIN_KEY_BYTES} to "
                                            f"{HMAC_MAX_KEY_BYTES} bytes, not {len(material)}.")
        return bytes(material)
    try:
        return pkcs8(load_private(key_spec, bytes(material)))
    except ValueError:
        raise IncorrectKeyMaterialError(f"The key material is not a DER-encoded PKCS#8 private key of key spec "
                                        f"{key_spec}.") from None


def unwrap_import(wrapping_private: bytes, ciphertext: bytes, hash_function: str = "SHA256") -> bytes:
    """Vault's BYOK import: ``ciphertext`` = RSAES-OAEP(``hash_function``, MGF1 same hash, empty label) of a 32-byte
    ephemeral AES key, as long as the wrapping key's modulus (512 bytes for RSA-4096), followed by the target key
    material wrapped under that AES key with AES Key Wrap with Padding (RFC 5649). Returns the target material as
    it was wrapped (raw bytes, or PKCS#8 DER for asymmetric targets: pass it to ``check_material``).

    ``wrapping_private`` is the PKCS#8 DER of our RSA wrapping key. Any failure to unwrap is InvalidCiphertextError.
    """
    try:
        algorithm = IMPORT_HASH_FUNCTIONS[hash_function.upper()]()
    except (KeyError, AttributeError):
        raise InvalidRequestError(f"unknown hash function {hash_function!r}; valid: "
                                  f"{', '.join(IMPORT_HASH_FUNCTIONS)}.") from None
    try:
        private = serialization.load_der_private_key(wrapping_private, password=None)
    except (ValueError, TypeError, UnsupportedAlgorithm):
        private = None
    if not isinstance(private, rsa.RSAPrivateKey):
        raise InternalError("the import wrapping key is not an RSA private key")
    modulus_bytes = (private.key_size + 7) // 8
    if len(ciphertext) <= modulus_bytes:
        raise InvalidCiphertextError()
    try:
        ephemeral = private.decrypt(bytes(ciphertext[:modulus_bytes]),
                                    padding.OAEP(mgf=padding.MGF1(algorithm), algorithm=algorithm, label=None))
        if len(ephemeral) != 32:
            raise ValueError("the ephemeral key is not AES-256")
        return aes_key_unwrap_with_padding(ephemeral, bytes(ciphertext[modulus_bytes:]))
    except (ValueError, InvalidUnwrap):
        raise InvalidCiphertextError() from None


def material_from_backup_entry(key_spec: str, entry: Any) -> bytes:
    """The stored form of one version of a Vault transit backup (``keysutil.KeyEntry``, see
    ``VersionedKey.backup_entry``): its material checked against ``key_spec`` and for consistency (an Ed25519
    public half, an EC point, RSA's factors). IncorrectKeyMaterialError when it is not such material. A separate
    ``hmac_key`` of an encryption or signing key cannot be kept (one material per version here)."""
    if not isinstance(entry, dict):
        raise IncorrectKeyMaterialError("a key version of the backup is not an object")
    kind = _kind(key_spec)
    try:
        if kind in (_AEAD, _HMAC):
            return check_material(key_spec, _entry_bytes(entry, "key"))
        if kind == _ED25519:
            raw = _entry_bytes(entry, "key")
            if len(raw) != 64:
                raise ValueError("an Ed25519 key is 64 bytes: seed and public key")
            private = ed25519.Ed25519PrivateKey.from_private_bytes(raw[:32])
            public = private.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
            if not constant_time.bytes_eq(public, raw[32:]):
                raise ValueError("the Ed25519 public key does not match its seed")
            return pkcs8(private)
        if kind == _ECDSA:
            curve = {"ECC_NIST_P256": ec.SECP256R1(), "ECC_NIST_P384": ec.SECP384R1(),
                     "ECC_NIST_P521": ec.SECP521R1()}[key_spec]
            point = ec.EllipticCurvePublicNumbers(_entry_int(entry, "ec_x"), _entry_int(entry, "ec_y"), curve)
            return pkcs8(ec.EllipticCurvePrivateNumbers(_entry_int(entry, "ec_d"), point).private_key())
        rsa_key = entry.get("rsa_key")
        if not isinstance(rsa_key, dict):
            raise ValueError("rsa_key is missing")
        primes = rsa_key.get("Primes")
        if not isinstance(primes, list) or len(primes) != 2:
            raise ValueError("an RSA key of two primes is expected")
        p, q = (_entry_int({"prime": v}, "prime") for v in primes)
        d, n, e = _entry_int(rsa_key, "D"), _entry_int(rsa_key, "N"), _entry_int(rsa_key, "E")
        numbers = rsa.RSAPrivateNumbers(p, q, d, rsa.rsa_crt_dmp1(d, p), rsa.rsa_crt_dmq1(d, q),
                                        rsa.rsa_crt_iqmp(p, q), rsa.RSAPublicNumbers(e, n))
        return check_material(key_spec, pkcs8(numbers.private_key()))
    except IncorrectKeyMaterialError:
        raise
    except (ValueError, TypeError, KeyError, UnsupportedAlgorithm) as exc:
        raise IncorrectKeyMaterialError(f"a key version of the backup is not {key_spec} material: {exc}") from None


def _entry_bytes(entry: dict[str, Any], name: str) -> bytes:
    value = entry.get(name)
    if not isinstance(value, str) or not value:
        raise ValueError(f"{name} is missing")
    return base64.b64decode(value, validate=True)


def _entry_int(entry: dict[str, Any], name: str) -> int:
    value = entry.get(name)
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise ValueError(f"{name} is not a positive integer")
    return value


# --- signing options -----------------------------------------------------------------------------------------------


def _salt_length(salt_length: str | int) -> int:
    """Vault's salt_length as Go's rsa.PSSOptions.SaltLength: 0 = auto, -1 = the hash length, else the number."""
    if isinstance(salt_length, bool):
        raise InvalidRequestError(f"salt length neither 'auto', 'hash', nor an int: {salt_length!r}")
    if isinstance(salt_length, int):
        value = salt_length
    elif isinstance(salt_length, str):
        lowered = salt_length.strip().lower()
        if lowered == "auto":
            return 0
        if lowered == "hash":
            return -1
        try:
            value = int(lowered, 10)
        except ValueError:
            raise InvalidRequestError(f"salt length neither 'auto', 'hash', nor an int: {salt_length!r}") from None
    else:
        raise InvalidRequestError(f"salt length neither 'auto', 'hash', nor an int: {salt_length!r}")
    if value < -1:
        raise InvalidRequestError(f"salt length is invalid: {value}")
    return value


class _SignOptions:
    __slots__ = ("hash_name", "marshaling", "prehashed", "salt", "signature_algorithm")

    def __init__(self, hash_algorithm: str, prehashed: bool, signature_algorithm: str, marshaling: str,
                 salt_length: str | int) -> None:
        if hash_algorithm not in SIGNING_HASH_ALGORITHMS:
            raise InvalidRequestError(f"invalid hash algorithm {hash_algorithm!r}; valid: "
                                      f"{', '.join(SIGNING_HASH_ALGORITHMS)}.")
        if marshaling not in MARSHALING_ALGORITHMS:
            raise InvalidRequestError(f"invalid marshaling type {marshaling!r}; valid: asn1, jws.")
        signature_algorithm = signature_algorithm or "pss"
        if signature_algorithm not in SIGNATURE_ALGORITHMS:
            raise InvalidRequestError(f"unsupported rsa signature algorithm {signature_algorithm!r}; valid: pss, "
                                      f"pkcs1v15.")
        if hash_algorithm == "none" and (not prehashed or signature_algorithm != "pkcs1v15"):
            raise InvalidRequestError("hash_algorithm=none requires both prehashed=true and "
                                      "signature_algorithm=pkcs1v15")
        self.hash_name = hash_algorithm
        self.prehashed = bool(prehashed)
        self.signature_algorithm = signature_algorithm
        self.marshaling = marshaling
        self.salt = _salt_length(salt_length)

    def signed_digest(self, data: bytes) -> bytes:
        """What ECDSA and RSA sign: the input's digest, or the input itself when prehashed."""
        if self.prehashed:
            return bytes(data)
        h = hashes.Hash(_hash(self.hash_name))
        h.update(data)
        return h.finalize()

    def rsa_padding(self, key_bits: int, signing: bool) -> tuple[padding.AsymmetricPadding, Any]:
        """(padding, hash argument) for pyca; the salt length checked as Vault checks it (-1..max, 0 = auto)."""
        if self.hash_name == "none":
            return padding.PKCS1v15(), utils.NoDigestInfo()
        h = _hash(self.hash_name)
        if self.signature_algorithm == "pkcs1v15":
            return padding.PKCS1v15(), utils.Prehashed(h)
        max_salt = (key_bits - 1 + 7) // 8 - 2 - h.digest_size
        if not -1 <= self.salt <= max_salt:
            raise InvalidRequestError(f"requested salt length {self.salt} is invalid (allowed: 'auto', 'hash' or "
                                      f"1 to {max_salt} for this key and hash).")
        salt: Any
        if self.salt == 0:
            salt = padding.PSS.MAX_LENGTH if signing else padding.PSS.AUTO
        elif self.salt == -1:
            salt = padding.PSS.DIGEST_LENGTH
        else:
            salt = self.salt
        return padding.PSS(mgf=padding.MGF1(h), salt_length=salt), utils.Prehashed(h)


def _ecdsa_input(signed: bytes) -> tuple[bytes, utils.Prehashed]:
    """What ECDSA signs, for pyca: the digest bytes as given, of any length. ECDSA uses only the number made of the
    leftmost curve-order bits of those bytes (OpenSSL and Go truncate alike); the hash that made them is not part
    of the signature, so ``Prehashed`` only needs a hash object of that length, and SHAKE256 takes any length.
    An empty input is the number 0, as in Go."""
    data = bytes(signed) or b"\0"
    return data, utils.Prehashed(hashes.SHAKE256(len(data)))


def _pem(data: bytes) -> str:
    return data.decode("ascii")


# --- the key -------------------------------------------------------------------------------------------------------


class VersionedKey:
    """One key version's material, ready to use. Never printable, never picklable."""

    __slots__ = ("_aead", "_hmac_key", "_kdf", "_key_spec", "_kind", "_material", "_private")

    def __init__(self, key_spec: str, material: bytes, *, kdf: str = KDF_HKDF_SHA256) -> None:
        """``kdf`` matters only for operations given a derivation context: ``hmac-sha256-counter`` reproduces what
        Vault does for derived keys imported into it (SYMMETRIC_DEFAULT and CHACHA20_POLY1305 only)."""
        kind = _kind(key_spec)
        if kdf not in KDFS:
            raise InvalidRequestError(f"unknown key derivation function {kdf!r}; valid: {', '.join(KDFS)}.")
        if kdf == KDF_HMAC_SHA256_COUNTER and key_spec not in _COUNTER_KDF_SPECS:
            raise InvalidRequestError(f"the {kdf} key derivation function yields 32-byte keys: it cannot derive "
                                      f"{key_spec} keys.")
        self._kdf = kdf
        self._key_spec = key_spec
        self._kind = kind
        self._material = bytes(material)
        self._aead: AESGCM | ChaCha20Poly1305 | None = None
        self._private: Any = None
        self._hmac_key: bytes | None = None
        if kind == _AEAD:
            if len(self._material) != AEAD_KEY_BYTES[key_spec]:
                raise InternalError(f"stored key material does not match its key spec {key_spec}")
            self._aead = self._cipher(self._material)
        elif kind == _HMAC:
            if not HMAC_MIN_KEY_BYTES <= len(self._material) <= HMAC_MAX_KEY_BYTES:
                raise InternalError("stored key material does not match its key spec HMAC")
            self._hmac_key = self._material
        else:
            try:
                self._private = load_private(key_spec, self._material)
            except ValueError:
                raise InternalError(f"stored key material does not match its key spec {key_spec}") from None

    @property
    def key_spec(self) -> str:
        return self._key_spec

    def __repr__(self) -> str:
        return f"VersionedKey({self._key_spec}, <secret>)"

    def __reduce__(self):  # type: ignore[no-untyped-def]
        raise TypeError("key material cannot be pickled")

    # --- encryption --------------------------------------------------------------------------------------------

    def _cipher(self, key: bytes) -> AESGCM | ChaCha20Poly1305:
        return ChaCha20Poly1305(key) if self._key_spec == "CHACHA20_POLY1305" else AESGCM(key)

    def _derived_cipher(self, context: bytes) -> AESGCM | ChaCha20Poly1305:
        context = _check_context(context)
        if self._kdf == KDF_HMAC_SHA256_COUNTER:
            return self._cipher(_counter_kdf(self._material, context))
        return self._cipher(_hkdf(self._material, context, AEAD_KEY_BYTES[self._key_spec]))

    def encrypt(self, plaintext: bytes, *, associated_data: bytes = b"", derivation_context: bytes | None = None,
                convergent: bool = False, nonce: bytes | None = None) -> bytes:
        """AEAD specs: nonce(12) || ciphertext || tag. RSA specs: the RSAES-OAEP-SHA-256 ciphertext."""
        if nonce is not None:
            raise InvalidRequestError("nonce provided when not allowed: nonces are made by the server (a caller "
                                      "nonce exists only for legacy convergent version 1 keys).")
        if self._kind == _RSA:
            if associated_data or derivation_context is not None or convergent:
                raise KeyUsageError(f"{self._key_spec} keys encrypt with RSA-OAEP: no associated data, key "
                                    f"derivation or convergent encryption.")
            try:
                return self._private.public_key().encrypt(bytes(plaintext), _OAEP_SHA256)
            except ValueError:
                raise InvalidRequestError(f"the plaintext is too long for RSA-OAEP-SHA-256 with a {self._key_spec} "
                                          f"key (at most {self._private.key_size // 8 - 66} bytes).") from None
        if self._kind != _AEAD:
            raise KeyUsageError(f"encryption is not supported for key spec {self._key_spec}.")
        if convergent:
            if derivation_context is None:
                raise InvalidRequestError("convergent encryption requires a derived key and a context.")
            if self._kdf != KDF_HKDF_SHA256:
                raise KeyUsageError(f"convergent encryption needs the {KDF_HKDF_SHA256} key derivation function.")
            if associated_data:
                # Vault's nonce covers the plaintext only: the same plaintext under two associated data would reuse
                # (key, nonce) with different tags, which gives away GCM's/Poly1305's authentication key.
                raise InvalidRequestError("convergent encryption does not accept associated data.")
            enc_bytes = AEAD_KEY_BYTES[self._key_spec]
            keys = _hkdf(self._material, _check_context(derivation_context), enc_bytes + _CONVERGENT_HMAC_BYTES)
            mac = hmac.HMAC(keys[enc_bytes:], hashes.SHA256())
            mac.update(plaintext)
            iv = mac.finalize()[:NONCE_BYTES]
            return iv + self._cipher(keys[:enc_bytes]).encrypt(iv, bytes(plaintext), None)
        aead = self._aead if derivation_context is None else self._derived_cipher(derivation_context)
        assert aead is not None
        iv = os.urandom(NONCE_BYTES)
        return iv + aead.encrypt(iv, bytes(plaintext), bytes(associated_data) or None)

    def decrypt(self, data: bytes, *, associated_data: bytes = b"", derivation_context: bytes | None = None) -> bytes:
        """The plaintext; any failure is InvalidCiphertextError. Convergent ciphertexts decrypt like any other."""
        if self._kind == _RSA:
            if associated_data or derivation_context is not None:
                raise KeyUsageError(f"{self._key_spec} keys decrypt with RSA-OAEP: no associated data or key "
                                    f"derivation.")
            try:
                return self._private.decrypt(bytes(data), _OAEP_SHA256)
            except ValueError:
                raise InvalidCiphertextError() from None
        if self._kind != _AEAD:
            raise KeyUsageError(f"decryption is not supported for key spec {self._key_spec}.")
        aead = self._aead if derivation_context is None else self._derived_cipher(derivation_context)
        assert aead is not None
        if len(data) < NONCE_BYTES + TAG_BYTES:
            raise InvalidCiphertextError()
        data = bytes(data)
        try:
            return aead.decrypt(data[:NONCE_BYTES], data[NONCE_BYTES:], bytes(associated_data) or None)
        except InvalidTag:
            raise InvalidCiphertextError() from None

    # --- signing -------------------------------------------------------------------------------------------------

    def _ed25519_key(self, derivation_context: bytes | None) -> ed25519.Ed25519PrivateKey:
        if derivation_context is None:
            return self._private
        seed = _hkdf(self._ed25519_raw_private(), _check_context(derivation_context), 32)
        return ed25519.Ed25519PrivateKey.from_private_bytes(seed)

    def _ed25519_raw_private(self) -> bytes:
        """Go's 64-byte Ed25519 private key: seed || public key."""
        seed = self._private.private_bytes(serialization.Encoding.Raw, serialization.PrivateFormat.Raw,
                                           serialization.NoEncryption())
        return seed + self._private.public_key().public_bytes(serialization.Encoding.Raw,
                                                              serialization.PublicFormat.Raw)

    def _signing_checks(self, derivation_context: bytes | None) -> None:
        if self._kind not in (_RSA, _ECDSA, _ED25519):
            raise KeyUsageError(f"signing is not supported for key spec {self._key_spec}.")
        if derivation_context is not None and self._kind != _ED25519:
            raise KeyUsageError(f"key derivation is not supported for signing with key spec {self._key_spec}.")

    def sign(self, data: bytes, *, hash_algorithm: str = "sha2-256", prehashed: bool = False,
             signature_algorithm: str = "pss", marshaling: str = "asn1", salt_length: str | int = "auto",
             derivation_context: bytes | None = None) -> bytes:
        """The raw signature bytes (what Vault base64-encodes after ``vault:vN:``; ``jws`` only changes ECDSA's
        bytes, to r||s — its URL-safe base64 is the caller's business)."""
        options = _SignOptions(hash_algorithm, prehashed, signature_algorithm, marshaling, salt_length)
        self._signing_checks(derivation_context)
        if self._kind == _ED25519:
            return self._ed25519_key(derivation_context).sign(bytes(data))
        signed = options.signed_digest(data)
        if self._kind == _ECDSA:
            number, prehash = _ecdsa_input(signed)
            der = self._private.sign(number, ec.ECDSA(prehash))
            if options.marshaling == "asn1":
                return der
            r, s = utils.decode_dss_signature(der)
            size = (self._private.curve.key_size + 7) // 8
            return r.to_bytes(size, "big") + s.to_bytes(size, "big")
        pad, algorithm = options.rsa_padding(self._private.key_size, signing=True)
        try:
            return self._private.sign(signed, pad, algorithm)
        except ValueError as exc:  # a prehashed input of the wrong length, or too long for no-DigestInfo PKCS#1
            raise InvalidRequestError(f"the input cannot be signed with these options: {exc}") from None

    def verify(self, data: bytes, signature: bytes, *, hash_algorithm: str = "sha2-256", prehashed: bool = False,
               signature_algorithm: str = "pss", marshaling: str = "asn1", salt_length: str | int = "auto",
               derivation_context: bytes | None = None) -> bool:
        """Whether ``signature`` (raw bytes, as ``sign`` returns them) is valid; a malformed one is simply not."""
        options = _SignOptions(hash_algorithm, prehashed, signature_algorithm, marshaling, salt_length)
        self._signing_checks(derivation_context)
        signature = bytes(signature)
        try:
            if self._kind == _ED25519:
                self._ed25519_key(derivation_context).public_key().verify(signature, bytes(data))
                return True
            signed = options.signed_digest(data)
            if self._kind == _ECDSA:
                if options.marshaling == "jws":
                    half = len(signature) // 2
                    if half == 0:
                        return False
                    signature = utils.encode_dss_signature(int.from_bytes(signature[:half], "big"),
                                                           int.from_bytes(signature[half:], "big"))
                number, prehash = _ecdsa_input(signed)
                self._private.public_key().verify(signature, number, ec.ECDSA(prehash))
                return True
            pad, algorithm = options.rsa_padding(self._private.key_size, signing=False)
            self._private.public_key().verify(signature, signed, pad, algorithm)
            return True
        except (InvalidSignature, ValueError):
            return False

    # --- HMAC ----------------------------------------------------------------------------------------------------

    def _hmac_secret(self) -> bytes:
        if self._hmac_key is None:
            self._hmac_key = _hkdf(self._material, _HMAC_LABEL, _HMAC_DERIVED_BYTES)
        return self._hmac_key

    def _hmac(self, data: bytes, hash_algorithm: str) -> hmac.HMAC:
        if hash_algorithm not in HMAC_HASH_ALGORITHMS:
            raise InvalidRequestError(f"unsupported algorithm {hash_algorithm!r}; valid: "
                                      f"{', '.join(HMAC_HASH_ALGORITHMS)}.")
        mac = hmac.HMAC(self._hmac_secret(), _hash(hash_algorithm))
        mac.update(data)
        return mac

    def hmac(self, data: bytes, hash_algorithm: str = "sha2-256") -> bytes:
        """HMAC of ``data`` under this version's HMAC key (see the module docstring for which key that is)."""
        return self._hmac(data, hash_algorithm).finalize()

    def verify_hmac(self, data: bytes, mac: bytes, hash_algorithm: str = "sha2-256") -> bool:
        """Constant-time check of a MAC made by ``hmac``; one of the wrong length is simply invalid."""
        return constant_time.bytes_eq(self._hmac(data, hash_algorithm).finalize(), bytes(mac))

    # --- public key and export -----------------------------------------------------------------------------------

    def unwrap_import(self, ciphertext: bytes, hash_function: str = "SHA256") -> bytes:
        """This RSA key as the wrapping key of a BYOK import (see ``unwrap_import``)."""
        return unwrap_import(self._material, ciphertext, hash_function)

    def public_key_pem(self) -> str | None:
        """PEM SubjectPublicKeyInfo ("PUBLIC KEY") of an asymmetric key, None for symmetric and HMAC keys."""
        if self._private is None:
            return None
        return _pem(self._private.public_key().public_bytes(serialization.Encoding.PEM,
                                                            serialization.PublicFormat.SubjectPublicKeyInfo))

    def public_key_for_read(self, derivation_context: bytes | None = None) -> str | None:
        """The ``public_key`` Vault's ``transit/keys/:name`` read shows for this version: PEM for ECDSA and RSA,
        base64 of the 32 raw bytes for Ed25519 (of the derived key when a context is given); None for keys
        without one."""
        if self._private is None:
            return None
        if self._kind == _ED25519:
            key = self._ed25519_key(derivation_context)
            return base64.b64encode(key.public_key().public_bytes(serialization.Encoding.Raw,
                                                                  serialization.PublicFormat.Raw)).decode()
        if derivation_context is not None:
            raise KeyUsageError(f"key derivation is not supported for key spec {self._key_spec}.")
        return self.public_key_pem()

    def export(self, kind: str) -> str:
        """What Vault's ``transit/export/<kind>/:name`` shows for this version (its default format)."""
        if kind not in EXPORT_KINDS:
            raise InvalidRequestError(f"invalid export type {kind!r}; valid: {', '.join(EXPORT_KINDS)}.")
        exporter = _EXPORTERS.get((kind, self._kind))
        if exporter is None:
            raise KeyUsageError(f"export of {kind} is not supported for key spec {self._key_spec}.")
        return exporter(self)

    def backup_entry(self) -> dict[str, Any]:
        """This version's material as the members of Vault's ``keysutil.KeyEntry`` (a transit backup's version):
        ``key`` (raw symmetric key; Ed25519: seed || public key), ``hmac_key``, ``ec_x``/``ec_y``/``ec_d`` (big
        integers), ``rsa_key`` (Go's ``rsa.PrivateKey`` as JSON) and ``public_key``. ``hmac_key`` is the key this
        version's HMACs use here, so the restored key MACs alike."""
        entry: dict[str, Any] = {"key": None, "hmac_key": base64.b64encode(self._hmac_secret()).decode(),
                                 "ec_x": None, "ec_y": None, "ec_d": None, "rsa_key": None, "rsa_public_key": None,
                                 "public_key": ""}
        if self._kind in (_AEAD, _HMAC):
            entry["key"] = base64.b64encode(self._material).decode()
        elif self._kind == _ED25519:
            entry["key"] = base64.b64encode(self._ed25519_raw_private()).decode()
            entry["public_key"] = self.public_key_for_read()
        elif self._kind == _ECDSA:
            numbers = self._private.private_numbers()
            entry.update(ec_x=numbers.public_numbers.x, ec_y=numbers.public_numbers.y, ec_d=numbers.private_value,
                         public_key=self.public_key_pem())
        else:
            numbers = self._private.private_numbers()
            entry["rsa_key"] = {"N": numbers.public_numbers.n, "E": numbers.public_numbers.e, "D": numbers.d,
                                "Primes": [numbers.p, numbers.q],
                                "Precomputed": {"Dp": numbers.dmp1, "Dq": numbers.dmq1, "Qinv": numbers.iqmp,
                                                "CRTValues": []}}
        return entry

    def _export_raw(self) -> str:
        return base64.b64encode(self._material).decode()

    def _export_hmac(self) -> str:
        return base64.b64encode(self._hmac_secret()).decode()

    def _export_rsa_private(self) -> str:  # PKCS#1, with PEM's final newline, as Vault leaves it
        return _pem(self._private.private_bytes(serialization.Encoding.PEM,
                                                serialization.PrivateFormat.TraditionalOpenSSL,
                                                serialization.NoEncryption()))

    def _export_ec_private(self) -> str:  # SEC 1 "EC PRIVATE KEY", trimmed as Vault trims it
        return _pem(self._private.private_bytes(serialization.Encoding.PEM,
                                                serialization.PrivateFormat.TraditionalOpenSSL,
                                                serialization.NoEncryption())).strip()

    def _export_ed25519_private(self) -> str:
        return base64.b64encode(self._ed25519_raw_private()).decode()

    def _export_public_trimmed(self) -> str:
        pem = self.public_key_pem()
        assert pem is not None
        return pem.strip()

    def _export_public(self) -> str:
        pem = self.public_key_pem()
        assert pem is not None
        return pem

    def _export_ed25519_public(self) -> str:
        shown = self.public_key_for_read()
        assert shown is not None
        return shown


_OAEP_SHA256 = padding.OAEP(mgf=padding.MGF1(hashes.SHA256()), algorithm=hashes.SHA256(), label=None)

_EXPORTERS: dict[tuple[str, str], Callable[[VersionedKey], str]] = {
    ("encryption-key", _AEAD): VersionedKey._export_raw,
    ("encryption-key", _RSA): VersionedKey._export_rsa_private,
    ("signing-key", _RSA): VersionedKey._export_rsa_private,
    ("signing-key", _ECDSA): VersionedKey._export_ec_private,
    ("signing-key", _ED25519): VersionedKey._export_ed25519_private,
    ("public-key", _RSA): VersionedKey._export_public,
    ("public-key", _ECDSA): VersionedKey._export_public_trimmed,
    ("public-key", _ED25519): VersionedKey._export_ed25519_public,
    **{("hmac-key", kind): VersionedKey._export_hmac for kind in (_AEAD, _HMAC, _RSA, _ECDSA, _ED25519)},
}
