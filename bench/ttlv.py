"""The KMIP messages the KMIP cells replay, and the checks of their answers.

The requests are the client library's own, which are libmongocrypt's byte for byte
(``strongroom_client.providers.kmip_messages``): Get at protocol version 1.0 and Encrypt (AES-CBC, PKCS5 padding,
RandomIV) at 1.2, each with BatchCount 1. A request is built once per cell and replayed as is. The load generator
only needs ``message_length`` (framing) and ``result_status`` (a walk of a few items, no full parse); the preflight
checks the whole answer with ``check_reply``, over the client library's TTLV reader.
"""

from __future__ import annotations

from strongroom_client.errors import KmsError
from strongroom_client.providers import kmip_messages
from strongroom_client.providers.ttlv import Item, decode

# Item types and tags (KMIP 1.4 §9.1.3): what the answers are checked for.
STRUCTURE, ENUMERATION = 1, 5
RESPONSE_MESSAGE, BATCH_ITEM, RESPONSE_PAYLOAD = 0x42007B, 0x42000F, 0x42007C
RESULT_STATUS, RESULT_REASON, RESULT_MESSAGE = 0x42007F, 0x42007E, 0x42007D
DATA, IV_COUNTER_NONCE = 0x4200C2, 0x42003D
SYMMETRIC_KEY, SECRET_DATA, KEY_BLOCK, KEY_VALUE, KEY_MATERIAL = 0x42008F, 0x420085, 0x420040, 0x420045, 0x420043
SUCCESS = 0

HEADER_BYTES = 8  # tag (3) + type (1) + length (4): a message is this header and ``length`` more bytes

# Cell operation -> what its request is.
KMIP_OPERATIONS = ("KmipGet", "KmipEncrypt")


def get_request(uid: str) -> bytes:
    return kmip_messages.get(uid)


def encrypt_request(uid: str, data: bytes) -> bytes:
    return kmip_messages.encrypt(uid, data)


def message_length(header: bytes) -> int:
    """The whole message's size in bytes, from its first 8 bytes."""
    return HEADER_BYTES + int.from_bytes(header[4:8], "big")


def _padded(length: int) -> int:
    return length + (-length % 8)


def result_status(message: bytes | bytearray | memoryview) -> int:
    """The ResultStatus of the first batch item of a ResponseMessage (0 is Success); -1 when the message is not a
    well-formed response. Walks only the top-level items and the batch item's leading ones."""
    view = memoryview(message)
    if len(view) < HEADER_BYTES or int.from_bytes(view[0:3], "big") != RESPONSE_MESSAGE or view[3] != STRUCTURE:
        return -1
    end = min(len(view), HEADER_BYTES + int.from_bytes(view[4:8], "big"))
    offset = HEADER_BYTES
    while offset + HEADER_BYTES <= end:
        tag, length = int.from_bytes(view[offset:offset + 3], "big"), int.from_bytes(view[offset + 4:offset + 8], "big")
        if tag == BATCH_ITEM:
            inner, inner_end = offset + HEADER_BYTES, min(end, offset + HEADER_BYTES + length)
            while inner + HEADER_BYTES <= inner_end:
                child = int.from_bytes(view[inner:inner + 3], "big")
                child_length = int.from_bytes(view[inner + 4:inner + 8], "big")
                if child == RESULT_STATUS and view[inner + 3] == ENUMERATION and child_length == 4:
                    return int.from_bytes(view[inner + 8:inner + 12], "big")
                inner += HEADER_BYTES + _padded(child_length)
            return -1
        offset += HEADER_BYTES + _padded(length)
    return -1


def check_reply(operation: str, message: bytes) -> str | None:
    """None when ``message`` is a successful answer to ``operation`` ("KmipGet", "KmipEncrypt") with what
    libmongocrypt reads from it (Get: a KeyMaterial; Encrypt: Data and a 16-byte IVCounterNonce); else why not."""
    try:
        top = decode(message)
    except KmsError as exc:
        return f"{operation}: unreadable answer ({exc})"
    if top.tag != RESPONSE_MESSAGE:
        return f"{operation}: not a ResponseMessage"
    batch = top.child(BATCH_ITEM)
    if batch is None:
        return f"{operation}: no BatchItem"
    status = _value(batch.child(RESULT_STATUS))
    if status != SUCCESS:
        reason, text = _value(batch.child(RESULT_REASON)), _value(batch.child(RESULT_MESSAGE))
        return f"{operation}: ResultStatus {status}, ResultReason {reason}: {text or ''}"
    payload = batch.child(RESPONSE_PAYLOAD)
    if payload is None:
        return f"{operation}: Success without a ResponsePayload"
    if operation == "KmipGet":
        material = next((payload.path(obj, KEY_BLOCK, KEY_VALUE, KEY_MATERIAL) for obj in (SECRET_DATA, SYMMETRIC_KEY)
                         if payload.child(obj) is not None), None)
        if material is None or not material.value:
            return f"{operation}: no KeyBlock/KeyValue/KeyMaterial in the answer"
    elif operation == "KmipEncrypt":
        data, iv = payload.child(DATA), payload.child(IV_COUNTER_NONCE)
        if data is None or not data.value:
            return f"{operation}: no Data in the answer"
        if iv is None or not isinstance(iv.value, bytes) or len(iv.value) != 16:
            return f"{operation}: no 16-byte IVCounterNonce in the answer"
    return None


def _value(found: Item | None) -> object:
    return found.value if found is not None else None
