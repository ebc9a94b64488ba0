"""The KMIP adapter in process, over a real core (SQLite, file root of trust): batches, the ID placeholder, the
continuation options, response size, authentication by client certificate, the lifecycle, the error mapping and
one audit event per batch item."""

from __future__ import annotations

from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding

from strongroom.domain.audit import AuditFilter
from strongroom.protocols.kmip.app import KmipApp
from strongroom.protocols.kmip.enums import (
    BatchErrorContinuationOption,
    Operation,
    ResultReason,
    ResultStatus,
    State,
)
from strongroom.protocols.kmip.messages import DecodedResponse, DecodedResponseItem, decode_response
from strongroom.protocols.kmip.tags import Tag
from strongroom.protocols.kmip.ttlv import (
    Item,
    ItemType,
    byte_string,
    date_time,
    enumeration,
    integer,
    structure,
    text_string,
)
from strongroom.protocols.kmip.version import KMIP_1_0, KMIP_1_2, KMIP_1_4, KMIP_2_0, ProtocolVersion
from strongroom.server.tls import issue_client_certificate
from tests.protocols.kmip.builders import (
    aes_template,
    attribute,
    batch_item,
    cbc_parameters,
    name,
    payload_field,
    request,
    secret_data,
    template,
    uid,
)

OK = ResultStatus.SUCCESS


def der(pem: bytes) -> bytes:
    return x509.load_pem_x509_certificate(pem).public_bytes(Encoding.DER)


@pytest.fixture
def client_cert(core, ctx, tmp_path: Path) -> bytes:
    pem, _ = issue_client_certificate(tmp_path / "tls", "app")
    core.client_certificates.bind(ctx.caller.account_id, certificate=pem)
    return der(pem)


class Kmip:
    def __init__(self, core, cert: bytes | None) -> None:
        self.app = KmipApp(core)
        self.cert = cert

    def send(self, data: bytes) -> DecodedResponse:
        return decode_response(self.app.handle(data, self.cert, "127.0.0.1").data)

    def one(self, version: ProtocolVersion, operation: int, *payload: Item) -> DecodedResponseItem:
        (item,) = self.send(request(version, batch_item(operation, *payload))).batch_items
        return item

    def ok(self, version: ProtocolVersion, operation: int, *payload: Item) -> Item:
        item = self.one(version, operation, *payload)
        assert item.result_status == OK, (item.result_reason, item.result_message)
        assert item.payload is not None
        return item.payload

    def create(self, version: ProtocolVersion = KMIP_1_2, *extra: Item, length: int = 256) -> str:
        payload = self.ok(version, Operation.CREATE, enumeration(Tag.OBJECT_TYPE, 2), aes_template(length, 12, *extra))
        return payload.find(Tag.UNIQUE_IDENTIFIER).value  # type: ignore[union-attr,return-value]

    def state(self, object_id: str) -> int:
        payload = self.ok(KMIP_1_2, Operation.GET_ATTRIBUTES, uid(object_id), text_string(Tag.ATTRIBUTE_NAME, "State"))
        return payload_field(payload, Tag.ATTRIBUTE, Tag.ATTRIBUTE_VALUE).value  # type: ignore[union-attr,return-value]


@pytest.fixture
def kmip(core, client_cert) -> Kmip:
    return Kmip(core, client_cert)


def encrypt_payload(object_id: str | None, data: bytes, iv: bytes | None = None) -> list[Item]:
    return [*([uid(object_id)] if object_id else []), cbc_parameters(random_iv=iv is None), byte_string(Tag.DATA, data),
            *([byte_string(Tag.IV_COUNTER_NONCE, iv)] if iv else [])]


def test_libmongocrypt_default_flow_register_activate_get(kmip) -> None:
    material = bytes(range(96))
    registered = kmip.ok(KMIP_1_0, Operation.REGISTER, enumeration(Tag.OBJECT_TYPE, 7),
                         template(attribute("Cryptographic Usage Mask", integer(Tag.CRYPTOGRAPHIC_USAGE_MASK, 0))),
                         secret_data(material))
    object_id = registered.find(Tag.UNIQUE_IDENTIFIER).value
    assert kmip.ok(KMIP_1_0, Operation.ACTIVATE, uid(object_id)).find(Tag.UNIQUE_IDENTIFIER).value == object_id
    got = kmip.ok(KMIP_1_0, Operation.GET, uid(object_id))
    assert payload_field(got, Tag.SECRET_DATA, Tag.KEY_BLOCK, Tag.KEY_VALUE, Tag.KEY_MATERIAL).value == material
    assert payload_field(got, Tag.SECRET_DATA, Tag.KEY_BLOCK, Tag.KEY_VALUE).type is ItemType.STRUCTURE


def test_libmongocrypt_delegated_flow_create_activate_encrypt_decrypt(kmip) -> None:
    object_id = kmip.create(KMIP_1_2)
    kmip.ok(KMIP_1_2, Operation.ACTIVATE, uid(object_id))
    dek = bytes(96)
    encrypted = kmip.ok(KMIP_1_2, Operation.ENCRYPT, *encrypt_payload(object_id, dek))
    data, iv = encrypted.find(Tag.DATA).value, encrypted.find(Tag.IV_COUNTER_NONCE).value
    assert len(data) == 112 and len(iv) == 16
    parameters = structure(Tag.CRYPTOGRAPHIC_PARAMETERS, [enumeration(Tag.BLOCK_CIPHER_MODE, 1),
                                                          enumeration(Tag.PADDING_METHOD, 3)])
    decrypted = kmip.ok(KMIP_1_2, Operation.DECRYPT, uid(object_id), parameters, byte_string(Tag.DATA, data),
                        byte_string(Tag.IV_COUNTER_NONCE, iv))
    assert decrypted.find(Tag.DATA).value == dek


def test_a_batch_uses_the_id_placeholder_and_echoes_batch_ids(kmip) -> None:
    response = kmip.send(request(
        KMIP_1_4,
        batch_item(Operation.CREATE, enumeration(Tag.OBJECT_TYPE, 2), aes_template(), batch_id=b"a"),
        batch_item(Operation.ACTIVATE, batch_id=b"b"),
        batch_item(Operation.ENCRYPT, *encrypt_payload(None, b"secret", iv=bytes(16)), batch_id=b"c"),
    ))
    assert response.protocol_version == KMIP_1_4
    assert [i.unique_batch_item_id for i in response.batch_items] == [b"a", b"b", b"c"]
    assert [i.result_status for i in response.batch_items] == [OK, OK, OK]
    made = response.batch_items[0].payload.find(Tag.UNIQUE_IDENTIFIER).value  # type: ignore[union-attr]
    assert response.batch_items[2].payload.find(Tag.UNIQUE_IDENTIFIER).value == made  # type: ignore[union-attr]
    assert response.batch_items[2].payload.find(Tag.IV_COUNTER_NONCE) is None  # the client gave it  # type: ignore


def _continuation(option: int) -> tuple[Item, ...]:
    return (enumeration(Tag.BATCH_ERROR_CONTINUATION_OPTION, option),)


def test_stop_ends_the_batch_at_the_first_failure_and_continue_does_not(kmip) -> None:
    items = (batch_item(Operation.GET, uid("missing")),
             batch_item(Operation.CREATE, enumeration(Tag.OBJECT_TYPE, 2), aes_template()))
    stopped = kmip.send(request(KMIP_1_2, *items, header=_continuation(BatchErrorContinuationOption.STOP)))
    assert [i.result_reason for i in stopped.batch_items] == [ResultReason.ITEM_NOT_FOUND]
    stopped_by_default = kmip.send(request(KMIP_1_2, *items))
    assert len(stopped_by_default.batch_items) == 1
    continued = kmip.send(request(KMIP_1_2, *items, header=_continuation(BatchErrorContinuationOption.CONTINUE)))
    assert [i.result_status for i in continued.batch_items] == [ResultStatus.OPERATION_FAILED, OK]


def test_undo_takes_back_the_objects_made_before_a_failure(kmip, core, ctx) -> None:
    before = {o.object_id for o in core.managed_objects.objects(ctx)}
    response = kmip.send(request(
        KMIP_1_2, batch_item(Operation.CREATE, enumeration(Tag.OBJECT_TYPE, 2), aes_template()),
        batch_item(Operation.GET, uid("missing")), header=_continuation(BatchErrorContinuationOption.UNDO)))
    assert [i.result_status for i in response.batch_items] == [ResultStatus.OPERATION_UNDONE,
                                                               ResultStatus.OPERATION_FAILED]
    assert {o.object_id for o in core.managed_objects.objects(ctx)} == before
    refused = kmip.send(request(
        KMIP_1_2, batch_item(Operation.CREATE, enumeration(Tag.OBJECT_TYPE, 2), aes_template()),
        batch_item(Operation.ACTIVATE), header=_continuation(BatchErrorContinuationOption.UNDO)))
    assert {i.result_reason for i in refused.batch_items} == {ResultReason.FEATURE_NOT_SUPPORTED}
    assert {o.object_id for o in core.managed_objects.objects(ctx)} == before  # nothing ran


def test_a_response_over_the_maximum_size_is_refused(kmip) -> None:
    object_id = kmip.create()
    big = kmip.send(request(KMIP_1_2, batch_item(Operation.GET_ATTRIBUTES, uid(object_id)),
                            header=(integer(Tag.MAXIMUM_RESPONSE_SIZE, 64),)))
    assert [i.result_reason for i in big.batch_items] == [ResultReason.RESPONSE_TOO_LARGE]
    fits = kmip.send(request(KMIP_1_2, batch_item(Operation.GET_ATTRIBUTES, uid(object_id)),
                             header=(integer(Tag.MAXIMUM_RESPONSE_SIZE, 4096),)))
    assert fits.batch_items[0].result_status == OK


def test_every_version_is_answered_in_its_own(kmip) -> None:
    for version in (KMIP_1_0, KMIP_1_2, KMIP_1_4, KMIP_2_0):
        response = kmip.send(request(version, batch_item(Operation.DISCOVER_VERSIONS)))
        assert response.protocol_version == version
    (listed,) = kmip.send(request(KMIP_1_2, batch_item(Operation.DISCOVER_VERSIONS))).batch_items
    versions = [(v.find(Tag.PROTOCOL_VERSION_MAJOR).value, v.find(Tag.PROTOCOL_VERSION_MINOR).value)  # type: ignore
                for v in listed.payload.find_all(Tag.PROTOCOL_VERSION)]  # type: ignore[union-attr]
    assert versions[0] == (2, 1) and (1, 0) in versions


def test_an_unbound_certificate_is_refused_and_audited(core, tmp_path) -> None:
    stranger, _ = issue_client_certificate(tmp_path / "tls", "stranger")
    item = Kmip(core, der(stranger)).one(KMIP_1_2, Operation.LOCATE)
    assert item.result_reason == ResultReason.PERMISSION_DENIED
    assert "not bound" in (item.result_message or "")
    events = [e for e in core.audit.all(AuditFilter()) if e.event.record["eventSource"] == "kmip.strongroom"]
    assert events[-1].event.record["errorCode"] == "PermissionDenied"
    assert events[-1].event.record["eventName"] == "Locate"


def test_a_malformed_message_is_answered_whole_and_audited(kmip, core) -> None:
    response = decode_response(kmip.app.handle(b"\x42\x00\x78\x01\x00\x00\x00\x08" + bytes(8), kmip.cert,
                                               "127.0.0.1").data)
    (item,) = response.batch_items
    assert item.result_reason == ResultReason.INVALID_MESSAGE and item.operation is None
    last = list(core.audit.all(AuditFilter()))[-1].event.record
    assert last["eventName"] == "Unknown" and last["errorCode"] == "InvalidMessage"


def test_operations_not_served_and_bad_identifiers_fail_cleanly(kmip) -> None:
    assert kmip.one(KMIP_1_2, Operation.ARCHIVE, uid("x")).result_reason == ResultReason.OPERATION_NOT_SUPPORTED
    assert kmip.one(KMIP_1_2, Operation.GET, uid("no-such-object")).result_reason == ResultReason.ITEM_NOT_FOUND
    assert kmip.one(KMIP_1_2, Operation.GET).result_reason == ResultReason.ITEM_NOT_FOUND  # no placeholder


def test_each_item_leaves_one_audit_event_naming_the_key_and_version(kmip, core) -> None:
    object_id = kmip.create()
    record = list(core.audit.all(AuditFilter()))[-1].event.record
    assert record["eventName"] == "Create" and record["additionalEventData"]["protocol"] == "kmip"
    assert record["resources"][0]["ARN"].endswith(f":key/{object_id}")
    assert record["additionalEventData"]["keyVersion"] == 1
    count = len(list(core.audit.all(AuditFilter())))
    kmip.send(request(KMIP_1_2, batch_item(Operation.ACTIVATE, uid(object_id)),
                      batch_item(Operation.GET_ATTRIBUTE_LIST, uid(object_id))))
    names = [e.event.record["eventName"] for e in core.audit.all(AuditFilter())][count:]
    assert names == ["Activate", "GetAttributeList"]


def test_the_lifecycle_governs_use(kmip) -> None:
    object_id = kmip.create()
    assert kmip.state(object_id) == State.PRE_ACTIVE
    refused = kmip.one(KMIP_1_2, Operation.ENCRYPT, *encrypt_payload(object_id, b"x"))
    assert refused.result_reason == ResultReason.PERMISSION_DENIED and "pre-active" in refused.result_message
    kmip.ok(KMIP_1_2, Operation.ACTIVATE, uid(object_id))
    assert kmip.one(KMIP_1_2, Operation.ACTIVATE, uid(object_id)).result_reason == ResultReason.PERMISSION_DENIED
    sealed = kmip.ok(KMIP_1_2, Operation.ENCRYPT, *encrypt_payload(object_id, b"kept"))
    data, iv = sealed.find(Tag.DATA).value, sealed.find(Tag.IV_COUNTER_NONCE).value
    assert kmip.one(KMIP_1_2, Operation.DESTROY, uid(object_id)).result_reason == ResultReason.PERMISSION_DENIED
    kmip.ok(KMIP_1_2, Operation.REVOKE, uid(object_id), structure(Tag.REVOCATION_REASON, [
        enumeration(Tag.REVOCATION_REASON_CODE, 5)]))  # superseded: deactivated
    assert kmip.state(object_id) == State.DEACTIVATED
    assert kmip.one(KMIP_1_2, Operation.ENCRYPT, *encrypt_payload(object_id, b"x")).result_status != OK
    opened = kmip.ok(KMIP_1_2, Operation.DECRYPT, uid(object_id), cbc_parameters(), byte_string(Tag.DATA, data),
                     byte_string(Tag.IV_COUNTER_NONCE, iv))
    assert opened.find(Tag.DATA).value == b"kept"
    kmip.ok(KMIP_1_2, Operation.DESTROY, uid(object_id))
    assert kmip.state(object_id) == State.DESTROYED
    assert kmip.one(KMIP_1_2, Operation.GET, uid(object_id)).result_status != OK
    assert kmip.one(KMIP_1_2, Operation.DESTROY, uid(object_id)).result_status != OK
    assert object_id not in _located(kmip)
    assert object_id in _located(kmip, integer(Tag.STORAGE_STATUS_MASK, 4))


def _located(kmip: Kmip, *payload: Item, version: ProtocolVersion = KMIP_1_2) -> list[str]:
    found = kmip.ok(version, Operation.LOCATE, *payload)
    return [i.value for i in found.find_all(Tag.UNIQUE_IDENTIFIER)]  # type: ignore[misc]


def test_an_activation_date_to_come_activates_the_object_when_it_comes(kmip, core, ctx, clock) -> None:
    soon = int(clock.now()) + 60
    object_id = kmip.create(KMIP_1_2, attribute("Activation Date", date_time(Tag.ACTIVATION_DATE, soon)))
    assert kmip.state(object_id) == State.PRE_ACTIVE
    clock.advance(61)
    assert kmip.state(object_id) == State.ACTIVE
    assert kmip.ok(KMIP_1_2, Operation.ENCRYPT, *encrypt_payload(object_id, b"x")).find(Tag.DATA) is not None
    assert core.keys.describe_key(ctx, object_id).state.value == "Enabled"  # the other protocols agree


def test_locate_filters_by_name_type_and_state_with_offset_and_maximum(kmip, clock) -> None:
    first = kmip.create(KMIP_1_2, name("orders"))
    clock.advance(1)
    second = kmip.create(KMIP_1_2, name("orders"))
    other = kmip.create(KMIP_1_2, name("billing"))
    kmip.ok(KMIP_1_2, Operation.ACTIVATE, uid(second))
    by_name = attribute("Name", structure(Tag.NAME, [text_string(Tag.NAME_VALUE, "orders"),
                                                     enumeration(Tag.NAME_TYPE, 1)]))
    assert _located(kmip, by_name) == [second, first]  # newest first
    assert _located(kmip, by_name, attribute("State", enumeration(Tag.STATE, State.ACTIVE))) == [second]
    assert _located(kmip, integer(Tag.MAXIMUM_ITEMS, 1), by_name) == [second]
    assert _located(kmip, integer(Tag.OFFSET_ITEMS, 1), by_name) == [first]
    assert other not in _located(kmip, by_name)
    located = kmip.ok(KMIP_1_4, Operation.LOCATE, integer(Tag.MAXIMUM_ITEMS, 1), by_name)
    assert located.find(Tag.LOCATED_ITEMS).value == 2  # the total, from 1.3 on
    in_2_0 = structure(Tag.ATTRIBUTES, [structure(Tag.NAME, [text_string(Tag.NAME_VALUE, "billing"),
                                                             enumeration(Tag.NAME_TYPE, 1)])])
    assert _located(kmip, in_2_0, version=KMIP_2_0) == [other]


def test_attributes_are_added_modified_and_deleted(kmip) -> None:
    object_id = kmip.create(KMIP_1_2, name("first"))
    added = kmip.ok(KMIP_1_2, Operation.ADD_ATTRIBUTE, uid(object_id), name("second"))
    assert payload_field(added, Tag.ATTRIBUTE, Tag.ATTRIBUTE_INDEX).value == 1
    group = attribute("Object Group", text_string(Tag.OBJECT_GROUP, "g1"))
    kmip.ok(KMIP_1_2, Operation.ADD_ATTRIBUTE, uid(object_id), group)
    kmip.ok(KMIP_1_2, Operation.MODIFY_ATTRIBUTE, uid(object_id),
            attribute("Object Group", text_string(Tag.OBJECT_GROUP, "g2")))
    kmip.ok(KMIP_1_2, Operation.DELETE_ATTRIBUTE, uid(object_id), text_string(Tag.ATTRIBUTE_NAME, "Name"),
            integer(Tag.ATTRIBUTE_INDEX, 0))
    got = kmip.ok(KMIP_1_2, Operation.GET_ATTRIBUTES, uid(object_id), text_string(Tag.ATTRIBUTE_NAME, "Name"),
                  text_string(Tag.ATTRIBUTE_NAME, "Object Group"))
    values = [(a.find(Tag.ATTRIBUTE_NAME).value, a.find(Tag.ATTRIBUTE_VALUE)) for a in got.find_all(Tag.ATTRIBUTE)]
    assert [n for n, _ in values] == ["Name", "Object Group"]
    assert values[0][1].find(Tag.NAME_VALUE).value == "second"  # type: ignore[union-attr]
    assert values[1][1].value == "g2"  # type: ignore[union-attr]
    read_only = kmip.one(KMIP_1_2, Operation.MODIFY_ATTRIBUTE, uid(object_id),
                         attribute("State", enumeration(Tag.STATE, 2)))
    assert read_only.result_reason == ResultReason.PERMISSION_DENIED
    twice = kmip.one(KMIP_1_2, Operation.ADD_ATTRIBUTE, uid(object_id),
                     attribute("Contact Information", text_string(Tag.CONTACT_INFORMATION, "a")))
    assert twice.result_status == OK
    again = kmip.one(KMIP_1_2, Operation.ADD_ATTRIBUTE, uid(object_id),
                     attribute("Contact Information", text_string(Tag.CONTACT_INFORMATION, "b")))
    assert again.result_reason == ResultReason.INVALID_FIELD


def test_set_attribute_in_2_0_and_a_usage_mask_that_forbids(kmip) -> None:
    created = kmip.ok(KMIP_2_0, Operation.CREATE, enumeration(Tag.OBJECT_TYPE, 2), structure(Tag.ATTRIBUTES, [
        enumeration(Tag.CRYPTOGRAPHIC_ALGORITHM, 3), integer(Tag.CRYPTOGRAPHIC_LENGTH, 128),
        integer(Tag.CRYPTOGRAPHIC_USAGE_MASK, 8)]))  # decrypt only
    object_id = created.find(Tag.UNIQUE_IDENTIFIER).value
    kmip.ok(KMIP_2_0, Operation.SET_ATTRIBUTE, uid(object_id), structure(Tag.NEW_ATTRIBUTE, [
        text_string(Tag.CONTACT_INFORMATION, "ops@example.com")]))
    kmip.ok(KMIP_2_0, Operation.ACTIVATE, uid(object_id))
    refused = kmip.one(KMIP_2_0, Operation.ENCRYPT, *encrypt_payload(object_id, b"x"))
    assert refused.result_reason == ResultReason.INCOMPATIBLE_CRYPTOGRAPHIC_USAGE_MASK
    got = kmip.ok(KMIP_2_0, Operation.GET_ATTRIBUTES, uid(object_id),
                  enumeration(Tag.ATTRIBUTE_REFERENCE, Tag.CONTACT_INFORMATION))
    assert payload_field(got, Tag.ATTRIBUTES, Tag.CONTACT_INFORMATION).value == "ops@example.com"


def test_sensitive_or_unextractable_objects_are_not_given_out(kmip) -> None:
    sensitive = kmip.create(KMIP_1_4, attribute("Sensitive", Item(Tag.SENSITIVE, ItemType.BOOLEAN, True)))
    assert kmip.one(KMIP_1_4, Operation.GET, uid(sensitive)).result_status != OK
    kept = kmip.create(KMIP_1_4)
    kmip.ok(KMIP_1_4, Operation.MODIFY_ATTRIBUTE, uid(kept),
            attribute("Extractable", Item(Tag.EXTRACTABLE, ItemType.BOOLEAN, False)))
    assert kmip.one(KMIP_1_4, Operation.GET, uid(kept)).result_status != OK
    back = kmip.one(KMIP_1_4, Operation.MODIFY_ATTRIBUTE, uid(kept),
                    attribute("Extractable", Item(Tag.EXTRACTABLE, ItemType.BOOLEAN, True)))
    assert back.result_reason == ResultReason.INVALID_FIELD  # one way only


def test_keys_of_the_aws_api_are_usable_but_never_given_out(kmip, core, ctx) -> None:
    key = core.keys.create_key(ctx)
    sealed = kmip.ok(KMIP_1_2, Operation.ENCRYPT, *encrypt_payload(key.key_id, b"from kmip"))
    assert sealed.find(Tag.DATA) is not None
    refused = kmip.one(KMIP_1_2, Operation.GET, uid(key.key_id))
    assert refused.result_reason == ResultReason.PERMISSION_DENIED and "not extractable" in refused.result_message
    assert kmip.one(KMIP_1_2, Operation.REVOKE, uid(key.key_id), structure(Tag.REVOCATION_REASON, [
        enumeration(Tag.REVOCATION_REASON_CODE, 1)])).result_status != OK  # its state is the AWS API's
    core.keys.disable_key(ctx, key.key_id)
    assert kmip.one(KMIP_1_2, Operation.ENCRYPT, *encrypt_payload(key.key_id, b"x")).result_status != OK


def test_an_aes_256_key_made_over_kmip_is_an_aws_key(kmip, core, ctx) -> None:
    object_id = kmip.create()
    kmip.ok(KMIP_1_2, Operation.ACTIVATE, uid(object_id))
    blob = core.crypto.encrypt(ctx, object_id, b"both ways").ciphertext
    assert core.crypto.decrypt(ctx, blob).plaintext == b"both ways"


def test_mac_and_mac_verify(kmip) -> None:
    created = kmip.ok(KMIP_1_2, Operation.CREATE, enumeration(Tag.OBJECT_TYPE, 2), template(
        attribute("Cryptographic Algorithm", enumeration(Tag.CRYPTOGRAPHIC_ALGORITHM, 9)),  # HMAC-SHA256
        attribute("Cryptographic Length", integer(Tag.CRYPTOGRAPHIC_LENGTH, 256)),
        attribute("Cryptographic Usage Mask", integer(Tag.CRYPTOGRAPHIC_USAGE_MASK, 0x180))))
    object_id = created.find(Tag.UNIQUE_IDENTIFIER).value
    kmip.ok(KMIP_1_2, Operation.ACTIVATE, uid(object_id))
    mac = kmip.ok(KMIP_1_2, Operation.MAC, uid(object_id), byte_string(Tag.DATA, b"message")).find(Tag.MAC_DATA)
    assert len(mac.value) == 32  # type: ignore[union-attr]
    for data, expected in ((b"message", 1), (b"other", 2)):
        verified = kmip.ok(KMIP_1_2, Operation.MAC_VERIFY, uid(object_id), byte_string(Tag.DATA, data),
                           byte_string(Tag.MAC_DATA, mac.value))  # type: ignore[union-attr]
        assert verified.find(Tag.VALIDITY_INDICATOR).value == expected


def test_key_pairs_sign_and_verify(kmip) -> None:
    made = kmip.ok(KMIP_1_2, Operation.CREATE_KEY_PAIR, structure(Tag.COMMON_TEMPLATE_ATTRIBUTE, [
        attribute("Cryptographic Algorithm", enumeration(Tag.CRYPTOGRAPHIC_ALGORITHM, 6)),  # ECDSA
        attribute("Cryptographic Length", integer(Tag.CRYPTOGRAPHIC_LENGTH, 256))]),
        structure(Tag.PRIVATE_KEY_TEMPLATE_ATTRIBUTE, [
            attribute("Cryptographic Usage Mask", integer(Tag.CRYPTOGRAPHIC_USAGE_MASK, 1))]),
        structure(Tag.PUBLIC_KEY_TEMPLATE_ATTRIBUTE, [
            attribute("Cryptographic Usage Mask", integer(Tag.CRYPTOGRAPHIC_USAGE_MASK, 2))]))
    private = made.find(Tag.PRIVATE_KEY_UNIQUE_IDENTIFIER).value
    public = made.find(Tag.PUBLIC_KEY_UNIQUE_IDENTIFIER).value
    for object_id in (private, public):
        kmip.ok(KMIP_1_2, Operation.ACTIVATE, uid(object_id))
    signature = kmip.ok(KMIP_1_2, Operation.SIGN, uid(private), byte_string(Tag.DATA, b"signed")).find(
        Tag.SIGNATURE_DATA).value
    for data, expected in ((b"signed", 1), (b"forged", 2)):
        verified = kmip.ok(KMIP_1_2, Operation.SIGNATURE_VERIFY, uid(public), byte_string(Tag.DATA, data),
                           byte_string(Tag.SIGNATURE_DATA, signature))
        assert verified.find(Tag.VALIDITY_INDICATOR).value == expected
    links = kmip.ok(KMIP_1_2, Operation.GET_ATTRIBUTES, uid(private), text_string(Tag.ATTRIBUTE_NAME, "Link"))
    assert payload_field(links, Tag.ATTRIBUTE, Tag.ATTRIBUTE_VALUE, Tag.LINKED_OBJECT_IDENTIFIER).value == public


def test_rekey_makes_a_linked_replacement(kmip) -> None:
    old = kmip.create(KMIP_1_2, name("rotating"))
    kmip.ok(KMIP_1_2, Operation.ACTIVATE, uid(old))
    new = kmip.ok(KMIP_1_2, Operation.REKEY, uid(old)).find(Tag.UNIQUE_IDENTIFIER).value
    assert new != old and kmip.state(new) == State.ACTIVE
    links = kmip.ok(KMIP_1_2, Operation.GET_ATTRIBUTES, uid(new), text_string(Tag.ATTRIBUTE_NAME, "Link"))
    assert payload_field(links, Tag.ATTRIBUTE, Tag.ATTRIBUTE_VALUE, Tag.LINKED_OBJECT_IDENTIFIER).value == old
    names = kmip.ok(KMIP_1_2, Operation.GET_ATTRIBUTES, uid(new), text_string(Tag.ATTRIBUTE_NAME, "Name"))
    assert payload_field(names, Tag.ATTRIBUTE, Tag.ATTRIBUTE_VALUE, Tag.NAME_VALUE).value == "rotating"


def test_rng_retrieve_and_query(kmip) -> None:
    random = kmip.ok(KMIP_1_2, Operation.RNG_RETRIEVE, integer(Tag.DATA_LENGTH, 48)).find(Tag.DATA).value
    assert len(random) == 48
    queried = kmip.ok(KMIP_1_2, Operation.QUERY, enumeration(Tag.QUERY_FUNCTION, 1),
                      enumeration(Tag.QUERY_FUNCTION, 3))
    operations = {i.value for i in queried.find_all(Tag.OPERATION)}
    assert {Operation.CREATE, Operation.ENCRYPT, Operation.LOCATE, Operation.QUERY} <= operations
    assert queried.find(Tag.VENDOR_IDENTIFICATION).value == "Strongroom"


def test_gcm_with_associated_data(kmip) -> None:
    object_id = kmip.create(KMIP_1_4)
    kmip.ok(KMIP_1_4, Operation.ACTIVATE, uid(object_id))
    gcm = structure(Tag.CRYPTOGRAPHIC_PARAMETERS, [enumeration(Tag.BLOCK_CIPHER_MODE, 9), integer(Tag.TAG_LENGTH, 16)])
    aad = byte_string(Tag.AUTHENTICATED_ENCRYPTION_ADDITIONAL_DATA, b"header")
    sealed = kmip.ok(KMIP_1_4, Operation.ENCRYPT, uid(object_id), gcm, byte_string(Tag.DATA, b"payload"), aad)
    data, nonce = sealed.find(Tag.DATA).value, sealed.find(Tag.IV_COUNTER_NONCE).value
    tag = sealed.find(Tag.AUTHENTICATED_ENCRYPTION_TAG).value
    assert len(nonce) == 12 and len(tag) == 16
    opened = kmip.ok(KMIP_1_4, Operation.DECRYPT, uid(object_id), gcm, byte_string(Tag.DATA, data),
                     byte_string(Tag.IV_COUNTER_NONCE, nonce), aad, byte_string(Tag.AUTHENTICATED_ENCRYPTION_TAG, tag))
    assert opened.find(Tag.DATA).value == b"payload"
    forged = kmip.one(KMIP_1_4, Operation.DECRYPT, uid(object_id), gcm, byte_string(Tag.DATA, data),
                      byte_string(Tag.IV_COUNTER_NONCE, nonce), byte_string(Tag.AUTHENTICATED_ENCRYPTION_TAG, tag))
    assert forged.result_reason == ResultReason.CRYPTOGRAPHIC_FAILURE


def test_a_sealed_server_fails_every_item_and_a_failed_audit_write_is_answered_in_kmip(kmip, core) -> None:
    answer = kmip.app.handle(request(KMIP_1_2, batch_item(Operation.LOCATE, batch_id=b"x")), kmip.cert, "127.0.0.1")
    replaced = decode_response(answer.if_commit_fails(RuntimeError("disk full")))  # type: ignore[misc]
    (item,) = replaced.batch_items
    assert (item.result_reason, item.unique_batch_item_id, item.operation) == (
        ResultReason.GENERAL_FAILURE, b"x", Operation.LOCATE)
    assert "audit" in (item.result_message or "")
    core.seal()
    (sealed,) = kmip.send(request(KMIP_1_2, batch_item(Operation.LOCATE))).batch_items
    assert sealed.result_reason == ResultReason.GENERAL_FAILURE and "sealed" in (sealed.result_message or "")


def test_payloads_holding_secrets_never_print_them() -> None:
    from strongroom.protocols.kmip.objects import KeyValue, OpaqueObject
    from strongroom.protocols.kmip.request_payloads import EncryptRequest
    from strongroom.protocols.kmip.response_payloads import DecryptResponse

    secret = b"very-secret-bytes"
    for payload in (KeyValue(secret), OpaqueObject(1, secret), EncryptRequest("k", data=secret),
                    DecryptResponse("k", secret)):
        assert repr(secret) not in repr(payload) and secret.hex() not in repr(payload)


def test_mutated_messages_always_get_a_kmip_answer(kmip, caplog) -> None:
    import logging
    import random

    rng = random.Random(1)
    object_id = kmip.create()
    seeds = [
        request(KMIP_1_2, batch_item(Operation.CREATE, enumeration(Tag.OBJECT_TYPE, 2), aes_template(), batch_id=b"1"),
                batch_item(Operation.ACTIVATE), batch_item(Operation.GET_ATTRIBUTES)),
        request(KMIP_2_0, batch_item(Operation.LOCATE, structure(Tag.ATTRIBUTES, [enumeration(Tag.OBJECT_TYPE, 2)]))),
        request(KMIP_1_4, batch_item(Operation.ENCRYPT, *encrypt_payload(object_id, b"data"))),
        request(KMIP_1_0, batch_item(Operation.REGISTER, enumeration(Tag.OBJECT_TYPE, 7), template(),
                                     secret_data(bytes(96)))),
    ]
    for _ in range(300):
        data = bytearray(rng.choice(seeds))
        for _ in range(rng.randint(1, 4)):
            data[rng.randrange(8, len(data))] = rng.randrange(256)
        answer = kmip.app.handle(bytes(data), kmip.cert, "127.0.0.1")
        assert decode_response(answer.data).batch_items  # a well-formed answer, whatever came in
    faults = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert not faults, [r.getMessage() for r in faults]  # and never a fault of ours


def _key_pair_request(algorithm: int, length: int) -> bytes:
    return request(KMIP_1_2, batch_item(Operation.CREATE_KEY_PAIR, structure(Tag.COMMON_TEMPLATE_ATTRIBUTE, [
        attribute("Cryptographic Algorithm", enumeration(Tag.CRYPTOGRAPHIC_ALGORITHM, algorithm)),
        attribute("Cryptographic Length", integer(Tag.CRYPTOGRAPHIC_LENGTH, length))])))


def test_rsa_key_pairs_are_made_first_off_the_loop_for_bound_clients_only(kmip, core, monkeypatch,
                                                                          tmp_path: Path) -> None:
    made: list[str] = []
    monkeypatch.setattr(core, "make_key_ahead", made.append)
    rsa_3072 = _key_pair_request(4, 3072)
    work = kmip.app.slow_work(rsa_3072, kmip.cert)
    assert work is not None
    work()
    assert made == ["RSA_3072"]
    assert kmip.app.slow_work(_key_pair_request(6, 256), kmip.cert) is None  # EC keys are quick
    assert kmip.app.slow_work(_key_pair_request(4, 1000), kmip.cert) is None  # refused later by the handler
    assert kmip.app.slow_work(rsa_3072, None) is None
    stranger, _ = issue_client_certificate(tmp_path / "tls", "stranger")  # same CA, never bound
    assert kmip.app.slow_work(rsa_3072, der(stranger)) is None
    assert kmip.app.slow_work(request(KMIP_1_2, batch_item(Operation.QUERY)), kmip.cert) is None
