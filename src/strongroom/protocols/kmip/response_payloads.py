"""Response payloads: what a server fills in, each written for the request's protocol version.

Fields are written in the spec's order, because PyKMIP and other clients read responses sequentially. Every
class has ``to_item(version) -> Item`` giving the ``Response Payload`` structure.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from strongroom.protocols.kmip import attributes as attrs
from strongroom.protocols.kmip import objects
from strongroom.protocols.kmip.tags import Tag
from strongroom.protocols.kmip.ttlv import (
    Item,
    byte_string,
    enumeration,
    integer,
    interval,
    long_integer,
    structure,
    text_string,
)
from strongroom.protocols.kmip.version import ProtocolVersion


def _payload(children: Iterable[Item | None]) -> Item:
    return structure(Tag.RESPONSE_PAYLOAD, children)


def _uid(value: str | None) -> Item | None:
    return None if value is None else text_string(Tag.UNIQUE_IDENTIFIER, value)


def _bytes(tag: Tag, value: bytes | None) -> Item | None:
    return None if value is None else byte_string(tag, value)


@dataclass(frozen=True, slots=True)
class CreateResponse:
    """``attributes`` are those the server set implicitly; only 1.x carries them back."""

    object_type: int
    unique_identifier: str
    attributes: tuple[attrs.Attribute, ...] = ()

    def to_item(self, version: ProtocolVersion) -> Item:
        extra = None
        if self.attributes and not version.uses_attributes_structure:
            extra = attrs.template_attribute_to_1x(self.attributes)
        return _payload([enumeration(Tag.OBJECT_TYPE, self.object_type), _uid(self.unique_identifier), extra])


@dataclass(frozen=True, slots=True)
class RegisterResponse:
    unique_identifier: str
    attributes: tuple[attrs.Attribute, ...] = ()

    def to_item(self, version: ProtocolVersion) -> Item:
        extra = None
        if self.attributes and not version.uses_attributes_structure:
            extra = attrs.template_attribute_to_1x(self.attributes)
        return _payload([_uid(self.unique_identifier), extra])


@dataclass(frozen=True, slots=True)
class GetResponse:
    unique_identifier: str
    managed_object: objects.ManagedObject

    def to_item(self, version: ProtocolVersion) -> Item:
        return _payload(
            [
                enumeration(Tag.OBJECT_TYPE, self.managed_object.object_type),
                _uid(self.unique_identifier),
                self.managed_object.to_item(version),
            ]
        )


@dataclass(frozen=True, slots=True)
class IdentifierResponse:
    """Only the Unique Identifier: Activate, Revoke, Destroy, Archive, Recover, Set Attribute (and the 2.x
    Add, Modify and Delete Attribute responses, which :class:`AttributeResponse` writes the same way)."""

    unique_identifier: str

    def to_item(self, version: ProtocolVersion) -> Item:
        return _payload([_uid(self.unique_identifier)])


@dataclass(frozen=True, slots=True)
class AttributeResponse:
    """Add, Modify and Delete Attribute: 1.x echoes the attribute, 2.x only the identifier."""

    unique_identifier: str
    attribute: attrs.Attribute

    def to_item(self, version: ProtocolVersion) -> Item:
        extra = None if version.uses_attributes_structure else attrs.attribute_to_1x(self.attribute)
        return _payload([_uid(self.unique_identifier), extra])


@dataclass(frozen=True, slots=True)
class CheckResponse:
    unique_identifier: str
    usage_limits_count: int | None = None
    cryptographic_usage_mask: int | None = None
    lease_time: int | None = None

    def to_item(self, version: ProtocolVersion) -> Item:
        return _payload(
            [
                _uid(self.unique_identifier),
                None
                if self.usage_limits_count is None
                else long_integer(Tag.USAGE_LIMITS_COUNT, self.usage_limits_count),
                None
                if self.cryptographic_usage_mask is None
                else integer(Tag.CRYPTOGRAPHIC_USAGE_MASK, self.cryptographic_usage_mask),
                None if self.lease_time is None else interval(Tag.LEASE_TIME, self.lease_time),
            ]
        )


@dataclass(frozen=True, slots=True)
class LocateResponse:
    """``located_items`` (the total match count, 1.3+) is dropped when answering 1.0–1.2."""

    unique_identifiers: tuple[str, ...]
    located_items: int | None = None

    def to_item(self, version: ProtocolVersion) -> Item:
        located = None
        if self.located_items is not None and version >= ProtocolVersion(1, 3):
            located = integer(Tag.LOCATED_ITEMS, self.located_items)
        return _payload([located, *(_uid(uid) for uid in self.unique_identifiers)])


@dataclass(frozen=True, slots=True)
class GetAttributesResponse:
    unique_identifier: str
    attributes: tuple[attrs.Attribute, ...]

    def to_item(self, version: ProtocolVersion) -> Item:
        if version.uses_attributes_structure:
            return _payload([_uid(self.unique_identifier), attrs.attributes_to_2x(self.attributes)])
        return _payload([_uid(self.unique_identifier), *(attrs.attribute_to_1x(a) for a in self.attributes)])


@dataclass(frozen=True, slots=True)
class GetAttributeListResponse:
    unique_identifier: str
    references: tuple[attrs.AttributeReference, ...]

    def to_item(self, version: ProtocolVersion) -> Item:
        return _payload([_uid(self.unique_identifier), *(ref.to_item(version) for ref in self.references)])


@dataclass(frozen=True, slots=True)
class EncryptResponse:
    unique_identifier: str
    data: bytes | None = None
    iv_counter_nonce: bytes | None = None
    correlation_value: bytes | None = None
    authenticated_encryption_tag: bytes | None = None

    def to_item(self, version: ProtocolVersion) -> Item:
        return _payload(
            [
                _uid(self.unique_identifier),
                _bytes(Tag.DATA, self.data),
                _bytes(Tag.IV_COUNTER_NONCE, self.iv_counter_nonce),
                _bytes(Tag.CORRELATION_VALUE, self.correlation_value),
                _bytes(Tag.AUTHENTICATED_ENCRYPTION_TAG, self.authenticated_encryption_tag),
            ]
        )


@dataclass(frozen=True, slots=True)
class DecryptResponse:
    unique_identifier: str
    data: bytes | None = field(default=None, repr=False)  # plaintext
    correlation_value: bytes | None = None

    def to_item(self, version: ProtocolVersion) -> Item:
        return _payload(
            [
                _uid(self.unique_identifier),
                _bytes(Tag.DATA, self.data),
                _bytes(Tag.CORRELATION_VALUE, self.correlation_value),
            ]
        )


@dataclass(frozen=True, slots=True)
class CreateKeyPairResponse:
    """``private_attributes``/``public_attributes``: those the server set implicitly; only 1.x carries them."""

    private_key_unique_identifier: str
    public_key_unique_identifier: str
    private_attributes: tuple[attrs.Attribute, ...] = ()
    public_attributes: tuple[attrs.Attribute, ...] = ()

    def to_item(self, version: ProtocolVersion) -> Item:
        extra: list[Item | None] = []
        if not version.uses_attributes_structure:
            for tag, attributes in ((Tag.PRIVATE_KEY_TEMPLATE_ATTRIBUTE, self.private_attributes),
                                    (Tag.PUBLIC_KEY_TEMPLATE_ATTRIBUTE, self.public_attributes)):
                extra.append(structure(tag, [attrs.attribute_to_1x(a) for a in attributes]) if attributes else None)
        return _payload([
            text_string(Tag.PRIVATE_KEY_UNIQUE_IDENTIFIER, self.private_key_unique_identifier),
            text_string(Tag.PUBLIC_KEY_UNIQUE_IDENTIFIER, self.public_key_unique_identifier),
            *extra,
        ])


@dataclass(frozen=True, slots=True)
class SignResponse:
    """Sign (``signature`` is Signature Data) and MAC (MAC Data)."""

    unique_identifier: str
    signature: bytes
    mac: bool = False
    correlation_value: bytes | None = None

    def to_item(self, version: ProtocolVersion) -> Item:
        return _payload([
            _uid(self.unique_identifier),
            byte_string(Tag.MAC_DATA if self.mac else Tag.SIGNATURE_DATA, self.signature),
            _bytes(Tag.CORRELATION_VALUE, self.correlation_value),
        ])


@dataclass(frozen=True, slots=True)
class VerifyResponse:
    """Signature Verify and MAC Verify."""

    unique_identifier: str
    validity_indicator: int
    correlation_value: bytes | None = None

    def to_item(self, version: ProtocolVersion) -> Item:
        return _payload([
            _uid(self.unique_identifier),
            enumeration(Tag.VALIDITY_INDICATOR, self.validity_indicator),
            _bytes(Tag.CORRELATION_VALUE, self.correlation_value),
        ])


@dataclass(frozen=True, slots=True)
class RngRetrieveResponse:
    data: bytes = field(repr=False)

    def to_item(self, version: ProtocolVersion) -> Item:
        return _payload([byte_string(Tag.DATA, self.data)])


@dataclass(frozen=True, slots=True)
class QueryResponse:
    """The common answers typed; ``extra`` holds any further items (Extension Information, Profile
    Information, Capability Information, ...) already built, written after the typed ones."""

    operations: tuple[int, ...] = ()
    object_types: tuple[int, ...] = ()
    vendor_identification: str | None = None
    server_information: tuple[Item, ...] | None = None
    application_namespaces: tuple[str, ...] = ()
    extra: tuple[Item, ...] = ()

    def to_item(self, version: ProtocolVersion) -> Item:
        return _payload(
            [
                *(enumeration(Tag.OPERATION, op) for op in self.operations),
                *(enumeration(Tag.OBJECT_TYPE, kind) for kind in self.object_types),
                None
                if self.vendor_identification is None
                else text_string(Tag.VENDOR_IDENTIFICATION, self.vendor_identification),
                None if self.server_information is None else structure(Tag.SERVER_INFORMATION, self.server_information),
                *(text_string(Tag.APPLICATION_NAMESPACE, ns) for ns in self.application_namespaces),
                *self.extra,
            ]
        )


@dataclass(frozen=True, slots=True)
class DiscoverVersionsResponse:
    protocol_versions: tuple[ProtocolVersion, ...]

    def to_item(self, version: ProtocolVersion) -> Item:
        return _payload([v.to_item() for v in self.protocol_versions])


@dataclass(frozen=True, slots=True)
class RawResponse:
    """A payload built by hand, for operations without a class here."""

    items: tuple[Item, ...] = ()

    def to_item(self, version: ProtocolVersion) -> Item:
        return _payload(self.items)


ResponsePayload = (
    CreateResponse
    | RegisterResponse
    | GetResponse
    | IdentifierResponse
    | AttributeResponse
    | CheckResponse
    | LocateResponse
    | GetAttributesResponse
    | GetAttributeListResponse
    | EncryptResponse
    | DecryptResponse
    | QueryResponse
    | DiscoverVersionsResponse
    | CreateKeyPairResponse
    | SignResponse
    | VerifyResponse
    | RngRetrieveResponse
    | RawResponse
)
