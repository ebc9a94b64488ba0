"""PyKMIP's ``ProxyKmipClient`` against a real server process on loopback, over mutual TLS with the dev client
certificate: every operation the server offers, in the protocol versions PyKMIP speaks (1.2, 1.4, 2.0)."""

from __future__ import annotations

import socket
import time
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from kms_harness import ServerInfo, ServerProcess

with warnings.catch_warnings():
    warnings.simplefilter("ignore")  # PyKMIP imports cryptography's deprecated ciphers
    from kmip.core import enums
    from kmip.core.exceptions import OperationFailure
    from kmip.core.factories.attributes import AttributeFactory
    from kmip.pie import exceptions, objects
    from kmip.pie.client import ProxyKmipClient

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning", "ignore::UserWarning")

VERSIONS = {"1.2": enums.KMIPVersion.KMIP_1_2, "1.4": enums.KMIPVersion.KMIP_1_4, "2.0": enums.KMIPVersion.KMIP_2_0}
CBC = {"cryptographic_algorithm": enums.CryptographicAlgorithm.AES, "block_cipher_mode": enums.BlockCipherMode.CBC,
       "padding_method": enums.PaddingMethod.PKCS5}
ENCRYPT_DECRYPT = [enums.CryptographicUsageMask.ENCRYPT, enums.CryptographicUsageMask.DECRYPT]
attribute_factory = AttributeFactory()


def wait_for_port(port: int, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)


@pytest.fixture(scope="module")
def kmip_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerInfo]:
    process = ServerProcess(tmp_path_factory.mktemp("kmip-pykmip") / "data", kmip=True,
                            extra_args=["--workers", "2"])
    info = process.start()
    try:
        wait_for_port(info.kmip_port)
        yield info
    finally:
        process.stop()


@pytest.fixture(scope="module")
def client_factory(kmip_server: ServerInfo, tmp_path_factory: pytest.TempPathFactory) -> Callable[..., Any]:
    config = tmp_path_factory.mktemp("pykmip") / "pykmip.conf"
    config.write_text("")  # no [client] section of the developer's may apply

    def make(version: Any = enums.KMIPVersion.KMIP_1_2, cert: Path | None = None, key: Path | None = None) -> Any:
        return ProxyKmipClient(hostname="127.0.0.1", port=kmip_server.kmip_port,
                               cert=str(cert or kmip_server.kmip_cert), key=str(key or kmip_server.kmip_key),
                               ca=str(kmip_server.ca_file), config_file=str(config), kmip_version=version)
    return make


@pytest.fixture(params=list(VERSIONS), ids=lambda v: f"KMIP-{v}")
def client(request: pytest.FixtureRequest, client_factory: Callable[..., Any]) -> Iterator[Any]:
    with client_factory(VERSIONS[request.param]) as connected:
        yield connected


@pytest.fixture
def client_1_2(client_factory: Callable[..., Any]) -> Iterator[Any]:
    with client_factory(enums.KMIPVersion.KMIP_1_2) as connected:
        yield connected


def test_discover_versions_and_query(client_1_2: Any) -> None:
    versions = client_1_2.proxy.discover_versions().protocol_versions
    assert (versions[0].major, versions[0].minor) == (2, 1)
    assert (1, 0) in {(v.major, v.minor) for v in versions}
    result = client_1_2.proxy.query(query_functions=[enums.QueryFunction.QUERY_OPERATIONS,
                                                     enums.QueryFunction.QUERY_OBJECTS,
                                                     enums.QueryFunction.QUERY_SERVER_INFORMATION])
    assert {enums.Operation.CREATE, enums.Operation.ENCRYPT, enums.Operation.LOCATE} <= set(result.operations)
    assert enums.ObjectType.SECRET_DATA in result.object_types
    assert result.vendor_identification == "Strongroom"


def test_create_activate_encrypt_decrypt(client: Any) -> None:
    uid = client.create(enums.CryptographicAlgorithm.AES, 256, cryptographic_usage_mask=ENCRYPT_DECRYPT)
    with pytest.raises(exceptions.KmipOperationFailure):  # pre-active
        client.encrypt(b"x", uid=uid, cryptographic_parameters={**CBC, "random_iv": True})
    client.activate(uid)
    message = b"This is a secret message."
    cipher_text, iv = client.encrypt(message, uid=uid, cryptographic_parameters={**CBC, "random_iv": True})
    assert len(iv) == 16 and len(cipher_text) == 32
    assert client.decrypt(cipher_text, uid=uid, cryptographic_parameters=CBC, iv_counter_nonce=iv) == message
    given_iv = bytes.fromhex("851e8764776e6796aab722dbb644ace8")
    cipher_text, iv = client.encrypt(message, uid=uid, cryptographic_parameters=CBC, iv_counter_nonce=given_iv)
    assert iv is None  # the client chose it
    assert client.decrypt(cipher_text, uid=uid, cryptographic_parameters=CBC, iv_counter_nonce=given_iv) == message
    with pytest.raises(exceptions.KmipOperationFailure) as caught:  # a wrong IV breaks the padding
        client.decrypt(cipher_text[:16], uid=uid, cryptographic_parameters=CBC, iv_counter_nonce=bytes(16))
    assert caught.value.reason == enums.ResultReason.CRYPTOGRAPHIC_FAILURE


def test_a_created_key_is_got_with_its_attributes(client: Any) -> None:
    uid = client.create(enums.CryptographicAlgorithm.AES, 128, name="pykmip-created")
    key = client.get(uid)
    assert isinstance(key, objects.SymmetricKey)
    assert (key.cryptographic_algorithm, key.cryptographic_length, len(key.value)) == (
        enums.CryptographicAlgorithm.AES, 128, 16)
    result_id, attributes = client.get_attributes(uid, ["Cryptographic Algorithm", "Cryptographic Length", "State"])
    assert result_id == uid
    values = {a.attribute_name.value: a.attribute_value.value for a in attributes}
    assert values == {"Cryptographic Algorithm": enums.CryptographicAlgorithm.AES, "Cryptographic Length": 128,
                      "State": enums.State.PRE_ACTIVE}
    names = client.get_attribute_list(uid)
    assert {"Unique Identifier", "Name", "State", "Initial Date", "Cryptographic Length"} <= set(names)


def test_register_and_get_every_object_type(client: Any, kmip_server: ServerInfo) -> None:
    private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    certificate = x509.load_pem_x509_certificate(kmip_server.kmip_cert.read_bytes())  # type: ignore[union-attr]
    registered = [
        objects.SymmetricKey(enums.CryptographicAlgorithm.AES, 128, bytes(range(16)), name="Test Symmetric Key"),
        objects.SecretData(b"password1", enums.SecretDataType.PASSWORD),
        objects.OpaqueObject(b"SecretPassword", enums.OpaqueDataType.NONE),
        objects.PrivateKey(enums.CryptographicAlgorithm.RSA, 2048, private.private_bytes(
            serialization.Encoding.DER, serialization.PrivateFormat.TraditionalOpenSSL, serialization.NoEncryption()),
            enums.KeyFormatType.PKCS_1),
        objects.PublicKey(enums.CryptographicAlgorithm.RSA, 2048, private.public_key().public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.PKCS1), enums.KeyFormatType.PKCS_1),
        objects.X509Certificate(certificate.public_bytes(serialization.Encoding.DER)),
    ]
    for managed in registered:
        uid = client.register(managed)
        assert client.get(uid) == managed, type(managed).__name__


def test_locate_by_name_and_object_type(client: Any) -> None:
    label = f"located-{time.monotonic_ns()}"
    first = client.create(enums.CryptographicAlgorithm.AES, 256, name=label)
    time.sleep(1.1)  # Initial Dates a second apart: newest first
    second = client.create(enums.CryptographicAlgorithm.AES, 256, name=label)
    by_name = attribute_factory.create_attribute(enums.AttributeType.NAME, label)
    assert client.locate(attributes=[by_name]) == [second, first]
    assert client.locate(maximum_items=1, attributes=[by_name]) == [second]
    secret = client.register(objects.SecretData(b"s" * 32, enums.SecretDataType.SEED, name=label))
    secrets = client.locate(attributes=[by_name, attribute_factory.create_attribute(
        enums.AttributeType.OBJECT_TYPE, enums.ObjectType.SECRET_DATA)])
    assert secrets == [secret]


def test_revoke_destroy_and_get_fails(client: Any) -> None:
    uid = client.create(enums.CryptographicAlgorithm.AES, 256)
    client.activate(uid)
    with pytest.raises(exceptions.KmipOperationFailure):  # active: not destroyable
        client.destroy(uid)
    client.revoke(enums.RevocationReasonCode.KEY_COMPROMISE, uid, revocation_message="leaked")
    _, attributes = client.get_attributes(uid, ["State"])
    assert attributes[0].attribute_value.value == enums.State.COMPROMISED
    client.destroy(uid)
    with pytest.raises(exceptions.KmipOperationFailure):
        client.get(uid)
    with pytest.raises(exceptions.KmipOperationFailure):
        client.destroy(uid)
    assert uid not in client.locate()


def test_check(client_1_2: Any) -> None:
    uid = client_1_2.create(enums.CryptographicAlgorithm.AES, 256, cryptographic_usage_mask=ENCRYPT_DECRYPT)
    assert client_1_2.check(uid, cryptographic_usage_mask=[enums.CryptographicUsageMask.ENCRYPT]) == uid
    with pytest.raises(exceptions.KmipOperationFailure):
        client_1_2.check(uid, cryptographic_usage_mask=[enums.CryptographicUsageMask.SIGN])


def test_modify_and_delete_attributes_in_1_4(client_factory: Callable[..., Any]) -> None:
    from kmip.core import objects as kobjects
    from kmip.core import primitives

    with client_factory(enums.KMIPVersion.KMIP_1_4) as client:
        uid = client.create(enums.CryptographicAlgorithm.AES, 256, name="before")
        new_name = attribute_factory.create_attribute(enums.AttributeType.NAME, "after")
        _, echoed = client.modify_attribute(uid, attribute=kobjects.Attribute(
            attribute_name=kobjects.Attribute.AttributeName("Name"),
            attribute_index=kobjects.Attribute.AttributeIndex(0), attribute_value=new_name.attribute_value))
        assert echoed.attribute_value.name_value.value == "after"
        _, attributes = client.get_attributes(uid, ["Name"])
        assert [a.attribute_value.name_value.value for a in attributes] == ["after"]
        client.delete_attribute(uid, attribute_name="Name", attribute_index=0)
        assert client.get_attributes(uid, ["Name"])[1] == []
        with pytest.raises(OperationFailure) as caught:  # read-only
            client.modify_attribute(uid, attribute=kobjects.Attribute(
                attribute_name=kobjects.Attribute.AttributeName("State"),
                attribute_value=primitives.Enumeration(enums.State, enums.State.ACTIVE, enums.Tags.ATTRIBUTE_VALUE)))
        assert caught.value.reason == enums.ResultReason.PERMISSION_DENIED


def test_set_modify_and_delete_attributes_in_2_0(client_factory: Callable[..., Any]) -> None:
    from kmip.core import objects as kobjects
    from kmip.core import primitives

    with client_factory(enums.KMIPVersion.KMIP_2_0) as client:
        uid = client.create(enums.CryptographicAlgorithm.AES, 256)
        assert client.set_attribute(uid, attribute_name="Sensitive", attribute_value=True) == uid
        with pytest.raises(exceptions.KmipOperationFailure):  # sensitive: never given out plain
            client.get(uid)
        with pytest.raises(OperationFailure) as caught:  # Set Attribute is for single-valued attributes
            client.set_attribute(uid, attribute_name="Object Group", attribute_value="blue")
        assert caught.value.reason == enums.ResultReason.MULTI_VALUED_ATTRIBUTE
        contact = primitives.TextString("ops@example.com", tag=enums.Tags.CONTACT_INFORMATION)
        assert client.set_attribute(uid, attribute_name="Contact Information", attribute_value=contact.value) == uid
        client.modify_attribute(uid, current_attribute=kobjects.CurrentAttribute(attribute=contact),
                                new_attribute=kobjects.NewAttribute(attribute=primitives.TextString(
                                    "sec@example.com", tag=enums.Tags.CONTACT_INFORMATION)))
        _, attributes = client.get_attributes(uid, ["Contact Information"])
        assert [a.attribute_value.value for a in attributes] == ["sec@example.com"]
        client.delete_attribute(uid, current_attribute=kobjects.CurrentAttribute(attribute=primitives.TextString(
            "sec@example.com", tag=enums.Tags.CONTACT_INFORMATION)))
        assert client.get_attributes(uid, ["Contact Information"])[1] == []


def test_rekey(client_1_2: Any) -> None:
    uid = client_1_2.create(enums.CryptographicAlgorithm.AES, 256, name="to-rotate",
                            cryptographic_usage_mask=ENCRYPT_DECRYPT)
    client_1_2.activate(uid)
    new = client_1_2.rekey(uid=uid)
    assert new != uid
    _, attributes = client_1_2.get_attributes(new, ["Name", "State"])
    values = {a.attribute_name.value: a.attribute_value for a in attributes}
    assert values["Name"].name_value.value == "to-rotate"
    assert values["State"].value == enums.State.ACTIVE
    assert client_1_2.get(new).value != client_1_2.get(uid).value


def test_key_pair_sign_and_verify(client: Any) -> None:
    public, private = client.create_key_pair(
        enums.CryptographicAlgorithm.RSA, 2048, public_usage_mask=[enums.CryptographicUsageMask.VERIFY],
        private_usage_mask=[enums.CryptographicUsageMask.SIGN])
    client.activate(private)
    client.activate(public)
    parameters = {"padding_method": enums.PaddingMethod.PSS, "cryptographic_algorithm":
                  enums.CryptographicAlgorithm.RSA, "hashing_algorithm": enums.HashingAlgorithm.SHA_256}
    signature = client.sign(b"This is a signed message.", uid=private, cryptographic_parameters=parameters)
    assert client.signature_verify(b"This is a signed message.", signature, uid=public,
                                   cryptographic_parameters=parameters) == enums.ValidityIndicator.VALID
    assert client.signature_verify(b"another message", signature, uid=public,
                                   cryptographic_parameters=parameters) == enums.ValidityIndicator.INVALID
    got = client.get(public)
    assert isinstance(got, objects.PublicKey) and got.cryptographic_length == 2048
    assert isinstance(client.get(private), objects.PrivateKey)


def test_mac(client: Any) -> None:
    uid = client.create(enums.CryptographicAlgorithm.HMAC_SHA256, 256,
                        cryptographic_usage_mask=[enums.CryptographicUsageMask.MAC_GENERATE])
    client.activate(uid)
    result_id, mac = client.mac(b"some data", uid=uid, algorithm=enums.CryptographicAlgorithm.HMAC_SHA256)
    assert result_id == uid and len(mac) == 32
    assert client.mac(b"some data", uid=uid, algorithm=enums.CryptographicAlgorithm.HMAC_SHA256)[1] == mac


def test_an_unbound_certificate_is_refused(client_factory: Callable[..., Any], kmip_server: ServerInfo,
                                           tmp_path: Path) -> None:
    from strongroom.server.tls import issue_client_certificate

    cert, key = issue_client_certificate(kmip_server.data_dir / "tls", "not-bound")
    (tmp_path / "c.pem").write_bytes(cert)
    (tmp_path / "k.pem").write_bytes(key)
    with client_factory(cert=tmp_path / "c.pem", key=tmp_path / "k.pem") as stranger:
        with pytest.raises(exceptions.KmipOperationFailure) as caught:
            stranger.create(enums.CryptographicAlgorithm.AES, 256)
    assert caught.value.reason == enums.ResultReason.PERMISSION_DENIED


def test_a_sensitive_key_leaves_only_wrapped(client_factory: Callable[..., Any]) -> None:
    from cryptography.hazmat.primitives.keywrap import aes_key_unwrap

    with client_factory(enums.KMIPVersion.KMIP_1_4) as client:
        wrapping_id = client.create(enums.CryptographicAlgorithm.AES, 256, cryptographic_usage_mask=[
            enums.CryptographicUsageMask.WRAP_KEY, enums.CryptographicUsageMask.UNWRAP_KEY])
        client.activate(wrapping_id)
        wrapping_key = client.get(wrapping_id).value
        key_id = client.register(objects.SymmetricKey(enums.CryptographicAlgorithm.AES, 128, bytes(range(16))))
    with client_factory(enums.KMIPVersion.KMIP_2_0) as client:  # Set Attribute is 2.x
        client.set_attribute(key_id, attribute_name="Sensitive", attribute_value=True)
        with pytest.raises(exceptions.KmipOperationFailure):
            client.get(key_id)
        specification = {"wrapping_method": enums.WrappingMethod.ENCRYPT, "encryption_key_information": {
            "unique_identifier": wrapping_id,
            "cryptographic_parameters": {"block_cipher_mode": enums.BlockCipherMode.NIST_KEY_WRAP}},
            "encoding_option": enums.EncodingOption.NO_ENCODING}
        wrapped = client.get(key_id, key_wrapping_specification=specification)
    assert wrapped.key_wrapping_data["encryption_key_information"]["unique_identifier"] == wrapping_id
    assert aes_key_unwrap(wrapping_key, wrapped.value) == bytes(range(16))
