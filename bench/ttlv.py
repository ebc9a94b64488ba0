"""The KMIP messages the KMIP cells replay, encoded by hand (TTLV, KMIP 1.x), and the checks of their answers.

A request is built once per cell and replayed as is: libmongocrypt's shapes, Get at protocol version 1.0 and
Encrypt (AES-CBC, PKCS5 padding, RandomIV) at 1.2, each with BatchCount 1 and no optional header field. The
load generator only needs ``message_length`` (framing) and ``result_status`` (a walk of a few items, no full
parse); the preflight checks the whole answer with ``check_reply``.
"""

from __future__ import annotations

import struct
from collections.abc import Sequence
from dataclasses import dataclass

# Item types.
STRUCTURE, INTEGER, LONG_INTEGER, ENUMERATION, BOOLEAN, TEXT_STRING, BYTE_STRING, DATE_TIME = 1, 2, 3, 5, 6, 7, 8, 9
# Tags.
REQUEST_MESSAGE, REQUEST_HEADER, RESPONSE_MESSAGE, RESPONSE_HEADER = 0x420078, 0x420077, 0x42007B, 0x42007A
PROTOCOL_VERSION, PROTOCOL_VERSION_MAJOR, PROTOCOL_VERSION_MINOR = 0x420069, 0x42006A, 0x42006B
BATCH_COUNT, BATCH_ITEM, OPERATION, REQUEST_PAYLOAD, RESPONSE_PAYLOAD = 0x42000D, 0x42000F, 0x42005C, 0x420079, 0x42007C
RESULT_STATUS, RESULT_REASON, RESULT_MESSAGE = 0x42007F, 0x42007E, 0x42007D
UNIQUE_IDENTIFIER, CRYPTOGRAPHIC_PARAMETERS, DATA, IV_COUNTER_NONCE = 0x420094, 0x42002B, 0x4200C2, 0x42003D
BLOCK_CIPHER_MODE, PADDING_METHOD, CRYPTOGRAPHIC_ALGORITHM, RANDOM_IV = 0x420011, 0x42005F, 0x420028, 0x4200C5
SYMMETRIC_KEY, SECRET_DATA, KEY_BLOCK, KEY_VALUE, KEY_MATERIAL = 0x42008F, 0x420085, 0x420040, 0x420045, 0x420043
# Enumeration values.
OP_GET, OP_ENCRYPT = 0x0A, 0x1F
CBC, PKCS5, AES = 1, 3, 3
SUCCESS = 0

HEADER_BYTES = 8  # tag (3) + type (1) + length (4): a message is this header and ``length`` more bytes

# Cell operation -> what its request is.
KMIP_OPERATIONS = ("KmipGet", "KmipEncrypt")


def item(tag: int, kind: int, value: object) -> bytes:
    """One TTLV item: ``value`` is a list of encoded children for a Structure, else the Python value."""
    if kind == STRUCTURE:
        assert isinstance(value, Sequence)
        raw = b"".join(value)  # type: ignore[arg-type]
    elif kind in (INTEGER, ENUMERATION):
        assert isinstance(value, int)
        raw = struct.pack(">I", value & 0xFFFFFFFF)
    elif kind in (LONG_INTEGER, DATE_TIME):
        assert isinstance(value, int)
        raw = struct.pack(">q", value)
    elif kind == BOOLEAN:
        raw = struct.pack(">Q", 1 if value else 0)
    elif kind == TEXT_STRING:
        assert isinstance(value, str)
        raw = value.encode()
    elif kind == BYTE_STRING:
        assert isinstance(value, bytes)
        raw = value
    else:
        raise ValueError(f"unsupported item type {kind}")
    return tag.to_bytes(3, "big") + bytes([kind]) + struct.pack(">I", len(raw)) + raw + b"\0" * (-len(raw) % 8)


def request_message(operation: int, payload: list[bytes], version: tuple[int, int]) -> bytes:
    """A RequestMessage with one batch item, as libmongocrypt sends it (no optional header field)."""
    header = item(REQUEST_HEADER, STRUCTURE, [
        item(PROTOCOL_VERSION, STRUCTURE, [item(PROTOCOL_VERSION_MAJOR, INTEGER, version[0]),
                                           item(PROTOCOL_VERSION_MINOR, INTEGER, version[1])]),
        item(BATCH_COUNT, INTEGER, 1)])
    batch = item(BATCH_ITEM, STRUCTURE, [item(OPERATION, ENUMERATION, operation),
                                         item(REQUEST_PAYLOAD, STRUCTURE, payload)])
    return item(REQUEST_MESSAGE, STRUCTURE, [header, batch])


def get_request(uid: str) -> bytes:
    """Get by UniqueIdentifier, KMIP 1.0, no key format or wrapping asked (libmongocrypt's Get)."""
    return request_message(OP_GET, [item(UNIQUE_IDENTIFIER, TEXT_STRING, uid)], (1, 0))


def encrypt_request(uid: str, data: bytes) -> bytes:
    """Encrypt ``data`` with AES-CBC, PKCS5 padding and a server-chosen IV, KMIP 1.2 (libmongocrypt's Encrypt)."""
    parameters = item(CRYPTOGRAPHIC_PARAMETERS, STRUCTURE, [
        item(BLOCK_CIPHER_MODE, ENUMERATION, CBC), item(PADDING_METHOD, ENUMERATION, PKCS5),
        item(CRYPTOGRAPHIC_ALGORITHM, ENUMERATION, AES), item(RANDOM_IV, BOOLEAN, True)])
    return request_message(OP_ENCRYPT, [item(UNIQUE_IDENTIFIER, TEXT_STRING, uid), parameters,
                                        item(DATA, BYTE_STRING, data)], (1, 2))


# --- reading answers -----------------------------------------------------------------------------


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


@dataclass(frozen=True, slots=True)
class Item:
    tag: int
    kind: int
    value: bytes | list[Item]

    def child(self, tag: int) -> Item | None:
        assert isinstance(self.value, list)
        return next((c for c in self.value if c.tag == tag), None)

    def path(self, *tags: int) -> Item | None:
        """The first item reached by following ``tags`` down from here, or None."""
        found: Item | None = self
        for tag in tags:
            if found is None or not isinstance(found.value, list):
                return None
            found = found.child(tag)
        return found


def parse(buffer: bytes, offset: int = 0, end: int | None = None) -> list[Item]:
    """Every item in ``buffer[offset:end]``, Structures parsed into their children."""
    end = len(buffer) if end is None else end
    items = []
    while offset < end:
        if offset + HEADER_BYTES > end:
            raise ValueError(f"truncated item header at byte {offset}")
        tag, kind = int.from_bytes(buffer[offset:offset + 3], "big"), buffer[offset + 3]
        length = int.from_bytes(buffer[offset + 4:offset + 8], "big")
        start = offset + HEADER_BYTES
        if start + length > end:
            raise ValueError(f"item {tag:06x} at byte {offset} runs past its container")
        value: bytes | list[Item] = (parse(buffer, start, start + length) if kind == STRUCTURE
                                     else bytes(buffer[start:start + length]))
        items.append(Item(tag, kind, value))
        offset = start + _padded(length)
    return items


def _enum(found: Item | None) -> int | None:
    return int.from_bytes(found.value, "big") if found is not None and isinstance(found.value, bytes) else None


def check_reply(operation: str, message: bytes) -> str | None:
    """None when ``message`` is a successful answer to ``operation`` ("KmipGet", "KmipEncrypt") with what
    libmongocrypt reads from it (Get: a KeyMaterial; Encrypt: Data and a 16-byte IVCounterNonce); else why not."""
    try:
        top = parse(message)
    except ValueError as exc:
        return f"{operation}: unreadable answer ({exc})"
    if len(top) != 1 or top[0].tag != RESPONSE_MESSAGE:
        return f"{operation}: not a ResponseMessage"
    batch = top[0].child(BATCH_ITEM)
    if batch is None:
        return f"{operation}: no BatchItem"
    status = _enum(batch.child(RESULT_STATUS))
    if status != SUCCESS:
        reason = _enum(batch.child(RESULT_REASON))
        text = batch.child(RESULT_MESSAGE)
        detail = text.value.decode(errors="replace") if text is not None and isinstance(text.value, bytes) else ""
        return f"{operation}: ResultStatus {status}, ResultReason {reason}: {detail}"
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
        if iv is None or len(iv.value) != 16:
            return f"{operation}: no 16-byte IVCounterNonce in the answer"
    return None
