"""Cryptographic operations on a key version: encrypt / decrypt, wrapkey / unwrapkey, sign / verify.

The version's Azure attributes are checked first (its ``key_ops``, ``nbf`` and ``exp``: 403 Forbidden), then the
core authorizes and does the operation (a disabled version is its refusal, also 403). An empty version is the
current one (libmongocrypt's ``/keys/{name}//wrapkey``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from strongroom.protocols.azure import bundle, model
from strongroom.protocols.azure.errors import bad_parameter, forbidden, key_not_found
from strongroom.protocols.azure.request import Call, b64url, b64url_decode, string
from strongroom.service import version_crypto as vc


@dataclass(frozen=True, slots=True)
class Cipher:
    algorithm: str  # the core's name
    family: str  # the key family it needs: RSA or oct
    key_bits: int = 0  # for oct keys: the key size it needs


CIPHERS: dict[str, Cipher] = {
    "RSA-OAEP": Cipher(vc.RSA_OAEP_SHA_1, "RSA"), "RSA-OAEP-256": Cipher(vc.RSA_OAEP_SHA_256, "RSA"),
    "RSA1_5": Cipher(vc.RSA_PKCS1_V1_5, "RSA"),
    "A128GCM": Cipher(vc.AES_GCM, "oct", 128), "A192GCM": Cipher(vc.AES_GCM, "oct", 192),
    "A256GCM": Cipher(vc.AES_GCM, "oct", 256),
}
WRAPPERS: dict[str, Cipher] = {
    "RSA-OAEP": CIPHERS["RSA-OAEP"], "RSA-OAEP-256": CIPHERS["RSA-OAEP-256"], "RSA1_5": CIPHERS["RSA1_5"],
    "A128KW": Cipher(vc.AES_KEY_WRAP, "oct", 128), "A192KW": Cipher(vc.AES_KEY_WRAP, "oct", 192),
    "A256KW": Cipher(vc.AES_KEY_WRAP, "oct", 256),
}
# alg -> (scheme, digest, the key family, the curve an EC key must be on)
SIGNERS: dict[str, tuple[str, str, str, str | None]] = {
    **{f"RS{n}": ("RSASSA_PKCS1_V1_5", f"SHA_{n}", "RSA", None) for n in (256, 384, 512)},
    **{f"PS{n}": ("RSASSA_PSS", f"SHA_{n}", "RSA", None) for n in (256, 384, 512)},
    "ES256": ("ECDSA", "SHA_256", "EC", "P-256"), "ES384": ("ECDSA", "SHA_384", "EC", "P-384"),
    "ES512": ("ECDSA", "SHA_512", "EC", "P-521"),
}
_CURVE_OF_SPEC = {spec: curve for curve, spec in model.CURVES.items()}
_BITS_OF_SPEC = {spec: bits for bits, spec in model.OCT_SIZES.items()}


def _version(call: Call, name: str, version: str, operation: str) -> tuple[Any, int]:
    """The key and the version number to use, once its Azure attributes allow ``operation``."""
    named = call.core.named_keys.peek(call.ctx, call.name_space, name)
    if named is None:
        raise key_not_found(name)
    number = named.latest_version if not version else model.version_number(named.key, named.versions, version,
                                                                           name)
    call.ctx.note.version(number)
    found = model.version_attributes(named.key, number)
    if operation not in found.key_ops:
        raise forbidden(f"Operation {operation} is not permitted on this key.", "KeyOperationForbidden")
    now = call.core.clock.now()
    if found.nbf is not None and now < found.nbf:
        raise forbidden(f"Operation {operation} is not allowed on a key that is not yet valid.", "KeyNotYetValid")
    if found.exp is not None and now >= found.exp:
        raise forbidden(f"Operation {operation} is not allowed on an expired key.", "KeyExpired")
    return named.key, number


def _algorithm(call: Call, table: dict[str, Cipher], key: Any) -> Cipher:
    alg = string(call.body.get("alg"), "alg", required=True) or ""
    cipher = table.get(alg)
    if cipher is None:
        raise bad_parameter(f"Invalid algorithm '{alg}'. Valid values: {', '.join(table)}.")
    kind = model.family(model.kty_of(key))
    if cipher.family != kind or (cipher.key_bits and _BITS_OF_SPEC.get(key.key_spec) != cipher.key_bits):
        raise bad_parameter(f"Algorithm {alg} is not supported for this key ({model.kty_of(key)}).")
    return cipher


def _seal(call: Call, name: str, version: str, table: dict[str, Cipher], operation: str) -> dict[str, Any]:
    key, number = _version(call, name, version, operation)
    cipher = _algorithm(call, table, key)
    plaintext = b64url_decode(call.body.get("value"), "value") or b""
    aad = b64url_decode(call.body.get("aad"), "aad", required=False) or b""
    if aad and cipher.algorithm != vc.AES_GCM:
        raise bad_parameter("Property 'aad' is only for AES-GCM.")
    if call.body.get("iv") is not None and cipher.algorithm == vc.AES_GCM:
        raise bad_parameter("The IV of an AES-GCM encryption is made by the service.")
    sealed = call.crypto.encrypt(call.ctx, call.name_space, name, number, cipher.algorithm, plaintext, aad)
    out = {"kid": bundle.kid(call, key, sealed.version), "value": b64url(sealed.ciphertext)}
    if sealed.nonce is not None and sealed.tag is not None:
        out.update(iv=b64url(sealed.nonce), tag=b64url(sealed.tag))
        if aad:
            out["aad"] = b64url(aad)
    return out


def _open(call: Call, name: str, version: str, table: dict[str, Cipher], operation: str) -> dict[str, Any]:
    key, number = _version(call, name, version, operation)
    cipher = _algorithm(call, table, key)
    ciphertext = b64url_decode(call.body.get("value"), "value") or b""
    nonce = tag = None
    if cipher.algorithm == vc.AES_GCM:
        nonce = b64url_decode(call.body.get("iv"), "iv")
        tag = b64url_decode(call.body.get("tag"), "tag")
    aad = b64url_decode(call.body.get("aad"), "aad", required=False) or b""
    plaintext = call.crypto.decrypt(call.ctx, call.name_space, name, number, cipher.algorithm, ciphertext,
                                    nonce=nonce, tag=tag, associated_data=aad)
    return {"kid": bundle.kid(call, key, number), "value": b64url(plaintext)}


def encrypt(call: Call, name: str, version: str) -> dict[str, Any]:
    return _seal(call, name, version, CIPHERS, "encrypt")


def decrypt(call: Call, name: str, version: str) -> dict[str, Any]:
    return _open(call, name, version, CIPHERS, "decrypt")


def wrap(call: Call, name: str, version: str) -> dict[str, Any]:
    return _seal(call, name, version, WRAPPERS, "wrapKey")


def unwrap(call: Call, name: str, version: str) -> dict[str, Any]:
    return _open(call, name, version, WRAPPERS, "unwrapKey")


def _signer(call: Call, key: Any) -> tuple[str, str]:
    alg = string(call.body.get("alg"), "alg", required=True) or ""
    found = SIGNERS.get(alg)
    if found is None:
        raise bad_parameter(f"Invalid algorithm '{alg}'. Valid values: {', '.join(SIGNERS)}.")
    scheme, digest, kind, curve = found
    if model.family(model.kty_of(key)) != kind or (curve is not None and _CURVE_OF_SPEC.get(key.key_spec) != curve):
        raise bad_parameter(f"Algorithm {alg} is not supported for this key ({model.kty_of(key)}).")
    return scheme, digest


def sign(call: Call, name: str, version: str) -> dict[str, Any]:
    key, number = _version(call, name, version, "sign")
    scheme, digest_name = _signer(call, key)
    digest = b64url_decode(call.body.get("value"), "value") or b""
    used, signature = call.crypto.sign(call.ctx, call.name_space, name, number, scheme, digest_name, digest)
    return {"kid": bundle.kid(call, key, used), "value": b64url(signature)}


def verify(call: Call, name: str, version: str) -> dict[str, Any]:
    key, number = _version(call, name, version, "verify")
    scheme, digest_name = _signer(call, key)
    digest = b64url_decode(call.body.get("digest"), "digest") or b""
    signature = b64url_decode(call.body.get("value"), "value") or b""
    valid = call.crypto.verify(call.ctx, call.name_space, name, number, scheme, digest_name, digest, signature)
    return {"value": valid}
