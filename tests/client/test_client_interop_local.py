"""Byte compatibility with libmongocrypt (the oracle), with the ``local`` provider.

Both sides share one key vault: keys either side creates are used by the other, deterministic ciphertexts
are compared byte for byte, random ciphertexts are decrypted across.
"""

from __future__ import annotations

import datetime as dt
import os
import uuid
from typing import Any

import pytest
from bson import Code, Decimal128, Int64, ObjectId, Regex, Timestamp
from bson.binary import Binary
from mongocrypt_oracle import Oracle

from strongroom_client import Algorithm, ClientEncryption

DET = Algorithm.DETERMINISTIC.value
RND = Algorithm.RANDOM.value

DETERMINISTIC_VALUES: list[Any] = [
    "hello world",
    "",
    "ünïcødé ✓" * 20,
    0,
    -7,
    2**31 - 1,
    Int64(2**40),
    Binary(b"\x00\x01raw bytes", 0),
    Binary(b"custom", 0x80),
    uuid.UUID("12345678-1234-5678-1234-567812345678"),
    ObjectId("5f9c8f4c2b60745acd1e780a"),
    dt.datetime(2024, 2, 29, 12, 30, 15, 123000),
    Regex("^a.*z$", "i"),
    Code("function () { return 1; }"),
    Timestamp(1700000000, 7),
]
RANDOM_ONLY_VALUES: list[Any] = [
    1.5,
    True,
    Decimal128("12.50"),
    {"nested": {"a": [1, "two", 3.0]}},
    ["x", 1, None],
    Code("return x", {"x": 1}),
]


def _normalise(value: Any) -> Any:
    """bson decodes a Binary of subtype 0 as bytes, and naive datetimes as naive UTC."""
    if isinstance(value, Binary) and value.subtype == 0:
        return bytes(value)
    return value


@pytest.mark.parametrize("value", DETERMINISTIC_VALUES, ids=lambda v: type(v).__name__)
def test_deterministic_ciphertexts_are_byte_identical(client: ClientEncryption, oracle: Oracle, value: Any) -> None:
    key_id = client.create_data_key("local", key_alt_names=["det"])
    ours = client.encrypt(value, DET, key_id=key_id)
    theirs = oracle.encrypt(value, DET, key_id=key_id)
    assert ours.subtype == 6 and theirs.subtype == 6
    assert bytes(ours) == bytes(theirs)
    assert bytes(client.encrypt(value, DET, key_alt_name="det")) == bytes(theirs)
    assert client.decrypt(theirs) == _normalise(value)
    assert oracle.decrypt(ours) == _normalise(value)


def test_deterministic_blob_layout(client: ClientEncryption) -> None:
    key_id = client.create_data_key("local")
    blob = bytes(client.encrypt("hello world", DET, key_id=key_id))
    assert len(blob) == 98
    assert blob[0] == 1 and blob[1:17] == bytes(key_id) and blob[17] == 0x02
    rnd = bytes(client.encrypt("hello world", RND, key_id=key_id))
    assert len(rnd) == 98 and rnd[0] == 2


@pytest.mark.parametrize("value", DETERMINISTIC_VALUES + RANDOM_ONLY_VALUES, ids=lambda v: type(v).__name__)
def test_random_ciphertexts_decrypt_on_the_other_side(client: ClientEncryption, oracle: Oracle, value: Any) -> None:
    key_id = client.create_data_key("local")
    ours = client.encrypt(value, RND, key_id=key_id)
    theirs = oracle.encrypt(value, RND, key_id=key_id)
    assert bytes(ours) != bytes(theirs)
    assert bytes(client.encrypt(value, RND, key_id=key_id)) != bytes(ours), "random IVs must differ"
    assert oracle.decrypt(ours) == _normalise(value)
    assert client.decrypt(theirs) == _normalise(value)


def test_key_made_by_libmongocrypt_is_used_by_us(client: ClientEncryption, oracle: Oracle) -> None:
    key_id = oracle.create_data_key("local", key_alt_names=["theirs"])
    theirs = oracle.encrypt("from libmongocrypt", DET, key_alt_name="theirs")
    assert client.decrypt(theirs) == "from libmongocrypt"
    assert bytes(client.encrypt("from libmongocrypt", DET, key_id=key_id)) == bytes(theirs)
    assert client.get_key_by_alt_name("theirs")["_id"] == key_id


def test_key_made_by_us_is_used_by_libmongocrypt(client: ClientEncryption, oracle: Oracle) -> None:
    key_id = client.create_data_key("local", key_alt_names=["ours"])
    ours = client.encrypt(42, RND, key_alt_name="ours")
    assert oracle.decrypt(ours) == 42
    assert bytes(oracle.encrypt(42, DET, key_alt_name="ours")) == bytes(client.encrypt(42, DET, key_id=key_id))


def test_key_documents_have_libmongocrypts_shape(client: ClientEncryption, oracle: Oracle) -> None:
    ours = client.get_key(client.create_data_key("local", key_alt_names=["a"]))
    theirs = client.get_key(oracle.create_data_key("local", key_alt_names=["b"]))
    assert list(ours) == list(theirs)
    for doc in (ours, theirs):
        assert isinstance(doc["_id"], Binary) and doc["_id"].subtype == 4
        assert isinstance(doc["keyMaterial"], bytes) and len(doc["keyMaterial"]) == 160
        assert doc["status"] == 0 and doc["masterKey"] == {"provider": "local"}
        assert doc["creationDate"] == doc["updateDate"]
        assert doc["creationDate"].microsecond % 1000 == 0


def test_supplied_key_material_gives_libmongocrypts_ciphertexts(client: ClientEncryption, oracle: Oracle) -> None:
    material = os.urandom(96)
    ours = client.create_data_key("local", key_material=material)
    theirs = oracle.create_data_key("local", key_material=material)
    assert ours != theirs
    # Same data key, different ids: the ciphertexts differ only in the id, which is authenticated data.
    a = client.encrypt("same", DET, key_id=ours)
    b = oracle.encrypt("same", DET, key_id=theirs)
    assert bytes(a)[1:17] == bytes(ours) and bytes(b)[1:17] == bytes(theirs)
    assert bytes(client.encrypt("same", DET, key_id=theirs)) == bytes(b)


def test_named_local_providers_interoperate(local_key: bytes, vault: Any, make_client: Any) -> None:
    second = os.urandom(96)
    providers = {"local": {"key": local_key}, "local:backup": {"key": second}}
    client = make_client(kms_providers=providers)
    with Oracle(providers, vault) as oracle:
        ours = client.create_data_key("local:backup")
        theirs = oracle.create_data_key("local:backup")
        assert client.get_key(ours)["masterKey"] == {"provider": "local:backup"}
        assert client.get_key(theirs)["masterKey"] == {"provider": "local:backup"}
        assert oracle.decrypt(client.encrypt("x", RND, key_id=ours)) == "x"
        assert client.decrypt(oracle.encrypt("y", RND, key_id=theirs)) == "y"


def test_rewrap_by_either_side_keeps_keys_usable(local_key: bytes, vault: Any, make_client: Any) -> None:
    new_key = os.urandom(96)
    providers = {"local": {"key": local_key}, "local:new": {"key": new_key}}
    client = make_client(kms_providers=providers)
    with Oracle(providers, vault) as oracle:
        first = client.create_data_key("local", key_alt_names=["first"])
        second = oracle.create_data_key("local", key_alt_names=["second"])
        blob1 = client.encrypt("one", RND, key_id=first)
        blob2 = oracle.encrypt("two", RND, key_id=second)

        result = client.rewrap_many_data_key({"keyAltNames": "first"}, provider="local:new")
        assert result.rewrapped == [first]
        assert client.get_key(first)["masterKey"] == {"provider": "local:new"}
        assert oracle.rewrap({"$or": [{"_id": {"$in": [second]}}, {"keyAltNames": {"$in": []}}]}, "local:new") == 1

    # Fresh instances only know the new master key: the old one must no longer be needed.
    only_new = {"local:new": {"key": new_key}}
    with Oracle(only_new, vault) as fresh_oracle:
        assert fresh_oracle.decrypt(blob1) == "one"
        assert fresh_oracle.decrypt(blob2) == "two"
    fresh = make_client(kms_providers=only_new)
    assert fresh.decrypt(blob1) == "one"
    assert fresh.decrypt(blob2) == "two"
