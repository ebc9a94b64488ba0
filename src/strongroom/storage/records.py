"""What the store keeps besides domain objects: wrapped secrets, never plaintext."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class StoredVersion:
    version: int
    material_id: str
    created_at: float
    rotation_type: str | None
    wrapped_material: bytes


@dataclass(frozen=True, slots=True)
class StoredAccessKey:
    access_key_id: str
    account_id: str
    user_name: str
    wrapped_secret: bytes
    status: str
    created_at: float
