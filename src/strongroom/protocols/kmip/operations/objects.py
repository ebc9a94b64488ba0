"""Objects in and out: Create, Create Key Pair, Register, ReKey and Get."""

from __future__ import annotations

from strongroom.protocols.kmip import conversions, stored
from strongroom.protocols.kmip.attributes import Attribute
from strongroom.protocols.kmip.call import Call
from strongroom.protocols.kmip.enums import (
    CertificateType,
    CryptographicAlgorithm,
    CryptographicUsageMask,
    KeyFormatType,
    LinkType,
    ObjectType,
    ResultReason,
    SecretDataType,
)
from strongroom.protocols.kmip.objects import (
    Certificate,
    KeyBlock,
    KeyValue,
    OpaqueObject,
    PrivateKey,
    PublicKey,
    SecretData,
    SymmetricKey,
)
from strongroom.protocols.kmip.objects import ManagedObject as WireObject
from strongroom.protocols.kmip.request_payloads import (
    CreateKeyPairRequest,
    CreateRequest,
    GetRequest,
    RegisterRequest,
    ReKeyRequest,
)
from strongroom.protocols.kmip.response_payloads import (
    CreateKeyPairResponse,
    CreateResponse,
    GetResponse,
    RegisterResponse,
)
from strongroom.protocols.kmip.results import Refusal
from strongroom.protocols.kmip.tags import Tag
from strongroom.protocols.kmip.templates import Template, read_template
from strongroom.protocols.kmip.ttlv import enumeration, text_string
from strongroom.protocols.kmip.wrapping import WrappingPlan, wrapping_for
from strongroom.service.managed_objects import ManagedObject, ObjectKind

_PRIVATE_FORMATS = {KeyFormatType.PKCS_8: "PKCS8", KeyFormatType.PKCS_1: "PKCS1",
                    KeyFormatType.EC_PRIVATE_KEY: "PKCS1"}
_PUBLIC_FORMATS = {KeyFormatType.X_509: "SPKI", KeyFormatType.PKCS_1: "PKCS1"}
_SYMMETRIC_FORMATS = (KeyFormatType.RAW, KeyFormatType.OPAQUE)


def _kept_algorithm(template: Template, spec_algorithm: int | None) -> dict[str, str]:
    """The client's own name for the algorithm, when it is not the one the key spec implies (EC for ECDSA)."""
    if template.algorithm is None or template.algorithm == spec_algorithm:
        return {}
    return {stored.ALGORITHM: str(int(template.algorithm))}


def create(call: Call, payload: CreateRequest) -> CreateResponse:
    call.params["objectType"] = int(payload.object_type)
    if payload.object_type != ObjectType.SYMMETRIC_KEY:
        raise Refusal(ResultReason.INVALID_FIELD, "Create makes symmetric keys; use Create Key Pair or Register")
    template = read_template(payload.attributes)
    spec = conversions.symmetric_spec(template.algorithm, template.length)
    template.kept = {**template.kept, **Call.object_fields(key_format_type=KeyFormatType.RAW),
                     **_kept_algorithm(template, conversions.algorithm_of_spec(spec))}
    made = call.core.managed_objects.create_symmetric(call.ctx, spec, template.new_object(), template.length)
    call.produced(made.object_id)
    return CreateResponse(ObjectType.SYMMETRIC_KEY, made.object_id)


def create_key_pair(call: Call, payload: CreateKeyPairRequest) -> CreateKeyPairResponse:
    common = read_template(payload.common_attributes)
    private = read_template(payload.private_key_attributes, common)
    public = read_template(payload.public_key_attributes, common)
    spec = conversions.asymmetric_spec(private.algorithm, private.length)
    private_mask = _mask(private)
    key_usage = "ENCRYPT_DECRYPT" if private_mask & CryptographicUsageMask.DECRYPT and \
        not private_mask & CryptographicUsageMask.SIGN else "SIGN_VERIFY"
    derived = conversions.algorithm_of_spec(spec)
    made_private, made_public = call.core.managed_objects.create_key_pair(
        call.ctx, spec, private.new_object(attributes={**private.kept, **_kept_algorithm(private, derived),
                                                       **Call.object_fields(key_format_type=KeyFormatType.PKCS_8)}),
        public.new_object(attributes={**public.kept, **_kept_algorithm(public, derived),
                                      **Call.object_fields(key_format_type=KeyFormatType.PKCS_1
                                                           if spec.startswith("RSA_") else KeyFormatType.X_509)}),
        key_usage=key_usage)
    call.produced(made_public.object_id)
    call.produced(made_private.object_id)
    _link(call, made_private.object_id, LinkType.PUBLIC_KEY_LINK, made_public.object_id)
    _link(call, made_public.object_id, LinkType.PRIVATE_KEY_LINK, made_private.object_id)
    return CreateKeyPairResponse(made_private.object_id, made_public.object_id)


def _mask(template: Template) -> int:
    found = stored.values(template.kept, "Cryptographic Usage Mask")
    return int(found[0].value) if found else 0  # type: ignore[arg-type]


def link_attribute(link_type: int, target: str) -> Attribute:
    return Attribute.of(Tag.LINK, (enumeration(Tag.LINK_TYPE, link_type),
                                   text_string(Tag.LINKED_OBJECT_IDENTIFIER, target)))


def _link(call: Call, uid: str, link_type: int, target: str) -> None:
    def add(current: ManagedObject) -> dict[str, str]:
        links = stored.values(current.attributes, "Link")
        return stored.with_values(current.attributes, "Link", None, [*links, link_attribute(link_type, target)])
    call.core.managed_objects.update_attributes(call.ctx, uid, add)


def register(call: Call, payload: RegisterRequest) -> RegisterResponse:
    call.params["objectType"] = int(payload.object_type)
    kind = conversions.KIND_OF.get(payload.object_type)
    wire = payload.managed_object
    if kind is None:
        raise Refusal(ResultReason.FEATURE_NOT_SUPPORTED, "objects of this type cannot be registered here")
    template = read_template(payload.attributes)
    spec: str | None = None
    material: bytes
    fields: dict[str, str] = {}
    if isinstance(wire, SymmetricKey | PrivateKey | PublicKey | SecretData):
        block = wire.key_block
        material = _unwrapped_material(block)
        fields = Call.object_fields(key_format_type=block.key_format_type)
        algorithm = block.cryptographic_algorithm if block.cryptographic_algorithm is not None else template.algorithm
        length = block.cryptographic_length if block.cryptographic_length is not None else template.length
        if isinstance(wire, SymmetricKey):
            if block.key_format_type not in _SYMMETRIC_FORMATS:
                raise Refusal(ResultReason.KEY_FORMAT_TYPE_NOT_SUPPORTED, "symmetric keys are registered Raw")
            spec = conversions.symmetric_spec(algorithm, length or len(material) * 8, registering=True)
            if algorithm is not None and algorithm != conversions.algorithm_of_spec(spec):
                fields[stored.ALGORITHM] = str(int(algorithm))
        elif isinstance(wire, PrivateKey | PublicKey):
            formats = _PRIVATE_FORMATS if isinstance(wire, PrivateKey) else _PUBLIC_FORMATS
            if block.key_format_type not in formats and block.key_format_type != KeyFormatType.RAW:
                raise Refusal(ResultReason.KEY_FORMAT_TYPE_NOT_SUPPORTED,
                              "private keys are registered as PKCS#1 or PKCS#8, public keys as PKCS#1 or X.509")
            if algorithm in (CryptographicAlgorithm.EC, CryptographicAlgorithm.ECDH):
                fields[stored.ALGORITHM] = str(int(algorithm))  # ECDSA is what the key spec implies
        else:
            fields.update(Call.object_fields(secret_data_type=wire.secret_data_type))
    elif isinstance(wire, OpaqueObject):
        material = wire.opaque_data_value
        fields = Call.object_fields(opaque_data_type=wire.opaque_data_type)
    elif isinstance(wire, Certificate):
        if wire.certificate_type != CertificateType.X_509:
            raise Refusal(ResultReason.FEATURE_NOT_SUPPORTED, "only X.509 certificates are registered here")
        material = wire.certificate_value
        fields = Call.object_fields(certificate_type=wire.certificate_type)
    else:
        raise Refusal(ResultReason.FEATURE_NOT_SUPPORTED, "objects of this type cannot be registered here")
    new = template.new_object(attributes={**template.kept, **{k: v for k, v in fields.items() if v}})
    made = call.core.managed_objects.register(call.ctx, kind, material, new, key_spec=spec)
    call.produced(made.object_id)
    return RegisterResponse(made.object_id)


def _unwrapped_material(block: KeyBlock) -> bytes:
    if block.key_wrapping_data is not None:
        raise Refusal(ResultReason.FEATURE_NOT_SUPPORTED, "wrapped key material cannot be registered here")
    if block.key_compression_type is not None:
        raise Refusal(ResultReason.KEY_COMPRESSION_TYPE_NOT_SUPPORTED, "compressed keys are not supported")
    material = block.key_material
    if material is None:
        raise Refusal(ResultReason.KEY_FORMAT_TYPE_NOT_SUPPORTED, "transparent key formats are not supported")
    return material


def rekey(call: Call, payload: ReKeyRequest) -> RegisterResponse:
    uid = call.uid(payload.unique_identifier)
    objects = call.core.managed_objects
    old = objects.get(call.ctx, uid)
    template = read_template(payload.attributes)
    now = call.core.clock.now()
    carried = {k: v for k, v in old.attributes.items() if k.startswith(stored.OBJECT_PREFIX)
               or (k.startswith(stored.ATTRIBUTE_PREFIX) and k not in (stored.storage_key("Link"),
                                                                        stored.storage_key("Revocation Reason")))}
    activation = now + payload.offset if payload.offset is not None else (now if old.state.value == "active" else None)
    made = objects.rekey(call.ctx, uid, template.new_object(
        attributes={**carried, **template.kept}, extractable=old.extractable, sensitive=old.sensitive,
        activation_date=activation))
    call.produced(made.object_id)
    _link(call, made.object_id, LinkType.REPLACED_OBJECT_LINK, old.object_id)
    _link(call, old.object_id, LinkType.REPLACEMENT_OBJECT_LINK, made.object_id)
    return RegisterResponse(made.object_id)


def get(call: Call, payload: GetRequest) -> GetResponse:
    uid = call.uid(payload.unique_identifier)
    if payload.key_compression_type is not None:
        raise Refusal(ResultReason.KEY_COMPRESSION_TYPE_NOT_SUPPORTED, "compressed keys are not supported")
    wanted = payload.key_format_type
    wrapping = None if payload.key_wrapping_specification is None else wrapping_for(
        call, payload.key_wrapping_specification)

    def encoding(managed: ManagedObject) -> str | None:
        key_format = wanted if wanted is not None else _stored_format(call, managed)
        if key_format == _stored_format(call, managed) and managed.registered_encoding:
            return managed.registered_encoding  # as registered (whatever the client called it)
        return _encoding(managed, key_format)
    exported = call.core.object_use.export(call.ctx, uid, encoding,
                                                wrapped_by=None if wrapping is None else wrapping.core)
    managed = exported.managed
    key_format = wanted if wanted is not None else _stored_format(call, managed)
    return GetResponse(uid, _wire_object(call, managed, exported.material, key_format, wrapping))


_DEFAULT_FORMATS = {ObjectKind.SYMMETRIC_KEY: KeyFormatType.RAW, ObjectKind.PRIVATE_KEY: KeyFormatType.PKCS_8,
                    ObjectKind.PUBLIC_KEY: KeyFormatType.X_509, ObjectKind.SECRET: KeyFormatType.OPAQUE}


def _stored_format(call: Call, managed: ManagedObject) -> int:
    return call.object_field(managed, stored.KEY_FORMAT_TYPE, _DEFAULT_FORMATS.get(managed.kind, 0))


def _encoding(managed: ManagedObject, key_format: int) -> str | None:
    kind = managed.kind
    if kind in (ObjectKind.PRIVATE_KEY, ObjectKind.PUBLIC_KEY) and key_format == KeyFormatType.RAW:
        return managed.registered_encoding or ("PKCS8" if kind is ObjectKind.PRIVATE_KEY else "SPKI")  # as it came
    if kind is ObjectKind.PRIVATE_KEY and key_format in _PRIVATE_FORMATS:
        return _PRIVATE_FORMATS[key_format]  # type: ignore[index]
    if kind is ObjectKind.PUBLIC_KEY and key_format in _PUBLIC_FORMATS:
        return _PUBLIC_FORMATS[key_format]  # type: ignore[index]
    if kind in (ObjectKind.SYMMETRIC_KEY, ObjectKind.SECRET) and key_format in _SYMMETRIC_FORMATS:
        return None
    if kind in (ObjectKind.OPAQUE, ObjectKind.CERTIFICATE):
        return None
    raise Refusal(ResultReason.KEY_FORMAT_TYPE_NOT_SUPPORTED, "the object is not given out in that Key Format Type")


def _wire_object(call: Call, managed: ManagedObject, material: bytes, key_format: int,
                 wrapping: WrappingPlan | None = None) -> WireObject:
    kind = managed.kind
    if kind is ObjectKind.OPAQUE:
        return OpaqueObject(call.object_field(managed, stored.OPAQUE_DATA_TYPE, 0x80000000), material)
    if kind is ObjectKind.CERTIFICATE:
        return Certificate(call.object_field(managed, stored.CERTIFICATE_TYPE, CertificateType.X_509), material)
    value: KeyValue | bytes = material if wrapping is not None and wrapping.encoded else KeyValue(material)
    wrapping_data = None if wrapping is None else wrapping.data
    if kind is ObjectKind.SECRET:
        return SecretData(call.object_field(managed, stored.SECRET_DATA_TYPE, SecretDataType.SEED),
                          KeyBlock(key_format, value, key_wrapping_data=wrapping_data))
    block = KeyBlock(key_format, value, conversions.algorithm_of(managed), managed.length,
                     key_wrapping_data=wrapping_data)
    cls = {ObjectKind.SYMMETRIC_KEY: SymmetricKey, ObjectKind.PRIVATE_KEY: PrivateKey,
           ObjectKind.PUBLIC_KEY: PublicKey}[kind]
    return cls(block)
