"""libmongocrypt's KMIP messages: requests decode into the model and re-encode byte for byte; the responses it
accepts are exactly what the model encodes."""

from __future__ import annotations

import pytest

from strongroom.protocols.kmip import (
    ResponseBatchItem,
    ResponseHeader,
    ResponseMessage,
    decode_request,
    decode_response,
    encode_response,
    ttlv,
)
from strongroom.protocols.kmip.attributes import Attribute, template_attribute_to_1x
from strongroom.protocols.kmip.enums import (
    CryptographicAlgorithm,
    KeyFormatType,
    ObjectType,
    Operation,
    ResultReason,
    SecretDataType,
)
from strongroom.protocols.kmip.objects import KeyBlock, KeyValue, SecretData
from strongroom.protocols.kmip.request_payloads import CreateRequest, IdentifierRequest, RegisterRequest
from strongroom.protocols.kmip.response_payloads import CreateResponse, GetResponse, RegisterResponse
from strongroom.protocols.kmip.tags import Tag
from strongroom.protocols.kmip.ttlv import ItemType
from strongroom.protocols.kmip.version import KMIP_1_0, KMIP_1_2, KMIP_1_4, ProtocolVersion
from tests.protocols.kmip import vectors

ALL_GOLDEN = {
    name: getattr(vectors, name)
    for name in dir(vectors)
    if name.startswith("MONGOCRYPT_")
    and name != "MONGOCRYPT_REGISTER_PREFIX"
    and isinstance(getattr(vectors, name), bytes)
}


@pytest.mark.parametrize("data", ALL_GOLDEN.values(), ids=ALL_GOLDEN.keys())
def test_golden_messages_round_trip_through_the_codec(data: bytes) -> None:
    assert ttlv.encode(ttlv.decode(data)) == data


def _only_item(data: bytes):
    message = decode_request(data)
    assert message.header.batch_count == 1
    (item,) = message.batch_items
    assert item.error is None
    return message, item


# --- requests -------------------------------------------------------------------------------------------


def mongocrypt_register_request() -> bytes:
    """libmongocrypt's current Register: 1.0, usage mask 0, Seed secret data in an Opaque key block."""
    payload = ttlv.structure(
        Tag.REQUEST_PAYLOAD,
        [
            ttlv.enumeration(Tag.OBJECT_TYPE, ObjectType.SECRET_DATA),
            template_attribute_to_1x([Attribute("Cryptographic Usage Mask", ItemType.INTEGER, 0)]),
            SecretData(SecretDataType.SEED, KeyBlock(KeyFormatType.OPAQUE, KeyValue(vectors.SECRET_96))).to_item(
                KMIP_1_0
            ),
        ],
    )
    message = ttlv.structure(
        Tag.REQUEST_MESSAGE,
        [
            ttlv.structure(Tag.REQUEST_HEADER, [KMIP_1_0.to_item(), ttlv.integer(Tag.BATCH_COUNT, 1)]),
            ttlv.structure(Tag.BATCH_ITEM, [ttlv.enumeration(Tag.OPERATION, Operation.REGISTER), payload]),
        ],
    )
    return ttlv.encode(message)


def test_mongocrypt_register_matches_the_recorded_prefix_and_size() -> None:
    data = mongocrypt_register_request()
    assert len(data) == 344
    assert data.startswith(vectors.MONGOCRYPT_REGISTER_PREFIX)


def test_mongocrypt_register_decodes() -> None:
    message, item = _only_item(mongocrypt_register_request())
    assert message.protocol_version == KMIP_1_0
    assert item.operation is Operation.REGISTER
    payload = item.payload
    assert isinstance(payload, RegisterRequest)
    assert payload.object_type is ObjectType.SECRET_DATA
    assert payload.attributes == (Attribute("Cryptographic Usage Mask", ItemType.INTEGER, 0),)
    assert payload.attributes[0].tag is Tag.CRYPTOGRAPHIC_USAGE_MASK
    secret = payload.managed_object
    assert isinstance(secret, SecretData)
    assert secret.secret_data_type is SecretDataType.SEED
    assert secret.key_block.key_format_type is KeyFormatType.OPAQUE
    assert secret.key_block.key_material == vectors.SECRET_96


def test_kms_message_register_test_vector_decodes() -> None:
    message, item = _only_item(vectors.MONGOCRYPT_REGISTER_1_4)
    assert message.protocol_version == KMIP_1_4
    assert item.unique_batch_item_id == b"A"
    payload = item.payload
    assert isinstance(payload, RegisterRequest)
    assert payload.attributes == ()
    assert payload.managed_object.key_block.key_format_type is KeyFormatType.RAW  # type: ignore[union-attr]
    assert payload.managed_object.key_block.key_material == vectors.SECRET_96  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("data", "operation", "version"),
    [
        (vectors.MONGOCRYPT_GET, Operation.GET, KMIP_1_0),
        (vectors.MONGOCRYPT_ACTIVATE_1_4, Operation.ACTIVATE, KMIP_1_4),
    ],
)
def test_mongocrypt_get_and_activate_decode(data: bytes, operation: Operation, version: ProtocolVersion) -> None:
    message, item = _only_item(data)
    assert message.protocol_version == version
    assert item.operation is operation
    assert item.payload.unique_identifier == vectors.MONGOCRYPT_UID  # type: ignore[union-attr]
    if operation is Operation.ACTIVATE:
        assert item.payload == IdentifierRequest(Operation.ACTIVATE, vectors.MONGOCRYPT_UID)


def test_mongocrypt_create_decodes() -> None:
    message, item = _only_item(vectors.MONGOCRYPT_CREATE)
    assert message.protocol_version == KMIP_1_2
    assert item.payload == CreateRequest(
        ObjectType.SYMMETRIC_KEY,
        (
            Attribute("Cryptographic Algorithm", ItemType.ENUMERATION, CryptographicAlgorithm.AES),
            Attribute("Cryptographic Length", ItemType.INTEGER, 256),
            Attribute("Cryptographic Usage Mask", ItemType.INTEGER, 12),
        ),
    )


# --- responses ------------------------------------------------------------------------------------------


def test_register_response_is_encoded_exactly() -> None:
    message = ResponseMessage(
        ResponseHeader(KMIP_1_0, 0x61659715),
        (ResponseBatchItem.success(Operation.REGISTER, RegisterResponse("39")),),
    )
    assert encode_response(message) == vectors.MONGOCRYPT_REGISTER_RESPONSE


def test_register_response_with_a_batch_item_id_is_encoded_exactly() -> None:
    message = ResponseMessage(
        ResponseHeader(KMIP_1_4, 0x615BD530),
        (ResponseBatchItem.success(Operation.REGISTER, RegisterResponse(vectors.MONGOCRYPT_UID), b"A"),),
    )
    assert encode_response(message) == vectors.MONGOCRYPT_REGISTER_RESPONSE_1_4


def test_get_response_is_encoded_exactly() -> None:
    secret = SecretData(SecretDataType.SEED, KeyBlock(KeyFormatType.RAW, KeyValue(vectors.SECRET_96)))
    message = ResponseMessage(
        ResponseHeader(KMIP_1_4, 0x61571A0D),
        (ResponseBatchItem.success(Operation.GET, GetResponse(vectors.MONGOCRYPT_GET_RESPONSE_UID, secret)),),
    )
    assert encode_response(message) == vectors.MONGOCRYPT_GET_RESPONSE


def test_not_found_response_is_encoded_exactly() -> None:
    message = ResponseMessage(
        ResponseHeader(KMIP_1_4, 0x61571E81),
        (ResponseBatchItem.failure(Operation.GET, ResultReason.ITEM_NOT_FOUND, "ResultReasonItemNotFound"),),
    )
    assert encode_response(message) == vectors.MONGOCRYPT_GET_NOT_FOUND


def test_create_response_has_the_size_pykmip_answered_with() -> None:
    message = ResponseMessage(
        ResponseHeader(KMIP_1_2, 0x61659715),
        (ResponseBatchItem.success(Operation.CREATE, CreateResponse(ObjectType.SYMMETRIC_KEY, "47")),),
    )
    assert len(encode_response(message)) == 168


def test_golden_responses_read_back() -> None:
    response = decode_response(vectors.MONGOCRYPT_GET_NOT_FOUND)
    assert response.protocol_version == KMIP_1_4
    (item,) = response.batch_items
    assert (item.operation, item.result_status, item.result_reason) == (Operation.GET, 1, 1)
    assert item.result_message == "ResultReasonItemNotFound"
    get = decode_response(vectors.MONGOCRYPT_GET_RESPONSE).batch_items[0].payload
    assert get is not None
    secret = get.find(Tag.SECRET_DATA)
    assert secret is not None
    material = secret.find(Tag.KEY_BLOCK).find(Tag.KEY_VALUE).find(Tag.KEY_MATERIAL)  # type: ignore[union-attr]
    assert material.value == vectors.SECRET_96  # type: ignore[union-attr]
