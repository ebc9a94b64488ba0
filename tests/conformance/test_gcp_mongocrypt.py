"""MongoDB client-side encryption's ``gcp`` provider (libmongocrypt through pymongocrypt) against the server's TLS
port: its token request (padded RS256 assertion, ``aud`` = ``https://127.0.0.1/token``) is answered by our
``/token``, then its encrypt and decrypt calls by the Cloud KMS API. A data key is made and opened in a fresh
client, with and without ``keyVersion``; a disabled version fails the fresh decrypt with its HTTP status."""

from __future__ import annotations

import base64
import json
import socket
import ssl
import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import bson
import pytest
import requests
from bson.binary import Binary
from cryptography.hazmat.primitives import serialization
from kms_harness import ServerInfo, clean_env
from pymongocrypt.errors import MongoCryptError
from pymongocrypt.explicit_encrypter import ExplicitEncrypter
from pymongocrypt.options import MongoCryptOptions
from pymongocrypt.state_machine import MongoCryptCallback

PROJECT = "mongocrypt-conformance"
RANDOM = "AEAD_AES_256_CBC_HMAC_SHA_512-Random"


class Callback(MongoCryptCallback):
    """libmongocrypt's I/O: KMS over TLS trusting the dev CA (hostname checked); the key vault in memory."""

    def __init__(self, ca_file: str, vault: dict[bytes, bytes]) -> None:
        self.ssl_ctx = ssl.create_default_context(cafile=ca_file)
        self.vault = vault
        self.requests: list[bytes] = []
        self.answers: list[bytes] = []

    def kms_request(self, kms_context: Any) -> None:
        message = bytes(kms_context.message)
        self.requests.append(message)
        host, _, port = kms_context.endpoint.rpartition(":")
        answer = b""
        with socket.create_connection((host, int(port)), timeout=20) as raw:
            with self.ssl_ctx.wrap_socket(raw, server_hostname=host) as conn:
                conn.sendall(message)
                while kms_context.bytes_needed > 0:
                    data = conn.recv(kms_context.bytes_needed)
                    if not data:
                        raise OSError("KMS connection closed before the response ended")
                    answer += data
                    kms_context.feed(data)
        self.answers.append(answer)

    def collection_info(self, database: str, filter: bytes) -> Any:
        raise NotImplementedError

    def mark_command(self, database: str, cmd: bytes) -> Any:
        raise NotImplementedError

    def fetch_keys(self, filter: bytes) -> Iterator[bytes]:
        return iter(list(self.vault.values()))

    def insert_data_key(self, data_key: bytes) -> Binary:
        key_id = bson.decode(data_key)["_id"]
        self.vault[bytes(key_id)] = bytes(data_key)
        return key_id

    def bson_encode(self, doc: Any) -> bytes:
        return bson.encode(doc)

    def close(self) -> None:
        pass

    def paths(self) -> list[str]:
        return [r.split(b"\r\n", 1)[0].decode().split(" ")[1] for r in self.requests]


@pytest.fixture(scope="module")
def key_file(server: ServerInfo, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    path = tmp_path_factory.mktemp("gcp-mongocrypt") / "sa.json"
    cmd = [sys.executable, "-m", "strongroom", "gcp", "service-accounts", "create", "--account", server.account_id,
           "--project", PROJECT, "--name", "mongo-client", "--key-file", str(path), "--token-uri",
           f"https://127.0.0.1:{server.tls_port}/token", "--data-dir", str(server.data_dir)]
    done = subprocess.run(cmd, capture_output=True, text=True, env=clean_env(), timeout=60)
    assert done.returncode == 0, done.stderr
    return dict(json.loads(path.read_text()))


def _providers(server: ServerInfo, info: dict[str, Any]) -> dict[str, Any]:
    private = serialization.load_pem_private_key(info["private_key"].encode(), None)
    der = private.private_bytes(serialization.Encoding.DER, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption())
    return {"gcp": {"email": info["client_email"], "privateKey": base64.b64encode(der).decode(),
                    "endpoint": server.tls_hostport}}


def _encrypter(server: ServerInfo, info: dict[str, Any], vault: dict[bytes, bytes]) -> tuple[ExplicitEncrypter,
                                                                                              Callback]:
    callback = Callback(str(server.ca_file), vault)
    return ExplicitEncrypter(callback, MongoCryptOptions(_providers(server, info))), callback


def _token(server: ServerInfo, info: dict[str, Any]) -> str:
    """A token for admin calls, by the google-auth route (our /token), to make the key ring and key."""
    from google.auth.transport.requests import Request
    from google.oauth2 import service_account

    credentials = service_account.Credentials.from_service_account_info(
        info, scopes=["https://www.googleapis.com/auth/cloudkms"])
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("REQUESTS_CA_BUNDLE", str(server.ca_file))
        credentials.refresh(Request())
    return str(credentials.token)


@pytest.fixture(scope="module")
def key(server: ServerInfo, key_file: dict[str, Any]) -> str:
    base = f"https://127.0.0.1:{server.tls_port}/v1/projects/{PROJECT}/locations/global"
    headers = {"Authorization": f"Bearer {_token(server, key_file)}"}
    made = requests.post(f"{base}/keyRings?keyRingId=ring", json={}, headers=headers, verify=str(server.ca_file),
                         timeout=10)
    assert made.status_code == 200, made.text
    made = requests.post(f"{base}/keyRings/ring/cryptoKeys?cryptoKeyId=mongo", json={"purpose": "ENCRYPT_DECRYPT"},
                         headers=headers, verify=str(server.ca_file), timeout=10)
    assert made.status_code == 200, made.text
    made = requests.post(f"{base}/keyRings/ring/cryptoKeys/mongo/cryptoKeyVersions", json={}, headers=headers,
                         verify=str(server.ca_file), timeout=10)
    assert made.status_code == 200 and made.json()["name"].endswith("/2"), made.text
    return f"{base}/keyRings/ring/cryptoKeys/mongo"


def _master_key(server: ServerInfo, version: str | None = None) -> dict[str, str]:
    master = {"projectId": PROJECT, "location": "global", "keyRing": "ring", "keyName": "mongo",
              "endpoint": server.tls_hostport}
    if version is not None:
        master["keyVersion"] = version
    return master


@pytest.mark.parametrize("version", [None, "2"])
def test_data_key_round_trip_through_a_fresh_client(server: ServerInfo, key_file: dict[str, Any], key: str,
                                                    version: str | None) -> None:
    vault: dict[bytes, bytes] = {}
    enc, callback = _encrypter(server, key_file, vault)
    try:
        key_id = enc.create_data_key("gcp", master_key=_master_key(server, version))
        blob = enc.encrypt(bson.encode({"v": "a secret string"}), RANDOM, key_id=bytes(key_id))
    finally:
        enc.close()
    key_path = "/v1/projects/mongocrypt-conformance/locations/global/keyRings/ring/cryptoKeys/mongo"
    encrypt_path = key_path + (f"/cryptoKeyVersions/{version}" if version else "") + ":encrypt"
    # the token once, the data key sealed, then opened again to encrypt with it (libmongocrypt caches no DEK)
    assert callback.paths() == ["/token", encrypt_path, key_path + ":decrypt"]
    token_request = callback.requests[0].decode()
    assert "grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Ajwt-bearer" in token_request
    assert callback.answers[0].startswith(b"HTTP/1.1 200")
    assert bson.decode(vault[bytes(key_id)])["masterKey"].get("keyVersion") == version

    fresh, callback2 = _encrypter(server, key_file, vault)
    try:
        assert bson.decode(fresh.decrypt(blob)) == {"v": "a secret string"}
    finally:
        fresh.close()
    assert callback2.paths() == ["/token", key_path + ":decrypt"]


def test_disabled_version_fails_the_fresh_decrypt(server: ServerInfo, key_file: dict[str, Any], key: str) -> None:
    vault: dict[bytes, bytes] = {}
    enc, _ = _encrypter(server, key_file, vault)
    try:
        key_id = enc.create_data_key("gcp", master_key=_master_key(server, "1"))
        blob = enc.encrypt(bson.encode({"v": 1}), RANDOM, key_id=bytes(key_id))
    finally:
        enc.close()
    headers = {"Authorization": f"Bearer {_token(server, key_file)}"}
    patched = requests.patch(f"{key}/cryptoKeyVersions/1?updateMask=state", json={"state": "DISABLED"},
                             headers=headers, verify=str(server.ca_file), timeout=10)
    assert patched.status_code == 200 and patched.json()["state"] == "DISABLED", patched.text
    fresh, _ = _encrypter(server, key_file, vault)
    try:
        with pytest.raises(MongoCryptError) as caught:
            fresh.decrypt(blob)
    finally:
        fresh.close()
        requests.patch(f"{key}/cryptoKeyVersions/1?updateMask=state", json={"state": "ENABLED"}, headers=headers,
                       verify=str(server.ca_file), timeout=10)
    assert "400" in str(caught.value) and "FAILED_PRECONDITION" in str(caught.value), str(caught.value)


def test_a_forged_assertion_is_refused_at_the_token_step(server: ServerInfo, key_file: dict[str, Any],
                                                         key: str) -> None:
    from cryptography.hazmat.primitives.asymmetric import rsa

    other = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    der = other.private_bytes(serialization.Encoding.DER, serialization.PrivateFormat.PKCS8,
                              serialization.NoEncryption())
    providers = {"gcp": {"email": key_file["client_email"], "privateKey": base64.b64encode(der).decode(),
                         "endpoint": server.tls_hostport}}
    enc = ExplicitEncrypter(Callback(str(server.ca_file), {}), MongoCryptOptions(providers))
    try:
        with pytest.raises(MongoCryptError) as caught:
            enc.create_data_key("gcp", master_key=_master_key(server))
    finally:
        enc.close()
    assert "400" in str(caught.value) and "invalid_grant" in str(caught.value), str(caught.value)
