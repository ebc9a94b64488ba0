"""MongoDB client-side encryption's ``kmip`` KMS provider (libmongocrypt, through pymongocrypt and pymongo) against
a real server process, over mutual TLS with the dev client certificate; no MongoDB server (the key vault is in
memory, as in ``test_mongocrypt.py``).

* Default flow: the server keeps a 96-byte secret (Register, Activate, Get) and libmongocrypt wraps data keys with
  it locally; decrypting in a fresh client Gets it again.
* Delegated flow: the server makes an AES-256 key (Create, Activate) and wraps data keys with it (Encrypt, AES-CBC
  with PKCS#5 and a server-made 16-byte IV); a fresh client asks it to Decrypt.
* Either with a ``keyId`` made beforehand (then only Get, or only Encrypt).
"""

from __future__ import annotations

import socket
import ssl
import uuid
from collections.abc import Iterator
from typing import Any

import bson
import pytest
from bson.binary import Binary
from bson.codec_options import CodecOptions
from kms_harness import ServerInfo, ServerProcess
from pymongocrypt.errors import MongoCryptError
from pymongocrypt.explicit_encrypter import ExplicitEncrypter
from pymongocrypt.options import MongoCryptOptions
from pymongocrypt.state_machine import MongoCryptCallback

from strongroom.protocols.kmip.enums import Operation
from strongroom.protocols.kmip.messages import decode_request

DETERMINISTIC = "AEAD_AES_256_CBC_HMAC_SHA_512-Deterministic"
RANDOM = "AEAD_AES_256_CBC_HMAC_SHA_512-Random"
OPTIONS = CodecOptions(uuid_representation=4)


@pytest.fixture(scope="module")
def kmip_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerInfo]:
    process = ServerProcess(tmp_path_factory.mktemp("kmip-mongocrypt") / "data", kmip=True,
                            extra_args=["--workers", "1"])
    info = process.start()
    try:
        yield info
    finally:
        process.stop()


class Vault:
    def __init__(self) -> None:
        self.docs: list[bytes] = []

    def fetch_keys(self, filter: bytes) -> Iterator[bytes]:
        query = bson.decode(filter, OPTIONS)
        ids = [i for clause in query.get("$or", [query]) for i in clause.get("_id", {}).get("$in", [])]
        return (doc for doc in self.docs if bson.decode(doc, OPTIONS)["_id"] in ids)

    def insert_data_key(self, data_key: bytes) -> Any:
        self.docs.append(bytes(data_key))
        return bson.decode(data_key, OPTIONS)["_id"]

    def master_key(self) -> dict[str, Any]:
        return bson.decode(self.docs[-1], OPTIONS)["masterKey"]


class KmipCallback(MongoCryptCallback):
    """libmongocrypt's I/O: each KMIP message over its own mutual-TLS connection; the operations are kept."""

    def __init__(self, server: ServerInfo, vault: Vault, *, with_certificate: bool = True) -> None:
        self.tls = ssl.create_default_context(cafile=str(server.ca_file))
        if with_certificate:
            self.tls.load_cert_chain(str(server.kmip_cert), str(server.kmip_key))
        self.vault = vault
        self.operations: list[int] = []

    def kms_request(self, kms_context: Any) -> None:
        message = bytes(kms_context.message)
        self.operations += [item.operation for item in decode_request(message).batch_items]  # type: ignore[misc]
        host, _, port = kms_context.endpoint.rpartition(":")
        with socket.create_connection((host, int(port)), timeout=20) as raw, \
                self.tls.wrap_socket(raw, server_hostname=host) as conn:
            conn.sendall(message)
            while kms_context.bytes_needed > 0:
                data = conn.recv(kms_context.bytes_needed)
                if not data:
                    raise OSError("the KMIP server closed the connection before its answer ended")
                kms_context.feed(data)

    def fetch_keys(self, filter: bytes) -> Iterator[bytes]:
        return self.vault.fetch_keys(filter)

    def insert_data_key(self, data_key: bytes) -> Any:
        return self.vault.insert_data_key(data_key)

    def bson_encode(self, doc: Any) -> bytes:
        return bson.encode(doc, codec_options=OPTIONS)

    def collection_info(self, database: str, filter: bytes) -> Any:
        raise NotImplementedError("automatic encryption only")

    def mark_command(self, database: str, cmd: bytes) -> Any:
        raise NotImplementedError("automatic encryption only")

    def close(self) -> None:
        pass


def _encrypter(server: ServerInfo, vault: Vault, **kw: Any) -> tuple[ExplicitEncrypter, KmipCallback]:
    callback = KmipCallback(server, vault, **kw)
    providers = {"kmip": {"endpoint": f"127.0.0.1:{server.kmip_port}"}}
    return ExplicitEncrypter(callback, MongoCryptOptions(providers)), callback


def _round_trip(server: ServerInfo, master_key: dict[str, Any]) -> tuple[list[int], list[int], dict[str, Any]]:
    """Create a data key, encrypt with it both ways, decrypt in this client and in a fresh one; the KMIP operations
    of the first and of the fresh client, and the master key libmongocrypt stored."""
    vault = Vault()
    encrypter, callback = _encrypter(server, vault)
    try:
        key_id = encrypter.create_data_key("kmip", master_key=master_key, key_alt_names=["k"])
        assert isinstance(key_id, uuid.UUID)
        value = bson.encode({"v": "a secret string"})
        deterministic = encrypter.encrypt(value, DETERMINISTIC, key_id=key_id.bytes)
        randomized = encrypter.encrypt(value, RANDOM, key_alt_name="k")
        assert deterministic == encrypter.encrypt(value, DETERMINISTIC, key_id=key_id.bytes)
        assert bson.decode(encrypter.decrypt(randomized)) == {"v": "a secret string"}
    finally:
        encrypter.close()
    fresh, fresh_callback = _encrypter(server, vault)
    try:
        assert bson.decode(fresh.decrypt(deterministic)) == {"v": "a secret string"}
        assert bson.decode(fresh.decrypt(randomized)) == {"v": "a secret string"}
    finally:
        fresh.close()
    return callback.operations, fresh_callback.operations, vault.master_key()


def test_default_flow_register_activate_get(kmip_server: ServerInfo) -> None:
    made, fresh, master_key = _round_trip(kmip_server, {})
    assert made[:3] == [Operation.REGISTER, Operation.ACTIVATE, Operation.GET]
    assert set(made[3:]) <= {Operation.GET}
    assert fresh == [Operation.GET]
    assert master_key["provider"] == "kmip" and master_key["keyId"]


def test_default_flow_with_a_key_id_made_before(kmip_server: ServerInfo) -> None:
    _, _, first = _round_trip(kmip_server, {})
    made, fresh, master_key = _round_trip(kmip_server, {"keyId": first["keyId"]})
    assert made[0] == Operation.GET and Operation.REGISTER not in made
    assert fresh == [Operation.GET]
    assert master_key["keyId"] == first["keyId"]


def test_delegated_flow_create_activate_encrypt_decrypt(kmip_server: ServerInfo) -> None:
    made, fresh, master_key = _round_trip(kmip_server, {"delegated": True})
    assert made[:3] == [Operation.CREATE, Operation.ACTIVATE, Operation.ENCRYPT]
    assert fresh == [Operation.DECRYPT]
    assert master_key["delegated"] is True


def test_delegated_flow_with_a_key_id_made_before(kmip_server: ServerInfo) -> None:
    _, _, first = _round_trip(kmip_server, {"delegated": True})
    made, fresh, master_key = _round_trip(kmip_server, {"delegated": True, "keyId": first["keyId"]})
    assert made[0] == Operation.ENCRYPT and Operation.CREATE not in made
    assert fresh == [Operation.DECRYPT]
    assert master_key["keyId"] == first["keyId"]


def test_an_unknown_key_id_fails_with_the_kmip_reason(kmip_server: ServerInfo) -> None:
    encrypter, _ = _encrypter(kmip_server, Vault())
    try:
        with pytest.raises(MongoCryptError) as caught:
            encrypter.create_data_key("kmip", master_key={"keyId": "no-such-object"})
    finally:
        encrypter.close()
    assert "Item Not Found" in str(caught.value), str(caught.value)


def test_a_client_without_a_certificate_is_refused(kmip_server: ServerInfo) -> None:
    encrypter, _ = _encrypter(kmip_server, Vault(), with_certificate=False)
    try:
        with pytest.raises((MongoCryptError, OSError, ssl.SSLError)):
            encrypter.create_data_key("kmip", master_key={})
    finally:
        encrypter.close()


def test_pymongo_client_encryption_over_its_own_tls(kmip_server: ServerInfo, tmp_path: Any,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    from pymongo import MongoClient
    from pymongo.encryption import Algorithm, ClientEncryption

    combined = tmp_path / "client.pem"
    combined.write_bytes(kmip_server.kmip_cert.read_bytes() + kmip_server.kmip_key.read_bytes())  # type: ignore
    vault = Vault()
    client: Any = MongoClient("mongodb://127.0.0.1:9/", connect=False, serverSelectionTimeoutMS=500)
    try:
        def encryption() -> Any:
            ce = ClientEncryption({"kmip": {"endpoint": f"127.0.0.1:{kmip_server.kmip_port}"}}, "encryption.__keyVault",
                                  client, OPTIONS, kms_tls_options={"kmip": {
                                      "tlsCAFile": str(kmip_server.ca_file), "tlsCertificateKeyFile": str(combined)}})
            monkeypatch.setattr(ce._io_callbacks, "fetch_keys", vault.fetch_keys)
            monkeypatch.setattr(ce._io_callbacks, "insert_data_key", lambda doc: Binary(
                vault.insert_data_key(doc).bytes, 4))
            return ce
        ce = encryption()
        try:
            key_id = ce.create_data_key("kmip", master_key={"delegated": True})
            blob = ce.encrypt("pymongo over kmip", Algorithm.AEAD_AES_256_CBC_HMAC_SHA_512_Random, key_id=key_id)
        finally:
            ce.close()
        fresh = encryption()
        try:
            assert fresh.decrypt(blob) == "pymongo over kmip"
        finally:
            fresh.close()
    finally:
        client.close()
