"""Request Messages built item by item with our TTLV constructors (the codec itself only reads requests), and a raw
KMIP client over mutual TLS for the conformance tests."""

from __future__ import annotations

import socket
import ssl
from pathlib import Path

from strongroom.protocols.kmip.messages import DecodedResponse, decode_response
from strongroom.protocols.kmip.tags import Tag
from strongroom.protocols.kmip.ttlv import (
    Item,
    ItemType,
    byte_string,
    encode,
    enumeration,
    integer,
    structure,
    text_string,
)
from strongroom.protocols.kmip.version import ProtocolVersion


def batch_item(operation: int, *payload: Item, batch_id: bytes | None = None) -> Item:
    return structure(Tag.BATCH_ITEM, [
        enumeration(Tag.OPERATION, operation),
        None if batch_id is None else byte_string(Tag.UNIQUE_BATCH_ITEM_ID, batch_id),
        structure(Tag.REQUEST_PAYLOAD, payload),
    ])


def request(version: ProtocolVersion, *items: Item, header: tuple[Item, ...] = ()) -> bytes:
    head = structure(Tag.REQUEST_HEADER, [version.to_item(), *header, integer(Tag.BATCH_COUNT, len(items))])
    return encode(structure(Tag.REQUEST_MESSAGE, [head, *items]))


def uid(value: str) -> Item:
    return text_string(Tag.UNIQUE_IDENTIFIER, value)


def attribute(name: str, value: Item, index: int | None = None) -> Item:
    """A 1.x Attribute; ``value`` is any item (its tag is replaced by Attribute Value)."""
    return structure(Tag.ATTRIBUTE, [
        text_string(Tag.ATTRIBUTE_NAME, name),
        None if index is None else integer(Tag.ATTRIBUTE_INDEX, index),
        Item(Tag.ATTRIBUTE_VALUE, value.type, value.value),
    ])


def template(*attributes: Item) -> Item:
    return structure(Tag.TEMPLATE_ATTRIBUTE, attributes)


def aes_template(length: int = 256, mask: int = 12, *extra: Item) -> Item:
    return template(
        attribute("Cryptographic Algorithm", enumeration(Tag.CRYPTOGRAPHIC_ALGORITHM, 3)),
        attribute("Cryptographic Length", integer(Tag.CRYPTOGRAPHIC_LENGTH, length)),
        attribute("Cryptographic Usage Mask", integer(Tag.CRYPTOGRAPHIC_USAGE_MASK, mask)),
        *extra,
    )


def name(value: str) -> Item:
    return attribute("Name", structure(Tag.NAME, [text_string(Tag.NAME_VALUE, value),
                                                  enumeration(Tag.NAME_TYPE, 1)]))


def cbc_parameters(random_iv: bool = False) -> Item:
    return structure(Tag.CRYPTOGRAPHIC_PARAMETERS, [
        enumeration(Tag.BLOCK_CIPHER_MODE, 1), enumeration(Tag.PADDING_METHOD, 3),
        enumeration(Tag.CRYPTOGRAPHIC_ALGORITHM, 3),
        *([Item(Tag.RANDOM_IV, ItemType.BOOLEAN, True)] if random_iv else []),
    ])


def secret_data(material: bytes) -> Item:
    return structure(Tag.SECRET_DATA, [
        enumeration(Tag.SECRET_DATA_TYPE, 2),
        structure(Tag.KEY_BLOCK, [enumeration(Tag.KEY_FORMAT_TYPE, 2),
                                  structure(Tag.KEY_VALUE, [byte_string(Tag.KEY_MATERIAL, material)])]),
    ])


def payload_field(item: Item | None, *path: int) -> Item | None:
    """The item at ``path`` (tags) below ``item``, or None."""
    for tag in path:
        if item is None:
            return None
        item = item.find(tag)
    return item


class RawClient:
    """One mutual-TLS connection to a KMIP listener: send bytes, read one framed response."""

    def __init__(self, port: int, ca: Path, cert: Path | None, key: Path | None, timeout: float = 10.0) -> None:
        context = ssl.create_default_context(cafile=str(ca))
        if cert is not None and key is not None:
            context.load_cert_chain(str(cert), str(key))
        raw = socket.create_connection(("127.0.0.1", port), timeout=timeout)
        self.sock = context.wrap_socket(raw, server_hostname="127.0.0.1")

    def send(self, data: bytes) -> None:
        self.sock.sendall(data)

    def read_frame(self) -> bytes:
        """One whole message, or b"" when the server closed the connection first."""
        header = self._read(8)
        if len(header) < 8:
            return b""
        return header + self._read(int.from_bytes(header[4:8], "big"))

    def call(self, data: bytes) -> DecodedResponse:
        self.send(data)
        return decode_response(self.read_frame())

    def _read(self, count: int) -> bytes:
        out = bytearray()
        while len(out) < count:
            try:
                chunk = self.sock.recv(count - len(out))
            except (ssl.SSLError, ConnectionResetError):
                break
            if not chunk:
                break
            out += chunk
        return bytes(out)

    def close(self) -> None:
        self.sock.close()

    def __enter__(self) -> RawClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
