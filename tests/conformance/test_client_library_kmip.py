"""The client library's ``kmip`` provider against a real Strongroom KMIP listener over mutual TLS, with
libmongocrypt as the oracle: both share one key vault, so each uses data keys the other made, in the default
flow (the server keeps a 96-byte secret, wrapping happens here) and the delegated one (the server wraps)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from bson.binary import Binary
from kms_harness import ServerInfo, ServerProcess

from strongroom_client import Algorithm, ClientEncryption, DekCache, KmsError, MemoryKeyVault
from strongroom_client.providers.http import RetryPolicy
from tests.client.mongocrypt_oracle import Oracle

DET, RND = Algorithm.DETERMINISTIC, Algorithm.RANDOM
FLOWS = {"default": {}, "delegated": {"delegated": True}}


@pytest.fixture(scope="module")
def kmip_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerInfo]:
    process = ServerProcess(tmp_path_factory.mktemp("client-kmip") / "data", kmip=True, extra_args=["--workers", "1"])
    info = process.start()
    try:
        yield info
    finally:
        process.stop()


@pytest.fixture(scope="module")
def client_pem(kmip_server: ServerInfo, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The dev client certificate and its key in one file, as MongoDB's ``tlsCertificateKeyFile`` takes them."""
    assert kmip_server.kmip_cert is not None and kmip_server.kmip_key is not None
    combined = tmp_path_factory.mktemp("client-pem") / "kmip-client.pem"
    combined.write_bytes(kmip_server.kmip_cert.read_bytes() + kmip_server.kmip_key.read_bytes())
    return combined


def _endpoint(server: ServerInfo) -> str:
    return f"127.0.0.1:{server.kmip_port}"


def _client(server: ServerInfo, vault: MemoryKeyVault, pem: Path | None, **kw: Any) -> ClientEncryption:
    """No DEK cache: every use of a data key goes to the KMIP server."""
    tls = {"tlsCAFile": str(server.ca_file)} | ({"tlsCertificateKeyFile": str(pem)} if pem else {})
    return ClientEncryption({"kmip": {"endpoint": _endpoint(server)}}, vault, kms_tls_options={"kmip": tls},
                            dek_cache=DekCache(0), **kw)


@pytest.fixture
def vault() -> MemoryKeyVault:
    return MemoryKeyVault()


@pytest.fixture
def oracle(kmip_server: ServerInfo, vault: MemoryKeyVault) -> Iterator[Oracle]:
    assert kmip_server.kmip_cert is not None and kmip_server.kmip_key is not None
    with Oracle({"kmip": {"endpoint": _endpoint(kmip_server)}}, vault, ca_file=str(kmip_server.ca_file),
                client_cert=(str(kmip_server.kmip_cert), str(kmip_server.kmip_key))) as o:
        yield o


@pytest.mark.parametrize("flow", FLOWS)
def test_round_trip_and_a_fresh_client(kmip_server: ServerInfo, client_pem: Path, vault: MemoryKeyVault,
                                       flow: str) -> None:
    with _client(kmip_server, vault, client_pem) as ce:
        key_id = ce.create_data_key("kmip", master_key=FLOWS[flow], key_alt_names=["orders"])
        document = ce.get_key(key_id)
        assert document is not None
        master_key = document["masterKey"]
        assert master_key["provider"] == "kmip" and master_key["keyId"]
        assert master_key.get("delegated", False) is (flow == "delegated")
        assert len(document["keyMaterial"]) == (128 if flow == "delegated" else 160)
        det = ce.encrypt("4111 1111 1111 1111", DET, key_alt_name="orders")
        rnd = ce.encrypt({"card": "4111"}, RND, key_id=key_id)
    with _client(kmip_server, vault, client_pem) as fresh:
        assert fresh.decrypt(det) == "4111 1111 1111 1111"
        assert fresh.decrypt(rnd) == {"card": "4111"}


@pytest.mark.parametrize("flow", FLOWS)
def test_data_keys_and_ciphertexts_cross_over_with_libmongocrypt(
    kmip_server: ServerInfo, client_pem: Path, vault: MemoryKeyVault, oracle: Oracle, flow: str
) -> None:
    with _client(kmip_server, vault, client_pem) as ce:
        ours = ce.create_data_key("kmip", master_key=FLOWS[flow], key_alt_names=["ours"])
        theirs = oracle.create_data_key("kmip", master_key=FLOWS[flow], key_alt_names=["theirs"])
        our_doc, their_doc = ce.get_key(ours), ce.get_key(theirs)
        assert our_doc is not None and their_doc is not None
        assert list(our_doc) == list(their_doc)
        assert list(our_doc["masterKey"]) == list(their_doc["masterKey"])
        assert len(our_doc["keyMaterial"]) == len(their_doc["keyMaterial"])
        for key_id in (ours, theirs):
            for value in ("text", 12345, Binary(b"\x00raw", 0)):
                mine = ce.encrypt(value, DET, key_id=key_id)
                assert bytes(mine) == bytes(oracle.encrypt(value, DET.value, key_id=key_id))
                assert oracle.decrypt(ce.encrypt(value, RND, key_id=key_id)) == (
                    bytes(value) if isinstance(value, Binary) else value)
                assert ce.decrypt(oracle.encrypt(value, RND.value, key_id=key_id)) == (
                    bytes(value) if isinstance(value, Binary) else value)


@pytest.mark.parametrize("flow", FLOWS)
def test_a_key_id_made_by_libmongocrypt_is_used_as_given(
    kmip_server: ServerInfo, client_pem: Path, vault: MemoryKeyVault, oracle: Oracle, flow: str
) -> None:
    made = oracle.create_data_key("kmip", master_key=FLOWS[flow])
    with _client(kmip_server, vault, client_pem) as ce:
        made_doc = ce.get_key(made)
        assert made_doc is not None
        kek = made_doc["masterKey"]["keyId"]
        again = ce.create_data_key("kmip", master_key=FLOWS[flow] | {"keyId": kek})
        again_doc = ce.get_key(again)
        assert again_doc is not None and again_doc["masterKey"]["keyId"] == kek
        blob = ce.encrypt("same master key", RND, key_id=again)
    assert oracle.decrypt(blob) == "same master key"


def test_the_endpoint_of_the_master_key_overrides_the_providers(
    kmip_server: ServerInfo, client_pem: Path, vault: MemoryKeyVault, oracle: Oracle
) -> None:
    tls = {"kmip": {"tlsCAFile": str(kmip_server.ca_file), "tlsCertificateKeyFile": str(client_pem)}}
    nowhere = {"kmip": {"endpoint": "127.0.0.1:9"}}  # discard port: nothing listens
    with ClientEncryption(nowhere, vault, kms_tls_options=tls, dek_cache=DekCache(0)) as ce:
        key_id = ce.create_data_key("kmip", master_key={"endpoint": _endpoint(kmip_server)})
        document = ce.get_key(key_id)
        assert document is not None and document["masterKey"]["endpoint"] == _endpoint(kmip_server)
        assert ce.decrypt(ce.encrypt("routed", RND, key_id=key_id)) == "routed"
    assert oracle.decrypt(_client(kmip_server, vault, client_pem).encrypt("routed", RND, key_id=key_id)) == "routed"


def test_rewrap_from_local_to_kmip_and_back(kmip_server: ServerInfo, client_pem: Path, vault: MemoryKeyVault) -> None:
    providers = {"local": {"key": b"\x07" * 96}, "kmip": {"endpoint": _endpoint(kmip_server)}}
    tls = {"kmip": {"tlsCAFile": str(kmip_server.ca_file), "tlsCertificateKeyFile": str(client_pem)}}
    with ClientEncryption(providers, vault, kms_tls_options=tls, dek_cache=DekCache(0)) as ce:
        key_id = ce.create_data_key("local")
        blob = ce.encrypt("moved between providers", DET, key_id=key_id)
        assert len(ce.rewrap_many_data_key({}, provider="kmip", master_key={"delegated": True}).rewrapped) == 1
        moved = ce.get_key(key_id)
        assert moved is not None and moved["masterKey"]["provider"] == "kmip" and moved["masterKey"]["keyId"]
        assert ce.decrypt(blob) == "moved between providers"
        ce.rewrap_many_data_key({}, provider="local")
        back = ce.get_key(key_id)
        assert back is not None and back["masterKey"] == {"provider": "local"}
        assert bytes(ce.encrypt("moved between providers", DET, key_id=key_id)) == bytes(blob)


def test_an_unknown_key_id_fails_with_the_kmip_reason(kmip_server: ServerInfo, client_pem: Path,
                                                      vault: MemoryKeyVault) -> None:
    with _client(kmip_server, vault, client_pem) as ce, pytest.raises(KmsError, match="Item Not Found"):
        ce.create_data_key("kmip", master_key={"keyId": "no-such-object"})
    assert list(vault.documents()) == []


def test_a_client_without_a_certificate_is_refused(kmip_server: ServerInfo, vault: MemoryKeyVault) -> None:
    no_retry = RetryPolicy(max_retries=0)
    with _client(kmip_server, vault, None, kms_retry=no_retry) as ce, pytest.raises(KmsError):
        ce.create_data_key("kmip")
    assert list(vault.documents()) == []
