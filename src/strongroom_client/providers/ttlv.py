"""The few pieces of KMIP's TTLV encoding the ``kmip`` provider needs (KMIP 1.x spec §9.1).

Every item is Tag (3 bytes), Type (1), Length (4, big-endian) and a value padded to a multiple of 8 bytes.
:func:`encode` writes a tree of :class:`Item` and :func:`decode` reads one back; unknown tags and types are
kept (their raw bytes), so a response may carry anything besides what the provider reads.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field
from typing import TypeAlias

from strongroom_client.errors import KmsError

STRUCTURE, INTEGER, LONG_INTEGER, BIG_INTEGER, ENUMERATION, BOOLEAN, TEXT_STRING, BYTE_STRING, DATE_TIME = range(1, 10)
INTERVAL = 0x0A
_FIXED_LENGTH = {INTEGER: 4, LONG_INTEGER: 8, ENUMERATION: 4, BOOLEAN: 8, DATE_TIME: 8, INTERVAL: 4}
Value: TypeAlias = "int | bool | str | bytes | list[Item]"


@dataclass(frozen=True)
class Item:
    tag: int
    type: int
    value: Value = field(repr=False)

    def child(self, tag: int) -> Item | None:
        """The first direct child with ``tag`` (searching by tag, as libmongocrypt does: order does not matter)."""
        if self.type != STRUCTURE:
            return None
        return next((item for item in self.value if item.tag == tag), None)  # type: ignore[union-attr]

    def path(self, *tags: int) -> Item | None:
        node: Item | None = self
        for tag in tags:
            node = node.child(tag) if node is not None else None
        return node


def structure(tag: int, *children: Item) -> Item:
    return Item(tag, STRUCTURE, list(children))


def integer(tag: int, value: int) -> Item:
    return Item(tag, INTEGER, value)


def enumeration(tag: int, value: int) -> Item:
    return Item(tag, ENUMERATION, value)


def boolean(tag: int, value: bool) -> Item:
    return Item(tag, BOOLEAN, value)


def text(tag: int, value: str) -> Item:
    return Item(tag, TEXT_STRING, value)


def byte_string(tag: int, value: bytes) -> Item:
    return Item(tag, BYTE_STRING, bytes(value))


def encode(item: Item) -> bytes:
    if item.type == STRUCTURE:
        body = b"".join(encode(child) for child in item.value)  # type: ignore[union-attr]
    elif item.type in (INTEGER, ENUMERATION):
        body = struct.pack(">i" if item.type == INTEGER else ">I", item.value)
    elif item.type in (LONG_INTEGER, DATE_TIME):
        body = struct.pack(">q", item.value)
    elif item.type == BOOLEAN:
        body = struct.pack(">Q", 1 if item.value else 0)
    elif item.type == TEXT_STRING:
        body = str(item.value).encode()
    else:
        body = bytes(item.value)  # type: ignore[arg-type]
    padding = b"\0" * (-len(body) % 8)
    return item.tag.to_bytes(3, "big") + bytes([item.type]) + len(body).to_bytes(4, "big") + body + padding


def decode(data: bytes) -> Item:
    """The one item ``data`` holds; :class:`KmsError` if it is not well-formed TTLV."""
    item, end = _read(memoryview(data), 0, depth=0)
    if end != len(data):
        raise KmsError("KMIP response: bytes after the message")
    return item


def _read(data: memoryview, at: int, depth: int) -> tuple[Item, int]:
    if depth > 32:
        raise KmsError("KMIP response: structures nested too deeply")
    if len(data) - at < 8:
        raise KmsError("KMIP response: truncated item header")
    tag = int.from_bytes(data[at : at + 3], "big")
    kind, length = data[at + 3], int.from_bytes(data[at + 4 : at + 8], "big")
    start, end = at + 8, at + 8 + length
    padded = end + -length % 8
    if tag >> 16 not in (0x42, 0x54) or padded > len(data):
        raise KmsError("KMIP response: malformed item")
    if kind in _FIXED_LENGTH and length != _FIXED_LENGTH[kind]:
        raise KmsError("KMIP response: wrong length for a fixed-size item")
    raw = bytes(data[start:end])
    value: Value
    if kind == STRUCTURE:
        children, cursor = [], start
        while cursor < end:
            child, cursor = _read(data[:end], cursor, depth + 1)
            children.append(child)
        value = children
    elif kind in (INTEGER, LONG_INTEGER, DATE_TIME):
        value = int.from_bytes(raw, "big", signed=True)
    elif kind in (ENUMERATION, INTERVAL):
        value = int.from_bytes(raw, "big")
    elif kind == BOOLEAN:
        value = raw != bytes(8)
    elif kind == TEXT_STRING:
        try:
            value = raw.decode()
        except UnicodeDecodeError:
            raise KmsError("KMIP response: a text string is not UTF-8") from None
    else:
        value = raw
    return Item(tag, kind, value), padded
