"""Encrypt, Decrypt, ReEncrypt (symmetric and RSA keys), data keys, data key pairs and random bytes."""

from __future__ import annotations

from typing import Any

from strongroom.domain.context import RequestContext
from strongroom.errors import InvalidRequestError, UnsupportedError
from strongroom.protocols.aws.key_ids import key_ref, optional_key_ref
from strongroom.service.core import Core

RECIPIENT_UNSUPPORTED = ("Recipient (a Nitro Enclaves or NitroTPM attestation document) is not supported by this "
                         "server.")


def _with_material(out: dict[str, Any], name: str, material_id: str | None) -> dict[str, Any]:
    """AWS reports a KeyMaterialId only for symmetric ciphertexts."""
    if material_id is not None:
        out[name] = material_id
    return out


def _ignores_ciphertext(p: dict[str, Any]) -> bool:
    return "IGNORE_CIPHERTEXT" in (p.get("DryRunModifiers") or ())


def _ciphertext(p: dict[str, Any], key_member: str = "KeyId") -> bytes:
    """The model leaves CiphertextBlob optional (for IGNORE_CIPHERTEXT dry runs); every other call needs it."""
    if p.get("DryRun") and _ignores_ciphertext(p) and p.get(key_member) is None:
        raise InvalidRequestError("KeyId is required when DryRunModifiers contains IGNORE_CIPHERTEXT.")
    blob = p.get("CiphertextBlob")
    if blob is None:
        if p.get("DryRun") and _ignores_ciphertext(p):
            return b""
        raise InvalidRequestError(
            "1 validation error detected: Value null at 'ciphertextBlob' failed to satisfy constraint: "
            "Member must not be null")
    return blob


def encrypt(core: Core, ctx: RequestContext, p: dict[str, Any]) -> dict[str, Any]:
    sealed = core.crypto.encrypt(ctx, key_ref(p["KeyId"]), p["Plaintext"], p.get("EncryptionContext"),
                                 algorithm=p.get("EncryptionAlgorithm"), check_only=bool(p.get("DryRun")))
    return {"CiphertextBlob": sealed.ciphertext, "KeyId": sealed.key.arn, "EncryptionAlgorithm": sealed.algorithm}


def decrypt(core: Core, ctx: RequestContext, p: dict[str, Any]) -> dict[str, Any]:
    opened = core.crypto.decrypt(ctx, _ciphertext(p), p.get("EncryptionContext"), optional_key_ref(p.get("KeyId")),
                                 algorithm=p.get("EncryptionAlgorithm"), check_only=bool(p.get("DryRun")),
                                 ignore_ciphertext=_ignores_ciphertext(p))
    out = {"KeyId": opened.key.arn, "Plaintext": opened.plaintext, "EncryptionAlgorithm": opened.algorithm}
    return _with_material(out, "KeyMaterialId", opened.material_id)


def re_encrypt(core: Core, ctx: RequestContext, p: dict[str, Any]) -> dict[str, Any]:
    done = core.crypto.re_encrypt(
        ctx, _ciphertext(p, "SourceKeyId"), key_ref(p["DestinationKeyId"]),
        source_context=p.get("SourceEncryptionContext"), destination_context=p.get("DestinationEncryptionContext"),
        source_key_ref=optional_key_ref(p.get("SourceKeyId")), source_algorithm=p.get("SourceEncryptionAlgorithm"),
        destination_algorithm=p.get("DestinationEncryptionAlgorithm"), check_only=bool(p.get("DryRun")),
        ignore_ciphertext=_ignores_ciphertext(p))
    out = {"CiphertextBlob": done.destination.ciphertext, "SourceKeyId": done.source.key.arn,
           "KeyId": done.destination.key.arn, "SourceEncryptionAlgorithm": done.source.algorithm,
           "DestinationEncryptionAlgorithm": done.destination.algorithm}
    _with_material(out, "SourceKeyMaterialId", done.source.material_id)
    return _with_material(out, "DestinationKeyMaterialId", done.destination.material_id)


def _data_key(core: Core, ctx: RequestContext, p: dict[str, Any], with_plaintext: bool):  # type: ignore[no-untyped-def]
    return core.crypto.generate_data_key(ctx, key_ref(p["KeyId"]), key_spec=p.get("KeySpec"),
                                         number_of_bytes=p.get("NumberOfBytes"),
                                         context=p.get("EncryptionContext"), check_only=bool(p.get("DryRun")),
                                         with_plaintext=with_plaintext)


def generate_data_key(core: Core, ctx: RequestContext, p: dict[str, Any]) -> dict[str, Any]:
    data_key = _data_key(core, ctx, p, True)
    return {"CiphertextBlob": data_key.sealed.ciphertext, "Plaintext": data_key.plaintext,
            "KeyId": data_key.sealed.key.arn, "KeyMaterialId": data_key.sealed.material_id}


def generate_data_key_without_plaintext(core: Core, ctx: RequestContext, p: dict[str, Any]) -> dict[str, Any]:
    data_key = _data_key(core, ctx, p, False)
    return {"CiphertextBlob": data_key.sealed.ciphertext, "KeyId": data_key.sealed.key.arn,
            "KeyMaterialId": data_key.sealed.material_id}


def _data_key_pair(core: Core, ctx: RequestContext, p: dict[str, Any], with_plaintext: bool) -> dict[str, Any]:
    if p.get("Recipient"):
        raise UnsupportedError(RECIPIENT_UNSUPPORTED)
    pair = core.crypto.generate_data_key_pair(ctx, key_ref(p["KeyId"]), p["KeyPairSpec"],
                                              context=p.get("EncryptionContext"),
                                              check_only=bool(p.get("DryRun")), with_plaintext=with_plaintext)
    out: dict[str, Any] = {"PrivateKeyCiphertextBlob": pair.sealed.ciphertext, "PublicKey": pair.public_key,
                           "KeyId": pair.sealed.key.arn, "KeyPairSpec": pair.key_pair_spec}
    if pair.private_key is not None:
        out["PrivateKeyPlaintext"] = pair.private_key
    return _with_material(out, "KeyMaterialId", pair.sealed.material_id)


def generate_data_key_pair(core: Core, ctx: RequestContext, p: dict[str, Any]) -> dict[str, Any]:
    return _data_key_pair(core, ctx, p, True)


def generate_data_key_pair_without_plaintext(core: Core, ctx: RequestContext, p: dict[str, Any]) -> dict[str, Any]:
    return _data_key_pair(core, ctx, p, False)


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
    "GenerateDataKeyPair": generate_data_key_pair,
    "GenerateDataKeyPairWithoutPlaintext": generate_data_key_pair_without_plaintext,
    "GenerateRandom": generate_random,
}
