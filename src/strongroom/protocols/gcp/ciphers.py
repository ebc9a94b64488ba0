"""``:encrypt`` / ``:decrypt`` (ENCRYPT_DECRYPT keys) and ``:rawEncrypt`` / ``:rawDecrypt``
(RAW_ENCRYPT_DECRYPT, AES-GCM), with the CRC32C integrity fields Google's clients send and check.

An ENCRYPT_DECRYPT ciphertext names the core version that made it, since ``:decrypt`` is addressed by the key:
``0x01 | version (uint32 BE) | nonce (12) | AES-256-GCM ciphertext | tag (16)``, the 5-byte header authenticated
together with the caller's additional authenticated data (header first: its fixed length keeps the two apart).
Raw ciphertexts are AES-GCM's own output; the server makes every nonce, so a caller's initialization vector is
refused on encryption.
"""

from __future__ import annotations

import struct
from typing import Any

from strongroom.domain.actions import Action
from strongroom.errors import InvalidCiphertextError
from strongroom.protocols.gcp.enums import PROTECTION_LEVEL
from strongroom.protocols.gcp.errors import invalid
from strongroom.protocols.gcp.model import PROTECTION_ATTR, KeyView, check_enabled, load, usable_version
from strongroom.protocols.gcp.request import Call, b64, b64_field, checked, crc, int64_field

MAX_PLAINTEXT = 64 * 1024
MAX_CIPHERTEXT = 10 * 1024 * 1024
MAX_AAD = 64 * 1024
_FORMAT = 1
_HEADER = struct.Struct(">BI")
_NONCE, _TAG = 12, 16


def _protection(call: Call, view: KeyView) -> str | int:
    return call.enum(PROTECTION_LEVEL, view.attributes.get(PROTECTION_ATTR, "SOFTWARE"))


def _aad(body: dict[str, Any]) -> tuple[bytes, bool]:
    aad = b64_field(body, "additionalAuthenticatedData")
    if len(aad) > MAX_AAD:
        raise invalid(f"The additional authenticated data must be at most {MAX_AAD} bytes.")
    return aad, checked(body, "additionalAuthenticatedDataCrc32c", aad)


def encrypt(call: Call) -> dict[str, Any]:
    body = call.body
    plaintext = b64_field(body, "plaintext", required=True)
    if len(plaintext) > MAX_PLAINTEXT:
        raise invalid(f"The plaintext must be at most {MAX_PLAINTEXT} bytes.")
    plaintext_checked = checked(body, "plaintextCrc32c", plaintext)
    aad, aad_checked = _aad(body)
    view = load(call, call.target.name, Action.ENCRYPT)
    number = usable_version(view, call, purpose="ENCRYPT_DECRYPT")
    check_enabled(view, number)
    use = call.core.named_keys.use(call.ctx, view.space, view.key.name or "", Action.ENCRYPT, number)
    header = _HEADER.pack(_FORMAT, use.version)
    ciphertext = header + use.material.encrypt(plaintext, associated_data=header + aad)
    return {"name": view.name.version_path(use.version - view.offset), "ciphertext": b64(ciphertext),
            "ciphertextCrc32c": crc(ciphertext), "verifiedPlaintextCrc32c": plaintext_checked,
            "verifiedAdditionalAuthenticatedDataCrc32c": aad_checked, "protectionLevel": _protection(call, view)}


def decrypt(call: Call) -> dict[str, Any]:
    if call.target.name.version is not None:
        raise invalid("Decrypt is addressed by a CryptoKey name, not a CryptoKeyVersion name.")
    body = call.body
    ciphertext = b64_field(body, "ciphertext", required=True)
    if len(ciphertext) > MAX_CIPHERTEXT:
        raise invalid("The ciphertext is too long.")
    checked(body, "ciphertextCrc32c", ciphertext)
    aad, _ = _aad(body)
    view = load(call, call.target.name, Action.DECRYPT)
    if view.purpose != "ENCRYPT_DECRYPT":
        usable_version(view, call, purpose="ENCRYPT_DECRYPT")  # refuses with the purpose's message
    if len(ciphertext) < _HEADER.size + _NONCE + _TAG or ciphertext[0] != _FORMAT:
        raise InvalidCiphertextError()
    _, version = _HEADER.unpack_from(ciphertext)
    if version <= view.offset or version > view.key.current_version:
        raise InvalidCiphertextError()
    check_enabled(view, version)
    use = call.core.named_keys.use(call.ctx, view.space, view.key.name or "", Action.DECRYPT, version, opening=True)
    header = ciphertext[:_HEADER.size]
    plaintext = use.material.decrypt(ciphertext[_HEADER.size:], associated_data=header + aad)
    return {"plaintext": b64(plaintext), "plaintextCrc32c": crc(plaintext),
            "usedPrimary": version == view.primary(), "protectionLevel": _protection(call, view)}


def raw_encrypt(call: Call) -> dict[str, Any]:
    body = call.body
    if call.target.name.version is None:
        raise invalid("RawEncrypt is addressed by a CryptoKeyVersion name.")
    plaintext = b64_field(body, "plaintext", required=True)
    if len(plaintext) > MAX_PLAINTEXT:
        raise invalid(f"The plaintext must be at most {MAX_PLAINTEXT} bytes.")
    plaintext_checked = checked(body, "plaintextCrc32c", plaintext)
    aad, aad_checked = _aad(body)
    if b64_field(body, "initializationVector"):
        raise invalid("This server makes every AES-GCM initialization vector: initialization_vector must be empty.")
    view = load(call, call.target.name, Action.ENCRYPT)
    number = usable_version(view, call, purpose="RAW_ENCRYPT_DECRYPT")
    use = call.core.named_keys.use(call.ctx, view.space, view.key.name or "", Action.ENCRYPT, number)
    sealed = use.material.encrypt(plaintext, associated_data=aad)
    nonce, ciphertext = sealed[:_NONCE], sealed[_NONCE:]
    return {"ciphertext": b64(ciphertext), "initializationVector": b64(nonce), "tagLength": _TAG,
            "ciphertextCrc32c": crc(ciphertext), "initializationVectorCrc32c": crc(nonce),
            "verifiedPlaintextCrc32c": plaintext_checked, "verifiedAdditionalAuthenticatedDataCrc32c": aad_checked,
            "verifiedInitializationVectorCrc32c": False, "name": view.name.version_path(number - view.offset),
            "protectionLevel": _protection(call, view)}


def raw_decrypt(call: Call) -> dict[str, Any]:
    body = call.body
    if call.target.name.version is None:
        raise invalid("RawDecrypt is addressed by a CryptoKeyVersion name.")
    ciphertext = b64_field(body, "ciphertext", required=True)
    checked(body, "ciphertextCrc32c", ciphertext)
    nonce = b64_field(body, "initializationVector", required=True)
    nonce_checked = checked(body, "initializationVectorCrc32c", nonce)
    aad, aad_checked = _aad(body)
    tag_length = int64_field(body, "tagLength")
    if tag_length not in (None, 0, _TAG):
        raise invalid("tag_length must be 16 for AES-GCM.")
    if len(nonce) != _NONCE:
        raise invalid("initialization_vector must be 12 bytes for AES-GCM.")
    view = load(call, call.target.name, Action.DECRYPT)
    number = usable_version(view, call, purpose="RAW_ENCRYPT_DECRYPT")
    use = call.core.named_keys.use(call.ctx, view.space, view.key.name or "", Action.DECRYPT, number, opening=True)
    plaintext = use.material.decrypt(nonce + ciphertext, associated_data=aad)
    return {"plaintext": b64(plaintext), "plaintextCrc32c": crc(plaintext), "protectionLevel":
            _protection(call, view), "verifiedCiphertextCrc32c": "ciphertextCrc32c" in body,
            "verifiedAdditionalAuthenticatedDataCrc32c": aad_checked, "verifiedInitializationVectorCrc32c":
            nonce_checked}
