"""Symmetric cryptographic operations."""

from __future__ import annotations

from typing import Any

from strongroom.domain.context import RequestContext
from strongroom.errors import InvalidRequestError
from strongroom.service.core import Core

SYMMETRIC_DEFAULT = "SYMMETRIC_DEFAULT"


def _check_algorithm(value: str | None) -> None:
    if value not in (None, SYMMETRIC_DEFAULT):
        raise InvalidRequestError(f"EncryptionAlgorithm {value} is not valid for a symmetric key.")


def _ignores_ciphertext(p: dict[str, Any]) -> bool:
    return "IGNORE_CIPHERTEXT" in (p.get("DryRunModifiers") or ())


def _ciphertext(p: dict[str, Any]) -> bytes:
    """The model leaves CiphertextBlob optional (for IGNORE_CIPHERTEXT dry runs); every other call needs it."""
    blob = p.get("CiphertextBlob")
    if blob is None:
        if p.get("DryRun") and _ignores_ciphertext(p):
            return b""
        raise InvalidRequestError(
            "1 validation error detected: Value null at 'ciphertextBlob' failed to satisfy constraint: "
            "Member must not be null")
    return blob


def encrypt(core: Core, ctx: RequestContext, p: dict[str, Any]) -> dict[str, Any]:
    _check_algorithm(p.get("EncryptionAlgorithm"))
    sealed = core.crypto.encrypt(ctx, p["KeyId"], p["Plaintext"], p.get("EncryptionContext"),
                                 dry_run=bool(p.get("DryRun")))
    return {"CiphertextBlob": sealed.ciphertext, "KeyId": sealed.key.arn, "EncryptionAlgorithm": SYMMETRIC_DEFAULT}


def decrypt(core: Core, ctx: RequestContext, p: dict[str, Any]) -> dict[str, Any]:
    _check_algorithm(p.get("EncryptionAlgorithm"))
    opened = core.crypto.decrypt(ctx, _ciphertext(p), p.get("EncryptionContext"), p.get("KeyId"),
                                 dry_run=bool(p.get("DryRun")), ignore_ciphertext=_ignores_ciphertext(p))
    return {"KeyId": opened.key.arn, "Plaintext": opened.plaintext, "EncryptionAlgorithm": SYMMETRIC_DEFAULT,
            "KeyMaterialId": opened.material_id}


def re_encrypt(core: Core, ctx: RequestContext, p: dict[str, Any]) -> dict[str, Any]:
    _check_algorithm(p.get("SourceEncryptionAlgorithm"))
    _check_algorithm(p.get("DestinationEncryptionAlgorithm"))
    done = core.crypto.re_encrypt(
        ctx, _ciphertext(p), p["DestinationKeyId"], source_context=p.get("SourceEncryptionContext"),
        destination_context=p.get("DestinationEncryptionContext"), source_key_ref=p.get("SourceKeyId"),
        dry_run=bool(p.get("DryRun")), ignore_ciphertext=_ignores_ciphertext(p))
    return {"CiphertextBlob": done.destination.ciphertext, "SourceKeyId": done.source.key.arn,
            "KeyId": done.destination.key.arn, "SourceEncryptionAlgorithm": SYMMETRIC_DEFAULT,
            "DestinationEncryptionAlgorithm": SYMMETRIC_DEFAULT, "SourceKeyMaterialId": done.source.material_id,
            "DestinationKeyMaterialId": done.destination.material_id}


def _data_key(core: Core, ctx: RequestContext, p: dict[str, Any], with_plaintext: bool):  # type: ignore[no-untyped-def]
    return core.crypto.generate_data_key(ctx, p["KeyId"], key_spec=p.get("KeySpec"),
                                         number_of_bytes=p.get("NumberOfBytes"),
                                         context=p.get("EncryptionContext"), dry_run=bool(p.get("DryRun")),
                                         with_plaintext=with_plaintext)


def generate_data_key(core: Core, ctx: RequestContext, p: dict[str, Any]) -> dict[str, Any]:
    data_key = _data_key(core, ctx, p, True)
    return {"CiphertextBlob": data_key.sealed.ciphertext, "Plaintext": data_key.plaintext,
            "KeyId": data_key.sealed.key.arn, "KeyMaterialId": data_key.sealed.material_id}


def generate_data_key_without_plaintext(core: Core, ctx: RequestContext, p: dict[str, Any]) -> dict[str, Any]:
    data_key = _data_key(core, ctx, p, False)
    return {"CiphertextBlob": data_key.sealed.ciphertext, "KeyId": data_key.sealed.key.arn,
            "KeyMaterialId": data_key.sealed.material_id}


def generate_random(core: Core, ctx: RequestContext, p: dict[str, Any]) -> dict[str, Any]:
    if p.get("CustomKeyStoreId"):
        raise InvalidRequestError("Custom key stores are not supported by this server.")
    return {"Plaintext": core.crypto.generate_random(ctx, p.get("NumberOfBytes"))}


HANDLERS = {
    "Encrypt": encrypt,
    "Decrypt": decrypt,
    "ReEncrypt": re_encrypt,
    "GenerateDataKey": generate_data_key,
    "GenerateDataKeyWithoutPlaintext": generate_data_key_without_plaintext,
    "GenerateRandom": generate_random,
}
