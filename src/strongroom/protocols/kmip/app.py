"""The KMIP front door: one TTLV Request Message in (from the listener, with the client's verified certificate), one
Response Message out.

Order: decode (a message that cannot be read at all is answered whole with an error response) → the client
certificate, bound to a principal (``core.client_certificates``), is the caller → each batch item (``batch.py``):
admitted by the front door (sealed, quota), run by its handler through core services, answered with its own
result → the answer kept within the request's Maximum Response Size (else every item answers Response Too Large)
→ exactly one audit event per batch item, protocol ``kmip`` → the answer, in the request's protocol version.
A connection carries any number of messages; the listener closes one that is idle or sends what cannot be framed.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial

from strongroom.domain.context import RequestContext
from strongroom.domain.unique_ids import unique_id
from strongroom.errors import StrongroomError
from strongroom.protocols.audit_record import RequestSource, audit_event
from strongroom.protocols.kmip import operations
from strongroom.protocols.kmip.batch import Answered, run_batch
from strongroom.protocols.kmip.call import BatchState, Call
from strongroom.protocols.kmip.conversions import asymmetric_spec
from strongroom.protocols.kmip.enums import Operation, ResultReason, ResultStatus
from strongroom.protocols.kmip.errors import FramingError, KmipError
from strongroom.protocols.kmip.framing import MAX_MESSAGE_SIZE, message_size
from strongroom.protocols.kmip.messages import (
    RequestBatchItem,
    RequestMessage,
    ResponseBatchItem,
    ResponseHeader,
    ResponseMessage,
    decode_request,
    encode_response,
    error_response,
    response_header_for,
)
from strongroom.protocols.kmip.request_payloads import CreateKeyPairRequest
from strongroom.protocols.kmip.results import INTERNAL_MESSAGE, Refusal, reason_for
from strongroom.protocols.kmip.templates import read_template
from strongroom.protocols.kmip.version import KMIP_1_0
from strongroom.service.core import Core

log = logging.getLogger("strongroom.kmip")

EVENT_SOURCE = "kmip.strongroom"
AUDIT_FAILED = "the audit trail could not be written; retry"
_CREATE_KEY_PAIR = bytes.fromhex("42005c0500000004") + int(Operation.CREATE_KEY_PAIR).to_bytes(4, "big")


@dataclass(slots=True)
class KmipAnswer:
    """What the listener sends back for one message: the bytes, and what replaces them when the message's audit
    events cannot be written. The connection stays open for the client's next message."""

    data: bytes
    if_commit_fails: Callable[[Exception], bytes] | None = None
    close: bool = False


class KmipApp:
    def __init__(self, core: Core, region: str = "us-east-1") -> None:
        self.core = core
        self.region = region

    # --- the listener's interface ---------------------------------------------------------------

    def check_header(self, header: bytes) -> str | None:
        """Why a message whose first 8 bytes are ``header`` cannot be KMIP (refused before its body is read)."""
        try:
            message_size(header, MAX_MESSAGE_SIZE)
        except FramingError as error:
            return error.detail
        return None

    def slow_work(self, message: bytes, peer_certificate: bytes | None) -> Callable[[], None] | None:
        """Making the RSA keys of this message's Create Key Pair items (up to a second each), for the listener to run
        in a worker thread (``Core.make_key_ahead``). Only for a client whose certificate is bound: nobody else can
        make the server generate."""
        if _CREATE_KEY_PAIR not in message or peer_certificate is None:
            return None
        try:
            self.core.client_certificates.authenticate(peer_certificate)
            request = decode_request(message)
        except (KmipError, StrongroomError):
            return None
        specs = [spec for item in request.batch_items if isinstance(item.payload, CreateKeyPairRequest)
                 for spec in [_rsa_spec(item.payload)] if spec is not None]
        if not specs:
            return None

        def make_keys() -> None:
            for spec in specs:
                self.core.make_key_ahead(spec)
        return make_keys

    def refuse(self, reason: str) -> bytes | None:
        return encode_response(error_response(FramingError(reason)))

    def handle(self, message: bytes, peer_certificate: bytes | None, client_ip: str) -> KmipAnswer:
        source = RequestSource(client_ip, True, {"user-agent": "KMIP"})
        try:
            request = decode_request(message)
        except KmipError as error:
            self._record_refused_message(source, error)
            return KmipAnswer(encode_response(error_response(error)))
        source = RequestSource(client_ip, True, {"user-agent": f"KMIP {request.protocol_version}"})
        answered = self._answer(request, peer_certificate, source)
        header = response_header_for(request.header)
        data, final = self._encoded(request, header, [a.response for a in answered])
        for one, response in zip(answered, final, strict=True):
            one.response = response
            self._record(source, one)

        def audit_failed(exc: Exception) -> bytes:
            return self._encoded(request, header, [_failed(a.request, ResultReason.GENERAL_FAILURE, AUDIT_FAILED)
                                                   for a in answered])[0]
        return KmipAnswer(data, audit_failed)

    # --- one message ----------------------------------------------------------------------------

    def _answer(self, request: RequestMessage, peer_certificate: bytes | None,
                source: RequestSource) -> list[Answered]:
        version = request.protocol_version
        try:
            self.core.front_door.check_unsealed()
            if peer_certificate is None:
                raise _NoCertificate()
            binding = self.core.client_certificates.authenticate(peer_certificate)
            caller = self.core.client_certificates.caller(binding)
        except _NoCertificate:
            return self._refused_whole(request, ResultReason.PERMISSION_DENIED, "no client certificate was presented")
        except StrongroomError as error:
            reason, message = reason_for(error, version)
            return self._refused_whole(request, reason, message)

        def make_call(item: RequestBatchItem, state: BatchState) -> Call:
            ctx = RequestContext(caller, self.region, source.client_ip, True, str(unique_id()), "kmip")
            return Call(self.core, ctx, version, state)

        def admit(call: Call, quota: str) -> None:
            self.core.front_door.admit(call.ctx, quota)

        def undo(call: Call, uid: str) -> None:
            self.core.managed_objects.discard(call.ctx, uid)
        return run_batch(request, make_call, admit, undo)

    @staticmethod
    def _refused_whole(request: RequestMessage, reason: ResultReason, message: str) -> list[Answered]:
        return [Answered(item, _failed(item, reason, message), None) for item in request.batch_items]

    @staticmethod
    def _encoded(request: RequestMessage, header: ResponseHeader,
                 responses: list[ResponseBatchItem]) -> tuple[bytes, list[ResponseBatchItem]]:
        """The Response Message and the items it holds: within the request's Maximum Response Size (else each item
        answers Response Too Large); a fault in writing it answers General Failure."""
        try:
            data = encode_response(ResponseMessage(header, tuple(responses)))
        except (ValueError, KmipError):
            log.exception("a KMIP response could not be encoded")
            responses = [_failed(_as_request(r), ResultReason.GENERAL_FAILURE, INTERNAL_MESSAGE) for r in responses]
            return encode_response(ResponseMessage(header, tuple(responses))), responses
        limit = request.header.maximum_response_size
        if limit is not None and len(data) > limit:
            responses = [_failed(_as_request(r), ResultReason.RESPONSE_TOO_LARGE,
                                 f"the response is {len(data)} bytes, more than the {limit} allowed")
                         for r in responses]
            data = encode_response(ResponseMessage(header, tuple(responses)))
        return data, responses

    # --- the audit trail ------------------------------------------------------------------------

    def _record(self, source: RequestSource, answered: Answered) -> None:
        response, call = answered.response, answered.call
        failed = response.result_status == ResultStatus.OPERATION_FAILED
        served = operations.served(answered.request.operation)
        params = dict(call.params) if call is not None else {}
        if response.result_status == ResultStatus.OPERATION_UNDONE:
            params["undone"] = True
        self.core.front_door.record(partial(
            audit_event, request=source, request_id=call.ctx.request_id if call is not None else str(unique_id()),
            now=self.core.clock.now(), operation=operations.event_name(answered.request.operation), admin=False,
            ctx=call.ctx if call is not None else None, params=params, response=None,
            error_code=_reason_name(response.result_reason) if failed else None,
            error_message=response.result_message if failed else None, protocol="kmip", event_source=EVENT_SOURCE,
            read_only=served.read_only if served is not None else True))

    def _record_refused_message(self, source: RequestSource, error: KmipError) -> None:
        version = error.protocol_version or KMIP_1_0
        self.core.front_door.record(partial(
            audit_event, request=source, request_id=str(unique_id()), now=self.core.clock.now(), operation="Unknown",
            admin=False, ctx=None, params={"protocolVersion": str(version)}, response=None,
            error_code=_reason_name(error.reason), error_message=error.detail, protocol="kmip",
            event_source=EVENT_SOURCE, read_only=True))


def _rsa_spec(payload: CreateKeyPairRequest) -> str | None:
    try:
        private = read_template(payload.private_key_attributes, read_template(payload.common_attributes))
        spec = asymmetric_spec(private.algorithm, private.length)
    except (Refusal, KmipError):
        return None
    return spec if spec.startswith("RSA_") else None


class _NoCertificate(Exception):
    pass


def _failed(item: RequestBatchItem, reason: ResultReason, message: str) -> ResponseBatchItem:
    return ResponseBatchItem.failure(item.operation, reason, message, item.unique_batch_item_id)


def _as_request(response: ResponseBatchItem) -> RequestBatchItem:
    """The parts of a request item an answer echoes, from an answer."""
    return RequestBatchItem(response.operation, None, None, response.unique_batch_item_id)


def _reason_name(reason: int | None) -> str:
    try:
        return "".join(part.capitalize() for part in ResultReason(reason).name.split("_"))  # type: ignore[arg-type]
    except ValueError:
        return str(reason)
