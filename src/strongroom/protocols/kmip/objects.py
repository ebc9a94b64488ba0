"""Managed objects (the key material Register sends and Get returns) and Cryptographic Parameters.

Only the objects a key store needs are modelled: Symmetric Key, Secret Data, Opaque Object, Public and
Private Key and Certificate. Any other object type is kept as its raw item (:class:`RawObject`), so a server can
refuse it by type rather than fail to decode it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from strongroom.protocols.kmip import attributes as attrs
from strongroom.protocols.kmip.enums import (
    BlockCipherMode,
    CertificateType,
    CryptographicAlgorithm,
    DigitalSignatureAlgorithm,
    HashingAlgorithm,
    KeyCompressionType,
    KeyFormatType,
    KeyRoleType,
    MaskGenerator,
    ObjectType,
    PaddingMethod,
    SecretDataType,
    known,
)
from strongroom.protocols.kmip.errors import MessageError
from strongroom.protocols.kmip.fields import Fields
from strongroom.protocols.kmip.tags import Tag, tag_name
from strongroom.protocols.kmip.ttlv import (
    Item,
    ItemType,
    byte_string,
    enumeration,
    integer,
    structure,
)
from strongroom.protocols.kmip.version import ProtocolVersion

OBJECT_TAG_OF: dict[ObjectType, Tag] = {
    ObjectType.CERTIFICATE: Tag.CERTIFICATE,
    ObjectType.SYMMETRIC_KEY: Tag.SYMMETRIC_KEY,
    ObjectType.PUBLIC_KEY: Tag.PUBLIC_KEY,
    ObjectType.PRIVATE_KEY: Tag.PRIVATE_KEY,
    ObjectType.SPLIT_KEY: Tag.SPLIT_KEY,
    ObjectType.TEMPLATE: Tag.TEMPLATE,
    ObjectType.SECRET_DATA: Tag.SECRET_DATA,
    ObjectType.OPAQUE_OBJECT: Tag.OPAQUE_OBJECT,
    ObjectType.PGP_KEY: Tag.PGP_KEY,
    ObjectType.CERTIFICATE_REQUEST: Tag.CERTIFICATE_REQUEST,
}


def object_type(value: int) -> ObjectType:
    """An Object Type field's value, refused as an Invalid Field when it names no object type."""
    try:
        return ObjectType(value)
    except ValueError:
        raise MessageError.invalid_field(f"Object Type {value} is not an object type") from None


# --- Cryptographic Parameters ---------------------------------------------------------------------------

_E, _I, _B, _BS = ItemType.ENUMERATION, ItemType.INTEGER, ItemType.BOOLEAN, ItemType.BYTE_STRING
# (field, tag, type, enumeration class) in the spec's order.
_PARAMETERS: list[tuple[str, Tag, ItemType, type | None]] = [
    ("block_cipher_mode", Tag.BLOCK_CIPHER_MODE, _E, BlockCipherMode),
    ("padding_method", Tag.PADDING_METHOD, _E, PaddingMethod),
    ("hashing_algorithm", Tag.HASHING_ALGORITHM, _E, HashingAlgorithm),
    ("key_role_type", Tag.KEY_ROLE_TYPE, _E, KeyRoleType),
    ("digital_signature_algorithm", Tag.DIGITAL_SIGNATURE_ALGORITHM, _E, DigitalSignatureAlgorithm),
    ("cryptographic_algorithm", Tag.CRYPTOGRAPHIC_ALGORITHM, _E, CryptographicAlgorithm),
    ("random_iv", Tag.RANDOM_IV, _B, None),
    ("iv_length", Tag.IV_LENGTH, _I, None),
    ("tag_length", Tag.TAG_LENGTH, _I, None),
    ("fixed_field_length", Tag.FIXED_FIELD_LENGTH, _I, None),
    ("invocation_field_length", Tag.INVOCATION_FIELD_LENGTH, _I, None),
    ("counter_length", Tag.COUNTER_LENGTH, _I, None),
    ("initial_counter_value", Tag.INITIAL_COUNTER_VALUE, _I, None),
    ("salt_length", Tag.SALT_LENGTH, _I, None),
    ("mask_generator", Tag.MASK_GENERATOR, _E, MaskGenerator),
    ("mask_generator_hashing_algorithm", Tag.MASK_GENERATOR_HASHING_ALGORITHM, _E, HashingAlgorithm),
    ("p_source", Tag.P_SOURCE, _BS, None),
    ("trailer_field", Tag.TRAILER_FIELD, _I, None),
]


@dataclass(frozen=True, slots=True)
class CryptographicParameters:
    """Every field is optional. Known enumeration values come back as members of their IntEnum."""

    block_cipher_mode: int | None = None
    padding_method: int | None = None
    hashing_algorithm: int | None = None
    key_role_type: int | None = None
    digital_signature_algorithm: int | None = None
    cryptographic_algorithm: int | None = None
    random_iv: bool | None = None
    iv_length: int | None = None
    tag_length: int | None = None
    fixed_field_length: int | None = None
    invocation_field_length: int | None = None
    counter_length: int | None = None
    initial_counter_value: int | None = None
    salt_length: int | None = None
    mask_generator: int | None = None
    mask_generator_hashing_algorithm: int | None = None
    p_source: bytes | None = None
    trailer_field: int | None = None

    @classmethod
    def from_item(cls, item: Item) -> CryptographicParameters:
        fields = Fields(item)
        values = {}
        for name, tag, item_type, enum in _PARAMETERS:
            value = fields.maybe(tag, item_type)
            if value is not None and enum is not None:
                value = known(enum, value)
            values[name] = value
        fields.done()
        for name in (
            "iv_length",
            "tag_length",
            "fixed_field_length",
            "invocation_field_length",
            "counter_length",
            "salt_length",
        ):
            if values[name] is not None and values[name] < 0:
                raise MessageError.invalid_field(f"Cryptographic Parameters: {name} is negative")
        return cls(**values)

    def children(self) -> tuple[Item, ...]:
        out = []
        for name, tag, item_type, _ in _PARAMETERS:
            value = getattr(self, name)
            if value is not None:
                out.append(Item(tag, item_type, value))
        return tuple(out)

    def to_item(self, tag: int = Tag.CRYPTOGRAPHIC_PARAMETERS) -> Item:
        return structure(tag, self.children())


# --- Key Block ------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class KeyValue:
    """The unwrapped Key Value: Key Material (bytes, or the children of a transparent-key structure) plus the
    attributes the key block carries with it."""

    key_material: bytes | tuple[Item, ...] = field(repr=False)  # secret: never printed
    attributes: tuple[attrs.Attribute, ...] = ()

    @classmethod
    def from_item(cls, item: Item, version: ProtocolVersion) -> KeyValue:
        fields = Fields(item)
        material = fields.item(Tag.KEY_MATERIAL)
        if material.type not in (ItemType.BYTE_STRING, ItemType.STRUCTURE):
            raise MessageError.invalid_field(
                f"Key Material must be a Byte String or Structure, not {material.type.name}"
            )
        if version.uses_attributes_structure:
            found = fields.maybe_item(Tag.ATTRIBUTES)
            attributes = () if found is None else attrs.attributes_from_2x(found)
        else:
            attributes = tuple(attrs.attribute_from_1x(child) for child in fields.take(Tag.ATTRIBUTE))
        fields.done()
        return cls(material.value, attributes)  # type: ignore[arg-type]

    def to_item(self, version: ProtocolVersion) -> Item:
        if isinstance(self.key_material, bytes | bytearray):
            material = byte_string(Tag.KEY_MATERIAL, self.key_material)
        else:
            material = structure(Tag.KEY_MATERIAL, self.key_material)
        if version.uses_attributes_structure:
            extra = [attrs.attributes_to_2x(self.attributes)] if self.attributes else []
        else:
            extra = [attrs.attribute_to_1x(attribute) for attribute in self.attributes]
        return structure(Tag.KEY_VALUE, [material, *extra])


@dataclass(frozen=True, slots=True)
class KeyBlock:
    """``key_value`` is a :class:`KeyValue`, or the wrapped key value's bytes when ``key_wrapping_data`` is
    present. ``key_wrapping_data`` stays a raw item: a server that does not wrap keys only needs to see it."""

    key_format_type: int
    key_value: KeyValue | bytes
    cryptographic_algorithm: int | None = None
    cryptographic_length: int | None = None
    key_compression_type: int | None = None
    key_wrapping_data: Item | None = None

    @classmethod
    def from_item(cls, item: Item, version: ProtocolVersion) -> KeyBlock:
        fields = Fields(item)
        key_format_type = known(KeyFormatType, fields.one(Tag.KEY_FORMAT_TYPE, ItemType.ENUMERATION))
        key_compression_type = fields.maybe_enum(Tag.KEY_COMPRESSION_TYPE, KeyCompressionType)
        raw_value = fields.item(Tag.KEY_VALUE)
        algorithm = fields.maybe_enum(Tag.CRYPTOGRAPHIC_ALGORITHM, CryptographicAlgorithm)
        length = fields.maybe(Tag.CRYPTOGRAPHIC_LENGTH, ItemType.INTEGER)
        wrapping = fields.maybe_item(Tag.KEY_WRAPPING_DATA, ItemType.STRUCTURE)
        fields.done()
        key_value: KeyValue | bytes
        if raw_value.type is ItemType.BYTE_STRING:
            if wrapping is None:
                raise MessageError.invalid_field("a Key Value of bytes needs Key Wrapping Data")
            key_value = raw_value.value  # type: ignore[assignment]
        else:
            key_value = KeyValue.from_item(raw_value, version)
        if length is not None and length < 0:
            raise MessageError.invalid_field("Cryptographic Length is negative")
        return cls(key_format_type, key_value, algorithm, length, key_compression_type, wrapping)

    def to_item(self, version: ProtocolVersion) -> Item:
        if isinstance(self.key_value, KeyValue):
            value = self.key_value.to_item(version)
        else:
            value = byte_string(Tag.KEY_VALUE, self.key_value)
        return structure(
            Tag.KEY_BLOCK,
            [
                enumeration(Tag.KEY_FORMAT_TYPE, self.key_format_type),
                None
                if self.key_compression_type is None
                else enumeration(Tag.KEY_COMPRESSION_TYPE, self.key_compression_type),
                value,
                None
                if self.cryptographic_algorithm is None
                else enumeration(Tag.CRYPTOGRAPHIC_ALGORITHM, self.cryptographic_algorithm),
                None
                if self.cryptographic_length is None
                else integer(Tag.CRYPTOGRAPHIC_LENGTH, self.cryptographic_length),
                self.key_wrapping_data,
            ],
        )

    @property
    def key_material(self) -> bytes | None:
        """The raw key bytes of an unwrapped, non-transparent key block, else None."""
        if isinstance(self.key_value, KeyValue) and isinstance(self.key_value.key_material, bytes):
            return self.key_value.key_material
        return None


# --- managed objects ------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SymmetricKey:
    key_block: KeyBlock
    object_type = ObjectType.SYMMETRIC_KEY

    def to_item(self, version: ProtocolVersion) -> Item:
        return structure(Tag.SYMMETRIC_KEY, [self.key_block.to_item(version)])


@dataclass(frozen=True, slots=True)
class PublicKey:
    key_block: KeyBlock
    object_type = ObjectType.PUBLIC_KEY

    def to_item(self, version: ProtocolVersion) -> Item:
        return structure(Tag.PUBLIC_KEY, [self.key_block.to_item(version)])


@dataclass(frozen=True, slots=True)
class PrivateKey:
    key_block: KeyBlock
    object_type = ObjectType.PRIVATE_KEY

    def to_item(self, version: ProtocolVersion) -> Item:
        return structure(Tag.PRIVATE_KEY, [self.key_block.to_item(version)])


@dataclass(frozen=True, slots=True)
class SecretData:
    secret_data_type: int
    key_block: KeyBlock
    object_type = ObjectType.SECRET_DATA

    def to_item(self, version: ProtocolVersion) -> Item:
        return structure(
            Tag.SECRET_DATA,
            [enumeration(Tag.SECRET_DATA_TYPE, self.secret_data_type), self.key_block.to_item(version)],
        )


@dataclass(frozen=True, slots=True)
class OpaqueObject:
    opaque_data_type: int
    opaque_data_value: bytes = field(repr=False)
    object_type = ObjectType.OPAQUE_OBJECT

    def to_item(self, version: ProtocolVersion) -> Item:
        return structure(
            Tag.OPAQUE_OBJECT,
            [
                enumeration(Tag.OPAQUE_DATA_TYPE, self.opaque_data_type),
                byte_string(Tag.OPAQUE_DATA_VALUE, self.opaque_data_value),
            ],
        )


@dataclass(frozen=True, slots=True)
class Certificate:
    certificate_type: int
    certificate_value: bytes
    object_type = ObjectType.CERTIFICATE

    def to_item(self, version: ProtocolVersion) -> Item:
        return structure(
            Tag.CERTIFICATE,
            [
                enumeration(Tag.CERTIFICATE_TYPE, self.certificate_type),
                byte_string(Tag.CERTIFICATE_VALUE, self.certificate_value),
            ],
        )


@dataclass(frozen=True, slots=True)
class RawObject:
    """An object type this model does not decode (Split Key, Template, PGP Key, Certificate Request)."""

    object_type: ObjectType
    item: Item

    def to_item(self, version: ProtocolVersion) -> Item:
        return self.item


ManagedObject = SymmetricKey | PublicKey | PrivateKey | SecretData | OpaqueObject | Certificate | RawObject


def managed_object_from_item(kind: ObjectType, item: Item, version: ProtocolVersion) -> ManagedObject:
    expected = OBJECT_TAG_OF[kind]
    if item.tag != expected:
        raise MessageError.invalid_field(f"Object Type {kind.name} does not match the {tag_name(item.tag)} sent")
    if kind in (ObjectType.SYMMETRIC_KEY, ObjectType.PUBLIC_KEY, ObjectType.PRIVATE_KEY):
        fields = Fields(item)
        block = KeyBlock.from_item(fields.item(Tag.KEY_BLOCK), version)
        fields.done()
        cls = {ObjectType.SYMMETRIC_KEY: SymmetricKey, ObjectType.PUBLIC_KEY: PublicKey}.get(kind, PrivateKey)
        return cls(block)
    if kind is ObjectType.SECRET_DATA:
        fields = Fields(item)
        secret_type = known(SecretDataType, fields.one(Tag.SECRET_DATA_TYPE, ItemType.ENUMERATION))
        block = KeyBlock.from_item(fields.item(Tag.KEY_BLOCK), version)
        fields.done()
        return SecretData(secret_type, block)
    if kind is ObjectType.OPAQUE_OBJECT:
        fields = Fields(item)
        opaque = OpaqueObject(
            fields.one(Tag.OPAQUE_DATA_TYPE, ItemType.ENUMERATION),
            fields.one(Tag.OPAQUE_DATA_VALUE, ItemType.BYTE_STRING),
        )
        fields.done()
        return opaque
    if kind is ObjectType.CERTIFICATE:
        fields = Fields(item)
        certificate = Certificate(
            known(CertificateType, fields.one(Tag.CERTIFICATE_TYPE, ItemType.ENUMERATION)),
            fields.one(Tag.CERTIFICATE_VALUE, ItemType.BYTE_STRING),
        )
        fields.done()
        return certificate
    return RawObject(kind, item)


def read_managed_object(fields: Fields, kind: ObjectType, version: ProtocolVersion) -> ManagedObject:
    """The one managed-object structure of a Register (or similar) payload, by its Object Type."""
    candidates = [tag for tag in OBJECT_TAG_OF.values() if fields.has(tag)]
    if not candidates:
        raise MessageError.invalid_message(f"{fields.where} carries no {kind.name} object")
    if len(candidates) > 1:
        raise MessageError.invalid_message(f"{fields.where} carries more than one managed object")
    return managed_object_from_item(kind, fields.item(candidates[0], ItemType.STRUCTURE), version)
