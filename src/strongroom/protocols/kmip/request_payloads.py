"""Request payloads: each operation's Request Payload decoded into a plain dataclass.

``decode_payload(operation, item, version)`` picks the class. An operation without a class here decodes to
:class:`RawRequest` (its items, untouched), which a server answers with Operation Not Supported. An omitted
Unique Identifier is None: in a batch it means the ID Placeholder (the id the previous item produced).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar

from strongroom.protocols.kmip import attributes as attrs
from strongroom.protocols.kmip import objects
from strongroom.protocols.kmip.enums import (
    KeyCompressionType,
    KeyFormatType,
    KeyWrapType,
    ObjectGroupMember,
    Operation,
    QueryFunction,
    ResultReason,
    RevocationReasonCode,
    known,
)
from strongroom.protocols.kmip.errors import MessageError
from strongroom.protocols.kmip.fields import Fields
from strongroom.protocols.kmip.tags import Tag
from strongroom.protocols.kmip.ttlv import Item, ItemType
from strongroom.protocols.kmip.version import ProtocolVersion

S, T, B, BS, E, I, LI, DT, IV = (  # noqa: E741
    ItemType.STRUCTURE,
    ItemType.TEXT_STRING,
    ItemType.BOOLEAN,
    ItemType.BYTE_STRING,
    ItemType.ENUMERATION,
    ItemType.INTEGER,
    ItemType.LONG_INTEGER,
    ItemType.DATE_TIME,
    ItemType.INTERVAL,
)


def _uid(fields: Fields) -> str | None:
    return fields.maybe(Tag.UNIQUE_IDENTIFIER, T)


def _non_negative(value: int | None, what: str) -> int | None:
    if value is not None and value < 0:
        raise MessageError.invalid_field(f"{what} is negative")
    return value


def _protection_storage_masks(fields: Fields, version: ProtocolVersion) -> tuple[int, ...]:
    if not version.uses_attributes_structure:
        return ()
    found = fields.maybe_item(Tag.PROTECTION_STORAGE_MASKS)
    if found is None:
        return ()
    inner = Fields(found)
    masks = tuple(inner.many(Tag.PROTECTION_STORAGE_MASK, I))
    inner.done()
    return masks


def _single_attribute(item: Item) -> attrs.Attribute:
    """2.x Current Attribute / New Attribute: a structure holding exactly one attribute."""
    if item.type is not S or len(item.children) != 1:
        raise MessageError.invalid_message(
            f"{'Current' if item.tag == Tag.CURRENT_ATTRIBUTE else 'New'} Attribute must hold exactly one attribute"
        )
    return attrs.attribute_from_2x(item.children[0])


@dataclass(frozen=True, slots=True)
class CreateRequest:
    operation: ClassVar[Operation] = Operation.CREATE
    object_type: objects.ObjectType
    attributes: tuple[attrs.Attribute, ...]
    protection_storage_masks: tuple[int, ...] = ()

    @classmethod
    def read(cls, fields: Fields, version: ProtocolVersion) -> CreateRequest:
        object_type = objects.object_type(fields.one(Tag.OBJECT_TYPE, E))
        attributes = attrs.read_attributes(fields, version)
        return cls(object_type, attributes, _protection_storage_masks(fields, version))


@dataclass(frozen=True, slots=True)
class RegisterRequest:
    operation: ClassVar[Operation] = Operation.REGISTER
    object_type: objects.ObjectType
    attributes: tuple[attrs.Attribute, ...]
    managed_object: objects.ManagedObject
    protection_storage_masks: tuple[int, ...] = ()

    @classmethod
    def read(cls, fields: Fields, version: ProtocolVersion) -> RegisterRequest:
        object_type = objects.object_type(fields.one(Tag.OBJECT_TYPE, E))
        attributes = attrs.read_attributes(fields, version)
        managed = objects.read_managed_object(fields, object_type, version)
        return cls(object_type, attributes, managed, _protection_storage_masks(fields, version))


@dataclass(frozen=True, slots=True)
class GetRequest:
    operation: ClassVar[Operation] = Operation.GET
    unique_identifier: str | None = None
    key_format_type: int | None = None
    key_wrap_type: int | None = None
    key_compression_type: int | None = None
    key_wrapping_specification: Item | None = None

    @classmethod
    def read(cls, fields: Fields, version: ProtocolVersion) -> GetRequest:
        return cls(
            _uid(fields),
            fields.maybe_enum(Tag.KEY_FORMAT_TYPE, KeyFormatType),
            fields.maybe_enum(Tag.KEY_WRAP_TYPE, KeyWrapType),
            fields.maybe_enum(Tag.KEY_COMPRESSION_TYPE, KeyCompressionType),
            fields.maybe_item(Tag.KEY_WRAPPING_SPECIFICATION, S),
        )


@dataclass(frozen=True, slots=True)
class IdentifierRequest:
    """A payload of only an optional Unique Identifier: Activate, Destroy, Get Attribute List, Archive,
    Recover, Obtain Lease."""

    operation: Operation
    unique_identifier: str | None = None


@dataclass(frozen=True, slots=True)
class RevokeRequest:
    operation: ClassVar[Operation] = Operation.REVOKE
    unique_identifier: str | None
    revocation_reason_code: int
    revocation_message: str | None = None
    compromise_occurrence_date: int | None = None

    @classmethod
    def read(cls, fields: Fields, version: ProtocolVersion) -> RevokeRequest:
        uid = _uid(fields)
        reason = Fields(fields.item(Tag.REVOCATION_REASON, S))
        code = known(RevocationReasonCode, reason.one(Tag.REVOCATION_REASON_CODE, E))
        message = reason.maybe(Tag.REVOCATION_MESSAGE, T)
        reason.done()
        return cls(uid, code, message, fields.maybe(Tag.COMPROMISE_OCCURRENCE_DATE, DT))


@dataclass(frozen=True, slots=True)
class CheckRequest:
    operation: ClassVar[Operation] = Operation.CHECK
    unique_identifier: str | None = None
    usage_limits_count: int | None = None
    cryptographic_usage_mask: int | None = None
    lease_time: int | None = None

    @classmethod
    def read(cls, fields: Fields, version: ProtocolVersion) -> CheckRequest:
        return cls(
            _uid(fields),
            _non_negative(fields.maybe(Tag.USAGE_LIMITS_COUNT, LI), "Usage Limits Count"),
            fields.maybe(Tag.CRYPTOGRAPHIC_USAGE_MASK, I),
            fields.maybe(Tag.LEASE_TIME, IV),
        )


@dataclass(frozen=True, slots=True)
class LocateRequest:
    operation: ClassVar[Operation] = Operation.LOCATE
    attributes: tuple[attrs.Attribute, ...] = ()
    maximum_items: int | None = None
    offset_items: int | None = None
    storage_status_mask: int | None = None
    object_group_member: int | None = None

    @classmethod
    def read(cls, fields: Fields, version: ProtocolVersion) -> LocateRequest:
        maximum = _non_negative(fields.maybe(Tag.MAXIMUM_ITEMS, I), "Maximum Items")
        offset = _non_negative(fields.maybe(Tag.OFFSET_ITEMS, I), "Offset Items")
        storage = fields.maybe(Tag.STORAGE_STATUS_MASK, I)
        member = fields.maybe_enum(Tag.OBJECT_GROUP_MEMBER, ObjectGroupMember)
        if version.uses_attributes_structure:
            found = fields.maybe_item(Tag.ATTRIBUTES)
            attributes = () if found is None else attrs.attributes_from_2x(found)
        else:
            attributes = tuple(attrs.attribute_from_1x(child) for child in fields.take(Tag.ATTRIBUTE))
        return cls(attributes, maximum, offset, storage, member)


@dataclass(frozen=True, slots=True)
class GetAttributesRequest:
    """An empty ``references`` asks for every attribute."""

    operation: ClassVar[Operation] = Operation.GET_ATTRIBUTES
    unique_identifier: str | None = None
    references: tuple[attrs.AttributeReference, ...] = ()

    @classmethod
    def read(cls, fields: Fields, version: ProtocolVersion) -> GetAttributesRequest:
        return cls(_uid(fields), attrs.read_references(fields, version))


@dataclass(frozen=True, slots=True)
class AddAttributeRequest:
    operation: ClassVar[Operation] = Operation.ADD_ATTRIBUTE
    unique_identifier: str | None
    attribute: attrs.Attribute

    @classmethod
    def read(cls, fields: Fields, version: ProtocolVersion) -> AddAttributeRequest:
        uid = _uid(fields)
        if version.uses_attributes_structure:
            return cls(uid, _single_attribute(fields.item(Tag.NEW_ATTRIBUTE)))
        return cls(uid, attrs.attribute_from_1x(fields.item(Tag.ATTRIBUTE)))


@dataclass(frozen=True, slots=True)
class SetAttributeRequest:
    operation: ClassVar[Operation] = Operation.SET_ATTRIBUTE
    unique_identifier: str | None
    attribute: attrs.Attribute

    @classmethod
    def read(cls, fields: Fields, version: ProtocolVersion) -> SetAttributeRequest:
        if not version.uses_attributes_structure:
            raise MessageError(ResultReason.OPERATION_NOT_SUPPORTED, "Set Attribute is KMIP 2.0 and later")
        return cls(_uid(fields), _single_attribute(fields.item(Tag.NEW_ATTRIBUTE)))


@dataclass(frozen=True, slots=True)
class ModifyAttributeRequest:
    """1.x names the attribute (and index) to change inside ``attribute``; 2.x may also send the value being
    replaced as ``current``."""

    operation: ClassVar[Operation] = Operation.MODIFY_ATTRIBUTE
    unique_identifier: str | None
    attribute: attrs.Attribute
    current: attrs.Attribute | None = None

    @classmethod
    def read(cls, fields: Fields, version: ProtocolVersion) -> ModifyAttributeRequest:
        uid = _uid(fields)
        if version.uses_attributes_structure:
            current = fields.maybe_item(Tag.CURRENT_ATTRIBUTE)
            return cls(
                uid,
                _single_attribute(fields.item(Tag.NEW_ATTRIBUTE)),
                None if current is None else _single_attribute(current),
            )
        return cls(uid, attrs.attribute_from_1x(fields.item(Tag.ATTRIBUTE)))


@dataclass(frozen=True, slots=True)
class DeleteAttributeRequest:
    """1.x: ``reference`` and an optional ``index``. 2.x: ``current`` (the exact value to delete) or
    ``reference`` (every value of that attribute)."""

    operation: ClassVar[Operation] = Operation.DELETE_ATTRIBUTE
    unique_identifier: str | None
    reference: attrs.AttributeReference | None
    index: int | None = None
    current: attrs.Attribute | None = None

    @classmethod
    def read(cls, fields: Fields, version: ProtocolVersion) -> DeleteAttributeRequest:
        uid = _uid(fields)
        if version.uses_attributes_structure:
            current = fields.maybe_item(Tag.CURRENT_ATTRIBUTE)
            reference = fields.maybe_item(Tag.ATTRIBUTE_REFERENCE)
            if (current is None) == (reference is None):
                raise MessageError.invalid_message(
                    "Delete Attribute needs one of Current Attribute and Attribute Reference"
                )
            return cls(
                uid,
                None if reference is None else attrs.AttributeReference.from_2x(reference),
                None,
                None if current is None else _single_attribute(current),
            )
        name = fields.one(Tag.ATTRIBUTE_NAME, T)
        index = _non_negative(fields.maybe(Tag.ATTRIBUTE_INDEX, I), "Attribute Index")
        return cls(uid, attrs.AttributeReference(name), index)


@dataclass(frozen=True, slots=True)
class EncryptRequest:
    operation: ClassVar[Operation] = Operation.ENCRYPT
    unique_identifier: str | None = None
    cryptographic_parameters: objects.CryptographicParameters | None = None
    data: bytes | None = field(default=None, repr=False)
    iv_counter_nonce: bytes | None = None
    correlation_value: bytes | None = None
    init_indicator: bool | None = None
    final_indicator: bool | None = None
    authenticated_encryption_additional_data: bytes | None = None

    @classmethod
    def read(cls, fields: Fields, version: ProtocolVersion) -> EncryptRequest:
        return cls(**_crypto_fields(fields))


@dataclass(frozen=True, slots=True)
class DecryptRequest:
    operation: ClassVar[Operation] = Operation.DECRYPT
    unique_identifier: str | None = None
    cryptographic_parameters: objects.CryptographicParameters | None = None
    data: bytes | None = field(default=None, repr=False)
    iv_counter_nonce: bytes | None = None
    correlation_value: bytes | None = None
    init_indicator: bool | None = None
    final_indicator: bool | None = None
    authenticated_encryption_additional_data: bytes | None = None
    authenticated_encryption_tag: bytes | None = None

    @classmethod
    def read(cls, fields: Fields, version: ProtocolVersion) -> DecryptRequest:
        values = _crypto_fields(fields)
        return cls(**values, authenticated_encryption_tag=fields.maybe(Tag.AUTHENTICATED_ENCRYPTION_TAG, BS))


def _crypto_fields(fields: Fields) -> dict[str, object]:
    parameters = fields.maybe_item(Tag.CRYPTOGRAPHIC_PARAMETERS)
    return {
        "unique_identifier": _uid(fields),
        "cryptographic_parameters": None
        if parameters is None
        else objects.CryptographicParameters.from_item(parameters),
        "data": fields.maybe(Tag.DATA, BS),
        "iv_counter_nonce": fields.maybe(Tag.IV_COUNTER_NONCE, BS),
        "correlation_value": fields.maybe(Tag.CORRELATION_VALUE, BS),
        "init_indicator": fields.maybe(Tag.INIT_INDICATOR, B),
        "final_indicator": fields.maybe(Tag.FINAL_INDICATOR, B),
        "authenticated_encryption_additional_data": fields.maybe(Tag.AUTHENTICATED_ENCRYPTION_ADDITIONAL_DATA, BS),
    }


def _template(fields: Fields, version: ProtocolVersion, tag_1x: Tag, tag_2x: Tag) -> tuple[attrs.Attribute, ...]:
    """One of Create Key Pair's attribute groups: a Template-Attribute under its own tag (1.x), or an Attributes
    structure under its own tag (2.x)."""
    found = fields.maybe_item(tag_2x if version.uses_attributes_structure else tag_1x)
    if found is None:
        return ()
    return attrs.attributes_from_2x(found) if version.uses_attributes_structure else \
        attrs.template_attribute_from_1x(found)


@dataclass(frozen=True, slots=True)
class CreateKeyPairRequest:
    operation: ClassVar[Operation] = Operation.CREATE_KEY_PAIR
    common_attributes: tuple[attrs.Attribute, ...] = ()
    private_key_attributes: tuple[attrs.Attribute, ...] = ()
    public_key_attributes: tuple[attrs.Attribute, ...] = ()

    @classmethod
    def read(cls, fields: Fields, version: ProtocolVersion) -> CreateKeyPairRequest:
        common = _template(fields, version, Tag.COMMON_TEMPLATE_ATTRIBUTE, Tag.COMMON_ATTRIBUTES)
        private = _template(fields, version, Tag.PRIVATE_KEY_TEMPLATE_ATTRIBUTE, Tag.PRIVATE_KEY_ATTRIBUTES)
        public = _template(fields, version, Tag.PUBLIC_KEY_TEMPLATE_ATTRIBUTE, Tag.PUBLIC_KEY_ATTRIBUTES)
        if version.uses_attributes_structure:
            for tag in (Tag.COMMON_PROTECTION_STORAGE_MASKS, Tag.PRIVATE_PROTECTION_STORAGE_MASKS,
                        Tag.PUBLIC_PROTECTION_STORAGE_MASKS):
                fields.maybe_item(tag, S)
        return cls(common, private, public)


@dataclass(frozen=True, slots=True)
class ReKeyRequest:
    operation: ClassVar[Operation] = Operation.REKEY
    unique_identifier: str | None = None
    offset: int | None = None
    """Seconds from the new key's initial date to its activation date (an Interval)."""
    attributes: tuple[attrs.Attribute, ...] = ()

    @classmethod
    def read(cls, fields: Fields, version: ProtocolVersion) -> ReKeyRequest:
        uid = _uid(fields)
        offset = fields.maybe(Tag.OFFSET, IV)
        attributes = attrs.read_attributes(fields, version)
        _protection_storage_masks(fields, version)
        return cls(uid, offset, attributes)


@dataclass(frozen=True, slots=True)
class SignRequest:
    """Sign, MAC: ``data`` (or, for Sign, ``digested_data``) under the key, in one part only when the
    indicators are absent."""

    operation: Operation
    unique_identifier: str | None = None
    cryptographic_parameters: objects.CryptographicParameters | None = None
    data: bytes | None = field(default=None, repr=False)
    digested_data: bytes | None = None
    correlation_value: bytes | None = None
    init_indicator: bool | None = None
    final_indicator: bool | None = None


@dataclass(frozen=True, slots=True)
class VerifyRequest:
    """Signature Verify, MAC Verify: ``signature`` is the Signature Data or the MAC Data."""

    operation: Operation
    unique_identifier: str | None = None
    cryptographic_parameters: objects.CryptographicParameters | None = None
    data: bytes | None = field(default=None, repr=False)
    digested_data: bytes | None = None
    signature: bytes | None = None
    correlation_value: bytes | None = None
    init_indicator: bool | None = None
    final_indicator: bool | None = None


def _read_sign(operation: Operation) -> object:
    def read(fields: Fields, version: ProtocolVersion) -> SignRequest:
        parameters = fields.maybe_item(Tag.CRYPTOGRAPHIC_PARAMETERS)
        return SignRequest(
            operation,
            _uid(fields),
            None if parameters is None else objects.CryptographicParameters.from_item(parameters),
            fields.maybe(Tag.DATA, BS),
            fields.maybe(Tag.DIGESTED_DATA, BS) if operation is Operation.SIGN else None,
            fields.maybe(Tag.CORRELATION_VALUE, BS),
            fields.maybe(Tag.INIT_INDICATOR, B),
            fields.maybe(Tag.FINAL_INDICATOR, B),
        )
    return read


def _read_verify(operation: Operation) -> object:
    signature_tag = Tag.SIGNATURE_DATA if operation is Operation.SIGNATURE_VERIFY else Tag.MAC_DATA

    def read(fields: Fields, version: ProtocolVersion) -> VerifyRequest:
        parameters = fields.maybe_item(Tag.CRYPTOGRAPHIC_PARAMETERS)
        return VerifyRequest(
            operation,
            _uid(fields),
            None if parameters is None else objects.CryptographicParameters.from_item(parameters),
            fields.maybe(Tag.DATA, BS),
            fields.maybe(Tag.DIGESTED_DATA, BS) if operation is Operation.SIGNATURE_VERIFY else None,
            fields.maybe(signature_tag, BS),
            fields.maybe(Tag.CORRELATION_VALUE, BS),
            fields.maybe(Tag.INIT_INDICATOR, B),
            fields.maybe(Tag.FINAL_INDICATOR, B),
        )
    return read


@dataclass(frozen=True, slots=True)
class RngRetrieveRequest:
    operation: ClassVar[Operation] = Operation.RNG_RETRIEVE
    data_length: int

    @classmethod
    def read(cls, fields: Fields, version: ProtocolVersion) -> RngRetrieveRequest:
        length = fields.one(Tag.DATA_LENGTH, I)
        if length < 1:
            raise MessageError.invalid_field(f"Data Length is {length}")
        return cls(length)


@dataclass(frozen=True, slots=True)
class QueryRequest:
    operation: ClassVar[Operation] = Operation.QUERY
    query_functions: tuple[int, ...] = ()

    @classmethod
    def read(cls, fields: Fields, version: ProtocolVersion) -> QueryRequest:
        return cls(tuple(known(QueryFunction, value) for value in fields.many(Tag.QUERY_FUNCTION, E)))


@dataclass(frozen=True, slots=True)
class DiscoverVersionsRequest:
    """The client's versions, in its order of preference; empty asks for all of the server's."""

    operation: ClassVar[Operation] = Operation.DISCOVER_VERSIONS
    protocol_versions: tuple[ProtocolVersion, ...] = ()

    @classmethod
    def read(cls, fields: Fields, version: ProtocolVersion) -> DiscoverVersionsRequest:
        return cls(tuple(ProtocolVersion.from_item(item) for item in fields.take(Tag.PROTOCOL_VERSION)))


@dataclass(frozen=True, slots=True)
class RawRequest:
    """The payload of an operation this model does not decode."""

    operation: Operation | int
    items: tuple[Item, ...]


RequestPayload = (
    CreateRequest
    | RegisterRequest
    | GetRequest
    | IdentifierRequest
    | RevokeRequest
    | CheckRequest
    | LocateRequest
    | GetAttributesRequest
    | AddAttributeRequest
    | SetAttributeRequest
    | ModifyAttributeRequest
    | DeleteAttributeRequest
    | EncryptRequest
    | DecryptRequest
    | QueryRequest
    | DiscoverVersionsRequest
    | CreateKeyPairRequest
    | ReKeyRequest
    | SignRequest
    | VerifyRequest
    | RngRetrieveRequest
    | RawRequest
)

_READERS = {
    cls.operation: cls.read
    for cls in (
        CreateRequest,
        RegisterRequest,
        GetRequest,
        RevokeRequest,
        CheckRequest,
        LocateRequest,
        GetAttributesRequest,
        AddAttributeRequest,
        SetAttributeRequest,
        ModifyAttributeRequest,
        DeleteAttributeRequest,
        EncryptRequest,
        DecryptRequest,
        QueryRequest,
        DiscoverVersionsRequest,
        CreateKeyPairRequest,
        ReKeyRequest,
        RngRetrieveRequest,
    )
}
_READERS.update({
    Operation.SIGN: _read_sign(Operation.SIGN),  # type: ignore[dict-item]
    Operation.MAC: _read_sign(Operation.MAC),  # type: ignore[dict-item]
    Operation.SIGNATURE_VERIFY: _read_verify(Operation.SIGNATURE_VERIFY),  # type: ignore[dict-item]
    Operation.MAC_VERIFY: _read_verify(Operation.MAC_VERIFY),  # type: ignore[dict-item]
})
IDENTIFIER_ONLY = frozenset(
    {
        Operation.ACTIVATE,
        Operation.DESTROY,
        Operation.GET_ATTRIBUTE_LIST,
        Operation.ARCHIVE,
        Operation.RECOVER,
        Operation.OBTAIN_LEASE,
    }
)
DECODED_OPERATIONS = frozenset(_READERS) | IDENTIFIER_ONLY
"""Operations whose request payload decodes to a typed dataclass (the rest decode to RawRequest)."""


def decode_payload(operation: Operation | int, item: Item, version: ProtocolVersion) -> RequestPayload:
    """Decode one Request Payload. Raises :class:`MessageError` for a payload that does not fit the operation."""
    if item.type is not S:
        raise MessageError.invalid_message("Request Payload must be a Structure")
    if operation not in DECODED_OPERATIONS:
        return RawRequest(operation, item.children)
    fields = Fields(item, f"the {Operation(operation).name} Request Payload")
    payload: RequestPayload
    if operation in IDENTIFIER_ONLY:
        payload = IdentifierRequest(Operation(operation), _uid(fields))
    else:
        payload = _READERS[operation](fields, version)  # type: ignore[operator]
    fields.done()
    return payload
