"""The message model's rules: what is refused whole, what fails one batch item, and how each version is written."""

from __future__ import annotations

import pytest

from strongroom.protocols.kmip import (
    KmipError,
    MessageError,
    ResponseBatchItem,
    ResponseHeader,
    ResponseMessage,
    decode_request,
    decode_response,
    encode_response,
    error_response,
    response_header_for,
    ttlv,
)
from strongroom.protocols.kmip.attributes import (
    Attribute,
    AttributeReference,
    attribute_to_1x,
    attribute_to_2x,
    attributes_to_2x,
    name_attribute,
    template_attribute_to_1x,
)
from strongroom.protocols.kmip.enums import BatchErrorContinuationOption, ObjectType, Operation, ResultReason
from strongroom.protocols.kmip.objects import KeyBlock, KeyValue, SymmetricKey
from strongroom.protocols.kmip.request_payloads import (
    CreateRequest,
    GetRequest,
    IdentifierRequest,
    RawRequest,
    RegisterRequest,
)
from strongroom.protocols.kmip.response_payloads import (
    CreateResponse,
    GetAttributeListResponse,
    GetAttributesResponse,
    LocateResponse,
)
from strongroom.protocols.kmip.tags import Tag
from strongroom.protocols.kmip.ttlv import Item, ItemType, enumeration, integer, structure, text_string
from strongroom.protocols.kmip.version import KMIP_1_0, KMIP_1_2, KMIP_1_4, KMIP_2_0, KMIP_2_1, ProtocolVersion


def header(version: ProtocolVersion, count: int = 1, *extra: Item) -> Item:
    return structure(Tag.REQUEST_HEADER, [version.to_item(), *extra, integer(Tag.BATCH_COUNT, count)])


def batch_item(operation: int, *payload: Item, batch_id: bytes | None = None, extra: tuple[Item, ...] = ()) -> Item:
    return structure(
        Tag.BATCH_ITEM,
        [
            enumeration(Tag.OPERATION, operation),
            None if batch_id is None else ttlv.byte_string(Tag.UNIQUE_BATCH_ITEM_ID, batch_id),
            *extra,
            structure(Tag.REQUEST_PAYLOAD, payload),
        ],
    )


def request(
    version: ProtocolVersion, *items: Item, count: int | None = None, header_extra: tuple[Item, ...] = ()
) -> bytes:
    return ttlv.encode(
        structure(Tag.REQUEST_MESSAGE, [header(version, len(items) if count is None else count, *header_extra), *items])
    )


def uid(value: str) -> Item:
    return text_string(Tag.UNIQUE_IDENTIFIER, value)


def refused(data: bytes) -> KmipError:
    with pytest.raises(KmipError) as caught:
        decode_request(data)
    return caught.value


# --- the header ---------------------------------------------------------------------------------------


def test_header_fields_decode() -> None:
    auth = structure(Tag.AUTHENTICATION, [structure(Tag.CREDENTIAL, [enumeration(Tag.CREDENTIAL_TYPE, 1)])])
    data = request(
        KMIP_1_4,
        batch_item(Operation.GET, uid("k")),
        header_extra=(
            integer(Tag.MAXIMUM_RESPONSE_SIZE, 4096),
            text_string(Tag.CLIENT_CORRELATION_VALUE, "corr"),
            auth,
            enumeration(Tag.BATCH_ERROR_CONTINUATION_OPTION, 2),
            ttlv.boolean(Tag.BATCH_ORDER_OPTION, True),
            ttlv.date_time(Tag.TIME_STAMP, 1_700_000_000),
        ),
    )
    h = decode_request(data).header
    assert (h.maximum_response_size, h.client_correlation_value, h.batch_order_option, h.time_stamp) == (
        4096,
        "corr",
        True,
        1_700_000_000,
    )
    assert h.batch_error_continuation_option is BatchErrorContinuationOption.STOP
    assert h.authentication == auth


@pytest.mark.parametrize(
    "version", [KMIP_1_0, ProtocolVersion(1, 1), KMIP_1_2, ProtocolVersion(1, 3), KMIP_1_4, KMIP_2_0, KMIP_2_1], ids=str
)
def test_every_version_1_0_to_2_1_is_read(version: ProtocolVersion) -> None:
    assert decode_request(request(version, batch_item(Operation.GET, uid("k")))).protocol_version == version


@pytest.mark.parametrize("version", [ProtocolVersion(3, 0), ProtocolVersion(1, 5), ProtocolVersion(0, 9)], ids=str)
def test_unsupported_versions_are_refused_and_answered_at_1_0(version: ProtocolVersion) -> None:
    error = refused(request(version, batch_item(Operation.GET, uid("k"))))
    assert error.reason is ResultReason.INVALID_MESSAGE
    answer = decode_response(encode_response(error_response(error, time_stamp=5)))
    assert answer.protocol_version == KMIP_1_0
    (item,) = answer.batch_items
    assert (item.operation, item.result_status, item.result_reason) == (None, 1, ResultReason.INVALID_MESSAGE)


def test_a_refused_message_keeps_its_version_when_readable() -> None:
    error = refused(request(KMIP_1_4, batch_item(Operation.GET, uid("k")), count=2))
    assert error.reason is ResultReason.INVALID_MESSAGE and "Batch Count" in error.detail
    assert error.protocol_version == KMIP_1_4
    assert decode_response(encode_response(error_response(error))).protocol_version == KMIP_1_4


@pytest.mark.parametrize(
    "data",
    [
        ttlv.encode(structure(Tag.RESPONSE_MESSAGE, [header(KMIP_1_0)])),
        ttlv.encode(text_string(Tag.REQUEST_MESSAGE, "x")),
        ttlv.encode(structure(Tag.REQUEST_MESSAGE, [batch_item(Operation.GET, uid("k"))])),
        request(KMIP_1_0, count=0),
        request(KMIP_1_0, batch_item(Operation.GET, uid("k")), header_extra=(text_string(Tag.NAME_VALUE, "?"),)),
        request(KMIP_1_0, batch_item(Operation.GET, uid("k")), header_extra=(integer(Tag.BATCH_COUNT, 1),)),
        request(KMIP_1_0, batch_item(Operation.GET, uid("k")), header_extra=(integer(Tag.MAXIMUM_RESPONSE_SIZE, -1),)),
        request(
            KMIP_1_0, batch_item(Operation.GET, uid("k")), header_extra=(text_string(Tag.MAXIMUM_RESPONSE_SIZE, "1"),)
        ),
        ttlv.encode(
            structure(
                Tag.REQUEST_MESSAGE,
                [structure(Tag.REQUEST_HEADER, [integer(Tag.BATCH_COUNT, 1)]), batch_item(Operation.GET, uid("k"))],
            )
        ),
        ttlv.encode(
            structure(
                Tag.REQUEST_MESSAGE,
                [
                    structure(
                        Tag.REQUEST_HEADER,
                        [
                            structure(Tag.PROTOCOL_VERSION, [integer(Tag.PROTOCOL_VERSION_MAJOR, 1)]),
                            integer(Tag.BATCH_COUNT, 1),
                        ],
                    ),
                    batch_item(Operation.GET, uid("k")),
                ],
            )
        ),
    ],
    ids=[
        "response message",
        "not a structure",
        "no header",
        "zero batch count",
        "unknown header field",
        "repeated field",
        "negative size",
        "ill-typed field",
        "no version",
        "half a version",
    ],
)
def test_malformed_messages_are_refused_whole(data: bytes) -> None:
    error = refused(data)
    assert isinstance(error, MessageError)
    assert error.reason in (ResultReason.INVALID_MESSAGE, ResultReason.INVALID_FIELD)


# --- batch items -----------------------------------------------------------------------------------------


def test_a_bad_batch_item_fails_alone() -> None:
    data = request(
        KMIP_1_2,
        batch_item(Operation.GET, uid("a"), batch_id=b"1"),
        batch_item(Operation.GET, integer(Tag.UNIQUE_IDENTIFIER, 7), batch_id=b"2"),
        batch_item(0x99, batch_id=b"3"),
        structure(Tag.BATCH_ITEM, [structure(Tag.REQUEST_PAYLOAD, [])]),
        batch_item(Operation.ACTIVATE, uid("b"), text_string(Tag.NAME_VALUE, "stray"), batch_id=b"5"),
    )
    first, second, third, fourth, fifth = decode_request(data).batch_items
    assert first.payload == GetRequest("a") and first.error is None
    assert second.payload is None and second.error is not None
    assert (second.operation, second.unique_batch_item_id, second.error.reason) == (
        Operation.GET,
        b"2",
        ResultReason.INVALID_FIELD,
    )
    assert (third.operation, third.error.reason) == (0x99, ResultReason.OPERATION_NOT_SUPPORTED)  # type: ignore[union-attr]
    assert fourth.operation is None and fourth.error.reason is ResultReason.INVALID_MESSAGE  # type: ignore[union-attr]
    assert fifth.error.reason is ResultReason.INVALID_MESSAGE  # type: ignore[union-attr]
    answer = ResponseBatchItem.for_error(second, second.error)
    assert (answer.operation, answer.unique_batch_item_id, answer.result_reason) == (
        Operation.GET,
        b"2",
        ResultReason.INVALID_FIELD,
    )


def test_operations_without_a_model_decode_raw() -> None:
    (item,) = decode_request(
        request(KMIP_1_4, batch_item(Operation.RNG_SEED, ttlv.byte_string(Tag.DATA, b"seed")))
    ).batch_items
    assert item.payload == RawRequest(Operation.RNG_SEED, (ttlv.byte_string(Tag.DATA, b"seed"),))


def test_an_omitted_identifier_is_the_id_placeholder() -> None:
    (item,) = decode_request(request(KMIP_1_0, batch_item(Operation.ACTIVATE))).batch_items
    assert item.payload == IdentifierRequest(Operation.ACTIVATE, None)


def test_ephemeral_is_read_only_from_2_0() -> None:
    ephemeral = (ttlv.boolean(Tag.EPHEMERAL, True),)
    (item,) = decode_request(request(KMIP_2_0, batch_item(Operation.GET, uid("k"), extra=ephemeral))).batch_items
    assert item.ephemeral is True
    (item,) = decode_request(request(KMIP_1_4, batch_item(Operation.GET, uid("k"), extra=ephemeral))).batch_items
    assert item.error is not None


# --- attributes in 1.x and 2.x -----------------------------------------------------------------------------

ATTRS = (
    Attribute.of(Tag.CRYPTOGRAPHIC_ALGORITHM, 3),
    Attribute.of(Tag.CRYPTOGRAPHIC_LENGTH, 128),
    name_attribute("key-1"),
)


def _create(version: ProtocolVersion, attributes: Item) -> CreateRequest | KmipError:
    (item,) = decode_request(
        request(version, batch_item(Operation.CREATE, enumeration(Tag.OBJECT_TYPE, 2), attributes))
    ).batch_items
    return item.payload if item.error is None else item.error  # type: ignore[return-value]


def test_1x_and_2x_attributes_decode_to_the_same_model() -> None:
    one = _create(KMIP_1_4, template_attribute_to_1x(ATTRS))
    two = _create(KMIP_2_0, attributes_to_2x(ATTRS))
    assert one == two == CreateRequest(ObjectType.SYMMETRIC_KEY, ATTRS)


def test_attribute_encodings() -> None:
    length = Attribute.of(Tag.CRYPTOGRAPHIC_LENGTH, 128, index=0)
    assert attribute_to_1x(length) == structure(
        Tag.ATTRIBUTE,
        [
            text_string(Tag.ATTRIBUTE_NAME, "Cryptographic Length"),
            integer(Tag.ATTRIBUTE_INDEX, 0),
            integer(Tag.ATTRIBUTE_VALUE, 128),
        ],
    )
    assert attribute_to_2x(length) == integer(Tag.CRYPTOGRAPHIC_LENGTH, 128)
    vendor = Attribute("colour", ItemType.TEXT_STRING, "blue", vendor="Acme")
    assert attribute_to_2x(vendor) == structure(
        Tag.ATTRIBUTE,
        [
            text_string(Tag.VENDOR_IDENTIFICATION, "Acme"),
            text_string(Tag.ATTRIBUTE_NAME, "colour"),
            text_string(Tag.ATTRIBUTE_VALUE, "blue"),
        ],
    )
    with pytest.raises(ValueError):
        attribute_to_1x(vendor)
    with pytest.raises(ValueError):
        attribute_to_2x(Attribute("x-colour", ItemType.TEXT_STRING, "blue"))


def test_custom_and_vendor_attributes_are_kept() -> None:
    custom = Attribute("x-colour", ItemType.TEXT_STRING, "blue")
    assert _create(KMIP_1_2, template_attribute_to_1x([custom])).attributes == (custom,)  # type: ignore[union-attr]
    assert custom.tag is None
    vendor = Attribute("colour", ItemType.TEXT_STRING, "blue", vendor="Acme")
    assert _create(KMIP_2_0, attributes_to_2x([vendor])).attributes == (vendor,)  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("version", "attributes", "reason"),
    [
        (
            KMIP_1_2,
            template_attribute_to_1x([Attribute("Cryptographic Length", ItemType.TEXT_STRING, "128")]),
            ResultReason.INVALID_FIELD,
        ),
        (
            KMIP_2_0,
            structure(Tag.ATTRIBUTES, [text_string(Tag.CRYPTOGRAPHIC_LENGTH, "128")]),
            ResultReason.INVALID_FIELD,
        ),
        (KMIP_2_0, structure(Tag.ATTRIBUTES, [integer(Tag.BATCH_COUNT, 1)]), ResultReason.INVALID_FIELD),
        (KMIP_2_0, template_attribute_to_1x(ATTRS), ResultReason.INVALID_MESSAGE),
        (KMIP_1_2, attributes_to_2x(ATTRS), ResultReason.INVALID_MESSAGE),
        (KMIP_1_2, structure(Tag.TEMPLATE_ATTRIBUTE, [structure(Tag.NAME, [])]), ResultReason.INVALID_FIELD),
        (
            KMIP_1_2,
            structure(Tag.TEMPLATE_ATTRIBUTE, [structure(Tag.ATTRIBUTE, [integer(Tag.ATTRIBUTE_VALUE, 1)])]),
            ResultReason.INVALID_MESSAGE,
        ),
    ],
    ids=[
        "1.x wrong type",
        "2.x wrong type",
        "2.x not an attribute",
        "1.x form in 2.0",
        "2.x form in 1.2",
        "template reference",
        "attribute without a name",
    ],
)
def test_bad_attributes_fail_the_item(version: ProtocolVersion, attributes: Item, reason: ResultReason) -> None:
    error = _create(version, attributes)
    assert isinstance(error, KmipError)
    assert error.reason is reason


def test_attribute_references_in_both_forms() -> None:
    one = (
        decode_request(
            request(KMIP_1_4, batch_item(Operation.GET_ATTRIBUTES, uid("k"), text_string(Tag.ATTRIBUTE_NAME, "State")))
        )
        .batch_items[0]
        .payload
    )
    two = (
        decode_request(
            request(
                KMIP_2_0,
                batch_item(Operation.GET_ATTRIBUTES, uid("k"), enumeration(Tag.ATTRIBUTE_REFERENCE, Tag.STATE)),
            )
        )
        .batch_items[0]
        .payload
    )
    assert one == two
    (bad,) = decode_request(
        request(KMIP_2_0, batch_item(Operation.GET_ATTRIBUTES, enumeration(Tag.ATTRIBUTE_REFERENCE, Tag.BATCH_COUNT)))
    ).batch_items
    assert bad.error.reason is ResultReason.INVALID_FIELD  # type: ignore[union-attr]


# --- managed objects ---------------------------------------------------------------------------------------


def _register(object_type: int, managed: Item) -> RegisterRequest | KmipError:
    (item,) = decode_request(
        request(
            KMIP_1_2,
            batch_item(
                Operation.REGISTER, enumeration(Tag.OBJECT_TYPE, object_type), template_attribute_to_1x([]), managed
            ),
        )
    ).batch_items
    return item.payload if item.error is None else item.error  # type: ignore[return-value]


KEY = SymmetricKey(KeyBlock(1, KeyValue(b"k" * 16), 3, 128))


def test_register_symmetric_key() -> None:
    assert _register(ObjectType.SYMMETRIC_KEY, KEY.to_item(KMIP_1_2)).managed_object == KEY  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("object_type", "managed"),
    [
        (ObjectType.SECRET_DATA, KEY.to_item(KMIP_1_2)),
        (0x77, KEY.to_item(KMIP_1_2)),
        (ObjectType.SYMMETRIC_KEY, structure(Tag.SYMMETRIC_KEY, [])),
        (
            ObjectType.SYMMETRIC_KEY,
            structure(
                Tag.SYMMETRIC_KEY,
                [
                    structure(
                        Tag.KEY_BLOCK,
                        [enumeration(Tag.KEY_FORMAT_TYPE, 1), ttlv.byte_string(Tag.KEY_VALUE, b"wrapped?")],
                    )
                ],
            ),
        ),
        (
            ObjectType.SYMMETRIC_KEY,
            structure(
                Tag.SYMMETRIC_KEY,
                [
                    structure(
                        Tag.KEY_BLOCK,
                        [enumeration(Tag.KEY_FORMAT_TYPE, 1), structure(Tag.KEY_VALUE, [integer(Tag.KEY_MATERIAL, 1)])],
                    )
                ],
            ),
        ),
        (ObjectType.SYMMETRIC_KEY, text_string(Tag.SYMMETRIC_KEY, "k")),
    ],
    ids=["type mismatch", "unknown type", "no key block", "bytes without wrapping", "integer material", "not a struct"],
)
def test_bad_managed_objects_fail_the_item(object_type: int, managed: Item) -> None:
    assert isinstance(_register(object_type, managed), KmipError)


def test_unmodelled_object_types_are_kept_raw() -> None:
    template = structure(Tag.TEMPLATE, [])
    payload = _register(ObjectType.TEMPLATE, template)
    assert payload.managed_object.item == template  # type: ignore[union-attr]


# --- responses ---------------------------------------------------------------------------------------------


def _payload(payload: object, version: ProtocolVersion) -> Item:
    message = ResponseMessage(ResponseHeader(version, 1), (ResponseBatchItem.success(Operation.LOCATE, payload),))  # type: ignore[arg-type]
    item = decode_response(encode_response(message)).batch_items[0].payload
    assert item is not None
    return item


def test_located_items_only_from_1_3() -> None:
    response = LocateResponse(("a", "b"), located_items=2)
    assert _payload(response, KMIP_1_2).find(Tag.LOCATED_ITEMS) is None
    assert _payload(response, KMIP_1_4).find(Tag.LOCATED_ITEMS) == integer(Tag.LOCATED_ITEMS, 2)
    assert [i.value for i in _payload(response, KMIP_1_4).find_all(Tag.UNIQUE_IDENTIFIER)] == ["a", "b"]


def test_attribute_responses_follow_the_version() -> None:
    response = GetAttributesResponse("k", ATTRS)
    assert len(_payload(response, KMIP_1_4).find_all(Tag.ATTRIBUTE)) == 3
    assert _payload(response, KMIP_2_0).find(Tag.ATTRIBUTES) == attributes_to_2x(ATTRS)
    names = GetAttributeListResponse("k", (AttributeReference("State"),))
    assert _payload(names, KMIP_1_4).find(Tag.ATTRIBUTE_NAME) == text_string(Tag.ATTRIBUTE_NAME, "State")
    assert _payload(names, KMIP_2_0).find(Tag.ATTRIBUTE_REFERENCE) == enumeration(Tag.ATTRIBUTE_REFERENCE, Tag.STATE)
    created = CreateResponse(ObjectType.SYMMETRIC_KEY, "k", ATTRS[:1])
    assert _payload(created, KMIP_1_4).find(Tag.TEMPLATE_ATTRIBUTE) is not None
    assert _payload(created, KMIP_2_0).find(Tag.TEMPLATE_ATTRIBUTE) is None


def test_response_header_echoes_the_request() -> None:
    data = request(
        KMIP_1_4, batch_item(Operation.GET, uid("k")), header_extra=(text_string(Tag.CLIENT_CORRELATION_VALUE, "c-1"),)
    )
    reply = response_header_for(decode_request(data).header, time_stamp=9)
    assert (reply.protocol_version, reply.client_correlation_value, reply.time_stamp) == (KMIP_1_4, "c-1", 9)


def test_response_model_refuses_incomplete_answers() -> None:
    with pytest.raises(ValueError):
        encode_response(ResponseMessage(ResponseHeader(KMIP_1_0, 1), ()))
    broken = ResponseBatchItem(result_status=1, operation=Operation.GET)  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        encode_response(ResponseMessage(ResponseHeader(KMIP_1_0, 1), (broken,)))


def test_responses_carry_only_standard_tags() -> None:
    """libmongocrypt refuses any tag outside 0x42xxxx."""
    message = ResponseMessage(
        ResponseHeader(KMIP_1_2, 1),
        (
            ResponseBatchItem.success(Operation.CREATE, CreateResponse(ObjectType.SYMMETRIC_KEY, "k", ATTRS)),
            ResponseBatchItem.failure(Operation.GET, ResultReason.ITEM_NOT_FOUND, "missing", b"2"),
        ),
    )
    for item in ttlv.decode(encode_response(message)).walk():
        assert item.tag >> 16 == 0x42
