"""One contract for every key vault store: memory, SQLite and (when a DSN is given) PostgreSQL."""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from bson.binary import Binary
from mongocrypt_oracle import Oracle

from strongroom_client import DuplicateKeyError, KeyVault, MemoryKeyVault, SqliteKeyVault
from strongroom_client.keydoc import new_key_document, new_key_id

STORES = ["memory", "sqlite", "postgres"]
NOW = dt.datetime(2030, 1, 2, 3, 4, 5, 678000, tzinfo=dt.UTC)


@pytest.fixture(params=STORES)
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[KeyVault]:
    """PostgreSQL comes from the suite's ``postgres_dsn`` fixture (tests/conftest.py): a fresh database on
    ``STRONGROOM_TEST_POSTGRES_DSN`` or on a private throwaway cluster."""
    if request.param == "memory":
        vault: KeyVault = MemoryKeyVault()
    elif request.param == "sqlite":
        vault = SqliteKeyVault(tmp_path / "kv.db")
    else:
        from strongroom_client.keyvault.postgres import PostgresKeyVault

        vault = PostgresKeyVault(request.getfixturevalue("postgres_dsn"))
    yield vault
    vault.close()


def _doc(*names: str, material: bytes = b"\x01" * 160) -> dict[str, Any]:
    return new_key_document(new_key_id(), material, {"provider": "local"}, list(names), NOW)


def test_round_trip_keeps_every_field_and_type(store: KeyVault) -> None:
    doc = _doc("a", "b")
    store.insert(doc)
    got = store.get(bytes(doc["_id"]))
    assert got == doc
    assert list(got) == list(doc)
    assert isinstance(got["_id"], Binary) and got["_id"].subtype == 4
    assert got["creationDate"] == NOW and got["creationDate"].tzinfo is not None
    assert store.get_by_alt_name("b") == doc
    assert store.get(b"\x00" * 16) is None and store.get_by_alt_name("zz") is None


def test_returned_documents_are_copies(store: KeyVault) -> None:
    doc = _doc("a")
    store.insert(doc)
    doc["keyAltNames"].append("mutated")
    got = store.get(bytes(doc["_id"]))
    got["keyAltNames"].append("again")
    assert store.get(bytes(doc["_id"]))["keyAltNames"] == ["a"]


def test_ids_and_alt_names_are_unique(store: KeyVault) -> None:
    first = _doc("x")
    store.insert(first)
    with pytest.raises(DuplicateKeyError):
        store.insert(dict(first, keyAltNames=["y"]))
    with pytest.raises(DuplicateKeyError, match="'x'"):
        store.insert(_doc("y", "x"))
    assert store.get_by_alt_name("y") is None, "a refused insert leaves nothing behind"
    assert len(list(store.documents())) == 1


def test_documents_come_in_insertion_order(store: KeyVault) -> None:
    docs = [_doc(f"n{i}") for i in range(5)]
    for doc in docs:
        store.insert(doc)
    assert [d["_id"] for d in store.documents()] == [d["_id"] for d in docs]


def test_update_is_atomic_and_keeps_names_unique(store: KeyVault) -> None:
    a, b = _doc("a"), _doc("b")
    store.insert(a)
    store.insert(b)

    def rename(names: list[str]) -> Callable[[dict[str, Any]], dict[str, Any]]:
        def change(doc: dict[str, Any]) -> dict[str, Any]:
            doc["keyAltNames"] = names
            return doc

        return change

    before = store.update(bytes(a["_id"]), rename(["a2", "a3"]))
    assert before == a
    assert store.get_by_alt_name("a") is None and store.get_by_alt_name("a3")["_id"] == a["_id"]
    with pytest.raises(DuplicateKeyError):
        store.update(bytes(a["_id"]), rename(["a2", "b"]))
    assert store.get(bytes(a["_id"]))["keyAltNames"] == ["a2", "a3"], "a refused update changes nothing"
    assert store.get_by_alt_name("a2")["_id"] == a["_id"]
    assert store.update(b"\x00" * 16, rename(["q"])) is None
    with pytest.raises(ValueError):
        store.update(bytes(a["_id"]), lambda doc: dict(doc, _id=new_key_id()))


def test_delete_frees_the_alt_names(store: KeyVault) -> None:
    doc = _doc("reuse")
    store.insert(doc)
    assert store.delete(bytes(doc["_id"])) is True
    assert store.delete(bytes(doc["_id"])) is False
    assert store.get_by_alt_name("reuse") is None
    store.insert(_doc("reuse"))
    assert store.get_by_alt_name("reuse") is not None


def test_concurrent_updates_do_not_lose_writes(store: KeyVault) -> None:
    doc = _doc()
    store.insert(doc)
    key_id = bytes(doc["_id"])

    def add(name: str) -> None:
        def change(d: dict[str, Any]) -> dict[str, Any]:
            d["keyAltNames"] = [*d.get("keyAltNames", []), name]
            return d

        store.update(key_id, change)

    threads = [threading.Thread(target=add, args=(f"t{i}",)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(store.get(key_id)["keyAltNames"]) == sorted(f"t{i}" for i in range(8))


def test_sqlite_is_shared_between_connections(tmp_path: Path) -> None:
    one, two = SqliteKeyVault(tmp_path / "shared.db"), SqliteKeyVault(tmp_path / "shared.db")
    try:
        doc = _doc("shared")
        one.insert(doc)
        assert two.get_by_alt_name("shared") == doc
        with pytest.raises(DuplicateKeyError):
            two.insert(_doc("shared"))
    finally:
        one.close()
        two.close()


def test_both_libraries_share_every_store(store: KeyVault, make_client: Any, kms_providers: dict[str, Any]) -> None:
    client = make_client(key_vault=store)
    ours = client.create_data_key("local", key_alt_names=["ours"])
    with Oracle({"local": kms_providers["local"]}, store) as oracle:
        theirs = oracle.create_data_key("local", key_alt_names=["theirs"])
        assert oracle.decrypt(client.encrypt("a", "AEAD_AES_256_CBC_HMAC_SHA_512-Random", key_alt_name="ours")) == "a"
        assert client.decrypt(oracle.encrypt("b", "AEAD_AES_256_CBC_HMAC_SHA_512-Random", key_id=theirs)) == "b"
    assert [d["_id"] for d in store.documents()] == [ours, theirs]


def test_postgres_is_shared_between_connections_and_droppable(postgres_dsn: str) -> None:
    import psycopg

    from strongroom_client.keyvault.postgres import PostgresKeyVault

    one = PostgresKeyVault(postgres_dsn, table="app_keys")
    two = PostgresKeyVault(postgres_dsn, table="app_keys", create=False)
    try:
        doc = _doc("shared")
        one.insert(doc)
        assert two.get_by_alt_name("shared") == doc
        with pytest.raises(DuplicateKeyError):
            two.insert(_doc("shared"))
        one.drop()
        with pytest.raises(psycopg.errors.UndefinedTable):
            two.get(bytes(doc["_id"]))
    finally:
        one.close()
        two.close()
