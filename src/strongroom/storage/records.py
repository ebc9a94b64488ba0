"""What the store keeps besides domain objects: wrapped secrets, never plaintext."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class StoredVersion:
    version: int
    material_id: str
    created_at: float
    rotation_type: str | None
    wrapped_material: bytes  # empty once imported material is deleted or has expired
    valid_to: float | None = None  # imported material that expires: when
    expiration_model: str | None = None  # imported material: KEY_MATERIAL_EXPIRES or KEY_MATERIAL_DOES_NOT_EXPIRE
    description: str | None = None  # imported material: KeyMaterialDescription
    enabled: bool = True  # a disabled version is refused for every use; the key's other versions are not

    @property
    def has_material(self) -> bool:
        return bool(self.wrapped_material)


@dataclass(frozen=True, slots=True)
class StoredAccessKey:
    access_key_id: str
    account_id: str
    user_name: str
    wrapped_secret: bytes
    status: str
    created_at: float
    session_token_digest: bytes | None = None  # only temporary credentials have a session token
    expires_at: float | None = None


@dataclass(frozen=True, slots=True)
class StoredUser:
    account_id: str
    user_name: str
    created_at: float
