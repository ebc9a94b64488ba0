"""The TTLV codec: the spec's examples, round trips of every type, and every way input can be malformed."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from strongroom.protocols.kmip import ttlv
from strongroom.protocols.kmip.enums import ResultReason
from strongroom.protocols.kmip.errors import KmipError, TtlvError
from strongroom.protocols.kmip.tags import Tag
from strongroom.protocols.kmip.ttlv import Item, ItemType, Limits
from tests.protocols.kmip.vectors import SPEC_ITEMS, SPEC_STRUCTURE, hexbytes

TAG = 0x420020


# --- the specification's examples -----------------------------------------------------------------------


@pytest.mark.parametrize(("what", "encoded", "type_name", "value"), SPEC_ITEMS, ids=[row[0] for row in SPEC_ITEMS])
def test_spec_examples_decode_and_encode_byte_for_byte(what: str, encoded: str, type_name: str, value: object) -> None:
    data = hexbytes(encoded)
    item = ttlv.decode(data)
    assert item == Item(TAG, ItemType[type_name], value)
    assert ttlv.encode(Item(TAG, ItemType[type_name], value)) == data


def test_spec_structure_example() -> None:
    data = hexbytes(SPEC_STRUCTURE)
    item = ttlv.decode(data)
    assert item == ttlv.structure(TAG, [ttlv.enumeration(0x420004, 254), ttlv.integer(0x420005, 255)])
    assert ttlv.encode(item) == data


def test_date_time_extended_is_microseconds() -> None:
    moment = datetime(2017, 11, 20, 5, 20, 40, 345567, tzinfo=UTC)
    micros = int(moment.timestamp()) * 1_000_000 + moment.microsecond
    data = ttlv.encode(ttlv.date_time_extended(TAG, micros))
    assert data == hexbytes("42 00 20 | 0B | 00 00 00 08 | 00 05 5E 63 3F 4D 1F DF")
    assert ttlv.decode(data).value == micros


def test_date_time_accepts_a_datetime() -> None:
    moment = datetime(2008, 3, 14, 11, 56, 40, tzinfo=UTC)
    assert ttlv.date_time(TAG, moment).value == 1205495800
    assert ttlv.to_datetime(1205495800) == moment


@pytest.mark.parametrize(
    ("value", "size"),
    [
        (0, 8),
        (1, 8),
        (-1, 8),
        (2**63 - 1, 8),
        (-(2**63), 8),
        (2**63, 16),
        (-(2**63) - 1, 16),
        (2**64 - 1, 16),
        (2**127 - 1, 16),
        (2**127, 24),
    ],
)
def test_big_integer_uses_the_minimal_sign_extension(value: int, size: int) -> None:
    data = ttlv.encode(ttlv.big_integer(TAG, value))
    assert int.from_bytes(data[4:8], "big") == size
    assert ttlv.decode(data).value == value


def test_big_integer_with_extra_sign_extension_is_accepted() -> None:
    data = hexbytes("420020 04 00000010 FFFFFFFFFFFFFFFF FFFFFFFFFFFFFFFE")
    assert ttlv.decode(data).value == -2


def test_text_is_utf8_and_length_counts_bytes() -> None:
    item = ttlv.text_string(TAG, "clé")
    data = ttlv.encode(item)
    assert int.from_bytes(data[4:8], "big") == 4
    assert len(data) == 16
    assert ttlv.decode(data) == item


def test_empty_structure_text_and_bytes() -> None:
    for item in (ttlv.structure(TAG, []), ttlv.text_string(TAG, ""), ttlv.byte_string(TAG, b"")):
        data = ttlv.encode(item)
        assert len(data) == 8
        assert ttlv.decode(data) == item


def test_structure_helpers() -> None:
    item = ttlv.structure(TAG, [ttlv.integer(0x420001, 1), None, ttlv.integer(0x420002, 2), ttlv.integer(0x420001, 3)])
    assert len(item.children) == 3
    assert item.find(0x420001) == ttlv.integer(0x420001, 1)
    assert item.find(0x420003) is None
    assert [child.value for child in item.find_all(0x420001)] == [1, 3]
    assert len(list(item.walk())) == 4
    assert "Integer" not in ttlv.dump(item)  # names come from the tag table, values from the type
    with pytest.raises(TypeError):
        _ = ttlv.integer(TAG, 1).children


def test_extension_tags_decode() -> None:
    data = ttlv.encode(ttlv.text_string(0x540001, "vendor"))
    assert ttlv.decode(data).tag == 0x540001


# --- round trips ------------------------------------------------------------------------------------------

_tags = st.one_of(st.integers(0x420000, 0x42FFFF), st.integers(0x540000, 0x54FFFF))
_scalars = st.one_of(
    st.builds(ttlv.integer, _tags, st.integers(-(2**31), 2**31 - 1)),
    st.builds(ttlv.long_integer, _tags, st.integers(-(2**63), 2**63 - 1)),
    st.builds(ttlv.big_integer, _tags, st.integers(-(2**300), 2**300)),
    st.builds(ttlv.enumeration, _tags, st.integers(0, 2**32 - 1)),
    st.builds(ttlv.boolean, _tags, st.booleans()),
    st.builds(ttlv.text_string, _tags, st.text(max_size=40)),
    st.builds(ttlv.byte_string, _tags, st.binary(max_size=40)),
    st.builds(ttlv.date_time, _tags, st.integers(-(2**63), 2**63 - 1)),
    st.builds(ttlv.interval, _tags, st.integers(0, 2**32 - 1)),
    st.builds(ttlv.date_time_extended, _tags, st.integers(-(2**63), 2**63 - 1)),
)
_items = st.recursive(
    _scalars, lambda children: st.builds(ttlv.structure, _tags, st.lists(children, max_size=5)), max_leaves=30
)


@settings(max_examples=300, deadline=None)
@given(_items)
def test_every_item_round_trips(item: Item) -> None:
    data = ttlv.encode(item)
    assert len(data) % 8 == 0
    decoded = ttlv.decode(data)
    assert decoded == item
    assert ttlv.encode(decoded) == data


# --- encoding refuses values that do not fit ------------------------------------------------------------


@pytest.mark.parametrize(
    "item",
    [
        Item(TAG, ItemType.INTEGER, 2**31),
        Item(TAG, ItemType.INTEGER, -(2**31) - 1),
        Item(TAG, ItemType.ENUMERATION, -1),
        Item(TAG, ItemType.INTERVAL, 2**32),
        Item(TAG, ItemType.LONG_INTEGER, 2**63),
        Item(TAG, ItemType.INTEGER, "1"),
        Item(TAG, ItemType.INTEGER, True),
        Item(TAG, ItemType.BOOLEAN, 2),
        Item(TAG, ItemType.TEXT_STRING, b"bytes"),
        Item(TAG, ItemType.BYTE_STRING, "text"),
        Item(TAG, ItemType.STRUCTURE, [ttlv.integer(TAG, 1)]),
        Item(TAG, ItemType.STRUCTURE, ("not an item",)),
        Item(0x430000, ItemType.INTEGER, 1),
        Item(0x1000000, ItemType.INTEGER, 1),
        Item(TAG, 2, 1),
    ],
)
def test_encode_refuses_ill_typed_values(item: Item) -> None:
    with pytest.raises(ValueError):
        ttlv.encode(item)


# --- decoding refuses malformed input, always with TtlvError ---------------------------------------------

INTEGER_8 = hexbytes("420020 02 00000004 00000008 00000000")

MALFORMED = {
    "empty": b"",
    "short header": INTEGER_8[:7],
    "header only": INTEGER_8[:8],
    "truncated value": INTEGER_8[:12],
    "missing padding": INTEGER_8[:12] + b"\0\0",
    "trailing bytes": INTEGER_8 + b"\0" * 8,
    "two top-level items": INTEGER_8 + INTEGER_8,
    "unknown type 0x00": hexbytes("420020 00 00000004 00000008 00000000"),
    "unknown type 0x0C": hexbytes("420020 0C 00000004 00000008 00000000"),
    "tag outside the ranges": hexbytes("430020 02 00000004 00000008 00000000"),
    "Integer of length 8": hexbytes("420020 02 00000008 0000000000000008"),
    "Integer of length 3": hexbytes("420020 02 00000003 00000800 00000000"),
    "Long Integer of length 4": hexbytes("420020 03 00000004 00000008 00000000"),
    "Enumeration of length 8": hexbytes("420020 05 00000008 00000000000000FF"),
    "Boolean of length 4": hexbytes("420020 06 00000004 00000001 00000000"),
    "Boolean 2": hexbytes("420020 06 00000008 0000000000000002"),
    "Boolean with high bits": hexbytes("420020 06 00000008 0100000000000001"),
    "Date-Time of length 4": hexbytes("420020 09 00000004 47DA67F8 00000000"),
    "Interval of length 8": hexbytes("420020 0A 00000008 00000000000D2F00"),
    "Big Integer of length 0": hexbytes("420020 04 00000000"),
    "Big Integer of length 12": hexbytes("420020 04 0000000C 000000000000000000000001 00000000"),
    "Integer padding not zero": hexbytes("420020 02 00000004 00000008 00000001"),
    "Text padding not zero": hexbytes("420020 07 00000003 414243 0000000001"),
    "Bytes padding not zero": hexbytes("420020 08 00000001 01 FF000000000000"),
    "Text not UTF-8": hexbytes("420020 07 00000002 C328 000000000000"),
    "Text with a lone surrogate": hexbytes("420020 07 00000003 EDA080 0000000000"),
    "huge length": hexbytes("420020 08 FFFFFFFF 0000000000000000"),
    "structure of odd length": hexbytes("420020 01 0000000C 420004 05 00000004 000000FE"),
    "structure whose child overruns it": hexbytes(
        "420020 01 00000010 420004 05 00000004 000000FE 00000000 420005 02 00000004 000000FF 00000000"
    ),
    "structure longer than the input": hexbytes("420020 01 00000020 420004 05 00000004 000000FE 00000000"),
    "structure holding a partial header": hexbytes("420020 01 00000008 420004 05 00000004"),
    "child with a bad tag": hexbytes("420020 01 00000010 000004 05 00000004 000000FE 00000000"),
}


@pytest.mark.parametrize("data", MALFORMED.values(), ids=MALFORMED.keys())
def test_malformed_input_raises_ttlv_error(data: bytes) -> None:
    with pytest.raises(TtlvError) as caught:
        ttlv.decode(data)
    assert caught.value.reason is ResultReason.INVALID_MESSAGE
    assert caught.value.detail


def _nested(depth: int) -> bytes:
    """``depth - 1`` structures around one integer, built without the (recursive) encoder."""
    data = INTEGER_8
    for _ in range(depth - 1):
        data = TAG.to_bytes(3, "big") + b"\x01" + len(data).to_bytes(4, "big") + data
    return data


def test_nesting_is_bounded() -> None:
    limits = Limits(max_depth=8)
    ttlv.decode(_nested(9), limits)  # eight structures around one integer
    with pytest.raises(TtlvError, match="nested deeper"):
        ttlv.decode(_nested(10), limits)


def test_default_depth_bound_stops_far_short_of_the_recursion_limit() -> None:
    with pytest.raises(TtlvError, match="nested deeper"):
        ttlv.decode(_nested(5000))


def test_item_count_is_bounded() -> None:
    many = ttlv.encode(ttlv.structure(TAG, [ttlv.integer(TAG, i) for i in range(100)]))
    ttlv.decode(many, Limits(max_items=101))
    with pytest.raises(TtlvError, match="more than 100 items"):
        ttlv.decode(many, Limits(max_items=100))


def test_errors_say_where() -> None:
    with pytest.raises(TtlvError) as caught:
        ttlv.decode(MALFORMED["Integer padding not zero"])
    assert caught.value.offset == 12
    assert "at byte 12" in caught.value.detail
    assert isinstance(caught.value, KmipError)


def test_decode_accepts_bytearray_and_memoryview() -> None:
    assert ttlv.decode(bytearray(INTEGER_8)).value == 8
    assert ttlv.decode(memoryview(INTEGER_8)).value == 8


def test_tag_names_are_readable() -> None:
    from strongroom.protocols.kmip.tags import is_extension, tag_name

    assert tag_name(Tag.CRYPTOGRAPHIC_ALGORITHM) == "CryptographicAlgorithm"
    assert tag_name(0x54ABCD) == "0x54ABCD"
    assert is_extension(0x540001) and not is_extension(Tag.NAME)
