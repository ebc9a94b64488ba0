"""Export/import of the key vault as MongoDB canonical Extended JSON."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from bson import json_util
from bson.json_util import CANONICAL_JSON_OPTIONS
from mongocrypt_oracle import Oracle

from strongroom_client import (
    Algorithm,
    ClientEncryption,
    DuplicateKeyError,
    KeyVaultError,
    MemoryKeyVault,
    SqliteKeyVault,
    export_key_vault,
    import_key_vault,
)


def test_export_is_canonical_extended_json_lines(client: ClientEncryption) -> None:
    client.create_data_key("local", key_alt_names=["one"])
    client.create_data_key("local")
    lines = export_key_vault(client.key_vault).splitlines()
    assert len(lines) == 2
    first = json.loads(lines[0])
    assert list(first) == ["_id", "keyAltNames", "keyMaterial", "creationDate", "updateDate", "status", "masterKey"]
    assert first["_id"]["$binary"]["subType"] == "04"
    assert first["keyMaterial"]["$binary"]["subType"] == "00"
    assert set(first["creationDate"]["$date"]) == {"$numberLong"}
    assert first["status"] == {"$numberInt": "0"}
    assert first["masterKey"] == {"provider": "local"}


def test_round_trip_into_another_store_keeps_keys_working(
    client: ClientEncryption, make_client: Any, kms_providers: dict[str, Any], tmp_path: Path
) -> None:
    key_id = client.create_data_key("local", key_alt_names=["moved"])
    blob = client.encrypt("portable", Algorithm.RANDOM, key_id=key_id)
    exported = export_key_vault(client.key_vault)

    target = SqliteKeyVault(tmp_path / "imported.db")
    try:
        result = import_key_vault(target, exported)
        assert (result.inserted, result.unchanged) == (1, 0)
        assert list(target.documents()) == list(client.key_vault.documents())
        assert make_client(key_vault=target).decrypt(blob) == "portable"
        with Oracle({"local": kms_providers["local"]}, target) as oracle:
            assert oracle.decrypt(blob) == "portable"
        again = import_key_vault(target, exported)
        assert (again.inserted, again.unchanged) == (0, 1)
    finally:
        target.close()


def test_a_mongoexport_of_libmongocrypt_keys_imports(kms_providers: dict[str, Any], make_client: Any) -> None:
    theirs = MemoryKeyVault()
    with Oracle({"local": kms_providers["local"]}, theirs) as oracle:
        oracle.create_data_key("local", key_alt_names=["from-mongo"])
        blob = oracle.encrypt("hello", Algorithm.DETERMINISTIC.value, key_alt_name="from-mongo")
    # What mongoexport --jsonFormat=canonical --jsonArray would write, made with pymongo's own encoder.
    exported = [json_util.dumps(d, json_options=CANONICAL_JSON_OPTIONS) for d in theirs.documents()]
    array = "[" + ",".join(exported) + "]"
    ours = MemoryKeyVault()
    assert import_key_vault(ours, array).inserted == 1
    client = make_client(key_vault=ours)
    assert client.decrypt(blob) == "hello"
    assert bytes(client.encrypt("hello", Algorithm.DETERMINISTIC, key_alt_name="from-mongo")) == bytes(blob)


def test_a_conflicting_import_is_refused(client: ClientEncryption) -> None:
    client.create_data_key("local", key_alt_names=["k"])
    exported = json.loads(export_key_vault(client.key_vault))
    exported["status"] = {"$numberInt": "1"}
    with pytest.raises(DuplicateKeyError, match="different data key"):
        import_key_vault(client.key_vault, json.dumps(exported))


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda d: d.update(extra=1), "unrecognized field 'extra'"),
        (lambda d: d.pop("status"), "no 'status'"),
        (lambda d: d.update(version={"$numberInt": "2"}), "version"),
        (lambda d: d["_id"]["$binary"].update(subType="03"), "not a UUID"),
        (lambda d: d.update(keyAltNames=["a", "a"]), "duplicate"),
        (lambda d: d.update(creationDate="yesterday"), "datetime"),
    ],
)
def test_invalid_documents_are_refused_before_anything_is_written(
    client: ClientEncryption, mutate: Any, message: str
) -> None:
    client.create_data_key("local")
    good, bad = (json.loads(export_key_vault(client.key_vault)) for _ in range(2))
    mutate(bad)
    bad["_id"]["$binary"]["base64"] = "AAAAAAAAAAAAAAAAAAAAAA=="
    target = MemoryKeyVault()
    with pytest.raises(KeyVaultError, match=message):
        import_key_vault(target, json.dumps(good) + "\n" + json.dumps(bad))
    assert list(target.documents()) == []


def test_garbage_is_refused(vault: MemoryKeyVault) -> None:
    with pytest.raises(KeyVaultError, match="Extended JSON"):
        import_key_vault(vault, "{not json")
    with pytest.raises(KeyVaultError, match="object"):
        import_key_vault(vault, "[1, 2]")
