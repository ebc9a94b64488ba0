"""PyKMIP (the reference peer) against this model, with no network: PyKMIP's own client writes each request,
our decoder reads it, a small answering machine built only from our response model replies, and PyKMIP's
client parses the reply. Tags, enumerations and attribute names are checked against PyKMIP's tables too."""

from __future__ import annotations

import warnings
from collections.abc import Callable
from typing import Any

import pytest

from strongroom.protocols.kmip import (
    RequestMessage,
    ResponseBatchItem,
    ResponseMessage,
    decode_request,
    encode_response,
    enums,
    response_header_for,
    ttlv,
)
from strongroom.protocols.kmip.attributes import (
    ATTRIBUTE_NAME_OF,
    ATTRIBUTE_TYPE_OF,
    Attribute,
    AttributeReference,
    name_attribute,
)
from strongroom.protocols.kmip.enums import Operation, ResultReason
from strongroom.protocols.kmip.objects import CryptographicParameters, KeyBlock, KeyValue, SecretData, SymmetricKey
from strongroom.protocols.kmip.request_payloads import (
    CreateRequest,
    DecryptRequest,
    DeleteAttributeRequest,
    DiscoverVersionsRequest,
    EncryptRequest,
    GetAttributesRequest,
    GetRequest,
    IdentifierRequest,
    LocateRequest,
    ModifyAttributeRequest,
    QueryRequest,
    RawRequest,
    RegisterRequest,
    RevokeRequest,
    SetAttributeRequest,
)
from strongroom.protocols.kmip.response_payloads import (
    AttributeResponse,
    CreateResponse,
    DecryptResponse,
    DiscoverVersionsResponse,
    EncryptResponse,
    GetAttributeListResponse,
    GetAttributesResponse,
    GetResponse,
    IdentifierResponse,
    LocateResponse,
    QueryResponse,
    RegisterResponse,
)
from strongroom.protocols.kmip.tags import Tag
from strongroom.protocols.kmip.ttlv import ItemType
from strongroom.protocols.kmip.version import KMIP_1_0, KMIP_1_2, KMIP_1_4, KMIP_2_0, ProtocolVersion

kmip = pytest.importorskip("kmip")

with warnings.catch_warnings():
    warnings.simplefilter("ignore")  # PyKMIP imports cryptography's deprecated ciphers
    from kmip.core import enums as ke
    from kmip.core import objects as kobjects
    from kmip.core import primitives as kprimitives
    from kmip.core.factories.attribute_values import AttributeValueFactory
    from kmip.core.factories.attributes import AttributeFactory
    from kmip.core.messages import contents as kcontents
    from kmip.core.messages import messages as kmessages
    from kmip.core.utils import BytearrayStream
    from kmip.pie import exceptions as kexceptions
    from kmip.pie import objects as pie
    from kmip.pie.client import ProxyKmipClient

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning", "ignore::UserWarning")

KEY = bytes(range(16))
VERSIONS = {
    "1.2": (ke.KMIPVersion.KMIP_1_2, KMIP_1_2),
    "1.4": (ke.KMIPVersion.KMIP_1_4, KMIP_1_4),
    "2.0": (ke.KMIPVersion.KMIP_2_0, KMIP_2_0),
}

Answer = Callable[[Any], Any]


class AnsweringMachine:
    """Stands in for PyKMIP's socket protocol object (``write(bytes)`` / ``read() -> BytearrayStream``)."""

    def __init__(self) -> None:
        self.answers: dict[Operation, Answer] = {}
        self.received: list[RequestMessage] = []
        self._reply = b""

    def write(self, data: bytes) -> None:
        message = decode_request(bytes(data))
        self.received.append(message)
        items = []
        for item in message.batch_items:
            if item.error is not None:
                items.append(ResponseBatchItem.for_error(item, item.error))
                continue
            answer = self.answers.get(item.operation)  # type: ignore[arg-type]
            if answer is None or isinstance(item.payload, RawRequest):
                items.append(ResponseBatchItem.failure(item.operation, ResultReason.OPERATION_NOT_SUPPORTED, "no"))
                continue
            result = answer(item.payload)
            if not isinstance(result, ResponseBatchItem):
                result = ResponseBatchItem.success(item.operation, result, item.unique_batch_item_id)  # type: ignore[arg-type]
            items.append(result)
        self._reply = encode_response(ResponseMessage(response_header_for(message.header), tuple(items)))

    def read(self) -> BytearrayStream:
        return BytearrayStream(self._reply)

    @property
    def last(self) -> Any:
        return self.received[-1].batch_items[-1].payload


@pytest.fixture(params=list(VERSIONS), ids=lambda v: f"KMIP-{v}")
def version(request: pytest.FixtureRequest) -> str:
    return request.param


def _connected(version: Any) -> tuple[ProxyKmipClient, AnsweringMachine]:
    """A PyKMIP client whose transport is the answering machine (it never opens a socket)."""
    client = ProxyKmipClient(hostname="127.0.0.1", port=5696, kmip_version=version)
    machine = AnsweringMachine()
    client.proxy.protocol = machine
    client._is_open = True
    return client, machine


@pytest.fixture
def peer(version: str) -> tuple[ProxyKmipClient, AnsweringMachine]:
    return _connected(VERSIONS[version][0])


def _names(attributes: tuple[Attribute, ...]) -> dict[str, Any]:
    return {attribute.name: attribute.value for attribute in attributes}


# --- operations through PyKMIP's client ------------------------------------------------------------------


def test_create(peer: tuple[ProxyKmipClient, AnsweringMachine], version: str) -> None:
    client, machine = peer
    machine.answers[Operation.CREATE] = lambda p: CreateResponse(p.object_type, "1")
    uid = client.create(
        ke.CryptographicAlgorithm.AES,
        256,
        name="k1",
        cryptographic_usage_mask=[ke.CryptographicUsageMask.ENCRYPT, ke.CryptographicUsageMask.DECRYPT],
    )
    assert uid == "1"
    assert machine.received[-1].protocol_version == VERSIONS[version][1]
    payload = machine.last
    assert isinstance(payload, CreateRequest)
    assert payload.object_type is enums.ObjectType.SYMMETRIC_KEY
    values = _names(payload.attributes)
    assert values["Cryptographic Algorithm"] == enums.CryptographicAlgorithm.AES
    assert values["Cryptographic Length"] == 256
    assert (
        values["Cryptographic Usage Mask"]
        == enums.CryptographicUsageMask.ENCRYPT | enums.CryptographicUsageMask.DECRYPT
    )
    assert values["Name"] == name_attribute("k1").value


def test_register_symmetric_key(peer: tuple[ProxyKmipClient, AnsweringMachine]) -> None:
    client, machine = peer
    machine.answers[Operation.REGISTER] = lambda p: RegisterResponse("7")
    key = pie.SymmetricKey(ke.CryptographicAlgorithm.AES, 128, KEY, [ke.CryptographicUsageMask.ENCRYPT], "rk")
    assert client.register(key) == "7"
    payload = machine.last
    assert isinstance(payload, RegisterRequest)
    managed = payload.managed_object
    assert isinstance(managed, SymmetricKey)
    assert managed.key_block.key_material == KEY
    assert managed.key_block.key_format_type is enums.KeyFormatType.RAW
    assert managed.key_block.cryptographic_algorithm is enums.CryptographicAlgorithm.AES
    assert managed.key_block.cryptographic_length == 128
    assert _names(payload.attributes)["Cryptographic Usage Mask"] == enums.CryptographicUsageMask.ENCRYPT


def test_register_secret_data(peer: tuple[ProxyKmipClient, AnsweringMachine]) -> None:
    client, machine = peer
    machine.answers[Operation.REGISTER] = lambda p: RegisterResponse("8")
    assert client.register(pie.SecretData(b"passw0rd", ke.SecretDataType.PASSWORD)) == "8"
    managed = machine.last.managed_object
    assert isinstance(managed, SecretData)
    assert managed.secret_data_type is enums.SecretDataType.PASSWORD
    assert managed.key_block.key_material == b"passw0rd"


def test_get_symmetric_key(peer: tuple[ProxyKmipClient, AnsweringMachine]) -> None:
    client, machine = peer
    block = KeyBlock(enums.KeyFormatType.RAW, KeyValue(KEY), enums.CryptographicAlgorithm.AES, 128)
    machine.answers[Operation.GET] = lambda p: GetResponse(p.unique_identifier, SymmetricKey(block))
    key = client.get("1")
    assert machine.last == GetRequest("1")
    assert isinstance(key, pie.SymmetricKey)
    assert key.value == KEY
    assert key.cryptographic_algorithm == ke.CryptographicAlgorithm.AES
    assert key.cryptographic_length == 128


def test_get_secret_data(peer: tuple[ProxyKmipClient, AnsweringMachine]) -> None:
    client, machine = peer
    secret = SecretData(enums.SecretDataType.SEED, KeyBlock(enums.KeyFormatType.OPAQUE, KeyValue(b"s" * 96)))
    machine.answers[Operation.GET] = lambda p: GetResponse(p.unique_identifier, secret)
    got = client.get("2")
    assert isinstance(got, pie.SecretData)
    assert got.value == b"s" * 96


def test_activate_destroy_revoke(peer: tuple[ProxyKmipClient, AnsweringMachine]) -> None:
    client, machine = peer
    for operation in (Operation.ACTIVATE, Operation.DESTROY, Operation.REVOKE):
        machine.answers[operation] = lambda p: IdentifierResponse(p.unique_identifier)
    client.activate("3")
    assert machine.last == IdentifierRequest(Operation.ACTIVATE, "3")
    client.destroy("3")
    assert machine.last == IdentifierRequest(Operation.DESTROY, "3")
    client.revoke(ke.RevocationReasonCode.KEY_COMPROMISE, "3", "leaked", compromise_occurrence_date=1_700_000_000)
    assert machine.last == RevokeRequest("3", enums.RevocationReasonCode.KEY_COMPROMISE, "leaked", 1_700_000_000)


def test_locate(peer: tuple[ProxyKmipClient, AnsweringMachine]) -> None:
    client, machine = peer
    machine.answers[Operation.LOCATE] = lambda p: LocateResponse(("1", "2"), located_items=2)
    factory = AttributeFactory()
    name = factory.create_attribute(ke.AttributeType.NAME, "k1")
    algorithm = factory.create_attribute(ke.AttributeType.CRYPTOGRAPHIC_ALGORITHM, ke.CryptographicAlgorithm.AES)
    assert client.locate(maximum_items=5, offset_items=1, attributes=[name, algorithm]) == ["1", "2"]
    payload = machine.last
    assert isinstance(payload, LocateRequest)
    assert (payload.maximum_items, payload.offset_items) == (5, 1)
    assert _names(payload.attributes) == {"Name": name_attribute("k1").value, "Cryptographic Algorithm": 3}


def test_encrypt_and_decrypt(peer: tuple[ProxyKmipClient, AnsweringMachine]) -> None:
    client, machine = peer
    iv = b"\x01" * 16
    machine.answers[Operation.ENCRYPT] = lambda p: EncryptResponse(p.unique_identifier, b"c" * 112, iv)
    machine.answers[Operation.DECRYPT] = lambda p: DecryptResponse(p.unique_identifier, b"p" * 96)
    parameters = {
        "cryptographic_algorithm": ke.CryptographicAlgorithm.AES,
        "block_cipher_mode": ke.BlockCipherMode.CBC,
        "padding_method": ke.PaddingMethod.PKCS5,
        "random_iv": True,
    }
    assert client.encrypt(b"p" * 96, uid="4", cryptographic_parameters=parameters) == (b"c" * 112, iv)
    assert machine.last == EncryptRequest(
        "4",
        CryptographicParameters(block_cipher_mode=1, padding_method=3, cryptographic_algorithm=3, random_iv=True),
        b"p" * 96,
    )
    parameters.pop("random_iv")
    assert client.decrypt(b"c" * 112, uid="4", cryptographic_parameters=parameters, iv_counter_nonce=iv) == b"p" * 96
    payload = machine.last
    assert isinstance(payload, DecryptRequest)
    assert (payload.data, payload.iv_counter_nonce) == (b"c" * 112, iv)
    assert payload.cryptographic_parameters.block_cipher_mode is enums.BlockCipherMode.CBC  # type: ignore[union-attr]


def test_get_attributes(peer: tuple[ProxyKmipClient, AnsweringMachine]) -> None:
    client, machine = peer
    answer = (
        Attribute.of(Tag.CRYPTOGRAPHIC_ALGORITHM, 3),
        Attribute.of(Tag.CRYPTOGRAPHIC_LENGTH, 256),
        name_attribute("k1"),
    )
    machine.answers[Operation.GET_ATTRIBUTES] = lambda p: GetAttributesResponse(p.unique_identifier, answer)
    uid, attributes = client.get_attributes("5", ["Cryptographic Algorithm", "Cryptographic Length", "Name"])
    assert machine.last == GetAttributesRequest(
        "5", tuple(AttributeReference(n) for n in ("Cryptographic Algorithm", "Cryptographic Length", "Name"))
    )
    assert uid == "5"
    got = {a.attribute_name.value: a.attribute_value for a in attributes}
    assert got["Cryptographic Algorithm"].value == ke.CryptographicAlgorithm.AES
    assert got["Cryptographic Length"].value == 256
    assert got["Name"].name_value.value == "k1"


def test_get_attribute_list(peer: tuple[ProxyKmipClient, AnsweringMachine]) -> None:
    client, machine = peer
    names = ("Cryptographic Algorithm", "Name", "State")
    machine.answers[Operation.GET_ATTRIBUTE_LIST] = lambda p: GetAttributeListResponse(
        p.unique_identifier, tuple(AttributeReference(n) for n in names)
    )
    assert sorted(client.get_attribute_list("6")) == sorted(names)
    assert machine.last == IdentifierRequest(Operation.GET_ATTRIBUTE_LIST, "6")


def test_discover_versions(peer: tuple[ProxyKmipClient, AnsweringMachine]) -> None:
    client, machine = peer
    ours = (KMIP_2_0, KMIP_1_4, KMIP_1_2, KMIP_1_0)
    machine.answers[Operation.DISCOVER_VERSIONS] = lambda p: DiscoverVersionsResponse(ours)
    asked = [kcontents.ProtocolVersion(2, 0), kcontents.ProtocolVersion(1, 2)]
    result = client.proxy.discover_versions(protocol_versions=asked)
    assert machine.last == DiscoverVersionsRequest((KMIP_2_0, KMIP_1_2))
    assert [(v.major, v.minor) for v in result.protocol_versions] == [(v.major, v.minor) for v in ours]


def test_query(peer: tuple[ProxyKmipClient, AnsweringMachine]) -> None:
    client, machine = peer
    machine.answers[Operation.QUERY] = lambda p: QueryResponse(
        operations=(Operation.CREATE, Operation.GET),
        object_types=(enums.ObjectType.SYMMETRIC_KEY,),
        vendor_identification="Strongroom",
    )
    result = client.proxy.query(query_functions=[ke.QueryFunction.QUERY_OPERATIONS, ke.QueryFunction.QUERY_OBJECTS])
    assert machine.last == QueryRequest((enums.QueryFunction.OPERATIONS, enums.QueryFunction.OBJECTS))
    assert [ke.Operation(op.value) for op in result.operations] == [ke.Operation.CREATE, ke.Operation.GET]
    assert [ke.ObjectType(t.value) for t in result.object_types] == [ke.ObjectType.SYMMETRIC_KEY]
    assert result.vendor_identification == "Strongroom"


def test_failures_reach_the_client(peer: tuple[ProxyKmipClient, AnsweringMachine]) -> None:
    client, machine = peer
    machine.answers[Operation.GET] = lambda p: ResponseBatchItem.failure(
        Operation.GET, ResultReason.ITEM_NOT_FOUND, f"no object {p.unique_identifier}"
    )
    with pytest.raises(kexceptions.KmipOperationFailure) as caught:
        client.get("missing")
    assert caught.value.reason == ke.ResultReason.ITEM_NOT_FOUND
    assert "no object missing" in str(caught.value)


def test_operations_not_modelled_are_refused_cleanly(peer: tuple[ProxyKmipClient, AnsweringMachine]) -> None:
    client, machine = peer
    with pytest.raises(kexceptions.KmipOperationFailure) as caught:
        client.derive_key(ke.ObjectType.SYMMETRIC_KEY, ["1"], ke.DerivationMethod.HASH,
                          {"cryptographic_parameters": {"hashing_algorithm": ke.HashingAlgorithm.SHA_256},
                           "derivation_data": b"data"}, cryptographic_length=128,
                          cryptographic_algorithm=ke.CryptographicAlgorithm.AES)
    assert caught.value.reason == ke.ResultReason.OPERATION_NOT_SUPPORTED
    assert isinstance(machine.last, RawRequest)


# --- attribute operations, 1.x and 2.0 forms -------------------------------------------------------------


@pytest.fixture
def peer_2_0() -> tuple[ProxyKmipClient, AnsweringMachine]:
    return _connected(ke.KMIPVersion.KMIP_2_0)


def test_set_attribute_2_0(peer_2_0: tuple[ProxyKmipClient, AnsweringMachine]) -> None:
    client, machine = peer_2_0
    machine.answers[Operation.SET_ATTRIBUTE] = lambda p: IdentifierResponse(p.unique_identifier)
    assert client.set_attribute("9", attribute_name="Sensitive", attribute_value=True) == "9"
    assert machine.last == SetAttributeRequest("9", Attribute.of(Tag.SENSITIVE, True))


def test_modify_and_delete_attribute_2_0(peer_2_0: tuple[ProxyKmipClient, AnsweringMachine]) -> None:
    client, machine = peer_2_0
    machine.answers[Operation.MODIFY_ATTRIBUTE] = lambda p: IdentifierResponse(p.unique_identifier)
    machine.answers[Operation.DELETE_ATTRIBUTE] = lambda p: IdentifierResponse(p.unique_identifier)
    old = kprimitives.TextString("old", tag=ke.Tags.OBJECT_GROUP)
    new = kprimitives.TextString("new", tag=ke.Tags.OBJECT_GROUP)
    client.modify_attribute(
        "9",
        current_attribute=kobjects.CurrentAttribute(attribute=old),
        new_attribute=kobjects.NewAttribute(attribute=new),
    )
    assert machine.last == ModifyAttributeRequest(
        "9", Attribute.of(Tag.OBJECT_GROUP, "new"), Attribute.of(Tag.OBJECT_GROUP, "old")
    )
    client.delete_attribute(
        "9", attribute_reference=kobjects.AttributeReference(vendor_identification="Acme", attribute_name="colour")
    )
    assert machine.last == DeleteAttributeRequest("9", AttributeReference("colour", "Acme"))
    client.delete_attribute("9", current_attribute=kobjects.CurrentAttribute(attribute=old))
    assert machine.last == DeleteAttributeRequest("9", None, None, Attribute.of(Tag.OBJECT_GROUP, "old"))


def test_modify_and_delete_attribute_1_4() -> None:
    client, machine = _connected(ke.KMIPVersion.KMIP_1_4)
    group = Attribute.of(Tag.OBJECT_GROUP, "new", index=0)
    machine.answers[Operation.MODIFY_ATTRIBUTE] = lambda p: AttributeResponse(p.unique_identifier, p.attribute)
    machine.answers[Operation.DELETE_ATTRIBUTE] = lambda p: AttributeResponse(p.unique_identifier, group)
    attribute = kobjects.Attribute(
        attribute_name=kobjects.Attribute.AttributeName("Object Group"),
        attribute_index=kobjects.Attribute.AttributeIndex(0),
        attribute_value=kprimitives.TextString("new", tag=ke.Tags.ATTRIBUTE_VALUE),
    )
    uid, echoed = client.modify_attribute("9", attribute=attribute)
    assert machine.last == ModifyAttributeRequest("9", group)
    assert (uid, echoed.attribute_value.value) == ("9", "new")
    uid, deleted = client.delete_attribute("9", attribute_name="Object Group", attribute_index=0)
    assert machine.last == DeleteAttributeRequest("9", AttributeReference("Object Group"), 0)
    assert deleted.attribute_value.value == "new"


# --- our responses read by PyKMIP's message classes directly ---------------------------------------------


@pytest.mark.parametrize("version", [KMIP_1_0, KMIP_1_4, KMIP_2_0], ids=str)
def test_pykmip_reads_our_get_attributes_response(version: ProtocolVersion) -> None:
    attributes = (Attribute.of(Tag.STATE, enums.State.ACTIVE), Attribute.of(Tag.CRYPTOGRAPHIC_LENGTH, 128))
    message = ResponseMessage(
        response_header_for(_header(version), time_stamp=1_700_000_000),
        (ResponseBatchItem.success(Operation.GET_ATTRIBUTES, GetAttributesResponse("u", attributes), b"\x01"),),
    )
    theirs = kmessages.ResponseMessage()
    theirs.read(BytearrayStream(encode_response(message)), _their_version(version))
    assert theirs.response_header.time_stamp.value == 1_700_000_000
    (item,) = theirs.batch_items
    assert item.unique_batch_item_id.value == b"\x01"
    payload = item.response_payload
    assert payload.unique_identifier == "u"
    assert [(a.attribute_name.value, a.attribute_value.value) for a in payload.attributes] == [
        ("State", ke.State.ACTIVE),
        ("Cryptographic Length", 128),
    ]


def _header(version: ProtocolVersion) -> Any:
    from strongroom.protocols.kmip.messages import RequestHeader

    return RequestHeader(version, 1)


def _their_version(version: ProtocolVersion) -> Any:
    return {KMIP_1_0: ke.KMIPVersion.KMIP_1_0, KMIP_1_4: ke.KMIPVersion.KMIP_1_4, KMIP_2_0: ke.KMIPVersion.KMIP_2_0}[
        version
    ]


# --- tables -----------------------------------------------------------------------------------------------


def test_every_pykmip_tag_is_ours_with_the_same_value() -> None:
    theirs = {tag.name: tag.value for tag in ke.Tags if tag.name != "DEFAULT"}
    ours = {tag.name: tag.value for tag in Tag}
    assert ours == theirs


RENAMED = {("ObjectType", "OPAQUE_OBJECT"): "OPAQUE_DATA", ("PaddingMethod", "PKCS1_V1_5"): "PKCS1v15"}
ENUM_CLASSES = [
    cls
    for cls in vars(enums).values()
    if isinstance(cls, type) and issubclass(cls, int) and cls.__module__ == enums.__name__
]


@pytest.mark.parametrize("ours", ENUM_CLASSES, ids=lambda cls: cls.__name__)
def test_enumerations_match_pykmip(ours: type) -> None:
    theirs = getattr(ke, ours.__name__)
    prefix = "QUERY_" if ours.__name__ == "QueryFunction" else ""
    mine = {RENAMED.get((ours.__name__, m.name), prefix + m.name): m.value for m in ours}  # type: ignore[attr-defined]
    assert mine == {m.name: m.value for m in theirs}


def test_attribute_names_match_pykmip() -> None:
    for tag, name in ATTRIBUTE_NAME_OF.items():
        assert ke.convert_attribute_name_to_tag(name).value == tag, name
    theirs = {name for name, _ in ke.attribute_name_tag_table} - {"Attribute", "Custom Attribute"}
    assert theirs == set(ATTRIBUTE_NAME_OF.values())


SAMPLES: dict[str, Any] = {
    "UNIQUE_IDENTIFIER": "u",
    "OBJECT_TYPE": ke.ObjectType.SYMMETRIC_KEY,
    "CRYPTOGRAPHIC_ALGORITHM": ke.CryptographicAlgorithm.AES,
    "CRYPTOGRAPHIC_LENGTH": 128,
    "CERTIFICATE_LENGTH": 1,
    "OPERATION_POLICY_NAME": "default",
    "CRYPTOGRAPHIC_USAGE_MASK": [ke.CryptographicUsageMask.ENCRYPT],
    "LEASE_TIME": 10,
    "STATE": ke.State.ACTIVE,
    "INITIAL_DATE": 1,
    "ACTIVATION_DATE": 1,
    "PROCESS_START_DATE": 1,
    "PROTECT_STOP_DATE": 1,
    "DEACTIVATION_DATE": 1,
    "DESTROY_DATE": 1,
    "COMPROMISE_OCCURRENCE_DATE": 1,
    "COMPROMISE_DATE": 1,
    "ARCHIVE_DATE": 1,
    "OBJECT_GROUP": "g",
    "FRESH": True,
    "CONTACT_INFORMATION": "c",
    "LAST_CHANGE_DATE": 1,
    "SENSITIVE": True,
    "ALWAYS_SENSITIVE": True,
    "EXTRACTABLE": True,
    "NEVER_EXTRACTABLE": True,
    "ORIGINAL_CREATION_DATE": 1,
    "NAME": "n",
}


@pytest.mark.parametrize("tag_name", SAMPLES)
def test_attribute_value_types_match_pykmip(tag_name: str) -> None:
    value = AttributeValueFactory().create_attribute_value(ke.AttributeType[tag_name], SAMPLES[tag_name])
    stream = BytearrayStream()
    value.write(stream)
    item = ttlv.decode(bytes(stream.buffer))
    assert item.type is ATTRIBUTE_TYPE_OF[Tag[tag_name]]
    assert ATTRIBUTE_TYPE_OF[Tag[tag_name]] is not ItemType.STRUCTURE or tag_name == "NAME"
