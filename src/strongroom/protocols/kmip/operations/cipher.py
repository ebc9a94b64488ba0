"""Cryptography with an object: Encrypt, Decrypt, Sign, Signature Verify, MAC, MAC Verify and RNG Retrieve.

Each operation is one part (no streaming: a Correlation Value or Init/Final Indicator is refused). The object's
Cryptographic Usage Mask must allow the use; the core checks the caller may, and the object's state.
"""

from __future__ import annotations

from strongroom.domain.actions import Action
from strongroom.protocols.kmip import conversions, stored
from strongroom.protocols.kmip.call import Call
from strongroom.protocols.kmip.enums import CryptographicUsageMask, ResultReason, ValidityIndicator
from strongroom.protocols.kmip.objects import CryptographicParameters
from strongroom.protocols.kmip.request_payloads import (
    DecryptRequest,
    EncryptRequest,
    RngRetrieveRequest,
    SignRequest,
    VerifyRequest,
)
from strongroom.protocols.kmip.response_payloads import (
    DecryptResponse,
    EncryptResponse,
    RngRetrieveResponse,
    SignResponse,
    VerifyResponse,
)
from strongroom.protocols.kmip.results import Refusal
from strongroom.protocols.kmip.tags import Tag
from strongroom.protocols.kmip.ttlv import Item
from strongroom.service.managed_objects import ManagedObject

MaybeStreamed = EncryptRequest | DecryptRequest | SignRequest | VerifyRequest


def _one_part(payload: MaybeStreamed) -> None:
    if payload.correlation_value is not None or payload.init_indicator or payload.final_indicator is False:
        raise Refusal(ResultReason.FEATURE_NOT_SUPPORTED, "streamed (multi-part) operations are not supported")


def _parameters(given: CryptographicParameters | None, managed: ManagedObject) -> CryptographicParameters:
    """The request's Cryptographic Parameters, else the object's own attribute, else an error."""
    if given is not None:
        return given
    kept = stored.values(managed.attributes, "Cryptographic Parameters")
    if kept and isinstance(kept[0].value, tuple):
        return CryptographicParameters.from_item(Item(Tag.CRYPTOGRAPHIC_PARAMETERS, kept[0].type, kept[0].value))
    raise Refusal(ResultReason.INVALID_FIELD, "Cryptographic Parameters are required (the object has none)")


def _object(call: Call, uid: str, action: Action, bit: CryptographicUsageMask) -> ManagedObject:
    managed = call.core.managed_objects.get(call.ctx, uid, action)
    call.require_usage(managed, bit)
    return managed


def _data(payload: MaybeStreamed) -> bytes:
    if payload.data is None:
        raise Refusal(ResultReason.INVALID_FIELD, "the Data is missing")
    return payload.data


def encrypt(call: Call, payload: EncryptRequest) -> EncryptResponse:
    uid = call.uid(payload.unique_identifier)
    _one_part(payload)
    managed = _object(call, uid, Action.ENCRYPT, CryptographicUsageMask.ENCRYPT)
    parameters = _parameters(payload.cryptographic_parameters, managed)
    mode, padding = conversions.cipher(parameters)
    call.params.update(blockCipherMode=mode, padding=padding)
    iv = payload.iv_counter_nonce
    if parameters.random_iv and iv is not None:
        raise Refusal(ResultReason.INVALID_FIELD, "an IV was given although Random IV asks the server for one")
    tag_length = parameters.tag_length if parameters.tag_length is not None else 16
    done = call.core.object_use.encrypt(
        call.ctx, uid, mode, _data(payload), iv=iv, padding=padding,
        aad=payload.authenticated_encryption_additional_data or b"", tag_length=tag_length)
    return EncryptResponse(uid, done.data, done.iv, authenticated_encryption_tag=done.tag)


def decrypt(call: Call, payload: DecryptRequest) -> DecryptResponse:
    uid = call.uid(payload.unique_identifier)
    _one_part(payload)
    managed = _object(call, uid, Action.DECRYPT, CryptographicUsageMask.DECRYPT)
    parameters = _parameters(payload.cryptographic_parameters, managed)
    mode, padding = conversions.cipher(parameters)
    call.params.update(blockCipherMode=mode, padding=padding)
    plaintext = call.core.object_use.decrypt(
        call.ctx, uid, mode, _data(payload), iv=payload.iv_counter_nonce, padding=padding,
        aad=payload.authenticated_encryption_additional_data or b"", tag=payload.authenticated_encryption_tag)
    return DecryptResponse(uid, plaintext)


def sign(call: Call, payload: SignRequest) -> SignResponse:
    uid = call.uid(payload.unique_identifier)
    _one_part(payload)
    if payload.digested_data is not None:
        raise Refusal(ResultReason.FEATURE_NOT_SUPPORTED, "signing Digested Data is not supported; send the Data")
    use = call.core.object_use
    if payload.operation.name == "MAC":
        managed = _object(call, uid, Action.GENERATE_MAC, CryptographicUsageMask.MAC_GENERATE)
        hash_name = conversions.mac_hash(payload.cryptographic_parameters, managed)
        call.params["hash"] = hash_name
        return SignResponse(uid, use.mac(call.ctx, uid, hash_name, _data(payload)), mac=True)
    managed = _object(call, uid, Action.SIGN, CryptographicUsageMask.SIGN)
    algorithm = conversions.signing_algorithm(payload.cryptographic_parameters, managed)
    call.params["signingAlgorithm"] = algorithm
    return SignResponse(uid, use.sign(call.ctx, uid, algorithm, _data(payload)))


def verify(call: Call, payload: VerifyRequest) -> VerifyResponse:
    uid = call.uid(payload.unique_identifier)
    _one_part(payload)
    if payload.digested_data is not None:
        raise Refusal(ResultReason.FEATURE_NOT_SUPPORTED, "verifying Digested Data is not supported; send the Data")
    if payload.signature is None:
        raise Refusal(ResultReason.INVALID_FIELD, "the signature or MAC to verify is missing")
    use = call.core.object_use
    if payload.operation.name == "MAC_VERIFY":
        managed = _object(call, uid, Action.VERIFY_MAC, CryptographicUsageMask.MAC_VERIFY)
        hash_name = conversions.mac_hash(payload.cryptographic_parameters, managed)
        call.params["hash"] = hash_name
        valid = use.mac_verify(call.ctx, uid, hash_name, _data(payload), payload.signature)
    else:
        managed = _object(call, uid, Action.VERIFY, CryptographicUsageMask.VERIFY)
        algorithm = conversions.signing_algorithm(payload.cryptographic_parameters, managed)
        call.params["signingAlgorithm"] = algorithm
        valid = use.verify(call.ctx, uid, algorithm, _data(payload), payload.signature)
    return VerifyResponse(uid, ValidityIndicator.VALID if valid else ValidityIndicator.INVALID)


def rng_retrieve(call: Call, payload: RngRetrieveRequest) -> RngRetrieveResponse:
    call.params["dataLength"] = payload.data_length
    return RngRetrieveResponse(call.core.object_use.random(call.ctx, payload.data_length))
