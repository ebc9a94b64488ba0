"""KMIP attributes kept on a key of the store: in its namespaced attribute map, as TTLV, exactly as clients gave them.

``kmip.attr:<Attribute Name>`` (``kmip.vendor:["<vendor>", "<name>"]`` for a 2.x vendor attribute) holds a JSON
list of the hex TTLV of each value, in index order; ``kmip.obj:<field>`` holds what the managed object's own
structure carried (Secret Data Type, Key Format Type, ...), which Get gives back. The core never reads either.
"""

from __future__ import annotations

import json

from strongroom.protocols.kmip.attributes import Attribute
from strongroom.protocols.kmip.errors import KmipError
from strongroom.protocols.kmip.tags import Tag
from strongroom.protocols.kmip.ttlv import Item, decode, encode

ATTRIBUTE_PREFIX = "kmip.attr:"
VENDOR_PREFIX = "kmip.vendor:"
OBJECT_PREFIX = "kmip.obj:"
KEY_FORMAT_TYPE = OBJECT_PREFIX + "key_format_type"
SECRET_DATA_TYPE = OBJECT_PREFIX + "secret_data_type"
OPAQUE_DATA_TYPE = OBJECT_PREFIX + "opaque_data_type"
CERTIFICATE_TYPE = OBJECT_PREFIX + "certificate_type"
ALGORITHM = OBJECT_PREFIX + "cryptographic_algorithm"  # as the client named it (EC and ECDSA are one spec)


def storage_key(name: str, vendor: str | None = None) -> str:
    return ATTRIBUTE_PREFIX + name if vendor is None else VENDOR_PREFIX + json.dumps([vendor, name])


def _name_of(key: str) -> tuple[str, str | None] | None:
    if key.startswith(ATTRIBUTE_PREFIX):
        return key[len(ATTRIBUTE_PREFIX):], None
    if key.startswith(VENDOR_PREFIX):
        vendor, name = json.loads(key[len(VENDOR_PREFIX):])
        return name, vendor
    return None


def values(stored: dict[str, str], name: str, vendor: str | None = None) -> list[Attribute]:
    """The values of one stored attribute, with their 1.x index (0 too: clients read it)."""
    text = stored.get(storage_key(name, vendor))
    return _decoded(name, vendor, text) if text else []


def _decoded(name: str, vendor: str | None, text: str) -> list[Attribute]:
    out = []
    for index, encoded in enumerate(json.loads(text)):
        try:
            item = decode(bytes.fromhex(encoded))
        except (KmipError, ValueError):
            continue  # never written by us; skipped rather than failing every read of the object
        out.append(Attribute(name, item.type, item.value, index, vendor))
    return out


def all_values(stored: dict[str, str]) -> list[Attribute]:
    """Every stored attribute value, by name then index."""
    out = []
    for key in sorted(stored):
        named = _name_of(key)
        if named is not None:
            out += _decoded(named[0], named[1], stored[key])
    return out


def with_values(stored: dict[str, str], name: str, vendor: str | None, new: list[Attribute]) -> dict[str, str]:
    """``stored`` with the attribute's values replaced by ``new`` (none: the attribute removed)."""
    out = dict(stored)
    key = storage_key(name, vendor)
    if new:
        out[key] = json.dumps([encode(Item(Tag.ATTRIBUTE_VALUE, a.type, a.value)).hex() for a in new])
    else:
        out.pop(key, None)
    return out


def same_value(a: Attribute, b: Attribute) -> bool:
    return a.type == b.type and encode(Item(Tag.ATTRIBUTE_VALUE, a.type, a.value)) == \
        encode(Item(Tag.ATTRIBUTE_VALUE, b.type, b.value))
