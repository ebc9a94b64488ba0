"""Attributes, independent of how a protocol version carries them.

KMIP 1.x sends ``Attribute { Attribute Name "Cryptographic Length", [Attribute Index], Attribute Value 256 }``,
grouped in a ``Template-Attribute`` for Create and Register. KMIP 2.x sends the value under the attribute's own
tag (``Cryptographic Length 256``) inside an ``Attributes`` structure, and vendor attributes as ``Attribute
{ Vendor Identification, Attribute Name, Attribute Value }``. :class:`Attribute` holds either form; the
functions here read and write both.

A standard attribute is named by its 1.x name; its value must have the type the spec gives it. A name that is
not standard (a 1.x custom ``x-...`` / ``y-...`` attribute, or a 2.x vendor attribute) may carry any type.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from strongroom.protocols.kmip.enums import NameType
from strongroom.protocols.kmip.errors import MessageError
from strongroom.protocols.kmip.fields import Fields
from strongroom.protocols.kmip.tags import Tag, tag_name
from strongroom.protocols.kmip.ttlv import Item, ItemType, Value, enumeration, integer, structure, text_string
from strongroom.protocols.kmip.version import ProtocolVersion

S, T, B, BS, E, I, DT, IV = (  # noqa: E741 (one-letter aliases keep the table readable)
    ItemType.STRUCTURE,
    ItemType.TEXT_STRING,
    ItemType.BOOLEAN,
    ItemType.BYTE_STRING,
    ItemType.ENUMERATION,
    ItemType.INTEGER,
    ItemType.DATE_TIME,
    ItemType.INTERVAL,
)

# (tag, 1.x Attribute Name, value type) for every standard attribute of KMIP 1.0–2.0.
_STANDARD: list[tuple[Tag, str, ItemType]] = [
    # KMIP 1.0
    (Tag.UNIQUE_IDENTIFIER, "Unique Identifier", T),
    (Tag.NAME, "Name", S),
    (Tag.OBJECT_TYPE, "Object Type", E),
    (Tag.CRYPTOGRAPHIC_ALGORITHM, "Cryptographic Algorithm", E),
    (Tag.CRYPTOGRAPHIC_LENGTH, "Cryptographic Length", I),
    (Tag.CRYPTOGRAPHIC_PARAMETERS, "Cryptographic Parameters", S),
    (Tag.CRYPTOGRAPHIC_DOMAIN_PARAMETERS, "Cryptographic Domain Parameters", S),
    (Tag.CERTIFICATE_TYPE, "Certificate Type", E),
    (Tag.CERTIFICATE_IDENTIFIER, "Certificate Identifier", S),
    (Tag.CERTIFICATE_SUBJECT, "Certificate Subject", S),
    (Tag.CERTIFICATE_ISSUER, "Certificate Issuer", S),
    (Tag.DIGEST, "Digest", S),
    (Tag.OPERATION_POLICY_NAME, "Operation Policy Name", T),
    (Tag.CRYPTOGRAPHIC_USAGE_MASK, "Cryptographic Usage Mask", I),
    (Tag.LEASE_TIME, "Lease Time", IV),
    (Tag.USAGE_LIMITS, "Usage Limits", S),
    (Tag.STATE, "State", E),
    (Tag.INITIAL_DATE, "Initial Date", DT),
    (Tag.ACTIVATION_DATE, "Activation Date", DT),
    (Tag.PROCESS_START_DATE, "Process Start Date", DT),
    (Tag.PROTECT_STOP_DATE, "Protect Stop Date", DT),
    (Tag.DEACTIVATION_DATE, "Deactivation Date", DT),
    (Tag.DESTROY_DATE, "Destroy Date", DT),
    (Tag.COMPROMISE_OCCURRENCE_DATE, "Compromise Occurrence Date", DT),
    (Tag.COMPROMISE_DATE, "Compromise Date", DT),
    (Tag.REVOCATION_REASON, "Revocation Reason", S),
    (Tag.ARCHIVE_DATE, "Archive Date", DT),
    (Tag.OBJECT_GROUP, "Object Group", T),
    (Tag.LINK, "Link", S),
    (Tag.APPLICATION_SPECIFIC_INFORMATION, "Application Specific Information", S),
    (Tag.CONTACT_INFORMATION, "Contact Information", T),
    (Tag.LAST_CHANGE_DATE, "Last Change Date", DT),
    # KMIP 1.1
    (Tag.CERTIFICATE_LENGTH, "Certificate Length", I),
    (Tag.X_509_CERTIFICATE_IDENTIFIER, "X.509 Certificate Identifier", S),
    (Tag.X_509_CERTIFICATE_SUBJECT, "X.509 Certificate Subject", S),
    (Tag.X_509_CERTIFICATE_ISSUER, "X.509 Certificate Issuer", S),
    (Tag.DIGITAL_SIGNATURE_ALGORITHM, "Digital Signature Algorithm", E),
    (Tag.FRESH, "Fresh", B),
    # KMIP 1.2
    (Tag.ALTERNATIVE_NAME, "Alternative Name", S),
    (Tag.KEY_VALUE_PRESENT, "Key Value Present", B),
    (Tag.KEY_VALUE_LOCATION, "Key Value Location", S),
    (Tag.ORIGINAL_CREATION_DATE, "Original Creation Date", DT),
    # KMIP 1.3
    (Tag.RANDOM_NUMBER_GENERATOR, "Random Number Generator", S),
    # KMIP 1.4
    (Tag.PKCS12_FRIENDLY_NAME, "PKCS#12 Friendly Name", T),
    (Tag.DESCRIPTION, "Description", T),
    (Tag.COMMENT, "Comment", T),
    (Tag.SENSITIVE, "Sensitive", B),
    (Tag.ALWAYS_SENSITIVE, "Always Sensitive", B),
    (Tag.EXTRACTABLE, "Extractable", B),
    (Tag.NEVER_EXTRACTABLE, "Never Extractable", B),
    # KMIP 2.0
    *[
        (Tag[f"CERTIFICATE_{side.upper()}_{field.upper().replace(' ', '_')}"], f"Certificate {side} {field}", T)
        for side in ("Subject", "Issuer")
        for field in ("CN", "O", "OU", "Email", "C", "ST", "L", "UID", "Serial Number", "Title", "DC", "DN Qualifier")
    ],
    (Tag.KEY_FORMAT_TYPE, "Key Format Type", E),
    (Tag.NIST_KEY_TYPE, "NIST Key Type", E),
    (Tag.OPAQUE_DATA_TYPE, "Opaque Data Type", E),
    (Tag.PROTECTION_LEVEL, "Protection Level", E),
    (Tag.PROTECTION_PERIOD, "Protection Period", IV),
    (Tag.PROTECTION_STORAGE_MASK, "Protection Storage Mask", I),
    (Tag.QUANTUM_SAFE, "Quantum Safe", B),
    (Tag.SHORT_UNIQUE_IDENTIFIER, "Short Unique Identifier", BS),
]

ATTRIBUTE_NAME_OF: dict[Tag, str] = {tag: name for tag, name, _ in _STANDARD}
ATTRIBUTE_TAG_OF: dict[str, Tag] = {name: tag for tag, name, _ in _STANDARD}
ATTRIBUTE_TYPE_OF: dict[Tag, ItemType] = {tag: item_type for tag, _, item_type in _STANDARD}


@dataclass(frozen=True, slots=True)
class Attribute:
    """One attribute value. ``value`` is a tuple of child items when ``type`` is a Structure."""

    name: str
    type: ItemType
    value: Value
    index: int | None = None
    """The 1.x Attribute Index of a multi-valued attribute; 2.x has none."""
    vendor: str | None = None
    """The 2.x Vendor Identification of a vendor attribute."""

    @property
    def tag(self) -> Tag | None:
        """The attribute's own tag, or None for a custom or vendor attribute."""
        return None if self.vendor is not None else ATTRIBUTE_TAG_OF.get(self.name)

    @classmethod
    def of(cls, tag: Tag, value: Value, index: int | None = None) -> Attribute:
        """A standard attribute, typed from the table: ``Attribute.of(Tag.CRYPTOGRAPHIC_LENGTH, 256)``."""
        return cls(ATTRIBUTE_NAME_OF[tag], ATTRIBUTE_TYPE_OF[tag], value, index)

    def value_item(self, tag: int) -> Item:
        return Item(tag, self.type, self.value)


def name_attribute(value: str, name_type: int = NameType.UNINTERPRETED_TEXT_STRING) -> Attribute:
    return Attribute.of(Tag.NAME, (text_string(Tag.NAME_VALUE, value), enumeration(Tag.NAME_TYPE, name_type)))


def usage_mask_attribute(mask: int) -> Attribute:
    return Attribute.of(Tag.CRYPTOGRAPHIC_USAGE_MASK, int(mask))


# --- decoding -------------------------------------------------------------------------------------------


def _checked(attribute: Attribute) -> Attribute:
    tag = attribute.tag
    if tag is not None and attribute.type is not ATTRIBUTE_TYPE_OF[tag]:
        raise MessageError.invalid_field(
            f"attribute {attribute.name!r} must be a {ATTRIBUTE_TYPE_OF[tag].name}, not a {attribute.type.name}"
        )
    return attribute


def attribute_from_1x(item: Item) -> Attribute:
    """``Attribute { Attribute Name, [Attribute Index], Attribute Value }``."""
    fields = Fields(item)
    name = fields.one(Tag.ATTRIBUTE_NAME, T)
    index = fields.maybe(Tag.ATTRIBUTE_INDEX, I)
    value = fields.item(Tag.ATTRIBUTE_VALUE)
    fields.done()
    if index is not None and index < 0:
        raise MessageError.invalid_field(f"attribute {name!r} has a negative index")
    return _checked(Attribute(name, value.type, value.value, index))


def attribute_from_2x(item: Item) -> Attribute:
    """One child of a 2.x ``Attributes`` structure: a standard attribute or a vendor ``Attribute``."""
    if item.tag == Tag.ATTRIBUTE:
        fields = Fields(item, "vendor Attribute")
        vendor = fields.one(Tag.VENDOR_IDENTIFICATION, T)
        name = fields.one(Tag.ATTRIBUTE_NAME, T)
        value = fields.item(Tag.ATTRIBUTE_VALUE)
        fields.done()
        return Attribute(name, value.type, value.value, vendor=vendor)
    name = ATTRIBUTE_NAME_OF.get(item.tag)  # type: ignore[call-overload]
    if name is None:
        raise MessageError.invalid_field(f"{tag_name(item.tag)} is not an attribute")
    return _checked(Attribute(name, item.type, item.value))


def attributes_from_2x(item: Item) -> tuple[Attribute, ...]:
    """A 2.x ``Attributes`` (or ``Common/Private/Public Key Attributes``) structure."""
    if item.type is not S:
        raise MessageError.invalid_field(f"{tag_name(item.tag)} must be a Structure")
    return tuple(attribute_from_2x(child) for child in item.children)


def template_attribute_from_1x(item: Item) -> tuple[Attribute, ...]:
    """A 1.x ``Template-Attribute``. Named templates (deprecated since 1.3) are refused."""
    fields = Fields(item)
    if fields.take(Tag.NAME):
        raise MessageError.invalid_field("templates are not supported; send the attributes themselves")
    attributes = tuple(attribute_from_1x(child) for child in fields.take(Tag.ATTRIBUTE))
    fields.done()
    return attributes


def read_attributes(fields: Fields, version: ProtocolVersion) -> tuple[Attribute, ...]:
    """The attributes of a Create, Register or similar payload: Template-Attribute (1.x) or Attributes (2.x)."""
    if version.uses_attributes_structure:
        found = fields.maybe_item(Tag.ATTRIBUTES)
        return () if found is None else attributes_from_2x(found)
    found = fields.maybe_item(Tag.TEMPLATE_ATTRIBUTE)
    return () if found is None else template_attribute_from_1x(found)


# --- encoding -------------------------------------------------------------------------------------------


def attribute_to_1x(attribute: Attribute) -> Item:
    if attribute.vendor is not None:
        raise ValueError(f"vendor attribute {attribute.name!r} has no KMIP 1.x form")
    return structure(
        Tag.ATTRIBUTE,
        [
            text_string(Tag.ATTRIBUTE_NAME, attribute.name),
            None if attribute.index is None else integer(Tag.ATTRIBUTE_INDEX, attribute.index),
            attribute.value_item(Tag.ATTRIBUTE_VALUE),
        ],
    )


def attribute_to_2x(attribute: Attribute) -> Item:
    if attribute.vendor is not None:
        return structure(
            Tag.ATTRIBUTE,
            [
                text_string(Tag.VENDOR_IDENTIFICATION, attribute.vendor),
                text_string(Tag.ATTRIBUTE_NAME, attribute.name),
                attribute.value_item(Tag.ATTRIBUTE_VALUE),
            ],
        )
    tag = attribute.tag
    if tag is None:
        raise ValueError(f"{attribute.name!r} is not a standard attribute; KMIP 2.x needs a vendor for it")
    return attribute.value_item(tag)


def attributes_to_2x(attributes: Iterable[Attribute], tag: int = Tag.ATTRIBUTES) -> Item:
    return structure(tag, [attribute_to_2x(attribute) for attribute in attributes])


def template_attribute_to_1x(attributes: Iterable[Attribute]) -> Item:
    return structure(Tag.TEMPLATE_ATTRIBUTE, [attribute_to_1x(attribute) for attribute in attributes])


def attributes_item(attributes: Iterable[Attribute], version: ProtocolVersion) -> Item:
    """Template-Attribute (1.x) or Attributes (2.x), as Create and Register responses carry them."""
    if version.uses_attributes_structure:
        return attributes_to_2x(attributes)
    return template_attribute_to_1x(attributes)


# --- attribute references (Get Attributes, Get Attribute List, Delete Attribute) -------------------------


@dataclass(frozen=True, slots=True)
class AttributeReference:
    """Names an attribute without a value: an Attribute Name string in 1.x, an Attribute Reference in 2.x."""

    name: str
    vendor: str | None = None

    @property
    def tag(self) -> Tag | None:
        return None if self.vendor is not None else ATTRIBUTE_TAG_OF.get(self.name)

    @classmethod
    def from_1x(cls, name: str) -> AttributeReference:
        return cls(name)

    @classmethod
    def from_2x(cls, item: Item) -> AttributeReference:
        """Either an Enumeration holding the attribute's tag, or ``{ Vendor Identification, Attribute Name }``."""
        if item.type is E:
            name = ATTRIBUTE_NAME_OF.get(item.value)  # type: ignore[call-overload]
            if name is None:
                raise MessageError.invalid_field(f"Attribute Reference 0x{item.value:06X} names no attribute")
            return cls(name)
        if item.type is S:
            fields = Fields(item, "Attribute Reference")
            vendor = fields.one(Tag.VENDOR_IDENTIFICATION, T)
            name = fields.one(Tag.ATTRIBUTE_NAME, T)
            fields.done()
            return cls(name, vendor)
        raise MessageError.invalid_field(
            f"Attribute Reference must be an Enumeration or a Structure, not {item.type.name}"
        )

    def to_item(self, version: ProtocolVersion) -> Item:
        if not version.uses_attributes_structure:
            if self.vendor is not None:
                raise ValueError(f"vendor attribute {self.name!r} has no KMIP 1.x form")
            return text_string(Tag.ATTRIBUTE_NAME, self.name)
        if self.vendor is not None:
            return structure(
                Tag.ATTRIBUTE_REFERENCE,
                [text_string(Tag.VENDOR_IDENTIFICATION, self.vendor), text_string(Tag.ATTRIBUTE_NAME, self.name)],
            )
        tag = self.tag
        if tag is None:
            raise ValueError(f"{self.name!r} is not a standard attribute; KMIP 2.x needs a vendor for it")
        return enumeration(Tag.ATTRIBUTE_REFERENCE, tag)


def read_references(fields: Fields, version: ProtocolVersion) -> tuple[AttributeReference, ...]:
    if version.uses_attributes_structure:
        return tuple(AttributeReference.from_2x(item) for item in fields.take(Tag.ATTRIBUTE_REFERENCE))
    return tuple(AttributeReference.from_1x(name) for name in fields.many(Tag.ATTRIBUTE_NAME, T))
