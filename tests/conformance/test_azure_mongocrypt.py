"""MongoDB client-side encryption's ``azure`` KMS provider (libmongocrypt, through pymongocrypt) against a real
server process (two workers: a token one worker issued is accepted by the other) over TLS with the dev CA; no
MongoDB server (the key vault is in memory).

libmongocrypt asks Strongroom's token endpoint for a bearer token with the app's client id and secret (made by
``strongroom azure apps create`` on the running server's data dir), then wraps the data key with ``wrapkey`` and,
in a fresh client, unwraps it with ``unwrapkey``, with and without ``keyVersion``.
"""

from __future__ import annotations

import json
import socket
import ssl
import subprocess
import sys
import urllib.request
import uuid
from collections.abc import Iterator
from typing import Any

import bson
import pytest
from bson.codec_options import CodecOptions
from kms_harness import ServerInfo, ServerProcess, clean_env
from pymongocrypt.errors import MongoCryptError
from pymongocrypt.explicit_encrypter import ExplicitEncrypter
from pymongocrypt.options import MongoCryptOptions
from pymongocrypt.state_machine import MongoCryptCallback

DETERMINISTIC = "AEAD_AES_256_CBC_HMAC_SHA_512-Deterministic"
OPTIONS = CodecOptions(uuid_representation=4)


def create_app(info: ServerInfo) -> dict[str, str]:
    """``strongroom azure apps create`` against the running server's data dir: tenant_id, client_id, secret."""
    out = subprocess.run([sys.executable, "-m", "strongroom", "azure", "apps", "create", "--account",
                          info.account_id, "--data-dir", str(info.data_dir)], capture_output=True, text=True,
                         env=clean_env(), check=True, timeout=60).stdout
    return dict(tuple(part.strip() for part in line.split("=", 1)) for line in out.splitlines() if "=" in line)


def rest(info: ServerInfo, method: str, path: str, body: Any = None, token: str | None = None,
         form: bytes | None = None) -> tuple[int, Any]:
    tls = ssl.create_default_context(cafile=str(info.ca_file))
    data = form if form is not None else (json.dumps(body).encode() if body is not None else None)
    headers = {"Content-Type": "application/x-www-form-urlencoded" if form is not None else "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    request = urllib.request.Request(f"{info.tls_endpoint}{path}", data=data, method=method, headers=headers)
    try:
        with urllib.request.urlopen(request, context=tls, timeout=30) as response:
            raw = response.read()
            return response.status, json.loads(raw) if raw else None
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read() or b"null")


def token_for(info: ServerInfo, app: dict[str, str]) -> str:
    form = (f"client_id={app['client_id']}&client_secret={app['client_secret']}"
            f"&scope=https%3A%2F%2Fvault.azure.net%2F.default&grant_type=client_credentials").encode()
    status, body = rest(info, "POST", f"/{app['tenant_id']}/oauth2/v2.0/token", form=form)
    assert status == 200, body
    return body["access_token"]


@pytest.fixture(scope="module")
def azure_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerInfo]:
    process = ServerProcess(tmp_path_factory.mktemp("azure-mongocrypt") / "data", extra_args=["--workers", "2"])
    info = process.start()
    try:
        yield info
    finally:
        process.stop()


@pytest.fixture(scope="module")
def azure_app(azure_server: ServerInfo) -> dict[str, str]:
    return create_app(azure_server)


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


class AzureCallback(MongoCryptCallback):
    """libmongocrypt's I/O over TLS (dev CA trusted); the request lines it sent are kept."""

    def __init__(self, server: ServerInfo, vault: Vault) -> None:
        self.tls = ssl.create_default_context(cafile=str(server.ca_file))
        self.vault = vault
        self.request_lines: list[str] = []

    def kms_request(self, kms_context: Any) -> None:
        message = bytes(kms_context.message)
        self.request_lines.append(message.split(b"\r\n", 1)[0].decode())
        host, _, port = kms_context.endpoint.rpartition(":")
        with socket.create_connection((host, int(port)), timeout=20) as raw, \
                self.tls.wrap_socket(raw, server_hostname=host) as conn:
            conn.sendall(message)
            while kms_context.bytes_needed > 0:
                data = conn.recv(kms_context.bytes_needed)
                if not data:
                    raise OSError("the server closed the connection before its answer ended")
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


def _encrypter(server: ServerInfo, app: dict[str, str], vault: Vault) -> tuple[ExplicitEncrypter, AzureCallback]:
    callback = AzureCallback(server, vault)
    providers = {"azure": {"tenantId": app["tenant_id"], "clientId": app["client_id"],
                           "clientSecret": app["client_secret"], "identityPlatformEndpoint": server.tls_hostport}}
    return ExplicitEncrypter(callback, MongoCryptOptions(providers)), callback


def _round_trip(server: ServerInfo, app: dict[str, str], master_key: dict[str, Any]) -> tuple[list[str], list[str]]:
    vault = Vault()
    encrypter, callback = _encrypter(server, app, vault)
    value = bson.encode({"v": "a secret string"})
    try:
        key_id = encrypter.create_data_key("azure", master_key=master_key)
        assert isinstance(key_id, uuid.UUID)
        ciphertext = encrypter.encrypt(value, DETERMINISTIC, key_id=key_id.bytes)
    finally:
        encrypter.close()
    fresh, fresh_callback = _encrypter(server, app, vault)
    try:
        assert fresh.decrypt(ciphertext) == value
    finally:
        fresh.close()
    return callback.request_lines, fresh_callback.request_lines


def _new_key(server: ServerInfo, app: dict[str, str], name: str) -> str:
    status, body = rest(server, "POST", f"/keys/{name}/create?api-version=7.4", {"kty": "RSA", "key_size": 2048},
                        token_for(server, app))
    assert status == 200, body
    return body["key"]["kid"].rsplit("/", 1)[1]


def test_data_key_with_the_current_version(azure_server: ServerInfo, azure_app: dict[str, str]) -> None:
    _new_key(azure_server, azure_app, "mongo-current")
    made, fresh = _round_trip(azure_server, azure_app, {"keyVaultEndpoint": azure_server.tls_hostport,
                                                        "keyName": "mongo-current"})
    assert made[0] == f"POST /{azure_app['tenant_id']}/oauth2/v2.0/token HTTP/1.1"
    assert made[1].startswith("POST /keys/mongo-current//wrapkey?api-version=")
    assert fresh[0].endswith("/oauth2/v2.0/token HTTP/1.1")
    assert fresh[1].startswith("POST /keys/mongo-current//unwrapkey?api-version=")


def test_data_key_with_a_key_version(azure_server: ServerInfo, azure_app: dict[str, str]) -> None:
    first = _new_key(azure_server, azure_app, "mongo-versioned")
    second = _new_key(azure_server, azure_app, "mongo-versioned")  # create again: a new version
    assert first != second and len(first) == 32
    made, fresh = _round_trip(azure_server, azure_app, {"keyVaultEndpoint": azure_server.tls_hostport,
                                                        "keyName": "mongo-versioned", "keyVersion": first})
    assert made[1].startswith(f"POST /keys/mongo-versioned/{first}/wrapkey?")
    assert fresh[1].startswith(f"POST /keys/mongo-versioned/{first}/unwrapkey?")


def test_a_wrong_secret_is_the_identity_platforms_error(azure_server: ServerInfo, azure_app: dict[str, str]) -> None:
    encrypter, _ = _encrypter(azure_server, {**azure_app, "client_secret": "not-the-secret"}, Vault())
    try:
        with pytest.raises(MongoCryptError) as caught:
            encrypter.create_data_key("azure", master_key={"keyVaultEndpoint": azure_server.tls_hostport,
                                                           "keyName": "mongo-current"})
    finally:
        encrypter.close()
    assert "invalid_client" in str(caught.value) or "AADSTS7000215" in str(caught.value), str(caught.value)


def test_an_unknown_key_is_key_not_found(azure_server: ServerInfo, azure_app: dict[str, str]) -> None:
    encrypter, _ = _encrypter(azure_server, azure_app, Vault())
    try:
        with pytest.raises(MongoCryptError) as caught:
            encrypter.create_data_key("azure", master_key={"keyVaultEndpoint": azure_server.tls_hostport,
                                                           "keyName": "no-such-key"})
    finally:
        encrypter.close()
    assert "404" in str(caught.value) and "KeyNotFound" in str(caught.value), str(caught.value)


def test_pymongo_client_encryption_over_its_own_tls(azure_server: ServerInfo, azure_app: dict[str, str],
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    """pymongo's ClientEncryption with its own KMS TLS code path; only the key vault (a mongod) is in memory."""
    from bson.binary import Binary
    from pymongo import MongoClient
    from pymongo.encryption import Algorithm, ClientEncryption

    _new_key(azure_server, azure_app, "mongo-pymongo")
    providers = {"azure": {"tenantId": azure_app["tenant_id"], "clientId": azure_app["client_id"],
                           "clientSecret": azure_app["client_secret"],
                           "identityPlatformEndpoint": azure_server.tls_hostport}}
    vault = Vault()
    client: Any = MongoClient("mongodb://127.0.0.1:9/", connect=False, serverSelectionTimeoutMS=500)
    try:
        def encryption() -> Any:
            ce = ClientEncryption(providers, "encryption.__keyVault", client, OPTIONS,
                                  kms_tls_options={"azure": {"tlsCAFile": str(azure_server.ca_file)}})
            monkeypatch.setattr(ce._io_callbacks, "fetch_keys", vault.fetch_keys)
            monkeypatch.setattr(ce._io_callbacks, "insert_data_key", lambda doc: Binary(
                vault.insert_data_key(doc).bytes, 4))
            return ce
        ce = encryption()
        try:
            key_id = ce.create_data_key("azure", master_key={"keyVaultEndpoint": azure_server.tls_hostport,
                                                             "keyName": "mongo-pymongo"})
            blob = ce.encrypt("pymongo over azure", Algorithm.AEAD_AES_256_CBC_HMAC_SHA_512_Random, key_id=key_id)
        finally:
            ce.close()
        fresh = encryption()
        try:
            assert fresh.decrypt(blob) == "pymongo over azure"
        finally:
            fresh.close()
    finally:
        client.close()
