"""TTLV, KMIP's binary encoding: ``Tag (3) | Type (1) | Length (4, big-endian) | Value | zero padding to 8``.

The decoder is strict, because its input comes straight off the network: the type byte must be known, the
length must suit the type, padding must be zero, Text Strings must be UTF-8, Booleans 0 or 1, a structure's
children must fill it exactly, and nothing may follow the top-level item. Nesting depth and the total number
of items are bounded. Every fault raises :class:`TtlvError`, never anything else.

Decoding then encoding gives back the same bytes for any input the decoder accepts, with one exception: a
Big Integer sign-extended by more than the minimum (which the decoder tolerates) is re-encoded minimally.
"""

from __future__ import annotations

import struct
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import IntEnum

from strongroom.protocols.kmip.errors import TtlvError
from strongroom.protocols.kmip.tags import EXTENSION_PREFIX, STANDARD_PREFIX, tag_name


class ItemType(IntEnum):
    STRUCTURE = 0x01
    INTEGER = 0x02
    LONG_INTEGER = 0x03
    BIG_INTEGER = 0x04
    ENUMERATION = 0x05
    BOOLEAN = 0x06
    TEXT_STRING = 0x07
    BYTE_STRING = 0x08
    DATE_TIME = 0x09
    INTERVAL = 0x0A
    DATE_TIME_EXTENDED = 0x0B  # KMIP 2.0: microseconds


Value = int | bool | str | bytes | tuple["Item", ...]


@dataclass(frozen=True, slots=True)
class Item:
    """One TTLV item. ``value`` is a tuple of children for a Structure, an int for the numeric types
    (Date-Time as POSIX seconds), a bool, a str or bytes."""

    tag: int
    type: ItemType
    value: Value

    @property
    def children(self) -> tuple[Item, ...]:
        if self.type is not ItemType.STRUCTURE:
            raise TypeError(f"{tag_name(self.tag)} is a {self.type.name}, not a STRUCTURE")
        return self.value  # type: ignore[return-value]

    def find(self, tag: int) -> Item | None:
        """The first child with this tag, or None."""
        return next((child for child in self.children if child.tag == tag), None)

    def find_all(self, tag: int) -> list[Item]:
        return [child for child in self.children if child.tag == tag]

    def walk(self) -> Iterator[Item]:
        """This item and everything below it, depth first."""
        yield self
        if self.type is ItemType.STRUCTURE:
            for child in self.children:
                yield from child.walk()


# --- constructors ---------------------------------------------------------------------------------------


def structure(tag: int, children: Iterable[Item | None]) -> Item:
    """A Structure; ``None`` children are dropped, so optional fields can be passed inline."""
    return Item(tag, ItemType.STRUCTURE, tuple(child for child in children if child is not None))


def integer(tag: int, value: int) -> Item:
    return Item(tag, ItemType.INTEGER, int(value))


def long_integer(tag: int, value: int) -> Item:
    return Item(tag, ItemType.LONG_INTEGER, int(value))


def big_integer(tag: int, value: int) -> Item:
    return Item(tag, ItemType.BIG_INTEGER, int(value))


def enumeration(tag: int, value: int) -> Item:
    return Item(tag, ItemType.ENUMERATION, int(value))


def boolean(tag: int, value: bool) -> Item:
    return Item(tag, ItemType.BOOLEAN, bool(value))


def text_string(tag: int, value: str) -> Item:
    return Item(tag, ItemType.TEXT_STRING, value)


def byte_string(tag: int, value: bytes | bytearray | memoryview) -> Item:
    return Item(tag, ItemType.BYTE_STRING, bytes(value))


def date_time(tag: int, value: int | datetime) -> Item:
    seconds = int(value.timestamp()) if isinstance(value, datetime) else int(value)
    return Item(tag, ItemType.DATE_TIME, seconds)


def interval(tag: int, seconds: int) -> Item:
    return Item(tag, ItemType.INTERVAL, int(seconds))


def date_time_extended(tag: int, microseconds: int) -> Item:
    return Item(tag, ItemType.DATE_TIME_EXTENDED, int(microseconds))


def to_datetime(seconds: int) -> datetime:
    return datetime.fromtimestamp(seconds, UTC)


# --- decoding -------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Limits:
    """Bounds on hostile input. KMIP messages nest about ten levels deep; 32 leaves room for any real one."""

    max_depth: int = 32
    max_items: int = 100_000


DEFAULT_LIMITS = Limits()

_FIXED_LENGTH = {
    ItemType.INTEGER: 4,
    ItemType.LONG_INTEGER: 8,
    ItemType.ENUMERATION: 4,
    ItemType.BOOLEAN: 8,
    ItemType.DATE_TIME: 8,
    ItemType.INTERVAL: 4,
    ItemType.DATE_TIME_EXTENDED: 8,
}
_SIGNED = {
    ItemType.INTEGER,
    ItemType.LONG_INTEGER,
    ItemType.BIG_INTEGER,
    ItemType.DATE_TIME,
    ItemType.DATE_TIME_EXTENDED,
}
_TYPES = {t.value: t for t in ItemType}
_HEADER = struct.Struct(">3sBI")


def decode(data: bytes | bytearray | memoryview, limits: Limits = DEFAULT_LIMITS) -> Item:
    """Decode exactly one top-level item that fills ``data``."""
    view = memoryview(data).cast("B")
    decoder = _Decoder(view, limits)
    item, end = decoder.item(0, len(view), 1)
    if end != len(view):
        raise TtlvError(f"{len(view) - end} trailing bytes after the top-level item", end)
    return item


class _Decoder:
    __slots__ = ("view", "limits", "count")

    def __init__(self, view: memoryview, limits: Limits) -> None:
        self.view = view
        self.limits = limits
        self.count = 0

    def item(self, offset: int, end: int, depth: int) -> tuple[Item, int]:
        view = self.view
        if end - offset < 8:
            raise TtlvError("truncated item header", offset)
        raw_tag, code, length = _HEADER.unpack_from(view, offset)
        tag = int.from_bytes(raw_tag, "big")
        if raw_tag[0] not in (STANDARD_PREFIX, EXTENSION_PREFIX):
            raise TtlvError(f"tag 0x{tag:06X} is outside the standard and extension ranges", offset)
        item_type = _TYPES.get(code)
        if item_type is None:
            raise TtlvError(f"unknown item type 0x{code:02X} for {tag_name(tag)}", offset + 3)
        self.count += 1
        if self.count > self.limits.max_items:
            raise TtlvError(f"more than {self.limits.max_items} items", offset)

        name = f"{tag_name(tag)} ({item_type.name})"
        fixed = _FIXED_LENGTH.get(item_type)
        if fixed is not None and length != fixed:
            raise TtlvError(f"{name} has length {length}, expected {fixed}", offset + 4)
        if item_type is ItemType.BIG_INTEGER and (length == 0 or length % 8):
            raise TtlvError(f"{name} has length {length}, expected a positive multiple of 8", offset + 4)
        if item_type is ItemType.STRUCTURE and length % 8:
            raise TtlvError(f"{name} has length {length}, expected a multiple of 8", offset + 4)

        start = offset + 8
        stop = start + length
        padded = stop + (-length % 8)
        if padded > end:
            raise TtlvError(f"{name} of {length} bytes overruns its container", offset)
        if any(view[stop:padded]):
            raise TtlvError(f"{name} has non-zero padding", stop)

        if item_type is ItemType.STRUCTURE:
            if depth > self.limits.max_depth:
                raise TtlvError(f"structures nested deeper than {self.limits.max_depth}", offset)
            children = []
            cursor = start
            while cursor < stop:
                child, cursor = self.item(cursor, stop, depth + 1)
                children.append(child)
            return Item(tag, item_type, tuple(children)), padded

        raw = view[start:stop]
        value: Value
        if item_type is ItemType.TEXT_STRING:
            try:
                value = str(raw, "utf-8")
            except UnicodeDecodeError:
                raise TtlvError(f"{name} is not valid UTF-8", start) from None
        elif item_type is ItemType.BYTE_STRING:
            value = bytes(raw)
        elif item_type is ItemType.BOOLEAN:
            number = int.from_bytes(raw, "big")
            if number > 1:
                raise TtlvError(f"{name} is {number}, expected 0 or 1", start)
            value = number == 1
        else:
            value = int.from_bytes(raw, "big", signed=item_type in _SIGNED)
        return Item(tag, item_type, value), padded


# --- encoding -------------------------------------------------------------------------------------------

_RANGES = {
    ItemType.INTEGER: (-(2**31), 2**31 - 1),
    ItemType.LONG_INTEGER: (-(2**63), 2**63 - 1),
    ItemType.ENUMERATION: (0, 2**32 - 1),
    ItemType.DATE_TIME: (-(2**63), 2**63 - 1),
    ItemType.INTERVAL: (0, 2**32 - 1),
    ItemType.DATE_TIME_EXTENDED: (-(2**63), 2**63 - 1),
}


def encode(item: Item) -> bytes:
    """Encode one item. A value that does not fit its type raises ValueError (a bug of the caller)."""
    out = bytearray()
    _encode_into(item, out)
    return bytes(out)


def _encode_into(item: Item, out: bytearray) -> None:
    tag, item_type, value = item.tag, item.type, item.value
    if not 0 <= tag <= 0xFFFFFF or tag >> 16 not in (STANDARD_PREFIX, EXTENSION_PREFIX):
        raise ValueError(f"tag {tag!r} is not a KMIP tag")
    if not isinstance(item_type, ItemType):
        raise ValueError(f"{tag_name(tag)}: {item_type!r} is not an ItemType")
    header_at = len(out)
    out += _HEADER.pack(tag.to_bytes(3, "big"), item_type, 0)
    if item_type is ItemType.STRUCTURE:
        if not isinstance(value, tuple):
            raise ValueError(f"{tag_name(tag)}: a Structure needs a tuple of Items")
        for child in value:
            if not isinstance(child, Item):
                raise ValueError(f"{tag_name(tag)}: {child!r} is not an Item")
            _encode_into(child, out)
        struct.pack_into(">I", out, header_at + 4, len(out) - header_at - 8)
        return
    body = _scalar_bytes(item)
    struct.pack_into(">I", out, header_at + 4, len(body))
    out += body
    out += bytes(-len(body) % 8)


def _scalar_bytes(item: Item) -> bytes:
    item_type, value = item.type, item.value
    where = f"{tag_name(item.tag)} ({item_type.name})"
    if item_type is ItemType.TEXT_STRING:
        if not isinstance(value, str):
            raise ValueError(f"{where} needs a str")
        return value.encode("utf-8")
    if item_type is ItemType.BYTE_STRING:
        if not isinstance(value, bytes | bytearray | memoryview):
            raise ValueError(f"{where} needs bytes")
        return bytes(value)
    if item_type is ItemType.BOOLEAN:
        if value not in (0, 1) or not isinstance(value, int):
            raise ValueError(f"{where} needs a bool")
        return (1 if value else 0).to_bytes(8, "big")
    if not isinstance(value, int) or isinstance(value, bool):
        raise ValueError(f"{where} needs an int")
    if item_type is ItemType.BIG_INTEGER:
        size = (value if value >= 0 else ~value).bit_length() // 8 + 1
        return value.to_bytes(size + (-size % 8), "big", signed=True)
    low, high = _RANGES[item_type]
    if not low <= value <= high:
        raise ValueError(f"{where}: {value} is out of range")
    return value.to_bytes(_FIXED_LENGTH[item_type], "big", signed=low < 0)


def dump(item: Item, indent: int = 0) -> str:
    """A readable multi-line rendering, for logs and test failures."""
    pad = "  " * indent
    if item.type is ItemType.STRUCTURE:
        lines = [f"{pad}{tag_name(item.tag)}"]
        lines += [dump(child, indent + 1) for child in item.children]
        return "\n".join(lines)
    value = item.value.hex() if isinstance(item.value, bytes) else repr(item.value)
    return f"{pad}{tag_name(item.tag)} {item.type.name} {value}"
