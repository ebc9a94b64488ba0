"""Imported key material that has passed its ValidTo is deleted, and its key goes back to PendingImport.

Called lazily (the key ring, whenever it hands out an EXTERNAL key whose material is due) and by the
scheduler (``RotationService.run_due``); both run the same transaction, so it is safe to race.
"""

from __future__ import annotations

from dataclasses import replace

from strongroom.domain.keys import Key, KeyState
from strongroom.storage.base import Store
from strongroom.storage.records import StoredVersion


def due(versions: list[StoredVersion] | tuple[StoredVersion, ...], now: float) -> list[StoredVersion]:
    """The versions whose imported material is still held but has expired."""
    return [v for v in versions if v.has_material and v.valid_to is not None and v.valid_to <= now]


def material_complete(key: Key, versions: list[StoredVersion]) -> bool:
    """Whether the key holds every material up to its current one (a key with none yet holds nothing)."""
    return key.current_version > 0 and all(v.has_material for v in versions if v.version <= key.current_version)


def enabled_after_import(key: Key, versions: list[StoredVersion]) -> Key:
    """A PendingImport key becomes Enabled once every material up to the current one is imported again."""
    if key.state is KeyState.PENDING_IMPORT and material_complete(key, versions):
        return key.evolve(state=KeyState.ENABLED)
    return key


def missing_material(key: Key) -> Key:
    """A key whose (current or earlier) material went away is PendingImport, unless it is PendingDeletion."""
    if key.state is KeyState.PENDING_DELETION:
        return key
    return key.evolve(state=KeyState.PENDING_IMPORT)


def expire_material(store: Store, key_id: str, now: float) -> tuple[Key | None, bool]:
    """Delete every expired imported material of one key; (the key as it now is, whether anything expired)."""
    with store.transaction():
        key = store.get_key(key_id)
        if key is None:
            return None, False
        expired = due(store.get_versions(key_id), now)
        for version in expired:
            store.update_version(key_id, replace(version, wrapped_material=b""))
        if any(v.version <= key.current_version for v in expired):
            updated = missing_material(key)
            if updated is not key:
                store.update_key(updated)
                key = updated
    return key, bool(expired)
