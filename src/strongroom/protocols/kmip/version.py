"""Protocol versions. The payload encodings split at 2.0: 1.x carries attributes as name/value pairs
(Template-Attribute), 2.x under their own tags (Attributes)."""

from __future__ import annotations

from dataclasses import dataclass

from strongroom.protocols.kmip.errors import MessageError
from strongroom.protocols.kmip.fields import Fields
from strongroom.protocols.kmip.tags import Tag
from strongroom.protocols.kmip.ttlv import Item, ItemType, integer, structure


@dataclass(frozen=True, order=True, slots=True)
class ProtocolVersion:
    major: int
    minor: int

    def __str__(self) -> str:
        return f"{self.major}.{self.minor}"

    @property
    def uses_attributes_structure(self) -> bool:
        """True from 2.0 on, where attributes travel as ``Attributes`` rather than ``Template-Attribute``."""
        return self.major >= 2

    def to_item(self) -> Item:
        return structure(
            Tag.PROTOCOL_VERSION,
            [integer(Tag.PROTOCOL_VERSION_MAJOR, self.major), integer(Tag.PROTOCOL_VERSION_MINOR, self.minor)],
        )

    @classmethod
    def from_item(cls, item: Item) -> ProtocolVersion:
        fields = Fields(item)
        version = cls(
            fields.one(Tag.PROTOCOL_VERSION_MAJOR, ItemType.INTEGER),
            fields.one(Tag.PROTOCOL_VERSION_MINOR, ItemType.INTEGER),
        )
        fields.done()
        if version.major < 0 or version.minor < 0:
            raise MessageError.invalid_field(f"protocol version {version} is negative")
        return version


KMIP_1_0 = ProtocolVersion(1, 0)
KMIP_1_1 = ProtocolVersion(1, 1)
KMIP_1_2 = ProtocolVersion(1, 2)
KMIP_1_3 = ProtocolVersion(1, 3)
KMIP_1_4 = ProtocolVersion(1, 4)
KMIP_2_0 = ProtocolVersion(2, 0)
KMIP_2_1 = ProtocolVersion(2, 1)

DECODABLE_VERSIONS = (KMIP_2_1, KMIP_2_0, KMIP_1_4, KMIP_1_3, KMIP_1_2, KMIP_1_1, KMIP_1_0)
"""The versions this model reads and writes, newest first (the order Discover Versions answers in)."""
