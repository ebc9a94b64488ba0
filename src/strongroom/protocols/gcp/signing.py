"""Version-addressed operations of asymmetric and MAC keys: ``:asymmetricSign``, ``:asymmetricDecrypt``,
``publicKey``, ``:macSign``, ``:macVerify``; and ``:generateRandomBytes`` of a location.

Signing takes the ``digest`` the algorithm names (RSA and ECDSA sign it as given: PSS with a salt as long as the
digest, or PKCS#1 v1.5) or ``data`` (hashed here; the only input of Ed25519). Signatures are DER for ECDSA.
"""

from __future__ import annotations

from typing import Any

from strongroom.domain.actions import Action
from strongroom.protocols.gcp.algorithms import DIGEST_BYTES, DIGEST_MEMBERS
from strongroom.protocols.gcp.enums import ALGORITHM, PROTECTION_LEVEL
from strongroom.protocols.gcp.errors import invalid
from strongroom.protocols.gcp.model import PROTECTION_ATTR, KeyView, check_enabled, load, usable_version
from strongroom.protocols.gcp.request import Call, b64, b64_field, checked, crc, int64_field, object_field

MAX_DATA = 64 * 1024
MIN_RANDOM, MAX_RANDOM = 8, 1024


def _version(call: Call, purpose: str, action: Action, *, opening: bool = False) -> tuple[KeyView, Any]:
    if call.target.name.version is None:
        raise invalid("This operation is addressed by a CryptoKeyVersion name.")
    view = load(call, call.target.name, action)
    number = usable_version(view, call, purpose=purpose)
    check_enabled(view, number)
    return view, call.core.named_keys.use(call.ctx, view.space, view.key.name or "", action, number,
                                          opening=opening)


def _common(call: Call, view: KeyView, use: Any) -> dict[str, Any]:
    return {"name": view.name.version_path(use.version - view.offset),
            "protectionLevel": call.enum(PROTECTION_LEVEL, view.attributes.get(PROTECTION_ATTR, "SOFTWARE"))}


def _data(body: dict[str, Any]) -> tuple[bytes, bool]:
    data = b64_field(body, "data")
    if len(data) > MAX_DATA:
        raise invalid(f"data must be at most {MAX_DATA} bytes.")
    return data, checked(body, "dataCrc32c", data)


def asymmetric_sign(call: Call) -> dict[str, Any]:
    body = call.body
    digest_field = object_field(body, "digest")
    data, data_checked = _data(body)
    digest_checked = False
    view, use = _version(call, "ASYMMETRIC_SIGN", Action.SIGN)
    algorithm = view.algorithm
    if digest_field and data:
        raise invalid("Only one of digest and data may be given.")
    if algorithm.key_spec == "ECC_NIST_EDWARDS25519":
        if digest_field:
            raise invalid("EC_SIGN_ED25519 signs data, not a digest.")
        signature = use.material.sign(data)
    elif digest_field:
        member = DIGEST_MEMBERS[algorithm.hash_name]
        digest = b64_field(digest_field, member, required=True)
        if set(digest_field) - {member} or len(digest) != DIGEST_BYTES[algorithm.hash_name]:
            raise invalid(f"The digest must be a {member} digest for {algorithm.name}.")
        digest_checked = checked(body, "digestCrc32c", digest)
        signature = use.material.sign(digest, hash_algorithm=algorithm.hash_name, prehashed=True,
                                      signature_algorithm=algorithm.padding or "pss", salt_length="hash")
    elif data:
        signature = use.material.sign(data, hash_algorithm=algorithm.hash_name,
                                      signature_algorithm=algorithm.padding or "pss", salt_length="hash")
    else:
        raise invalid("The request is missing a required field: digest or data.")
    return {"signature": b64(signature), "signatureCrc32c": crc(signature), "verifiedDigestCrc32c": digest_checked,
            "verifiedDataCrc32c": data_checked, **_common(call, view, use)}


def asymmetric_decrypt(call: Call) -> dict[str, Any]:
    body = call.body
    ciphertext = b64_field(body, "ciphertext", required=True)
    ciphertext_checked = checked(body, "ciphertextCrc32c", ciphertext)
    view, use = _version(call, "ASYMMETRIC_DECRYPT", Action.DECRYPT, opening=True)
    plaintext = use.material.decrypt(ciphertext)
    return {"plaintext": b64(plaintext), "plaintextCrc32c": crc(plaintext),
            "verifiedCiphertextCrc32c": ciphertext_checked,
            "protectionLevel": _common(call, view, use)["protectionLevel"]}


def public_key(call: Call) -> dict[str, Any]:
    if call.target.name.version is None:
        raise invalid("GetPublicKey is addressed by a CryptoKeyVersion name.")
    view = load(call, call.target.name, Action.GET_PUBLIC_KEY)
    if view.purpose not in ("ASYMMETRIC_SIGN", "ASYMMETRIC_DECRYPT"):
        raise invalid(f"{view.name.crypto_key_path} has purpose {view.purpose}: it has no public key.")
    number = usable_version(view, call, purpose=view.purpose)
    use = call.core.named_keys.use(call.ctx, view.space, view.key.name or "", Action.GET_PUBLIC_KEY, number)
    pem = use.material.public_key_pem() or ""
    return {"pem": pem, "algorithm": call.enum(ALGORITHM, view.algorithm.name), "pemCrc32c": crc(pem.encode()),
            **_common(call, view, use)}


def mac_sign(call: Call) -> dict[str, Any]:
    data, data_checked = _data(call.body)
    view, use = _version(call, "MAC", Action.GENERATE_MAC)
    mac = use.material.hmac(data, view.algorithm.hash_name)
    return {"mac": b64(mac), "macCrc32c": crc(mac), "verifiedDataCrc32c": data_checked, **_common(call, view, use)}


def mac_verify(call: Call) -> dict[str, Any]:
    body = call.body
    data, data_checked = _data(body)
    mac = b64_field(body, "mac", required=True)
    mac_checked = checked(body, "macCrc32c", mac)
    view, use = _version(call, "MAC", Action.VERIFY_MAC, opening=True)
    success = use.material.verify_hmac(data, mac, view.algorithm.hash_name)
    return {"success": success, "verifiedDataCrc32c": data_checked, "verifiedMacCrc32c": mac_checked,
            "verifiedSuccessIntegrity": success, **_common(call, view, use)}


def generate_random_bytes(call: Call) -> dict[str, Any]:
    count = int64_field(call.body, "lengthBytes")
    if count is None or not MIN_RANDOM <= count <= MAX_RANDOM:
        raise invalid(f"length_bytes must be between {MIN_RANDOM} and {MAX_RANDOM}.")
    PROTECTION_LEVEL.parse(call.body.get("protectionLevel"), "protection_level")
    data = call.core.named_keys.random(count)
    return {"data": b64(data), "dataCrc32c": crc(data)}
