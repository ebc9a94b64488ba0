"""The client library's ``gcp`` provider against a real server's Cloud KMS and token endpoints over TLS, with
libmongocrypt as the oracle: both share one key vault and use each other's data keys; the service account is made
by the CLI, the key ring and key with Google's own client."""

from __future__ import annotations

import base64
import json
import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import pytest
from kms_harness import ServerInfo, ServerProcess, clean_env

from strongroom_client import Algorithm, ClientEncryption, DekCache, KmsError, MemoryKeyVault
from tests.client.mongocrypt_oracle import Oracle

DET, RND = Algorithm.DETERMINISTIC, Algorithm.RANDOM
PROJECT, LOCATION, RING, KEY = "proj", "global", "ring", "csfle-master"


@pytest.fixture(scope="module")
def gcp_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerInfo]:
    process = ServerProcess(tmp_path_factory.mktemp("client-gcp") / "data", extra_args=["--workers", "1"])
    info = process.start()
    try:
        yield info
    finally:
        process.stop()


@pytest.fixture(scope="module")
def key_file(gcp_server: ServerInfo, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    path = tmp_path_factory.mktemp("gcp-sa") / "sa.json"
    made = subprocess.run([sys.executable, "-m", "strongroom", "gcp", "service-accounts", "create", "--account",
                           gcp_server.account_id, "--project", PROJECT, "--name", "csfle-client", "--key-file",
                           str(path), "--token-uri", f"https://{gcp_server.tls_hostport}/token", "--data-dir",
                           str(gcp_server.ca_file.parents[1])], capture_output=True, text=True, timeout=60,
                          env=clean_env())
    assert made.returncode == 0, made.stderr
    info = json.loads(path.read_text())
    _make_key(gcp_server, info)
    return info


def _make_key(server: ServerInfo, info: dict[str, Any]) -> None:
    import os

    from google.cloud import kms
    from google.cloud.kms_v1.services.key_management_service.transports import KeyManagementServiceRestTransport
    from google.oauth2 import service_account

    os.environ["REQUESTS_CA_BUNDLE"] = str(server.ca_file)
    credentials = service_account.Credentials.from_service_account_info(
        info, scopes=["https://www.googleapis.com/auth/cloudkms"])
    transport = KeyManagementServiceRestTransport(host=server.tls_hostport, credentials=credentials)
    client = kms.KeyManagementServiceClient(transport=transport)
    parent = f"projects/{PROJECT}/locations/{LOCATION}"
    client.create_key_ring(request={"parent": parent, "key_ring_id": RING, "key_ring": {}})
    client.create_crypto_key(request={"parent": f"{parent}/keyRings/{RING}", "crypto_key_id": KEY,
                                      "crypto_key": {"purpose": kms.CryptoKey.CryptoKeyPurpose.ENCRYPT_DECRYPT}})


def _providers(server: ServerInfo, info: dict[str, Any]) -> dict[str, Any]:
    der = _der(info["private_key"])
    return {"gcp": {"email": info["client_email"], "privateKey": base64.b64encode(der).decode(),
                    "endpoint": server.tls_hostport}}


def _der(pem: str) -> bytes:
    from cryptography.hazmat.primitives import serialization
    key = serialization.load_pem_private_key(pem.encode(), None)
    return key.private_bytes(serialization.Encoding.DER, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption())


def _master_key(server: ServerInfo, **extra: str) -> dict[str, str]:
    return {"projectId": PROJECT, "location": LOCATION, "keyRing": RING, "keyName": KEY,
            "endpoint": server.tls_hostport, **extra}


def _client(server: ServerInfo, info: dict[str, Any], vault: MemoryKeyVault, **kw: Any) -> ClientEncryption:
    tls = {"gcp": {"tlsCAFile": str(server.ca_file)}}
    return ClientEncryption(_providers(server, info), vault, kms_tls_options=tls,
                            dek_cache=DekCache(0), **kw)


def test_data_keys_cross_over_with_libmongocrypt(gcp_server: ServerInfo, key_file: dict[str, Any]) -> None:
    vault = MemoryKeyVault()
    with Oracle(_providers(gcp_server, key_file), vault, ca_file=str(gcp_server.ca_file)) as oracle, \
            _client(gcp_server, key_file, vault) as ce:
        ours = ce.create_data_key("gcp", master_key=_master_key(gcp_server))
        theirs = oracle.create_data_key("gcp", master_key=_master_key(gcp_server))
        our_doc, their_doc = ce.get_key(ours), ce.get_key(theirs)
        assert our_doc is not None and their_doc is not None
        assert list(our_doc["masterKey"].items()) == list(their_doc["masterKey"].items())
        for key_id in (ours, theirs):
            assert bytes(ce.encrypt("card", DET, key_id=key_id)) == bytes(oracle.encrypt("card", DET.value,
                                                                                         key_id=key_id))
            assert oracle.decrypt(ce.encrypt({"n": 1}, RND, key_id=key_id)) == {"n": 1}
            assert ce.decrypt(oracle.encrypt("x", RND.value, key_id=key_id)) == "x"


def test_a_key_version_is_kept_and_a_fresh_client_decrypts(gcp_server: ServerInfo, key_file: dict[str, Any]) -> None:
    vault = MemoryKeyVault()
    with _client(gcp_server, key_file, vault) as ce:
        key_id = ce.create_data_key("gcp", master_key=_master_key(gcp_server, keyVersion="1"))
        document = ce.get_key(key_id)
        assert document is not None and document["masterKey"]["keyVersion"] == "1"
        blob = ce.encrypt("versioned", RND, key_id=key_id)
    with _client(gcp_server, key_file, vault) as fresh:
        assert fresh.decrypt(blob) == "versioned"


def test_an_unknown_service_account_is_refused(gcp_server: ServerInfo, key_file: dict[str, Any]) -> None:
    from strongroom_client.providers.http import RetryPolicy

    stranger = dict(key_file, client_email="nobody@proj.iam.gserviceaccount.com")
    with _client(gcp_server, stranger, MemoryKeyVault(), kms_retry=RetryPolicy(max_retries=0)) as ce, \
            pytest.raises(KmsError, match="token endpoint"):
        ce.create_data_key("gcp", master_key=_master_key(gcp_server))

