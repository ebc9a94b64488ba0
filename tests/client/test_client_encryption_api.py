"""ClientEncryption's key management API and its errors, checked against libmongocrypt where it has a view."""

from __future__ import annotations

import os
import pickle
import uuid
from typing import Any

import pytest
from bson import Decimal128
from bson.binary import Binary
from mongocrypt_oracle import Oracle
from pymongocrypt.errors import MongoCryptError

from strongroom_client import (
    Algorithm,
    ClientEncryption,
    ConfigurationError,
    DecryptionError,
    DuplicateKeyError,
    EncryptionError,
    KeyNotFoundError,
    KeyVaultError,
    KmsError,
    MemoryKeyVault,
    SqliteKeyVault,
)

DET, RND = Algorithm.DETERMINISTIC, Algorithm.RANDOM


def test_alt_names_are_unique_across_keys(client: ClientEncryption) -> None:
    first = client.create_data_key("local", key_alt_names=["shared"])
    with pytest.raises(DuplicateKeyError, match="'shared'"):
        client.create_data_key("local", key_alt_names=["other", "shared"])
    assert [doc["_id"] for doc in client.get_keys()] == [first]
    assert client.get_key_by_alt_name("other") is None
    with pytest.raises(ConfigurationError, match="duplicates"):
        client.create_data_key("local", key_alt_names=["x", "x"])


def test_add_and_remove_key_alt_names(client: ClientEncryption) -> None:
    key_id = client.create_data_key("local")
    other = client.create_data_key("local", key_alt_names=["taken"])
    before = client.add_key_alt_name(key_id, "a")
    assert before is not None and "keyAltNames" not in before
    assert client.add_key_alt_name(key_id, "b")["keyAltNames"] == ["a"]
    assert client.add_key_alt_name(key_id, "a")["keyAltNames"] == ["a", "b"]  # already there: no change
    assert client.get_key(key_id)["keyAltNames"] == ["a", "b"]
    with pytest.raises(DuplicateKeyError):
        client.add_key_alt_name(key_id, "taken")
    assert client.get_key_by_alt_name("taken")["_id"] == other
    assert client.get_key_by_alt_name("b")["_id"] == key_id

    assert client.remove_key_alt_name(key_id, "a")["keyAltNames"] == ["a", "b"]
    assert client.remove_key_alt_name(key_id, "b")["keyAltNames"] == ["b"]
    assert "keyAltNames" not in client.get_key(key_id), "the last name removes the field, as MongoDB does"
    assert client.get_key_by_alt_name("b") is None
    missing = uuid.uuid4()
    assert client.add_key_alt_name(missing, "z") is None
    assert client.remove_key_alt_name(missing, "z") is None
    assert client.get_key(missing) is None


def test_alt_name_changes_leave_the_update_date(client: ClientEncryption) -> None:
    key_id = client.create_data_key("local")
    before = client.get_key(key_id)
    client.add_key_alt_name(key_id, "n")
    assert client.get_key(key_id)["updateDate"] == before["updateDate"]


def test_a_deleted_key_gives_a_clear_error(client: ClientEncryption, oracle: Oracle) -> None:
    key_id = client.create_data_key("local", key_alt_names=["gone"])
    blob = client.encrypt("secret", RND, key_id=key_id)
    assert client.delete_key(key_id) is True
    assert client.delete_key(key_id) is False
    with pytest.raises(KeyNotFoundError, match=str(uuid.UUID(bytes=bytes(key_id)))):
        client.decrypt(blob)
    with pytest.raises(KeyNotFoundError):
        client.encrypt("secret", RND, key_id=key_id)
    with pytest.raises(MongoCryptError):
        oracle.decrypt(blob)


def test_an_unknown_key_alt_name_gives_a_clear_error(client: ClientEncryption, oracle: Oracle) -> None:
    with pytest.raises(KeyNotFoundError, match="'nobody'"):
        client.encrypt("x", DET, key_alt_name="nobody")
    with pytest.raises(MongoCryptError):
        oracle.encrypt("x", DET.value, key_alt_name="nobody")


def _flip(blob: Binary, index: int) -> Binary:
    data = bytearray(blob)
    data[index] ^= 0x01
    return Binary(bytes(data), 6)


@pytest.mark.parametrize("where", [17, 18, 40, -33, -1], ids=["type", "iv", "body", "tag-first", "tag-last"])
def test_tampered_ciphertexts_give_one_opaque_error(client: ClientEncryption, oracle: Oracle, where: int) -> None:
    key_id = client.create_data_key("local")
    for algorithm in (DET, RND):
        tampered = _flip(client.encrypt("attack at dawn", algorithm, key_id=key_id), where)
        with pytest.raises(DecryptionError) as info:
            client.decrypt(tampered)
        assert str(info.value) == "decryption failed"
        with pytest.raises(MongoCryptError):
            oracle.decrypt(tampered)


def test_truncated_and_foreign_payloads_are_refused(client: ClientEncryption) -> None:
    key_id = client.create_data_key("local")
    blob = bytes(client.encrypt("x", RND, key_id=key_id))
    for broken in (blob[:-1], blob[:18], blob[:60]):
        with pytest.raises(DecryptionError):
            client.decrypt(Binary(broken, 6))
    with pytest.raises(DecryptionError, match="subtype 6"):
        client.decrypt(Binary(blob, 0))
    with pytest.raises(DecryptionError, match="FLE1"):
        client.decrypt(Binary(b"\x06" + blob[1:], 6))  # a Queryable Encryption payload type


def test_a_ciphertext_under_another_key_does_not_decrypt(client: ClientEncryption) -> None:
    a, b = client.create_data_key("local"), client.create_data_key("local")
    blob = bytes(client.encrypt("mine", RND, key_id=a))
    relabelled = Binary(blob[:1] + bytes(b) + blob[17:], 6)
    with pytest.raises(DecryptionError):
        client.decrypt(relabelled)


def test_a_wrong_local_master_key_is_a_clear_error(client: ClientEncryption, make_client: Any) -> None:
    key_id = client.create_data_key("local")
    blob = client.encrypt("x", RND, key_id=key_id)
    stranger = make_client(kms_providers={"local": {"key": os.urandom(96)}})
    with pytest.raises(KmsError, match="does not unwrap"):
        stranger.decrypt(blob)


def test_a_key_of_an_unconfigured_provider_is_a_clear_error(client: ClientEncryption, make_client: Any) -> None:
    key_id = client.create_data_key("local")
    blob = client.encrypt("x", RND, key_id=key_id)
    aws_only = make_client(kms_providers={"aws": {"accessKeyId": "A", "secretAccessKey": "B"}})
    with pytest.raises(ConfigurationError, match="'local', which is not in kms_providers"):
        aws_only.decrypt(blob)


VALUES: list[Any] = [1.5, True, {"a": 1}, [1], Decimal128("1"), None, Binary(b"\x01" * 20, 6), "ok", 5]


@pytest.mark.parametrize("value", VALUES, ids=lambda v: repr(v)[:20])
@pytest.mark.parametrize("algorithm", [DET, RND])
def test_type_rules_match_libmongocrypt(client: ClientEncryption, oracle: Oracle, value: Any, algorithm: Any) -> None:
    key_id = client.create_data_key("local")
    try:
        oracle.encrypt(value, algorithm.value, key_id=key_id)
        theirs_ok = True
    except MongoCryptError:
        theirs_ok = False
    if theirs_ok:
        assert client.decrypt(client.encrypt(value, algorithm, key_id=key_id)) == value
    else:
        with pytest.raises(EncryptionError):
            client.encrypt(value, algorithm, key_id=key_id)


def test_argument_errors(client: ClientEncryption) -> None:
    key_id = client.create_data_key("local", key_alt_names=["k"])
    with pytest.raises(ConfigurationError, match="unknown algorithm"):
        client.encrypt("x", "AEAD_AES_256_CBC_HMAC_SHA_512-Sometimes", key_id=key_id)
    with pytest.raises(ConfigurationError, match="exactly one"):
        client.encrypt("x", DET, key_id=key_id, key_alt_name="k")
    with pytest.raises(ConfigurationError, match="exactly one"):
        client.encrypt("x", DET)
    with pytest.raises(ConfigurationError, match="UUID"):
        client.get_key(b"0123456789abcdef")
    with pytest.raises(ConfigurationError, match="96 bytes"):
        client.create_data_key("local", key_material=b"short")
    with pytest.raises(ConfigurationError, match="'aws:other' is not configured"):
        client.create_data_key("aws:other", master_key={"region": "r", "key": "k"})
    with pytest.raises(ConfigurationError, match="unexpected field"):
        client.create_data_key("local", master_key={"key": "x"})
    with pytest.raises(EncryptionError, match="cannot encode"):
        client.encrypt(object(), RND, key_id=key_id)


def test_uuid_and_binary_ids_are_interchangeable(client: ClientEncryption) -> None:
    key_id = client.create_data_key("local")
    as_uuid = key_id.as_uuid()
    assert client.get_key(as_uuid) == client.get_key(key_id)
    assert bytes(client.encrypt("x", DET, key_id=as_uuid)) == bytes(client.encrypt("x", DET, key_id=key_id))


def test_a_malformed_key_document_is_refused(vault: MemoryKeyVault, client: ClientEncryption) -> None:
    key_id = client.create_data_key("local")

    def corrupt(doc: dict[str, Any]) -> dict[str, Any]:
        doc["comment"] = "not a key field"
        return doc

    vault.update(bytes(key_id), corrupt)
    with pytest.raises(KeyVaultError, match="unrecognized field 'comment'"):
        client.encrypt("x", RND, key_id=key_id)


def test_a_sqlite_path_is_the_default_store(tmp_path: Any, kms_providers: dict[str, Any]) -> None:
    path = tmp_path / "vault.db"
    with ClientEncryption({"local": kms_providers["local"]}, path) as ce:
        key_id = ce.create_data_key("local", key_alt_names=["persisted"])
        blob = ce.encrypt("kept", RND, key_alt_name="persisted")
    with ClientEncryption({"local": kms_providers["local"]}, SqliteKeyVault(path)) as again:
        assert again.get_key(key_id)["keyAltNames"] == ["persisted"]
        assert again.decrypt(blob) == "kept"


def test_secrets_are_not_printed_or_pickled(client: ClientEncryption, local_key: bytes) -> None:
    provider = client._providers["local"]
    assert local_key.hex() not in repr(provider) and "secret" in repr(provider)
    with pytest.raises(TypeError):
        pickle.dumps(provider)
    aws = client._providers["aws"]
    assert "fake/secret" not in repr(aws)
    with pytest.raises(TypeError):
        pickle.dumps(aws)
