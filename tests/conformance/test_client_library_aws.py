"""The client library's ``aws`` provider against a real Strongroom server over TLS, libmongocrypt as oracle.

Our ``ClientEncryption`` talks HTTPS to the server's TLS port trusting the dev CA through
``kms_tls_options``; libmongocrypt (pymongocrypt's ExplicitEncrypter, and pymongo's own ClientEncryption)
talks to the same server. Both share one key vault, so each uses keys the other made.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from bson.binary import Binary
from bson.codec_options import CodecOptions
from kms_harness import REGION, ServerInfo

from strongroom_client import Algorithm, ClientEncryption, DekCache, KmsError, MemoryKeyVault
from strongroom_client.providers.http import RetryPolicy
from tests.client.mongocrypt_oracle import Oracle, VaultCallback

DET, RND = Algorithm.DETERMINISTIC, Algorithm.RANDOM


def _providers(server: ServerInfo, name: str = "aws") -> dict[str, Any]:
    return {name: {"accessKeyId": server.access_key_id, "secretAccessKey": server.secret_access_key}}


def _master_key(server: ServerInfo, arn: str) -> dict[str, str]:
    return {"region": REGION, "key": arn, "endpoint": server.tls_hostport}


def _client(server: ServerInfo, vault: MemoryKeyVault, name: str = "aws", **kw: Any) -> ClientEncryption:
    """No DEK cache: every use of a key is a KMS Decrypt, so the server is really exercised."""
    args: dict[str, Any] = {"kms_tls_options": {name: {"tlsCAFile": str(server.ca_file)}}, "dek_cache": DekCache(0)}
    args.update(kw)
    return ClientEncryption(_providers(server, name), vault, **args)


@pytest.fixture
def vault() -> MemoryKeyVault:
    return MemoryKeyVault()


@pytest.fixture
def cmk(new_key: Any) -> str:
    return new_key(Description="client library CMK")


@pytest.fixture
def oracle(server: ServerInfo, vault: MemoryKeyVault) -> Iterator[Oracle]:
    with Oracle(_providers(server), vault, ca_file=str(server.ca_file)) as o:
        yield o


def test_round_trip_over_tls(server: ServerInfo, vault: MemoryKeyVault, cmk: str) -> None:
    with _client(server, vault) as ce:
        key_id = ce.create_data_key("aws", master_key=_master_key(server, cmk), key_alt_names=["orders"])
        doc = ce.get_key(key_id)
        assert doc["masterKey"] == {"provider": "aws", "region": REGION, "key": cmk, "endpoint": server.tls_hostport}
        assert len(doc["keyMaterial"]) >= 96
        det = ce.encrypt("4111 1111 1111 1111", DET, key_alt_name="orders")
        rnd = ce.encrypt({"card": "4111"}, RND, key_id=key_id)
        assert ce.decrypt(det) == "4111 1111 1111 1111"
        assert ce.decrypt(rnd) == {"card": "4111"}
        assert bytes(ce.encrypt("4111 1111 1111 1111", DET, key_id=key_id)) == bytes(det)


def test_keys_and_ciphertexts_cross_over_with_libmongocrypt(
    server: ServerInfo, vault: MemoryKeyVault, cmk: str, oracle: Oracle
) -> None:
    with _client(server, vault) as ce:
        ours = ce.create_data_key("aws", master_key=_master_key(server, cmk), key_alt_names=["ours"])
        theirs = oracle.create_data_key("aws", master_key=_master_key(server, cmk), key_alt_names=["theirs"])
        assert list(ce.get_key(ours)) == list(ce.get_key(theirs))
        assert ce.get_key(ours)["masterKey"] == ce.get_key(theirs)["masterKey"]
        for key_id in (ours, theirs):
            for value in ("text", 12345, Binary(b"\x00raw", 0)):
                mine = ce.encrypt(value, DET, key_id=key_id)
                assert bytes(mine) == bytes(oracle.encrypt(value, DET.value, key_id=key_id))
                assert oracle.decrypt(mine) == ce.decrypt(mine)
            assert oracle.decrypt(ce.encrypt(1.25, RND, key_id=key_id)) == 1.25
            assert ce.decrypt(oracle.encrypt([1, "a"], RND.value, key_id=key_id)) == [1, "a"]


def test_named_aws_provider(server: ServerInfo, vault: MemoryKeyVault, cmk: str) -> None:
    name = "aws:strongroom"
    with _client(server, vault, name) as ce, Oracle(_providers(server, name), vault, ca_file=str(server.ca_file)) as o:
        key_id = ce.create_data_key(name, master_key=_master_key(server, cmk))
        assert ce.get_key(key_id)["masterKey"]["provider"] == name
        assert o.decrypt(ce.encrypt("named", RND, key_id=key_id)) == "named"
        their_key = o.create_data_key(name, master_key=_master_key(server, cmk))
        assert ce.decrypt(o.encrypt("back", RND.value, key_id=their_key)) == "back"


def test_rewrap_to_another_cmk(server: ServerInfo, vault: MemoryKeyVault, cmk: str, new_key: Any, kms: Any) -> None:
    other = new_key(Description="rewrap target")
    with _client(server, vault) as ce:
        key_id = ce.create_data_key("aws", master_key=_master_key(server, cmk))
        blob = ce.encrypt("rotated", RND, key_id=key_id)
        result = ce.rewrap_many_data_key({"masterKey.key": cmk}, provider="aws", master_key=_master_key(server, other))
        assert result.rewrapped == [key_id]
        kms.disable_key(KeyId=cmk)
        try:
            assert ce.decrypt(blob) == "rotated"
            with Oracle(_providers(server), vault, ca_file=str(server.ca_file)) as oracle:
                assert oracle.decrypt(blob) == "rotated"
        finally:
            kms.enable_key(KeyId=cmk)


def test_a_disabled_cmk_is_a_clear_error(server: ServerInfo, vault: MemoryKeyVault, cmk: str, kms: Any) -> None:
    with _client(server, vault) as ce:
        key_id = ce.create_data_key("aws", master_key=_master_key(server, cmk))
        blob = ce.encrypt("locked", RND, key_id=key_id)
        kms.disable_key(KeyId=cmk)
        try:
            with pytest.raises(KmsError) as info:
                ce.decrypt(blob)
        finally:
            kms.enable_key(KeyId=cmk)
    assert info.value.status == 400 and info.value.error_type == "DisabledException"


def test_wrong_secret_is_refused(server: ServerInfo, vault: MemoryKeyVault, cmk: str) -> None:
    providers = {"aws": {"accessKeyId": server.access_key_id, "secretAccessKey": "x" * 40}}
    tls = {"aws": {"tlsCAFile": str(server.ca_file)}}
    with ClientEncryption(providers, vault, kms_tls_options=tls) as ce:
        with pytest.raises(KmsError) as info:
            ce.create_data_key("aws", master_key=_master_key(server, cmk))
    assert info.value.error_type == "InvalidSignatureException"
    assert list(vault.documents()) == []


def test_an_untrusted_server_certificate_is_refused(server: ServerInfo, vault: MemoryKeyVault, cmk: str) -> None:
    sleeps: list[float] = []
    with ClientEncryption(_providers(server), vault, kms_retry=RetryPolicy(sleep=sleeps.append)) as ce:
        with pytest.raises(KmsError, match="TLS verification"):
            ce.create_data_key("aws", master_key=_master_key(server, cmk))
    assert sleeps == [], "a certificate failure is final, not retried"


def test_pymongo_client_encryption_reads_what_we_write(
    server: ServerInfo, vault: MemoryKeyVault, cmk: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """pymongo's own ClientEncryption (its TLS KMS path); only its key vault reads are served from our vault."""
    from pymongo import MongoClient
    from pymongo.encryption import ClientEncryption as PymongoClientEncryption

    with _client(server, vault) as ce:
        key_id = ce.create_data_key("aws", master_key=_master_key(server, cmk))
        ours = ce.encrypt("driver-readable", RND, key_id=key_id)
        callback = VaultCallback(vault)
        mongo: Any = MongoClient("mongodb://127.0.0.1:9/", connect=False, serverSelectionTimeoutMS=500)
        theirs_ce = PymongoClientEncryption(
            _providers(server),
            "encryption.__keyVault",
            mongo,
            CodecOptions(),
            kms_tls_options={"aws": {"tlsCAFile": str(server.ca_file)}},
        )
        monkeypatch.setattr(theirs_ce._io_callbacks, "fetch_keys", callback.fetch_keys)
        try:
            assert theirs_ce.decrypt(ours) == "driver-readable"
            theirs = theirs_ce.encrypt("from pymongo", "AEAD_AES_256_CBC_HMAC_SHA_512-Deterministic", key_id=key_id)
            assert ce.decrypt(theirs) == "from pymongo"
            assert bytes(ce.encrypt("from pymongo", DET, key_id=key_id)) == bytes(theirs)
        finally:
            theirs_ce.close()
            mongo.close()
