"""Request and Response Messages: header plus batch items, for KMIP 1.0–1.4 and 2.0–2.1.

``decode_request(data)`` turns one framed message into a :class:`RequestMessage`. Faults in the TTLV or the
header raise (:class:`TtlvError` / :class:`MessageError`: the whole message is refused). A fault inside one
batch item does not: that item carries ``error`` instead of ``payload``, so a server can answer it alone and
still honour the Batch Error Continuation Option for the rest.

``encode_response(message)`` writes a :class:`ResponseMessage` in the protocol version its header names.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from strongroom.protocols.kmip import request_payloads, response_payloads
from strongroom.protocols.kmip.enums import (
    BatchErrorContinuationOption,
    Operation,
    ResultReason,
    ResultStatus,
    known,
)
from strongroom.protocols.kmip.errors import KmipError, MessageError
from strongroom.protocols.kmip.fields import Fields
from strongroom.protocols.kmip.tags import Tag
from strongroom.protocols.kmip.ttlv import (
    DEFAULT_LIMITS,
    Item,
    ItemType,
    Limits,
    byte_string,
    date_time,
    decode,
    encode,
    enumeration,
    integer,
    structure,
    text_string,
)
from strongroom.protocols.kmip.version import DECODABLE_VERSIONS, KMIP_1_0, ProtocolVersion

S, T, B, BS, E, I, DT = (  # noqa: E741
    ItemType.STRUCTURE,
    ItemType.TEXT_STRING,
    ItemType.BOOLEAN,
    ItemType.BYTE_STRING,
    ItemType.ENUMERATION,
    ItemType.INTEGER,
    ItemType.DATE_TIME,
)

# --- requests -------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class RequestHeader:
    protocol_version: ProtocolVersion
    batch_count: int
    maximum_response_size: int | None = None
    client_correlation_value: str | None = None
    server_correlation_value: str | None = None
    asynchronous_indicator: bool | None = None
    attestation_capable_indicator: bool | None = None
    attestation_types: tuple[int, ...] = ()
    authentication: Item | None = None
    """Kept raw: the transport (mutual TLS) authenticates; a server that also checks credentials reads it."""
    batch_error_continuation_option: int | None = None
    batch_order_option: bool | None = None
    time_stamp: int | None = None

    @classmethod
    def from_item(cls, item: Item) -> RequestHeader:
        fields = Fields(item, "the Request Header")
        version = ProtocolVersion.from_item(fields.item(Tag.PROTOCOL_VERSION))
        if version not in DECODABLE_VERSIONS:
            raise MessageError.invalid_message(f"protocol version {version} is not supported")
        try:
            header = cls(
                protocol_version=version,
                batch_count=fields.one(Tag.BATCH_COUNT, I),
                maximum_response_size=fields.maybe(Tag.MAXIMUM_RESPONSE_SIZE, I),
                client_correlation_value=fields.maybe(Tag.CLIENT_CORRELATION_VALUE, T),
                server_correlation_value=fields.maybe(Tag.SERVER_CORRELATION_VALUE, T),
                asynchronous_indicator=fields.maybe(Tag.ASYNCHRONOUS_INDICATOR, B),
                attestation_capable_indicator=fields.maybe(Tag.ATTESTATION_CAPABLE_INDICATOR, B),
                attestation_types=tuple(fields.many(Tag.ATTESTATION_TYPE, E)),
                authentication=fields.maybe_item(Tag.AUTHENTICATION, S),
                batch_error_continuation_option=fields.maybe_enum(
                    Tag.BATCH_ERROR_CONTINUATION_OPTION, BatchErrorContinuationOption
                ),
                batch_order_option=fields.maybe(Tag.BATCH_ORDER_OPTION, B),
                time_stamp=fields.maybe(Tag.TIME_STAMP, DT),
            )
            fields.done()
            if header.batch_count < 1:
                raise MessageError.invalid_message(f"Batch Count is {header.batch_count}")
            if header.maximum_response_size is not None and header.maximum_response_size < 0:
                raise MessageError.invalid_field("Maximum Response Size is negative")
        except KmipError as error:
            error.protocol_version = version
            raise
        return header


@dataclass(frozen=True, slots=True)
class RequestBatchItem:
    """Exactly one of ``payload`` and ``error`` is set. ``operation`` is None only when the item was too broken
    to name one; it is a plain int for an operation number this model does not know."""

    operation: Operation | int | None
    payload: request_payloads.RequestPayload | None
    error: KmipError | None = None
    unique_batch_item_id: bytes | None = None
    ephemeral: bool | None = None
    message_extension: Item | None = None


@dataclass(frozen=True, slots=True)
class RequestMessage:
    header: RequestHeader
    batch_items: tuple[RequestBatchItem, ...]

    @property
    def protocol_version(self) -> ProtocolVersion:
        return self.header.protocol_version


def decode_request(data: bytes | bytearray | memoryview, limits: Limits = DEFAULT_LIMITS) -> RequestMessage:
    """Decode one Request Message (the bytes of one frame). Raises :class:`KmipError` for a message that must
    be refused whole; its ``protocol_version`` is set when the header got that far."""
    item = decode(data, limits)
    if item.tag != Tag.REQUEST_MESSAGE:
        raise MessageError.invalid_message("not a Request Message")
    fields = Fields(item, "the Request Message")
    header = RequestHeader.from_item(fields.item(Tag.REQUEST_HEADER))
    batch = fields.take(Tag.BATCH_ITEM)
    try:
        fields.done()
        if len(batch) != header.batch_count:
            raise MessageError.invalid_message(f"Batch Count is {header.batch_count} but {len(batch)} items came")
    except KmipError as error:
        error.protocol_version = header.protocol_version
        raise
    items = tuple(_batch_item(child, header.protocol_version) for child in batch)
    return RequestMessage(header, items)


def _batch_item(item: Item, version: ProtocolVersion) -> RequestBatchItem:
    operation: Operation | int | None = None
    batch_id = None
    try:
        fields = Fields(item, "a Batch Item")
        raw_operation = fields.maybe(Tag.OPERATION, E)
        batch_id = fields.maybe(Tag.UNIQUE_BATCH_ITEM_ID, BS)
        if raw_operation is None:
            raise MessageError.invalid_message("a Batch Item lacks its Operation")
        operation = known(Operation, raw_operation)
        ephemeral = fields.maybe(Tag.EPHEMERAL, B) if version.uses_attributes_structure else None
        extension = fields.maybe_item(Tag.MESSAGE_EXTENSION, S)
        payload_item = fields.item(Tag.REQUEST_PAYLOAD)
        fields.done()
        if not isinstance(operation, Operation):
            raise MessageError(ResultReason.OPERATION_NOT_SUPPORTED, f"operation {raw_operation} is not known")
        payload = request_payloads.decode_payload(operation, payload_item, version)
    except KmipError as error:
        error.protocol_version = version
        return RequestBatchItem(operation, None, error, batch_id)
    return RequestBatchItem(operation, payload, None, batch_id, ephemeral, extension)


# --- responses ------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ResponseBatchItem:
    result_status: ResultStatus
    operation: Operation | int | None = None
    unique_batch_item_id: bytes | None = None
    result_reason: ResultReason | int | None = None
    result_message: str | None = None
    asynchronous_correlation_value: bytes | None = None
    payload: response_payloads.ResponsePayload | None = None
    message_extension: Item | None = None

    @classmethod
    def success(
        cls,
        operation: Operation | int,
        payload: response_payloads.ResponsePayload | None,
        batch_id: bytes | None = None,
    ) -> ResponseBatchItem:
        return cls(ResultStatus.SUCCESS, operation, batch_id, payload=payload)

    @classmethod
    def failure(
        cls,
        operation: Operation | int | None,
        reason: ResultReason | int,
        message: str | None = None,
        batch_id: bytes | None = None,
    ) -> ResponseBatchItem:
        return cls(ResultStatus.OPERATION_FAILED, operation, batch_id, reason, message)

    @classmethod
    def for_error(cls, request: RequestBatchItem, error: KmipError) -> ResponseBatchItem:
        """The failed answer to one request item, echoing its Operation and Unique Batch Item ID."""
        return cls.failure(request.operation, error.reason, error.detail, request.unique_batch_item_id)

    def to_item(self, version: ProtocolVersion) -> Item:
        if self.result_status == ResultStatus.OPERATION_FAILED and self.result_reason is None:
            raise ValueError("a failed batch item needs a Result Reason")
        return structure(
            Tag.BATCH_ITEM,
            [
                None if self.operation is None else enumeration(Tag.OPERATION, self.operation),
                None
                if self.unique_batch_item_id is None
                else byte_string(Tag.UNIQUE_BATCH_ITEM_ID, self.unique_batch_item_id),
                enumeration(Tag.RESULT_STATUS, self.result_status),
                None if self.result_reason is None else enumeration(Tag.RESULT_REASON, self.result_reason),
                None if self.result_message is None else text_string(Tag.RESULT_MESSAGE, self.result_message),
                None
                if self.asynchronous_correlation_value is None
                else byte_string(Tag.ASYNCHRONOUS_CORRELATION_VALUE, self.asynchronous_correlation_value),
                None if self.payload is None else self.payload.to_item(version),
                self.message_extension,
            ],
        )


@dataclass(frozen=True, slots=True)
class ResponseHeader:
    protocol_version: ProtocolVersion
    time_stamp: int = field(default_factory=lambda: int(time.time()))
    """POSIX seconds; required in every response."""
    client_correlation_value: str | None = None
    server_correlation_value: str | None = None
    attestation_types: tuple[int, ...] = ()
    nonce: Item | None = None

    def to_item(self, batch_count: int) -> Item:
        return structure(
            Tag.RESPONSE_HEADER,
            [
                self.protocol_version.to_item(),
                date_time(Tag.TIME_STAMP, self.time_stamp),
                self.nonce,
                *(enumeration(Tag.ATTESTATION_TYPE, kind) for kind in self.attestation_types),
                None
                if self.client_correlation_value is None
                else text_string(Tag.CLIENT_CORRELATION_VALUE, self.client_correlation_value),
                None
                if self.server_correlation_value is None
                else text_string(Tag.SERVER_CORRELATION_VALUE, self.server_correlation_value),
                integer(Tag.BATCH_COUNT, batch_count),
            ],
        )


@dataclass(frozen=True, slots=True)
class ResponseMessage:
    header: ResponseHeader
    batch_items: tuple[ResponseBatchItem, ...]

    def to_item(self) -> Item:
        if not self.batch_items:
            raise ValueError("a Response Message needs at least one batch item")
        version = self.header.protocol_version
        return structure(
            Tag.RESPONSE_MESSAGE,
            [self.header.to_item(len(self.batch_items)), *(item.to_item(version) for item in self.batch_items)],
        )


def encode_response(message: ResponseMessage) -> bytes:
    return encode(message.to_item())


def response_header_for(request: RequestHeader, time_stamp: int | None = None) -> ResponseHeader:
    """A header answering ``request``: same version, client correlation value echoed."""
    return ResponseHeader(
        request.protocol_version,
        int(time.time()) if time_stamp is None else time_stamp,
        client_correlation_value=request.client_correlation_value,
    )


def error_response(error: KmipError, time_stamp: int | None = None) -> ResponseMessage:
    """The answer to a message refused whole: one failed item without an Operation, in the request's version
    when it was readable and 1.0 otherwise (as PyKMIP answers)."""
    version = error.protocol_version or KMIP_1_0
    header = ResponseHeader(version, int(time.time()) if time_stamp is None else time_stamp)
    return ResponseMessage(header, (ResponseBatchItem.failure(None, error.reason, error.detail),))


# --- reading responses (for tests and clients) ----------------------------------------------------------


@dataclass(frozen=True, slots=True)
class DecodedResponseItem:
    result_status: int
    operation: int | None
    unique_batch_item_id: bytes | None
    result_reason: int | None
    result_message: str | None
    payload: Item | None


@dataclass(frozen=True, slots=True)
class DecodedResponse:
    """A Response Message read back, payloads left as items."""

    protocol_version: ProtocolVersion
    time_stamp: int
    batch_items: tuple[DecodedResponseItem, ...]


def decode_response(data: bytes | bytearray | memoryview, limits: Limits = DEFAULT_LIMITS) -> DecodedResponse:
    item = decode(data, limits)
    if item.tag != Tag.RESPONSE_MESSAGE:
        raise MessageError.invalid_message("not a Response Message")
    fields = Fields(item, "the Response Message")
    header = Fields(fields.item(Tag.RESPONSE_HEADER), "the Response Header")
    version = ProtocolVersion.from_item(header.item(Tag.PROTOCOL_VERSION))
    time_stamp = header.one(Tag.TIME_STAMP, DT)
    count = header.one(Tag.BATCH_COUNT, I)
    batch = fields.take(Tag.BATCH_ITEM)
    fields.done()
    if count != len(batch):
        raise MessageError.invalid_message(f"Batch Count is {count} but {len(batch)} items came")
    out = []
    for child in batch:
        item_fields = Fields(child, "a Batch Item")
        out.append(
            DecodedResponseItem(
                result_status=item_fields.one(Tag.RESULT_STATUS, E),
                operation=item_fields.maybe(Tag.OPERATION, E),
                unique_batch_item_id=item_fields.maybe(Tag.UNIQUE_BATCH_ITEM_ID, BS),
                result_reason=item_fields.maybe(Tag.RESULT_REASON, E),
                result_message=item_fields.maybe(Tag.RESULT_MESSAGE, T),
                payload=item_fields.maybe_item(Tag.RESPONSE_PAYLOAD, S),
            )
        )
    return DecodedResponse(version, time_stamp, tuple(out))
