"""Cutting streams into messages: whole messages out, truncation and oversize refused, non-KMIP refused early."""

from __future__ import annotations

import asyncio
import io

import pytest

from strongroom.protocols.kmip import FrameDecoder, FramingError, read_message, read_message_from
from strongroom.protocols.kmip.framing import MAX_MESSAGE_SIZE, message_size
from tests.protocols.kmip.vectors import MONGOCRYPT_CREATE, MONGOCRYPT_GET, SPEC_STRUCTURE, hexbytes

SMALL = hexbytes(SPEC_STRUCTURE)


def test_message_size_reads_the_first_eight_bytes() -> None:
    assert message_size(MONGOCRYPT_GET[:8]) == len(MONGOCRYPT_GET)
    assert message_size(SMALL) == 40


@pytest.mark.parametrize(
    "header",
    [
        b"GET / HT",  # plain HTTP on the KMIP port
        b"\x16\x03\x01\x02\x00\x01\x00\x01",  # a TLS ClientHello on a plaintext listener
        hexbytes("420078 02 00000004"),  # not a Structure
        hexbytes("420078 01 00000009"),  # a Structure length that is not a multiple of 8
        hexbytes("420078 01 01000000"),  # 16 MiB of body: over the limit with its header
        hexbytes("420078 01"),  # short
    ],
)
def test_bad_headers_are_refused_at_once(header: bytes) -> None:
    with pytest.raises(FramingError):
        message_size(header)


def test_the_limit_is_inclusive_and_configurable() -> None:
    body = MAX_MESSAGE_SIZE - 8
    assert message_size(hexbytes("420078 01") + body.to_bytes(4, "big")) == MAX_MESSAGE_SIZE
    with pytest.raises(FramingError, match="exceeds"):
        message_size(MONGOCRYPT_GET[:8], max_size=64)


def test_frame_decoder_handles_any_split() -> None:
    stream = MONGOCRYPT_GET + MONGOCRYPT_CREATE + SMALL
    for step in (1, 3, 8, 13, 1000):
        decoder = FrameDecoder()
        out: list[bytes] = []
        for start in range(0, len(stream), step):
            out += decoder.feed(stream[start : start + step])
        assert out == [MONGOCRYPT_GET, MONGOCRYPT_CREATE, SMALL]
        decoder.close()


def test_frame_decoder_detects_truncation_and_garbage() -> None:
    decoder = FrameDecoder()
    assert decoder.feed(MONGOCRYPT_GET[:-1]) == []
    assert decoder.buffered == len(MONGOCRYPT_GET) - 1
    with pytest.raises(FramingError, match="ended"):
        decoder.close()
    with pytest.raises(FramingError):
        FrameDecoder().feed(b"GET / HTTP/1.1\r\n")


def test_blocking_reader() -> None:
    stream = io.BytesIO(MONGOCRYPT_GET + SMALL)
    assert read_message_from(stream) == MONGOCRYPT_GET
    assert read_message_from(stream) == SMALL
    assert read_message_from(stream) is None
    for cut in (3, 8, 20):
        with pytest.raises(FramingError, match="ended"):
            read_message_from(io.BytesIO(MONGOCRYPT_GET[:cut]))


def _reader(data: bytes) -> asyncio.StreamReader:
    reader = asyncio.StreamReader()
    reader.feed_data(data)
    reader.feed_eof()
    return reader


def test_async_reader() -> None:
    async def scenario() -> None:
        reader = _reader(MONGOCRYPT_CREATE + MONGOCRYPT_GET)
        assert await read_message(reader) == MONGOCRYPT_CREATE
        assert await read_message(reader) == MONGOCRYPT_GET
        assert await read_message(reader) is None
        for cut in (5, 8, 100):
            with pytest.raises(FramingError, match="ended"):
                await read_message(_reader(MONGOCRYPT_CREATE[:cut]))
        with pytest.raises(FramingError, match="exceeds"):
            await read_message(_reader(MONGOCRYPT_CREATE), max_size=100)

    asyncio.run(scenario())
