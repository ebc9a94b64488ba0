"""The KMIP adapter: TTLV codec, message model and framing, and the server side over the core (:mod:`.app`).

A server loop reads a frame (:mod:`.framing`), decodes it (:func:`decode_request`), answers each batch item
with a :class:`ResponseBatchItem`, and writes :func:`encode_response` of a :class:`ResponseMessage` built
with :func:`response_header_for`. A message refused whole is answered with :func:`error_response`.
``app.KmipApp`` does that for the listener: authentication by client certificate, one operations table
(:mod:`.operations`), the batch rules (:mod:`.batch`), the error table (:mod:`.results`) and the audit trail.
"""

from strongroom.protocols.kmip.errors import FramingError, KmipError, MessageError, TtlvError
from strongroom.protocols.kmip.framing import MAX_MESSAGE_SIZE, FrameDecoder, read_message, read_message_from
from strongroom.protocols.kmip.messages import (
    RequestBatchItem,
    RequestHeader,
    RequestMessage,
    ResponseBatchItem,
    ResponseHeader,
    ResponseMessage,
    decode_request,
    decode_response,
    encode_response,
    error_response,
    response_header_for,
)
from strongroom.protocols.kmip.version import DECODABLE_VERSIONS, ProtocolVersion

__all__ = [
    "DECODABLE_VERSIONS",
    "MAX_MESSAGE_SIZE",
    "FrameDecoder",
    "FramingError",
    "KmipError",
    "MessageError",
    "ProtocolVersion",
    "RequestBatchItem",
    "RequestHeader",
    "RequestMessage",
    "ResponseBatchItem",
    "ResponseHeader",
    "ResponseMessage",
    "TtlvError",
    "decode_request",
    "decode_response",
    "encode_response",
    "error_response",
    "read_message",
    "read_message_from",
    "response_header_for",
]
