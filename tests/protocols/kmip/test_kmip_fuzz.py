"""Hostile input: mutated golden messages and random bytes either decode or raise KmipError, nothing else.

Bounded: a fixed seed, a fixed number of cases, and well under five seconds on a small machine.
"""

from __future__ import annotations

import random
import time

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from strongroom.protocols.kmip import FrameDecoder, KmipError, decode_request, decode_response, ttlv
from tests.protocols.kmip import vectors

SEEDS = [
    vectors.MONGOCRYPT_REGISTER_1_4,
    vectors.MONGOCRYPT_GET,
    vectors.MONGOCRYPT_ACTIVATE_1_4,
    vectors.MONGOCRYPT_CREATE,
]
RESPONSE_SEEDS = [
    vectors.MONGOCRYPT_GET_RESPONSE,
    vectors.MONGOCRYPT_REGISTER_RESPONSE,
    vectors.MONGOCRYPT_GET_NOT_FOUND,
]
INTERESTING = [0x00, 0x01, 0x02, 0x04, 0x05, 0x07, 0x08, 0x0B, 0x0C, 0x42, 0x54, 0x7F, 0x80, 0xFF]


def _mutate(rng: random.Random, data: bytes) -> bytes:
    out = bytearray(data)
    for _ in range(rng.randint(1, 4)):
        choice = rng.random()
        position = rng.randrange(len(out)) if out else 0
        if choice < 0.45 and out:
            out[position] = rng.choice(INTERESTING) if rng.random() < 0.5 else rng.randrange(256)
        elif choice < 0.6 and out:
            # lengths and types sit at offsets 3..7 of an 8-aligned header
            header = position - position % 8
            if header + 8 <= len(out):
                out[header + 4 : header + 8] = rng.choice(
                    [0, 1, 4, 7, 8, 0xFFFF, 0x7FFFFFFF, 0xFFFFFFFF, rng.randrange(2**16)]
                ).to_bytes(4, "big")
        elif choice < 0.75:
            del out[position : position + rng.randint(1, 16)]
        elif choice < 0.9:
            out[position:position] = bytes(rng.randrange(256) for _ in range(rng.randint(1, 16)))
        else:
            start = rng.randrange(0, max(1, len(data) - 8), 8)
            out[position:position] = data[start : start + 8 * rng.randint(1, 4)]
    return bytes(out)


def _decode_everything(data: bytes) -> None:
    for decode in (ttlv.decode, decode_request, decode_response):
        try:
            decode(data)
        except KmipError:
            pass


def test_mutated_golden_messages() -> None:
    rng = random.Random(20240517)
    started = time.monotonic()
    decoded_some = 0
    for case in range(6000):
        data = _mutate(rng, SEEDS[case % len(SEEDS)] if case % 5 else RESPONSE_SEEDS[case % 3])
        _decode_everything(data)
        try:
            decode_request(data)
            decoded_some += 1
        except KmipError as error:
            assert error.detail and error.reason
        decoder = FrameDecoder()
        try:
            decoder.feed(data)
            decoder.close()
        except KmipError:
            pass
    assert time.monotonic() - started < 5
    assert decoded_some > 0  # some mutations (a changed value byte) still make valid messages


def _random_leaf(rng: random.Random, tags: list[int]) -> ttlv.Item:
    tag = rng.choice(tags)
    return rng.choice(
        [
            lambda: ttlv.integer(tag, rng.choice([0, 1, -1, 2**31 - 1, -(2**31)])),
            lambda: ttlv.long_integer(tag, rng.choice([0, -1, 2**63 - 1])),
            lambda: ttlv.big_integer(tag, rng.choice([0, -1, 2**100])),
            lambda: ttlv.enumeration(tag, rng.choice([0, 1, 2, 3, 7, 0x12, 0x420028, 0xFFFFFFFF])),
            lambda: ttlv.boolean(tag, rng.random() < 0.5),
            lambda: ttlv.text_string(tag, rng.choice(["", "x", "Cryptographic Length", "Name", "x-custom"])),
            lambda: ttlv.byte_string(tag, bytes(rng.randrange(256) for _ in range(rng.randint(0, 20)))),
            lambda: ttlv.date_time(tag, rng.choice([0, -1, 2**40])),
            lambda: ttlv.interval(tag, rng.choice([0, 2**32 - 1])),
            lambda: ttlv.date_time_extended(tag, 1),
            lambda: ttlv.structure(tag, []),
        ]
    )()


def _mutate_tree(rng: random.Random, item: ttlv.Item, tags: list[int]) -> ttlv.Item:
    if item.type is not ttlv.ItemType.STRUCTURE or not item.children or rng.random() < 0.15:
        return _random_leaf(rng, tags)
    children = list(item.children)
    index = rng.randrange(len(children))
    action = rng.random()
    if action < 0.5:
        children[index] = _mutate_tree(rng, children[index], tags)
    elif action < 0.65:
        del children[index]
    elif action < 0.8:
        children.insert(index, children[index])
    elif action < 0.9:
        children.insert(index, _random_leaf(rng, tags))
    else:
        rng.shuffle(children)
    return ttlv.structure(item.tag, children)


def test_structure_aware_mutations_reach_the_payload_decoders() -> None:
    """Byte mutations mostly stop at the TTLV layer; swapping whole items exercises the message model."""
    rng = random.Random(7)
    trees = [ttlv.decode(seed) for seed in SEEDS]
    tags = sorted({child.tag for tree in trees for child in tree.walk()})
    item_errors = 0
    for case in range(3000):
        mutated = _mutate_tree(rng, trees[case % len(trees)], tags)
        try:
            message = decode_request(ttlv.encode(mutated))
        except KmipError:
            continue
        for item in message.batch_items:
            assert (item.payload is None) != (item.error is None)
            item_errors += item.error is not None
    assert item_errors > 0


def test_libmongocrypt_parser_overflow_shape() -> None:
    """A length field of 0xFFFFFFFF inside an otherwise valid message (the oss-fuzz crash class)."""
    for offset in range(4, len(vectors.MONGOCRYPT_CREATE), 8):
        data = bytearray(vectors.MONGOCRYPT_CREATE)
        data[offset : offset + 4] = b"\xff\xff\xff\xff"
        _decode_everything(bytes(data))


@settings(max_examples=400, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=256))
def test_random_bytes(data: bytes) -> None:
    _decode_everything(data)


@settings(max_examples=300, deadline=None, derandomize=True)
@given(
    st.lists(
        st.tuples(st.integers(0, 0xFFFFFF), st.integers(0, 12), st.integers(0, 64), st.binary(max_size=24)), max_size=8
    )
)
def test_random_item_headers(parts: list[tuple[int, int, int, bytes]]) -> None:
    """Headers with plausible tags and types but arbitrary lengths, nested inside a Request Message."""
    body = b"".join(
        tag.to_bytes(3, "big") + bytes([kind]) + length.to_bytes(4, "big") + value for tag, kind, length, value in parts
    )
    _decode_everything(b"\x42\x00\x78\x01" + len(body).to_bytes(4, "big") + body)
