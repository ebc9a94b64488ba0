"""Cutting a byte stream into messages. KMIP has no framing of its own: a message is one TTLV Structure, so
the first 8 bytes (tag, type, length) say how many follow. A connection carries any number of messages.

The header is checked before anything else is read, so a stream that is not KMIP (plain HTTP, a TLS
handshake on a plaintext port) or that announces more than ``max_size`` is refused at once, not buffered.
"""

from __future__ import annotations

import asyncio
from typing import BinaryIO

from strongroom.protocols.kmip.errors import FramingError
from strongroom.protocols.kmip.tags import STANDARD_PREFIX

HEADER_SIZE = 8
MAX_MESSAGE_SIZE = 16 * 1024 * 1024
"""The largest whole message (header included) accepted; libmongocrypt applies the same bound."""


def message_size(header: bytes | bytearray | memoryview, max_size: int = MAX_MESSAGE_SIZE) -> int:
    """The total size of the message whose first 8 bytes are ``header``."""
    if len(header) < HEADER_SIZE:
        raise FramingError(f"a message header is {HEADER_SIZE} bytes, got {len(header)}")
    if header[0] != STANDARD_PREFIX:
        raise FramingError(f"a message starts with a 0x{STANDARD_PREFIX:02X} tag, not 0x{bytes(header[:3]).hex()}")
    if header[3] != 0x01:
        raise FramingError(f"a message is a Structure, not type 0x{header[3]:02X}")
    length = int.from_bytes(header[4:8], "big")
    if length % 8:
        raise FramingError(f"a message length of {length} is not a multiple of 8")
    if HEADER_SIZE + length > max_size:
        raise FramingError(f"a message of {HEADER_SIZE + length} bytes exceeds the {max_size}-byte limit")
    return HEADER_SIZE + length


class FrameDecoder:
    """Incremental framing for callback transports (``asyncio.Protocol.data_received``): ``feed`` returns
    every message completed so far; ``close`` checks that the stream did not end inside one."""

    def __init__(self, max_size: int = MAX_MESSAGE_SIZE) -> None:
        self.max_size = max_size
        self._buffer = bytearray()
        self._need: int | None = None

    @property
    def buffered(self) -> int:
        return len(self._buffer)

    def feed(self, data: bytes | bytearray | memoryview) -> list[bytes]:
        self._buffer += data
        out = []
        while True:
            if self._need is None:
                if len(self._buffer) < HEADER_SIZE:
                    break
                self._need = message_size(self._buffer[:HEADER_SIZE], self.max_size)
            if len(self._buffer) < self._need:
                break
            out.append(bytes(self._buffer[: self._need]))
            del self._buffer[: self._need]
            self._need = None
        return out

    def close(self) -> None:
        if self._buffer:
            raise FramingError(f"the stream ended {len(self._buffer)} bytes into a message")


async def read_message(reader: asyncio.StreamReader, max_size: int = MAX_MESSAGE_SIZE) -> bytes | None:
    """One whole message, or None when the peer closed cleanly between messages."""
    try:
        header = await reader.readexactly(HEADER_SIZE)
    except asyncio.IncompleteReadError as short:
        if not short.partial:
            return None
        raise FramingError(f"the stream ended {len(short.partial)} bytes into a message header") from None
    size = message_size(header, max_size)
    try:
        body = await reader.readexactly(size - HEADER_SIZE)
    except asyncio.IncompleteReadError as short:
        raise FramingError(
            f"the stream ended {HEADER_SIZE + len(short.partial)} bytes into a {size}-byte message"
        ) from None
    return header + body


def read_message_from(stream: BinaryIO, max_size: int = MAX_MESSAGE_SIZE) -> bytes | None:
    """The blocking twin of :func:`read_message`, for a file or ``socket.makefile("rb")``."""
    header = _read_exactly(stream, HEADER_SIZE)
    if not header:
        return None
    if len(header) < HEADER_SIZE:
        raise FramingError(f"the stream ended {len(header)} bytes into a message header")
    size = message_size(header, max_size)
    body = _read_exactly(stream, size - HEADER_SIZE)
    if len(body) < size - HEADER_SIZE:
        raise FramingError(f"the stream ended {HEADER_SIZE + len(body)} bytes into a {size}-byte message")
    return header + body


def _read_exactly(stream: BinaryIO, count: int) -> bytes:
    chunks = []
    remaining = count
    while remaining:
        chunk = stream.read(remaining)
        if not chunk:
            break
        chunks.append(chunk)
        remaining -= len(chunk)
    return b"".join(chunks)
