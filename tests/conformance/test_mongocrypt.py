"""MongoDB client-side encryption (libmongocrypt) against the server's TLS port, with no MongoDB server.

Two drivers of libmongocrypt:

* ``pymongocrypt.explicit_encrypter.ExplicitEncrypter`` with our own ``MongoCryptCallback``: an in-memory key
  vault, and a ``kms_request`` that opens a TLS connection (dev CA trusted, hostname checked) to
  ``kms_context.endpoint``, sends ``kms_context.message`` and feeds ``recv(bytes_needed)`` back.
* pymongo's own ``ClientEncryption`` with ``kms_tls_options={"aws": {"tlsCAFile": ca.pem}}``, so the KMS
  traffic goes through pymongo's TLS code path unchanged. Only its two key-vault calls (``fetch_keys``,
  ``insert_data_key``, which would need a mongod) are replaced on the instance by the same in-memory vault.

Both create a data key (KMS Encrypt), encrypt with the Deterministic and Random algorithms, decrypt, and
decrypt again from a fresh instance (no key cache, so a KMS Decrypt without KeyId, ``Host:127.0.0.1:<port>``).
"""

from __future__ import annotations

import json
import socket
import ssl
import time
from collections.abc import Iterator
from typing import Any

import bson
import pytest
from bson.binary import Binary
from bson.codec_options import CodecOptions
from kms_harness import REGION, ServerInfo
from pymongocrypt.errors import MongoCryptError
from pymongocrypt.explicit_encrypter import ExplicitEncrypter
from pymongocrypt.options import MongoCryptOptions
from pymongocrypt.state_machine import MongoCryptCallback

DETERMINISTIC = "AEAD_AES_256_CBC_HMAC_SHA_512-Deterministic"
RANDOM = "AEAD_AES_256_CBC_HMAC_SHA_512-Random"


class InMemoryKeyVault:
    """The key vault collection, as a dict of ``_id`` bytes to raw key documents."""

    def __init__(self) -> None:
        self.docs: dict[bytes, bytes] = {}

    def fetch_keys(self, filter: bytes) -> Iterator[bytes]:
        query = bson.decode(filter)
        ids: set[bytes] | None = None
        names: set[str] = set()
        for clause in query.get("$or", []):
            if "_id" in clause:
                ids = (ids or set()) | {bytes(x) for x in clause["_id"].get("$in", [])}
            if "keyAltNames" in clause:
                names |= set(clause["keyAltNames"].get("$in", []))
        match_all = "$or" not in query and not query
        for raw in list(self.docs.values()):
            doc = bson.decode(raw)
            if match_all or (ids and bytes(doc["_id"]) in ids) or names & set(doc.get("keyAltNames", [])):
                yield raw

    def insert_data_key(self, data_key: bytes) -> Binary:
        doc = bson.decode(data_key)
        key_id = doc["_id"]
        assert isinstance(key_id, Binary) and key_id.subtype == 4
        self.docs[bytes(key_id)] = bytes(data_key)
        return key_id

    def apply_rewrap(self, result: bytes) -> int:
        rewrapped = bson.decode(result)["v"]
        for item in rewrapped:
            doc = bson.decode(self.docs[bytes(item["_id"])])
            doc["keyMaterial"] = item["keyMaterial"]
            doc["masterKey"] = item["masterKey"]
            self.docs[bytes(item["_id"])] = bson.encode(doc)
        return len(rewrapped)

    def master_key_of(self, key_id: Binary) -> dict[str, Any]:
        return bson.decode(self.docs[bytes(key_id)])["masterKey"]


class TlsKmsCallback(MongoCryptCallback):
    """libmongocrypt's I/O: KMS over TLS trusting the dev CA; the key vault in memory."""

    def __init__(self, ca_file: str, vault: InMemoryKeyVault) -> None:
        self.ssl_ctx = ssl.create_default_context(cafile=ca_file)
        assert self.ssl_ctx.check_hostname and self.ssl_ctx.verify_mode == ssl.CERT_REQUIRED
        self.vault = vault
        self.requests: list[bytes] = []
        self.endpoints: list[str] = []

    def kms_request(self, kms_context: Any) -> None:
        endpoint = kms_context.endpoint
        message = kms_context.message
        self.endpoints.append(endpoint)
        self.requests.append(bytes(message))
        host, _, port = endpoint.rpartition(":")
        if kms_context.usleep:
            time.sleep(kms_context.usleep / 1e6)
        with socket.create_connection((host, int(port)), timeout=20) as raw:
            with self.ssl_ctx.wrap_socket(raw, server_hostname=host) as conn:
                conn.sendall(message)
                while kms_context.bytes_needed > 0:
                    data = conn.recv(kms_context.bytes_needed)
                    if not data:
                        raise OSError("KMS connection closed before the response ended")
                    kms_context.feed(data)

    def collection_info(self, database: str, filter: bytes) -> Any:
        raise NotImplementedError("automatic encryption only")

    def mark_command(self, database: str, cmd: bytes) -> Any:
        raise NotImplementedError("automatic encryption only")

    def fetch_keys(self, filter: bytes) -> Iterator[bytes]:
        return self.vault.fetch_keys(filter)

    def insert_data_key(self, data_key: bytes) -> Binary:
        return self.vault.insert_data_key(data_key)

    def bson_encode(self, doc: Any) -> bytes:
        return bson.encode(doc)

    def close(self) -> None:
        pass


def _kms_providers(server: ServerInfo) -> dict[str, Any]:
    return {"aws": {"accessKeyId": server.access_key_id, "secretAccessKey": server.secret_access_key}}


def _master_key(server: ServerInfo, arn: str) -> dict[str, str]:
    return {"region": REGION, "key": arn, "endpoint": server.tls_hostport}


def _encrypter(server: ServerInfo, vault: InMemoryKeyVault) -> tuple[ExplicitEncrypter, TlsKmsCallback]:
    callback = TlsKmsCallback(str(server.ca_file), vault)
    return ExplicitEncrypter(callback, MongoCryptOptions(_kms_providers(server))), callback


def _split(request: bytes) -> tuple[list[str], dict[str, Any]]:
    head, _, body = request.partition(b"\r\n\r\n")
    return head.decode().split("\r\n"), json.loads(body)


def _target(request: bytes) -> str:
    lines, _ = _split(request)
    for line in lines:
        if line.lower().startswith("x-amz-target:"):
            return line.split(":", 1)[1].strip()
    raise AssertionError(f"no X-Amz-Target in {lines}")


@pytest.fixture
def cmk(new_key: Any) -> str:
    return new_key(Description="mongocrypt CMK")


def test_explicit_encrypter_round_trip_over_tls(server: ServerInfo, cmk: str) -> None:
    vault = InMemoryKeyVault()
    enc, cb = _encrypter(server, vault)
    try:
        key_id = enc.create_data_key("aws", master_key=_master_key(server, cmk), key_alt_names=["conf-key"])
        assert isinstance(key_id, Binary) and key_id.subtype == 4
        assert [_target(r) for r in cb.requests] == ["TrentService.Encrypt"]
        assert cb.endpoints == [server.tls_hostport]
        assert vault.master_key_of(key_id)["key"] == cmk

        value = bson.encode({"v": "a secret string"})
        det1 = enc.encrypt(value, DETERMINISTIC, key_id=bytes(key_id))
        det2 = enc.encrypt(value, DETERMINISTIC, key_alt_name="conf-key")
        rnd1 = enc.encrypt(value, RANDOM, key_id=bytes(key_id))
        rnd2 = enc.encrypt(value, RANDOM, key_id=bytes(key_id))
        assert det1 == det2, "Deterministic must give equal ciphertexts"
        assert rnd1 != rnd2, "Random must give different ciphertexts"
        for blob in (det1, rnd1):
            assert bson.decode(blob)["v"].subtype == 6
            assert bson.decode(enc.decrypt(blob)) == {"v": "a secret string"}
    finally:
        enc.close()

    # A fresh instance has no key cache: libmongocrypt must ask the KMS to unwrap the data key.
    fresh, cb2 = _encrypter(server, vault)
    try:
        assert bson.decode(fresh.decrypt(rnd1)) == {"v": "a secret string"}
        assert bson.decode(fresh.decrypt(det1)) == {"v": "a secret string"}
    finally:
        fresh.close()
    decrypts = [r for r in cb2.requests if _target(r) == "TrentService.Decrypt"]
    assert len(decrypts) == 1, [_target(r) for r in cb2.requests]
    lines, body = _split(decrypts[0])
    assert "KeyId" not in body, body
    assert f"Host:{server.tls_hostport}" in lines, lines


def test_rewrap_data_key_to_another_cmk(server: ServerInfo, cmk: str, new_key: Any) -> None:
    other = new_key(Description="mongocrypt rewrap target")
    vault = InMemoryKeyVault()
    enc, _ = _encrypter(server, vault)
    try:
        key_id = enc.create_data_key("aws", master_key=_master_key(server, cmk))
        blob = enc.encrypt(bson.encode({"v": 42}), RANDOM, key_id=bytes(key_id))
        result = enc.rewrap_many_data_key({}, provider="aws", master_key=_master_key(server, other))
        assert vault.apply_rewrap(result) == 1
    finally:
        enc.close()
    assert vault.master_key_of(key_id)["key"] == other

    fresh, cb = _encrypter(server, vault)
    try:
        assert bson.decode(fresh.decrypt(blob)) == {"v": 42}
    finally:
        fresh.close()
    assert [_target(r) for r in cb.requests] == ["TrentService.Decrypt"]


def test_disabled_cmk_fails_the_fresh_decrypt_with_the_http_status(server: ServerInfo, cmk: str, kms: Any) -> None:
    vault = InMemoryKeyVault()
    enc, _ = _encrypter(server, vault)
    try:
        key_id = enc.create_data_key("aws", master_key=_master_key(server, cmk))
        blob = enc.encrypt(bson.encode({"v": "locked"}), RANDOM, key_id=bytes(key_id))
    finally:
        enc.close()

    kms.disable_key(KeyId=cmk)
    fresh, _ = _encrypter(server, vault)
    try:
        with pytest.raises(MongoCryptError) as ei:
            fresh.decrypt(blob)
    finally:
        fresh.close()
        kms.enable_key(KeyId=cmk)
    message = str(ei.value)
    assert "HTTP status=4" in message, message
    assert "DisabledException" in message, message


def test_wrong_credentials_fail_with_the_http_status(server: ServerInfo, cmk: str) -> None:
    callback = TlsKmsCallback(str(server.ca_file), InMemoryKeyVault())
    providers = {"aws": {"accessKeyId": server.access_key_id, "secretAccessKey": "x" * 40}}
    enc = ExplicitEncrypter(callback, MongoCryptOptions(providers))
    try:
        with pytest.raises(MongoCryptError) as ei:
            enc.create_data_key("aws", master_key=_master_key(server, cmk))
    finally:
        enc.close()
    assert "HTTP status=4" in str(ei.value), str(ei.value)
    assert "InvalidSignatureException" in str(ei.value), str(ei.value)


# ------------------------------------------------------------------------ pymongo's own ClientEncryption


@pytest.fixture
def key_vault_client() -> Iterator[Any]:
    from pymongo import MongoClient

    # Never contacted: the key vault calls are served from memory (see the module docstring).
    client: Any = MongoClient("mongodb://127.0.0.1:9/", connect=False, serverSelectionTimeoutMS=500)
    yield client
    client.close()


def _client_encryption(server: ServerInfo, client: Any, vault: InMemoryKeyVault, mp: pytest.MonkeyPatch) -> Any:
    from pymongo.encryption import ClientEncryption

    ce = ClientEncryption(
        _kms_providers(server),
        "encryption.__keyVault",
        client,
        CodecOptions(),
        kms_tls_options={"aws": {"tlsCAFile": str(server.ca_file)}},
    )
    mp.setattr(ce._io_callbacks, "fetch_keys", vault.fetch_keys)
    mp.setattr(ce._io_callbacks, "insert_data_key", vault.insert_data_key)
    return ce


def test_pymongo_client_encryption_round_trip(
    server: ServerInfo, cmk: str, key_vault_client: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from pymongo.encryption import Algorithm

    vault = InMemoryKeyVault()
    ce = _client_encryption(server, key_vault_client, vault, monkeypatch)
    try:
        key_id = ce.create_data_key("aws", master_key=_master_key(server, cmk))
        det = ce.encrypt("pymongo secret", Algorithm.AEAD_AES_256_CBC_HMAC_SHA_512_Deterministic, key_id=key_id)
        rnd = ce.encrypt("pymongo secret", Algorithm.AEAD_AES_256_CBC_HMAC_SHA_512_Random, key_id=key_id)
        assert det.subtype == 6 and rnd.subtype == 6
        assert ce.decrypt(det) == "pymongo secret"
        assert ce.decrypt(rnd) == "pymongo secret"
    finally:
        ce.close()

    fresh = _client_encryption(server, key_vault_client, vault, monkeypatch)
    try:
        assert fresh.decrypt(rnd) == "pymongo secret"
        assert fresh.decrypt(det) == "pymongo secret"
    finally:
        fresh.close()


def test_pymongo_refuses_an_untrusted_kms_certificate(
    server: ServerInfo, cmk: str, key_vault_client: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Control for the test above: without the dev CA, pymongo's TLS check must reject the server."""
    from pymongo.encryption import ClientEncryption
    from pymongo.errors import EncryptionError

    vault = InMemoryKeyVault()
    ce = ClientEncryption(_kms_providers(server), "encryption.__keyVault", key_vault_client, CodecOptions())
    monkeypatch.setattr(ce._io_callbacks, "fetch_keys", vault.fetch_keys)
    monkeypatch.setattr(ce._io_callbacks, "insert_data_key", vault.insert_data_key)
    try:
        with pytest.raises(EncryptionError) as ei:
            ce.create_data_key("aws", master_key=_master_key(server, cmk))
    finally:
        ce.close()
    assert "certificate" in str(ei.value).lower() or "ssl" in str(ei.value).lower(), str(ei.value)
    assert not vault.docs
