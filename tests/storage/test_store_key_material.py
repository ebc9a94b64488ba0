"""The Store methods behind per-spec and imported key material, on every backend: keys without material,
versions that carry ValidTo / ExpirationModel / KeyMaterialDescription, updating and deleting versions, and
``keys_due`` finding imported material past its ValidTo."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from strongroom.domain.keys import Key, KeyState
from strongroom.storage.base import Store
from strongroom.storage.factory import open_store
from strongroom.storage.records import StoredVersion

NOW = 1_800_000_000.0


@pytest.fixture(params=["sqlite", "postgres"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    database = request.getfixturevalue("postgres_dsn") if request.param == "postgres" else None
    opened = open_store(database, tmp_path)
    yield opened
    opened.close()


def external_key(key_id: str) -> Key:
    return Key(key_id=key_id, account_id="111122223333", region="us-east-1", created_at=NOW, origin="EXTERNAL",
               state=KeyState.PENDING_IMPORT, current_version=0)


def test_an_external_key_starts_without_versions(store: Store) -> None:
    store.insert_key(external_key("k1"), None)
    assert store.get_key("k1").current_version == 0
    assert store.get_versions("k1") == []


def test_versions_carry_import_fields_and_can_change_or_go(store: Store) -> None:
    store.insert_key(external_key("k1"), None)
    first = StoredVersion(1, "m1", NOW, None, b"w" * 60, NOW + 3600, "KEY_MATERIAL_EXPIRES", "first")
    pending = StoredVersion(2, "m2", NOW + 1, None, b"v" * 60, None, "KEY_MATERIAL_DOES_NOT_EXPIRE", None)
    store.add_version("k1", first)
    store.add_version("k1", pending)
    assert store.get_versions("k1") == [first, pending]
    deleted = replace(first, wrapped_material=b"")
    store.update_version("k1", deleted)
    assert store.get_versions("k1")[0] == deleted and not store.get_versions("k1")[0].has_material
    rotated = replace(pending, rotation_type="ON_DEMAND", created_at=NOW + 50)
    store.update_version("k1", rotated)
    store.delete_version("k1", 1)
    assert store.get_versions("k1") == [rotated]


def test_keys_due_include_expired_imported_material_still_held(store: Store) -> None:
    store.insert_key(external_key("k1"), None)
    store.insert_key(external_key("k2"), None)
    held = StoredVersion(1, "m1", NOW, None, b"w" * 60, NOW + 10, "KEY_MATERIAL_EXPIRES", None)
    store.add_version("k1", held)
    store.add_version("k2", StoredVersion(1, "m2", NOW, None, b"", NOW + 10, "KEY_MATERIAL_EXPIRES", None))
    assert list(store.keys_due(NOW + 9)) == []
    assert list(store.keys_due(NOW + 10)) == ["k1"]  # k2's material is already gone
    store.update_version("k1", replace(held, wrapped_material=b""))
    assert list(store.keys_due(NOW + 10)) == []


def test_a_version_can_be_disabled_and_enabled_again(store: Store) -> None:
    store.insert_key(external_key("k1"), None)
    store.add_version("k1", StoredVersion(1, "m1", NOW, None, b"w" * 60))
    assert store.get_versions("k1")[0].enabled
    disabled = replace(store.get_versions("k1")[0], enabled=False)
    store.update_version("k1", disabled)
    assert store.get_versions("k1") == [disabled]
    store.update_version("k1", replace(disabled, enabled=True))
    assert store.get_versions("k1")[0].enabled
